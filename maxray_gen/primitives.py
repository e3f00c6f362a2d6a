"""Procedural triangle meshes and snapshots in numpy: plates, boxes, corner reflectors, car shapes, a parking lot.

Used for closed-form tests, the shipped radio test scene and benchmarks (no Blender needed). Meshes are
(vertices (V, 3), faces (F, 3)) in metres with outward-facing, counter-clockwise triangles.
"""

from __future__ import annotations

import numpy as np

from maxray_gen.geometry import Pose, cross3
from maxray_gen.snapshot import SceneSnapshot, SnapshotObject

Mesh = tuple[np.ndarray, np.ndarray]


def signed_volume(vertices: np.ndarray, faces: np.ndarray) -> float:
    """Enclosed volume by the divergence theorem (positive for outward-facing closed meshes)."""
    v, f = np.asarray(vertices, dtype=np.float64), np.asarray(faces)
    return float(np.einsum("ij,ij->i", v[f[:, 0]], cross3(v[f[:, 1]], v[f[:, 2]])).sum() / 6.0)


def quad(corners) -> Mesh:
    """Two triangles for four corners given counter-clockwise seen from the side the normal points to."""
    return np.asarray(corners, dtype=np.float64), np.array([[0, 1, 2], [0, 2, 3]])


def grid_plane(x0: float, x1: float, y0: float, y1: float, z: float = 0.0, nx: int = 1, ny: int = 1) -> Mesh:
    """A horizontal plane z = const, normal +z, subdivided into nx x ny cells (2 triangles each)."""
    xs, ys = np.linspace(x0, x1, nx + 1), np.linspace(y0, y1, ny + 1)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    v = np.stack([gx.ravel(), gy.ravel(), np.full(gx.size, z)], axis=1)
    i = np.arange(nx)[:, None] * (ny + 1) + np.arange(ny)[None, :]
    a, b, c, d = i, i + (ny + 1), i + (ny + 2), i + 1
    f = np.concatenate([np.stack([a, b, c], -1).reshape(-1, 3), np.stack([a, c, d], -1).reshape(-1, 3)])
    return v, f


def box(centre, size, yaw: float = 0.0) -> Mesh:
    """An oriented box around ``centre``: ``size`` = (length along its heading, width, height), heading ``yaw``."""
    l, w, h = (np.asarray(size, dtype=np.float64) / 2)
    v = np.array([[sx * l, sy * w, sz * h] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)])
    f = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                  [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])
    return rotate_z(v, yaw) + np.asarray(centre, dtype=np.float64), f


def rotate_z(v: np.ndarray, yaw: float) -> np.ndarray:
    c, s = np.cos(yaw), np.sin(yaw)
    return v @ np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]])


def superellipsoid(half: tuple[float, float, float], e1: float = 0.25, e2: float = 0.25, nu: int = 24,
                   nv: int = 48) -> Mesh:
    """A closed rounded-box surface |x/a|^(2/e2) + |y/b|^(2/e2)) ^(e2/e1) + |z/c|^(2/e1) = 1 (small e: boxier)."""
    def spow(x, p):
        return np.sign(x) * np.abs(x) ** p

    a, b, c = half
    u = np.linspace(-np.pi / 2, np.pi / 2, nu + 1)[1:-1]  # latitude without poles
    w = np.linspace(-np.pi, np.pi, nv, endpoint=False)
    uu, ww = np.meshgrid(u, w, indexing="ij")
    x = a * spow(np.cos(uu), e1) * spow(np.cos(ww), e2)
    y = b * spow(np.cos(uu), e1) * spow(np.sin(ww), e2)
    z = c * spow(np.sin(uu), e1)
    v = np.concatenate([np.stack([x, y, z], -1).reshape(-1, 3), [[0, 0, -c], [0, 0, c]]])
    rings, south, north = nu - 1, len(v) - 2, len(v) - 1
    f = []
    for i in range(rings - 1):
        for j in range(nv):
            p, q = i * nv + j, i * nv + (j + 1) % nv
            f += [[p, q, q + nv], [p, q + nv, p + nv]]
    for j in range(nv):
        f.append([south, (j + 1) % nv, j])
        top = (rings - 1) * nv
        f.append([north, top + j, top + (j + 1) % nv])
    return v, np.array(f)


def car(length: float = 4.5, width: float = 1.8, height: float = 1.5, detail: int = 1) -> Mesh:
    """A car-like body: rounded lower body plus a narrower, shorter cabin; origin at ground under its centre,
    heading +x. ``detail`` scales the tessellation (1: ~4k triangles)."""
    nu, nv = 16 * detail, 32 * detail
    body_h = 0.55 * height
    bv, bf = superellipsoid((length / 2, width / 2, body_h / 2), 0.3, 0.3, nu, nv)
    bv[:, 2] += 0.18 * height + body_h / 2
    cab_h = height - (0.18 * height + body_h) + 0.05
    cv, cf = superellipsoid((0.28 * length, 0.45 * width, cab_h / 2 + 0.05), 0.45, 0.35, nu, nv)
    cv[:, 0] -= 0.06 * length
    cv[:, 2] += height - cab_h / 2 - 0.05
    return np.concatenate([bv, cv]), np.concatenate([bf, cf + len(bv)])


def placed(mesh: Mesh, position, yaw: float = 0.0) -> Mesh:
    v, f = mesh
    return rotate_z(v, yaw) + np.asarray(position, dtype=np.float64), f


