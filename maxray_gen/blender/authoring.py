"""Scene authoring in the open Blender file, for the add-on: tags, basestation and its field-of-view gizmo,
the parking-lot randomisers, a radar trace shown as an image, and generation from the open file.

Every add-on operator is one call into this module; it holds the logic, the add-on only the UI.
"""

from __future__ import annotations

import hashlib
import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import bpy
import numpy as np

from maxray_gen.addon_settings import RADIO_MATERIALS, SENSOR_ROLES, TAG_ROLES
from maxray_gen.config import Config
from maxray_gen.errors import DataError

GENERATED = "maxray_generated"  # custom property on what the randomiser made (replaced on the next run)
GIZMO = "maxray_radar_fov"
RADAR_IMAGE = "maxray radar"
RADAR_IMAGE_MARKED = "maxray radar (groundtruth)"


# ---------------------------------------------------------------- tags


def tag_objects(objects, role: str, material: str | None = None, velocity=(0.0, 0.0, 0.0),
                instance_id: int = 0) -> tuple[list[str], list[str]]:
    """Write the loader's custom properties (``maxray_role``, ``maxray_material``, ``maxray_velocity``,
    ``maxray_instance_id``) on ``objects``. Returns (tagged names, skipped "name: reason")."""
    if role not in TAG_ROLES + SENSOR_ROLES:
        raise DataError(f"unknown role {role!r}; roles are {', '.join(TAG_ROLES + SENSOR_ROLES)}")
    if role not in SENSOR_ROLES and material not in RADIO_MATERIALS:
        raise DataError(f"unknown radio material {material!r}; materials are {', '.join(RADIO_MATERIALS)}")
    tagged, skipped = [], []
    for ob in objects:
        if role in SENSOR_ROLES and ob.type not in ("CAMERA", "EMPTY"):
            skipped.append(f"{ob.name}: a {role} must be a camera or an empty, not a {ob.type.lower()}")
            continue
        if role not in SENSOR_ROLES and ob.type != "MESH":
            skipped.append(f"{ob.name}: only meshes reflect radio waves (this is a {ob.type.lower()})")
            continue
        ob["maxray_role"] = role
        if role in SENSOR_ROLES:
            for key in ("maxray_material", "maxray_velocity", "maxray_instance_id"):
                if key in ob:
                    del ob[key]
        else:
            ob["maxray_material"] = material
            ob["maxray_velocity"] = [float(v) for v in velocity]
            if instance_id > 0:
                ob["maxray_instance_id"] = int(instance_id)
            elif "maxray_instance_id" in ob:
                del ob["maxray_instance_id"]
        tagged.append(ob.name)
    return tagged, skipped


def clear_tags(objects) -> int:
    """Remove every maxray custom property from ``objects``; returns how many objects had any."""
    n = 0
    for ob in objects:
        keys = [k for k in ob.keys() if k.startswith("maxray_") and k != GENERATED]
        for k in keys:
            del ob[k]
        n += bool(keys)
    return n


def summary() -> dict[str, int]:
    """Tagged objects per role in the open scene."""
    out: dict[str, int] = {}
    for ob in bpy.context.scene.objects:
        role = ob.get("maxray_role")
        if role is not None:
            out[role] = out.get(role, 0) + 1
    return out


# ---------------------------------------------------------------- basestation and gizmo


def basestation():
    """The object tagged as basestation, or None."""
    return next((o for o in bpy.context.scene.objects if o.get("maxray_role") == "basestation"), None)


def _look_rotation(location: np.ndarray, target: np.ndarray):
    from mathutils import Vector

    return (Vector(tuple(target)) - Vector(tuple(location))).to_track_quat("-Z", "Y").to_euler()


def add_basestation(cfg: Config, location=(0.0, -12.0, 5.0), look_at=(0.0, 4.0, 0.0)):
    """The basestation: a camera (its view is the camera image, -z its boresight) tagged ``basestation``, with
    the radar's field-of-view gizmo. An existing one is reused (and re-aimed only when it is new)."""
    ob = basestation()
    if ob is None:
        data = bpy.data.cameras.new("maxray basestation")
        ob = bpy.data.objects.new("basestation", data)
        bpy.context.scene.collection.objects.link(ob)
        ob.location = location
        ob.rotation_euler = _look_rotation(np.asarray(location), np.asarray(look_at))
        ob["maxray_role"] = "basestation"
    if ob.type == "CAMERA":
        ob.data.sensor_fit = "HORIZONTAL"
        ob.data.angle = math.radians(cfg.camera.horizontal_fov_deg)
        ob.data.display_size = 1.5
    bpy.context.scene.camera = ob if ob.type == "CAMERA" else bpy.context.scene.camera
    update_gizmo(cfg)
    return ob


