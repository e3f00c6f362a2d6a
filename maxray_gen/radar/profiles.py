"""Cropped range profiles straight from a path list, with a Doppler basis fitted to the paths.

:func:`maxray_gen.radar.channel.beam_channel` synthesises the whole row-combined channel (K, B, C, M) with one
3-D NUFFT per elevation channel; the range IFFT then keeps only the range window. Its cost is the 16 FFTs of
(1.25 K) x (1.25 C) x (1.25 M) fine grids, whatever the scene. Most paths of a parking lot do not move, though:
their slow-time response over the M symbols is the constant 1. This module writes every path's slow-time vector
e^{j m w_l} (m = 0..M-1) in an orthonormal basis U (M x r) fitted to the scene:

* static paths (w_l = 0 exactly) have the basis vector 1 / sqrt(M) alone: rank 1, exact;
* moving paths use the leading eigenvectors of their power-weighted Doppler Gram matrix
  G = sum_l |a_l|^2 e(w_l) e(w_l)^H (M x M), kept until the discarded share of the power is below
  ``(nufft_tolerance / 10)^2``: the low-rank approximation with the least weighted error (Eckart-Young). A lot
  with two moving cars needs r ~ 20-25 of 64; Doppler spread over the whole axis keeps every vector (exact).

Each basis coefficient is then a 2-D NUFFT over (subcarrier, column), r + 1 of them per elevation channel on
(1.25 K) x (1.25 C) grids, and the symbols are recombined after the range crop: prof[.., m] = sum_q y_q U[m, q].
When that would cost more than the 3-D NUFFT (many paths with Doppler over much of the axis; an operation-count
model decides) the group goes through :func:`beam_channel`. Same result as the 3-D path to the NUFFT tolerance
(tested against the literal model), at 1/5-1/3 of the map's cost on the paper-scale lot (docs/performance.md).
"""

from __future__ import annotations

import finufft
import numpy as np
import scipy.fft
from threadpoolctl import threadpool_limits

from maxray_gen.radar import windows
from maxray_gen.radar.array import row_weights, steering
from maxray_gen.radar.channel import beam_channel, elevation_channels
from maxray_gen.radar.nufft import (check_elements, complex_dtype, doppler_phase, execute_split, path_phases,
                                    row_response, wrap_phase)
from maxray_gen.radar.config import RadarConfig
from maxray_gen.radar.paths import PathSet


def doppler_basis(doppler_phase: np.ndarray, power: np.ndarray, n_symbols: int, tol: float) -> np.ndarray:
    """Orthonormal slow-time basis U (M, r) for paths with per-symbol phase steps ``doppler_phase`` and weights
    ``power``: the leading eigenvectors of their Gram matrix, r the least rank whose discarded weighted energy is at
    most ``tol**2`` of the total. The Gram matrix is Toeplitz, G[m, m'] = t[m - m'] with
    t[d] = sum_l power_l e^{j d w_l}, one 1-D NUFFT of the paths: O(L + M log M) work, not M^2 x L."""
    t = _doppler_moments(doppler_phase, np.asarray(power, np.float64), n_symbols)
    m = np.arange(n_symbols)
    diff = m[:, None] - m[None, :]
    gram = np.where(diff >= 0, t[np.abs(diff)], np.conj(t[np.abs(diff)]))
    vals, vecs = np.linalg.eigh(gram)  # ascending
    vals, vecs = np.clip(vals[::-1], 0.0, None), vecs[:, ::-1]
    total = float(np.sum(vals))
    if total <= 0.0:
        return vecs[:, :1]
    left = np.concatenate([np.cumsum(vals[::-1])[::-1], [0.0]])  # energy outside the first r vectors, r = 0..M
    return vecs[:, :max(int(np.argmax(left <= tol**2 * total)), 1)]


def basis_coefficients(basis: np.ndarray, doppler_phase: np.ndarray) -> np.ndarray:
    """B (r, L) = U^H e(w_l): the paths' slow-time vectors in the basis (exact when r = M), as r type-2 NUFFTs."""
    m = basis.shape[0]
    off = m // 2  # finufft's modes run from -floor(M/2)
    x = wrap_phase(doppler_phase).astype(np.float64)
    f = np.ascontiguousarray(basis.conj().T, np.complex128)  # (r, M), mode m - off
    c = finufft.nufft1d2(x, f, eps=_BASIS_EPS, isign=1, nthreads=1)
    return np.atleast_2d(c) * np.exp(1j * off * x)


