"""2-D boxes per instance from the camera passes (visible) and the projected geometry (amodal).

Boxes are pixel-edge coordinates [x0, y0, x1, y1] (pixel u covers [u, u+1)). ``visible`` comes from the
instance pass; ``amodal`` is the projected extent of the instance's full geometry, clipped to the image, with
``truncated`` set when the unclipped extent leaves the image. ``visible_fraction`` = visible pixels / pixels the
instance would cover alone (rays peeled through occluders until they reach it): occlusion-aware and exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from maxray_gen.geometry import Pose
from maxray_gen.sensors.camera import CameraPasses, Intrinsics
from maxray_gen.sensors.raycast import RayCaster
from maxray_gen.snapshot import LABELLED_ROLES, SceneSnapshot


@dataclass(frozen=True)
class InstanceBox:
    instance_id: int
    visible: np.ndarray | None  # (4,) or None when not visible
    amodal: np.ndarray | None  # (4,) clipped to the image, None when entirely outside
    amodal_unclipped: np.ndarray | None
    visible_pixels: int
    amodal_pixels: int
    visible_fraction: float
    truncated: bool


def mask_box(mask: np.ndarray) -> np.ndarray | None:
    ys, xs = np.nonzero(mask)
    if xs.size == 0:
        return None
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=np.float64)


def _covers(caster: RayCaster, origin: np.ndarray, dirs: np.ndarray, target: np.ndarray, layers: int = 16) -> np.ndarray:
    """Which rays would hit their ``target`` instance if everything else were transparent (peeling through
    occluders, all rays of all instances in one batch per layer)."""
    hit = np.zeros(len(dirs), dtype=bool)
    active = np.arange(len(dirs))
    origins = np.broadcast_to(origin, dirs.shape).copy()
    for _ in range(layers):
        if active.size == 0:
            break
        t, obj, _ = caster.cast(origins[active], dirs[active])
        inst = np.where(obj >= 0, caster.instance_ids[np.clip(obj, 0, None)], -1)
        found = inst == target[active]
        hit[active[found]] = True
        go_on = np.isfinite(t) & ~found
        active = active[go_on]
        origins[active] = origins[active] + dirs[active] * (t[go_on, None] + 1e-4)
    return hit


def instance_boxes(snapshot: SceneSnapshot, passes: CameraPasses, intr: Intrinsics, pose: Pose | None = None,
                   roles: tuple[str, ...] = LABELLED_ROLES, caster: RayCaster | None = None) -> list[InstanceBox]:
    """Boxes of every instance with one of ``roles``."""
    pose = snapshot.camera if pose is None else pose
    caster = caster or RayCaster(snapshot)
    ids = sorted({o.instance_id for o in snapshot.objects if o.role in roles})
    pending = []  # (iid, visible box, vis pixels, unclipped, truncated, pixel window)
    out: dict[int, InstanceBox] = {}
    all_dirs, all_target = [], []
    pixel_rays = intr.pixel_rays()
    for iid in ids:
        verts = snapshot.instance_vertices(iid)
        uv, front = intr.project(pose.world_to_sensor(verts))
        vis_mask = passes.instance == iid
        visible, vis_px = mask_box(vis_mask), int(vis_mask.sum())
        if not front.any():
            out[iid] = InstanceBox(iid, visible, None, None, vis_px, 0, 0.0, False)
            continue
        behind = not front.all()
        p = uv[front]
        unclipped = np.array([p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max()])
        if behind:  # part of the instance is behind the camera plane: its image reaches the border
            unclipped = np.array([-np.inf, unclipped[1], np.inf, unclipped[3]])
        clipped = np.clip(unclipped, 0, [intr.width, intr.height, intr.width, intr.height])
        truncated = bool(behind or (unclipped[:2] < 0).any() or unclipped[2] > intr.width or unclipped[3] > intr.height)
        if clipped[2] <= clipped[0] or clipped[3] <= clipped[1]:
            out[iid] = InstanceBox(iid, visible, None, unclipped, vis_px, 0, 0.0, truncated)
            continue
        x0, y0 = int(np.floor(clipped[0])), int(np.floor(clipped[1]))
        x1, y1 = int(np.ceil(clipped[2])), int(np.ceil(clipped[3]))
        rays = pixel_rays[y0:y1, x0:x1].reshape(-1, 3)
        all_dirs.append(rays / np.linalg.norm(rays, axis=1, keepdims=True) @ pose.rotation.T)
        all_target.append(np.full(len(rays), iid))
        pending.append((iid, visible, vis_px, unclipped, truncated, (x0, y0, x1, y1)))
    if pending:
        covered = _covers(caster, pose.position, np.concatenate(all_dirs), np.concatenate(all_target))
        start = 0
        for iid, visible, vis_px, unclipped, truncated, (x0, y0, x1, y1) in pending:
            n = (x1 - x0) * (y1 - y0)
            alone = covered[start:start + n].reshape(y1 - y0, x1 - x0)
            start += n
            amodal_px = int(alone.sum())
            amodal_box = mask_box(alone)
            if amodal_box is not None:
                amodal_box = amodal_box + [x0, y0, x0, y0]
            frac = vis_px / amodal_px if amodal_px else 0.0
            out[iid] = InstanceBox(iid, visible, amodal_box, unclipped, vis_px, amodal_px, float(min(frac, 1.0)),
                                   truncated)
    return [out[i] for i in ids]
