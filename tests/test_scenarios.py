"""User .blend scenarios built the way people build them: what Cycles renders is what gets exported and labelled;
slots filled with random cars; validate's findings by name; quiet engines. Real bpy, tiny scenes."""

import math
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

bpy = pytest.importorskip("bpy")

from maxray_gen.blender import scenario, session  # noqa: E402
from maxray_gen.cli import main  # noqa: E402
from maxray_gen.config import Config  # noqa: E402
from maxray_gen.primitives import box  # noqa: E402
from maxray_gen.pipeline.sample import objects_table  # noqa: E402
from maxray_gen.pipeline.visual_stage import SceneRenderer  # noqa: E402

CAR_L, CAR_W, CAR_H = 4.2, 1.8, 1.5


def _mesh(name, v, f):
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata([tuple(map(float, p)) for p in v], [], [tuple(map(int, q)) for q in f])
    mesh.update()
    return mesh


def _object(name, data, coll, role=None, material=None, **props):
    ob = bpy.data.objects.new(name, data)
    coll.objects.link(ob)
    if role:
        ob["maxray_role"] = role
        if material:
            ob["maxray_material"] = material
    for k, v in props.items():
        ob[k] = v
    return ob


def _car_asset(scene_coll):
    """A car as an asset collection (body + four wheels as separate tagged parts), excluded from the view layer."""
    asset = bpy.data.collections.new("CarAsset")
    scene_coll.children.link(asset)
    v, f = box((0, 0, 0.25 + (CAR_H - 0.25) / 2), (CAR_L, CAR_W, CAR_H - 0.25))
    _object("body", _mesh("body", v, f), asset, "car", "car_paint")
    for k, (x, y) in enumerate([(1.3, 0.75), (1.3, -0.75), (-1.3, 0.75), (-1.3, -0.75)]):
        wv, wf = box((x, y, 0.3), (0.6, 0.3, 0.6))  # wheels stick out 0.05 m on each side: width 1.8 + 0 (inside)
        _object(f"wheel{k}", _mesh(f"wheel{k}", wv, wf), asset, "car", "rubber")
    return asset