def gizmo_geometry(range_max_m: float, fov_deg: float, n: int = 24) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Wire fan in the basestation's local frame (-z forward, x right): apex, arc at ``range_max_m`` over
    +-``fov_deg``, and the two edges."""
    a = np.radians(np.linspace(-fov_deg, fov_deg, n))
    arc = np.stack([range_max_m * np.sin(a), np.zeros(n), -range_max_m * np.cos(a)], axis=1)
    verts = np.vstack([[0.0, 0.0, 0.0], arc])
    edges = [(0, 1), (0, n)] + [(k, k + 1) for k in range(1, n)]
    return verts, edges


def update_gizmo(cfg: Config):
    """(Re)build the radar field-of-view fan as a child of the basestation (viewport only, never rendered,
    untagged so neither the radar nor the loader sees it). None without a basestation."""
    bs = basestation()
    old = bpy.data.objects.get(GIZMO)
    if old is not None:
        mesh = old.data
        bpy.data.objects.remove(old)
        if mesh is not None and mesh.users == 0:
            bpy.data.meshes.remove(mesh)
    if bs is None:
        return None
    verts, edges = gizmo_geometry(cfg.radar.range_max_m, cfg.radar.azimuth_fov_deg)
    mesh = bpy.data.meshes.new(GIZMO)
    mesh.from_pydata([tuple(v) for v in verts], edges, [])
    ob = bpy.data.objects.new(GIZMO, mesh)
    bpy.context.scene.collection.objects.link(ob)
    ob.parent = bs
    ob.matrix_parent_inverse.identity()
    ob.scale = [1.0 / max(s, 1e-9) for s in bs.scale]
    ob.display_type = "WIRE"
    ob.hide_render = True
    ob.hide_select = True
    ob["maxray_gizmo"] = True
    return ob


def select_only(ob) -> None:
    for o in bpy.context.scene.objects:
        o.select_set(False)
    ob.select_set(True)
    bpy.context.view_layer.objects.active = ob


# ---------------------------------------------------------------- randomise


def randomise(cfg: Config, seed: int, cars: bool = True, lighting: bool = True, weather: bool = True) -> dict:
    """Apply the parking-lot randomisers to the open scene. ``cars``: replace what the last run made with this
    seed's lot and cars (and a basestation when the scene has none); ``lighting``/``weather``: this seed's sky,
    sun, street lights, rain or snow. Returns the sampled conditions."""
    import dataclasses

    from maxray_gen.blender.build import BlenderScene
    from maxray_gen.scene.lot import build_snapshot
    from maxray_gen.scene.spec import sample_scene
    from maxray_gen.seeding import rng_for

    remove_generated()
    spec = sample_scene(cfg.scene, cfg.camera, seed)
    own_bs = basestation()
    if not lighting:
        spec = dataclasses.replace(spec, lighting=sample_scene(
            cfg.scene.model_copy(update={"lighting": {"day": 1.0}}), cfg.camera, seed).lighting)
    if not weather:
        spec = dataclasses.replace(spec, weather=sample_scene(
            cfg.scene.model_copy(update={"weather": {"clear": 1.0}}), cfg.camera, seed).weather)
    before = set(bpy.data.objects)
    bl = BlenderScene(cfg.camera, cfg.render, attach=True)
    if cars:
        bl.realise(spec, build_snapshot(spec, cfg.trace.weather_materials), rng_for(seed, 0, "render"))
    else:
        if own_bs is not None:
            from maxray_gen.blender.scenario import _pose

            spec = dataclasses.replace(spec, cars=(), basestation=_pose(own_bs))
        bl.apply_conditions(spec, rng_for(seed, 0, "render"))
    for ob in set(bpy.data.objects) - before:
        ob[GENERATED] = True
    if own_bs is None and cars:
        bl.camera["maxray_role"] = "basestation"
    else:
        cam_data = bl.camera.data
        bpy.data.objects.remove(bl.camera)
        bpy.data.cameras.remove(cam_data)
        if own_bs is not None and own_bs.type == "CAMERA":
            bpy.context.scene.camera = own_bs
    update_gizmo(cfg)
    bpy.context.scene[WEATHER_PROP] = dataclasses.asdict(spec.weather)  # the radar preview attenuates by it
    return {"seed": seed, "cars": len(spec.cars) if cars else None, "lighting": spec.lighting.kind,
            "weather": spec.weather.kind}


def remove_generated() -> int:
    """Delete the objects the randomiser made (marked ``maxray_generated``) and their orphaned data."""
    obs = [o for o in bpy.data.objects if o.get(GENERATED)]
    for ob in obs:
        bpy.data.objects.remove(ob)
    for coll in (bpy.data.meshes, bpy.data.lights, bpy.data.cameras, bpy.data.particles, bpy.data.materials):
        for idb in [d for d in coll if d.users == 0]:
            coll.remove(idb)
    return len(obs)


# ---------------------------------------------------------------- parking slots and lanes


def add_layout_mark(kind: str, location=(0.0, 0.0, 0.0), heading_deg: float = 90.0, length_m: float = 20.0):
    """An empty tagged ``maxray_role = kind`` ("slot" or "lane") at ``location``: its local +x (the arrow) is the
    heading a parked car's nose points along / the lane's direction; lanes carry their length."""
    if kind not in ("slot", "lane"):
        raise DataError(f"unknown layout mark {kind!r}; use 'slot' or 'lane'")
    ob = bpy.data.objects.new(f"maxray_{kind}", None)
    ob.empty_display_type = "ARROWS"  # the x arrow shows the heading
    ob.empty_display_size = 2.5 if kind == "slot" else length_m / 2
    ob.location = location
    ob.rotation_euler = (0.0, 0.0, math.radians(heading_deg))
    ob["maxray_role"] = kind
    if kind == "lane":
        ob["maxray_length_m"] = float(length_m)
    bpy.context.scene.collection.objects.link(ob)
    select_only(ob)
    return ob


def fill_slots(cfg: Config, seed: int) -> dict:
    """Preview what ``generate`` does with the open scene's slots and lanes: this seed's random cars (sample 0),
    placed as Blender objects marked as generated (the next fill or randomise replaces them)."""
    import dataclasses

    from maxray_gen.blender.build import sync_objects
    from maxray_gen.blender.scenario import layout_marks
    from maxray_gen.scene.lot import car_objects
    from maxray_gen.scene.slots import fill
    from maxray_gen.scene.spec import FIRST_CAR_ID, sample_scene
    from maxray_gen.seeding import rng_for
    from maxray_gen.snapshot import SceneSnapshot

    remove_generated()
    slots, lanes = layout_marks()
    if not slots and not lanes:
        raise DataError("no parking slots or lanes: add some (Add slot / Add lane) or tag empties with "
                        "maxray_role = 'slot' / 'lane'")
    ids = [int(o.get("maxray_instance_id", 0)) for o in bpy.data.objects]
    cars = fill(rng_for(seed, 0, "layout"), rng_for(seed, 0, "cars"), cfg.scene, slots, lanes,
                max(FIRST_CAR_ID, 1 + max(ids + [0])))
    spec = dataclasses.replace(sample_scene(cfg.scene, cfg.camera, seed), cars=cars)
    before = set(bpy.data.objects)
    sync_objects({}, spec, SceneSnapshot(tuple(car_objects(spec)), spec.basestation))
    for ob in set(bpy.data.objects) - before:
        ob[GENERATED] = True
    return {"slots": len(slots), "lanes": len(lanes), "parked": sum(c.slot >= 0 for c in cars),
            "driving": sum(c.slot < 0 for c in cars)}


# ---------------------------------------------------------------- trace radar


@dataclass
class TraceResult:
    heatmap_db: np.ndarray  # (range bins, azimuth bins)
    peak_bin: tuple[int, int]
    truth: list  # InstanceTruth of the cars/targets
    n_paths: int
    image: str
    image_marked: str


def heatmap_rgba(db: np.ndarray, dynamic_range_db: float = 40.0, marks=()) -> np.ndarray:
    """(R, A, 4) float RGBA, row r = range bin r (Blender images start at the bottom: near range at the bottom),
    column = azimuth bin (left to right); viridis over the top ``dynamic_range_db``; marks (range_bin,
    azimuth_bin) as red rings."""
    import matplotlib

    top = float(np.max(db))
    x = np.clip((db - (top - dynamic_range_db)) / dynamic_range_db, 0.0, 1.0)
    rgba = matplotlib.colormaps["viridis"](x).astype(np.float32)
    rr, aa = np.mgrid[0:db.shape[0], 0:db.shape[1]]
    for r, a in marks:
        d = np.hypot(rr - r, aa - a)
        rgba[(d >= 2.0) & (d < 3.0)] = (1.0, 0.1, 0.1, 1.0)
    return rgba


def _image(name: str, rgba: np.ndarray):
    h, w = rgba.shape[:2]
    img = bpy.data.images.get(name)
    if img is not None and tuple(img.size) != (w, h):
        bpy.data.images.remove(img)
        img = None
    if img is None:
        img = bpy.data.images.new(name, w, h, alpha=True, float_buffer=True)
    img.pixels.foreach_set(np.ascontiguousarray(rgba, np.float32).ravel())
    img.update()
    return img


WEATHER_PROP = "maxray_weather"  # the scene's last randomised weather (a WeatherSpec as a dict)


def scene_weather():
    """The weather the open scene's last randomisation set (a WeatherSpec), or None (no attenuation)."""
    from maxray_gen.scene.spec import WeatherSpec

    d = bpy.context.scene.get(WEATHER_PROP)
    return None if d is None else WeatherSpec(**{k: float(v) if k != "kind" else str(v) for k, v in d.items()})


