"""Coordinate conventions, groundtruth bins and their round trips."""

import numpy as np
import pytest

from maxray_gen.geometry import Pose, cartesian_to_spherical, direction, spherical_to_cartesian
from maxray_gen.radar import coordinates as gt
from maxray_gen.radar.processing import heatmaps
from maxray_gen.radar.targets import point_targets
from tests.conftest import make_config


def test_spherical_round_trip_and_signs():
    rng = np.random.default_rng(0)
    r, az, el = rng.uniform(1, 50, 100), rng.uniform(-1.5, 1.5, 100), rng.uniform(-1.2, 1.2, 100)
    back = cartesian_to_spherical(spherical_to_cartesian(r, az, el))
    for a, b in zip(back, (r, az, el)):
        assert np.allclose(a, b)
    # x right, y down, z forward: a point to the right has positive azimuth, one above positive elevation.
    assert cartesian_to_spherical(np.array([1.0, 0.0, 5.0]))[1] > 0
    assert cartesian_to_spherical(np.array([0.0, -1.0, 5.0]))[2] > 0
    assert np.allclose(direction(0.0, 0.0), [0, 0, 1])


def test_look_at_pose_and_world_round_trip():
    pose = Pose.look_at([0.0, -10.0, 5.0], [0.0, 10.0, 0.0])
    assert np.allclose(pose.rotation @ [0, 0, 1], np.array([0, 20, -5]) / np.hypot(20, 5))
    pts = np.random.default_rng(1).uniform(-20, 20, (50, 3))
    assert np.allclose(pose.sensor_to_world(pose.world_to_sensor(pts)), pts)
    # Looking along +y from the south with z up: world +x is to the sensor's right.
    s = pose.world_to_sensor(np.array([[3.0, 10.0, 0.0]]))
    assert s[0, 0] > 0
    with pytest.raises(ValueError, match="parallel"):
        Pose.look_at([0, 0, 0], [0, 0, 5])


def test_bins_round_trip_for_both_grids():
    for grid in ("uniform_angle", "uniform_sine"):
        cfg = make_config(azimuth_grid=grid)
        idx = np.linspace(0, cfg.azimuth_bins - 1, 17)
        assert np.allclose(gt.azimuth_to_bin(gt.bin_to_azimuth(idx, cfg), cfg), idx)
        assert np.allclose(gt.azimuth_to_bin(cfg.azimuth_axis_rad, cfg), np.arange(cfg.azimuth_bins))
    cfg = make_config()
    assert np.allclose(gt.range_to_bin(cfg.range_axis_m, cfg), np.arange(len(cfg.range_axis_m)))
    assert gt.range_to_bin(12.0, cfg) + cfg.range_bin_slice.start == pytest.approx(12.0 / cfg.range_bin_m)
    assert np.allclose(gt.bin_to_range(gt.range_to_bin([6.0, 20.5], cfg), cfg), [6.0, 20.5])
    assert cfg.doppler_axis_mps[int(round(gt.velocity_to_bin(1.25, cfg)))] == pytest.approx(1.25, abs=0.01)


def test_world_target_to_the_right_of_the_camera_peaks_on_the_right_at_its_bins():
    cfg = make_config(noise={"model": "none"})
    pose = Pose.look_at([0.0, 0.0, 4.0], [0.0, 20.0, 4.0])  # horizontal boresight along +y, z up
    target = np.array([5.0, 15.0, 4.0])  # 5 m to the east = to the right when looking north
    c = gt.world_points_to_radar(target, pose, cfg)
    assert c.azimuth_rad > 0 and c.in_view
    s = pose.world_to_sensor(target)
    paths = point_targets(c.range_m, c.azimuth_rad, c.elevation_rad)
    ra = heatmaps(paths, cfg).range_azimuth
    i, j = np.unravel_index(ra.argmax(), ra.shape)
    assert abs(i - c.range_bin) <= 0.5 and abs(j - c.azimuth_bin) <= 0.5
    assert j > ra.shape[1] / 2
    assert s[0] > 0  # same side in the camera image (x right)


def test_heatmap_azimuth_of_targets_off_the_beam_elevation():
    cfg = make_config(noise={"model": "none"}, elevation_mode="noncoherent", elevation_steer_deg=0.0)
    az, el = np.radians(35.0), np.radians(-25.0)
    haz = gt.heatmap_azimuth(az, el, cfg)
    assert haz < az  # the cone effect pulls off-elevation targets towards boresight
    ra = heatmaps(point_targets(14.0, az, el), cfg).range_azimuth
    j = np.unravel_index(ra.argmax(), ra.shape)[1]
    assert abs(j - gt.azimuth_to_bin(haz, cfg)) <= 0.5


def test_radial_velocity_sign():
    pose = Pose.look_at([0.0, 0.0, 2.0], [0.0, 10.0, 2.0])
    p = np.array([[0.0, 10.0, 2.0]])
    assert gt.radial_velocity(p, np.array([[0.0, -3.0, 0.0]]), pose)[0] == pytest.approx(3.0)  # approaching
    assert gt.radial_velocity(p, np.array([[2.0, 0.0, 0.0]]), pose)[0] == pytest.approx(0.0)
