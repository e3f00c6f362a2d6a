"""Walking people and drones (issue 36): gait model closed forms, meshes, the scene sampler, labels, and the radar
anchors (3GPP TR 38.901 Rel-19 RCS, the gait's micro-Doppler envelope, rotor blade flashes and tip Doppler)."""

import math

import numpy as np
import pytest
from click.testing import CliRunner

from maxray_gen.cli import main
from maxray_gen.config import Config
from maxray_gen.errors import DataError
from maxray_gen.geometry import Pose
from maxray_gen.primitives import box, signed_volume
from maxray_gen.scene.body_mesh import Tube, tube_pieces
from maxray_gen.scene.config import SceneConfig
from maxray_gen.scene.drones import BLADE_PIECES, HUB_RADIUS_M, ROTOR_RADIUS_M, DroneSpec, drone_objects
from maxray_gen.scene.gait import SHANK, THIGH, Walker
from maxray_gen.scene.lot import build_snapshot
from maxray_gen.scene.people import PersonSpec, body_tubes, person_objects, person_pieces
from maxray_gen.scene.spec import advance, sample_scene
from maxray_gen.sensors.config import CameraConfig
from maxray_gen.snapshot import SceneSnapshot, SnapshotObject

# 3GPP TR 38.901 Rel-19 Table 7.9.2.1-1 (RCS model 1): (sigma_M dBsm, sigma_S dB)
TR_HUMAN, TR_UAV_SMALL = (-1.37, 3.94), (-12.81, 3.74)


# ---- gait model ------------------------------------------------------------------------------------------------
def test_gait_cycle_follows_boulic_closed_forms():
    w = Walker(1.75, 1.4)
    ht = (THIGH + SHANK) * 1.75
    rv = 1.4 / ht
    assert w.cycle_s == pytest.approx(1.346 * math.sqrt(rv) / rv)
    assert w.speed_mps * w.cycle_s == pytest.approx(1.346 * math.sqrt(rv) * ht)  # stride = RLc Ht
    assert 100 < w.cadence_steps_per_min < 125  # adults' usual 100-120 steps/min
    t = np.linspace(0, w.cycle_s, 400, endpoint=False)
    v = w.velocities(t)
    # the spine origin oscillates about the walking speed: one cycle averages to it exactly
    assert v["pelvis"][:, 0].mean() == pytest.approx(1.4, abs=1e-3)
    assert abs(v["pelvis"][:, 1].mean()) < 1e-3 and abs(v["pelvis"][:, 2].mean()) < 1e-3
    # the two feet swing half a cycle apart: the left toe's speed is the right's shifted by half a cycle
    shifted = w.velocities(t + w.cycle_s / 2)["r_toe"][:, 0]
    assert np.allclose(shifted, v["l_toe"][:, 0], atol=1e-6)
    # each foot peaks once per cycle, well above the walking speed
    peaks = v["r_toe"][:, 0]
    assert 2.0 * 1.4 < peaks.max() < 4.5 * 1.4
    assert np.sum((peaks[1:] > 0.8 * peaks.max()) & (peaks[:-1] <= 0.8 * peaks.max())) == 1


def test_feet_touch_the_ground_and_no_part_goes_below_it():
    p = PersonSpec(300, 0.0, 0.0, 0.3, 1.7, 1.3, 0.0)
    lows = [min(v[:, 2].min() for _n, _m, v, _f, _u in person_pieces(p, t))
            for t in np.linspace(0, p.walker.cycle_s, 24, endpoint=False)]
    assert min(lows) == pytest.approx(0.0, abs=0.01)
    assert max(lows) < 0.05  # one foot always near the ground (a kinematic model: the stance foot is not pinned)
    stand = PersonSpec(301, 0.0, 0.0, 0.0, 1.7, 0.0, 0.0)
    verts = np.concatenate([v for _n, _m, v, _f, _u in person_pieces(stand, 0.0)])
    assert verts[:, 2].min() == pytest.approx(0.0, abs=0.01) and verts[:, 2].max() == pytest.approx(1.7, abs=0.03)


