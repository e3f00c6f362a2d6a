"""User scenarios from .blend files: load safely, read the maxray tags, export a SceneSnapshot.

Tagging convention (docs/scenarios.md), as custom properties on objects:

- ``maxray_role``: car, ground, building, clutter, pole, target, vegetation, or ``basestation`` / ``camera``;
- ``maxray_material``: a radio material name (maxray_gen.radio.materials) on every mesh with a role;
- ``maxray_instance_id`` (optional int > 0; parts of one car share it; default: one per object);
- ``maxray_velocity`` (optional [vx, vy, vz] m/s, world frame).

The basestation is an object (empty or camera) with ``maxray_role = "basestation"``; its local -z axis is the
array boresight and +y is up (Blender's camera convention). The camera is the object tagged ``camera`` or, when
there is none, the basestation itself. Untagged objects are ignored (with their names reported by ``validate``).
Files are opened with Python auto-execution off, so scripts embedded in a .blend never run.
"""

from __future__ import annotations

from pathlib import Path

import bpy
import numpy as np

from maxray_gen.blender.build import CAMERA_FROM_SENSOR
from maxray_gen.errors import DataError
from maxray_gen.geometry import Pose
from maxray_gen.radio.materials import MATERIALS
from maxray_gen.snapshot import ROLES, SceneSnapshot, SnapshotObject

SENSOR_ROLES = ("basestation", "camera")


def load_blend(path: str | Path) -> None:
    """Open a .blend file as the current session, never running its embedded scripts."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    bpy.context.preferences.filepaths.use_scripts_auto_execute = False
    try:
        bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False, use_scripts=False)
    except RuntimeError as exc:
        raise DataError(f"{path}: not a readable .blend file ({str(exc).strip().splitlines()[-1]})") from None


def _pose(ob: bpy.types.Object) -> Pose:
    m = np.array(ob.matrix_world)
    rot = m[:3, :3] / np.linalg.norm(m[:3, :3], axis=0)  # drop scale
    return Pose(m[:3, 3], rot @ CAMERA_FROM_SENSOR)


def problems() -> list[str]:
    """Everything that stops the open scene from being exported (empty when it is fine)."""
    out = []
    objects = list(bpy.context.scene.objects)
    bs = [o for o in objects if o.get("maxray_role") == "basestation"]
    if not bs:
        out.append("no basestation: tag an empty or camera with maxray_role = 'basestation'")
    elif len(bs) > 1:
        out.append(f"{len(bs)} objects are tagged as basestation ({', '.join(o.name for o in bs)}); keep one")
    tagged = [o for o in objects if "maxray_role" in o and o.get("maxray_role") not in SENSOR_ROLES]
    if not tagged:
        out.append("no tagged scene objects: set maxray_role and maxray_material on the meshes the radar sees")
    for o in tagged:
        role = o.get("maxray_role")
        if o.type != "MESH":
            out.append(f"{o.name}: tagged {role!r} but is a {o.type}, not a mesh")
        if role not in ROLES:
            out.append(f"{o.name}: unknown maxray_role {role!r} (roles: {', '.join(ROLES + SENSOR_ROLES)})")
        mat = o.get("maxray_material")
        if mat is None:
            out.append(f"{o.name}: missing maxray_material")
        elif mat not in MATERIALS:
            out.append(f"{o.name}: unknown maxray_material {mat!r}")
        vel = o.get("maxray_velocity")
        if vel is not None and len(list(vel)) != 3:
            out.append(f"{o.name}: maxray_velocity must be 3 numbers")
    return out


def export_snapshot(source: str = "<open scene>") -> SceneSnapshot:
    """World-space triangles of every tagged mesh (modifiers applied) and the sensor poses."""
    issues = problems()
    if issues:
        raise DataError(f"{source}: scene is not tagged for maxray: " + "; ".join(issues))
    depsgraph = bpy.context.evaluated_depsgraph_get()
    objects = []
    next_id = 1 + max([int(o.get("maxray_instance_id", 0)) for o in bpy.context.scene.objects] + [0])
    for ob in sorted(bpy.context.scene.objects, key=lambda o: o.name):
        role = ob.get("maxray_role")
        if role is None or role in SENSOR_ROLES:
            continue
        ev = ob.evaluated_get(depsgraph)
        mesh = ev.to_mesh()
        try:
            mesh.calc_loop_triangles()
            n_v, n_t = len(mesh.vertices), len(mesh.loop_triangles)
            co = np.empty(n_v * 3, np.float32)
            mesh.vertices.foreach_get("co", co)
            tri = np.empty(n_t * 3, np.int32)
            mesh.loop_triangles.foreach_get("vertices", tri)
        finally:
            ev.to_mesh_clear()
        m = np.array(ob.matrix_world)
        verts = co.reshape(-1, 3).astype(np.float64) @ m[:3, :3].T + m[:3, 3]
        iid = int(ob.get("maxray_instance_id", 0)) or next_id
        if "maxray_instance_id" not in ob:
            next_id += 1
        vel = np.array(list(ob.get("maxray_velocity", (0.0, 0.0, 0.0))), dtype=np.float64)
        objects.append(SnapshotObject(ob.name, iid, role, str(ob["maxray_material"]), verts,
                                      tri.reshape(-1, 3), vel))
    bs = next(o for o in bpy.context.scene.objects if o.get("maxray_role") == "basestation")
    cam = next((o for o in bpy.context.scene.objects if o.get("maxray_role") == "camera"), bs)
    try:
        return SceneSnapshot(tuple(objects), _pose(bs), _pose(cam)).validate()
    except DataError as exc:
        raise DataError(f"{source}: {exc}") from None
