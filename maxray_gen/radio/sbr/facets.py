"""First-bounce physical optics integrated in closed form over every lit facet (Gordon's triangle integral).

The tube engine sampled the PO radiation integral with its tubes, so a curved surface's return depended on where
the tube grid fell (a 0.1 m sphere -1.2 dB, a 0.5 m sphere +2.2 dB at the dataset's 2 cm tubes). Here the facet,
not the ray density, sets the accuracy, as in the PO codes trusted for RCS (POFACETS, RadarSimPy):

* every facet within the radar's range and view is a candidate (back faces of closed bodies and, with the clutter
  model on, the ground are skipped); a facet over which the wavefronts' curvature would make the interpolated
  phase err by more than ``CURVATURE_PHASE`` (k d^2 / 4R > pi / 16: d > 9.7 cm at 15 m), or longer than
  ``max_facet_m`` near its specular point, is bisected along its longest edge until it is not (:func:`refine`);
* one ray from the transmitter to each (sub-)facet's centroid decides whether it is lit (it must reach that facet
  first): lighting, and so partial shadowing, is resolved at the (sub-)facet size;
* the PO currents of the incident spherical wave at the centroid (Fresnel coefficients of the facet's material
  with roughness, :mod:`maxray_gen.radio.sbr.optics`) are radiated to the receiver with the facet's phase
  integral I = int_T exp(-j phi(r)) dS, phi interpolated linearly between the exact two-way phases
  k (|v - tx| + |v - rx|) at the vertices, in closed form: I = 2 A exp[z0, z1, z2], the second divided difference
  of exp at the vertex phases z_i = -j phi_i (Gordon's edge sum, written so that it stays accurate when vertices
  share a phase: a Taylor series when the phases lie within 1.5 rad, the closed form otherwise). Interpolating the
  exact vertex phases (rather than linearising about each centroid) makes neighbouring facets agree along their
  shared edge, so their edge terms cancel as on the real surface.

Exact for the piecewise-linear phase over every lit (sub-)facet: the result converges with the mesh (second order
in the facet size), not with the tubes. Later bounces stay with the tubes (:mod:`maxray_gen.radio.sbr.bounce`).
The candidate test and the physics run as Dr.Jit kernels (LLVM on the CPU, CUDA on a GPU); the refinement of the
few long facets is numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import factorial

import numpy as np

TAYLOR_TERMS = 12
TAYLOR_SPREAD = 1.5  # rad: below this spread of the vertex phases the Taylor series is used (error < 1e-9)
VISIBILITY_TOLERANCE_M = 1e-4
# largest error of the interpolated phase (the wavefronts' curvature over a facet, two-way) [rad]. A 1 m plate at
# 15 m (13 Fresnel zones, |I| 5 % of its area: cancellation magnifies every facet's error 20x) is off by
# -2.2 / -1.0 / +0.06 / -0.02 dB at pi/4, pi/8, pi/16, pi/32
CURVATURE_PHASE = np.pi / 16
SPECULAR_SPREAD = 8.0  # rad: a facet whose linear phase spreads more than this holds no specular point


class Backend:
    """The few array functions :func:`simplex_exp` needs, for numpy or Dr.Jit arrays."""

    def __init__(self, cos, sin, select, minimum, maximum, abs_):
        self.cos, self.sin, self.select, self.minimum, self.maximum, self.abs = cos, sin, select, minimum, maximum, abs_


NUMPY = Backend(np.cos, np.sin, np.where, np.minimum, np.maximum, np.abs)


def drjit_backend() -> Backend:
    import drjit as dr

    return Backend(dr.cos, dr.sin, dr.select, dr.minimum, dr.maximum, dr.abs)


def simplex_exp(x0, x1, x2, xp: Backend = NUMPY):
    """(real, imaginary) parts of the divided difference exp[j x0, j x1, j x2] of real phases: the integral of
    exp(j sum_i l_i x_i) over the standard 2-simplex (area 1/2), accurate for any (also coincident) phases.

    Phases within ``TAYLOR_SPREAD``: e^{j m} sum_n j^n h_n(d) / (n + 2)! (m their mean, d = x - m, h_n the complete
    homogeneous symmetric polynomials; h_1 = 0). Otherwise, with the phases sorted a <= b <= c,
    (D(b, c) - D(a, b)) / (j (c - a)), D(p, q) = e^{j (p + q) / 2} sinc((q - p) / 2): no cancellation, as c - a is the
    largest difference."""
    lo = xp.minimum(xp.minimum(x0, x1), x2)
    hi = xp.maximum(xp.maximum(x0, x1), x2)
    mid = x0 + x1 + x2 - lo - hi
    spread = hi - lo
    # Taylor series about the mean
    m = (x0 + x1 + x2) * (1.0 / 3.0)
    d0, d1, d2 = x0 - m, x1 - m, x2 - m
    h2 = [d0 * 0.0 + 1.0]
    for n in range(1, TAYLOR_TERMS + 1):
        h2.append(d1 ** n + d0 * h2[-1])
    t_re, t_im = d0 * 0.0, d0 * 0.0
    for n in range(TAYLOR_TERMS + 1):
        h3, p = d0 * 0.0, d0 * 0.0 + 1.0
        for j in range(n + 1):
            h3 = h3 + p * h2[n - j]
            p = p * d2
        term = h3 * (1.0 / factorial(n + 2))
        if n % 4 == 0:
            t_re = t_re + term
        elif n % 4 == 1:
            t_im = t_im + term
        elif n % 4 == 2:
            t_re = t_re - term
        else:
            t_im = t_im - term
    cm, sm = xp.cos(m), xp.sin(m)
    taylor_re, taylor_im = cm * t_re - sm * t_im, cm * t_im + sm * t_re

    # closed form
    def sinc(u):
        small = xp.abs(u) < 1e-4
        return xp.select(small, 1.0 - u * u * (1.0 / 6.0), xp.sin(u) / xp.select(small, 1.0, u))

    g_bc, g_ab = sinc(0.5 * (hi - mid)), sinc(0.5 * (mid - lo))
    p_bc, p_ab = 0.5 * (mid + hi), 0.5 * (lo + mid)
    diff_re = xp.cos(p_bc) * g_bc - xp.cos(p_ab) * g_ab
    diff_im = xp.sin(p_bc) * g_bc - xp.sin(p_ab) * g_ab
    safe = xp.select(spread > 0, spread, 1.0)
    closed_re, closed_im = diff_im / safe, -diff_re / safe  # (diff) / (j spread)
    small = spread < TAYLOR_SPREAD
    return xp.select(small, taylor_re, closed_re), xp.select(small, taylor_im, closed_im)


@dataclass(frozen=True)
class Facets:
    """Candidate (sub-)facets for the first-bounce integral: vertices (N, 3) each, the parent triangle's global
    index (what the visibility ray must hit) and object index (snapshot order)."""

    v0: np.ndarray
    v1: np.ndarray
    v2: np.ndarray
    triangle: np.ndarray
    obj: np.ndarray

    def __len__(self) -> int:
        return len(self.triangle)

    @property
    def centroid(self) -> np.ndarray:
        return (self.v0 + self.v1 + self.v2) / 3

    def select(self, keep: np.ndarray) -> "Facets":
        return Facets(self.v0[keep], self.v1[keep], self.v2[keep], self.triangle[keep], self.obj[keep])


def needs_split(f: Facets, tx: np.ndarray, rx: np.ndarray, k: float, max_facet_m: float) -> np.ndarray:
    """Whether the linear phase would not describe a facet well enough: the wavefront's curvature over it,
    k d^2 / (4 R) two-way (d its longest edge; also the largest error of the interpolated phase), exceeds
    ``CURVATURE_PHASE``; or it is longer than ``max_facet_m`` (shadow edges
    resolved at that size) and may hold a specular point (the spread of its linear phase below ``SPECULAR_SPREAD``:
    elsewhere a facet's return is a small edge term, and partial shadowing of it matters little)."""
    edge = np.max(np.stack([np.linalg.norm(f.v1 - f.v0, axis=1), np.linalg.norm(f.v2 - f.v1, axis=1),
                            np.linalg.norm(f.v0 - f.v2, axis=1)]), axis=0)
    c = f.centroid
    s = c - tx
    R = np.maximum(np.linalg.norm(s, axis=1), 1e-3)
    s /= R[:, None]
    o = rx - c
    o /= np.linalg.norm(o, axis=1, keepdims=True)
    w = k * (s - o)
    x = np.stack([np.einsum("ij,ij->i", w, v) for v in (f.v0, f.v1, f.v2)])
    spread = x.max(axis=0) - x.min(axis=0)
    curved = k * edge ** 2 / (4 * R) > CURVATURE_PHASE
    return curved | ((edge > max_facet_m) & (spread < SPECULAR_SPREAD))


def refine(f: Facets, view: "View", k: float, max_facet_m: float, max_rounds: int = 48) -> Facets:
    """Bisect the longest edge of every facet that :func:`needs_split` until none does (a needle such as a 26 m
    kerb splits along its length only: the count grows with its length, not its area). Parts out of ``view``
    are dropped on the way."""
    done: list[Facets] = []
    for _ in range(max_rounds):
        f = f.select(view.sees(f, margin=True))
        split = needs_split(f, view.tx, view.rx, k, max_facet_m) if len(f) else np.zeros(0, bool)
        done.append(f.select(~split))
        if not split.any():
            break
        f = f.select(split)
        v = np.stack([f.v0, f.v1, f.v2], axis=1)  # (N, 3, 3)
        edge = np.linalg.norm(v[:, [1, 2, 0]] - v, axis=2)  # edge i: v_i -> v_{i+1}
        e = np.argmax(edge, axis=1)
        rows = np.arange(len(f))
        a, b, c = v[rows, e], v[rows, (e + 1) % 3], v[rows, (e + 2) % 3]
        m = 0.5 * (a + b)
        tri, obj = np.concatenate([f.triangle, f.triangle]), np.concatenate([f.obj, f.obj])
        f = Facets(np.concatenate([a, m]), np.concatenate([m, b]), np.concatenate([c, c]), tri, obj)
    else:
        done.append(f)
    return Facets(*(np.concatenate([getattr(d, name) for d in done]) for name in ("v0", "v1", "v2", "triangle",
                                                                                   "obj")))


@dataclass(frozen=True)
class View:
    """What the radar can light: transmitter/receiver positions, pose, range and angular limits [m, rad]."""

    tx: np.ndarray
    rx: np.ndarray
    pose: object
    range_max_m: float
    az_limit: float
    el_limit: float

    def sees(self, f: Facets, margin: bool) -> np.ndarray:
        """Facets within range and view: their centroid, or (``margin``) any part of them (by the longest edge)."""
        from maxray_gen.geometry import sensor_angles

        to_c = f.centroid - self.tx
        dist = np.linalg.norm(to_c, axis=1)
        pad = 0.0
        if margin:
            pad = np.max(np.stack([np.linalg.norm(f.v1 - f.v0, axis=1), np.linalg.norm(f.v2 - f.v1, axis=1),
                                   np.linalg.norm(f.v0 - f.v2, axis=1)]), axis=0)
        az, el = sensor_angles(to_c, self.pose)
        ang = np.arcsin(np.clip(pad / np.maximum(dist, 1e-9), 0.0, 1.0)) if margin else 0.0
        near_side = self.pose.vector_to_sensor(to_c)[:, 2] + pad > 0
        return (dist - pad <= self.range_max_m) & (np.abs(az) - ang <= self.az_limit) & \
            (np.abs(el) - ang <= self.el_limit) & near_side


def first_bounce(es, view: View, up: np.ndarray, wavelength_m: float, max_facet_m: float, ground_direct: bool,
                 depth: int):
    """The first-bounce :class:`~maxray_gen.radio.sbr.bounce.Contributions` of every lit facet of ``es`` (an
    :class:`~maxray_gen.radio.sbr.scene.EngineScene`) in ``view`` (see the module docstring)."""
    from maxray_gen.radio.sbr.bounce import Contributions

    k = 2 * np.pi / wavelength_m
    direct, split = _candidates(es, view, k, max_facet_m, ground_direct)
    faces, verts = es.faces_np, es.vertices_np
    parts = [Facets(verts[faces[direct, 0]], verts[faces[direct, 1]], verts[faces[direct, 2]], direct,
                    es.tri_obj_np[direct])]
    if len(split):
        f = Facets(verts[faces[split, 0]], verts[faces[split, 1]], verts[faces[split, 2]], split,
                   es.tri_obj_np[split])
        f = refine(f, view, k, max_facet_m)
        parts.append(f.select(view.sees(f, margin=False)))
    f = Facets(*(np.concatenate([getattr(p, name) for p in parts]) for name in ("v0", "v1", "v2", "triangle", "obj")))
    if len(f) == 0:
        return Contributions.concatenate([], depth)
    out = _radiate(es, f, view, up, k, wavelength_m)
    from maxray_gen.geometry import sensor_angles

    aod = np.stack(sensor_angles(out["s"], view.pose), axis=1)
    objects = np.full((len(out["obj"]), depth), -1, np.int32)
    objects[:, 0] = out["obj"]
    return Contributions(amplitude=out["amplitude"], length_m=out["length"], dldt=out["dldt"], point=out["point"],
                         aod=aod, objects=objects)


def _opaque_vec(mi, values):
    import drjit as dr

    return mi.Vector3f(*(dr.opaque(mi.Float, float(x)) for x in values))


def _candidates(es, view: View, k: float, max_facet_m: float, ground_direct: bool
                ) -> tuple[np.ndarray, np.ndarray]:
    """(triangles to integrate as they are, triangles to refine first): one Dr.Jit kernel over every triangle,
    the tests of :meth:`View.sees` and :func:`needs_split`, plus back faces and ground."""
    import drjit as dr

    mi = es.mi
    v0, v1, v2 = es.tri_vertices
    edge = es.tri_edge
    tx, rx = _opaque_vec(mi, view.tx), _opaque_vec(mi, view.rx)
    rot = view.pose.rotation  # world_from_sensor: sensor coordinates are rot^T (p - tx)
    r = [[dr.opaque(mi.Float, float(rot[i, j])) for j in range(3)] for i in range(3)]
    c = (v0 + v1 + v2) * (1.0 / 3.0)
    to_c = c - tx
    dist = dr.maximum(dr.norm(to_c), 1e-6)
    lx = r[0][0] * to_c.x + r[1][0] * to_c.y + r[2][0] * to_c.z
    ly = r[0][1] * to_c.x + r[1][1] * to_c.y + r[2][1] * to_c.z
    lz = r[0][2] * to_c.x + r[1][2] * to_c.y + r[2][2] * to_c.z
    az = dr.atan2(lx, lz)
    el = dr.atan2(-ly, dr.sqrt(lx * lx + lz * lz))
    ang = dr.asin(dr.minimum(edge / dist, 1.0))

    def sees(pad, a):
        return (dist - pad <= view.range_max_m) & (dr.abs(az) - a <= view.az_limit) & \
            (dr.abs(el) - a <= view.el_limit) & (lz + pad > 0)

    obj = es.tri_obj
    n = es.normals
    cand = sees(edge, ang) & ~(dr.gather(mi.Bool, es.closed, obj) & (dr.dot(to_c, n) >= 0))
    if not ground_direct:
        cand &= ~dr.gather(mi.Bool, es.is_ground, obj)
    s = to_c / dist
    o = dr.normalize(rx - c)
    w = k * (s - o)
    x0, x1, x2 = dr.dot(w, v0 - c), dr.dot(w, v1 - c), dr.dot(w, v2 - c)
    spread = dr.maximum(dr.maximum(x0, x1), x2) - dr.minimum(dr.minimum(x0, x1), x2)
    split = (k * edge * edge / (4.0 * dist) > CURVATURE_PHASE) | ((edge > max_facet_m) & (spread < SPECULAR_SPREAD))
    direct = cand & ~split & sees(0.0, 0.0)
    i_direct, i_split = dr.compress(direct), dr.compress(cand & split)
    return np.asarray(i_direct.numpy(), np.int64), np.asarray(i_split.numpy(), np.int64)


def _radiate(es, f: Facets, view: View, up: np.ndarray, k: float, wavelength_m: float) -> dict[str, np.ndarray]:
    """One Dr.Jit kernel over the facets: visibility ray, PO currents at the centroid, closed-form phase integral;
    returns the lit ones as numpy arrays (amplitude without the propagation phase, path length, d(length)/dt,
    centroid, incident direction, object)."""
    import drjit as dr

    from maxray_gen.radio.sbr.optics import CVec, fresnel, po_projection, reflect

    mi = es.mi
    Float, V3, UInt32 = mi.Float, mi.Vector3f, mi.UInt32
    C = mi.Complex2f

    def up_load(a):
        a = np.asarray(a, np.float32)
        return V3(*(Float(np.ascontiguousarray(a[:, i])) for i in range(3)))

    v0, v1, v2 = up_load(f.v0), up_load(f.v1), up_load(f.v2)
    tri, obj = UInt32(f.triangle.astype(np.uint32)), UInt32(f.obj.astype(np.uint32))
    tx, rx, up_v = _opaque_vec(mi, view.tx), _opaque_vec(mi, view.rx), _opaque_vec(mi, up)

    def pol(v):
        return dr.normalize(up_v - dr.dot(up_v, v) * v)

    c = (v0 + v1 + v2) * (1.0 / 3.0)
    to_c = c - tx
    L = dr.norm(to_c)
    s = to_c / L
    si = es.scene.ray_intersect(mi.Ray3f(tx, s), ray_flags=mi.RayFlags.Minimal, coherent=False)
    lit = si.is_valid() & ((si.prim_index == tri) | (si.t >= L - VISIBILITY_TOLERANCE_M))
    n = dr.gather(V3, es.normals, tri)
    n = dr.select(dr.dot(s, n) > 0, -n, n)
    cos_t = dr.clip(-dr.dot(s, n), 1e-6, 1.0)
    eps = C(dr.gather(Float, es.eps_re, obj), dr.gather(Float, es.eps_im, obj))
    r_perp, r_par = fresnel(C, eps, dr.gather(mi.Bool, es.pec, obj), dr.gather(Float, es.roughness, obj), cos_t, k)
    P = CVec(pol(s), dr.zeros(V3, dr.width(s)))
    s_r, P_r = reflect(V3, s, n, cos_t, P, r_perp, r_par, C)
    to_r = rx - c
    rho = dr.norm(to_r)
    o = to_r / rho
    proj = po_projection(C, n, s, s_r, P, P_r, o, pol(o))
    ref = L + rho
    x = [-k * (dr.norm(v - tx) + dr.norm(v - rx) - ref) for v in (v0, v1, v2)]
    i_re, i_im = simplex_exp(*x, xp=drjit_backend())
    area2 = dr.norm(dr.cross(v1 - v0, v2 - v0))
    scale = area2 * (k * wavelength_m / (16.0 * np.pi ** 2)) / (rho * dr.maximum(L, 1e-6))
    # a = -j proj (I_re + j I_im) scale
    pr, pi_ = dr.real(proj), dr.imag(proj)
    a_re = (pr * i_im + pi_ * i_re) * scale
    a_im = (pi_ * i_im - pr * i_re) * scale
    vel = dr.gather(V3, es.velocity, obj)
    dldt = dr.dot(s - o, vel)
    idx = dr.compress(lit)
    if dr.width(idx) == 0:
        z = np.zeros(0)
        return dict(amplitude=z.astype(np.complex128), length=z, dldt=z, point=np.zeros((0, 3)), s=np.zeros((0, 3)),
                    obj=np.zeros(0, np.int64))
    g = lambda a: np.asarray(dr.gather(Float, a, idx).numpy(), np.float64)  # noqa: E731
    g3 = lambda v: np.stack([g(v.x), g(v.y), g(v.z)], axis=1)  # noqa: E731
    return dict(amplitude=g(a_re) + 1j * g(a_im), length=g(ref), dldt=g(dldt), point=g3(c), s=g3(s),
                obj=np.asarray(dr.gather(UInt32, obj, idx).numpy(), np.int64))
