"""Mesh checks the SBR engine needs before tracing: closed, outward-facing surfaces where they must be.

Physical optics puts currents on the lit side of every facet, so a facet's normal must say which side is outside.
Closed meshes (every edge shared by exactly two faces) must be consistently oriented with outward normals (positive
enclosed volume); car bodies must be closed. Open surfaces (ground, walls, plates, corner reflectors) are two-sided:
the engine turns their normal towards the incoming ray. Zero-area faces are rejected by ``SnapshotObject.validate``.
"""

from __future__ import annotations

import numpy as np

from maxray_gen.errors import DataError
from maxray_gen.primitives import signed_volume
from maxray_gen.snapshot import SnapshotObject

CLOSED_ROLES = ("car",)


def edge_report(faces: np.ndarray) -> tuple[int, int]:
    """(open edges, inconsistently oriented edges) of a triangle mesh.

    An open edge belongs to one face only; an inconsistent edge is shared by faces that traverse it in the same
    direction (or by more than two faces).
    """
    f = np.asarray(faces, dtype=np.int64)
    directed = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
    lo, hi = directed.min(axis=1), directed.max(axis=1)
    forward = (directed[:, 0] == lo).astype(np.int64)
    key = lo * (int(hi.max()) + 1 if len(hi) else 1) + hi
    order = np.argsort(key, kind="stable")
    key, forward = key[order], forward[order]
    start = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]])) if len(key) else np.zeros(0, np.int64)
    count = np.diff(np.append(start, len(key)))
    fwd_sum = np.add.reduceat(forward, start) if len(start) else np.zeros(0, np.int64)
    open_edges = int((count == 1).sum())
    bad = int(((count == 2) & (fwd_sum != 1)).sum() + (count > 2).sum())
    return open_edges, bad


def check_object(obj: SnapshotObject) -> bool:
    """Raise :class:`DataError` naming ``obj`` when its mesh cannot be traced with physical optics; else whether it
    is closed (then its normals point outwards and its back faces are never lit from outside)."""
    where = f"object {obj.name!r} (instance {obj.instance_id})"
    open_edges, bad = edge_report(obj.faces)
    if bad:
        raise DataError(f"{where}: {bad} edge(s) with inconsistent face orientation (flipped normals); recompute "
                        "normals outside (e.g. Blender: Mesh > Normals > Recalculate Outside)")
    if open_edges:
        if obj.role in CLOSED_ROLES:
            raise DataError(f"{where}: mesh has {open_edges} open edge(s); a {obj.role} must be a closed surface "
                            "for physical optics (close holes, e.g. Blender: Mesh > Clean Up > Fill Holes)")
        return False
    if signed_volume(obj.vertices, obj.faces) <= 0:
        raise DataError(f"{where}: closed mesh has inward-facing normals (negative volume); flip them outside")
    return True
