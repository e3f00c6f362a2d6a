"""The non-uniform FFTs the channel synthesis and the range profiles share (:mod:`maxray_gen.radar.channel`,
:mod:`maxray_gen.radar.profiles`): per-path phase steps, cached finufft plans, and the split execution that keeps
results bit-identical whatever the machine."""

from __future__ import annotations

import threading

import finufft
import numpy as np

from maxray_gen.errors import DataError
from maxray_gen.radar.array import spatial_phases
from maxray_gen.radar.config import RadarConfig
from maxray_gen.radar.paths import PathSet


def doppler_phase(paths: PathSet, cfg: RadarConfig) -> np.ndarray:
    """Per-path Doppler phase step from one OFDM symbol to the next (radians); exactly 0 for static paths."""
    return 2 * np.pi * cfg.symbol_interval_s * paths.doppler_hz


def path_phases(paths: PathSet, cfg: RadarConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-path phase steps: Doppler per symbol, column, row, and delay per subcarrier (radians)."""
    doppler = doppler_phase(paths, cfg)
    psi, chi = spatial_phases(cfg, paths.aoa_azimuth, paths.aoa_elevation)
    delay = -2 * np.pi * cfg.subcarrier_spacing_hz * paths.delay_s
    return doppler, psi, chi, delay


def complex_dtype(cfg: RadarConfig) -> type:
    """complex64 for ``precision: single``, else complex128."""
    return np.complex64 if cfg.precision == "single" else np.complex128


def check_elements(paths: PathSet, cfg: RadarConfig) -> None:
    """One clear error when a per-element path names an element the array does not have."""
    n = cfg.array.n_elements
    if len(paths) and paths.element.max() >= n:
        raise DataError(f"path list names receive element {int(paths.element.max())} but the radar array has "
                        f"{cfg.array.rows} x {cfg.array.columns} = {n} elements")


def row_response(chi: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """sum_r weights[r] exp(j chi (r - (R-1)/2)) per path, by Horner's scheme (multiplications, not exps)."""
    z = np.exp(1j * chi)
    acc = np.full(chi.shape, weights[-1], dtype=np.complex128)
    for w in weights[-2::-1]:
        acc *= z
        acc += w
    return acc * np.exp(-0.5j * (len(weights) - 1) * chi)


def wrap_phase(x: np.ndarray) -> np.ndarray:
    """Phases wrapped into [-pi, pi) (finufft's point domain)."""
    return (x + np.pi) % (2 * np.pi) - np.pi


_plans = threading.local()


def nufft_plan(modes: tuple[int, ...], n_trans: int, cfg: RadarConfig, dtype) -> "finufft.Plan":
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


def execute_split(pts: tuple, strengths: np.ndarray, modes: tuple[int, ...], cfg: RadarConfig, dtype) -> np.ndarray:
    """Type-1 NUFFTs of the rows of ``strengths`` (T, L) at points ``pts``: (T, *modes) flattened as finufft returns.

    With several transforms (noncoherent elevation: one per row) they run in NUFFT_SPLIT fixed groups on as many
    threads, each a single-threaded plan (finufft releases the GIL): deterministic, and faster on 2 cores than one
    plan's batch (16 transforms: 1.1 -> 0.64 s measured; multi-threaded finufft changes the rounding run to run)."""
    t = strengths.shape[0]
    split = NUFFT_SPLIT if cfg.deterministic else 1  # otherwise each plan already uses every core
    groups = [g for g in np.array_split(np.arange(t), min(split, t)) if len(g)]

    def run(g: np.ndarray) -> np.ndarray:
        plan = nufft_plan(modes, len(g), cfg, dtype)
        plan.setpts(*pts)
        return plan.execute(np.ascontiguousarray(strengths[g]))

    if len(groups) == 1:
        return run(groups[0])
    parts = list(_pool().map(run, groups))
    return np.concatenate([p.reshape(len(g), -1) for p, g in zip(parts, groups)])
