"""Issue 32's metrics on hand-made cases: distances to an oriented footprint, to the radar centroid, and whether a
prediction found the right car."""

import numpy as np
import pytest

from maxray_gen.geometry import oriented_rectangle
from maxray_gen.learn.experiments.target_metrics import polygon_distance, summarise, target_metrics

SQUARE = np.array([[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0]])


def test_distance_to_a_footprint_is_zero_inside_and_euclidean_outside():
    pts = np.array([[1.0, 1.0], [2.0, 1.0], [3.0, 1.0], [3.0, 3.0], [-1.0, -2.0]])
    got = polygon_distance(pts, np.repeat(SQUARE[None], len(pts), 0))
    assert got == pytest.approx([0.0, 0.0, 1.0, np.sqrt(2.0), np.sqrt(5.0)])
    # clockwise corners and a car turned by 30 deg: the same answers in its own frame
    car = oriented_rectangle(10.0, 20.0, 4.0, 2.0, np.radians(30))
    c, s = np.cos(np.radians(30)), np.sin(np.radians(30))
    ahead = np.array([10.0, 20.0]) + 3.0 * np.array([c, s])  # 1 m beyond its front (half length 2 m)
    side = np.array([10.0, 20.0]) + 1.5 * np.array([-s, c])  # 0.5 m beside it (half width 1 m)
    got = polygon_distance(np.array([ahead, side, [10.0, 20.0]]), np.repeat(car[None, ::-1], 3, 0))
    assert got == pytest.approx([1.0, 0.5, 0.0])
    assert np.isnan(polygon_distance(np.zeros((1, 2)), np.full((1, 4, 2), np.nan))[0])


def test_right_car_needs_the_target_near_and_nearer_than_any_other():
    target = oriented_rectangle(0.0, 10.0, 4.5, 1.8, 0.0)
    neighbour = oriented_rectangle(0.0, 12.6, 4.5, 1.8, 0.0)  # parked beside it, 0.8 m gap
    pred = np.array([[0.0, 10.5],    # on the target
                     [0.0, 11.2],    # 0.3 m off the target's side, 0.5 m from the neighbour: right
                     [0.0, 11.6],    # 0.7 m off: too far
                     [0.0, 11.45],   # 0.55 from target? no: 0.55 > 0.5
                     [3.0, 10.0]])   # 0.75 beyond its front, no neighbour there
    n = len(pred)
    m = target_metrics(pred, np.tile([0.0, 10.0], (n, 1)), np.repeat(target[None], n, 0),
                       np.tile([0.0, 9.2], (n, 1)), [neighbour[None]] * n)
    assert m["footprint_m"] == pytest.approx([0.0, 0.3, 0.7, 0.55, 0.75])
    assert m["right_car"].tolist() == [True, True, False, False, False]
    assert m["centroid_m"] == pytest.approx(np.hypot(pred[:, 0] - 0.0, pred[:, 1] - 9.2))
    assert m["centre_m"] == pytest.approx(np.hypot(pred[:, 0], pred[:, 1] - 10.0))
    # nearer the neighbour than the target: the wrong car, however close
    m = target_metrics(np.array([[0.0, 11.5]]), [[0.0, 10.0]], target[None], [[np.nan, np.nan]],
                       [oriented_rectangle(0.0, 12.2, 4.5, 1.0, 0.0)[None]])
    assert not m["right_car"][0] and np.isnan(m["centroid_m"][0])
    s = summarise(target_metrics(pred, np.tile([0.0, 10.0], (n, 1)), np.repeat(target[None], n, 0),
                                 np.tile([0.0, 9.2], (n, 1)), [np.zeros((0, 4, 2))] * n))
    assert s["n"] == 5 and s["right_car"] == pytest.approx(2 / 5)  # without neighbours: within 0.5 m
    assert s["median_footprint_m"] == pytest.approx(0.55) and s["median_cartesian_m"] == pytest.approx(1.45)


def test_an_image_box_projects_onto_the_ground_where_its_bottom_meets_it():
    # camera (the basestation's sensor frame) 4 m up looking north; a box whose bottom-centre pixel sees the
    # ground 12 m ahead and 3 m right lands there in the radar's heatmap frame (range to that ground point)
    from maxray_gen.config import load_config
    from maxray_gen.geometry import Pose
    from maxray_gen.learn.experiments.evaluate import box_ground_positions
    from maxray_gen.sensors.camera import Intrinsics

    cfg = load_config(None)
    h, ahead, right = 4.0, 12.0, 3.0
    pose = Pose.look_at([0.0, 0.0, h], [0.0, 10.0, h])
    intr = Intrinsics.from_config(cfg.camera)
    u = intr.cx + intr.fx * right / ahead
    v = intr.cy + intr.fy * h / ahead
    boxes = np.array([[u - 20, v - 30, u + 20, v], [u - 20, intr.cy - 50, u + 20, intr.cy - 10]])
    got = box_ground_positions(boxes, [pose, pose], cfg.camera, cfg.radar)
    r = np.sqrt(ahead ** 2 + right ** 2 + h ** 2)  # the radar's range to the ground point
    assert np.hypot(*got[0]) == pytest.approx(r, abs=1e-6)
    # the heatmap's azimuth is the array's cone angle, asin(x / r): the point sits 3 m right of the radar's plane
    assert got[0] == pytest.approx([right, np.sqrt(r ** 2 - right ** 2)], abs=1e-6)
    assert np.isnan(got[1]).all()  # a box bottom above the horizon never meets the ground
