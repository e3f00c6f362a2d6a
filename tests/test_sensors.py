"""Camera passes, boxes and lidar against exact geometry (Mitsuba ray casting, no Blender needed)."""

import numpy as np
import pytest

from maxray_gen.geometry import Pose
from maxray_gen.primitives import box, obj, quad
from maxray_gen.sensors.config import CameraConfig, LidarConfig
from maxray_gen.scene.spec import WeatherSpec
from maxray_gen.sensors.boxes import instance_boxes
from maxray_gen.sensors.camera import Intrinsics, render_passes
from maxray_gen.sensors.lidar import lidar_directions, scan
from maxray_gen.sensors.raycast import RayCaster
from maxray_gen.sensors.weather_effects import apply_fog, extinction_per_m
from maxray_gen.snapshot import SceneSnapshot

POSE = Pose.look_at([0.0, 0.0, 1.0], [0.0, 10.0, 1.0])  # looking north, level, z up
CAM = CameraConfig(width=64, height=48, horizontal_fov_deg=60.0)
INTR = Intrinsics.from_config(CAM)


def wall(d=7.0):
    return obj("wall", 1, "building", "concrete", quad([[-50, d, -50], [50, d, -50], [50, d, 50], [-50, d, 50]]))


def test_depth_of_a_plane_at_a_known_distance():
    snap = SceneSnapshot((wall(7.0),), POSE)
    p = render_passes(snap, INTR)
    assert np.allclose(p.depth, 7.0, atol=1e-4)
    assert np.all(p.instance == 1)


def test_boxes_of_a_box_at_a_known_pose_unoccluded_occluded_truncated():
    target = obj("car", 100, "car", "car_paint", box((0.5, 10.0, 1.0), (2.0, 1.0, 1.0)))
    snap = SceneSnapshot((target,), POSE)
    b = instance_boxes(snap, render_passes(snap, INTR), INTR)[0]
    # Analytic projection of the box's corners (x right = world +x, image y down = world -z).
    s = POSE.world_to_sensor(target.vertices)
    u = INTR.fx * s[:, 0] / s[:, 2] + INTR.cx
    v = INTR.fy * s[:, 1] / s[:, 2] + INTR.cy
    assert b.amodal_unclipped == pytest.approx([u.min(), v.min(), u.max(), v.max()])
    assert np.all(np.abs(b.visible - [u.min(), v.min(), u.max(), v.max()]) <= 1.0)
    assert b.visible_fraction == pytest.approx(1.0) and not b.truncated
    # Occluded: a pole-like box in front hides part of it.
    blocker = obj("post", 5, "pole", "metal", box((0.5, 6.0, 1.0), (0.5, 0.2, 3.0)))
    snap2 = SceneSnapshot((target, blocker), POSE)
    p2 = render_passes(snap2, INTR)
    b2 = instance_boxes(snap2, p2, INTR)[0]
    assert 0.3 < b2.visible_fraction < 0.95
    assert b2.amodal == pytest.approx(b.amodal) and b2.amodal_pixels == b.amodal_pixels
    assert b2.visible_pixels == int((p2.instance == 100).sum()) < b.visible_pixels
    # Truncated: far to the right, partly outside the image.
    edge = obj("car", 100, "car", "car_paint", box((5.8, 10.0, 1.0), (2.0, 1.0, 1.0)))
    snap3 = SceneSnapshot((edge,), POSE)
    b3 = instance_boxes(snap3, render_passes(snap3, INTR), INTR)[0]
    assert b3.truncated and b3.amodal[2] == INTR.width and b3.amodal_unclipped[2] > INTR.width
    assert b3.visible[2] == INTR.width


def test_lidar_hits_a_known_box_at_the_right_ranges_and_ids():
    face_y = 9.5
    target = obj("car", 100, "car", "car_paint", box((0.0, 10.0, 1.0), (4.0, 1.0, 2.0)))
    snap = SceneSnapshot((target, obj("ground", 1, "ground", "asphalt", quad([[-60, -60, 0], [60, -60, 0], [60, 60, 0], [-60, 60, 0]]))), POSE)
    cfg = LidarConfig(channels=8, vertical_fov_deg=(-10.0, 10.0), horizontal_fov_deg=30.0, range_noise_m=0.0,
                      dropout=0.0)
    s = scan(snap, cfg, np.random.default_rng(0))
    on_car = s.instance_id == 100
    assert on_car.any() and (s.instance_id[~on_car] == 1).all()
    d = (s.points[on_car] - POSE.position)
    # Front face y = 9.5: each return's range equals the ray's distance to that plane.
    dirs = d / np.linalg.norm(d, axis=1, keepdims=True)
    assert np.allclose(s.range_m[on_car], (face_y - POSE.position[1]) / dirs[:, 1], atol=1e-3)
    assert np.allclose(s.points[on_car][:, 1], face_y, atol=1e-3)
    assert set(np.unique(s.object_type[on_car])) == {0}  # ROLES.index("car")
    n_dirs = len(lidar_directions(cfg, POSE)[0])
    assert n_dirs == 8 * 75


