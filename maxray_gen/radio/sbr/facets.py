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

from maxray_gen.geometry import sensor_angles
from maxray_gen.radio.sbr.bounce import Contributions

TAYLOR_TERMS = 12
TAYLOR_SPREAD = 1.5  # rad: below this spread of the vertex phases the Taylor series is used (error < 1e-9)
VISIBILITY_TOLERANCE_M = 1e-4
# largest error of the interpolated phase (the wavefronts' curvature over a facet, two-way) [rad]. A 1 m plate at
# 15 m (13 Fresnel zones, |I| 5 % of its area: cancellation magnifies every facet's error 20x) is off by
# -2.2 / -1.0 / +0.06 / -0.02 dB at pi/4, pi/8, pi/16, pi/32
CURVATURE_PHASE = np.pi / 16
SPECULAR_SPREAD = 8.0  # rad: a facet whose linear phase spreads more than this holds no specular point
STATIONARY_MARGIN = 3.0  # allowed facet sizes around a stationary point of the phase that are refined


@dataclass(frozen=True)
class Backend:
    """The few array functions :func:`simplex_exp` and :func:`classify` need, for numpy or Dr.Jit arrays."""

    cos: object
    sin: object
    select: object
    minimum: object
    maximum: object
    abs: object
    sqrt: object
    atan2: object
    asin: object


NUMPY = Backend(np.cos, np.sin, np.where, np.minimum, np.maximum, np.abs, np.sqrt, np.arctan2, np.arcsin)


def drjit_backend() -> Backend:
    import drjit as dr

    return Backend(dr.cos, dr.sin, dr.select, dr.minimum, dr.maximum, dr.abs, dr.sqrt, dr.atan2, dr.asin)


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
    """(Sub-)facets to integrate: vertices (N, 3) each, the mesh triangle they lie on (global index: what a
    visibility ray must hit), its object (snapshot order), and a tag carried through refinement (the bounce chain
    a beam polygon's piece belongs to)."""

    v0: np.ndarray
    v1: np.ndarray
    v2: np.ndarray
    triangle: np.ndarray
    obj: np.ndarray
    tag: np.ndarray

    FIELDS = ("v0", "v1", "v2", "triangle", "obj", "tag")

    def __len__(self) -> int:
        return len(self.triangle)

    @property
    def centroid(self) -> np.ndarray:
        return (self.v0 + self.v1 + self.v2) / 3

    def select(self, keep: np.ndarray) -> "Facets":
        return Facets(*(getattr(self, name)[keep] for name in self.FIELDS))

    @staticmethod
    def concatenate(parts: list["Facets"]) -> "Facets":
        return Facets(*(np.concatenate([getattr(p, name) for p in parts]) for name in Facets.FIELDS))


def _dot(a, b):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _sub(a, b):
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def _cross(a, b):
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


@dataclass(frozen=True)
class View:
    """What the radar can light and resolve: transmitter/receiver positions, pose, range and angular limits, and
    the extents below which a facet radiating from its centroid is one point to the radar [m, rad]."""

    tx: np.ndarray
    rx: np.ndarray
    pose: object
    range_max_m: float
    az_limit: float
    el_limit: float
    range_cap_m: float
    angle_cap: float


