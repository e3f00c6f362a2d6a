"""Groundtruth in radar coordinates: positions -> (range, azimuth, elevation) -> fractional heatmap bins, and back.

Fractional bin index i + f means "between the centres of bins i and i+1", so ``round(index)`` is the bin a
point target's peak falls in. Azimuth in the heatmap is where the elevation beam sees a direction: the horizontal
direction cosine u_x mapped back onto the beam's cone, arcsin(u_x / cos(elevation_steer)); it equals the true
azimuth for targets at the steered elevation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from maxray_gen.geometry import Pose, cartesian_to_spherical, direction
from maxray_gen.radar.config import RadarConfig


@dataclass(frozen=True)
class RadarCoordinates:
    """Radar-frame coordinates of points and their fractional bin indices in the range-azimuth heatmap."""

    range_m: np.ndarray
    azimuth_rad: np.ndarray
    elevation_rad: np.ndarray
    range_bin: np.ndarray  # fractional index into RadarConfig.range_axis_m
    azimuth_bin: np.ndarray  # fractional index into RadarConfig.azimuth_axis_rad
    in_view: np.ndarray  # inside the range window and the azimuth field of view


def heatmap_azimuth(azimuth: np.ndarray, elevation: np.ndarray, cfg: RadarConfig) -> np.ndarray:
    """Azimuth at which a direction appears in the range-azimuth map (see module docstring)."""
    ux = direction(azimuth, elevation)[..., 0]
    return np.arcsin(np.clip(ux / np.cos(np.radians(cfg.elevation_steer_deg)), -1.0, 1.0))


def _uniform_coordinate(azimuth: np.ndarray, cfg: RadarConfig) -> np.ndarray:
    return np.asarray(azimuth) if cfg.azimuth_grid == "uniform_angle" else np.sin(azimuth)


def range_to_bin(range_m: np.ndarray, cfg: RadarConfig) -> np.ndarray:
    """Fractional heatmap row of a range."""
    return np.asarray(range_m) / cfg.range_bin_m - cfg.range_bin_slice.start


def bin_to_range(index: np.ndarray, cfg: RadarConfig) -> np.ndarray:
    return (np.asarray(index, dtype=np.float64) + cfg.range_bin_slice.start) * cfg.range_bin_m


def azimuth_to_bin(azimuth: np.ndarray, cfg: RadarConfig) -> np.ndarray:
    """Fractional heatmap column of a (heatmap) azimuth."""
    axis = _uniform_coordinate(cfg.azimuth_axis_rad, cfg)
    step = (axis[-1] - axis[0]) / (len(axis) - 1)
    return (_uniform_coordinate(np.asarray(azimuth, dtype=np.float64), cfg) - axis[0]) / step


def bin_to_azimuth(index: np.ndarray, cfg: RadarConfig) -> np.ndarray:
    axis = _uniform_coordinate(cfg.azimuth_axis_rad, cfg)
    u = axis[0] + np.asarray(index, dtype=np.float64) * (axis[-1] - axis[0]) / (len(axis) - 1)
    return u if cfg.azimuth_grid == "uniform_angle" else np.arcsin(np.clip(u, -1, 1))


def velocity_to_bin(velocity_mps: np.ndarray, cfg: RadarConfig) -> np.ndarray:
    """Fractional index into ``doppler_axis_mps`` of a radial velocity (positive = approaching)."""
    return np.asarray(velocity_mps) / cfg.velocity_bin_mps + cfg.doppler_fft_size // 2


def sensor_points_to_radar(points: np.ndarray, cfg: RadarConfig) -> RadarCoordinates:
    """Radar coordinates and bins of sensor-frame points (..., 3)."""
    r, az, el = cartesian_to_spherical(points)
    haz = heatmap_azimuth(az, el, cfg)
    fov = np.radians(cfg.azimuth_fov_deg)
    in_view = (r >= cfg.range_axis_m[0]) & (r <= cfg.range_axis_m[-1]) & (np.abs(haz) <= fov)
    return RadarCoordinates(r, az, el, range_to_bin(r, cfg), azimuth_to_bin(haz, cfg), in_view)


def world_points_to_radar(points: np.ndarray, pose: Pose, cfg: RadarConfig) -> RadarCoordinates:
    """Radar coordinates and bins of world points (..., 3) seen from the basestation ``pose``."""
    return sensor_points_to_radar(pose.world_to_sensor(points), cfg)


def radial_velocity(points: np.ndarray, velocities: np.ndarray, pose: Pose) -> np.ndarray:
    """Radial velocity of world points moving at world ``velocities``; positive = approaching the radar."""
    rel = np.asarray(points, dtype=np.float64) - pose.position
    unit = rel / np.linalg.norm(rel, axis=-1, keepdims=True)
    return -np.sum(unit * np.asarray(velocities, dtype=np.float64), axis=-1)
