"""The comparison engine (Sionna RT, ``trace.engine: sionna``) against closed forms, on tiny scenes built in the
test. The default SBR+PO engine has its own tests in test_radio_sbr.py."""

import numpy as np
import pytest

from maxray_gen.constants import SPEED_OF_LIGHT
from maxray_gen.errors import ConfigError, DataError
from maxray_gen.geometry import Pose
from maxray_gen.primitives import box, car, grid_plane, obj, placed, quad, trihedral
from maxray_gen.radar import coordinates as gt
from maxray_gen.radar.processing import heatmaps
from maxray_gen.radio.config import TraceConfig
from maxray_gen.radio.materials import fresnel, fresnel_normal, material
from maxray_gen.radio.tracer import RadarTracer, trace
from maxray_gen.snapshot import SceneSnapshot
from tests.conftest import make_config

RADAR = make_config(noise={"model": "none"})


def SionnaConfig(**kw) -> TraceConfig:  # noqa: N802
    return TraceConfig(engine="sionna", **kw)


SPECULAR = SionnaConfig(diffuse_reflection=False, samples_per_src=200_000, max_depth=3)
POSE = Pose.look_at([0.0, 0.0, 0.0], [10.0, 0.0, 0.0])  # boresight +x, z up


@pytest.fixture(scope="module")
def tracer():
    return RadarTracer(RADAR, SPECULAR)


def plate_scene(d=10.0, velocity=(0.0, 0.0, 0.0), half=1.0):
    plate = quad([[d, half, -half], [d, -half, -half], [d, -half, half], [d, half, half]])
    return SceneSnapshot((obj("plate", 7, "target", "metal", plate, velocity),), POSE)


def test_metal_plate_at_normal_incidence(tracer):
    d = 10.0
    snap = plate_scene(d)
    paths = tracer.trace(snap, np.random.default_rng(0))
    assert len(paths) >= 1
    i = int(np.argmax(np.abs(paths.gain)))
    tx, rx = tracer.radar_positions(POSE)
    image = np.array([2 * d - tx[0], tx[1], tx[2]])  # Tx mirrored in the plate
    length = np.linalg.norm(rx - image)
    assert paths.delay_s[i] == pytest.approx(length / SPEED_OF_LIGHT, rel=1e-6)
    assert length == pytest.approx(2 * d, abs=1e-4)
    spec = material("metal")
    # Specular part of the reflected field: |Gamma| sqrt(1 - S^2), S the diffuse scattering coefficient.
    gamma = abs(fresnel_normal(spec.complex_permittivity(RADAR.carrier_hz))) * np.sqrt(1 - spec.scattering**2)
    assert abs(paths.gain[i]) == pytest.approx(RADAR.wavelength_m / (4 * np.pi * length) * gamma, rel=1e-4)
    # Phase: the reflection coefficient's (about pi for metal) plus the carrier phase -2 pi L / lambda.
    expect = np.angle(fresnel_normal(spec.complex_permittivity(RADAR.carrier_hz))) - 2 * np.pi * length / RADAR.wavelength_m
    assert np.angle(paths.gain[i] * np.exp(-1j * expect)) == pytest.approx(0.0, abs=0.02)
    s = POSE.vector_to_sensor(image - rx)  # the echo arrives from the transmitter's mirror image
    assert paths.aoa_azimuth[i] == pytest.approx(np.arctan2(s[0], s[2]), abs=1e-5)
    assert paths.aoa_elevation[i] == pytest.approx(np.arctan2(-s[1], np.hypot(s[0], s[2])), abs=1e-5)
    assert paths.objects[i, 0] == 7 and paths.interactions[i, 0] == 1  # specular off the plate


@pytest.mark.parametrize("v", [2.0, -1.5])
def test_moving_plate_doppler(tracer, v):
    # Plate moving towards the radar (-x) at v m/s: Doppler +2 v / lambda (positive approaching).
    paths = tracer.trace(plate_scene(10.0, (-v, 0.0, 0.0)), np.random.default_rng(0))
    i = int(np.argmax(np.abs(paths.gain)))
    assert paths.doppler_hz[i] == pytest.approx(2 * v / RADAR.wavelength_m, rel=1e-4)