def classify(v0, v1, v2, view: View, k: float, max_facet_m: float, xp: Backend = NUMPY):
    """(partly in view, centroid in view, to be split) per facet; vectors as (x, y, z) tuples of component arrays
    (numpy or Dr.Jit: the same test runs in the candidate kernel and in :func:`refine`).

    A facet is split where it is radiated from its centroid but is not one point to the radar (its range extent
    above ``range_cap_m`` or its cross-range extent above ``angle_cap`` at its range); where the wavefronts'
    curvature over it, k d^2 / 4R two-way (d its longest edge: also the largest error of the interpolated phase),
    exceeds ``CURVATURE_PHASE`` near a stationary point of the phase (monostatic: the foot of the perpendicular
    from the radar on its plane or on one of its edges' lines, within ``STATIONARY_MARGIN`` allowed sizes of it:
    elsewhere its return is an edge term that the interpolated phase carries); or where it is longer than
    ``max_facet_m`` (shadow edges) and may hold a specular point (its linear phase spreads less than
    ``SPECULAR_SPREAD``)."""
    tx = tuple(float(x) for x in view.tx)
    rot = view.pose.rotation  # world_from_sensor
    c = tuple((v0[i] + v1[i] + v2[i]) * (1.0 / 3.0) for i in range(3))
    t = _sub(c, tx)
    dist = xp.maximum(xp.sqrt(_dot(t, t)), 1e-6)
    e = (_sub(v1, v0), _sub(v2, v1), _sub(v0, v2))
    elen = [xp.sqrt(_dot(x, x)) for x in e]
    edge = xp.maximum(xp.maximum(elen[0], elen[1]), elen[2])
    lx, ly, lz = (sum(float(rot[i, j]) * t[i] for i in range(3)) for j in range(3))
    az = xp.atan2(lx, lz)
    el = xp.atan2(-ly, xp.sqrt(lx * lx + lz * lz))
    ang = xp.asin(xp.minimum(edge / dist, 1.0))
    sees_any = (dist - edge <= view.range_max_m) & (xp.abs(az) - ang <= view.az_limit) & \
        (xp.abs(el) - ang <= view.el_limit) & (lz + edge > 0)
    sees_centroid = (dist <= view.range_max_m) & (xp.abs(az) <= view.az_limit) & (xp.abs(el) <= view.el_limit) & \
        (lz > 0)
    # one point to the radar?
    r = [xp.sqrt(_dot(d, d)) for d in (_sub(v0, tx), _sub(v1, tx), _sub(v2, tx))]
    range_extent = xp.maximum(xp.maximum(r[0], r[1]), r[2]) - xp.minimum(xp.minimum(r[0], r[1]), r[2])
    lateral = xp.sqrt(xp.maximum(edge * edge - range_extent * range_extent, 0.0))
    wide = (range_extent > view.range_cap_m) | (lateral > dist * view.angle_cap)
    # curvature near a stationary point
    allowed = xp.sqrt(4.0 * dist * CURVATURE_PHASE / k)
    curved = edge > allowed
    margin = STATIONARY_MARGIN * allowed
    n = _cross(e[0], _sub(v2, v0))
    n_len = xp.maximum(xp.sqrt(_dot(n, n)), 1e-30)
    n = (n[0] / n_len, n[1] / n_len, n[2] / n_len)
    interior = None
    on_edge = None
    for i, v in enumerate((v0, v1, v2)):
        to_tx = _sub(tx, v)
        inside = _dot(_cross(e[i], to_tx), n) >= -margin * elen[i]  # in-plane distance of the foot >= -margin
        along = _dot(to_tx, e[i])  # where the foot of the perpendicular falls on the edge's line, times |e|
        near = (along >= -margin * elen[i]) & (along <= elen[i] * (elen[i] + margin))
        interior = inside if interior is None else interior & inside
        on_edge = near if on_edge is None else on_edge | near
    x = [_dot(t, _sub(v, c)) * (2.0 * k) / dist for v in (v0, v1, v2)]  # monostatic linear phase at the vertices
    spread = xp.maximum(xp.maximum(x[0], x[1]), x[2]) - xp.minimum(xp.minimum(x[0], x[1]), x[2])
    split = wide | (curved & (interior | on_edge)) | ((edge > max_facet_m) & (spread < SPECULAR_SPREAD))
    return sees_any, sees_centroid, split


def refine(f: Facets, test, max_rounds: int = 48) -> Facets:
    """Bisect the longest edge of every facet that ``test`` says to split until none is (a needle such as a 26 m
    kerb splits along its length only: the count grows with its length, not its area). ``test(f)`` returns three
    masks: still relevant (else dropped), done (kept as it is), to be split."""
    done: list[Facets] = []
    for _ in range(max_rounds):
        alive, accept, split = test(f)
        done.append(f.select(accept & ~split))
        f = f.select(alive & split)
        if len(f) == 0:
            break
        v = np.stack([f.v0, f.v1, f.v2], axis=1)  # (N, 3, 3)
        edge = np.linalg.norm(v[:, [1, 2, 0]] - v, axis=2)  # edge i: v_i -> v_{i+1}
        e = np.argmax(edge, axis=1)
        rows = np.arange(len(f))
        a, b, c = v[rows, e], v[rows, (e + 1) % 3], v[rows, (e + 2) % 3]
        m = 0.5 * (a + b)
        twice = lambda x: np.concatenate([x, x])  # noqa: E731
        f = Facets(np.concatenate([a, m]), np.concatenate([m, b]), np.concatenate([c, c]), twice(f.triangle),
                   twice(f.obj), twice(f.tag))
    else:
        done.append(f)
    return Facets.concatenate(done)


def view_test(view: View, k: float, max_facet_m: float):
    """The :func:`refine` test of first-bounce facets: :func:`classify` (parts out of view are dropped, only
    facets whose centroid is in view are kept)."""
    def test(f: Facets):
        cols = lambda a: (a[:, 0], a[:, 1], a[:, 2])  # noqa: E731
        return classify(cols(f.v0), cols(f.v1), cols(f.v2), view, k, max_facet_m)
    return test


