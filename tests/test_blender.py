"""The Blender layer with pip bpy on the CPU: tiny renders, camera agreement, .blend scenarios, safety."""

import numpy as np
import pytest
from click.testing import CliRunner

bpy = pytest.importorskip("bpy")

from maxray_gen.blender import scenario, session  # noqa: E402
from maxray_gen.blender.build import BlenderScene  # noqa: E402
from maxray_gen.cli import main  # noqa: E402
from maxray_gen.errors import DataError  # noqa: E402
from maxray_gen.geometry import Pose  # noqa: E402
from maxray_gen.primitives import box, obj  # noqa: E402
from maxray_gen.blender.config import RenderConfig  # noqa: E402
from maxray_gen.sensors.config import CameraConfig  # noqa: E402
from maxray_gen.scene.spec import LightingSpec, SceneSpec, WeatherSpec  # noqa: E402
from maxray_gen.sensors.camera import Intrinsics, render_passes  # noqa: E402
from maxray_gen.snapshot import SceneSnapshot  # noqa: E402

CAM = CameraConfig(width=64, height=48, horizontal_fov_deg=60.0)
POSE = Pose.look_at([0.0, 0.0, 1.5], [0.0, 10.0, 1.0])
DAY = LightingSpec("day", 45.0, 30.0, 2.5, 1.0, False)
CLEAR = WeatherSpec("clear", 0.0, 0.0, float("inf"), 0.0, 0.0)


def tiny_spec(snap_objects=()):
    spec = SceneSpec(0, 0, (), DAY, CLEAR, POSE, CAM)
    return spec, SceneSnapshot(tuple(snap_objects), POSE, POSE)


@pytest.fixture(scope="module")
def blender():
    return BlenderScene(CAM, RenderConfig(samples=4, denoise=False, device="cpu"))


def test_cycles_render_agrees_with_the_instance_pass(blender, tmp_path):
    target = obj("car", 100, "car", "car_paint", box((0.8, 9.0, 1.0), (2.0, 1.5, 1.6)))
    spec, empty = tiny_spec()
    blender.surroundings.hide_render = True  # sky only behind the box: no ground, no shadows
    blender.markings.hide_render = True
    blender.realise(spec, empty, np.random.default_rng(0))
    bg = blender.render_rgb(tmp_path / "bg.png").astype(float)
    spec, snap = tiny_spec([target])
    blender.realise(spec, snap, np.random.default_rng(0))
    img = blender.render_rgb(tmp_path / "car.png").astype(float)
    rendered = np.abs(img - bg).max(axis=2) > 12
    passes = render_passes(snap, Intrinsics.from_config(CAM))
    cast = passes.instance == 100
    iou = (rendered & cast).sum() / (rendered | cast).sum()
    assert cast.sum() > 100 and iou > 0.7, iou
    from maxray_gen.sensors.boxes import mask_box

    assert np.all(np.abs(mask_box(rendered) - mask_box(cast)) <= 1.0)  # same camera: boxes agree to a pixel
    # Same seed, same scene: the same image (to a small tolerance).
    blender.realise(spec, snap, np.random.default_rng(0))
    again = blender.render_rgb(tmp_path / "car2.png").astype(float)
    assert np.abs(again - img).mean() < 1.0
    blender.surroundings.hide_render = blender.markings.hide_render = False


def test_realise_updates_objects_in_place(blender):
    target = obj("car", 100, "car", "car_paint", box((0.8, 9.0, 1.0), (2.0, 1.5, 1.6)))
    spec, snap = tiny_spec([target])
    blender.realise(spec, snap, np.random.default_rng(0))
    before = bpy.data.objects["car"].data
    blender.realise(spec, snap.replace_objects([target.moved((1.0, 0.0, 0.0))]), np.random.default_rng(0))
    ob = bpy.data.objects["car"]
    assert ob.data is before  # same mesh, new vertex positions
    assert ob.data.vertices[0].co.x == pytest.approx(target.vertices[0, 0] + 1.0, abs=1e-5)
    assert ob["maxray_instance_id"] == 100 and ob.pass_index == 100


def _write_tagged_blend(path, tag=True, script=None):
    session.reset()
    mesh = bpy.data.meshes.new("cube")
    v, f = box((0, 0, 0), (2.0, 1.0, 1.0))
    mesh.from_pydata(v.tolist(), [], f.tolist())
    car = bpy.data.objects.new("car", mesh)
    car.location = (3.0, 12.0, 0.5)
    bpy.context.scene.collection.objects.link(car)
    gmesh = bpy.data.meshes.new("plane")
    gmesh.from_pydata([(-20, -5, 0), (20, -5, 0), (20, 40, 0), (-20, 40, 0)], [], [(0, 1, 2, 3)])
    ground = bpy.data.objects.new("ground", gmesh)
    bpy.context.scene.collection.objects.link(ground)
    bs = bpy.data.objects.new("basestation", None)
    bs.location = (0.0, 0.0, 4.0)
    bs.rotation_euler = (np.radians(80.0), 0.0, 0.0)  # Blender camera convention: -z forward, tilted to +y
    bpy.context.scene.collection.objects.link(bs)
    if tag:
        car["maxray_role"], car["maxray_material"] = "car", "car_paint"
        car["maxray_instance_id"], car["maxray_velocity"] = 7, [0.0, -2.0, 0.0]
        ground["maxray_role"], ground["maxray_material"] = "ground", "asphalt"
        bs["maxray_role"] = "basestation"
    if script is not None:
        text = bpy.data.texts.new("autorun.py")
        text.write(script)
        text.use_module = True  # "Register": would run on load if auto-execution were allowed
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    session.reset()


