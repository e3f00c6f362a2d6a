"""The SBR + physical-optics radar engine against closed forms, through trace() and through the heatmaps.

Oracles (reference sheet radar_scattering.md sec. 4): an image-method tracer passes a plate's path length but fails
these RCS values by 5-20 dB, so they test the scattering model, not only the geometry.
"""

import subprocess
import sys

import numpy as np
import pytest

from maxray_gen.constants import SPEED_OF_LIGHT
from maxray_gen.errors import ConfigError, DataError
from maxray_gen.geometry import Pose
from maxray_gen.primitives import grid_plane, obj
from maxray_gen.radar import coordinates as gt
from maxray_gen.radar.echoes import car_echoes
from maxray_gen.radar.processing import heatmaps
from maxray_gen.radio import rcs
from maxray_gen.radio.config import TraceConfig
from maxray_gen.radio.tracer import RadarTracer, trace
from maxray_gen.snapshot import SceneSnapshot
from tests.conftest import make_config

RADAR = make_config(noise={"model": "none"})
LAM = RADAR.wavelength_m


@pytest.fixture(scope="module")
def tracer():
    # what `maxray radar rcs` measures with: the dataset's default trace settings, lit out to 130 m (far-field
    # checks at 120 m)
    return rcs.rcs_tracer(RADAR, TraceConfig(), 130.0)


def db(x):
    return 10 * np.log10(x)


def measured(tracer, shape, size, range_m, size2=None, aspect=0.0):
    return rcs.sweep(tracer, shape, size, np.array([aspect]), range_m, size2).rcs_m2[0]


@pytest.mark.parametrize("radius", [0.1, 0.5])
def test_sphere_rcs_is_pi_a_squared(tracer, radius):
    got = measured(tracer, "sphere", radius, 15.0)
    assert abs(db(got) - db(rcs.sphere_rcs(radius, 15.0))) < 1.0, db(got)
    # and not the 'same value whatever the size' of point-path tracing
    assert db(rcs.sphere_rcs(0.5)) - db(rcs.sphere_rcs(0.1)) == pytest.approx(13.98, abs=0.01)


def test_plate_near_field_and_far_field_limits(tracer):
    near = measured(tracer, "plate", 0.1, 15.0)
    assert db(near) == pytest.approx(db(rcs.plate_rcs_near(0.1, 15.0, LAM)), abs=1.0)
    assert 16.0 < db(near) < 18.0  # ~17 dBsm, never the infinite-mirror pi R^2 = 28.5 dBsm
    big = measured(tracer, "plate", 1.0, 15.0)  # deep near field: 30.45 dBsm, far from 4 pi A^2 / lambda^2 = 37
    assert db(big) == pytest.approx(db(rcs.plate_rcs_near(1.0, 15.0, LAM)), abs=1.0)
    far = measured(tracer, "plate", 0.1, 120.0)
    assert db(far) == pytest.approx(db(4 * np.pi * 0.1 ** 4 / LAM ** 2), abs=1.0)


@pytest.mark.parametrize("shape,size,range_m,azimuth_deg,tol_db", [("sphere", 0.3, 12.0, 20.0, 1.5),
                                                                   ("plate", 0.2, 20.0, -15.0, 1.0)])
