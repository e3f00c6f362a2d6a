"""The SBR engine's view of a snapshot: one Mitsuba mesh holding every triangle, plus per-triangle and per-object
tables (facet normal, object, radio material, velocity) that the bounce kernel gathers from.

One mesh makes ``si.prim_index`` a global triangle index, so a hit's object and material are two gathers. When only
poses or velocities change (same objects, materials and faces) the vertex buffer and the tables are rewritten in
place and the acceleration structure rebuilt, without new Mitsuba objects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from maxray_gen.geometry import face_cross
from maxray_gen.radio.materials import DEFAULT_GAMMA_DB, material
from maxray_gen.radio.sbr.meshcheck import check_object
from maxray_gen.snapshot import SceneSnapshot

GROUND_ROLES = ("ground",)
PEC_CONDUCTIVITY = 1e5  # S/m: above this a material is a perfect conductor for the engine (metals: 1e7)


@dataclass(frozen=True)
class MaterialTable:
    """Per object: complex permittivity, perfect-conductor flag, rms roughness, clutter gamma [dB] (numpy)."""

    eps: np.ndarray
    pec: np.ndarray
    roughness_m: np.ndarray
    gamma_db: np.ndarray


def material_table(snap: SceneSnapshot, carrier_hz: float) -> MaterialTable:
    eps, pec, rough, gamma = [], [], [], []
    for obj in snap.objects:
        spec = material(obj.material)
        e = spec.complex_permittivity(carrier_hz)  # ConfigError outside the material's frequency range
        _, sigma = spec.properties(carrier_hz)
        eps.append(e)
        pec.append(sigma >= PEC_CONDUCTIVITY)
        rough.append(spec.roughness_m)
        gamma.append(DEFAULT_GAMMA_DB if spec.clutter_gamma_db is None else float(spec.clutter_gamma_db))
    return MaterialTable(np.array(eps, np.complex128), np.array(pec, bool), np.array(rough, np.float64),
                         np.array(gamma, np.float64))


def _layout(snap: SceneSnapshot) -> tuple:
    return tuple((o.name, o.material, o.role, o.instance_id, len(o.vertices), len(o.faces)) for o in snap.objects)


class EngineScene:
    """Mitsuba scene + Dr.Jit tables for one snapshot layout; :meth:`prepare` builds or updates in place."""

    def __init__(self, mi, carrier_hz: float):
        self.mi = mi
        self.carrier_hz = carrier_hz
        self._layout: tuple | None = None
        self._faces: list[np.ndarray] = []
        self._vertices32: np.ndarray | None = None
        self.scene = None
        self.snapshot: SceneSnapshot | None = None

    # ---- numpy side ---------------------------------------------------------------------------------
    @staticmethod
    def _concat(snap: SceneSnapshot) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        verts, faces, tri_obj = [], [], []
        base = 0
        for k, o in enumerate(snap.objects):
            verts.append(o.vertices)
            faces.append(o.faces + base)
            tri_obj.append(np.full(len(o.faces), k, np.uint32))
            base += len(o.vertices)
        return np.concatenate(verts), np.concatenate(faces), np.concatenate(tri_obj)

    @staticmethod
    def facet_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
        n = face_cross(vertices, faces)
        return n / np.sqrt(np.einsum("ij,ij->i", n, n))[:, None]

    def _tables(self, snap: SceneSnapshot, vertices: np.ndarray, faces: np.ndarray) -> None:
        mi = self.mi
        n = self.facet_normals(vertices, faces).astype(np.float32)
        self.normals_np = n
        self.vertices_np, self.faces_np = vertices, faces
        corners = [np.ascontiguousarray(vertices[faces[:, i]], np.float32) for i in range(3)]
        self.tri_vertices = tuple(mi.Vector3f(*(mi.Float(np.ascontiguousarray(v[:, i])) for i in range(3)))
                                  for v in corners)
        self.normals = mi.Vector3f(*(mi.Float(np.ascontiguousarray(n[:, i])) for i in range(3)))
        vel = np.array([o.velocity for o in snap.objects], np.float32).reshape(-1, 3)
        self.velocity = mi.Vector3f(*(mi.Float(np.ascontiguousarray(vel[:, i])) for i in range(3)))

    # ---- engine side --------------------------------------------------------------------------------
    def prepare(self, snap: SceneSnapshot) -> str:
        """Make the engine hold ``snap``: ``"built"``, ``"updated"`` (vertices/velocities rewritten) or
        ``"unchanged"``."""
        mi = self.mi
        layout = _layout(snap)
        if self.scene is not None and layout == self._layout and all(
                o.faces is f or np.array_equal(o.faces, f) for o, f in zip(snap.objects, self._faces)):
            vertices, faces, _ = self._concat(snap)
            v32 = np.ascontiguousarray(vertices, np.float32)
            velocities_same = all(np.array_equal(o.velocity, p.velocity)
                                  for o, p in zip(snap.objects, self.snapshot.objects))
            if np.array_equal(v32, self._vertices32) and velocities_same:
                self.snapshot = snap
                return "unchanged"
            if not np.array_equal(v32, self._vertices32):
                params = mi.traverse(self.scene)
                params["radar_scene.vertex_positions"] = mi.Float(v32.ravel())
                params.update()
                self._vertices32 = v32
            self._tables(snap, vertices, faces)
            self.snapshot = snap
            return "updated"
        snap.validate()
        self.closed_np = np.array([check_object(obj) for obj in snap.objects], bool)
        self.closed = mi.Bool(self.closed_np)
        self.materials = material_table(snap, self.carrier_hz)
        vertices, faces, tri_obj = self._concat(snap)
        v32 = np.ascontiguousarray(vertices, np.float32)
        mesh = mi.Mesh("radar_scene", vertex_count=len(v32), face_count=len(faces), has_vertex_normals=False,
                       has_vertex_texcoords=False)
        params = mi.traverse(mesh)
        params["vertex_positions"] = mi.Float(v32.ravel())
        params["faces"] = mi.UInt32(np.ascontiguousarray(faces, np.uint32).ravel())
        params.update()
        self.scene = mi.load_dict({"type": "scene", "radar_scene": mesh})
        self.tri_obj_np = tri_obj.astype(np.int64)
        self.tri_obj = mi.UInt32(tri_obj)
        m = self.materials
        self.eps_re = mi.Float(m.eps.real.astype(np.float32))
        self.eps_im = mi.Float(m.eps.imag.astype(np.float32))
        self.pec = mi.Bool(m.pec)
        self.roughness = mi.Float(m.roughness_m.astype(np.float32))
        roles = [o.role for o in snap.objects]
        self.is_ground_np = np.array([r in GROUND_ROLES for r in roles], bool)
        self.is_ground = mi.Bool(self.is_ground_np)
        self.instance_ids = np.array([o.instance_id for o in snap.objects], np.int32)
        self._tables(snap, vertices, faces)
        self._vertices32 = v32
        self._faces = [o.faces for o in snap.objects]
        self._layout = layout
        self.snapshot = snap
        return "built"
