"""Closed-mesh building blocks in numpy: lofts, slabs on a surface patch, solids of revolution, swept profiles.

Every function returns (vertices (V, 3), faces (F, 3)) with shared vertex indices, closed (no open edges) and
outward-facing (positive enclosed volume): what both the renderer and the radar engine's mesh check expect.
"""

from __future__ import annotations

import numpy as np

from maxray_gen.primitives import Mesh, box, signed_volume, superellipsoid


def outward(mesh: Mesh) -> Mesh:
    """The mesh with its faces flipped if it encloses a negative volume."""
    v, f = mesh
    return (v, f) if signed_volume(v, f) >= 0 else (v, f[:, ::-1].copy())


def merge(*meshes: Mesh) -> Mesh:
    """Several meshes as one (vertex indices offset)."""
    vs, fs, n = [], [], 0
    for v, f in meshes:
        vs.append(v)
        fs.append(f + n)
        n += len(v)
    return np.concatenate(vs), np.concatenate(fs)


def grid_faces(ni: int, nj: int, wrap_j: bool = False, offset: int = 0) -> np.ndarray:
    """Two triangles per cell of an ni x nj vertex grid stored row-major (i slow), optionally closed in j."""
    jj = np.arange(nj if wrap_j else nj - 1)
    ii = np.arange(ni - 1)
    i, j = np.meshgrid(ii, jj, indexing="ij")
    j1 = (j + 1) % nj
    a, b, c, d = i * nj + j, i * nj + j1, (i + 1) * nj + j1, (i + 1) * nj + j
    return np.concatenate([np.stack([a, b, c], -1).reshape(-1, 3),
                           np.stack([a, c, d], -1).reshape(-1, 3)]) + offset


def loft(rings: np.ndarray) -> Mesh:
    """Closed surface through closed rings (S, R, 3) (one per section), each end capped by a fan to its centroid."""
    s, r, _ = rings.shape
    v = rings.reshape(-1, 3)
    f = [grid_faces(s, r, wrap_j=True)]
    c0, c1 = len(v), len(v) + 1
    v = np.concatenate([v, rings[0].mean(0, keepdims=True), rings[-1].mean(0, keepdims=True)])
    j = np.arange(r)
    f.append(np.stack([np.full(r, c0), (j + 1) % r, j], 1))
    last = (s - 1) * r
    f.append(np.stack([np.full(r, c1), last + j, last + (j + 1) % r], 1))
    return outward((v, np.concatenate(f)))


def grid_normals(p: np.ndarray) -> np.ndarray:
    """Unit normals (ni, nj, 3) of a vertex grid from central differences (sign: d/di x d/dj)."""
    di = np.gradient(p, axis=0)
    dj = np.gradient(p, axis=1)
    n = np.cross(di, dj)
    return n / np.maximum(np.linalg.norm(n, axis=-1, keepdims=True), 1e-12)


def slab(p: np.ndarray, normals: np.ndarray, outer: float, inner: float) -> Mesh:
    """A closed thin shell over an open grid patch ``p`` (ni, nj, 3): between p + outer n and p + inner n."""
    ni, nj, _ = p.shape
    top = (p + outer * normals).reshape(-1, 3)
    bot = (p + inner * normals).reshape(-1, 3)
    m = ni * nj
    f = [grid_faces(ni, nj), grid_faces(ni, nj)[:, ::-1] + m]
    # the boundary loop of the grid, walked once around
    loop = ([(0, j) for j in range(nj)] + [(i, nj - 1) for i in range(1, ni)]
            + [(ni - 1, j) for j in range(nj - 2, -1, -1)] + [(i, 0) for i in range(ni - 2, 0, -1)])
    idx = np.array([i * nj + j for i, j in loop])
    k = np.arange(len(idx))
    a, b = idx, idx[(k + 1) % len(idx)]
    f.append(np.stack([b, a, a + m], 1))
    f.append(np.stack([b, a + m, b + m], 1))
    return outward((np.concatenate([top, bot]), np.concatenate(f)))


