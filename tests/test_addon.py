"""The Blender add-on with pip bpy (headless): registration, properties, operators end to end on tiny scenes."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from click.testing import CliRunner  # noqa: E402

from maxray_gen.addon_settings import config_from_settings, radar_figures, settings_from_config  # noqa: E402
from maxray_gen.blender import session  # noqa: E402
from maxray_gen.cli import main  # noqa: E402
from maxray_gen.config import Config, load_config  # noqa: E402
from maxray_gen.dataset.reader import verify_shard  # noqa: E402
from maxray_gen.primitives import box  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SMALL = ("camera: {width: 64, height: 48}\nrender: {samples: 1, denoise: false, device: cpu}\nlidar: {channels: 4}\n"
         "trace: {samples_per_src: 20000}\n"
         "radar: {n_subcarriers: 256, n_symbols: 1, azimuth_bins: 64, array: {rows: 1, columns: 16}}\n"
         "generate: {radar_products: [range_azimuth], previews: 0}\n")


@pytest.fixture()
def addon():
    sys.path.insert(0, str(ROOT))
    import blender_addon

    session.reset()
    blender_addon.register()
    yield blender_addon
    blender_addon.unregister()
    sys.path.remove(str(ROOT))
    session.reset()


def _mesh(name, verts, faces, location=(0, 0, 0)):
    me = bpy.data.meshes.new(name)
    me.from_pydata([tuple(v) for v in verts], [], [tuple(f) for f in faces])
    ob = bpy.data.objects.new(name, me)
    ob.location = location
    bpy.context.scene.collection.objects.link(ob)
    return ob


def _tiny_scene():
    """A car-sized box 12 m ahead and 3 m right of the origin, on a ground plane; nothing tagged yet."""
    v, f = box((0, 0, 0), (4.0, 2.0, 1.5))
    car = _mesh("car", v, f, (3.0, 12.0, 0.75))
    ground = _mesh("ground", [(-20, -5, 0), (20, -5, 0), (20, 40, 0), (-20, 40, 0)], [(0, 1, 2, 3)])
    return car, ground


def _select(objects):
    return bpy.context.temp_override(selected_objects=list(objects), active_object=objects[0])


def _settings(**kw):
    s = bpy.context.scene.maxray
    for k, v in kw.items():
        setattr(s, k, v)
    return s


def _small_base(tmp_path) -> str:
    p = tmp_path / "base.yaml"
    p.write_text(SMALL)
    return str(p)


def test_register_unregister_and_properties(addon):
    assert hasattr(bpy.types.Scene, "maxray") and hasattr(bpy.ops.maxray, "trace_radar")
    for op in ("tag_selected", "clear_tags", "add_basestation", "randomise", "add_slot", "fill_slots",
               "validate_scene", "trace_radar", "export_config", "generate_dataset"):
        assert hasattr(bpy.ops.maxray, op)
    s = bpy.context.scene.maxray
    # the panel's defaults are maxray_gen's defaults
    default = settings_from_config(Config())
    for k, v in default.items():
        if k not in ("shards", "samples_per_shard", "seed"):
            assert getattr(s, k) == pytest.approx(v), k
    assert "car" in [i.identifier for i in type(s).bl_rna.properties["role"].enum_items_static] or s.role == "car"
    addon.unregister()
    assert not hasattr(bpy.types.Scene, "maxray")
    addon.register()  # twice is fine
    assert hasattr(bpy.types.Scene, "maxray")


def test_tagging_produces_the_loaders_properties_and_validate(addon):
    from maxray_gen.blender import scenario

    car, ground = _tiny_scene()
    r = bpy.ops.maxray.validate_scene()
    assert r == {"FINISHED"}
    problems = bpy.context.scene.maxray.problems
    assert "no basestation" in problems and "no tagged scene objects" in problems
    _settings(role="car", material="car_paint", velocity=(0.0, -2.0, 0.0), instance_id=7)
    with _select([car]):
        assert bpy.ops.maxray.tag_selected() == {"FINISHED"}
    _settings(role="ground", material="asphalt", velocity=(0.0, 0.0, 0.0), instance_id=0)
    with _select([ground]):
        assert bpy.ops.maxray.tag_selected() == {"FINISHED"}
    assert (car["maxray_role"], car["maxray_material"], car["maxray_instance_id"]) == ("car", "car_paint", 7)
    assert list(car["maxray_velocity"]) == [0.0, -2.0, 0.0]
    assert ground["maxray_role"] == "ground" and "maxray_instance_id" not in ground
    bpy.ops.maxray.validate_scene()
    assert bpy.context.scene.maxray.problems == "no basestation: tag an empty or camera with maxray_role = 'basestation'"
    assert bpy.ops.maxray.add_basestation() == {"FINISHED"}
    bpy.ops.maxray.validate_scene()
    assert bpy.context.scene.maxray.problems == ""
    snap = scenario.export_snapshot()
    car_obj = next(o for o in snap.objects if o.name == "car")
    assert car_obj.role == "car" and car_obj.instance_id == 7 and np.allclose(car_obj.velocity, [0, -2, 0])
    assert {o.name for o in snap.objects} == {"car", "ground"}  # the gizmo is not seen by the radar
    gizmo = bpy.data.objects["maxray_radar_fov"]
    assert gizmo.parent == bpy.data.objects["basestation"] and gizmo.hide_render
    # the fan reaches the configured range at the configured half-angle
    co = np.array([v.co[:] for v in gizmo.data.vertices])
    assert np.linalg.norm(co, axis=1).max() == pytest.approx(30.0, rel=1e-5)
    assert np.degrees(np.arctan2(co[1:, 0], -co[1:, 2])).max() == pytest.approx(54.0, abs=1e-3)
    _settings(range_max_m=20.0)
    co = np.array([v.co[:] for v in bpy.data.objects["maxray_radar_fov"].data.vertices])
    assert np.linalg.norm(co, axis=1).max() == pytest.approx(20.0, rel=1e-5)
    # a light cannot be a car; the operator says why and tags nothing
    light = bpy.data.objects.new("lamp", bpy.data.lights.new("lamp", "POINT"))
    bpy.context.scene.collection.objects.link(light)
    _settings(role="car", material="car_paint")
    with _select([light]):
        assert bpy.ops.maxray.tag_selected() == {"CANCELLED"}
    assert "maxray_role" not in light
    with _select([car]):
        bpy.ops.maxray.clear_tags()
    assert "maxray_role" not in car


def test_radar_figures_follow_the_settings():
    figures = dict(radar_figures({"n_subcarriers": 1024, "subcarrier_spacing_khz": 781.25}))
    assert figures["range resolution"] == "0.187 m" and figures["bandwidth"] == "800 MHz"  # c / 2B
    figures = dict(radar_figures({"n_subcarriers": 2048, "subcarrier_spacing_khz": 781.25, "carrier_ghz": 28.0}))
    assert figures["range resolution"] == "0.094 m" and figures["wavelength"] == "10.71 mm"
    (name, why), = radar_figures({"range_max_m": 5000.0})
    assert name == "invalid" and "range" in why


def test_trace_radar_image_peaks_at_the_tagged_car(addon, tmp_path):
    car, _ = _tiny_scene()  # the ground stays untagged: the radar sees the car alone
    car["maxray_role"], car["maxray_material"] = "car", "car_paint"
    # its front face turned to the radar: seen 14 deg off its normal a flat-faced box returns only edge terms
    # (-25 dBsm in physical optics, under this small radar's noise), which is physics, not what this test is about
    car.rotation_euler = (0.0, 0.0, -np.arctan2(3.0, 12.0))
    _settings(base_config=_small_base(tmp_path), n_subcarriers=256, array_rows=1, range_max_m=25.0)
    bpy.ops.maxray.add_basestation()
    bs = bpy.data.objects["basestation"]
    bs.location = (0.0, 0.0, 2.0)
    bs.rotation_euler = (np.radians(90.0), 0.0, 0.0)  # level, looking along +y
    bpy.context.view_layer.update()
    assert bpy.ops.maxray.trace_radar() == {"FINISHED"}
    img = bpy.data.images["maxray radar"]
    w, h = img.size
    px = np.array(img.pixels[:], np.float32).reshape(h, w, 4)
    lum = px[..., :3] @ np.array([0.2126, 0.7152, 0.0722])
    r, a = np.unravel_index(np.argmax(lum), lum.shape)
    cfg = config_from_settings(bpy.context.scene.maxray.settings(), base=bpy.context.scene.maxray.base())
    rng_m, az = cfg.radar.range_axis_m[r], np.degrees(cfg.radar.azimuth_axis_rad[a])
    # the peak lies on the car: within its range and azimuth extent seen from the radar (x 1..5 m right,
    # y 11..13 m ahead, z 0..1.5 m; radar at 2 m height), so right of boresight
    corners = np.array([(x, y, z) for x in (1, 5) for y in (11, 13) for z in (0, 1.5)]) - [0, 0, 2]
    ranges, azs = np.linalg.norm(corners, axis=1), np.degrees(np.arctan2(corners[:, 0], corners[:, 1]))
    res = cfg.radar.range_resolution_m
    assert ranges.min() - res <= rng_m <= ranges.max() + res, (rng_m, ranges)
    assert azs.min() - 2 <= az <= azs.max() + 2 and az > 0, (az, azs)
    assert list(img["maxray_peak_bin"]) == [r, a]
    assert "maxray radar (groundtruth)" in bpy.data.images


def test_export_config_round_trips_through_the_cli(addon, tmp_path):
    car, ground = _tiny_scene()
    car["maxray_role"], car["maxray_material"] = "car", "car_paint"
    ground["maxray_role"], ground["maxray_material"] = "ground", "asphalt"
    bpy.ops.maxray.add_basestation()
    _settings(base_config=_small_base(tmp_path), carrier_ghz=28.0, seed=5, shards=1, samples_per_shard=1,
              randomise_weather=False, width=64, height=48)
    out = tmp_path / "farm" / "lot.yaml"
    assert bpy.ops.maxray.export_config(filepath=str(out)) == {"FINISHED"}
    assert (tmp_path / "farm" / "lot.blend").exists()
    cfg = load_config(out)
    assert cfg.radar.carrier_hz == 28e9 and cfg.generate.seed == 5 and cfg.scene.weather == {"clear": 1.0}
    assert cfg.scene.blend == str((tmp_path / "farm" / "lot.blend").resolve())
    assert cfg.radar.n_subcarriers == 256 and cfg.radar.azimuth_bins == 64  # filled from / kept from the base
    r = CliRunner().invoke(main, ["radar", "info", "--config", str(out)])
    assert r.exit_code == 0 and "10.7069" in r.output  # wavelength at 28 GHz, in mm
    r = CliRunner().invoke(main, ["scene", "validate", cfg.scene.blend])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["generate", str(out), "--out", str(tmp_path / "ds"), "--no-progress"])
    assert r.exit_code == 0, r.output
    assert verify_shard(tmp_path / "ds" / "shard-00000.h5", expected_samples=1) == 1


def test_generate_dataset_from_the_open_scene(addon, tmp_path):
    car, ground = _tiny_scene()
    car["maxray_role"], car["maxray_material"] = "car", "car_paint"
    car["maxray_velocity"] = [0.0, -3.0, 0.0]
    ground["maxray_role"], ground["maxray_material"] = "ground", "asphalt"
    out = tmp_path / "ds"
    _settings(base_config=_small_base(tmp_path), width=64, height=48, shards=1, samples_per_shard=2,
              out_dir=str(out))
    with pytest.raises(RuntimeError, match="scene is not ready: no basestation"):  # the operator's error report
        bpy.ops.maxray.generate_dataset(wait=True)
    assert not out.exists()
    bpy.ops.maxray.add_basestation()
    assert bpy.ops.maxray.generate_dataset(wait=True) == {"FINISHED"}, (out / "generate.log").read_text()
    assert verify_shard(out / "shard-00000.h5", expected_samples=2) == 2
    from maxray_gen.dataset.reader import ShardReader

    s = ShardReader(out / "shard-00000.h5").sample(0)
    assert s["rgb"].shape == (48, 64, 3)
    (car_row,) = s["objects"]  # the one tagged car, with the velocity it was tagged with
    assert np.allclose(car_row["velocity"], [0.0, -3.0, 0.0]) and np.allclose(car_row["centre"][:2], [3.0, 12.0])
    assert len(list(out.glob("scenario-*.blend"))) == 1
    # the same scene again resumes (nothing to do); a changed scene is refused without touching the shards
    before = (out / "shard-00000.h5").stat().st_mtime_ns
    assert bpy.ops.maxray.generate_dataset(wait=True) == {"FINISHED"}
    car.location.x += 1.0
    with pytest.raises(RuntimeError, match="another configuration or scene"):
        bpy.ops.maxray.generate_dataset(wait=True)
    assert (out / "shard-00000.h5").stat().st_mtime_ns == before
    assert len(list(out.glob("scenario-*.blend"))) == 1


def test_randomise_builds_the_lot_and_replaces_it(addon, tmp_path):
    _settings(base_config=_small_base(tmp_path), seed=3)
    assert bpy.ops.maxray.randomise() == {"FINISHED"}
    made = [o for o in bpy.data.objects if o.get("maxray_generated")]
    cars = {o["maxray_instance_id"] for o in made if o.get("maxray_role") == "car"}
    from maxray_gen.scene.spec import sample_scene

    cfg = config_from_settings(bpy.context.scene.maxray.settings(), base=bpy.context.scene.maxray.base())
    assert len(cars) == len(sample_scene(cfg.scene, cfg.camera, 3).cars)
    assert sum(o.get("maxray_role") == "basestation" for o in bpy.data.objects) == 1
    n_first = len(bpy.data.objects)
    _settings(seed=4)
    bpy.ops.maxray.randomise()
    assert sum(o.get("maxray_role") == "basestation" for o in bpy.data.objects) == 1
    cars4 = len(sample_scene(cfg.scene, cfg.camera, 4).cars)
    assert len({o["maxray_instance_id"] for o in bpy.data.objects if o.get("maxray_role") == "car"}) == cars4
    assert abs(len(bpy.data.objects) - n_first) < 60  # replaced, not accumulated
    bpy.ops.maxray.validate_scene()
    assert bpy.context.scene.maxray.problems == ""


def test_slots_and_lanes_are_placed_and_filled(addon, tmp_path):
    import math

    from maxray_gen.blender import scenario

    _settings(base_config=_small_base(tmp_path), seed=5)
    with pytest.raises(RuntimeError, match="no parking slots or lanes"):  # nothing to fill: one clear message
        bpy.ops.maxray.fill_slots()
    for k in range(4):
        bpy.context.scene.cursor.location = (3.0 * k, 10.0, 0.0)
        assert bpy.ops.maxray.add_slot(kind="slot", heading=90.0) == {"FINISHED"}
    bpy.context.scene.cursor.location = (4.5, 15.0, 0.0)
    bpy.ops.maxray.add_slot(kind="lane", heading=0.0, length=12.0)
    slots, lanes = scenario.layout_marks()
    assert [(s.x, s.y) for s in slots] == [(3.0 * k, 10.0) for k in range(4)]
    assert all(math.isclose(s.yaw, math.pi / 2, abs_tol=1e-6) for s in slots) and lanes[0].length == 12.0
    assert bpy.ops.maxray.fill_slots() == {"FINISHED"}
    made = [o for o in bpy.data.objects if o.get("maxray_generated")]
    ids = {o["maxray_instance_id"] for o in made}
    assert 1 <= len(ids) <= 5 and all(o.get("maxray_role") == "car" for o in made)
    bodies = [o for o in made if o.name.endswith("_body")]
    assert len(bodies) == len(ids)
    for o in bodies:  # each car's body centred in a slot (within jitter) or driving on the lane's right half
        v = np.array([tuple(p.co) for p in o.data.vertices])
        c = (v.min(axis=0) + v.max(axis=0)) / 2
        in_slot = min(math.hypot(c[0] - s.x, c[1] - s.y) for s in slots) < 0.45
        on_lane = abs(abs(c[1] - 15.0) - 1.4) < 0.3 and abs(c[0] - 4.5) <= 6.0
        assert in_slot or on_lane, (o.name, c)
    n = len(bpy.data.objects)
    bpy.ops.maxray.fill_slots()  # replaced, not accumulated
    assert abs(len(bpy.data.objects) - n) <= 16 * 5


def test_build_installable_zip(tmp_path):
    out = tmp_path / "maxray_gen-addon.zip"
    r = CliRunner().invoke(main, ["addon", "build", "--out", str(out)])
    assert r.exit_code == 0, r.output
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        manifest = z.read("blender_manifest.toml").decode()
    assert {"__init__.py", "operators.py", "panels.py", "properties.py", "blender_manifest.toml"} <= names
    assert not any("__pycache__" in n for n in names)
    import tomllib

    m = tomllib.loads(manifest)
    assert m["id"] == "maxray_gen" and m["type"] == "add-on" and m["blender_version_min"] >= "4.2.0"


def test_the_radar_preview_is_generates_radar_stage_on_the_same_scene(addon, tmp_path):
    """The add-on's 'Trace radar' runs the dataset's radar stage: the same paths, the rain and gas attenuation of
    the weather the scene was randomised with, the same map as `maxray generate` makes of that lot."""
    from maxray_gen.blender.authoring import open_scene_snapshot, scene_weather
    from maxray_gen.pipeline.radar_stage import radar_stage, trace_open_scene
    from maxray_gen.scene.lot import build_snapshot
    from maxray_gen.scene.spec import sample_scene

    base = tmp_path / "rain.yaml"
    base.write_text(SMALL + "scene: {weather: {rain: 1.0}, max_cars: 3, max_moving_cars: 0}\n")
    _settings(base_config=str(base), seed=3)
    assert bpy.ops.maxray.randomise() == {"FINISHED"}
    cfg = config_from_settings(bpy.context.scene.maxray.settings(), base=bpy.context.scene.maxray.base())
    spec = sample_scene(cfg.scene, cfg.camera, 3)
    assert spec.weather.kind == "rain" and scene_weather() == spec.weather
    assert bpy.ops.maxray.trace_radar() == {"FINISHED"}
    shown = trace_open_scene(cfg, 3).heatmap_db
    # generate's radar stage on the lot the scene was built from (sample 0 of seed 3)
    made = radar_stage(build_snapshot(spec, cfg.trace.weather_materials), cfg, 3, 0, spec.weather,
                       products=("range_azimuth",))
    assert made.radio_weather is not None and made.radio_weather.rain_db_km > 0
    expect = 10 * np.log10(np.maximum(made.maps["range_azimuth"], 1e-30))
    # Blender keeps vertices in float32 (generate's snapshot is float64): within 30 dB of the peak the maps agree to
    # 0.13 dB (measured; 0.04 dB with the tube-sampled 1.0 engine: the facet integral's exact vertex phases see the
    # rounding), the median cell to 0.004 dB; weak cells near the noise floor to a few tenths
    d = np.abs(shown - expect)
    strong = expect > expect.max() - 30
    assert d[strong].max() < 0.25 and np.median(d) < 0.01, (d[strong].max(), np.median(d))
    same = radar_stage(open_scene_snapshot(), cfg, 3, 0, spec.weather, products=("range_azimuth",))
    assert np.array_equal(shown, 10 * np.log10(np.maximum(same.maps["range_azimuth"], 1e-30)))
    dry = radar_stage(open_scene_snapshot(), cfg, 3, 0, None, products=("range_azimuth",)).maps["range_azimuth"]
    gap = np.abs(10 * np.log10(np.maximum(dry, 1e-30)) - shown)
    assert np.median(gap) > 0.2  # without the weather's attenuation (the add-on before) the map is off


def test_people_cyclists_and_drones_are_placed_as_tagged_movers(addon, tmp_path):
    from maxray_gen.blender.authoring import open_scene_snapshot

    _settings(base_config=_small_base(tmp_path), seed=3)
    _tiny_scene()
    bpy.ops.maxray.add_basestation()
    bpy.context.scene.cursor.location = (1.0, 8.0, 0.0)
    assert bpy.ops.maxray.add_mover(kind="person", heading=90.0) == {"FINISHED"}
    bpy.context.scene.cursor.location = (-2.0, 10.0, 0.0)
    assert bpy.ops.maxray.add_mover(kind="cyclist", heading=0.0) == {"FINISHED"}
    with pytest.raises(RuntimeError, match="at least 1 m above the ground"):
        bpy.ops.maxray.add_mover(kind="drone")
    bpy.context.scene.cursor.location = (0.0, 9.0, 3.0)
    assert bpy.ops.maxray.add_mover(kind="drone") == {"FINISHED"}
    snap = open_scene_snapshot()  # the scenario loader reads them back
    roles = {}
    for o in snap.objects:
        roles.setdefault(o.instance_id, set()).add(o.role)
    assert {300: {"person"}, 500: {"cyclist"}, 400: {"drone"}}.items() <= {k: v for k, v in roles.items()}.items()
    person = [o for o in snap.objects if o.instance_id == 300]
    assert len(person) >= 16 and len({tuple(np.round(o.velocity, 3)) for o in person}) > 5  # limbs move apart
    drone = [o for o in snap.objects if o.instance_id == 400]
    assert max(np.linalg.norm(o.velocity) for o in drone) > 20.0  # blade pieces at omega r
    body = np.concatenate([o.vertices for o in drone])
    assert abs((body.min(0)[2] + body.max(0)[2]) / 2 - 3.0) < 0.1
