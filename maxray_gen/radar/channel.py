"""OFDM channel synthesis (paper appendix E, Eqs. 7-8).

For known transmitted symbols X[n, k] (QPSK, unit modulus, the same on every receive element) the receiver sees
Y = H X + Z and estimates H = Y / X, where for paths l

    H[n, r, c, k] = sum_l g_l exp(+j 2 pi n T fD_l) exp(-j 2 pi k df tau_l) exp(j psi_l c') exp(j chi_l r')

(T the symbol interval, c' and r' centred element indices, psi/chi the spatial phase steps; see
:mod:`maxray_gen.radar.array`). Arrays are laid out (symbol n, row r, column c, subcarrier k).

Two implementations:

* :func:`simulate_frame` is the literal model: full H per element, QPSK symbols, noise, spectral division.
  It costs O(paths x N x M x elements) and is the reference.
* :func:`beam_channel` produces the row-combined channel that the processing needs directly, with a 3-D type-1
  non-uniform FFT (finufft) over (symbol, column, subcarrier): O(paths + N M C log(N M C)). Its noise is drawn
  after the (linear) row combination, which for i.i.d. circular Gaussian noise Z / X is identical in
  distribution; noise-free, both agree to ``nufft_tolerance``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from maxray_gen.radar.array import row_weights, steering
from maxray_gen.radar.config import RadarConfig
from maxray_gen.radar.nufft import (check_elements, complex_dtype, doppler_phase, execute_split,  # noqa: F401
                                    nufft_plan, path_phases, row_response, wrap_phase)
from maxray_gen.radar.paths import PathSet


def elevation_channels(cfg: RadarConfig) -> int:
    """B of the processing layout: the rows kept apart (noncoherent) or one elevation beam."""
    return cfg.array.rows if cfg.elevation_mode == "noncoherent" else 1


def channel_noise_variance(cfg: RadarConfig) -> float:
    """Noise variance of one elevation channel's estimate: a row's, or the beam's (sum of |row weights|^2)."""
    if elevation_channels(cfg) > 1:
        return cfg.noise_variance
    return cfg.noise_variance * float(np.sum(np.abs(row_weights(cfg)) ** 2))


def synthesize_channel(paths: PathSet, cfg: RadarConfig, chunk: int = 256) -> np.ndarray:
    """Noise-free channel H, shape (symbols, rows, columns, subcarriers), by direct per-path synthesis.

    Paths to the array reference point are steered onto every element; per-element paths add to their element.
    """
    m, nr, nc, nk = cfg.n_symbols, cfg.array.rows, cfg.array.columns, cfg.n_subcarriers
    check_elements(paths, cfg)
    out = np.zeros((m * nr * nc, nk), dtype=np.complex128)
    per_el = paths.per_element
    if per_el.any():
        ep = paths.select(per_el)
        dop, _, _, dly = path_phases(ep, cfg)
        view = out.reshape(m, nr * nc, nk)
        for e in np.unique(ep.element):
            i = np.flatnonzero(ep.element == e)
            slow = ep.gain[i, None] * np.exp(1j * np.outer(dop[i], np.arange(m)))  # (L, M)
            view[:, e, :] += slow.T @ np.exp(1j * np.outer(dly[i], np.arange(nk)))
        paths = paths.select(~per_el)
    dop, psi, chi, dly = path_phases(paths, cfg)
    n_idx, k_idx = np.arange(m), np.arange(nk)
    for s in range(0, len(paths), chunk):
        sl = slice(s, s + chunk)
        g = paths.gain[sl]
        slow = np.exp(1j * np.outer(dop[sl], n_idx))  # (L, M)
        rows, cols = steering(chi[sl], nr), steering(psi[sl], nc)  # (L, R), (L, C)
        left = (g[:, None, None, None] * slow[:, :, None, None] * rows[:, None, :, None] * cols[:, None, None, :])
        fast = np.exp(1j * np.outer(dly[sl], k_idx))  # (L, K)
        out += left.reshape(len(g), -1).T @ fast
    return out.reshape(m, nr, nc, nk)