def test_two_ray_ground_reflection_at_28ghz():
    radar = make_config(carrier_hz=28e9, noise={"model": "none"})
    cfg = SionnaConfig(diffuse_reflection=False, max_depth=1, samples_per_src=200_000, max_path_length_m=1000)
    ground = grid_plane(-100, 100, -100, 100, 0.0)
    snap = SceneSnapshot((obj("ground", 1, "ground", "concrete", ground),), Pose.look_at([0, 0, 10], [40, 0, 1.5]))
    tr = RadarTracer(radar, cfg)
    tr.prepare(snap)
    tx, rx = np.array([0.0, 0.0, 10.0]), np.array([40.0, 0.0, 1.5])
    paths = tr.to_pathset(tr.solve(tx, rx, seed=1, los=True), snap.basestation, filter_lengths=False)
    lengths = np.sort(paths.path_length_m)
    assert len(paths) == 2
    assert lengths == pytest.approx([40.893153, 41.620308], abs=2e-5)
    los, refl = np.argsort(paths.path_length_m)
    lam = radar.wavelength_m
    assert abs(paths.gain[los]) == pytest.approx(lam / (4 * np.pi * lengths[0]), rel=1e-4)
    eps = material("concrete").complex_permittivity(28e9)
    incidence = np.arctan2(40.0, 11.5)  # from the normal: tan = 40 m / (10 m + 1.5 m)
    r_te, r_tm = fresnel(eps, incidence)
    assert abs(r_tm) == pytest.approx(0.178885, abs=1e-6)
    ratio = abs(paths.gain[refl]) / abs(paths.gain[los])
    specular = np.sqrt(1 - material("concrete").scattering ** 2)  # the rest is scattered diffusely
    assert ratio == pytest.approx(lengths[0] / lengths[1] * abs(r_tm) * specular, rel=2e-3)  # V pol. = TM
    assert paths.interactions[refl, 0] == 1 and paths.objects[refl, 0] == 1


def _rotation_taking(a, b):
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    v, c = np.cross(a, b), np.dot(a, b)
    vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + vx + vx @ vx / (1 + c)


def test_trihedral_corner_return_with_tx_rx_offset(tracer):
    apex = np.array([12.0, 0.3, -0.2])
    rot = _rotation_taking(np.ones(3), np.array([-1.0, 0.0, 0.0]))  # corner opens towards the radar
    snap = SceneSnapshot((obj("corner", 5, "target", "metal", trihedral(apex, 1.0, rot)),), POSE)
    paths = tracer.trace(snap, np.random.default_rng(0))
    tx, rx = tracer.radar_positions(POSE)
    expected = np.linalg.norm(rx - (2 * apex - tx))  # triple reflection = point reflection through the apex
    triple = (paths.interactions == 1).sum(axis=1) == 3
    assert triple.any()
    assert np.min(np.abs(paths.path_length_m[triple] - expected)) < 1e-4


def test_dihedral_corner_return_with_tx_rx_offset(tracer):
    # Two vertical metal plates meeting along the vertical line x = 12, y = 0, opening towards the radar.
    e = np.array([12.0, 0.0, 0.0])
    a, b = np.array([-1.0, 1.0, 0.0]) / np.sqrt(2), np.array([-1.0, -1.0, 0.0]) / np.sqrt(2)
    up = np.array([0.0, 0.0, 1.0])
    p1 = quad([e - up, e + a - up, e + a + up, e + up])
    p2 = quad([e - up, e + up, e + b + up, e + b - up])
    verts = np.concatenate([p1[0], p2[0]])
    faces = np.concatenate([p1[1], p2[1] + 4])
    snap = SceneSnapshot((obj("dihedral", 6, "target", "metal", (verts, faces)),), POSE)
    paths = tracer.trace(snap, np.random.default_rng(0))
    tx, rx = tracer.radar_positions(POSE)
    foot = np.array([12.0, 0.0, tx[2]])  # reflection through the edge line (rotation by 180 deg about it)
    expected = np.linalg.norm(rx - (2 * foot - tx))
    double = (paths.interactions == 1).sum(axis=1) == 2
    assert double.any()
    assert np.min(np.abs(paths.path_length_m[double] - expected)) < 1e-4