def trihedral(apex, size: float, opening) -> Mesh:
    """Three mutually perpendicular square plates meeting at ``apex``; the columns of the rotation ``opening``
    are the three edge directions from the apex."""
    axes = np.asarray(opening, dtype=np.float64)
    e = [axes[:, i] * size for i in range(3)]
    apex = np.asarray(apex, dtype=np.float64)
    verts, faces = [], []
    for i, j in ((0, 1), (1, 2), (2, 0)):
        base = len(verts)
        verts += [apex, apex + e[i], apex + e[i] + e[j], apex + e[j]]
        faces += [[base, base + 1, base + 2], [base, base + 2, base + 3]]
    return np.array(verts), np.array(faces)


def obj(name, iid, role, material, mesh: Mesh, velocity=(0.0, 0.0, 0.0)) -> SnapshotObject:
    return SnapshotObject(name, iid, role, material, mesh[0], mesh[1], np.asarray(velocity, dtype=np.float64))


def radar_pose(height: float = 4.0, target=(0.0, 15.0, 0.0)) -> Pose:
    """Basestation at the lot's southern edge (x east, y north, z up), looking north and down at ``target``."""
    return Pose.look_at([0.0, 0.0, height], target)


def parking_lot(rng: np.random.Generator, n_cars: int = 20, detail: int = 1, ground_cells: int = 100,
                moving: int = 0) -> SceneSnapshot:
    """A procedural lot: asphalt ground, two rows of slots north of the radar, a concrete wall, metal lamp posts,
    ``n_cars`` parked cars (random slots, yaw jitter and sizes) of which the first ``moving`` drive along the lane."""
    objects = [obj("ground", 1, "ground", "asphalt", grid_plane(-20, 20, -2, 45, 0.0, ground_cells, ground_cells))]
    objects.append(obj("wall", 2, "building", "concrete", quad([[-20, 42, 0], [20, 42, 0], [20, 42, 6], [-20, 42, 6]])))
    for k, x in enumerate((-12.0, 0.0, 12.0)):
        objects.append(obj(f"pole{k}", 10 + k, "pole", "metal", box((x, 24.0, 3.0), (0.15, 0.15, 6.0))))
    slots = [(x, y) for y in (14.0, 30.0) for x in np.arange(-15.0, 15.1, 2.7)]
    chosen = rng.choice(len(slots), size=min(n_cars, len(slots)), replace=False)
    for k, s in enumerate(chosen):
        x, y = slots[s]
        dims = (rng.normal(4.5, 0.3), rng.normal(1.8, 0.08), rng.normal(1.5, 0.1))
        yaw = np.pi / 2 + rng.normal(0, 0.05) + (np.pi if rng.random() < 0.5 else 0.0)
        vel = (0.0, 0.0, 0.0)
        if k < moving:
            x, y, yaw = rng.uniform(-10, 10), 22.0, 0.0
            vel = (rng.choice([-1, 1]) * rng.uniform(2, 5), 0.0, 0.0)
        objects.append(obj(f"car{k}", 100 + k, "car", "car_paint",
                           placed(car(*dims, detail=detail), (x + rng.normal(0, 0.1), y + rng.normal(0, 0.1), 0.0), yaw),
                           vel))
    return SceneSnapshot(tuple(objects), radar_pose())


def radio_test_lot() -> SceneSnapshot:
    """The small shipped radio test scene: three cars, a pole and a box on a concrete ground plane."""
    objects = [
        obj("ground", 1, "ground", "concrete", grid_plane(-10, 10, -1, 30, 0.0, 4, 6)),
        obj("car_left", 101, "car", "car_paint", placed(car(4.4, 1.8, 1.45), (-4.0, 12.0, 0.0), np.pi / 2)),
        obj("car_mid", 102, "car", "car_paint", placed(car(4.7, 1.85, 1.5), (1.0, 18.0, 0.0), np.pi / 2 + 0.1),
            (0.0, -2.0, 0.0)),
        obj("car_right", 103, "car", "car_paint", placed(car(4.2, 1.75, 1.55), (5.0, 9.0, 0.0), 0.2)),
        obj("pole", 11, "pole", "metal", box((-1.5, 7.0, 2.0), (0.15, 0.15, 4.0))),
        obj("crate", 12, "clutter", "wood", box((3.5, 24.0, 0.5), (1.0, 1.0, 1.0), 0.4)),
    ]
    return SceneSnapshot(tuple(objects), radar_pose(4.0, (0.0, 14.0, 0.0)))


def cylinder(radius: float, length: float, n: int = 6) -> Mesh:
    """An open ``n``-sided tube of ``radius`` along +z from 0 to ``length`` (a rain streak)."""
    ang = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ring = np.stack([radius * np.cos(ang), radius * np.sin(ang), np.zeros(n)], 1)
    v = np.concatenate([ring, ring + [0, 0, length]])
    f = []
    for j in range(n):
        a, b = j, (j + 1) % n
        f += [[a, b, b + n], [a, b + n, a + n]]
    return v, np.array(f)


def icosahedron(radius: float) -> Mesh:
    """A regular icosahedron of circumradius ``radius`` around the origin (a snowflake)."""
    t = (1 + 5**0.5) / 2
    v = np.array([[-1, t, 0], [1, t, 0], [-1, -t, 0], [1, -t, 0], [0, -1, t], [0, 1, t], [0, -1, -t], [0, 1, -t],
                  [t, 0, -1], [t, 0, 1], [-t, 0, -1], [-t, 0, 1]], dtype=float)
    v *= radius / np.linalg.norm(v[0])
    f = np.array([[0, 11, 5], [0, 5, 1], [0, 1, 7], [0, 7, 10], [0, 10, 11], [1, 5, 9], [5, 11, 4], [11, 10, 2],
                  [10, 7, 6], [7, 1, 8], [3, 9, 4], [3, 4, 2], [3, 2, 6], [3, 6, 8], [3, 8, 9], [4, 9, 5], [2, 4, 11],
                  [6, 2, 10], [8, 6, 7], [9, 8, 1]])
    return v, f
