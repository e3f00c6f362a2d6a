"""Radar anchors of people and drones (issue 36) through the real SBR+PO engine and OFDM radar: RCS over aspect
against 3GPP TR 38.901 Rel-19, a walking person's spectrogram against the Boulic-Thalmann gait model, rotor blade
flashes and the blades' tip Doppler."""

import math

import numpy as np
import pytest

from maxray_gen.config import Config
from maxray_gen.geometry import Pose
from maxray_gen.pipeline.micro_doppler import object_spectrogram, single_target_scene
from maxray_gen.radar.micro_doppler import dominant_period, envelope, ridge
from maxray_gen.radio.rcs import rcs_tracer, sweep_parts
from maxray_gen.radio.tracer import RadarTracer
from maxray_gen.scene.drones import BLADE_PIECES, HUB_RADIUS_M, ROTOR_RADIUS_M, DroneSpec, drone_objects, drone_pieces
from maxray_gen.scene.people import PersonSpec, person_pieces
from maxray_gen.snapshot import SceneSnapshot, SnapshotObject

# 3GPP TR 38.901 Rel-19 Table 7.9.2.1-1 (RCS model 1): (sigma_M dBsm, sigma_S dB)
TR_HUMAN, TR_UAV_SMALL = (-1.37, 3.94), (-12.81, 3.74)
ASPECTS = np.radians(np.arange(0.0, 360.0, 10.0) + 3.0)


def _power_mean_db(rcs_m2: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(rcs_m2)))


def test_person_rcs_over_aspect_is_within_the_tr_38901_spread():
    cfg = Config()
    tracer = rcs_tracer(cfg.radar, cfg.trace, 10.0)
    values = []
    for speed, phase in ((0.0, 0.0), (1.4, 0.3)):  # standing, and mid-stride
        p = PersonSpec(300, 0.0, 0.0, 0.0, 1.75, speed, phase)
        parts = [(m, (v, f)) for _n, m, v, f, _u in person_pieces(p, 0.0)]
        values.append(sweep_parts(tracer, parts, 1.0, ASPECTS, 10.0, "person").rcs_m2)
    rcs = np.concatenate(values)
    mean = _power_mean_db(rcs)
    assert abs(mean - TR_HUMAN[0]) <= TR_HUMAN[1], mean
    db = 10 * np.log10(rcs)
    assert 2.0 < db.std() < 10.0  # a person scintillates over aspect
    assert -30 < db.min() and db.max() < 15


def test_drone_rcs_over_aspect_is_within_the_tr_38901_spread():
    cfg = Config()
    tracer = rcs_tracer(cfg.radar, cfg.trace, 10.0)
    rng = np.random.default_rng(1)
    values = []
    for _ in range(2):
        d = DroneSpec(400, 0.0, 0.0, 0.0, 0.0, (0.0, 0.0, 0.0), 100.0, 2, tuple(rng.uniform(0, 2 * np.pi, 4)))
        parts = [(m, (v, f)) for _n, m, v, f, _u in drone_pieces(d, 0.0)]
        values.append(sweep_parts(tracer, parts, 0.0, ASPECTS, 10.0, "drone").rcs_m2)
    mean = _power_mean_db(np.concatenate(values))
    assert abs(mean - TR_UAV_SMALL[0]) <= TR_UAV_SMALL[1], mean


def test_walking_person_spectrogram_follows_the_gait_model():
    """Torso line at the walking speed, the limbs' envelope at the model's foot speeds, two foot peaks per cycle."""
    cfg = Config.model_validate({"radar": {"noise": {"model": "none"}, "doppler_window": "blackman"}})
    person = PersonSpec(300, 0.0, 14.0, -math.pi / 2, 1.75, 1.4, 0.0)  # walking towards the mast
    spec = single_target_scene(cfg, people=[person])
    rate = 25.0
    times = np.arange(40) / rate
    sg = object_spectrogram(spec, 300, times, cfg)
    vb = cfg.radar.velocity_bin_mps
    torso = ridge(sg.power, sg.velocity_mps, static_mps=vb)
    upper, _ = envelope(sg.power, sg.velocity_mps, floor_db=30.0, static_mps=vb)
    # the model's radial velocities of the torso and of the fastest piece, seen from the mast
    mast = spec.basestation.position
    model_torso, model_max = [], []
    for t in times:
        radial = {}
        for name, _m, v, _f, vel in person_pieces(person, t):
            los = v.mean(axis=0) - mast
            radial[name] = -float(vel @ los) / float(np.linalg.norm(los))
        model_torso.append(radial["thorax"])
        model_max.append(max(radial.values()))
    model_torso, model_max = np.array(model_torso), np.array(model_max)
    assert abs(torso.mean() - model_torso.mean()) < 0.15  # the torso line: the walking speed (radial)
    assert model_max.max() > 2.5 * model_torso.mean()  # the model's feet: ~3x the walking speed
    assert abs(np.nanmax(upper) - model_max.max()) < 2 * vb  # the radar's envelope reaches it
    assert np.nanmedian(np.abs(upper - model_max)) < 2 * vb  # and follows it frame by frame
    half_cycle = person.walker.cycle_s / 2  # one foot, then the other: two envelope peaks per cycle
    assert dominant_period(np.nan_to_num(upper), 1 / rate, 0.25, 1.2) == pytest.approx(half_cycle, rel=0.06)


