"""User scenarios from .blend files: load safely, read the maxray tags, export what Blender renders.

Tagging convention (docs/scenarios.md), as custom properties on objects:

- ``maxray_role``: car, ground, building, clutter, pole, target, vegetation; ``basestation`` / ``camera``; or the
  layout roles ``slot`` (a parking slot that ``generate`` fills with random cars) and ``lane`` (a two-way lane
  where random cars drive);
- ``maxray_material``: a radio material name (maxray_gen.radio.materials) on every mesh with a scene role;
- ``maxray_instance_id`` (optional int > 0; parts of one car share it; default: one per object);
- ``maxray_velocity`` (optional [vx, vy, vz] m/s, world frame);
- ``maxray_forward`` (optional, on cars: the local axis the car's nose points along, ``+x`` by default).

Tags on a collection instance (an Empty instancing a collection) apply to every instanced object without tags of
its own; tags inside an instanced collection tag every instance. Export goes through the evaluated depsgraph with
render settings (:func:`render_evaluation`): what Cycles renders is what the radar, the camera passes, the lidar
and the labels see: world matrices, render modifiers, collection/particle/geometry-nodes instances, render
visibility. The basestation is an object (empty or camera) with ``maxray_role = "basestation"``; its local -z axis
is the array boresight and +y is up (Blender's camera convention). The camera is the object tagged ``camera`` or,
when there is none, the basestation itself. Files are opened with Python auto-execution off, so scripts embedded
in a .blend never run.
"""

from __future__ import annotations

import math
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import bpy
import numpy as np

from maxray_gen.blender.build import CAMERA_FROM_SENSOR
from maxray_gen.errors import DataError, MaxrayError
from maxray_gen.geometry import Pose
from maxray_gen.radio.materials import material as radio_material
from maxray_gen.scene.slots import Lane, Slot
from maxray_gen.snapshot import ROLES, SceneSnapshot, SnapshotObject

SENSOR_ROLES = ("basestation", "camera")
LAYOUT_ROLES = ("slot", "lane")
GEOMETRY_TYPES = ("MESH", "CURVE", "SURFACE", "META", "FONT", "CURVES", "POINTCLOUD")
FORWARD_AXES = {"+x": (1.0, 0.0, 0.0), "-x": (-1.0, 0.0, 0.0), "+y": (0.0, 1.0, 0.0), "-y": (0.0, -1.0, 0.0)}
VEHICLE_NAME = re.compile(r"car|vehicle|auto|truck|lorry|van\b|bus\b|taxi|suv|sedan|hatch|wagon", re.IGNORECASE)
LARGE_OBJECT_M = 2.0  # an untagged rendered object this large (any side) is worth naming in validate