def test_weather_attenuates_lidar_and_adds_clutter():
    snap = SceneSnapshot((wall(30.0),), POSE)
    cfg = LidarConfig(channels=64, vertical_fov_deg=(-5.0, 5.0), horizontal_fov_deg=60.0,
                      horizontal_resolution_deg=0.1, dropout=0.0)
    clear = scan(snap, cfg, np.random.default_rng(0), WeatherSpec("clear", 0, 0, float("inf"), 0, 0))
    fog = scan(snap, cfg, np.random.default_rng(0), WeatherSpec("fog", 0.8, 0, 60.0, 0, 0))
    snow = scan(snap, cfg, np.random.default_rng(0), WeatherSpec("snow", 1.0, 0, 800.0, 1.0, 0.2))
    # two-way Koschmieder survival exp(-2 beta r) of each wall return (r from 30 m on boresight to 34.6 m at the
    # 30 deg edges; 0.020 on boresight) in 60 m visibility; with ~38k clear returns the surviving share is
    # binomial, 4 sigma = 0.003 (a tolerance far below the value itself)
    expected = float(np.mean(np.exp(-2 * extinction_per_m(60.0) * clear.range_m)))
    n = len(clear.points)
    assert n > 30_000
    survived = (fog.object_type >= 0).sum() / n
    assert survived == pytest.approx(expected, abs=4 * np.sqrt(expected * (1 - expected) / n))
    assert (snow.object_type == -1).any() and (clear.object_type >= 0).all()


def test_fog_follows_koschmieder():
    img = np.full((48, 64, 3), 200, np.uint8)
    depth = np.full((48, 64), 50.0, np.float32)
    from maxray_gen.scene.spec import LightingSpec

    day = LightingSpec("day", 45, 0, 3, 1, False)
    out = apply_fog(img, depth, INTR, WeatherSpec("fog", 0.5, 0, 100.0, 0, 0), day)
    t = np.exp(-3.912 / 100.0 * 50.0 * np.linalg.norm(INTR.pixel_rays()[24, 32]))
    assert out[24, 32, 0] == pytest.approx(200 * t + 0.78 * 255 * (1 - t), abs=1.0)
    assert np.array_equal(apply_fog(img, depth, INTR, WeatherSpec("clear", 0, 0, float("inf"), 0, 0), day), img)


def test_passes_are_deterministic():
    from maxray_gen.scene.config import SceneConfig
    from maxray_gen.scene.lot import build_snapshot
    from maxray_gen.scene.spec import sample_scene

    spec = sample_scene(SceneConfig(), CameraConfig(width=80, height=60), 4)
    snap = build_snapshot(spec)
    intr = Intrinsics.from_config(spec.camera)
    a, b = render_passes(snap, intr), render_passes(snap, intr, RayCaster(snap))
    assert np.array_equal(a.depth, b.depth) and np.array_equal(a.instance, b.instance)


def test_in_view_is_the_image_rectangle_grown_by_the_margin():
    cam = CameraConfig(width=64, height=48, horizontal_fov_deg=90.0)
    intr = Intrinsics.from_config(cam)  # fx = 32 px: at 10 m depth the image spans x in [-10, 10], y in [-7.5, 7.5]
    pose = Pose.look_at([0.0, 0.0, 0.0], [0.0, 10.0, 0.0])
    to_world = pose.sensor_to_world
    pts = to_world(np.array([[0, 0, 10], [9.9, 0, 10], [10.1, 0, 10], [0, 7.4, 10], [0, -7.6, 10], [0, 0, -1],
                             [0, 0, 0.01], [11.9, 0, 10], [0, 8.9, 10]], dtype=float))
    assert intr.in_view(pts, pose).tolist() == [True, True, False, True, False, False, False, False, False]
    # grown by 10 % of the width (6.4 px = 2 m at 10 m) and of the height (4.8 px = 1.5 m)
    assert intr.in_view(pts, pose, margin=0.1).tolist() == [True, True, True, True, True, False, False, True, True]