def car_scene(r=12.0, az_deg=20.0, yaw=None, velocity=(0.0, 0.0, 0.0), iid=101, name="car"):
    pose = Pose.look_at([0.0, 0.0, 1.0], [10.0, 0.0, 1.0])  # boresight +x at bumper height
    az = np.radians(az_deg)
    pos = np.array([r * np.cos(az), -r * np.sin(az), 0.0])  # world -y is to the sensor's right
    yaw = az if yaw is None else yaw  # side-on (its length across the line of sight)... or as given
    return obj(name, iid, "car", "car_paint", placed(car(4.5, 1.8, 1.5), pos, np.pi / 2 - az + yaw * 0), velocity), pose


def test_car_echo_range_and_azimuth_match_its_geometry():
    o, pose = car_scene(12.0, 20.0)
    snap = SceneSnapshot((o,), pose)
    paths = trace(snap, RADAR, SionnaConfig(samples_per_src=300_000), np.random.default_rng(0))
    assert len(paths) > 10 and set(paths.objects[:, 0]) == {101}
    s = pose.world_to_sensor(o.vertices)
    r_all = np.linalg.norm(s, axis=1)
    az_all = np.arctan2(s[:, 0], s[:, 2])
    i = int(np.argmax(np.abs(paths.gain)))
    assert r_all.min() - 0.05 <= paths.range_m[i] <= r_all.max()
    assert az_all.min() - 0.01 <= paths.aoa_azimuth[i] <= az_all.max() + 0.01
    assert paths.aoa_azimuth[i] > 0  # the car is on the right


@pytest.mark.parametrize("az_deg", [-25.0, 15.0])
def test_single_car_heatmap_peak_at_its_groundtruth(az_deg):
    o, pose = car_scene(14.0, az_deg)
    snap = SceneSnapshot((o,), pose)
    paths = trace(snap, RADAR, SionnaConfig(samples_per_src=300_000), np.random.default_rng(1))
    cfg = make_config(noise={"model": "none"}, elevation_mode="noncoherent")
    ra = heatmaps(paths, cfg).range_azimuth
    i, j = np.unravel_index(ra.argmax(), ra.shape)
    s = pose.world_to_sensor(o.vertices)
    near = gt.sensor_points_to_radar(s[np.argmin(np.linalg.norm(s, axis=1))], cfg)  # radar-visible surface
    centre = gt.sensor_points_to_radar(pose.world_to_sensor(o.centroid()), cfg)
    assert abs(i - near.range_bin) <= 1.0
    cell = np.radians(cfg.azimuth_resolution_deg)
    assert abs(cfg.azimuth_axis_rad[j] - gt.heatmap_azimuth(centre.azimuth_rad, centre.elevation_rad, cfg)) <= cell
    assert np.sign(cfg.azimuth_axis_rad[j]) == np.sign(az_deg)


def test_removing_a_car_removes_exactly_its_paths():
    cars = [car_scene(12.0, a, iid=101 + k, name=f"car{k}")[0] for k, a in enumerate((-30.0, 0.0, 30.0))]
    pose = car_scene()[1]
    snap = SceneSnapshot(tuple(cars), pose)
    cfg = SionnaConfig(samples_per_src=200_000)
    full = RadarTracer(RADAR, cfg).trace(snap, np.random.default_rng(5))
    part = RadarTracer(RADAR, cfg).trace(snap.without(102), np.random.default_rng(5))
    expected = full.select(~full.touches(102))
    assert full.touches(102).sum() > 0 and not part.touches(102).any()
    key = lambda p: np.sort(np.round(p.delay_s * 1e12).astype(np.int64))  # noqa: E731
    assert len(part) == len(expected)
    assert np.array_equal(key(part), key(expected))


