"""`SceneSnapshot`: the 3-D world both sensors look at, as plain numpy (no bpy, no Mitsuba).

Per object: a triangle mesh in world coordinates (metres), a radio material name, a role, a velocity (m/s) and an
instance id. An instance (a car) may consist of several parts (body, glass, tyres), each its own object with its own
material, sharing the instance id, role and velocity (articulated roles, ``ARTICULATED_ROLES``: people, cyclists, drones, whose limbs,
wheels and rotor blades each have their own velocity, share only the role); object names are unique. Plus the basestation pose (radar array; sensor frame x right, y down, z boresight) and the camera pose.
Saved as ``.npz`` (ragged meshes concatenated with offsets; no pickles) so scenes can be traced without Blender.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from maxray_gen.errors import DataError
from maxray_gen.geometry import Pose, face_cross
from maxray_gen.npzfile import load_npz, save_npz

ROLES = ("car", "ground", "building", "clutter", "pole", "target", "vegetation", "person", "cyclist", "drone")
LABELLED_ROLES = ("car", "target", "person", "cyclist", "drone")  # instances with boxes and groundtruth rows
ROLE_CLASS = {"car": 0, "target": 0, "person": 1, "cyclist": 2, "drone": 3}  # -> dataset.schema.CLASSES
ARTICULATED_ROLES = ("person", "cyclist", "drone")  # parts of one instance move differently (limbs, wheels, rotors)
FORMAT_VERSION = 1
MIN_TRIANGLE_AREA_M2 = 1e-12


@dataclass(frozen=True)
class SnapshotObject:
    """One object: ``vertices`` (V, 3) world metres, ``faces`` (F, 3) vertex indices."""

    name: str
    instance_id: int
    role: str
    material: str
    vertices: np.ndarray
    faces: np.ndarray
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(3))

    def __post_init__(self) -> None:
        object.__setattr__(self, "vertices", np.asarray(self.vertices, dtype=np.float64).reshape(-1, 3))
        object.__setattr__(self, "faces", np.asarray(self.faces, dtype=np.int64).reshape(-1, 3))
        object.__setattr__(self, "velocity", np.asarray(self.velocity, dtype=np.float64).reshape(3))
        object.__setattr__(self, "instance_id", int(self.instance_id))

    def triangle_areas(self) -> np.ndarray:
        c = face_cross(self.vertices, self.faces)
        return 0.5 * np.sqrt(np.einsum("ij,ij->i", c, c))

    def centroid(self) -> np.ndarray:
        """Area-weighted surface centroid."""
        t = self.vertices[self.faces]
        w = self.triangle_areas()
        return (t.mean(axis=1) * w[:, None]).sum(axis=0) / max(w.sum(), 1e-300)

    def moved(self, offset, velocity=None) -> "SnapshotObject":
        """A copy translated by ``offset`` (and with a new velocity when given)."""
        return replace(self, vertices=self.vertices + np.asarray(offset, dtype=np.float64),
                       velocity=self.velocity if velocity is None else velocity)

    def validate(self) -> None:
        where = f"object {self.name!r} (instance {self.instance_id})"
        if self.role not in ROLES:
            raise DataError(f"{where}: unknown role {self.role!r}; roles are {', '.join(ROLES)}")
        if len(self.faces) == 0:
            raise DataError(f"{where}: has no triangles")
        if not np.all(np.isfinite(self.vertices)):
            raise DataError(f"{where}: {int((~np.isfinite(self.vertices)).any(axis=1).sum())} vertices are NaN or infinite")
        if not np.all(np.isfinite(self.velocity)):
            raise DataError(f"{where}: velocity is NaN or infinite")
        if self.faces.min() < 0 or self.faces.max() >= len(self.vertices):
            raise DataError(f"{where}: face indices out of range 0..{len(self.vertices) - 1}")
        degenerate = self.triangle_areas() < MIN_TRIANGLE_AREA_M2
        if degenerate.any():
            raise DataError(f"{where}: {int(degenerate.sum())} degenerate (zero-area) triangle(s), first is face "
                            f"{int(np.argmax(degenerate))}; remove them before tracing")


@dataclass(frozen=True)
class SceneSnapshot:
    objects: tuple[SnapshotObject, ...]
    basestation: Pose
    camera: Pose | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "objects", tuple(self.objects))
        if self.camera is None:
            object.__setattr__(self, "camera", self.basestation)

    # ---- queries ----------------------------------------------------------------------------------------
    def validate(self) -> "SceneSnapshot":
        """Raise :class:`DataError` naming the first problem: empty scene, NaNs, degenerate triangles, ids."""
        if not self.objects:
            raise DataError("scene snapshot is empty: it has no objects to trace")
        names: set[str] = set()
        instances: dict[int, SnapshotObject] = {}
        for obj in self.objects:
            obj.validate()
            if obj.name in names:
                raise DataError(f"object name {obj.name!r} is used twice")
            first = instances.setdefault(obj.instance_id, obj)
            moving_apart = obj.role not in ARTICULATED_ROLES and not np.array_equal(first.velocity, obj.velocity)
            if first.role != obj.role or moving_apart:
                raise DataError(f"objects {first.name!r} and {obj.name!r} share instance id {obj.instance_id} but not "
                                "its role and velocity (parts of one instance must move together)")
            names.add(obj.name)
        return self

    def by_id(self, instance_id: int) -> SnapshotObject:
        """The first (often only) part of an instance."""
        for obj in self.objects:
            if obj.instance_id == instance_id:
                return obj
        raise KeyError(instance_id)

    def parts(self, instance_id: int) -> list[SnapshotObject]:
        return [o for o in self.objects if o.instance_id == instance_id]

    def instance_vertices(self, instance_id: int) -> np.ndarray:
        """All vertices of an instance's parts (world metres)."""
        return np.concatenate([o.vertices for o in self.parts(instance_id)])

    @property
    def n_triangles(self) -> int:
        return int(sum(len(o.faces) for o in self.objects))

    def geometry_hash(self) -> str:
        """SHA-256 over names, ids, roles, materials, vertices, faces and velocities (float64 bytes)."""
        h = hashlib.sha256()
        for o in self.objects:
            h.update(f"{o.name}|{o.instance_id}|{o.role}|{o.material}|".encode())
            h.update(np.ascontiguousarray(o.vertices).tobytes())
            h.update(np.ascontiguousarray(o.faces).tobytes())
            h.update(np.ascontiguousarray(o.velocity).tobytes())
        for pose in (self.basestation, self.camera):
            h.update(pose.position.tobytes() + pose.rotation.tobytes())
        return h.hexdigest()

    def without(self, instance_ids) -> "SceneSnapshot":
        drop = set(np.atleast_1d(instance_ids).tolist())
        return replace(self, objects=tuple(o for o in self.objects if o.instance_id not in drop))

    def replace_objects(self, objects) -> "SceneSnapshot":
        return replace(self, objects=tuple(objects))

    # ---- files ------------------------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write an ``.npz`` atomically (temporary name, then rename)."""
        objs = self.objects
        arrays = dict(
            names=np.array([o.name for o in objs], dtype=str),
            roles=np.array([o.role for o in objs], dtype=str),
            materials=np.array([o.material for o in objs], dtype=str),
            instance_ids=np.array([o.instance_id for o in objs], dtype=np.int64),
            velocities=np.array([o.velocity for o in objs], dtype=np.float64).reshape(-1, 3),
            vertex_counts=np.array([len(o.vertices) for o in objs], dtype=np.int64),
            face_counts=np.array([len(o.faces) for o in objs], dtype=np.int64),
            vertices=np.concatenate([o.vertices for o in objs]) if objs else np.zeros((0, 3)),
            faces=np.concatenate([o.faces for o in objs]) if objs else np.zeros((0, 3), np.int64),
            basestation_position=self.basestation.position, basestation_rotation=self.basestation.rotation,
            camera_position=self.camera.position, camera_rotation=self.camera.rotation,
        )
        save_npz(path, arrays, "scene_snapshot", FORMAT_VERSION, "snapshot", compressed=True)

    @classmethod
    def load(cls, path: str | Path) -> "SceneSnapshot":
        """Read a snapshot written by :meth:`save` (no pickles are loaded)."""
        d = load_npz(path, "scene_snapshot", FORMAT_VERSION, "scene snapshot")
        try:
            v_off = np.concatenate([[0], np.cumsum(d["vertex_counts"])])
            f_off = np.concatenate([[0], np.cumsum(d["face_counts"])])
            objs = []
            for i, name in enumerate(d["names"]):
                objs.append(SnapshotObject(
                    name=str(name), instance_id=int(d["instance_ids"][i]), role=str(d["roles"][i]),
                    material=str(d["materials"][i]), vertices=d["vertices"][v_off[i]:v_off[i + 1]],
                    faces=d["faces"][f_off[i]:f_off[i + 1]], velocity=d["velocities"][i]))
            return cls(tuple(objs), Pose(d["basestation_position"], d["basestation_rotation"]),
                       Pose(d["camera_position"], d["camera_rotation"]))
        except KeyError as exc:
            raise DataError(f"{path}: snapshot lacks array {exc}") from None
        except ValueError as exc:
            raise DataError(f"{path}: inconsistent snapshot ({exc})") from None
