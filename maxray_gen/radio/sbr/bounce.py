"""Shooting and bouncing ray tubes with a physical-optics current radiated back to the receiver at every lit hit.

Everything per tube runs as Dr.Jit arrays (LLVM on the CPU, CUDA on a GPU); Python loops only over bounce depth.
Conventions: e^{+j w t}, a wave travelling s picks up e^{-j k s}; fields are normalised to the free-space impedance
(eta0 = 1). The transmitter radiates E = p e^{-j k L} / L (unit amplitude at 1 m, polarisation p); a reflection off a
flat facet is an image source, so after bounces the field is P e^{-j k L} / L with L the unfolded length and P the
polarisation after the Fresnel coefficients.

At hit m (facet normal n turned towards the incoming ray, incident direction s, reflected s_r = s - 2 (s.n) n):

* Fresnel fields E_r = R_perp (E.e_perp) e_perp + R_par (E.e_par_i) e_par_r (PEC: R_perp = -1, R_par = +1), each
  times the Ament roughness factor exp(-(2 k h cos t)^2 / 2);
* PO currents J = n x (H_i + H_r), M = (E_i + E_r) x n, radiated to the receiver at the exact distance rho:
  dE = (-j k / 4 pi) (e^{-j k rho} / rho) [J - (J.o) o - o x M] dS F,
  with the tube footprint dS on the facet (cross-section L^2 dOmega / cos t) and the tube shape factor
  F = sinc(w.e1 / 2) sinc(w.e2 / 2), w = k (s - o), e1/e2 the footprint's edges, which makes the integral over a
  flat facet exact for any tube size. Only the factor's main lobe is kept (|w.e| < 2 pi, the phase across the
  tube resolved), tapered smoothly (cos^2) over its outer half: beyond it a tube's value is an edge term of its own
  footprint, which on a smooth surface cancels against its neighbours' but on curved, faceted surfaces leaves
  discretisation noise from the many grazing tubes near the shadow boundary (a 0.1 m sphere was off by -1.2 dB
  with the full sinc), and an abrupt cut at the main lobe's edge is itself an edge whose term oscillates with the
  sampling (+-1.5 dB on spheres). The taper keeps the specular zones, where the return of smooth bodies is made,
  and needs tubes well below the surface's Fresnel zone sqrt(lambda a / 2) there;
* received amplitude a = (lambda / 4 pi) (e_rx . dE) (Friis-consistent: a far-field point target of RCS sigma gives
  |a|^2 = lambda^2 sigma / ((4 pi)^3 R^4)); the propagation phase e^{-j k (L + rho)} is applied in float64 by the
  caller from the exported length;
* multi-bounce returns need a clear line from the hit to the receiver (one shadow ray); first hits see it by
  construction (co-located radar).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from maxray_gen.radio.sbr.launch import TubeGrid
from maxray_gen.radio.sbr.optics import CVec, fresnel, po_return, reflect
from maxray_gen.radio.sbr.scene import EngineScene

SURFACE_OFFSET_M = 1e-4
COMPACT_BELOW = 0.9  # compact the live tubes when fewer than this share of the lanes live on


@dataclass(frozen=True)
class Contributions:
    """Per lit hit (numpy): complex amplitude without the propagation phase, total path length, d(length)/dt,
    the hit point, the departure direction (azimuth, elevation in the sensor frame, (N, 2)), and the objects
    (snapshot indices, -1 padded) of every bounce so far."""

    amplitude: np.ndarray
    length_m: np.ndarray
    dldt: np.ndarray
    point: np.ndarray
    aod: np.ndarray
    objects: np.ndarray

    @staticmethod
    def concatenate(parts: list["Contributions"], depth: int) -> "Contributions":
        pad = lambda a: np.pad(a, ((0, 0), (0, depth - a.shape[1])), constant_values=-1)  # noqa: E731
        if not parts:
            return Contributions(np.zeros(0, np.complex128), np.zeros(0), np.zeros(0), np.zeros((0, 3)),
                                 np.zeros((0, 2)), np.zeros((0, depth), np.int32))
        cat = lambda k: np.concatenate([getattr(p, k) for p in parts])  # noqa: E731
        return Contributions(cat("amplitude"), cat("length_m"), cat("dldt"), cat("point"), cat("aod"),
                             np.concatenate([pad(p.objects) for p in parts]))


@dataclass(frozen=True)
class BeamHits:
    """The hits of one bounce depth m >= 1 that face the receiver (numpy, one row per tube): the triangles and
    objects of the chain so far (N, m + 1), the image source of the incident wave (hit point - direction x
    unfolded length), the incident polarisation (complex, (N, 3)), whether the leg to the receiver is clear, the
    tube's footprint area on the facet, and its own return (amplitude without propagation phase, length,
    d(length)/dt, hit point, departure angles) for where the beam integral does not apply."""

    chain: np.ndarray
    objects: np.ndarray
    image: np.ndarray
    polarisation: np.ndarray
    clear: np.ndarray
    footprint_m2: np.ndarray
    tube_return: Contributions


def _departures(dr, UInt32, tubes: TubeGrid, lane, idx) -> np.ndarray:
    """(N, 2) launch azimuth and elevation of the tubes on lanes ``idx``."""
    tube = np.asarray(dr.gather(UInt32, lane, idx).numpy(), np.int64)
    return np.stack([tubes.azimuth[tube], tubes.elevation[tube]], axis=1)


def _to_np3(v) -> np.ndarray:
    return np.stack([np.asarray(v.x.numpy(), np.float64), np.asarray(v.y.numpy(), np.float64),
                     np.asarray(v.z.numpy(), np.float64)], axis=1)


def trace_tubes(es: EngineScene, tubes: TubeGrid, tx: np.ndarray, rx: np.ndarray, up: np.ndarray,
                wavelength_m: float, max_depth: int, ground_direct: bool, max_length_m: float,
                first_bounce: bool = True, beams: list[BeamHits] | None = None) -> Contributions:
    """Launch ``tubes`` from ``tx`` and collect the PO returns at ``rx`` of every lit hit up to ``max_depth``
    (without the first hits' when ``first_bounce`` is false: :mod:`maxray_gen.radio.sbr.facets` integrates
    those per facet). With a ``beams`` list, the later hits are appended to it per depth as :class:`BeamHits`
    (for :mod:`maxray_gen.radio.sbr.beams`) instead of being returned."""
    import drjit as dr

    mi = es.mi
    Float, V3, UInt32, Bool = mi.Float, mi.Vector3f, mi.UInt32, mi.Bool
    C = mi.Complex2f
    k = 2 * np.pi / wavelength_m  # fixed per radar configuration: a literal is fine
    n_tubes = len(tubes)
    if n_tubes == 0:
        return Contributions.concatenate([], max_depth)
    # Per-sample values are opaque (read from memory, not baked into the kernel as literals), so one compiled
    # kernel serves every basestation pose; they are built afresh where used (a captured size-1 vector was seen
    # widened in place by Dr.Jit 1.5).
    def vec(values):
        return V3(*(dr.opaque(Float, float(x)) for x in values))

    def pol(v):
        up_v = vec(up)
        p = up_v - dr.dot(up_v, v) * v
        return dr.normalize(p)

    az, el = Float(tubes.azimuth.astype(np.float32)), Float(tubes.elevation.astype(np.float32))
    step = Float(tubes.step.astype(np.float32))
    ca, sa, ce, se = dr.cos(az), dr.sin(az), dr.cos(el), dr.sin(el)
    rot = tubes.rotation

    def to_world(x, y, z):  # world_from_sensor rotation, entries opaque
        r = [[dr.opaque(Float, float(rot[i, j])) for j in range(3)] for i in range(3)]
        return V3(r[0][0] * x + r[0][1] * y + r[0][2] * z, r[1][0] * x + r[1][1] * y + r[1][2] * z,
                  r[2][0] * x + r[2][1] * y + r[2][2] * z)

    s = to_world(ce * sa, -se, ce * ca)
    u1 = to_world(ca, dr.zeros(Float, n_tubes), -sa)
    u2 = to_world(-se * sa, -ce, -se * ca)
    w1, w2 = step * ce, step
    o = dr.zeros(V3, n_tubes) + vec(tx)
    p0 = pol(s)
    P = CVec(p0, dr.zeros(V3, n_tubes))
    L = dr.zeros(Float, n_tubes)
    dldt = dr.zeros(Float, n_tubes)
    vprev = dr.zeros(V3, n_tubes)
    lane = dr.arange(UInt32, n_tubes)
    history = np.zeros((n_tubes, 0), np.int32)
    chain = np.zeros((n_tubes, 0), np.int64)
    active = dr.full(Bool, True, n_tubes)
    parts: list[Contributions] = []
    for depth in range(max_depth):
        ray = mi.Ray3f(o, s)
        # coherent=False even for the primary rays: measured 25 % faster on this lot (LLVM, 1.1M tubes)
        si = es.scene.ray_intersect(ray, ray_flags=mi.RayFlags.Minimal, coherent=False, active=active)
        valid = si.is_valid() & active
        t = dr.select(valid, si.t, 0.0)
        tri = si.prim_index
        obj = dr.gather(UInt32, es.tri_obj, tri, valid)
        n = dr.gather(V3, es.normals, tri, valid)
        p = o + s * t
        L = L + t
        vh = dr.gather(V3, es.velocity, obj, valid)
        dldt = dldt + dr.dot(s, vh - vprev)
        sn = dr.dot(s, n)
        n = dr.select(sn > 0, -n, n)
        cos_t = dr.clip(dr.abs(sn), 1e-6, 1.0)
        # Fresnel coefficients of the hit's material (with roughness), reflected ray and polarisation
        eps = C(dr.gather(Float, es.eps_re, obj, valid), dr.gather(Float, es.eps_im, obj, valid))
        r_perp, r_par = fresnel(C, eps, dr.gather(Bool, es.pec, obj, valid),
                                dr.gather(Float, es.roughness, obj, valid), cos_t, k)
        s_r, P_r = reflect(V3, s, n, cos_t, P, r_perp, r_par, C)
        # physical-optics current of this tube radiated to the receiver
        to_r = mi.Point3f(vec(rx)) - p
        rho = dr.norm(to_r)
        ohat = to_r / rho
        lit = valid & (dr.dot(n, ohat) > 0)
        if depth == 0 and not ground_direct:
            lit &= ~dr.gather(Bool, es.is_ground, obj, valid)
        if depth > 0:
            shadow = mi.Ray3f(p + n * SURFACE_OFFSET_M, ohat)
            shadow.maxt = rho - 2 * SURFACE_OFFSET_M
            lit &= ~es.scene.ray_test(shadow, active=lit)
        exported = first_bounce or depth > 0
        if exported:
            amp, F, dS = po_return(C, n, s, s_r, P, P_r, ohat, rho, L, u1 * (L * w1), u2 * (L * w2), cos_t,
                                   pol(ohat), k, wavelength_m)
        total = L + rho
        dldt_tot = dldt - dr.dot(ohat, vh)
        refl = dr.maximum(dr.abs(r_perp), dr.abs(r_par))
        alive = valid & (refl > 1e-4) & (L < max_length_m)
        # one kernel for everything this bounce needs (the ray casts included), not one per read-back
        dr.eval(obj, valid, alive, p, n, s_r, P_r.re, P_r.im, vh, L, dldt,
                *((lit, F, dS, amp, total, dldt_tot) if exported else ()))
        obj_np = np.asarray(obj.numpy(), np.int64).astype(np.int32)
        valid_np = np.asarray(valid.numpy(), bool)
        obj_np[~valid_np] = -1
        history = np.concatenate([history, obj_np[:, None]], axis=1)
        if beams is not None:
            tri_np = np.asarray(tri.numpy(), np.int64)
            chain = np.concatenate([chain, np.where(valid_np, tri_np, -1)[:, None]], axis=1)
        if beams is not None and depth > 0:
            facing = valid & (dr.dot(n, ohat) > 0)
            idx = dr.compress(facing)
            if dr.width(idx):
                i_np = np.asarray(idx.numpy(), np.int64)
                g = lambda a, tp=Float: np.asarray(dr.gather(tp, a, idx).numpy(), np.float64)  # noqa: E731
                clear = np.asarray(dr.gather(Bool, lit, idx).numpy(), bool)
                tube_amp = (g(dr.real(amp)) + 1j * g(dr.imag(amp))) * clear
                point = _to_np3(dr.gather(V3, p, idx))
                beams.append(BeamHits(
                    chain=chain[i_np], objects=history[i_np],
                    image=point - _to_np3(dr.gather(V3, s, idx)) * g(L)[:, None],
                    polarisation=_to_np3(dr.gather(V3, P.re, idx)) + 1j * _to_np3(dr.gather(V3, P.im, idx)),
                    clear=clear, footprint_m2=g(dS),
                    tube_return=Contributions(tube_amp, g(total), g(dldt_tot), point,
                                              _departures(dr, UInt32, tubes, lane, idx), history[i_np])))
        idx = dr.compress(lit & (F != 0)) if exported and beams is None else None  # outside the main lobe: nothing
        if idx is not None and dr.width(idx):
            i_np = np.asarray(idx.numpy(), np.int64)
            g = lambda a, tp=Float: np.asarray(dr.gather(tp, a, idx).numpy(), np.float64)  # noqa: E731
            parts.append(Contributions(
                amplitude=g(dr.real(amp)) + 1j * g(dr.imag(amp)), length_m=g(total), dldt=g(dldt_tot),
                point=_to_np3(dr.gather(V3, p, idx)),
                aod=_departures(dr, UInt32, tubes, lane, idx), objects=history[i_np]))
        if depth == max_depth - 1:
            break
        keep = dr.compress(alive)
        if dr.width(keep) == 0:
            break
        if dr.width(keep) >= COMPACT_BELOW * dr.width(alive):
            # most lanes live on (the first ground and car hits): carry a mask instead of gathering every state
            # vector into a compacted copy (one kernel over all lanes saved; same per-lane arithmetic)
            active = alive
            gv = gf = lambda a: a  # noqa: E731
        else:
            keep_np = np.asarray(keep.numpy(), np.int64)
            history = history[keep_np]
            if beams is not None:
                chain = chain[keep_np]
            gv = lambda a: dr.gather(V3, a, keep)  # noqa: E731
            gf = lambda a: dr.gather(Float, a, keep)  # noqa: E731
            lane = dr.gather(UInt32, lane, keep)
            active = dr.full(Bool, True, dr.width(keep))
        n_k = gv(n)
        o = gv(p) + n_k * SURFACE_OFFSET_M
        s = gv(s_r)
        P = CVec(gv(P_r.re), gv(P_r.im))
        u1 = gv(u1)
        u2 = gv(u2)
        u1 = u1 - 2.0 * dr.dot(u1, n_k) * n_k
        u2 = u2 - 2.0 * dr.dot(u2, n_k) * n_k
        w1, w2, L, dldt = gf(w1), gf(w2), gf(L), gf(dldt)
        vprev = gv(vh)
        dr.eval(o, s, P.re, P.im, u1, u2, w1, w2, L, dldt, vprev, lane)
    return Contributions.concatenate(parts, max_depth)