def open_scene_snapshot():
    """The open scene as the radar sees it (tagged objects; see :mod:`maxray_gen.blender.scenario`)."""
    from maxray_gen.blender.scenario import export_snapshot

    return export_snapshot(bpy.data.filepath or "<open scene>")


def show_radar(range_azimuth: np.ndarray, truth: list, n_paths: int, cfg: Config) -> TraceResult:
    """Store a range-azimuth map as two image datablocks: ``maxray radar`` (the map) and ``maxray radar
    (groundtruth)`` (the tagged cars in view marked). The map comes from
    :func:`maxray_gen.pipeline.radar_stage.trace_open_scene`."""
    db = 10 * np.log10(np.maximum(range_azimuth, 1e-30))
    peak = np.unravel_index(int(np.argmax(db)), db.shape)
    img = _image(RADAR_IMAGE, heatmap_rgba(db))
    marked = _image(RADAR_IMAGE_MARKED, heatmap_rgba(db, marks=[(t.range_bin, t.azimuth_bin) for t in truth]))
    for im in (img, marked):
        im["maxray_range_m"] = [float(cfg.radar.range_axis_m[0]), float(cfg.radar.range_axis_m[-1])]
        im["maxray_azimuth_deg"] = [float(np.degrees(cfg.radar.azimuth_axis_rad[0])),
                                    float(np.degrees(cfg.radar.azimuth_axis_rad[-1]))]
        im["maxray_peak_bin"] = [int(peak[0]), int(peak[1])]
    return TraceResult(db, (int(peak[0]), int(peak[1])), truth, n_paths, img.name, marked.name)