def build_user_blend(path, slots: int = 0, lane: bool = False):
    """A scenario like a user's: nested collections, a parented and rotated object with unapplied scale, unapplied
    Array/Mirror/Bevel modifiers, linked duplicates, n-gons, a car asset instanced twice, a solo car rotated and
    scaled, objects hidden in the viewport and from renders, an untagged truck, optional slots and a lane."""
    session.reset()
    scene = bpy.context.scene
    root = bpy.data.collections.new("Lot")
    scene.collection.children.link(root)
    props = bpy.data.collections.new("Props")
    root.children.link(props)
    _object("Ground", _mesh("ground", [(-30, -5, 0), (30, -5, 0), (30, 45, 0), (-30, 45, 0)], [(0, 1, 2, 3)]),
            root, "ground", "asphalt")
    mount = _object("SignMount", None, props)
    mount.location, mount.rotation_euler = (6.0, 14.0, 0.0), (0.0, 0.0, math.radians(30))
    sign = _object("Sign", _mesh("sign", *box((0, 0, 1.0), (1.0, 1.0, 2.0))), props, "clutter", "metal")
    sign.parent, sign.scale, sign.location = mount, (2.0, 0.5, 1.0), (1.0, 0.0, 0.0)
    fence = _object("Fence", _mesh("fence", *box((0, 0, 0.5), (1.0, 0.1, 1.0))), props, "building", "concrete")
    fence.location = (-12.0, 30.0, 0.0)
    arr = fence.modifiers.new("array", "ARRAY")
    arr.count, arr.relative_offset_displace = 4, (1.2, 0.0, 0.0)
    mirror = fence.modifiers.new("mirror", "MIRROR")
    mirror.use_axis = (False, True, False)
    mirror.mirror_offset_v = 0.0
    fence.modifiers.new("bevel", "BEVEL").width = 0.02
    bollard = _mesh("bollard", *box((0, 0, 0.5), (0.2, 0.2, 1.0)))
    for k, x in enumerate((-4.0, -2.0)):  # linked duplicates: one mesh, two objects
        _object(f"Bollard.{k}", bollard, props, "pole", "metal").location = (x, 8.0, 0.0)
    ring = [(math.cos(a), math.sin(a)) for a in np.linspace(0, 2 * math.pi, 8, endpoint=False)]
    pv = [(0.4 * c, 0.4 * s, z) for z in (0.0, 3.0) for c, s in ring]
    pf = [tuple(range(7, -1, -1)), tuple(range(8, 16))] + [(i, (i + 1) % 8, 8 + (i + 1) % 8, 8 + i) for i in range(8)]
    _object("Pillar", _mesh("pillar", pv, pf), root, "building", "concrete").location = (10.0, 26.0, 0.0)
    asset = _car_asset(scene.collection)
    for name, (x, y), yaw in (("ParkedCar.A", (-3.0, 12.0), 30.0), ("ParkedCar.B", (3.0, 20.0), 90.0)):
        inst = _object(name, None, root)
        inst.instance_type, inst.instance_collection = "COLLECTION", asset
        inst.location, inst.rotation_euler = (x, y, 0.0), (0.0, 0.0, math.radians(yaw))
    solo = _object("SoloCar", _mesh("unit", *box((0, 0, 0.5), (1.0, 1.0, 1.0))), root, "car", "car_paint",
                   maxray_velocity=[1.0, 0.0, 0.0])
    solo.location, solo.rotation_euler, solo.scale = (-8.0, 18.0, 0.0), (0, 0, math.radians(-30)), (CAR_L, CAR_W, CAR_H)
    hidden = _object("HiddenBox", _mesh("hb", *box((0, 0, 0.5), (1.0, 1.0, 1.0))), props, "clutter", "concrete")
    hidden.location, hidden.rotation_euler = (-14.0, 10.0, 0.0), (0, 0, math.radians(20))
    hidden.modifiers.new("array", "ARRAY").count = 2
    ghost = _object("GhostBox", _mesh("gb", *box((0, 0, 0.5), (1.0, 1.0, 1.0))), root, "clutter", "concrete")
    ghost.location, ghost.hide_render = (14.0, 10.0, 0.0), True
    _object("Truck", _mesh("truck", *box((0, 0, 1.5), (8.0, 2.5, 3.0))), root).location = (0.0, 36.0, 0.0)
    # Particle instances: an unrendered hedge emitter scattering 3 tagged shrubs (the shrub lives in the asset
    # collection, excluded from the view layer).
    plants = bpy.data.collections.new("Plants")
    scene.collection.children.link(plants)
    _object("Shrub", _mesh("shrub", *box((0, 0, 0), (0.6, 0.6, 0.6))), plants, "vegetation", "wood")
    hedge = _object("Hedge", _mesh("hedge", [(-3, 0, 0), (3, 0, 0), (3, 1, 0), (-3, 1, 0)], [(0, 1, 2, 3)]), root)
    hedge.location = (-8.0, 27.0, 0.0)
    hedge.show_instancer_for_render = False
    psys = hedge.modifiers.new("shrubs", "PARTICLE_SYSTEM").particle_system
    st = psys.settings
    st.count, st.frame_start, st.frame_end, st.lifetime = 3, 1, 1, 1000
    st.emit_from, st.physics_type, st.render_type = "FACE", "NO", "OBJECT"
    st.instance_object, st.particle_size, st.display_percentage = bpy.data.objects["Shrub"], 1.0, 34
    psys.seed = 11
    # Geometry-nodes instances: a tagged planter whose node tree puts 4 shrubs on a line (2 m apart along x).
    planter = _object("Planter", _mesh("planter", [(0, 0, 0), (1, 0, 0), (0, 1, 0)], [(0, 1, 2)]), root,
                      "vegetation", "wood")
    planter.location = (5.0, 32.0, 0.0)
    ng = bpy.data.node_groups.new("scatter", "GeometryNodeTree")
    ng.interface.new_socket("Geometry", in_out="OUTPUT", socket_type="NodeSocketGeometry")
    line, points = ng.nodes.new("GeometryNodeMeshLine"), ng.nodes.new("GeometryNodeMeshToPoints")
    line.inputs["Count"].default_value, line.inputs["Offset"].default_value = 4, (2.0, 0.0, 0.0)
    on_points, info = ng.nodes.new("GeometryNodeInstanceOnPoints"), ng.nodes.new("GeometryNodeObjectInfo")
    info.inputs["Object"].default_value = bpy.data.objects["Shrub"]
    ng.links.new(line.outputs["Mesh"], points.inputs["Mesh"])
    ng.links.new(points.outputs["Points"], on_points.inputs["Points"])
    ng.links.new(info.outputs["Geometry"], on_points.inputs["Instance"])
    ng.links.new(on_points.outputs["Instances"], ng.nodes.new("NodeGroupOutput").inputs["Geometry"])
    planter.modifiers.new("scatter", "NODES").node_group = ng
    for k in range(slots):
        s = _object(f"Slot.{k}", None, root, "slot")
        s.location, s.rotation_euler = (-10.0 + 2.6 * k, 24.0, 0.0), (0.0, 0.0, math.radians(-90))
    if lane:
        ln = _object("Lane", None, root, "lane", maxray_length_m=14.0)
        ln.location = (0.0, 16.0, 0.0)
    bs = _object("Basestation", None, scene.collection, "basestation")
    bs.location, bs.rotation_euler = (0.0, 0.0, 5.0), (math.radians(75.0), 0.0, 0.0)
    layer = bpy.context.view_layer
    layer.layer_collection.children["CarAsset"].exclude = True
    layer.layer_collection.children["Plants"].exclude = True
    hidden.hide_set(True)
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    session.reset()