def test_walking_model_refuses_speeds_outside_its_range():
    with pytest.raises(ValueError, match="relative velocity"):
        Walker(1.1, 3.0).joints(0.0)  # RV = 3 / 0.54 > 3


# ---- meshes ----------------------------------------------------------------------------------------------------
def test_tube_pieces_close_one_surface_and_move_rigidly():
    tube = Tube("x", "a", "b", (0.2, 0.1), (0.1, 0.1), "skin", pieces=2, sides=24)
    v0, v1 = np.array([1.0, 0.0, 0.0]), np.array([3.0, 0.0, 1.0])
    pieces = tube_pieces(tube, np.zeros(3), np.array([0.0, 0.0, 1.0]), v0, v1, np.array([1.0, 0.0, 0.0]))
    offs = np.cumsum([0] + [len(p.vertices) for p in pieces])
    verts = np.concatenate([p.vertices for p in pieces])
    faces = np.concatenate([p.faces + o for p, o in zip(pieces, offs)])
    vol = signed_volume(verts, faces)
    assert 0.4 * math.pi * 0.075 ** 2 < vol < math.pi * 0.075 ** 2  # outward, about a tapered elliptic tube's
    assert np.allclose(pieces[0].velocity, 0.75 * v0 + 0.25 * v1)  # centre of the first half: s = 1/4
    assert np.allclose(pieces[1].velocity, 0.25 * v0 + 0.75 * v1)


def test_a_person_has_sixteen_segments_in_one_snapshot_with_their_own_velocities():
    assert len(body_tubes(1.75)) == 16
    p = PersonSpec(300, 1.0, 10.0, math.pi / 2, 1.75, 1.4, 0.1)
    objs = person_objects([p], 0.3)
    snap = SceneSnapshot(tuple(objs), Pose.look_at([0, 0, 5], [0, 16, 0])).validate()
    speeds = {o.name: float(np.linalg.norm(o.velocity)) for o in snap.objects}
    assert objs[0].name.endswith("thorax") and 1.0 < speeds[objs[0].name] < 1.8
    assert max(speeds.values()) > 2.0 and min(speeds.values()) < 1.0  # a swinging foot, a planted one
    # heading +y: walking moves the body along +y
    assert objs[0].velocity[1] > 1.0 and abs(objs[0].velocity[0]) < 0.3


def test_cars_still_must_move_as_one():
    a = SnapshotObject("car1_body", 100, "car", "car_paint", *box((0, 10, 1), (4, 2, 1.4)), np.array([1.0, 0, 0]))
    b = SnapshotObject("car1_wheel", 100, "car", "rubber", *box((1, 10, 0.3), (0.6, 0.2, 0.6)), np.zeros(3))
    with pytest.raises(DataError, match="must move together"):
        SceneSnapshot((a, b), Pose.look_at([0, 0, 5], [0, 16, 0])).validate()


def test_drone_fits_the_tr_small_uav_size_and_blades_move_at_omega_r():
    d = DroneSpec(400, 0.0, 10.0, 4.0, 0.4, (1.0, 0.0, 0.0), 100.0)
    objs = drone_objects([d], 0.0)
    v = np.concatenate([o.vertices for o in objs])
    local = (v - d.position(0.0)) @ np.array([[math.cos(0.4), -math.sin(0.4), 0], [math.sin(0.4), math.cos(0.4), 0],
                                                [0, 0, 1]])
    ext = local.max(0) - local.min(0)
    assert np.all(ext <= np.array([0.4, 0.4, 0.2]) + 1e-9) and ext.min() > 0.1  # TR 38.901: 0.3 x 0.4 x 0.2 m
    outer = [o for o in objs if o.name.endswith(f"_{BLADE_PIECES - 1}")]
    assert len(outer) == 4 * d.blades
    r_outer = HUB_RADIUS_M + (ROTOR_RADIUS_M - HUB_RADIUS_M) * (BLADE_PIECES - 0.5) / BLADE_PIECES
    for o in outer:
        rel = np.linalg.norm(o.velocity - [1.0, 0.0, 0.0])
        assert rel == pytest.approx(2 * math.pi * 100.0 * r_outer, rel=0.02)