def test_heatmap_peak_of_a_traced_target_matches_its_closed_form_point_target(shape, size, range_m, azimuth_deg,
                                                                              tol_db):
    # the traced echo through the OFDM model peaks like a point target of the closed-form RCS at the same place:
    # |a| = lambda sqrt(sigma) / ((4 pi)^1.5 R^2) (the radar equation), within 1 dB for the plate. The sphere's RCS is
    # exact at the carrier (0.03 dB) but its peak sits 1.2 dB lower: its physical-optics return is a box in delay
    # over the depth of its lit cap (see test_two_ray_ground_multipath), not a point (the 1.0 engine at
    # 1-wavelength tubes showed the same -0.9 to -1.1 dB)
    from maxray_gen.radar.targets import point_targets

    cfg = make_config(noise={"model": "none"})
    tr = rcs.rcs_tracer(cfg, TraceConfig(), range_m)
    az = np.radians(azimuth_deg)
    parts = rcs.shape_parts(shape, size, None)[0]
    # the target at azimuth az, its reference face turned to the radar: the boresight scene turned about the radar
    snap = rcs.target_snapshot(parts, range_m, 0.0, 0.0)
    c, s_ = np.cos(az), np.sin(az)
    turn = np.array([[c, s_, 0], [-s_, c, 0], [0, 0, 1]])  # clockwise by az (seen from above): boresight -> az
    snap = snap.replace_objects([o.__class__(o.name, o.instance_id, o.role, o.material, o.vertices @ turn.T, o.faces)
                                 for o in snap.objects])
    paths = tr.trace(snap, np.random.default_rng(0))
    sigma = rcs.sphere_rcs(size, range_m) if shape == "sphere" else rcs.plate_rcs_near(size, range_m, LAM)
    near = range_m - (size if shape == "sphere" else 0.0)
    amp = LAM * np.sqrt(sigma) / ((4 * np.pi) ** 1.5 * range_m ** 2)
    ref = point_targets([near], [az], amplitude=amp, carrier_hz=cfg.carrier_hz)
    got, want = heatmaps(paths, cfg, None, noise=False), heatmaps(ref, cfg, None, noise=False)
    assert db(got.range_azimuth.max() / want.range_azimuth.max()) == pytest.approx(0.0, abs=tol_db)
    i, j = np.unravel_index(np.argmax(got.range_azimuth), got.range_azimuth.shape)
    k, m = np.unravel_index(np.argmax(want.range_azimuth), want.range_azimuth.shape)
    assert abs(int(i) - int(k)) <= 1 and abs(int(j) - int(m)) <= 1


def test_plate_angular_pattern_null_and_first_side_lobe(tracer):
    # far field (120 m): first null at asin(lambda / (2 s)) = 1.43 deg, first side lobe -13.3 dB at ~2.05 deg
    null = np.degrees(np.arcsin(LAM / (2 * 0.1)))
    aspects = np.radians(np.array([0.0, null, 2.05]))
    sw = rcs.sweep(tracer, "plate", 0.1, aspects, 120.0)
    rel = sw.rcs_dbsm - sw.rcs_dbsm[0]
    assert rel[1] < -25, rel
    assert rel[2] == pytest.approx(-13.3, abs=1.5), rel


def test_broadside_cylinder_in_the_near_field(tracer):
    got = measured(tracer, "cylinder", 0.1, 15.0, size2=1.0)
    assert db(got) == pytest.approx(db(rcs.cylinder_rcs_near(0.1, 1.0, 15.0, LAM)), abs=1.0)
    assert db(got) < db(2 * np.pi * 0.1 / LAM) + 1  # below the far-field 2 pi a L^2 / lambda (10.0 dBsm)


def test_dihedral_and_trihedral(tracer):
    got = measured(tracer, "dihedral", 0.1, 30.0)
    assert db(got) == pytest.approx(db(rcs.dihedral_rcs(0.1, 0.1, LAM)), abs=1.5)
    got = measured(tracer, "trihedral", 0.1, 30.0)
    assert db(got) == pytest.approx(db(rcs.trihedral_rcs(0.1, LAM)), abs=1.5)
    # the dihedral's return is a double bounce, recorded as two interactions with the same object
    snap = rcs.target_snapshot(rcs.shape_parts("dihedral", 0.1, None)[0], 30.0, 0.0)
    p = tracer.trace(snap, np.random.default_rng(0))
    strongest = np.argmax(np.abs(p.gain))
    assert (p.objects[strongest, :2] == 1).all() and p.interactions[strongest, 1] == 1


def test_small_target_power_falls_as_r_to_the_fourth(tracer):
    # a 4 cm plate (far field beyond 2 D^2 / lambda = 1.3 m): its RCS is range independent, |a|^2 R^4 constant
    p = [np.abs(tracer.trace(rcs.target_snapshot([("metal", rcs.plate_mesh(0.04))], r, 0.0),
                             np.random.default_rng(0)).gain.sum()) ** 2 for r in (8.0, 16.0)]
    assert db(p[0] / p[1]) == pytest.approx(40 * np.log10(2), abs=0.3)


