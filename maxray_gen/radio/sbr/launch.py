"""Ray-tube launch: a spherical wave from the transmitter, cut into tubes aimed only where the radar can see
something.

Directions are a grid in the sensor frame's (azimuth, elevation), split into coarse cells (``cell_deg``). Each
object inside the radar's range (and, for objects above a ground, its mirror image in the ground, so that
radar -> ground -> object paths are launched) marks the cells its bounding box covers, asking for a sub-grid fine
enough that neighbouring tubes are at most ``spacing_m`` apart at the object's far side (and at least
``min_tubes_across`` across a small object). A cell takes the finest
sub-grid any object asks for, so every direction belongs to exactly one tube (no double counting where windows
overlap). A tube of angular widths (d_az cos el, d_el) has cross-section L^2 dOmega after an unfolded length L.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from maxray_gen.errors import ConfigError
from maxray_gen.geometry import Pose
from maxray_gen.radio.sbr.scene import GROUND_ROLES
from maxray_gen.snapshot import SceneSnapshot

FINE_ROLES = ("car", "target", "person", "cyclist", "drone")  # sensing targets: tubes at the fine spacing


@dataclass(frozen=True)
class TubeGrid:
    """Tubes as launch azimuth/elevation in the sensor frame (T,) and angular step (T,) [rad], plus the sensor's
    rotation (world_from_sensor). A tube's direction is s = d(az, el), its unit edge directions u1 = dd/daz /
    cos(el) and u2 = dd/del, its angular widths w1 = step cos(el) and w2 = step; world vectors via ``rotation``
    (evaluated in Dr.Jit by the bounce kernel)."""

    azimuth: np.ndarray
    elevation: np.ndarray
    step: np.ndarray
    rotation: np.ndarray

    def __len__(self) -> int:
        return len(self.azimuth)


def ground_level(snap: SceneSnapshot) -> float | None:
    """Height of the ground (median vertex height of ground-role objects), None without ground."""
    z = [o.vertices[:, 2] for o in snap.objects if o.role in GROUND_ROLES]
    return float(np.median(np.concatenate(z))) if z else None


def object_windows(snap: SceneSnapshot, pose: Pose, range_max_m: float, az_limit: float, el_limit: float
                   ) -> list[tuple[float, float, float, float, float, float, str]]:
    """(az_min, az_max, el_min, el_max, far_range, size, role) per instance the radar can see (sensor frame,
    radians; size: the median extent of its bounding box). The parts of one instance (a car's body, plates,
    lights...) share one window: a car's tube density is set by the car, not by its smallest part."""
    zg = ground_level(snap)
    out = []
    boxes: dict[int, tuple[str, np.ndarray, np.ndarray]] = {}  # instance -> (role of its first part, lo, hi)
    for o in snap.objects:
        if o.role in GROUND_ROLES or len(o.vertices) == 0:
            continue
        lo, hi = o.vertices.min(axis=0), o.vertices.max(axis=0)
        if o.instance_id in boxes:
            role, lo0, hi0 = boxes[o.instance_id]
            lo, hi = np.minimum(lo, lo0), np.maximum(hi, hi0)
        else:
            role = o.role
        boxes[o.instance_id] = (role, lo, hi)
    for role, lo, hi in boxes.values():
        corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
        local = pose.world_to_sensor(corners)
        dist = np.linalg.norm(local, axis=1)
        near = _nearest_box_distance(lo, hi, pose.position)
        if near > range_max_m:
            continue  # every path through it is longer than the range window
        pts = [corners]
        if zg is not None and lo[2] >= zg - 1e-6 and pose.position[2] > zg:
            mirrored = corners.copy()
            mirrored[:, 2] = 2 * zg - mirrored[:, 2]
            pts.append(mirrored)
        local = pose.world_to_sensor(np.concatenate(pts))
        far = min(float(dist.max()), range_max_m)
        size = float(np.median(hi - lo))
        if (local[:, 2] <= 1e-3).any():  # the box reaches beside or behind the sensor: the whole view
            out.append((-az_limit, az_limit, -el_limit, el_limit, far, size, role))
            continue
        az = np.arctan2(local[:, 0], local[:, 2])
        el = np.arctan2(-local[:, 1], np.hypot(local[:, 0], local[:, 2]))
        a0, a1 = max(az.min(), -az_limit), min(az.max(), az_limit)
        e0, e1 = max(el.min(), -el_limit), min(el.max(), el_limit)
        if a0 < a1 and e0 < e1:
            out.append((a0, a1, e0, e1, far, size, role))
    return out


def _nearest_box_distance(lo: np.ndarray, hi: np.ndarray, p: np.ndarray) -> float:
    return float(np.linalg.norm(np.maximum(np.maximum(lo - p, 0), p - hi)))


def tube_grid(snap: SceneSnapshot, pose: Pose, spacing_m: float, range_max_m: float, az_limit: float,
              el_limit: float, cell_deg: float = 0.5, max_tubes: int = 20_000_000, margin_cells: int = 1,
              min_tubes_across: int = 32, structure_spacing_m: float | None = None) -> TubeGrid:
    """The launch tubes for ``snap`` seen from ``pose`` (see module docstring). Small objects get at least
    ``min_tubes_across`` tubes across their median extent (edge quantisation of a 0.1 m plate stays < 0.5 dB); that
    rule is for cars and targets only.
    Objects that are not cars or targets (walls, kerbs, poles) use ``structure_spacing_m`` when given: their
    large flat faces need no fine tubes (the tube shape factor integrates a flat facet exactly)."""
    c = np.radians(cell_deg)
    n_az = int(np.ceil(az_limit / c)) + margin_cells
    n_el = int(np.ceil(el_limit / c)) + margin_cells
    level = np.zeros((2 * n_az, 2 * n_el), np.int64)
    for a0, a1, e0, e1, far, size, role in object_windows(snap, pose, range_max_m, az_limit, el_limit):
        if structure_spacing_m is None or role in FINE_ROLES:
            spacing = min(spacing_m, size / min_tubes_across) if size > 0 else spacing_m
        else:
            spacing = structure_spacing_m
        n = int(np.ceil(c * max(far, 1e-3) / spacing))
        i0 = max(int(np.floor(a0 / c)) - margin_cells + n_az, 0)
        i1 = min(int(np.floor(a1 / c)) + margin_cells + n_az, 2 * n_az - 1)
        j0 = max(int(np.floor(e0 / c)) - margin_cells + n_el, 0)
        j1 = min(int(np.floor(e1 / c)) + margin_cells + n_el, 2 * n_el - 1)
        block = level[i0:i1 + 1, j0:j1 + 1]
        np.maximum(block, n, out=block)
    ci, cj = np.nonzero(level)
    n = level[ci, cj]
    total = int((n * n).sum())
    if total > max_tubes:
        raise ConfigError(f"trace.ray_spacing_m: {spacing_m:g} m would launch {total:,} ray tubes, above "
                          f"trace.max_rays ({max_tubes:,}); use a coarser spacing or raise max_rays (memory grows "
                          "~200 bytes per tube)")
    if total == 0:
        z = np.zeros(0)
        return TubeGrid(z, z, z, pose.rotation)
    starts = np.concatenate([[0], np.cumsum(n * n)[:-1]])
    cell = np.repeat(np.arange(len(n)), n * n)
    local = np.arange(total) - starts[cell]
    nn = n[cell]
    a, b = local // nn, local % nn
    step = c / nn
    az = (ci[cell] - n_az) * c + (a + 0.5) * step
    el = (cj[cell] - n_el) * c + (b + 0.5) * step
    return TubeGrid(az, el, step, pose.rotation)