# ---- scene -----------------------------------------------------------------------------------------------------
def test_lot_places_people_and_drones_clear_of_cars_and_keeps_car_scenes_unchanged():
    cam = CameraConfig()
    cfg = SceneConfig(people=5, drones=2, max_cars=12)
    spec = sample_scene(cfg, cam, 7, 3)
    assert len(spec.people) == 5 and len(spec.drones) == 2
    assert spec.to_dict() == sample_scene(cfg, cam, 7, 3).to_dict()  # deterministic
    plain = sample_scene(SceneConfig(max_cars=12), cam, 7, 3)
    assert plain.cars == spec.cars and plain.lighting == spec.lighting  # their own streams
    assert "people" not in plain.to_dict() and len(spec.to_dict()["people"]) == 5
    from maxray_gen.scene.slots import obb_overlap

    for p in spec.people:
        assert not any(obb_overlap(p.footprint(), c.footprint()) for c in spec.cars)
    for d in spec.drones:
        assert 3.0 <= d.z <= 8.0
    snap = build_snapshot(advance(spec, 0.5))
    roles = {o.instance_id: o.role for o in snap.objects}
    assert sorted(r for r in roles.values() if r in ("person", "drone")).count("person") == 5
    # a walker has moved by speed x time
    p = next(p for p in spec.people if p.speed_mps > 0)
    torso = next(o for o in snap.objects if o.name == f"person{p.instance_id}_thorax")
    ahead = (torso.centroid()[:2] - [p.x, p.y]) @ [math.cos(p.yaw), math.sin(p.yaw)]
    assert ahead == pytest.approx(0.5 * p.speed_mps, abs=0.1)


def test_people_and_drones_get_boxes_truth_classes_and_lidar_returns():
    from maxray_gen.sensors.boxes import instance_boxes
    from maxray_gen.sensors.camera import Intrinsics, render_passes
    from maxray_gen.sensors.groundtruth import instance_truth
    from maxray_gen.sensors.lidar import scan as lidar_scan
    from maxray_gen.snapshot import ROLES

    cfg = Config()
    spec = sample_scene(SceneConfig(people=4, drones=1, max_cars=4, drone_height_m=(3.0, 4.0)), cfg.camera, 2, 0)
    snap = build_snapshot(spec)
    intr = Intrinsics.from_config(cfg.camera)
    passes = render_passes(snap, intr)
    boxes = {b.instance_id: b for b in instance_boxes(snap, passes, intr)}
    truth = {t.instance_id: t for t in instance_truth(snap, cfg.radar)}
    for p in spec.people:
        assert truth[p.instance_id].role == "person" and p.instance_id in boxes
    seen_people = [boxes[p.instance_id] for p in spec.people if boxes[p.instance_id].visible is not None]
    assert seen_people, "no person is in the camera's view"
    assert spec.drones[0].instance_id in truth
    scan = lidar_scan(snap, cfg.lidar, np.random.default_rng(0))
    assert (scan.object_type == ROLES.index("person")).sum() > 0


# ---- bad input -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("snippet, fragments", [
    ("people: -1", ["scene.people", "greater than or equal to 0"]),
    ("drones: -2", ["scene.drones", "greater than or equal to 0"]),
    ("drones: 1\n  drone_height_m: [3, 30]", ["scene.drone_height_m", "30 m", "outside its view",
                                              "trace.elevation_limit_deg = 60"]),
    ("drone_height_m: [5, 2]", ["scene.drone_height_m", "low <= high"]),
    ("people: 2\nradar: {carrier_hz: 28.0e9}", ["scene.people", "'skin'", "55-65 GHz", "28 GHz"]),
])
def test_bad_people_and_drone_settings_give_one_line_and_exit_2(tmp_path, snippet, fragments):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(f"scene:\n  {snippet}\n")
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["generate", str(cfg), "--out", str(out)])
    assert res.exit_code == 2, res.output
    err = res.stderr.strip()
    assert err.count("\n") == 0 and err.startswith(f"error: {cfg}: "), err
    for frag in fragments:
        assert frag in err, (frag, err)
    assert not out.exists()