def test_single_bounce_delay_and_doppler(tracer):
    for v in (1.5, -3.0):
        snap = rcs.target_snapshot([("metal", rcs.plate_mesh(0.3))], 15.0, 0.0)
        snap = snap.replace_objects([o.moved((0, 0, 0), velocity=(0.0, -v, 0.0)) for o in snap.objects])
        p = tracer.trace(snap, np.random.default_rng(0))
        k = np.argmax(np.abs(p.gain))
        assert p.delay_s[k] * SPEED_OF_LIGHT == pytest.approx(2 * 15.0, abs=0.005)  # within a 2 cm merge voxel
        assert p.doppler_hz[k] == pytest.approx(2 * v / LAM, rel=1e-4)  # closing: positive


def test_double_bounce_doppler_of_a_moving_dihedral(tracer):
    parts = rcs.shape_parts("dihedral", 0.15, None)[0]
    snap = rcs.target_snapshot(parts, 20.0, 0.0)
    snap = snap.replace_objects([o.moved((0, 0, 0), velocity=(0.0, -2.0, 0.0)) for o in snap.objects])
    p = tracer.trace(snap, np.random.default_rng(0))
    double = (p.objects[:, 1] >= 0) if p.depth > 1 else np.zeros(len(p), bool)
    k = np.flatnonzero(double)[np.argmax(np.abs(p.gain[double]))]
    assert p.doppler_hz[k] == pytest.approx(2 * 2.0 / LAM, rel=1e-3)


def test_two_ray_ground_multipath(tracer):
    # a 10 cm metal sphere 1 m above a metal ground, radar 1 m up at 15 m: the direct echo (2 d) plus the two
    # single-ground-bounce paths (d + d') and the double ground bounce (2 d'); d' is the image-method length
    h, d = 1.0, 15.0
    ground = obj("ground", 1, "ground", "metal", grid_plane(-3, 3, 1, 25, 0.0, 6, 24))
    sph = obj("ball", 5, "target", "metal", (rcs.sphere_mesh(0.1)[0] + [0.0, d, h], rcs.sphere_mesh(0.1)[1]))
    pose = Pose.look_at([0.0, 0.0, h], [0.0, d, h])
    tr = RadarTracer(RADAR, TraceConfig(ground_clutter=False))
    p = tr.trace(SceneSnapshot((ground, sph), pose), np.random.default_rng(0))
    direct = 2 * (d - 0.1)
    img = np.hypot(d, 2 * h) - 0.1  # to the sphere's near surface via the ground (approx. for a small ball)
    on_ball = p.touches(5)
    one_ground = on_ball & (p.objects == 1).sum(axis=1) == 1
    only_ball = on_ball & ~p.touches(1)
    assert np.abs(p.gain[only_ball]).max() > 0
    # where each echo is: the 10 cm of path length around its image-method length hold more than any other 10 cm.
    # Physical optics spreads a sphere's return evenly over the depth of its lit cap (the integral is
    # 2 pi a int_0^a exp(-2jkz) dz: a box in delay whose band-limited image peaks at the front and the terminator),
    # so the front window holds 1.8x any other, and the ground bounce (a flat mirror) >= 10 dB more
    d_near = near_sum(p.path_length_m[only_ball], p.gain[only_ball], direct)
    assert d_near > 1.5 * max(near_sum(p.path_length_m[only_ball], p.gain[only_ball], c)
                            for c in p.path_length_m[only_ball] if abs(c - direct) > 0.1)
    d_amp = abs(p.gain[only_ball].sum())
    g_amp = near_sum(p.path_length_m[one_ground], p.gain[one_ground], direct / 2 + img)
    elsewhere = max(near_sum(p.path_length_m[one_ground], p.gain[one_ground], c)
                    for c in p.path_length_m[one_ground] if abs(c - direct / 2 - img) > 0.1)
    assert g_amp > 3 * elsewhere  # >= 10 dB above any other 10 cm of path length
    # PEC ground: the single-bounce multipath is about as strong as the direct echo (same ball, similar ranges)
    assert 0.3 < g_amp / d_amp < 3.0
    # and the sphere's direct echo (all of it: at the carrier) is its closed-form RCS (radar equation)
    sigma = (4 * np.pi) ** 3 * (d - 0.1) ** 4 * d_amp ** 2 / LAM ** 2
    assert db(sigma) == pytest.approx(db(rcs.sphere_rcs(0.1, d)), abs=1.0)


