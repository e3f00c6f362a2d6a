"""Vectorised ray casting against a SceneSnapshot with Mitsuba (Dr.Jit LLVM on the CPU, CUDA on a GPU).

Used for the depth and instance-id passes (exact per pixel centre, no anti-aliasing blur of ids) and the lidar,
so camera labels, lidar points and radio paths all come from the very same triangles.
"""

from __future__ import annotations

import numpy as np

from maxray_gen.radio.drjit_setup import import_mitsuba
from maxray_gen.snapshot import SceneSnapshot


class RayCaster:
    """Closest-hit queries against a snapshot's triangles."""

    def __init__(self, snapshot: SceneSnapshot, variant: str = "auto", objects: list[int] | None = None):
        mi = self.mi = import_mitsuba(variant)
        chosen = range(len(snapshot.objects)) if objects is None else objects
        shapes = {"type": "scene"}
        self._index: list[int] = []
        for k in chosen:
            o = snapshot.objects[k]
            mesh = mi.Mesh(f"m{k}", vertex_count=len(o.vertices), face_count=len(o.faces),
                           has_vertex_normals=False, has_vertex_texcoords=False)
            p = mi.traverse(mesh)
            p["vertex_positions"] = mi.Float(np.ascontiguousarray(o.vertices, np.float32).ravel())
            p["faces"] = mi.UInt32(np.ascontiguousarray(o.faces, np.uint32).ravel())
            p.update()
            shapes[f"m{k}"] = mesh
            self._index.append(k)
        self.scene = mi.load_dict(shapes)
        import drjit as dr

        self._dr = dr
        ptrs = [int(dr.reinterpret_array(mi.UInt32, mi.ShapePtr(s))[0]) for s in self.scene.shapes()]
        order = [self._index[[f"m{k}" for k in self._index].index(s.id())] for s in self.scene.shapes()]
        self._ptr_to_object = dict(zip(ptrs, order))
        self.instance_ids = np.array([o.instance_id for o in snapshot.objects], dtype=np.int64)

    def cast(self, origins: np.ndarray, directions: np.ndarray, max_t: float = np.inf):
        """Closest hits of rays (N, 3) world origins / unit directions.

        Returns (t (N,) metres or inf, object index (N,) into snapshot.objects or -1, normal (N, 3) geometric).
        """
        mi, dr = self.mi, self._dr
        o = np.broadcast_to(np.asarray(origins, np.float32), directions.shape)
        d = np.asarray(directions, np.float32)
        ray = mi.Ray3f(mi.Point3f(o[:, 0], o[:, 1], o[:, 2]), mi.Vector3f(d[:, 0], d[:, 1], d[:, 2]))
        if np.isfinite(max_t):
            ray.maxt = float(max_t)
        si = self.scene.ray_intersect(ray)
        valid = np.array(si.is_valid().numpy(), dtype=bool)
        t = np.where(valid, np.array(si.t.numpy(), dtype=np.float64), np.inf)
        ptr = np.array(dr.reinterpret_array(mi.UInt32, si.shape).numpy(), dtype=np.int64)
        lut = np.full(max(self._ptr_to_object) + 2, -1, dtype=np.int64)
        for p, k in self._ptr_to_object.items():
            lut[p] = k
        obj = np.where(valid, lut[np.clip(ptr, 0, len(lut) - 1)], -1)
        n = np.stack([np.array(si.n.x.numpy()), np.array(si.n.y.numpy()), np.array(si.n.z.numpy())], axis=1)
        return t, obj, n.astype(np.float64)