# ---- cyclists --------------------------------------------------------------------------------------------------
def test_cyclist_rolls_pedals_and_keeps_feet_on_the_pedals():
    from maxray_gen.scene.cyclists import CRANK_M, WHEEL_RADIUS_M, CyclistSpec, cyclist_objects, rider_joints

    c = CyclistSpec(500, 0.0, 10.0, math.pi / 2, 1.75, 5.0, 80.0, 0.4)
    objs = cyclist_objects([c], 0.25)
    snap = SceneSnapshot(tuple(objs), Pose.look_at([0, 0, 5], [0, 16, 0])).validate()
    by = {o.name.split("_", 1)[1]: o for o in snap.objects}
    # a rolling wheel: the tyre on top moves at about 2 v, where it touches the ground at about 0
    tyres = [o for n, o in by.items() if n.startswith("rear_tyre")]
    speeds = np.array([np.linalg.norm(o.velocity) for o in tyres])
    r = WHEEL_RADIUS_M - 0.016
    assert speeds.max() == pytest.approx(5.0 * (1 + r / WHEEL_RADIUS_M * math.cos(math.pi / 16)), rel=0.02)
    assert speeds.min() < 0.6
    lowest = min(o.vertices[:, 2].min() for o in tyres)
    assert lowest == pytest.approx(0.0, abs=0.01)  # on the ground
    # the frame moves at v along the heading (+y)
    assert np.allclose(by["down_tube"].velocity, [0.0, 5.0, 0.0], atol=1e-9)
    # legs: constant segment lengths over the stroke, the ankle circling with the pedal
    lens = []
    for t in np.linspace(0, 60 / 80, 12, endpoint=False):
        j = rider_joints(c, t)
        lens.append((np.linalg.norm(j["r_knee"] - j["r_hip"]), np.linalg.norm(j["r_ankle"] - j["r_knee"])))
    assert np.allclose(lens, [(THIGH * 1.75, SHANK * 1.75)] * 12, rtol=1e-6)
    a0, a1 = rider_joints(c, 0.0)["r_ankle"], rider_joints(c, 30 / 80)["r_ankle"]  # half a crank turn later
    assert np.linalg.norm(a1 - a0) == pytest.approx(2 * CRANK_M, abs=1e-6)


def test_lot_places_cyclists_on_the_lane_and_walkway():
    spec = sample_scene(SceneConfig(cyclists=3, people=2, max_cars=10), CameraConfig(), 5, 1)
    assert len(spec.cyclists) == 3
    from maxray_gen.scene.slots import obb_overlap

    for c in spec.cyclists:
        assert 3.0 <= c.y <= 18.5 and 3.0 <= c.speed_mps <= 7.0 and 60 <= c.cadence_rpm <= 90
        assert not any(obb_overlap(c.footprint(), o.footprint()) for o in spec.cars)
    roles = {o.role for o in build_snapshot(spec).objects}
    assert {"cyclist", "person", "car"} <= roles