def near_sum(lengths: np.ndarray, gains: np.ndarray, centre: float, half_width: float = 0.05) -> float:
    """|coherent sum| of the paths within ``half_width`` of ``centre`` (path length)."""
    return float(abs(gains[np.abs(lengths - centre) <= half_width].sum()))


def test_convergence_when_ray_spacing_is_halved_on_a_car():
    parts, zc, _ = rcs.shape_parts("car", 0, None, "sedan")
    # the dataset's default (4 wavelengths = 2 cm) against 5 mm tubes, aspect-averaged over 12 aspects (single
    # aspects sit in interference nulls that move by a few dB with any change, as on a real car)
    values = []
    for spacing in (0.02, 0.005):
        tr = RadarTracer(RADAR, TraceConfig(ray_spacing_m=spacing))
        values.append(np.mean([rcs.monostatic_rcs(tr, rcs.target_snapshot(parts, 15.0, a, 0.0, zc, "car"), 15.0)
                               for a in np.radians(np.arange(0.0, 360.0, 30.0))]))
    assert abs(db(values[0] / values[1])) < 0.5, db(np.array(values))


def test_car_echo_in_the_heatmap_at_its_groundtruth_and_side():
    # a sedan parked with its rear to a 4 m high basestation, 3 m left or right of boresight, on asphalt
    parts, zc, _ = rcs.shape_parts("car", 0, None, "sedan")
    pose = Pose.look_at([0.0, 0.0, 4.0], [0.0, 15.0, 0.0])
    cfg = make_config(elevation_mode="noncoherent")
    for x in (-3.0, 3.0):
        objs = [obj("ground", 1, "ground", "asphalt", grid_plane(-20, 20, -2, 40, 0.0, 10, 10))]
        for k, (mat, (v, f)) in enumerate(parts):
            objs.append(obj(f"car{k}", 7, "car", mat, (v + [x, 15.0, 0.0], f)))
        snap = SceneSnapshot(tuple(objs), pose)
        paths = trace(snap, cfg, TraceConfig(), np.random.default_rng(1))
        hm = heatmaps(paths, cfg, np.random.default_rng(2))
        own = heatmaps(paths.select(paths.touches(7)), cfg, None, noise=False).range_azimuth
        centre = gt.world_points_to_radar(np.array([[x, 15.0, zc]]), pose, cfg)
        verts = np.concatenate([p[1][0] + [x, 15.0, 0.0] for p in parts])
        row = np.zeros(1, [("instance_id", int), ("in_radar_view", bool), ("range_m", float),
                           ("nearest_range_m", float), ("heatmap_azimuth_rad", float), ("visible_fraction", float)])
        row[0] = (7, True, centre.range_m[0], np.linalg.norm(verts - pose.position, axis=1).min(),
                  gt.heatmap_azimuth(centre.azimuth_rad, centre.elevation_rad, cfg)[0], 1.0)
        (echo,) = car_echoes(hm.range_azimuth, hm.range_m, hm.azimuth_rad, row, cfg, own_maps={7: own})
        assert echo["peak_inside"] and echo["side_ok"], echo
        assert echo["contrast_db"] > 10, echo
        # the car's own echo peaks on its side of boresight, between its nearest surface and its centre
        i, j = np.unravel_index(np.argmax(own), own.shape)
        assert np.sign(hm.azimuth_rad[j]) == np.sign(x)
        assert row[0]["nearest_range_m"] - 0.2 <= hm.range_m[i] <= row[0]["range_m"] + 0.2


