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
  with two moving cars needs r ~ 20 of 64; Doppler spread over the whole axis keeps every vector (then it is exact).

Each basis coefficient is then a 2-D NUFFT over (subcarrier, column), r + 1 of them per elevation channel on
(1.25 K) x (1.25 C) grids, and the symbols are recombined after the range crop: prof[.., m] = sum_q y_q U[m, q].
Same result as the 3-D path to the NUFFT tolerance (tested against the literal model), at ~1/10 of the cost
on the paper-scale lot (docs/performance.md).
"""

from __future__ import annotations

import numpy as np
import scipy.fft

from maxray_gen.radar import windows
from maxray_gen.radar.array import row_weights, steering
from maxray_gen.radar.channel import _check_elements, _complex_dtype, _execute_split, _phases, _row_response, _wrap
from maxray_gen.radar.config import RadarConfig
from maxray_gen.radar.paths import PathSet


def doppler_basis(doppler_phase: np.ndarray, power: np.ndarray, n_symbols: int, tol: float) -> tuple[np.ndarray,
                                                                                                     np.ndarray]:
    """Orthonormal slow-time basis U (M, r) for paths with per-symbol phase steps ``doppler_phase`` and weights
    ``power``, and the paths' coefficients B (r, L) with e^{j m w_l} ~= (U B)[m, l].

    r is the least rank whose discarded weighted energy is at most ``tol**2`` of the total.
    """
    m = np.arange(n_symbols)
    e = np.exp(1j * np.outer(m, doppler_phase))  # (M, L)
    gram = (e * power) @ e.conj().T
    vals, vecs = np.linalg.eigh(gram)  # ascending
    vals, vecs = np.clip(vals[::-1], 0.0, None), vecs[:, ::-1]
    total = float(np.sum(vals))
    if total <= 0.0:
        return vecs[:, :0], np.zeros((0, len(doppler_phase)), complex)
    left = np.concatenate([np.cumsum(vals[::-1])[::-1], [0.0]])  # energy outside the first r vectors, r = 0..M
    r = int(np.argmax(left <= tol**2 * total))
    u = vecs[:, :max(r, 1)]
    return u, u.conj().T @ e


def _row_factors(chi: np.ndarray, cfg: RadarConfig) -> np.ndarray:
    """Per elevation channel and path the row response: (B, L)."""
    if cfg.elevation_mode == "noncoherent":
        return steering(chi, cfg.array.rows).T
    return _row_response(chi, row_weights(cfg))[None]


def slow_time_groups(paths: PathSet, cfg: RadarConfig) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``[(selection, U (M, r), B (r, n))]``: the static paths with the constant basis vector, the moving ones with
    the basis fitted to them (see module); e^{j m w_l} ~= (U B)[m, l] for the selected paths l."""
    m = cfg.n_symbols
    dop, _, chi, _ = _phases(paths, cfg)
    groups = []
    moving = dop != 0.0
    if (~moving).any():
        groups.append((~moving, np.full((m, 1), 1 / np.sqrt(m)), np.full((1, int(np.sum(~moving))), np.sqrt(m))))
    if moving.any():
        power = np.abs(paths.gain[moving]) ** 2 * np.sum(np.abs(_row_factors(chi[moving], cfg)) ** 2, axis=0)
        groups.append((moving, *doppler_basis(dop[moving], power, m, cfg.nufft_tolerance / 10)))
    return groups


def range_profiles_from_paths(paths: PathSet, cfg: RadarConfig) -> np.ndarray:
    """Noise-free cropped range profiles (ranges, B, C, M) of steered paths, as
    ``range_profiles(beam_channel(paths))`` gives them, through the fitted slow-time basis (see module)."""
    m, nc, nk = cfg.n_symbols, cfg.array.columns, cfg.n_subcarriers
    b = cfg.array.rows if cfg.elevation_mode == "noncoherent" else 1
    dtype = _complex_dtype(cfg)
    real = np.float32 if dtype == np.complex64 else np.float64
    crop = cfg.range_bin_slice
    out = np.zeros((crop.stop - crop.start, b, nc, m), dtype)
    _check_elements(paths, cfg)
    if paths.per_element.any():
        raise ValueError("range_profiles_from_paths needs steered paths; per-element paths go through beam_channel")
    if len(paths) == 0:
        return out
    _, psi, chi, dly = _phases(paths, cfg)
    oc, ok = nc // 2, nk // 2
    strength = paths.gain * np.exp(1j * ((oc - (nc - 1) / 2) * psi + ok * dly))
    rows = _row_factors(chi, cfg)  # (B, L)
    w = windows.get_window(cfg.range_window, nk)
    for sel, u, coef in slow_time_groups(paths, cfg):
        q = u.shape[1]
        # one 2-D NUFFT over (subcarrier, column) per (basis vector, elevation channel)
        s = (coef[:, None, :] * rows[None, :, sel] * strength[sel]).reshape(q * b, -1)
        pts = (_wrap(dly[sel]).astype(real), _wrap(psi[sel]).astype(real))
        f = _execute_split(pts, np.ascontiguousarray(s, dtype=dtype), (nk, nc), cfg, dtype).reshape(q, b, nk, nc)
        if not np.all(w == 1.0):
            f *= w.astype(real)[:, None]
        # the range IFFT of processing.range_profiles, on this layout, then the symbols from the basis
        prof = scipy.fft.ifft(f, n=cfg.range_fft_size, axis=2, norm="forward", workers=-1, overwrite_x=True)[:, :, crop]
        sym = u.astype(dtype) @ np.ascontiguousarray(prof).reshape(q, -1)  # (M, B R C)
        out += sym.reshape(m, b, -1, nc).transpose(2, 1, 3, 0)
    return out