def load_blend(path: str | Path) -> None:
    """Open a .blend file as the current session, never running its embedded scripts."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    bpy.context.preferences.filepaths.use_scripts_auto_execute = False
    try:
        bpy.ops.wm.open_mainfile(filepath=str(path.resolve()), load_ui=False, use_scripts=False)
    except RuntimeError as exc:
        raise DataError(f"{path}: not a readable .blend file ({str(exc).strip().splitlines()[-1]})") from None


def _pose(ob: bpy.types.Object) -> Pose:
    m = np.array(ob.matrix_world)
    rot = m[:3, :3] / np.linalg.norm(m[:3, :3], axis=0)  # drop scale
    return Pose(m[:3, 3], rot @ CAMERA_FROM_SENSOR)


# ---------------------------------------------------------------- render-equivalent evaluation


@contextmanager
def render_evaluation():
    """Within the block, the view layer's depsgraph evaluates what a render shows: objects and collections by
    their render visibility (viewport hiding ignored), modifiers by ``show_render``, subdivision and multires at
    their render levels, particles at their render amounts, Simplify at its render settings. Everything is restored
    afterwards. (Geometry-nodes trees that branch on "Is Viewport" are evaluated in their viewport branch.)"""
    saved: list[tuple[object, str, object]] = []

    def put(owner, attr: str, value) -> None:
        old = getattr(owner, attr)
        if old != value:
            saved.append((owner, attr, old))
            setattr(owner, attr, value)

    eye_hidden = []
    layer = bpy.context.view_layer
    try:
        for ob in bpy.data.objects:
            put(ob, "hide_viewport", ob.hide_render)
            put(ob, "show_instancer_for_viewport", ob.show_instancer_for_render)
            for md in ob.modifiers:
                put(md, "show_viewport", md.show_render)
                if md.type in ("SUBSURF", "MULTIRES"):
                    put(md, "levels", md.render_levels)
            for ps in getattr(ob, "particle_systems", ()):
                put(ps.settings, "display_percentage", 100)
                if hasattr(ps.settings, "rendered_child_count"):
                    put(ps.settings, "child_percent", ps.settings.rendered_child_count)
            try:
                if ob.hide_get(view_layer=layer):
                    eye_hidden.append(ob)
                    ob.hide_set(False, view_layer=layer)
            except RuntimeError:  # not in this view layer (its collection is excluded)
                pass
        for coll in bpy.data.collections:
            put(coll, "hide_viewport", coll.hide_render)

        def walk(lc) -> None:
            put(lc, "hide_viewport", False)
            for child in lc.children:
                walk(child)

        walk(layer.layer_collection)
        r = bpy.context.scene.render
        if r.use_simplify:
            put(r, "simplify_subdivision", r.simplify_subdivision_render)
            put(r, "simplify_child_particles", r.simplify_child_particles_render)
        layer.update()
        yield bpy.context.evaluated_depsgraph_get()
    finally:
        for owner, attr, old in reversed(saved):
            setattr(owner, attr, old)
        for ob in eye_hidden:
            ob.hide_set(True, view_layer=layer)
        layer.update()


# ---------------------------------------------------------------- what the render shows


@dataclass
class Rendered:
    """One rendered geometry instance (world-space triangles) and the tags that apply to it."""

    name: str
    source: str  # the object's own name
    instancer: str | None  # the collection instance / particle emitter that made it (None: a plain object)
    group: tuple  # instances sharing a group form one labelled instance
    tags: dict
    matrix: np.ndarray  # (4, 4) world matrix of the instance
    frame: np.ndarray  # (4, 4) the car's frame for its heading: the instancer's matrix, or the object's own
    vertices: np.ndarray
    faces: np.ndarray


TAG_KEYS = ("maxray_role", "maxray_material", "maxray_instance_id", "maxray_velocity", "maxray_forward")


def _tags(ob) -> dict:
    return {k: ob[k] for k in TAG_KEYS if k in ob}


def _triangles(ev) -> tuple[np.ndarray, np.ndarray]:
    mesh = ev.to_mesh()
    try:
        if mesh is None:
            return np.zeros((0, 3)), np.zeros((0, 3), np.int64)
        mesh.calc_loop_triangles()
        co = np.empty(len(mesh.vertices) * 3, np.float32)
        mesh.vertices.foreach_get("co", co)
        tri = np.empty(len(mesh.loop_triangles) * 3, np.int32)
        mesh.loop_triangles.foreach_get("vertices", tri)
    finally:
        ev.to_mesh_clear()
    return co.reshape(-1, 3).astype(np.float64), tri.reshape(-1, 3).astype(np.int64)


def rendered_objects(depsgraph) -> list[Rendered]:
    """Every geometry instance of the evaluated depsgraph (plain objects and instances), sorted by name.

    An instance takes its own tags, else its instancer's; the objects of one collection instance form one group
    (one labelled object) unless they carry different ``maxray_instance_id``s."""
    out: list[Rendered] = []
    for inst in depsgraph.object_instances:
        ob = inst.object
        if ob.type not in GEOMETRY_TYPES or (not inst.is_instance and not inst.show_self):
            continue  # not geometry, or an emitter/instancer that is not rendered itself
        orig = ob.original
        parent = inst.parent.original if inst.is_instance and inst.parent is not None else None
        tags = _tags(orig)
        if "maxray_role" not in tags and parent is not None:
            tags = {**_tags(parent), **{k: v for k, v in tags.items() if k != "maxray_role"}}
        m = np.array(inst.matrix_world, dtype=np.float64)
        co, tri = _triangles(ob)
        verts = co @ m[:3, :3].T + m[:3, 3]
        if parent is None:
            name, group = orig.name, ("object", int(tags.get("maxray_instance_id", 0)) or orig.name)
            frame = m
        else:
            pid = tuple(inst.persistent_id)
            per_instance = pid[1:] if parent.instance_type == "COLLECTION" else pid
            # geometry-nodes instances come as evaluated copies whose original is the host object itself
            name = f"{parent.name}/{orig.name}" if orig != parent else f"{parent.name}/instance"
            group = ("instance", parent.name, per_instance, int(tags.get("maxray_instance_id", 0)))
            frame = np.array(parent.matrix_world, dtype=np.float64) if parent.instance_type == "COLLECTION" else m
        out.append(Rendered(name, orig.name, parent.name if parent else None, group, tags, m, frame, verts, tri))
    out.sort(key=lambda r: (r.name, r.group))
    seen: dict[str, int] = {}
    for r in out:  # particles and nested instances repeat a name: number them in order
        k = seen.get(r.name, 0)
        seen[r.name] = k + 1
        if k:
            r.name = f"{r.name}#{k}"
    return out


# ---------------------------------------------------------------- checks


def problems() -> list[str]:
    """Everything that stops the open scene from being exported (empty when it is fine)."""
    out = []
    objects = list(bpy.context.scene.objects)
    bs = [o for o in objects if o.get("maxray_role") == "basestation"]
    if not bs:
        out.append("no basestation: tag an empty or camera with maxray_role = 'basestation'")
    elif len(bs) > 1:
        out.append(f"{len(bs)} objects are tagged as basestation ({', '.join(o.name for o in bs)}); keep one")
    every = list(bpy.data.objects)  # tags inside instanced (even excluded) collections count
    tagged = [o for o in every if "maxray_role" in o and o.get("maxray_role") not in SENSOR_ROLES + LAYOUT_ROLES]
    if not tagged:
        out.append("no tagged scene objects: set maxray_role and maxray_material on the meshes the radar sees")
    for o in tagged:
        role = o.get("maxray_role")
        instancer = o.type == "EMPTY" and o.instance_type == "COLLECTION" and o.instance_collection is not None
        if o.type not in GEOMETRY_TYPES and not instancer:
            out.append(f"{o.name}: tagged {role!r} but is a {o.type}, not a mesh or a collection instance")
        if role not in ROLES:
            out.append(f"{o.name}: unknown maxray_role {role!r} (roles: {', '.join(ROLES + SENSOR_ROLES + LAYOUT_ROLES)})")
        mat = o.get("maxray_material")
        if mat is None:
            out.append(f"{o.name}: missing maxray_material")
        elif not _known_material(str(mat)):
            out.append(f"{o.name}: unknown maxray_material {mat!r}")
        vel = o.get("maxray_velocity")
        if vel is not None and len(list(vel)) != 3:
            out.append(f"{o.name}: maxray_velocity must be 3 numbers")
        fwd = o.get("maxray_forward")
        if fwd is not None and str(fwd) not in FORWARD_AXES:
            out.append(f"{o.name}: maxray_forward must be one of {', '.join(FORWARD_AXES)}, got {fwd!r}")
    return out


def _known_material(name: str) -> bool:
    """A material of the table, or a weathered one (``base~wetW~snowS``, as a saved lot's wet ground)."""
    try:
        radio_material(name)
    except MaxrayError:
        return False
    return True


def findings() -> list[str]:
    """What a user should know before generating (the scene still exports): untagged rendered objects the radar and
    the labels will miss (vehicle-like or large ones by name), instances and how they are labelled, tagged objects
    hidden in the viewport (exported where Cycles renders them) or from renders (not exported), tagged objects in
    collections excluded from the view layer, tagged objects the camera's rays skip."""
    out: list[str] = []
    with render_evaluation() as dg:
        rendered = rendered_objects(dg)
    untagged = [r for r in rendered if "maxray_role" not in r.tags]
    small = []
    for r in untagged:
        size = (r.vertices.max(0) - r.vertices.min(0)).max() if len(r.vertices) else 0.0
        what = "looks like a vehicle" if VEHICLE_NAME.search(r.source) or (r.instancer and VEHICLE_NAME.search(r.instancer)) \
            else (f"{size:.1f} m across" if size >= LARGE_OBJECT_M else "")
        if what:
            out.append(f"{r.name}: rendered but untagged ({what}): the radar, the lidar and the labels will not see it")
        else:
            small.append(r)
    if small:
        out.append(f"{len(small)} more untagged rendered object(s) the radar will not see: "
                   + ", ".join(r.name for r in small[:8]) + (" ..." if len(small) > 8 else ""))
    by_instancer: dict[str, list[Rendered]] = {}
    for r in rendered:
        if r.instancer:
            by_instancer.setdefault(r.instancer, []).append(r)
    for name, parts in sorted(by_instancer.items()):
        n_tagged = sum("maxray_role" in p.tags for p in parts)
        groups = len({p.group for p in parts if "maxray_role" in p.tags})
        out.append(f"{name}: instances {len(parts)} object(s), {n_tagged} tagged: exported as {groups} labelled "
                   f"instance(s) of their own")
    layer = bpy.context.view_layer
    for ob in sorted(bpy.context.scene.objects, key=lambda o: o.name):
        role = ob.get("maxray_role")
        if role is None or role in SENSOR_ROLES:
            continue
        if ob.hide_render:
            out.append(f"{ob.name}: tagged {role!r} but hidden from renders: not rendered, not exported")
        elif ob.hide_viewport or _eye_hidden(ob, layer):
            out.append(f"{ob.name}: hidden in the viewport but rendered: exported where Cycles renders it")
        if not ob.hide_render and ob.type in GEOMETRY_TYPES and not getattr(ob, "visible_camera", True):
            out.append(f"{ob.name}: invisible to camera rays: the radar sees it, the image does not")
    for coll in _excluded_collections(layer.layer_collection):
        n = sum("maxray_role" in o for o in coll.all_objects)
        if n:
            out.append(f"{coll.name}: collection excluded from the view layer: its {n} tagged object(s) are not "
                       "exported themselves (instances of it are)")
    return out


def _eye_hidden(ob, layer) -> bool:
    try:
        return bool(ob.hide_get(view_layer=layer))
    except RuntimeError:
        return False


def _excluded_collections(lc):
    for child in lc.children:
        if child.exclude:
            yield child.collection
        else:
            yield from _excluded_collections(child)


# ---------------------------------------------------------------- export


@dataclass
class Scenario:
    """An exported scenario: its snapshot, each labelled car's heading (yaw, radians from +x towards +y, from its
    forward axis), and the parking slots and lanes ``generate`` fills with random cars."""

    snapshot: SceneSnapshot
    headings: dict[int, float] = field(default_factory=dict)
    slots: tuple[Slot, ...] = ()
    lanes: tuple[Lane, ...] = ()


def _yaw(frame: np.ndarray, forward: str) -> float:
    d = frame[:3, :3] @ np.array(FORWARD_AXES.get(str(forward), FORWARD_AXES["+x"]))
    return float(math.atan2(d[1], d[0]))


def export_scenario(source: str = "<open scene>") -> Scenario:
    """World-space triangles of every rendered tagged object (instances included), sensor poses, car headings,
    slots and lanes. Raises :class:`DataError` naming the problems when the scene is not tagged for maxray."""
    issues = problems()
    if issues:
        raise DataError(f"{source}: scene is not tagged for maxray: " + "; ".join(issues))
    with render_evaluation() as dg:
        rendered = rendered_objects(dg)
        slots, lanes = _layout(dg)
    items = [r for r in rendered if r.tags.get("maxray_role") not in (None,) + SENSOR_ROLES + LAYOUT_ROLES]
    authored = {int(r.tags["maxray_instance_id"]) for r in items
                if r.instancer is None and int(r.tags.get("maxray_instance_id", 0)) > 0}
    next_id = 1 + max(authored | {0})
    ids: dict[tuple, int] = {}
    for r in items:  # sorted by name: ids are deterministic
        if r.group not in ids:
            if r.group[0] == "object" and isinstance(r.group[1], int):
                ids[r.group] = r.group[1]
            else:
                ids[r.group], next_id = next_id, next_id + 1
    objects, frames = [], {}
    for r in items:
        if len(r.faces) == 0:
            continue
        mat = r.tags.get("maxray_material")
        if mat is None:
            raise DataError(f"{source}: {r.name}: missing maxray_material")
        iid = ids[r.group]
        vel = np.array(list(r.tags.get("maxray_velocity", (0.0, 0.0, 0.0))), dtype=np.float64)
        objects.append(SnapshotObject(r.name, iid, str(r.tags["maxray_role"]), str(mat), r.vertices, r.faces, vel))
        if r.tags["maxray_role"] == "car":
            size = float(np.prod(np.ptp(r.vertices, axis=0) + 1e-9))  # the biggest part (the body) sets the frame
            if iid not in frames or size > frames[iid][0]:
                frames[iid] = (size, _yaw(r.frame, r.tags.get("maxray_forward", "+x")))
    bs = next(o for o in bpy.context.scene.objects if o.get("maxray_role") == "basestation")
    cam = next((o for o in bpy.context.scene.objects if o.get("maxray_role") == "camera"), bs)
    try:
        snap = SceneSnapshot(tuple(objects), _pose(bs), _pose(cam)).validate()
    except DataError as exc:
        raise DataError(f"{source}: {exc}") from None
    return Scenario(snap, {i: y for i, (_, y) in frames.items()}, slots, lanes)


def _layout(depsgraph) -> tuple[tuple[Slot, ...], tuple[Lane, ...]]:
    marks = [(inst.object.original, np.array(inst.matrix_world, dtype=np.float64))
             for inst in depsgraph.object_instances if inst.object.original.get("maxray_role") in LAYOUT_ROLES]
    slots, lanes = [], []
    for ob, m in sorted(marks, key=lambda x: x[0].name):
        p, yaw = m[:3, 3], _yaw(m, "+x")
        if ob["maxray_role"] == "slot":
            slots.append(Slot(float(p[0]), float(p[1]), float(p[2]), yaw, ob.name))
        else:
            lanes.append(Lane(float(p[0]), float(p[1]), float(p[2]), yaw, float(ob.get("maxray_length_m", 20.0)),
                              ob.name))
    return tuple(slots), tuple(lanes)


def layout_marks() -> tuple[tuple[Slot, ...], tuple[Lane, ...]]:
    """The open scene's parking slots and lanes (tagged empties, instanced ones included), sorted by name."""
    with render_evaluation() as dg:
        return _layout(dg)


def export_snapshot(source: str = "<open scene>") -> SceneSnapshot:
    """The scenario's snapshot only (see :func:`export_scenario`)."""
    return export_scenario(source).snapshot