def test_cars_of_the_shipped_lot_stand_out_in_the_radar_map():
    from maxray_gen.config import load_config
    from maxray_gen.radar.echoes import echo_summary
    from maxray_gen.pipeline.car_echoes import lot_car_echoes

    # the default configuration (beam elevation mode), three lots of seed 0, cars at least half visible
    cfg = load_config(None)
    cfg = cfg.model_copy(update={"camera": cfg.camera.model_copy(update={"width": 320, "height": 240})})
    tracer = RadarTracer(cfg.radar, cfg.trace)
    rows = [r for i in range(3) for r in lot_car_echoes(cfg, 0, i, tracer)]
    s = echo_summary(rows)
    assert s["cars"] >= 20, s
    # measured on these 3 lots 0.84 / 0.84 / 0.97 (over 10 lots 0.79 / 0.77 / 0.99: docs/radio.md); a guard
    # against regressions, with the 80 % left to the car models
    assert s["share_above_10_db"] >= 0.75 and s["share_peak_inside"] >= 0.75 and s["share_correct_side"] >= 0.95, s


def test_determinism_across_processes_and_in_place_update():
    snap = rcs.target_snapshot(rcs.shape_parts("car", 0, None, "hatchback")[0], 12.0, 0.4, 0.0, 0.7, "car")
    ground = obj("ground", 99, "ground", "asphalt", grid_plane(-10, 10, 0, 30, -0.74, 4, 4))
    snap = snap.replace_objects([*snap.objects, ground])
    tr = RadarTracer(RADAR, TraceConfig())
    a = tr.trace(snap, np.random.default_rng(3))
    b = tr.trace(snap, np.random.default_rng(3))
    assert np.array_equal(a.gain, b.gain) and np.array_equal(a.delay_s, b.delay_s)
    moved = snap.replace_objects([o.moved((0.3, 0.2, 0.0), (0.0, 1.0, 0.0)) if o.role == "car" else o
                                  for o in snap.objects])
    assert tr.prepare(moved) == "updated"
    c = tr.trace(moved, np.random.default_rng(3))
    fresh = RadarTracer(RADAR, TraceConfig()).trace(moved, np.random.default_rng(3))
    assert np.array_equal(c.gain, fresh.gain) and np.array_equal(c.doppler_hz, fresh.doppler_hz)
    # another process gives bit-identical paths
    code = ("import numpy as np, sys; from maxray_gen.radio import rcs; from maxray_gen.primitives import grid_plane, obj;"
            "from maxray_gen.radio.config import TraceConfig; from maxray_gen.radio.tracer import RadarTracer;"
            "from tests.conftest import make_config; R = make_config(noise={'model': 'none'});"
            "s = rcs.target_snapshot(rcs.shape_parts('car', 0, None, 'hatchback')[0], 12.0, 0.4, 0.0,"
            " 0.7, 'car'); g = obj('ground', 99, 'ground', 'asphalt', grid_plane(-10, 10, 0, 30, -0.74, 4, 4));"
            "s = s.replace_objects([*s.objects, g]); p = RadarTracer(R, TraceConfig()).trace(s, np.random.default_rng(3));"
            "sys.stdout.write(p.gain.tobytes().hex())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert bytes.fromhex(out.stdout) == a.gain.tobytes()


def test_ground_clutter_statistics_and_shadowing():
    ground = obj("ground", 1, "ground", "asphalt", grid_plane(-30, 30, -2, 40, 0.0, 6, 6))
    pose = Pose.look_at([0.0, 0.0, 4.0], [0.0, 15.0, 0.0])
    tr = RadarTracer(RADAR, TraceConfig())
    p = tr.trace(SceneSnapshot((ground,), pose), np.random.default_rng(0))
    clutter = p.interactions[:, 0] == 2
    assert clutter.all() and len(p) > 1000
    # mean power per patch follows sigma0 = gamma sin(psi) A over the radar equation
    r = p.range_m
    psi = np.arcsin(4.0 / r)
    sigma = 10 ** (-25 / 10) * np.sin(psi) * 0.2 * 0.2  # constant gamma times the patch area
    expected = LAM ** 2 * sigma / ((4 * np.pi) ** 3 * r ** 4)  # the radar equation, written out independently
    ratio = np.abs(p.gain) ** 2 / expected
    assert np.mean(ratio) == pytest.approx(1.0, rel=0.1)  # Rayleigh amplitudes: exponential power, mean 1
    # a wall across the lot shadows the ground behind it
    wall = obj("wall", 2, "building", "concrete", (np.array([[-30, 12, 0], [30, 12, 0], [30, 12, 3], [-30, 12, 3.0]]),
                                                    np.array([[0, 1, 2], [0, 2, 3]])))
    q = tr.trace(SceneSnapshot((ground, wall), pose), np.random.default_rng(0))
    behind = lambda ps: np.sqrt(ps.range_m ** 2 - 16) * np.cos(ps.aoa_azimuth) > 12.5  # noqa: E731  (ground y)
    assert (clutter & behind(p)).sum() > 100
    q_clutter = q.interactions[:, 0] == 2
    assert q_clutter.any() and not (q_clutter & behind(q)).any()


def test_bad_meshes_materials_and_budgets_give_clear_errors(tracer):
    v, f = rcs.sphere_mesh(0.2, 0.05)
    pose = Pose.look_at([0.0, 0.0, 0.0], [0.0, 10.0, 0.0])
    place = lambda faces, role="car", mat="car_paint": SceneSnapshot(  # noqa: E731
        (obj("thing", 4, role, mat, (v + [0, 10, 0], faces)),), pose)
    with pytest.raises(DataError, match="'thing'.*open edge"):
        tracer.trace(place(f[:-3]), np.random.default_rng(0))
    with pytest.raises(DataError, match="'thing'.*inward-facing"):
        tracer.trace(place(f[:, ::-1]), np.random.default_rng(0))
    flipped_one = f.copy()
    flipped_one[0] = flipped_one[0, ::-1]
    with pytest.raises(DataError, match="'thing'.*flipped normals"):
        tracer.trace(place(flipped_one), np.random.default_rng(0))
    with pytest.raises(ConfigError, match="'brick'.*60 GHz"):
        tracer.trace(place(f, "building", "brick"), np.random.default_rng(0))
    with pytest.raises(ConfigError, match="trace.ray_spacing_m.*max_rays"):
        RadarTracer(RADAR, TraceConfig(ray_spacing_m=0.0001, max_rays=1000)).trace(place(f), np.random.default_rng(0))
    with pytest.raises(Exception, match="synthetic_array"):
        TraceConfig(synthetic_array=False)


def test_the_cli_errors_name_the_setting(tmp_path):
    from click.testing import CliRunner

    from maxray_gen.cli import main

    cfg = tmp_path / "c.yaml"
    cfg.write_text("trace: {ray_spacing_m: 0.00001, max_rays: 1000}\n")
    r = CliRunner().invoke(main, ["radar", "rcs", "--shape", "sphere", "--size", "0.3", "--range", "10",
                                  "--config", str(cfg), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "trace.ray_spacing_m" in r.output
    assert not (tmp_path / "o").exists()
    for args, message in ((["--shape", "mesh"], "--mesh"), (["--shape", "plate", "--aspects", "a:b"], "--aspects"),
                          (["--shape", "plate", "--range", "-1"], "--range")):
        r = CliRunner().invoke(main, ["radar", "rcs", *args, "--out", str(tmp_path / "o")])
        assert r.exit_code == 2 and message in r.output, r.output
        assert not (tmp_path / "o").exists()


def test_rcs_command_writes_the_sweep_and_the_closed_form(tmp_path):
    from click.testing import CliRunner

    from maxray_gen.cli import main

    r = CliRunner().invoke(main, ["radar", "rcs", "--shape", "plate", "--size", "0.1", "--range", "15",
                                  "--aspects", "0,1", "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    rows = [line.split(",") for line in (tmp_path / "o" / "rcs.csv").read_text().splitlines()]
    assert rows[0] == ["aspect_deg", "rcs_dbsm", "closed_form_dbsm"] and len(rows) == 3
    assert float(rows[1][1]) == pytest.approx(float(rows[1][2]), abs=1.0)  # 16.98 dBsm at normal incidence
    assert float(rows[2][1]) < float(rows[1][1]) - 3  # 1 deg off normal: near the first null (1.43 deg)
    assert (tmp_path / "o" / "rcs.png").stat().st_size > 20_000
