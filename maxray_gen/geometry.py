"""Coordinate frames shared by camera, radar and lidar.

World frame: right-handed, z up (Blender's). Sensor frame (camera and radar share the basestation pose):
x to the right, y down, z forward along the array boresight / optical axis (the OpenCV camera convention).

Spherical sensor coordinates: range = |p|; azimuth = atan2(x, z), **positive to the right**; elevation =
atan2(-y, hypot(x, z)), positive up. Heatmap columns therefore increase left to right, like image columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def cross3(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Row-wise cross products of (N, 3) arrays (the formula of np.cross, without its per-call overhead: 3x faster
    on the ~50k-face parts of a car)."""
    return np.stack([u[:, 1] * v[:, 2] - u[:, 2] * v[:, 1], u[:, 2] * v[:, 0] - u[:, 0] * v[:, 2],
                     u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]], axis=1)


def face_cross(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(b - a) x (c - a) per triangle (a, b, c): the normal scaled by twice the area."""
    a = vertices[faces[:, 0]]
    return cross3(vertices[faces[:, 1]] - a, vertices[faces[:, 2]] - a)


def direction(azimuth: np.ndarray | float, elevation: np.ndarray | float) -> np.ndarray:
    """Unit vectors (..., 3) in the sensor frame for the given azimuth/elevation (radians)."""
    az = np.asarray(azimuth, dtype=np.float64)
    el = np.asarray(elevation, dtype=np.float64)
    ce = np.cos(el)
    return np.stack(np.broadcast_arrays(ce * np.sin(az), -np.sin(el), ce * np.cos(az)), axis=-1)


def spherical_to_cartesian(rng: np.ndarray | float, azimuth: np.ndarray | float, elevation: np.ndarray | float) -> np.ndarray:
    """Sensor-frame points (..., 3) from range, azimuth, elevation."""
    return np.asarray(rng, dtype=np.float64)[..., None] * direction(azimuth, elevation)


def cartesian_to_spherical(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(range, azimuth, elevation) of sensor-frame points (..., 3)."""
    p = np.asarray(points, dtype=np.float64)
    x, y, z = p[..., 0], p[..., 1], p[..., 2]
    horiz = np.hypot(x, z)
    return np.sqrt(horiz**2 + y**2), np.arctan2(x, z), np.arctan2(-y, horiz)


@dataclass(frozen=True)
class Pose:
    """A sensor pose: ``position`` (3,) in world metres and ``rotation`` (3, 3) whose columns are the sensor's
    x (right), y (down) and z (boresight) axes expressed in world coordinates (world_from_sensor)."""

    position: np.ndarray
    rotation: np.ndarray

    def __post_init__(self) -> None:
        pos = np.asarray(self.position, dtype=np.float64).reshape(3)
        rot = np.asarray(self.rotation, dtype=np.float64).reshape(3, 3)
        if not (np.all(np.isfinite(pos)) and np.all(np.isfinite(rot))):
            raise ValueError("pose contains NaN or infinite values")
        if not np.allclose(rot.T @ rot, np.eye(3), atol=1e-6) or np.linalg.det(rot) < 0:
            raise ValueError("pose rotation is not a proper rotation matrix")
        object.__setattr__(self, "position", pos)
        object.__setattr__(self, "rotation", rot)

    @classmethod
    def look_at(cls, position, target, up=(0.0, 0.0, 1.0)) -> "Pose":
        """Pose at ``position`` with boresight towards ``target`` and image 'up' as close to ``up`` as possible."""
        pos = np.asarray(position, dtype=np.float64)
        fwd = np.asarray(target, dtype=np.float64) - pos
        n = np.linalg.norm(fwd)
        if n == 0:
            raise ValueError("look_at target coincides with the position")
        fwd /= n
        right = np.cross(fwd, np.asarray(up, dtype=np.float64))
        if np.linalg.norm(right) < 1e-9:
            raise ValueError("look_at direction is parallel to 'up'")
        right /= np.linalg.norm(right)
        down = np.cross(fwd, right)
        return cls(pos, np.stack([right, down, fwd], axis=1))

    def world_to_sensor(self, points: np.ndarray) -> np.ndarray:
        """Transform world points (..., 3) into the sensor frame."""
        return (np.asarray(points, dtype=np.float64) - self.position) @ self.rotation

    def sensor_to_world(self, points: np.ndarray) -> np.ndarray:
        """Transform sensor-frame points (..., 3) into the world frame."""
        return np.asarray(points, dtype=np.float64) @ self.rotation.T + self.position

    def vector_to_sensor(self, vectors: np.ndarray) -> np.ndarray:
        """Rotate world vectors (velocities, directions) into the sensor frame."""
        return np.asarray(vectors, dtype=np.float64) @ self.rotation


def sensor_angles(directions_world: np.ndarray, pose: Pose) -> tuple[np.ndarray, np.ndarray]:
    """(azimuth, elevation) in ``pose``'s sensor frame of world direction vectors (N, 3) (need not be unit)."""
    u = pose.vector_to_sensor(directions_world)
    return np.arctan2(u[:, 0], u[:, 2]), np.arctan2(-u[:, 1], np.hypot(u[:, 0], u[:, 2]))


def oriented_extent(vertices: np.ndarray, yaw: float) -> tuple[np.ndarray, tuple[float, float, float]]:
    """Centre (3,) and (length, width, height) of the box around ``vertices`` aligned with heading ``yaw``
    (radians from +x towards +y about the vertical): length along the heading, width across it, height along z."""
    v = np.asarray(vertices, dtype=np.float64).reshape(-1, 3)
    c, s = np.cos(yaw), np.sin(yaw)
    local = np.stack([v[:, 0] * c + v[:, 1] * s, -v[:, 0] * s + v[:, 1] * c, v[:, 2]], axis=1)
    lo, hi = local.min(axis=0), local.max(axis=0)
    mid = (lo + hi) / 2
    centre = np.array([mid[0] * c - mid[1] * s, mid[0] * s + mid[1] * c, mid[2]])
    size = hi - lo
    return centre, (float(size[0]), float(size[1]), float(size[2]))


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, M) intersection over union of boxes ``a`` (N, 4) and ``b`` (M, 4)."""
    a, b = np.asarray(a, float).reshape(-1, 4), np.asarray(b, float).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area_a = np.prod(np.clip(a[:, 2:] - a[:, :2], 0, None), axis=1)
    area_b = np.prod(np.clip(b[:, 2:] - b[:, :2], 0, None), axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def oriented_rectangle(x: float, y: float, length: float, width: float, yaw: float) -> np.ndarray:
    """Corners (4, 2) of a ground rectangle centred at (x, y), ``length`` along its heading ``yaw`` (radians from +x
    towards +y), counter-clockwise from the front-left."""
    c, s = np.cos(yaw), np.sin(yaw)
    local = np.array([[length / 2, width / 2], [-length / 2, width / 2], [-length / 2, -width / 2],
                      [length / 2, -width / 2]])
    return local @ np.array([[c, s], [-s, c]]) + [x, y]