def test_rcs_command_measures_a_drone_beside_its_tr_anchor(tmp_path):
    res = CliRunner().invoke(main, ["radar", "rcs", "--shape", "drone", "--range", "10", "--aspects", "0,90,180,270",
                                    "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    rows = (tmp_path / "rcs.csv").read_text().strip().splitlines()
    assert len(rows) == 5 and (tmp_path / "rcs.png").exists()
    assert "drone at 10 m" in res.output


def test_detector_evaluation_scores_cars_and_each_other_class_apart():
    from maxray_gen.detect.evaluate import per_condition
    from maxray_gen.detect.yolo_data import Groundtruth

    car, person = [10.0, 10.0, 60.0, 40.0], [100.0, 20.0, 115.0, 60.0]
    gt = Groundtruth(0, "val", np.array([car, person]), np.zeros(2, bool), "day", "clear", np.array([0, 1]))
    names = {0: "car", 1: "pedestrian", 2: "cyclist", 3: "drone"}
    right = (np.array([car, person]), np.array([0.9, 0.8]), np.array([0, 1]))
    swapped = (np.array([car, person]), np.array([0.9, 0.8]), np.array([1, 0]))  # right boxes, wrong classes
    good = per_condition([(gt, None, right)], names=names)
    bad = per_condition([(gt, None, swapped)], names=names)
    assert set(good) == {"all", "lighting=day", "weather=clear", "class=pedestrian"}
    assert good["all"]["mAP50"] == pytest.approx(1.0) and good["class=pedestrian"]["mAP50"] == pytest.approx(1.0)
    assert good["all"]["objects"] == 1 and good["class=pedestrian"]["objects"] == 1
    assert bad["all"]["mAP50"] == pytest.approx(0.0) and bad["class=pedestrian"]["mAP50"] == pytest.approx(0.0)
    # a one-class (car) model: its detections are cars whatever their index
    one = per_condition([(gt, None, (np.array([car]), np.array([0.9]), np.array([0])))], names={0: "car"})
    assert one["all"]["mAP50"] == pytest.approx(1.0) and one["class=pedestrian"]["mAP50"] == pytest.approx(0.0)


SEQ_MOVERS = """
generate: {seed: 4, shards: 1, samples_per_shard: 4, frames_per_sequence: 4, frame_rate_hz: 10.0, previews: 0,
           radar_products: [range_azimuth, range_doppler]}
camera: {width: 64, height: 48, horizontal_fov_deg: 90.0}
render: {samples: 1, denoise: false, device: cpu}
scene: {max_cars: 3, max_moving_cars: 0, people: 3, people_standing_share: 0.0, cyclists: 1, drones: 1,
        weather: {clear: 1.0}}
lidar: {channels: 4, horizontal_resolution_deg: 2.0}
"""


def test_a_sequence_with_people_writes_classes_doppler_profiles_and_spectrograms(tmp_path):
    pytest.importorskip("bpy")
    from conftest import run
    from maxray_gen.dataset.reader import ShardReader
    from maxray_gen.dataset.schema import SCHEMA_VERSION

    (tmp_path / "c.yaml").write_text(SEQ_MOVERS)
    res = run(["generate", str(tmp_path / "c.yaml"), "--out", str(tmp_path / "ds"), "--no-progress", "--no-previews"])
    assert res.exit_code == 0, res.output
    r = ShardReader(tmp_path / "ds" / "shard-00000.h5")
    assert r.schema_version == SCHEMA_VERSION == 5 and r.has_object_doppler
    frames = [r.sample(i) for i in range(len(r))]
    for f in frames:
        o, d = f["objects"], f["object_doppler"]
        assert d.shape == (len(o), len(r.axes["velocity_mps"]))
        assert set(o["class_id"]) >= {1, 2, 3}  # people, a cyclist, a drone beside the cars
    # a walker in view: its strongest moving Doppler bin near its groundtruth radial velocity
    v = r.axes["velocity_mps"]
    bin_w = float(np.mean(np.diff(v)))
    ok = 0
    for f in frames:
        for o, prof in zip(f["objects"], f["object_doppler"]):
            if o["class_id"] == 1 and o["in_radar_view"] and np.isfinite(prof).all():
                moving = np.abs(v) > 1.01 * bin_w
                ok += abs(v[moving][np.argmax(prof[moving])] - o["radial_velocity_mps"]) <= 2.5 * bin_w
    assert ok >= 2
    png = tmp_path / "md.png"
    res = run(["preview", str(tmp_path / "ds"), "--sequence", "0", "--png", str(png)])
    assert res.exit_code == 0, res.output
    assert png.stat().st_size > 10_000 and "spectrograms" in res.output
    res = run(["preview", str(tmp_path / "ds"), "--sequence", "0"])
    assert res.exit_code == 2 and "--sequence needs --png" in res.output