def test_retrace_after_moving_updates_in_place_and_matches_a_fresh_build():
    o, pose = car_scene(12.0, 0.0)
    snap = SceneSnapshot((o,), pose)
    moved = snap.replace_objects([o.moved((1.0, 0.5, 0.0), velocity=(-3.0, 0.0, 0.0))])
    cfg = SionnaConfig(samples_per_src=100_000)
    tr = RadarTracer(RADAR, cfg)
    assert tr.prepare(snap) == "built"
    tr.trace(snap, np.random.default_rng(0))
    assert tr.prepare(moved) == "updated"
    assert tr.prepare(moved) == "unchanged"
    a = tr.trace(moved, np.random.default_rng(3))
    b = RadarTracer(RADAR, cfg).trace(moved, np.random.default_rng(3))
    assert len(a) == len(b) and np.allclose(np.sort(a.delay_s), np.sort(b.delay_s), rtol=1e-6)
    i = np.argmax(np.abs(a.gain))
    assert a.doppler_hz[i] > 0  # now approaching at 3 m/s
    assert a.range_m.min() == pytest.approx(b.range_m.min())


def test_bad_scenes_give_clear_errors(tracer):
    with pytest.raises(DataError, match="empty"):
        tracer.trace(SceneSnapshot((), POSE), np.random.default_rng(0))
    v, f = box((10, 0, 0), (1, 1, 1))
    bad = v.copy()
    bad[2] = np.nan
    with pytest.raises(DataError, match="NaN"):
        tracer.trace(SceneSnapshot((obj("b", 1, "clutter", "metal", (bad, f)),), POSE), np.random.default_rng(0))
    degenerate = np.concatenate([f, [[0, 0, 1]]])
    with pytest.raises(DataError, match="degenerate"):
        tracer.trace(SceneSnapshot((obj("b", 1, "clutter", "metal", (v, degenerate)),), POSE), np.random.default_rng(0))
    with pytest.raises(ConfigError, match="unknown radio material 'unobtainium'"):
        tracer.trace(SceneSnapshot((obj("b", 1, "clutter", "unobtainium", (v, f)),), POSE), np.random.default_rng(0))
    with pytest.raises(ConfigError, match=r"'brick' is defined for 1-40 GHz only .* 60 GHz"):
        tracer.trace(SceneSnapshot((obj("b", 1, "building", "brick", (v, f)),), POSE), np.random.default_rng(0))


def test_per_element_tracing_matches_the_synthetic_array():
    radar = make_config(noise={"model": "none"}, array={"rows": 4, "columns": 8}, azimuth_bins=129,
                        elevation_mode="noncoherent")
    o, pose = car_scene(10.0, 15.0)
    snap = SceneSnapshot((o,), pose)
    synth = RadarTracer(radar, SionnaConfig(samples_per_src=100_000))
    per_el = RadarTracer(radar, SionnaConfig(samples_per_src=100_000, synthetic_array=False))
    a = synth.trace(snap, np.random.default_rng(0))
    b = per_el.trace(snap, np.random.default_rng(0))
    assert not a.per_element.any() and b.per_element.all()
    assert set(np.unique(b.element)) == set(range(32))
    # Element positions follow the sensor frame: column index increases to the right (sensor +x).
    pos = per_el.element_positions(pose)
    assert np.allclose(pose.world_to_sensor(pos[1])[0] - pose.world_to_sensor(pos[0])[0], 0.5 * radar.wavelength_m)
    ha, hb = heatmaps(a, radar).range_azimuth, heatmaps(b, radar).range_azimuth
    assert np.unravel_index(ha.argmax(), ha.shape) == np.unravel_index(hb.argmax(), hb.shape)
    assert 10 * np.log10(hb.max() / ha.max()) == pytest.approx(0.0, abs=1.0)


def test_both_engines_are_tracers_behind_one_protocol(tracer):
    """SBR+PO and Sionna RT satisfy the Tracer protocol the pipeline's radar stage takes, and trace the same plate
    to the same path length."""
    from maxray_gen.radio.tracer import Tracer

    sbr = RadarTracer(RADAR, TraceConfig(engine="sbr", max_depth=1))
    assert isinstance(tracer, Tracer) and isinstance(sbr, Tracer)
    assert not isinstance(object(), Tracer)
    for t in (tracer, sbr):
        p = t.trace(plate_scene(), np.random.default_rng(0))
        strongest = np.argmax(np.abs(p.gain))
        assert abs(p.delay_s[strongest] * SPEED_OF_LIGHT / 2 - 10.0) < 0.01, type(t).__name__