def test_tagged_blend_loads_and_exports_the_right_snapshot(tmp_path):
    path = tmp_path / "scene.blend"
    _write_tagged_blend(path)
    scenario.load_blend(path)
    snap = scenario.export_snapshot(str(path))
    car = next(o for o in snap.objects if o.name == "car")
    assert car.role == "car" and car.material == "car_paint" and car.instance_id == 7
    assert np.allclose(car.velocity, [0.0, -2.0, 0.0])
    assert np.allclose(car.vertices.min(axis=0), [2.0, 11.5, 0.0]) and np.allclose(car.vertices.max(axis=0), [4.0, 12.5, 1.0])
    assert len(car.faces) == 12
    ground = next(o for o in snap.objects if o.role == "ground")
    assert len(ground.faces) == 2 and ground.material == "asphalt"
    assert np.allclose(snap.basestation.position, [0, 0, 4])
    boresight = snap.basestation.rotation[:, 2]
    assert np.allclose(boresight, [0.0, np.sin(np.radians(80)), -np.cos(np.radians(80))], atol=1e-6)
    res = CliRunner().invoke(main, ["scene", "export", str(path), "--out", str(tmp_path / "s.npz")])
    assert res.exit_code == 0 and SceneSnapshot.load(tmp_path / "s.npz").n_triangles == 14


def test_untagged_blend_fails_clearly(tmp_path):
    path = tmp_path / "plain.blend"
    _write_tagged_blend(path, tag=False)
    scenario.load_blend(path)
    with pytest.raises(DataError, match="no basestation.*no tagged scene objects"):
        scenario.export_snapshot(str(path))
    res = CliRunner().invoke(main, ["scene", "validate", str(path)])
    assert res.exit_code == 2 and "no basestation" in res.stderr


def test_embedded_autorun_script_does_not_run(tmp_path):
    marker = tmp_path / "pwned.txt"
    path = tmp_path / "evil.blend"
    _write_tagged_blend(path, script=f"open({str(marker)!r}, 'w').write('ran')\n")
    scenario.load_blend(path)
    assert not marker.exists()
    assert scenario.export_snapshot(str(path)).n_triangles == 14
    # Positive control: with auto-execution allowed, the same file does run its script.
    bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False, use_scripts=True)
    assert marker.exists()
    session.reset()


