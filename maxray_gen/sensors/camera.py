"""Pinhole camera in the shared sensor frame (x right, y down, z forward), matching Blender's camera exactly.

Pixel (u, v) has its centre at (u + 0.5, v + 0.5); horizontal field of view ``hfov``; square pixels; principal
point at the image centre. Blender gets the same camera with sensor fit HORIZONTAL and the same angle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from maxray_gen.geometry import Pose
from maxray_gen.sensors.config import CameraConfig
from maxray_gen.sensors.raycast import RayCaster
from maxray_gen.snapshot import SceneSnapshot


@dataclass(frozen=True)
class Intrinsics:
    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float

    @classmethod
    def from_config(cls, cam: CameraConfig) -> "Intrinsics":
        f = cam.width / 2 / math.tan(math.radians(cam.horizontal_fov_deg) / 2)
        return cls(cam.width, cam.height, f, f, cam.width / 2, cam.height / 2)

    @property
    def matrix(self) -> np.ndarray:
        return np.array([[self.fx, 0, self.cx], [0, self.fy, self.cy], [0, 0, 1.0]])

    def pixel_rays(self) -> np.ndarray:
        """Sensor-frame directions (H, W, 3) through pixel centres, z = 1 (not normalised)."""
        u = (np.arange(self.width) + 0.5 - self.cx) / self.fx
        v = (np.arange(self.height) + 0.5 - self.cy) / self.fy
        uu, vv = np.meshgrid(u, v)
        return np.stack([uu, vv, np.ones_like(uu)], axis=-1)

    def project(self, points_sensor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixel coordinates (N, 2) (continuous, pixel centres at +0.5) and a mask of points in front (z > 0)."""
        p = np.asarray(points_sensor, dtype=np.float64)
        front = p[:, 2] > 1e-6
        z = np.where(front, p[:, 2], np.nan)
        return np.stack([self.fx * p[:, 0] / z + self.cx, self.fy * p[:, 1] / z + self.cy], axis=1), front

    def in_view(self, points_world: np.ndarray, pose: Pose, margin: float = 0.0, near: float = 0.05) -> np.ndarray:
        """Mask of world points that project inside the image grown by ``margin`` (a fraction of its width and
        height on every side) and lie at least ``near`` metres in front of the camera at ``pose``."""
        p = pose.world_to_sensor(np.asarray(points_world, dtype=np.float64))
        uv, front = self.project(p)
        front &= p[:, 2] >= near
        mu, mv = margin * self.width, margin * self.height
        with np.errstate(invalid="ignore"):
            inside = (uv[:, 0] >= -mu) & (uv[:, 0] <= self.width + mu) & (uv[:, 1] >= -mv) & (uv[:, 1] <= self.height + mv)
        return front & inside


@dataclass(frozen=True)
class CameraPasses:
    depth: np.ndarray  # (H, W) float32 metres along the optical axis (planar z), inf for sky
    instance: np.ndarray  # (H, W) int32 instance id, 0 for background
    object_index: np.ndarray  # (H, W) int32 index into snapshot.objects, -1 for background


def render_passes(snapshot: SceneSnapshot, intr: Intrinsics, caster: RayCaster | None = None,
                  pose: Pose | None = None) -> CameraPasses:
    """Depth and instance passes by casting one ray through every pixel centre."""
    pose = snapshot.camera if pose is None else pose
    caster = caster or RayCaster(snapshot)
    rays = intr.pixel_rays().reshape(-1, 3)
    norm = np.linalg.norm(rays, axis=1)
    dirs = (rays / norm[:, None]) @ pose.rotation.T
    t, obj, _ = caster.cast(pose.position[None, :], dirs)
    depth = np.where(np.isfinite(t), t / norm, np.inf).astype(np.float32)  # radial distance -> planar z
    inst = np.where(obj >= 0, caster.instance_ids[np.clip(obj, 0, None)], 0).astype(np.int32)
    shape = (intr.height, intr.width)
    return CameraPasses(depth.reshape(shape), inst.reshape(shape), obj.astype(np.int32).reshape(shape))