def lathe(profile: np.ndarray, segments: int, centre, axis: str = "y") -> Mesh:
    """Solid of revolution of a closed profile loop (K, 2) of (radius, axial) points not touching the axis
    (a torus-like ring) or of an open profile whose first and last points lie on the axis (radius 0)."""
    prof = np.asarray(profile, dtype=np.float64)
    ang = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    on_axis = prof[0, 0] == 0 and prof[-1, 0] == 0
    body = prof[1:-1] if on_axis else prof
    k = len(body)
    r, a = body[:, 0][:, None], body[:, 1][:, None]
    c, s = np.cos(ang)[None, :], np.sin(ang)[None, :]
    pts = np.stack([r * c, np.broadcast_to(a, (k, segments)), r * s], -1)  # (k, segments, 3) about the y axis
    v = pts.reshape(-1, 3)
    if on_axis:
        f = [grid_faces(k, segments, wrap_j=True)]
        p0, p1 = len(v), len(v) + 1
        v = np.concatenate([v, [[0, prof[0, 1], 0], [0, prof[-1, 1], 0]]])
        j = np.arange(segments)
        f.append(np.stack([np.full(segments, p0), (j + 1) % segments, j], 1))
        last = (k - 1) * segments
        f.append(np.stack([np.full(segments, p1), last + j, last + (j + 1) % segments], 1))
        f = np.concatenate(f)
    else:  # closed in both directions
        i, j = np.meshgrid(np.arange(k), np.arange(segments), indexing="ij")
        i1, j1 = (i + 1) % k, (j + 1) % segments
        a_, b_, c_, d_ = i * segments + j, i * segments + j1, i1 * segments + j1, i1 * segments + j
        f = np.concatenate([np.stack([a_, b_, c_], -1).reshape(-1, 3), np.stack([a_, c_, d_], -1).reshape(-1, 3)])
    if axis == "x":
        v = v[:, [1, 0, 2]]
    elif axis == "z":
        v = v[:, [0, 2, 1]]
    return outward((v + np.asarray(centre, dtype=np.float64), f))


def sweep(curve: np.ndarray, normals: np.ndarray, profile: np.ndarray) -> Mesh:
    """A closed profile loop (K, 2) of (offset along the plan normal, height) swept along a plan curve (N, 2)
    with unit plan normals (N, 2); both ends capped."""
    prof = np.asarray(profile, dtype=np.float64)
    rings = np.stack([np.stack([curve[i, 0] + prof[:, 0] * normals[i, 0], curve[i, 1] + prof[:, 0] * normals[i, 1],
                                prof[:, 1]], -1) for i in range(len(curve))])
    return loft(rings)


def plan_normals(curve: np.ndarray, outward_from: np.ndarray) -> np.ndarray:
    """Unit normals (N, 2) of a plan polyline, turned to point away from ``outward_from`` (2,)."""
    t = np.gradient(curve, axis=0)
    n = np.stack([t[:, 1], -t[:, 0]], 1)
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    flip = np.einsum("ij,ij->i", n, curve - outward_from) < 0
    n[flip] *= -1
    return n


def rounded_rect(half_w: float, half_h: float, radius: float, per_corner: int = 4) -> np.ndarray:
    """A closed loop (K, 2) around a rectangle with rounded corners, counter-clockwise."""
    radius = min(radius, half_w, half_h)
    pts = []
    for cx, cy, a0 in ((half_w - radius, half_h - radius, 0.0), (-half_w + radius, half_h - radius, np.pi / 2),
                       (-half_w + radius, -half_h + radius, np.pi), (half_w - radius, -half_h + radius, 1.5 * np.pi)):
        for t in np.linspace(a0, a0 + np.pi / 2, per_corner):
            pts.append((cx + radius * np.cos(t), cy + radius * np.sin(t)))
    return np.array(pts)


def ellipsoid(centre, half, nu: int = 8, nv: int = 12, exponent: float = 1.0) -> Mesh:
    """A closed, outward (super)ellipsoid around ``centre`` with half axes ``half`` (exponent < 1: boxier)."""
    v, f = outward(superellipsoid(tuple(half), exponent, exponent, nu, nv))
    return v + np.asarray(centre, dtype=np.float64), f


def cuboid(centre, size) -> Mesh:
    """An axis-aligned, outward box."""
    return outward(box(centre, size))