def _doppler_moments(doppler_phase: np.ndarray, power: np.ndarray, n_symbols: int) -> np.ndarray:
    """t[d] = sum_l power_l e^{j d w_l}, d = 0..M-1 (a type-1 NUFFT, modes shifted to start at 0)."""
    off = n_symbols // 2
    x = wrap_phase(doppler_phase).astype(np.float64)
    return finufft.nufft1d1(x, (power * np.exp(1j * off * x)).astype(np.complex128), n_symbols, eps=_BASIS_EPS,
                            isign=1, nthreads=1)


_DECIDE_ON = 4096  # moving paths above which the 3-D-or-basis choice is judged on a subset first
_BASIS_EPS = 1e-12  # the basis is fitted and applied in double precision, far below the synthesis tolerance


def _row_factors(chi: np.ndarray, cfg: RadarConfig) -> np.ndarray:
    """Per elevation channel and path the row response: (B, L)."""
    if cfg.elevation_mode == "noncoherent":
        return steering(chi, cfg.array.rows).T
    return row_response(chi, row_weights(cfg))[None]


def slow_time_groups(paths: PathSet, cfg: RadarConfig, doppler_phase: np.ndarray | None = None,
                     rows: np.ndarray | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """``[(selection, U (M, r))]``: the static paths with the constant basis vector, the moving ones with the
    basis fitted to them (see module). ``doppler_phase`` and ``rows`` (the per-path row factors) when known."""
    m = cfg.n_symbols
    if doppler_phase is None or rows is None:
        doppler_phase, _, chi, _ = path_phases(paths, cfg)
        rows = _row_factors(chi, cfg)
    groups = []
    moving = doppler_phase != 0.0
    if (~moving).any():
        groups.append((~moving, np.full((m, 1), 1 / np.sqrt(m))))
    if moving.any():
        power = np.abs(paths.gain[moving]) ** 2 * np.sum(np.abs(rows[:, moving]) ** 2, axis=0)
        groups.append((moving, doppler_basis(doppler_phase[moving], power, m, cfg.nufft_tolerance / 10)))
    return groups


_KERNEL_WIDTH = 7  # finufft's spreading kernel width near 1e-4 at upsampling 1.25 (cost model only)
_SPREAD_COST = 4.0  # one kernel cell of spreading against one FFT "operation" (5 N log2 N), measured on 2 cores


def _fft_cost(n: float) -> float:
    return 5.0 * n * np.log2(max(n, 2.0))


def _cost_2d(paths: int, q: int, b: int, cfg: RadarConfig) -> float:
    """Operation count of q x b 2-D NUFFTs over (subcarrier, column), their range IFFTs and the coefficients."""
    nk, nc = cfg.n_subcarriers, cfg.array.columns
    per = _SPREAD_COST * paths * _KERNEL_WIDTH**2 + _fft_cost(1.25 * nk * 1.25 * nc) + nc * _fft_cost(nk)
    return q * b * per + _SPREAD_COST * q * paths * _KERNEL_WIDTH


def _cost_3d(paths: int, b: int, cfg: RadarConfig) -> float:
    """Operation count of b 3-D NUFFTs over (subcarrier, column, symbol) plus their range IFFTs."""
    nk, nc, m = cfg.n_subcarriers, cfg.array.columns, cfg.n_symbols
    per = _SPREAD_COST * paths * _KERNEL_WIDTH**3 + _fft_cost(1.25 * nk * 1.25 * nc * 1.25 * m) + \
        nc * m * _fft_cost(nk)
    return b * per


def range_ifft(x: np.ndarray, axis: int, cfg: RadarConfig, workers: int = 1) -> np.ndarray:
    """Windowed, unnormalised range IFFT over the subcarrier ``axis``, cropped to the range window (the caller's
    array is left as it is). A path of delay tau peaks at bin tau * df * Nfft."""
    w = windows.get_window(cfg.range_window, cfg.n_subcarriers)
    y = x
    if not np.all(w == 1.0):
        shape = [1] * x.ndim
        shape[axis] = -1
        y = x * w.astype(x.real.dtype).reshape(shape)
    prof = scipy.fft.ifft(y, n=cfg.range_fft_size, axis=axis, norm="forward", workers=workers, overwrite_x=y is not x)
    index = [slice(None)] * x.ndim
    index[axis] = cfg.range_bin_slice
    return np.ascontiguousarray(prof[tuple(index)])


def _full_channel_profiles(paths: PathSet, sel: np.ndarray, cfg: RadarConfig) -> np.ndarray:
    """Profiles of the selected paths through one 3-D NUFFT per channel (:func:`beam_channel`)."""
    group = paths if sel.all() else paths.select(sel)
    return range_ifft(beam_channel(group, cfg, None, noise=False), 0, cfg)


def range_profiles_from_paths(paths: PathSet, cfg: RadarConfig) -> np.ndarray:
    """Noise-free cropped range profiles (ranges, B, C, M) of steered paths, as
    ``range_profiles(beam_channel(paths))`` gives them, through the fitted slow-time basis (see module).

    BLAS (the eigen-decomposition, the symbol recombination) and the FFTs run single-threaded: the profiles must be
    bit-identical in a laptop process, a SLURM task or a Ray worker (a threaded GEMM or LAPACK call sums in a
    thread-count-dependent order; the SLURM-vs-local dataset test caught it)."""
    with threadpool_limits(limits=1, user_api="blas"):
        return _profiles(paths, cfg)


def _profiles(paths: PathSet, cfg: RadarConfig) -> np.ndarray:
    m, nc, nk = cfg.n_symbols, cfg.array.columns, cfg.n_subcarriers
    b = elevation_channels(cfg)
    dtype = complex_dtype(cfg)
    real = np.float32 if dtype == np.complex64 else np.float64
    crop = cfg.range_bin_slice
    out = np.zeros((crop.stop - crop.start, b, nc, m), dtype)
    check_elements(paths, cfg)
    if paths.per_element.any():
        raise ValueError("range_profiles_from_paths needs steered paths; per-element paths go through beam_channel")
    if len(paths) == 0:
        return out
    dop = doppler_phase(paths, cfg)  # the other phases per group below
    moving = dop != 0.0
    n_moving = int(np.sum(moving))
    if n_moving > _DECIDE_ON:
        # many moving paths: judge the rank on an evenly strided subset first; when one 3-D NUFFT per channel is
        # cheaper (Doppler spread over much of the axis), skip the fit and the per-path factors altogether
        step = n_moving // _DECIDE_ON + 1
        est = doppler_basis(dop[moving][::step], np.abs(paths.gain[moving][::step]) ** 2, m,
                            cfg.nufft_tolerance / 10).shape[1]
        if _cost_3d(n_moving, b, cfg) < _cost_2d(n_moving, est, b, cfg):
            out += _full_channel_profiles(paths, moving, cfg)
            if moving.all():
                return out
            paths = paths.select(~moving)
    sub_dop, psi, chi, dly = path_phases(paths, cfg)
    oc, ok = nc // 2, nk // 2
    strength = paths.gain * np.exp(1j * ((oc - (nc - 1) / 2) * psi + ok * dly))
    rows = _row_factors(chi, cfg)  # (B, L)
    for sel, u in slow_time_groups(paths, cfg, sub_dop, rows):
        q = u.shape[1]
        if _cost_3d(int(np.sum(sel)), b, cfg) < _cost_2d(int(np.sum(sel)), q, b, cfg):
            out += _full_channel_profiles(paths, sel, cfg)
            continue
        # one 2-D NUFFT over (subcarrier, column) per (basis vector, elevation channel)
        coef = basis_coefficients(u, sub_dop[sel])
        s = (coef[:, None, :] * rows[None, :, sel] * strength[sel]).reshape(q * b, -1)
        pts = (wrap_phase(dly[sel]).astype(real), wrap_phase(psi[sel]).astype(real))
        f = execute_split(pts, np.ascontiguousarray(s, dtype=dtype), (nk, nc), cfg, dtype).reshape(q, b, nk, nc)
        prof = range_ifft(f, 2, cfg)  # the range IFFT + crop on this layout, then the symbols from the basis
        sym = u.astype(dtype) @ prof.reshape(q, -1)  # (M, B R C)
        out += sym.reshape(m, b, -1, nc).transpose(2, 1, 3, 0)
    return out
