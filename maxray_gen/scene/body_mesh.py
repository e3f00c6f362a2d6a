"""Triangle meshes of articulated bodies: rounded tubes between two joints, cut into pieces that each carry the
velocity of their own centre (a rigid segment's point at fraction s of its axis moves at (1 - s) v0 + s v1), so
the radar sees every piece of a swinging limb at its own Doppler.

A tube has an elliptic cross-section (``depth`` along the body's forward axis, ``width`` across), radii tapering
linearly from the proximal to the distal joint, and ends rounded over ``round_ends`` of its length to an apex on
the axis. Pieces share their cut rings, so the whole tube is one closed surface.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIDES = 50  # facets around a limb (6 mm at a forearm: the PO sum of a curved body converges, docs/radio.md)


@dataclass(frozen=True)
class Tube:
    name: str
    proximal: str  # joint names
    distal: str
    width: tuple[float, float]  # full widths (m) across the body at the proximal / distal end
    depth: tuple[float, float]  # full depths (m) along the forward axis
    material: str
    pieces: int = 2
    sides: int = SIDES
    round_ends: float = 0.15  # fraction of the length over which each end closes (0.5: an ellipsoid)
    extend: tuple[float, float] = (0.0, 0.0)  # the tube reaches beyond its joints by these lengths (m)


@dataclass(frozen=True)
class Piece:
    name: str
    material: str
    vertices: np.ndarray
    faces: np.ndarray
    velocity: np.ndarray


def _profile(s: np.ndarray, round_ends: float) -> np.ndarray:
    """Radius factor along the axis: 1 in the middle, closing elliptically to 0 at s = 0 and 1."""
    e = max(round_ends, 1e-6)
    d = np.minimum(s, 1.0 - s) / e
    return np.sqrt(np.clip(1.0 - (1.0 - np.minimum(d, 1.0)) ** 2, 0.0, 1.0))


def ring_positions(round_ends: float, pieces: int, end_rings: int) -> np.ndarray:
    """Where the rings sit along the axis (0..1, the apexes at 0 and 1 excluded): ``end_rings`` in each rounded
    end, evenly in the profile's angle (s = e (1 - cos t)), and one at each cut between pieces. The straight,
    linearly tapered middle needs no more: its facets are flat between the end zones whatever the ring count."""
    e = min(max(round_ends, 1e-6), 0.5)
    t = np.arange(1, end_rings + 1) / end_rings * (np.pi / 2)
    near = e * (1.0 - np.cos(t))
    s = np.concatenate([near, 1.0 - near, np.arange(1, pieces) / pieces])
    s = np.unique(np.round(s[(s > 1e-9) & (s < 1 - 1e-9)], 12))
    return s


def tube_pieces(tube: Tube, p0: np.ndarray, p1: np.ndarray, v0: np.ndarray, v1: np.ndarray,
                forward: np.ndarray, end_rings: int = 4) -> list[Piece]:
    """The tube from joint ``p0`` to ``p1`` (velocities ``v0``, ``v1``), cross-section oriented by ``forward``."""
    axis = p1 - p0
    length = float(np.linalg.norm(axis))
    u = axis / max(length, 1e-9)
    start = p0 - u * tube.extend[0]
    total = length + sum(tube.extend)
    f = forward - u * float(forward @ u)
    if np.linalg.norm(f) < 1e-6:  # axis along the forward direction: any perpendicular
        f = np.cross(u, [0.0, 0.0, 1.0]) if abs(u[2]) < 0.9 else np.cross(u, [1.0, 0.0, 0.0])
    f /= np.linalg.norm(f)
    lat = np.cross(u, f)
    k = tube.pieces
    s_rings = ring_positions(tube.round_ends, k, end_rings)  # interior rings; the two ends are apexes
    ang = np.linspace(0.0, 2 * np.pi, tube.sides, endpoint=False)
    out = []
    for i in range(k):
        lo, hi = i / k, (i + 1) / k
        s = s_rings[(s_rings >= lo - 1e-9) & (s_rings <= hi + 1e-9)]
        verts, faces = [], []
        for sj in s:
            prof = _profile(np.array([sj]), tube.round_ends)[0]
            w = np.interp(sj, [0, 1], tube.width) / 2 * prof
            d = np.interp(sj, [0, 1], tube.depth) / 2 * prof
            c = start + u * (sj * total)
            verts.append(c + np.outer(np.cos(ang) * d, f) + np.outer(np.sin(ang) * w, lat))
        m = tube.sides
        for r in range(len(s) - 1):
            a, b = r * m + np.arange(m), r * m + (np.arange(m) + 1) % m
            faces += [np.stack([a, b, b + m], 1), np.stack([a, b + m, a + m], 1)]
        vv = np.concatenate(verts)
        if i == 0:  # proximal apex
            apex = len(vv)
            vv = np.concatenate([vv, start[None]])
            j = np.arange(m)
            faces.insert(0, np.stack([np.full(m, apex), (j + 1) % m, j], 1))
        if i == k - 1:  # distal apex
            apex = len(vv)
            vv = np.concatenate([vv, (start + u * total)[None]])
            j = (len(s) - 1) * m + np.arange(m)
            jn = (len(s) - 1) * m + (np.arange(m) + 1) % m
            faces.append(np.stack([np.full(m, apex), j, jn], 1))
        sc = np.clip(((lo + hi) / 2 * total - tube.extend[0]) / max(length, 1e-9), 0.0, 1.0)
        vel = (1.0 - sc) * v0 + sc * v1
        out.append(Piece(f"{tube.name}{i}" if k > 1 else tube.name, tube.material, vv,
                         np.concatenate(faces).astype(np.int64), vel))
    return out