@pytest.fixture(scope="module")
def user_blend(tmp_path_factory):
    path = tmp_path_factory.mktemp("scn") / "user.blend"
    build_user_blend(path)
    return path


def _expected_world(ob, matrix=None):
    """Blender's own evaluated mesh of ``ob`` in world coordinates (plain evaluation, object unhidden)."""
    dg = bpy.context.evaluated_depsgraph_get()
    ev = ob.evaluated_get(dg)
    mesh = ev.to_mesh()
    v = np.array([tuple(p.co) for p in mesh.vertices])
    ev.to_mesh_clear()
    m = np.array(matrix if matrix is not None else ob.matrix_world)
    return v @ m[:3, :3].T + m[:3, 3]


def test_export_is_what_cycles_renders(user_blend):
    scenario.load_blend(user_blend)
    snap = scenario.export_snapshot(str(user_blend))
    by_name = {o.name: o for o in snap.objects}
    expected_names = {"Ground", "Sign", "Fence", "Bollard.0", "Bollard.1", "Pillar", "SoloCar", "HiddenBox",
                      *(f"ParkedCar.{c}/{p}" for c in "AB" for p in ("body", "wheel0", "wheel1", "wheel2", "wheel3"))}
    expected_names |= {"Hedge/Shrub", "Hedge/Shrub#1", "Hedge/Shrub#2"}  # all 3 (the viewport shows 34 %)
    expected_names |= {"Planter/instance", *(f"Planter/instance#{k}" for k in (1, 2, 3))}
    assert set(by_name) == expected_names  # no GhostBox (render-hidden), no CarAsset originals, no untagged Truck
    dg = bpy.context.evaluated_depsgraph_get()  # the particles' own positions, from Blender's particle system
    where = np.array([tuple(p.location) for p in bpy.data.objects["Hedge"].evaluated_get(dg).particle_systems[0].particles])
    shrubs = np.array([by_name[n].vertices.mean(axis=0) for n in sorted(expected_names) if n.startswith("Hedge/")])
    assert len(where) == 3 and all(np.abs(where - c).sum(axis=1).min() < 1e-4 for c in shrubs)
    assert len({by_name[n].instance_id for n in expected_names if n.startswith("Hedge/")}) == 3
    planted = sorted(tuple(np.round(by_name[n].vertices.mean(axis=0), 6)) for n in expected_names
                     if n.startswith("Planter/"))
    assert np.allclose(planted, [(5.0 + 2.0 * k, 32.0, 0.0) for k in range(4)], atol=1e-5)
    assert len({by_name[n].instance_id for n in expected_names if n.startswith("Planter/")}) == 4
    bpy.data.objects["HiddenBox"].hide_set(False)  # Blender's own evaluation of it, for the reference
    for name in ("Ground", "Sign", "Fence", "Bollard.0", "Bollard.1", "Pillar", "SoloCar", "HiddenBox"):
        want = _expected_world(bpy.data.objects[name])
        assert by_name[name].vertices.shape == want.shape, name
        assert np.abs(by_name[name].vertices - want).max() < 1e-4, name
    for c in "AB":
        inst = np.array(bpy.data.objects[f"ParkedCar.{c}"].matrix_world)
        for p in ("body", "wheel0"):
            part = bpy.data.objects[p]
            want = _expected_world(part, inst @ np.array(part.matrix_world))
            assert np.abs(by_name[f"ParkedCar.{c}/{p}"].vertices - want).max() < 1e-4
    # Exact geometry checks that do not lean on Blender: the sign's unapplied scale and parent rotation, the
    # fence's array (4 x 1.2 m steps) mirrored across its local y, the pillar's octagons.
    sign = by_name["Sign"].vertices  # 1 x 1 x 2 box scaled (2, 0.5, 1) at (1, 0, 0) in a mount turned 30 deg
    assert np.ptp(sign[:, 2]) == pytest.approx(2.0, abs=1e-6)
    along = (sign[:, :2] - sign[:, :2].mean(axis=0)) @ [math.cos(math.radians(30)), math.sin(math.radians(30))]
    assert np.ptp(along) == pytest.approx(2.0, abs=1e-6)
    centre = sign.mean(axis=0)[:2]
    assert np.allclose(centre, [6.0 + math.cos(math.radians(30)), 14.0 + math.sin(math.radians(30))],
                       atol=1e-5)
    fence = by_name["Fence"].vertices
    assert np.ptp(fence[:, 0]) == pytest.approx(1.0 + 3 * 1.2, abs=1e-5)
    assert np.allclose([fence[:, 1].min(), fence[:, 1].max()], [30.0 - 0.05, 30.0 + 0.05], atol=1e-5)
    assert len(by_name["Pillar"].faces) == 2 * 6 + 8 * 2
    # The linked duplicates are separate objects with separate ids; the instanced car gives two cars.
    ids = {n: o.instance_id for n, o in by_name.items()}
    assert ids["Bollard.0"] != ids["Bollard.1"]
    car_a = {ids[f"ParkedCar.A/{p}"] for p in ("body", "wheel0", "wheel1", "wheel2", "wheel3")}
    car_b = {ids[f"ParkedCar.B/{p}"] for p in ("body", "wheel0", "wheel1", "wheel2", "wheel3")}
    assert len(car_a) == 1 and len(car_b) == 1 and car_a != car_b
    assert len(set(ids.values())) == len(ids) - 8  # 5 parts per instanced car share one id
    assert np.allclose(by_name["SoloCar"].velocity, [1.0, 0.0, 0.0])
    # The user's file is untouched by the render-equivalent evaluation: the hidden object is hidden again.
    scenario.load_blend(user_blend)
    assert bpy.data.objects["HiddenBox"].hide_get()


