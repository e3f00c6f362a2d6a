"""Per-hit optics of the SBR engine as Dr.Jit expressions: complex field vectors, Fresnel reflection with
roughness, and the physical-optics return of one ray tube (see :mod:`maxray_gen.radio.sbr.bounce` for the
conventions and the formulas). Every function works on whole Dr.Jit arrays (one lane per tube)."""

from __future__ import annotations

import numpy as np


class CVec:
    """A complex 3-vector as two real Dr.Jit vectors (re, im)."""

    def __init__(self, re, im):
        self.re, self.im = re, im

    def dot(self, v, C):
        """Complex scalar (C: the Complex2f type) self . v for a real vector v."""
        import drjit as dr

        return C(dr.dot(self.re, v), dr.dot(self.im, v))

    def __add__(self, other: "CVec") -> "CVec":
        return CVec(self.re + other.re, self.im + other.im)

    def crossed_by(self, v) -> "CVec":
        """v x self for a real vector v."""
        import drjit as dr

        return CVec(dr.cross(v, self.re), dr.cross(v, self.im))

    def cross(self, v) -> "CVec":
        """self x v for a real vector v."""
        import drjit as dr

        return CVec(dr.cross(self.re, v), dr.cross(self.im, v))


def scaled(z, v) -> CVec:
    """Complex scalar z times real vector v."""
    import drjit as dr

    return CVec(dr.real(z) * v, dr.imag(z) * v)


def fresnel(C, eps, pec, roughness_m, cos_t, k: float):
    """(R_perp, R_par) of a half-space of complex permittivity ``eps`` (PEC: -1, +1), times the Ament factor
    exp(-(2 k h cos t)^2 / 2) of an rms roughness h; cos t = -n.s."""
    import drjit as dr

    q = dr.sqrt(eps - (1.0 - cos_t * cos_t))
    r_perp = dr.select(pec, C(-1.0, 0.0), (cos_t - q) / (cos_t + q))
    r_par = dr.select(pec, C(1.0, 0.0), (eps * cos_t - q) / (eps * cos_t + q))
    ament = dr.exp(-0.5 * dr.square(2.0 * k * roughness_m * cos_t))
    return r_perp * ament, r_par * ament


def reflect(V3, s, n, cos_t, P: CVec, r_perp, r_par, C):
    """Reflected direction s_r = s - 2 (s.n) n and polarisation R_perp (P.e_perp) e_perp + R_par (P.e_par_i)
    e_par_r (n faces the incoming ray; at normal incidence any e_perp perpendicular to s)."""
    import drjit as dr

    sxn = dr.cross(s, n)
    alt = dr.cross(s, dr.select(dr.abs(s.z) < 0.9, V3(0, 0, 1), V3(1, 0, 0)))
    e_perp = dr.normalize(dr.select(dr.norm(sxn) < 1e-6, alt, sxn))
    e_par_i = dr.cross(e_perp, s)
    s_r = s + 2.0 * cos_t * n
    e_par_r = dr.cross(e_perp, s_r)
    P_r = scaled(r_perp * P.dot(e_perp, C), e_perp) + scaled(r_par * P.dot(e_par_i, C), e_par_r)
    return s_r, P_r


def tube_factor(x):
    """sinc(x) over its main lobe, tapered by cos^2 over the lobe's outer half, 0 beyond (see bounce.py)."""
    import drjit as dr

    ax = dr.abs(x)
    v = dr.select(ax < 1e-4, 1.0 - x * x / 6.0, dr.sin(x) / dr.select(ax < 1e-4, 1.0, x))
    taper = dr.select(ax < 0.5 * np.pi, 1.0, dr.square(dr.cos(ax - 0.5 * np.pi)))
    return dr.select(ax < np.pi, v * taper, 0.0)


def po_projection(C, n, s, s_r, P: CVec, P_r: CVec, ohat, e_rx):
    """e_rx . [J - (J.o) o - o x M] of the PO currents J = n x (H_i + H_r), M = (E_i + E_r) x n of a unit incident
    field of polarisation P (reflected P_r) on a facet of normal n (eta0 = 1): the part of the radiated field that
    does not depend on how the current's phase is integrated over the surface."""
    import drjit as dr

    J = (P.crossed_by(s) + P_r.crossed_by(s_r)).crossed_by(n)
    M = (P + P_r).cross(n)
    Jo = J.dot(ohat, C)
    V = CVec(J.re - dr.real(Jo) * ohat - dr.cross(ohat, M.re), J.im - dr.imag(Jo) * ohat - dr.cross(ohat, M.im))
    return V.dot(e_rx, C)


def po_return(C, n, s, s_r, P: CVec, P_r: CVec, ohat, rho, L, U1, U2, cos_t, e_rx, k: float, wavelength_m: float):
    """Received amplitude (without the propagation phase) of one tube's PO current radiated to the receiver, the
    tube factor F and the tube's footprint area dS on the facet: E_i = P / L, a = (lambda / 4 pi) e_rx . (-j k / 4 pi) (1 / rho) [J - (J.o) o - o x M] dS F,
    with the tube cross-section edges U1, U2 projected along s onto the facet (footprint dS, edges e1, e2) and
    w = k (s - o)."""
    import drjit as dr

    e1 = U1 + s * (dr.dot(U1, n) / cos_t)  # s . n = -cos t with n facing the ray
    e2 = U2 + s * (dr.dot(U2, n) / cos_t)
    dS = dr.norm(dr.cross(e1, e2))
    wv = k * (s - ohat)
    F = tube_factor(0.5 * dr.dot(wv, e1)) * tube_factor(0.5 * dr.dot(wv, e2))
    proj = po_projection(C, n, s, s_r, P, P_r, ohat, e_rx)
    scale = (k * wavelength_m / (16.0 * np.pi ** 2)) * dS * F / (rho * dr.maximum(L, 1e-6))
    return C(dr.imag(proj) * scale, -dr.real(proj) * scale), F, dS  # (-j) * proj * scale
