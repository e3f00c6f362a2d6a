"""A range-azimuth map laid onto the ground: polar (range, heatmap azimuth) to world Cartesian, for 3-D views.

Each point of a horizontal grid around the basestation is mapped to the radar coordinates it would be seen at
(slant range and heatmap azimuth, exactly as the groundtruth is: :func:`maxray_gen.radar.coordinates.
world_points_to_radar`) and the map is sampled there (bilinear in bin space, in dB). The inverse mapping means
no holes and no resampling artefacts at long range, and a point target's peak lands on the ground point whose
radar coordinates are the peak's. Echoes of a car come from its body, not from the asphalt, so the grid is
evaluated at ``echo_height_m`` above the ground (0.5 m: a car's bumpers, doors and wheels) and drawn on the
ground: a car's echo then lies under the car instead of being pushed a few tens of centimetres beyond it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import map_coordinates

from maxray_gen.geometry import Pose
from maxray_gen.radar.config import RadarConfig
from maxray_gen.radar.coordinates import world_points_to_radar


@dataclass(frozen=True)
class GroundMap:
    """The map on a horizontal grid: ``xyz`` (ny, nx, 3) world points at ground height, ``db`` (ny, nx) the map
    in dB at each point (NaN outside the radar's range window and field of view)."""

    xyz: np.ndarray
    db: np.ndarray

    @property
    def valid(self) -> np.ndarray:
        return np.isfinite(self.db)


def heading_frame(pose: Pose) -> tuple[np.ndarray, np.ndarray]:
    """Unit world vectors (forward, right) of the radar's boresight and right axis projected onto the ground."""
    fwd = pose.rotation[:, 2].copy()
    fwd[2] = 0.0
    if np.linalg.norm(fwd) < 1e-6:  # looking straight down: use the array's "up" (minus its down axis)
        fwd = -pose.rotation[:, 1].copy()
        fwd[2] = 0.0
    fwd /= np.linalg.norm(fwd)
    right = np.array([fwd[1], -fwd[0], 0.0])
    return fwd, right


def ground_map(range_azimuth: np.ndarray, pose: Pose, cfg: RadarConfig, cell_m: float = 0.2,
               echo_height_m: float = 0.5, ground_z: float = 0.0, dynamic_range_db: float | None = None) -> GroundMap:
    """Project a (linear power) range-azimuth map onto a ground grid of ``cell_m`` spacing covering the radar's
    range window and field of view. ``dynamic_range_db`` clips values below the map's maximum minus it."""
    ra = np.asarray(range_azimuth, dtype=np.float64)
    n_r, n_a = ra.shape
    if n_r != len(cfg.range_axis_m) or n_a != len(cfg.azimuth_axis_rad):
        raise ValueError(f"map shape {ra.shape} does not match the radar configuration "
                         f"({len(cfg.range_axis_m)} ranges x {len(cfg.azimuth_axis_rad)} azimuths)")
    db = 10.0 * np.log10(np.maximum(ra, 1e-30))
    if dynamic_range_db is not None:
        db = np.maximum(db, db.max() - dynamic_range_db)
    r_max = float(cfg.range_axis_m[-1])
    fwd, right = heading_frame(pose)
    f = np.arange(0.0, r_max + cell_m, cell_m)
    s = np.arange(-r_max, r_max + cell_m, cell_m)
    ff, ss = np.meshgrid(f, s, indexing="ij")
    base = pose.position[:2][None, None, :] + ff[..., None] * fwd[:2] + ss[..., None] * right[:2]
    xyz = np.concatenate([base, np.full(ff.shape + (1,), float(ground_z))], axis=-1)
    probe = xyz.copy()
    probe[..., 2] = ground_z + echo_height_m
    rc = world_points_to_radar(probe, pose, cfg)
    rows, cols = rc.range_bin, rc.azimuth_bin
    inside = rc.in_view & (rows >= 0) & (rows <= n_r - 1) & (cols >= 0) & (cols <= n_a - 1)
    vals = map_coordinates(db, [np.where(inside, rows, 0.0).ravel(), np.where(inside, cols, 0.0).ravel()],
                           order=1, mode="nearest").reshape(ff.shape)
    return GroundMap(xyz, np.where(inside, vals, np.nan))


def grid_mesh(gm: GroundMap) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The valid part of a ground map as a triangle mesh: vertices (V, 3), triangles (T, 3) indexing them, and
    the dB value of each vertex (V,). Only cells whose four corners are valid are kept."""
    ny, nx = gm.db.shape
    valid = gm.valid
    cell = valid[:-1, :-1] & valid[1:, :-1] & valid[:-1, 1:] & valid[1:, 1:]
    i, j = np.nonzero(cell)
    idx = (np.arange(ny * nx).reshape(ny, nx))
    a, b, c, d = idx[i, j], idx[i + 1, j], idx[i, j + 1], idx[i + 1, j + 1]
    tris = np.concatenate([np.stack([a, b, d], 1), np.stack([a, d, c], 1)])
    used = np.unique(tris)
    remap = np.full(ny * nx, -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    return gm.xyz.reshape(-1, 3)[used], remap[tris].astype(np.uint32), gm.db.reshape(-1)[used]
