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

import threading

import finufft
import numpy as np

from maxray_gen.radar.array import row_weights, spatial_phases, steering
from maxray_gen.radar.config import RadarConfig
from maxray_gen.errors import DataError
from maxray_gen.radar.paths import PathSet


def doppler_phase(paths: PathSet, cfg: RadarConfig) -> np.ndarray:
    """Per-path Doppler phase step from one OFDM symbol to the next (radians); exactly 0 for static paths."""
    return 2 * np.pi * cfg.symbol_interval_s * paths.doppler_hz


def elevation_channels(cfg: RadarConfig) -> int:
    """B of the processing layout: the rows kept apart (noncoherent) or one elevation beam."""
    return cfg.array.rows if cfg.elevation_mode == "noncoherent" else 1


def channel_noise_variance(cfg: RadarConfig) -> float:
    """Noise variance of one elevation channel's estimate: a row's, or the beam's (sum of |row weights|^2)."""
    if elevation_channels(cfg) > 1:
        return cfg.noise_variance
    return cfg.noise_variance * float(np.sum(np.abs(row_weights(cfg)) ** 2))


def _phases(paths: PathSet, cfg: RadarConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-path phase steps: Doppler per symbol, column, row, and delay per subcarrier (radians)."""
    doppler = doppler_phase(paths, cfg)
    psi, chi = spatial_phases(cfg, paths.aoa_azimuth, paths.aoa_elevation)
    delay = -2 * np.pi * cfg.subcarrier_spacing_hz * paths.delay_s
    return doppler, psi, chi, delay


def _complex_dtype(cfg: RadarConfig) -> type:
    return np.complex64 if cfg.precision == "single" else np.complex128


def _check_elements(paths: PathSet, cfg: RadarConfig) -> None:
    n = cfg.array.n_elements
    if len(paths) and paths.element.max() >= n:
        raise DataError(f"path list names receive element {int(paths.element.max())} but the radar array has "
                        f"{cfg.array.rows} x {cfg.array.columns} = {n} elements")


def synthesize_channel(paths: PathSet, cfg: RadarConfig, chunk: int = 256) -> np.ndarray:
    """Noise-free channel H, shape (symbols, rows, columns, subcarriers), by direct per-path synthesis.

    Paths to the array reference point are steered onto every element; per-element paths add to their element.
    """
    m, nr, nc, nk = cfg.n_symbols, cfg.array.rows, cfg.array.columns, cfg.n_subcarriers
    _check_elements(paths, cfg)
    out = np.zeros((m * nr * nc, nk), dtype=np.complex128)
    per_el = paths.per_element
    if per_el.any():
        ep = paths.select(per_el)
        dop, _, _, dly = _phases(ep, cfg)
        view = out.reshape(m, nr * nc, nk)
        for e in np.unique(ep.element):
            i = np.flatnonzero(ep.element == e)
            slow = ep.gain[i, None] * np.exp(1j * np.outer(dop[i], np.arange(m)))  # (L, M)
            view[:, e, :] += slow.T @ np.exp(1j * np.outer(dly[i], np.arange(nk)))
        paths = paths.select(~per_el)
    dop, psi, chi, dly = _phases(paths, cfg)
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


def _row_response(chi: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """sum_r weights[r] exp(j chi (r - (R-1)/2)) per path, by Horner's scheme (multiplications, not exps)."""
    z = np.exp(1j * chi)
    acc = np.full(chi.shape, weights[-1], dtype=np.complex128)
    for w in weights[-2::-1]:
        acc *= z
        acc += w
    return acc * np.exp(-0.5j * (len(weights) - 1) * chi)


def _wrap(x: np.ndarray) -> np.ndarray:
    return (x + np.pi) % (2 * np.pi) - np.pi


_plans = threading.local()


def _plan(modes: tuple[int, ...], n_trans: int, cfg: RadarConfig, dtype) -> "finufft.Plan":
    """A cached finufft plan. Deterministic mode: one thread and FFTW_ESTIMATE, so results are bit-identical
    from run to run (multi-threaded spreading and FFTW_MEASURE planning change the rounding)."""
    det = cfg.deterministic
    key = (modes, n_trans, cfg.nufft_tolerance, np.dtype(dtype).str, det)
    cache = _plans.__dict__.setdefault("cache", {})
    if key not in cache:
        cache[key] = finufft.Plan(
            1, modes, n_trans=n_trans, eps=cfg.nufft_tolerance, isign=1, dtype=dtype,
            upsampfac=1.25 if cfg.nufft_tolerance >= 1e-9 else 2.0,
            nthreads=1 if det else 0, fftw=64 if det else 0,  # 64 = FFTW_ESTIMATE, 0 = FFTW_MEASURE
        )
    return cache[key]


_POOL = None


def _pool():
    """Persistent worker threads (their cached plans live in thread-local storage)."""
    global _POOL
    if _POOL is None:
        from concurrent.futures import ThreadPoolExecutor

        _POOL = ThreadPoolExecutor(NUFFT_SPLIT, thread_name_prefix="maxray-nufft")
    return _POOL


NUFFT_SPLIT = 2  # fixed, whatever the machine: the same transforms in the same groups give bit-identical results


def _execute_split(pts: tuple, strengths: np.ndarray, modes: tuple[int, ...], cfg: RadarConfig, dtype) -> np.ndarray:
    """Type-1 NUFFTs of the rows of ``strengths`` (T, L) at points ``pts``: (T, *modes) flattened as finufft returns.

    With several transforms (noncoherent elevation: one per row) they run in NUFFT_SPLIT fixed groups on as many
    threads, each a single-threaded plan (finufft releases the GIL): deterministic, and faster on 2 cores than one
    plan's batch (16 transforms: 1.1 -> 0.64 s measured; multi-threaded finufft changes the rounding run to run)."""
    t = strengths.shape[0]
    split = NUFFT_SPLIT if cfg.deterministic else 1  # otherwise each plan already uses every core
    groups = [g for g in np.array_split(np.arange(t), min(split, t)) if len(g)]

    def run(g: np.ndarray) -> np.ndarray:
        plan = _plan(modes, len(g), cfg, dtype)
        plan.setpts(*pts)
        return plan.execute(np.ascontiguousarray(strengths[g]))

    if len(groups) == 1:
        return run(groups[0])
    parts = list(_pool().map(run, groups))
    return np.concatenate([p.reshape(len(g), -1) for p, g in zip(parts, groups)])


def _element_channel(paths: PathSet, cfg: RadarConfig, out_shape: tuple, dtype) -> np.ndarray:
    """Row-combined channel of per-element paths: one 2-D NUFFT over (subcarrier, symbol) per output channel."""
    nk, b, nc, m = out_shape
    out = np.zeros(out_shape, dtype=dtype)
    dop, _, _, dly = _phases(paths, cfg)
    rows, cols = paths.element // nc, paths.element % nc
    weights = row_weights(cfg)
    strength = paths.gain * np.exp(1j * (m // 2 * dop + nk // 2 * dly))
    real = np.float32 if dtype == np.complex64 else np.float64
    plan = _plan((nk, m), 1, cfg, dtype)
    for c in range(nc):
        for bi in range(b):
            sel = (cols == c) if b == 1 else ((cols == c) & (rows == bi))
            if not sel.any():
                continue
            w = weights[rows[sel]] if b == 1 else 1.0
            plan.setpts(_wrap(dly[sel]).astype(real), _wrap(dop[sel]).astype(real))
            out[:, bi, c, :] = plan.execute(np.ascontiguousarray(strength[sel] * w, dtype=dtype))
    return out


def beam_channel(paths: PathSet, cfg: RadarConfig, rng: np.random.Generator | None, noise: bool = True) -> np.ndarray:
    """Row-combined channel estimate in the processing layout (K, B, C, M), straight from the paths via a
    type-1 NUFFT over (subcarrier, column, symbol), plus receiver noise."""
    m, nr, nc, nk = cfg.n_symbols, cfg.array.rows, cfg.array.columns, cfg.n_subcarriers
    dtype = _complex_dtype(cfg)
    b = elevation_channels(cfg)
    out_shape = (nk, b, nc, m)
    _check_elements(paths, cfg)
    per_el = paths.per_element
    element_part = _element_channel(paths.select(per_el), cfg, out_shape, dtype) if per_el.any() else None
    paths = paths.select(~per_el) if per_el.any() else paths
    if len(paths) == 0:
        h = np.zeros(out_shape, dtype=dtype)
    else:
        dop, psi, chi, dly = _phases(paths, cfg)
        # finufft's modes run from -floor(N/2); shift them to 0..N-1 (columns: to the centred index c').
        om, oc, ok = m // 2, nc // 2, nk // 2
        strength = paths.gain * np.exp(1j * (om * dop + (oc - (nc - 1) / 2) * psi + ok * dly))
        if b == 1:
            strengths = (strength * _row_response(chi, row_weights(cfg)))[None]
        else:
            strengths = strength[None, :] * steering(chi, nr).T
        real = np.float32 if dtype == np.complex64 else np.float64
        # Modes (subcarrier, column, symbol) come back C-ordered as (K, C, M) per transform: the processing
        # layout, and the axis order that FFTW handles fastest here (measured: 2x faster than the reverse).
        pts = (_wrap(dly).astype(real), _wrap(psi).astype(real), _wrap(dop).astype(real))
        f = _execute_split(pts, np.ascontiguousarray(strengths, dtype=dtype), (nk, nc, m), cfg, dtype)
        h = f.reshape(b, nk, nc, m).transpose(1, 0, 2, 3) if b > 1 else f.reshape(nk, 1, nc, m)
    if element_part is not None:
        h = h + element_part
    if noise and cfg.noise_variance > 0:
        if rng is None:
            raise ValueError("a random generator is needed to draw receiver noise")
        h = h + complex_noise(rng, out_shape, channel_noise_variance(cfg), dtype=dtype)
    return h