def qpsk(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Unit-modulus QPSK symbols drawn from ``rng``."""
    bits = rng.integers(0, 4, size=shape)
    return np.exp(1j * (np.pi / 4 + np.pi / 2 * bits))


def complex_noise(rng: np.random.Generator, shape: tuple[int, ...], variance: float, dtype=np.complex128) -> np.ndarray:
    """Circular complex Gaussian noise with the given total variance E|z|^2."""
    real = np.float32 if np.dtype(dtype) == np.complex64 else np.float64
    z = rng.standard_normal(2 * int(np.prod(shape)), dtype=real)
    z *= real(np.sqrt(variance / 2))
    return z.view(dtype).reshape(shape)


@dataclass(frozen=True)
class OfdmFrame:
    """One sensing frame: transmitted symbols X (symbols, subcarriers), received Y and estimated H = Y / X
    (symbols, rows, columns, subcarriers)."""

    x: np.ndarray
    y: np.ndarray
    h: np.ndarray


def simulate_frame(paths: PathSet, cfg: RadarConfig, rng: np.random.Generator, noise: bool = True) -> OfdmFrame:
    """Eqs. 7-8 literally: QPSK X, Y = H X + Z per element, H_est = Y / X."""
    h_true = synthesize_channel(paths, cfg)
    x = qpsk(rng, (cfg.n_symbols, cfg.n_subcarriers))
    y = h_true * x[:, None, None, :]
    if noise and cfg.noise_variance > 0:
        y = y + complex_noise(rng, y.shape, cfg.noise_variance)
    return OfdmFrame(x=x, y=y, h=y / x[:, None, None, :])


def combine_rows(h: np.ndarray, cfg: RadarConfig) -> np.ndarray:
    """Row combination of a full channel (M, R, C, K) into the processing layout (K, B, C, M).

    B = 1 for the elevation beam (rows weighted by :func:`row_weights`), or B = R rows kept for noncoherent mode.
    """
    if cfg.elevation_mode == "noncoherent":
        return np.ascontiguousarray(h.transpose(3, 1, 2, 0))
    return np.einsum("r,mrck->kcm", row_weights(cfg), h)[:, None]


def _element_channel(paths: PathSet, cfg: RadarConfig, out_shape: tuple, dtype) -> np.ndarray:
    """Row-combined channel of per-element paths: one 2-D NUFFT over (subcarrier, symbol) per output channel."""
    nk, b, nc, m = out_shape
    out = np.zeros(out_shape, dtype=dtype)
    dop, _, _, dly = path_phases(paths, cfg)
    rows, cols = paths.element // nc, paths.element % nc
    weights = row_weights(cfg)
    strength = paths.gain * np.exp(1j * (m // 2 * dop + nk // 2 * dly))
    real = np.float32 if dtype == np.complex64 else np.float64
    plan = nufft_plan((nk, m), 1, cfg, dtype)
    for c in range(nc):
        for bi in range(b):
            sel = (cols == c) if b == 1 else ((cols == c) & (rows == bi))
            if not sel.any():
                continue
            w = weights[rows[sel]] if b == 1 else 1.0
            plan.setpts(wrap_phase(dly[sel]).astype(real), wrap_phase(dop[sel]).astype(real))
            out[:, bi, c, :] = plan.execute(np.ascontiguousarray(strength[sel] * w, dtype=dtype))
    return out


def beam_channel(paths: PathSet, cfg: RadarConfig, rng: np.random.Generator | None, noise: bool = True) -> np.ndarray:
    """Row-combined channel estimate in the processing layout (K, B, C, M), straight from the paths via a
    type-1 NUFFT over (subcarrier, column, symbol), plus receiver noise."""
    m, nr, nc, nk = cfg.n_symbols, cfg.array.rows, cfg.array.columns, cfg.n_subcarriers
    dtype = complex_dtype(cfg)
    b = elevation_channels(cfg)
    out_shape = (nk, b, nc, m)
    check_elements(paths, cfg)
    per_el = paths.per_element
    element_part = _element_channel(paths.select(per_el), cfg, out_shape, dtype) if per_el.any() else None
    paths = paths.select(~per_el) if per_el.any() else paths
    if len(paths) == 0:
        h = np.zeros(out_shape, dtype=dtype)
    else:
        dop, psi, chi, dly = path_phases(paths, cfg)
        # finufft's modes run from -floor(N/2); shift them to 0..N-1 (columns: to the centred index c').
        om, oc, ok = m // 2, nc // 2, nk // 2
        strength = paths.gain * np.exp(1j * (om * dop + (oc - (nc - 1) / 2) * psi + ok * dly))
        if b == 1:
            strengths = (strength * row_response(chi, row_weights(cfg)))[None]
        else:
            strengths = strength[None, :] * steering(chi, nr).T
        real = np.float32 if dtype == np.complex64 else np.float64
        # Modes (subcarrier, column, symbol) come back C-ordered as (K, C, M) per transform: the processing
        # layout, and the axis order that FFTW handles fastest here (measured: 2x faster than the reverse).
        pts = (wrap_phase(dly).astype(real), wrap_phase(psi).astype(real), wrap_phase(dop).astype(real))
        f = execute_split(pts, np.ascontiguousarray(strengths, dtype=dtype), (nk, nc, m), cfg, dtype)
        h = f.reshape(b, nk, nc, m).transpose(1, 0, 2, 3) if b > 1 else f.reshape(nk, 1, nc, m)
    if element_part is not None:
        h = h + element_part
    if noise and cfg.noise_variance > 0:
        if rng is None:
            raise ValueError("a random generator is needed to draw receiver noise")
        h = h + complex_noise(rng, out_shape, channel_noise_variance(cfg), dtype=dtype)
    return h