def test_missing_blend_file(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        scenario.load_blend(tmp_path / "nope.blend")


def test_scene_preview_command(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("camera: {width: 64, height: 48}\nrender: {samples: 1, denoise: false, device: cpu}\n"
                   "lidar: {channels: 4}\nscene: {max_cars: 4}\n")
    res = CliRunner().invoke(main, ["scene", "preview", "--config", str(cfg), "--seed", "2", "--png",
                                    str(tmp_path / "p.png")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "p.png").stat().st_size > 30_000


def test_saved_lot_is_a_tagged_scenario_that_round_trips(tmp_path):
    from maxray_gen.config import load_config
    from maxray_gen.scene.lot import build_snapshot
    from maxray_gen.scene.spec import sample_scene

    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text("camera: {width: 64, height: 48}\nrender: {samples: 1, denoise: false, device: cpu}\n"
                        "lidar: {channels: 4}\nscene: {max_cars: 5, max_moving_cars: 1}\n")
    blend = tmp_path / "lot.blend"
    res = CliRunner().invoke(main, ["scene", "save-blend", "--config", str(cfg_file), "--seed", "4", "--out", str(blend)])
    assert res.exit_code == 0, res.output
    cfg = load_config(cfg_file)
    expected = build_snapshot(sample_scene(cfg.scene, cfg.camera, 4))
    scenario.load_blend(blend)
    got = scenario.export_snapshot(str(blend))
    assert sorted(o.name for o in got.objects) == sorted(o.name for o in expected.objects)
    by_name = {o.name: o for o in got.objects}
    for o in expected.objects:
        g = by_name[o.name]
        assert (g.role, g.material, g.instance_id) == (o.role, o.material, o.instance_id)
        assert np.allclose(g.velocity, o.velocity)
        assert np.allclose(np.sort(g.vertices, axis=0), np.sort(o.vertices, axis=0), atol=1e-4)
    assert np.allclose(got.basestation.position, expected.basestation.position, atol=1e-5)
    assert np.allclose(got.basestation.rotation, expected.basestation.rotation, atol=1e-5)
    # A user scenario previews with the lighting/weather randomisers applied.
    res = CliRunner().invoke(main, ["scene", "preview", "--config", str(cfg_file), "--blend", str(blend), "--png",
                                    str(tmp_path / "u.png")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "u_rgb.png").exists() and (tmp_path / "u.png").stat().st_size > 30_000


def test_snow_settles_on_upward_faces_only(tmp_path):
    """Snow cover whitens surfaces whose normal points up (a slab's top) and leaves vertical faces (a wall facing
    the camera) as they were: the one-BSDF snow blend of materials.material."""
    slab = obj("slab", 101, "static", "asphalt", box((0.0, 8.0, 0.05), (3.0, 3.0, 0.1)))
    wall = obj("wall", 102, "static", "asphalt", box((0.0, 11.0, 1.5), (4.0, 0.2, 3.0)))
    pose = Pose.look_at([0.0, 3.0, 3.0], [0.0, 9.5, 0.5])
    blender = BlenderScene(CAM, RenderConfig(samples=4, denoise=False, device="cpu"))  # a session of its own
    blender.surroundings.hide_render = blender.markings.hide_render = True
    ids = render_passes(SceneSnapshot((slab, wall), pose, pose), Intrinsics.from_config(CAM)).instance
    means = {}
    for kind, cover in (("clear", 0.0), ("snow", 1.0)):
        weather = WeatherSpec(kind, 0.0, 0.0, float("inf"), cover, 0.0)
        spec = SceneSpec(0, 0, (), DAY, weather, pose, CAM)
        blender.realise(spec, SceneSnapshot((slab, wall), pose, pose), np.random.default_rng(0))
        img = blender.render_rgb(tmp_path / f"{kind}.png").astype(float).mean(axis=2)
        means[kind] = {i: float(np.median(img[ids == i])) for i in (101, 102)}
    assert (ids == 101).sum() > 100 and (ids == 102).sum() > 100
    assert means["snow"][101] > means["clear"][101] + 60 and means["snow"][101] > 200, means  # the top turns white
    assert abs(means["snow"][102] - means["clear"][102]) < 0.15 * means["clear"][102] + 8, means  # the wall does not


def test_rain_is_a_falling_field_of_drops_inside_the_view(tmp_path):
    """Rain: one instanced drop per point of a random field, only where the camera sees (image grown by 10 %),
    the same field for the same generator, and falling at the drops' speed between two frames of a sequence."""
    from maxray_gen.blender.build import FALL_SPEED_MPS

    pose = Pose.look_at([0.0, 0.0, 5.0], [0.0, 12.0, 0.0])
    cam = CameraConfig(width=64, height=48, horizontal_fov_deg=70.0)
    blender = BlenderScene(cam, RenderConfig(samples=1, denoise=False, device="cpu"))
    rain = WeatherSpec("rain", 0.5, 10.0, float("inf"), 0.0, 0.5)

    def drops(time_s: float) -> np.ndarray:
        spec = SceneSpec(0, 0, (), DAY, rain, pose, cam, time_s=time_s)
        blender.realise(spec, SceneSnapshot((), pose, pose), np.random.default_rng(4))
        dg = bpy.context.evaluated_depsgraph_get()
        return np.array([tuple(p.location) for o in bpy.data.objects if o.name.startswith("weather_points")
                         for p in o.evaluated_get(dg).particle_systems[0].particles])

    first, again, later = drops(0.0), drops(0.0), drops(0.1)
    assert len(first) > 1000 and np.array_equal(first, again)
    assert Intrinsics.from_config(cam).in_view(first, pose, margin=0.1).all()
    assert len(Intrinsics.from_config(cam).in_view(first, pose).nonzero()[0]) > 0.7 * len(first)
    # the same drops 0.1 s later, FALL_SPEED * 0.1 m lower (those that left the view are gone, others came in)
    fall = FALL_SPEED_MPS["rain"] * 0.1
    key = lambda p: {tuple(np.round(q, 4)) for q in p[:, :2]}  # noqa: E731 - drops keep their x, y
    common = key(first) & key(later)
    assert len(common) > 0.8 * len(later)
    by_xy = {tuple(np.round(q[:2], 4)): q[2] for q in first}
    dz = np.array([by_xy[tuple(np.round(q[:2], 4))] - q[2] for q in later if tuple(np.round(q[:2], 4)) in by_xy])
    assert np.median(dz) == pytest.approx(fall, abs=1e-4)


def test_denoise_quality_reaches_cycles_and_bad_values_are_named(tmp_path):
    BlenderScene(CAM, RenderConfig(samples=1, device="cpu", denoise_quality="high"))
    assert bpy.context.scene.cycles.denoising_quality == "HIGH"
    assert bpy.context.scene.cycles.use_denoising
    BlenderScene(CAM, RenderConfig(device="cpu"))
    c = bpy.context.scene.cycles  # the default quality (docs/performance.md): 6 samples, OIDN FAST
    assert (c.samples, c.denoising_quality, c.use_denoising) == (6, "FAST", True)
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("render: {denoise_quality: best}\n")
    res = CliRunner().invoke(main, ["config", "show", str(cfg)])
    assert res.exit_code == 2, res.output
    assert "render.denoise_quality" in res.stderr and "'fast'" in res.stderr, res.stderr