def test_scenario_car_groundtruth_from_oriented_boxes(user_blend):
    scenario.load_blend(user_blend)
    sc = scenario.export_scenario(str(user_blend))
    renderer = SceneRenderer(Config())
    vs = renderer.sensors(sc.snapshot, None, None, 0, 0)
    vs.headings = sc.headings
    rows = {int(r["instance_id"]): r for r in objects_table(vs)}
    names = {o.name: o.instance_id for o in sc.snapshot.objects}
    for name, yaw in (("ParkedCar.A/body", 30.0), ("ParkedCar.B/body", 90.0), ("SoloCar", -30.0)):
        r = rows[names[name]]
        assert math.degrees(r["yaw"]) == pytest.approx(yaw, abs=1.0), name
        assert np.allclose(r["dimensions"], [CAR_L, CAR_W, CAR_H], atol=0.02), (name, r["dimensions"])


def test_validate_names_each_case(user_blend):
    res = CliRunner().invoke(main, ["scene", "validate", str(user_blend)])
    assert res.exit_code == 0, res.output
    out = res.output
    assert "3 cars" in out
    assert "Truck: rendered but untagged (looks like a vehicle)" in out
    assert "ParkedCar.A: instances 5 object(s), 5 tagged: exported as 1 labelled instance" in out
    assert "HiddenBox: hidden in the viewport but rendered" in out
    assert "GhostBox: tagged 'clutter' but hidden from renders" in out
    assert "CarAsset: collection excluded from the view layer" in out


def test_untagged_file_fails_with_one_line(tmp_path):
    session.reset()
    bpy.context.scene.collection.objects.link(bpy.data.objects.new("Cube", _mesh("c", *box((0, 0, 0), (1, 1, 1)))))
    path = tmp_path / "plain.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    session.reset()
    res = CliRunner().invoke(main, ["scene", "validate", str(path)])
    assert res.exit_code == 2
    assert len(res.stderr.strip().splitlines()) == 1 and "no basestation" in res.stderr


