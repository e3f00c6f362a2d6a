"""Radar truth per object, from the engine's per-path attribution (every path records the objects it touched).

For an object: its echo power (sum of |gain|^2 of the paths that touched it), the power-weighted centre of those
paths in (range, heatmap azimuth) and in the heatmap's Cartesian frame (x = r sin(azimuth) to the right, y = r
cos(azimuth) ahead: where a label read off the map lands), the strongest cell of its own echo (its paths' powers
accumulated non-coherently on the heatmap's range x azimuth grid), and its oriented ground rectangle's corners in
the same Cartesian frame (the footprint a label on the right car falls in). A car's echo comes from its near face,
so the centroid sits in front of its centre: these are what a radar-based label should be scored against.
"""

from __future__ import annotations

import numpy as np

from maxray_gen.geometry import Pose, oriented_rectangle
from maxray_gen.radar.config import RadarConfig
from maxray_gen.radar.coordinates import azimuth_to_bin, heatmap_azimuth, range_to_bin, world_points_to_radar
from maxray_gen.radar.paths import PathSet


def polar_xy(range_m: np.ndarray, azimuth_rad: np.ndarray) -> np.ndarray:
    """(..., 2) heatmap-frame Cartesian points of (range, heatmap azimuth)."""
    r, a = np.asarray(range_m, np.float64), np.asarray(azimuth_rad, np.float64)
    return np.stack([r * np.sin(a), r * np.cos(a)], axis=-1)


def footprint_corners(centre: np.ndarray, length: float, width: float, yaw: float) -> np.ndarray:
    """(4, 3) world corners of an object's oriented ground rectangle, at its centre's height."""
    xy = oriented_rectangle(float(centre[0]), float(centre[1]), length, width, yaw)
    return np.column_stack([xy, np.full(4, float(centre[2]))])


def footprint_xy(centre: np.ndarray, length: float, width: float, yaw: float, pose: Pose,
                 cfg: RadarConfig) -> np.ndarray:
    """(4, 2) corners of the footprint in the heatmap's Cartesian frame (seen from the radar at ``pose``)."""
    rc = world_points_to_radar(footprint_corners(centre, length, width, yaw), pose, cfg)
    return polar_xy(rc.range_m, heatmap_azimuth(rc.azimuth_rad, rc.elevation_rad, cfg))


def object_echo(paths: PathSet, instance_id: int, cfg: RadarConfig) -> dict:
    """Echo power, peak bin, centroid (range, azimuth) and centroid (x, y) of one object's paths; NaN without
    paths. Multi-bounce paths count for every object they touched, at their monostatic range (half the length)."""
    mine = paths.touches(instance_id)
    nan2 = np.full(2, np.nan)
    out = {"echo_power": np.nan, "echo_peak_bin": nan2, "echo_centroid": nan2, "echo_centroid_xy": nan2}
    if not mine.any():
        return out
    p = paths.select(mine)
    w = np.abs(p.gain) ** 2
    total = float(w.sum())
    if not total > 0:
        return out
    rng = p.range_m
    haz = heatmap_azimuth(p.aoa_azimuth, p.aoa_elevation, cfg)
    xy = (polar_xy(rng, haz) * w[:, None]).sum(0) / total
    r_c = float(np.hypot(*xy))
    out.update(echo_power=total, echo_centroid_xy=xy, echo_centroid=np.array([r_c, np.arctan2(xy[0], xy[1])]))
    rows = np.rint(range_to_bin(rng, cfg)).astype(np.int64)
    cols = np.rint(azimuth_to_bin(haz, cfg)).astype(np.int64)
    n_r, n_a = len(cfg.range_axis_m), len(cfg.azimuth_axis_rad)
    ok = (rows >= 0) & (rows < n_r) & (cols >= 0) & (cols < n_a)
    if ok.any():
        grid = np.zeros(n_r * n_a)
        np.add.at(grid, rows[ok] * n_a + cols[ok], w[ok])
        k = int(np.argmax(grid))
        out["echo_peak_bin"] = np.array(divmod(k, n_a), dtype=np.float64)
    return out


def fill_radar_truth(objects: np.ndarray, paths: PathSet, pose: Pose, cfg: RadarConfig) -> np.ndarray:
    """Write the radar truth fields of every row of ``objects`` (the shard's object table) in place; returns it."""
    for row in objects:
        echo = object_echo(paths, int(row["instance_id"]), cfg)
        for k, v in echo.items():
            row[k] = v
        d = row["dimensions"]
        row["footprint_xy"] = footprint_xy(row["centre"], float(d[0]), float(d[1]), float(row["yaw"]), pose, cfg)
    return objects