def _one_rotor_flashes(blades: int, samples: int = 120):
    cfg = Config()
    tracer = RadarTracer(cfg.radar, cfg.trace.model_copy(update={"ground_clutter": False}))
    pose = Pose.look_at([0.0, 0.0, 4.0], [0.0, 10.0, 4.0])
    d = DroneSpec(400, 0.0, 10.0, 4.0, 0.3, (0.0, 0.0, 0.0), 100.0, blades, (0.1, 0.7, 1.9, 2.6))
    dt = 1.0 / d.rotor_hz / samples
    power = []
    for k in range(samples):
        objs = [SnapshotObject(n, 400, "drone", m, v, f, u) for n, m, v, f, u in drone_pieces(d, k * dt)
                if n.startswith("rotor0_")]
        paths = tracer.trace(SceneSnapshot(tuple(objs), pose), np.random.default_rng(k))
        power.append(abs(paths.gain.sum()) ** 2)
    db = 10 * np.log10(np.array(power) / max(power))
    strong = [k for k in range(samples) if db[k] > -6 and db[k] >= db[k - 1] and db[k] >= db[(k + 1) % samples]]
    events = [k for i, k in enumerate(strong) if i == 0 or k - strong[i - 1] > samples // 36]  # merge neighbours
    if len(events) > 1 and events[0] + samples - events[-1] <= samples // 36:
        events = events[1:]
    return d, dt, events, db


@pytest.mark.parametrize("blades, flashes", [(2, 2), (3, 6)])
def test_rotor_blades_flash_when_perpendicular_to_the_line_of_sight(blades, flashes):
    """Even blade counts flash ``blades`` times per revolution (period 1 / (blades x rate)), odd ones twice as often
    (each blade's leading and trailing edge), always with a blade across the line of sight."""
    d, dt, events, db = _one_rotor_flashes(blades)
    assert len(events) == flashes, (events, np.round(db, 1))
    spacing = np.diff(events + [events[0] + len(db)]) * dt
    assert np.allclose(spacing, 1.0 / (flashes * d.rotor_hz), rtol=0.1)
    for k in events:
        world = np.degrees(d.yaw + d.blade_angles(0, k * dt)) % 180.0  # line of sight along +y: across is 0 mod 180
        assert np.minimum(world, 180.0 - world).min() < 4.0
    assert np.median(db) < -15  # between flashes the blades are dim


def test_blade_doppler_reaches_the_tip_speed():
    cfg = Config()
    tracer = RadarTracer(cfg.radar, cfg.trace.model_copy(update={"ground_clutter": False}))
    pose = Pose.look_at([0.0, 0.0, 4.0], [0.0, 10.0, 4.0])
    d = DroneSpec(400, 0.0, 10.0, 4.0, 0.0, (0.0, 0.0, 0.0), 100.0)
    vmax = 0.0
    for k in range(6):
        paths = tracer.trace(SceneSnapshot(tuple(drone_objects([d], k * 1e-3 / 7)), pose), np.random.default_rng(k))
        vmax = max(vmax, float(np.abs(paths.doppler_hz).max() * cfg.radar.wavelength_m / 2))
    tip = 2 * math.pi * ROTOR_RADIUS_M * d.rotor_hz
    outer = HUB_RADIUS_M + (ROTOR_RADIUS_M - HUB_RADIUS_M) * (BLADE_PIECES - 0.5) / BLADE_PIECES
    assert vmax == pytest.approx(tip * outer / ROTOR_RADIUS_M, rel=0.03)  # the outermost piece's centre
    assert vmax > 0.8 * tip and vmax > cfg.radar.max_unambiguous_velocity_mps  # tips fold in the maps