def first_bounce(es, view: View, up: np.ndarray, wavelength_m: float, max_facet_m: float, ground_direct: bool,
                 depth: int):
    """The first-bounce :class:`~maxray_gen.radio.sbr.bounce.Contributions` of every lit facet of ``es`` (an
    :class:`~maxray_gen.radio.sbr.scene.EngineScene`) in ``view`` (see the module docstring)."""
    k = 2 * np.pi / wavelength_m
    direct, split = _candidates(es, view, k, max_facet_m, ground_direct)
    faces, verts = es.faces_np, es.vertices_np
    zeros = lambda idx: np.zeros(len(idx), np.int64)  # noqa: E731
    parts = [Facets(verts[faces[direct, 0]], verts[faces[direct, 1]], verts[faces[direct, 2]], direct,
                    es.tri_obj_np[direct], zeros(direct))]
    if len(split):
        f = Facets(verts[faces[split, 0]], verts[faces[split, 1]], verts[faces[split, 2]], split,
                   es.tri_obj_np[split], zeros(split))
        parts.append(refine(f, view_test(view, k, max_facet_m)))
    f = Facets.concatenate(parts)
    if len(f) == 0:
        return Contributions.concatenate([], depth)
    out = radiate(es, f, view, up, k, wavelength_m)
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
    """(triangles to integrate as they are, triangles to refine first): one Dr.Jit kernel over every triangle with
    :func:`classify`, plus back faces of closed bodies and (with the clutter model) the ground."""
    import drjit as dr

    mi = es.mi
    v0, v1, v2 = ((v.x, v.y, v.z) for v in es.tri_vertices)
    sees_any, sees_centroid, split = classify(v0, v1, v2, view, k, max_facet_m, drjit_backend())
    obj = es.tri_obj
    c = [(v0[i] + v1[i] + v2[i]) * (1.0 / 3.0) - float(view.tx[i]) for i in range(3)]
    n = es.normals
    facing_away = c[0] * n.x + c[1] * n.y + c[2] * n.z >= 0
    cand = sees_any & ~(dr.gather(mi.Bool, es.closed, obj) & facing_away)
    if not ground_direct:
        cand &= ~dr.gather(mi.Bool, es.is_ground, obj)
    i_direct, i_split = dr.compress(cand & ~split & sees_centroid), dr.compress(cand & split)
    return np.asarray(i_direct.numpy(), np.int64), np.asarray(i_split.numpy(), np.int64)


def radiate(es, f: Facets, view: View, up: np.ndarray, k: float, wavelength_m: float,
            source: np.ndarray | None = None, polarisation: np.ndarray | None = None, visibility: bool = True
            ) -> dict[str, np.ndarray]:
    """One Dr.Jit kernel over the facets: PO currents of a spherical wave from ``source`` (per facet; default the
    transmitter) of polarisation ``polarisation`` (complex (N, 3); default the antenna's, unit amplitude at 1 m) at
    the centroid, radiated to the receiver with the closed-form phase integral. With ``visibility``, a ray from the
    source to the centroid must reach the facet first. Returns the lit facets as numpy arrays: amplitude without the
    propagation phase, path length (source -> centroid -> receiver), d(length)/dt of the facet's own motion,
    centroid, incident direction, object."""
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
    rx, up_v = _opaque_vec(mi, view.rx), _opaque_vec(mi, up)
    tx = _opaque_vec(mi, view.tx) if source is None else up_load(source)

    def pol(v):
        return dr.normalize(up_v - dr.dot(up_v, v) * v)

    c = (v0 + v1 + v2) * (1.0 / 3.0)
    to_c = c - tx
    L = dr.norm(to_c)
    s = to_c / L
    if visibility:
        si = es.scene.ray_intersect(mi.Ray3f(tx, s), ray_flags=mi.RayFlags.Minimal, coherent=False)
        lit = si.is_valid() & ((si.prim_index == tri) | (si.t >= L - VISIBILITY_TOLERANCE_M))
    else:
        lit = dr.full(mi.Bool, True, dr.width(s))
    n = dr.gather(V3, es.normals, tri)
    n = dr.select(dr.dot(s, n) > 0, -n, n)
    cos_t = dr.clip(-dr.dot(s, n), 1e-6, 1.0)
    eps = C(dr.gather(Float, es.eps_re, obj), dr.gather(Float, es.eps_im, obj))
    r_perp, r_par = fresnel(C, eps, dr.gather(mi.Bool, es.pec, obj), dr.gather(Float, es.roughness, obj), cos_t, k)
    if polarisation is None:
        P = CVec(pol(s), dr.zeros(V3, dr.width(s)))
    else:
        P = CVec(up_load(polarisation.real), up_load(polarisation.imag))
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