# ---------------------------------------------------------------- generate from the open file


def scene_digest() -> str:
    """A hash of what the open scene means to the dataset: every tagged object's name, role, material, id,
    velocity and world-space geometry, and the sensor poses (not selection, view or UI state)."""
    from maxray_gen.blender.scenario import export_snapshot

    snap = export_snapshot()
    h = hashlib.sha256()
    for o in sorted(snap.objects, key=lambda o: o.name):
        h.update(f"{o.name}|{o.role}|{o.material}|{o.instance_id}".encode())
        for arr in (np.round(o.vertices, 5), o.faces, np.round(o.velocity, 6)):
            h.update(np.ascontiguousarray(arr, np.float64 if arr.dtype.kind == "f" else np.int64).tobytes())
    for pose in (snap.basestation, snap.camera):
        if pose is not None:
            h.update(np.round(np.concatenate([pose.position, pose.rotation.ravel()]), 6).tobytes())
    return h.hexdigest()[:12]


def save_scenario_copy(out: str | Path) -> Path:
    """Save the open scene as OUT/scenario-<digest>.blend (a copy: the user's file and its path are untouched).
    The digest (:func:`scene_digest`) is in the file name and so in the configuration: a changed scene never
    resumes into shards of the old one; an unchanged one reuses its copy."""
    out = Path(out)
    final = out / f"scenario-{scene_digest()}.blend"
    if not final.exists():
        out.mkdir(parents=True, exist_ok=True)
        tmp = out / ".scenario.partial.blend"
        bpy.ops.wm.save_as_mainfile(filepath=str(tmp.resolve()), copy=True, compress=False)
        shutil.move(tmp, final)
    return final


def save_scene_copy(path: str | Path) -> Path:
    """Save the open scene to ``path`` as a copy (the open file keeps its own path and unsaved state)."""
    path = Path(path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    bpy.ops.wm.save_as_mainfile(filepath=str(path), copy=True, compress=False)
    return path


def blender_binary() -> str | None:
    """The Blender application running this code (None inside the pip ``bpy`` module)."""
    app = bpy.app.binary_path  # set inside the Blender application only (pip bpy: empty)
    return app if app and Path(app).is_file() else None