def test_slots_get_random_cars_per_sample(tmp_path):
    path = tmp_path / "slots.blend"
    build_user_blend(path, slots=6, lane=True)
    cfg = Config().model_copy(update={"scene": Config().scene.model_copy(update={
        "blend": str(path), "min_cars": 2, "max_cars": 6, "min_moving_cars": 1, "max_moving_cars": 1})})
    renderer = SceneRenderer(cfg)
    samples = [renderer.sample(3, i, rgb=False) for i in range(4)]
    layouts = [tuple((c.slot, c.body) for c in s.spec.cars) for s in samples]
    assert len(set(layouts)) == 4  # samples differ in cars
    sc = renderer.scenario()
    for s in samples:
        parked = [c for c in s.spec.cars if c.slot >= 0]
        moving = [c for c in s.spec.cars if c.slot < 0]
        assert 2 <= len(parked) <= 5 and len(moving) == 1  # room kept for the moving car
        for c in parked:
            slot = sc.slots[c.slot]
            assert math.hypot(c.x - slot.x, c.y - slot.y) <= cfg.scene.slot_jitter_m * math.sqrt(2) + 1e-9
            turn = (c.yaw - slot.yaw) % (2 * math.pi)
            assert min(turn, abs(turn - math.pi), 2 * math.pi - turn) < math.radians(15)
        car_ids = {t.instance_id for t in s.truth if t.role == "car"}
        assert car_ids >= {c.instance_id for c in s.spec.cars} and len(car_ids) == 3 + len(s.spec.cars)
        assert abs(moving[0].y - 16.0) == pytest.approx(1.4) and abs(moving[0].x) <= 7.0
    again = SceneRenderer(cfg).sample(3, 2, rgb=False)
    assert again.snapshot.geometry_hash() == samples[2].snapshot.geometry_hash()  # deterministic


def test_scenario_generate_is_deterministic_resumable_and_quiet(tmp_path):
    blend = tmp_path / "slots.blend"
    build_user_blend(blend, slots=4, lane=True)
    cfg = tmp_path / "scn.yaml"
    cfg.write_text("camera: {width: 48, height: 32}\nrender: {samples: 1, denoise: false, device: cpu}\n"
                   "lidar: {channels: 4}\ngenerate: {shards: 2, samples_per_shard: 1, previews: 0}\n"
                   "scene: {blend: slots.blend, max_cars: 4, max_moving_cars: 1}\n"
                   "trace: {max_depth: 3}\n")

    def run(out, *extra):
        return subprocess.run([sys.executable, "-m", "maxray_gen", "generate", str(cfg), "--out", str(out), *extra],
                              capture_output=True, text=True, cwd=tmp_path, timeout=900)

    first = run(tmp_path / "a", "--shard-ids", "0")
    assert first.returncode == 0, first.stderr[-3000:]
    resumed = run(tmp_path / "a")
    fresh = run(tmp_path / "b")
    assert resumed.returncode == 0 and fresh.returncode == 0, resumed.stderr[-3000:] + fresh.stderr[-3000:]
    assert "skipped (already done) [0]" in resumed.stdout
    import json

    ma = json.loads((tmp_path / "a" / "manifest.json").read_text())
    mb = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert len(ma["shards"]) == 2
    assert [v["content_hash"] for _, v in sorted(ma["shards"].items())] == \
        [v["content_hash"] for _, v in sorted(mb["shards"].items())]
    for proc in (first, resumed, fresh):  # only our own output on the terminal
        text = proc.stdout + proc.stderr
        assert "Saved:" not in text and "CUEW" not in text and "HIPEW" not in text, text[-2000:]
    logs = list((tmp_path / "b" / "logs").glob("engines-*.log"))
    assert logs and "Saved:" in logs[0].read_text()
    assert str(logs[0]) in fresh.stdout


def test_preview_with_relative_paths(tmp_path, monkeypatch):
    build_user_blend(tmp_path / "user.blend", slots=3)
    (tmp_path / "c.yaml").write_text("camera: {width: 48, height: 32}\n"
                                     "render: {samples: 1, denoise: false, device: cpu}\nlidar: {channels: 4}\n"
                                     "scene: {min_cars: 3, max_cars: 3, max_moving_cars: 0}\n")
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["scene", "preview", "--config", "c.yaml", "--blend", "user.blend",
                                    "--png", "out/p.png"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "out" / "p.png").stat().st_size > 10_000 and (tmp_path / "out" / "p_rgb.png").exists()


def test_a_saved_rainy_lot_is_a_usable_scenario(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("camera: {width: 48, height: 32}\nrender: {samples: 1, denoise: false, device: cpu}\n"
                   "scene: {max_cars: 3, weather: {rain: 1.0}}\n")
    blend = tmp_path / "wet.blend"
    assert CliRunner().invoke(main, ["scene", "save-blend", "--config", str(cfg), "--out", str(blend)]).exit_code == 0
    scenario.load_blend(blend)
    snap = scenario.export_snapshot(str(blend))  # the rain is drawn per sample, not baked into the file
    assert {o.material for o in snap.objects if o.role in ("ground", "clutter")} == {"asphalt", "concrete"}
    bpy.data.objects["ground"]["maxray_material"] = "asphalt~wet0.50~snow0.00"  # a permanently wet ground is valid
    assert scenario.problems() == []
    bpy.data.objects["ground"]["maxray_material"] = "asphalt~damp"
    assert scenario.problems() == ["ground: unknown maxray_material 'asphalt~damp'"]
