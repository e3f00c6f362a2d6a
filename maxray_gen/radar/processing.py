"""Periodogram processing (paper Eq. 9) and beamforming: range-azimuth, range-Doppler, range-azimuth-Doppler.

Order of operations (cheapest first): rows combined into elevation channels (see :mod:`.channel`), windowed
range IFFT over subcarriers, crop to the range window, then either per-range-bin spatial covariance over symbols
(range-azimuth: Bartlett s^H R s or Capon 1 / s^H R^-1 s) or a windowed Doppler FFT over symbols (range-Doppler,
RAD cube).

Normalisation (rectangular windows; tapers keep the noise floor and lower the peak by their coherent gain):

* RAD cube: unnormalised sums divided by the window energies, so noise-only cells average the per-element noise
  variance sigma^2 and a unit-gain on-grid target peaks at N * M * elements (the processing gain).
* Range-Doppler: the same per elevation channel, averaged over columns: noise sigma^2, target N * M * rows
  (beam mode) or N * M (noncoherent mode).
* Range-azimuth: the RAD cube summed over Doppler (Parseval: no Doppler FFT is needed), so a unit target peaks at
  N * M * elements whatever its velocity and the noise floor is M * sigma^2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import numpy as np
import scipy.fft
from threadpoolctl import threadpool_limits

from maxray_gen.radar import windows
from maxray_gen.radar.array import azimuth_steering_matrix, row_weights
from maxray_gen.radar.channel import (beam_channel, channel_noise_variance, combine_rows, complex_noise,
                                     elevation_channels, simulate_frame)
from maxray_gen.radar.config import RadarConfig
from maxray_gen.radar.paths import PathSet
from maxray_gen.radar.profiles import range_ifft, range_profiles_from_paths

PRODUCTS = ("range_azimuth", "range_doppler", "rad_cube")


@dataclass(frozen=True)
class RadarHeatmaps:
    """Processed radar products in linear power with their axes. Maps are float32, range along axis 0."""

    range_m: np.ndarray
    azimuth_rad: np.ndarray
    velocity_mps: np.ndarray
    range_azimuth: np.ndarray | None = None  # (ranges, azimuths)
    range_doppler: np.ndarray | None = None  # (ranges, velocities)
    rad_cube: np.ndarray | None = None  # (ranges, azimuths, velocities)
    noise_floor: dict[str, float] = field(default_factory=dict)

    @staticmethod
    def to_db(power: np.ndarray, floor_db: float = -300.0) -> np.ndarray:
        """10 log10 of a power map, clipped below at ``floor_db``."""
        with np.errstate(divide="ignore"):
            return np.maximum(10 * np.log10(power), floor_db).astype(np.float32)


def _window_energy(spec, n: int) -> tuple[np.ndarray, float]:
    w = windows.get_window(spec, n)
    return w, float(np.sum(w**2))


def range_profiles(hc: np.ndarray, cfg: RadarConfig) -> np.ndarray:
    """Windowed range IFFT over subcarriers, cropped to the range window: (K, B, C, M) -> (ranges, B, C, M)."""
    return range_ifft(hc, 0, cfg, workers=-1)


def _elevation_norm(cfg: RadarConfig) -> float:
    if cfg.elevation_mode == "noncoherent":
        return float(cfg.array.rows)  # mean over rows
    return float(np.sum(np.abs(row_weights(cfg)) ** 2))


def spatial_covariance(prof: np.ndarray, cfg: RadarConfig) -> np.ndarray:
    """Per range bin, sum over symbols (Doppler-window weighted) and elevation channels of x x^H: (ranges, C, C)."""
    wn, en = _window_energy(cfg.doppler_window, cfg.n_symbols)
    scale = (wn**2 * cfg.n_symbols / en).astype(prof.real.dtype)
    xs = prof * np.sqrt(scale)
    r, b, c, m = xs.shape
    flat = xs.transpose(0, 2, 1, 3).reshape(r, c, b * m)  # (ranges, columns, snapshots)
    return flat @ flat.conj().transpose(0, 2, 1)


def beamform_range_azimuth(cov: np.ndarray, cfg: RadarConfig) -> np.ndarray:
    """Range-azimuth power from per-range spatial covariances (Bartlett or Capon), normalised (see module)."""
    _, er = _window_energy(cfg.range_window, cfg.n_subcarriers)
    _, ec = _window_energy(cfg.azimuth_window, cfg.array.columns)
    norm = er * _elevation_norm(cfg)
    s = azimuth_steering_matrix(cfg).astype(cov.dtype)  # (C, A): weights w * conj(a)
    if cfg.beamformer == "bartlett":
        # w^H R w with w = conj(s): sum_ij s_i R_ij conj(s_j)
        p = np.einsum("ia,rij,ja->ra", s, cov, s.conj(), optimize=True).real
        return (p / (norm * ec)).astype(np.float32)
    nc = cfg.array.columns
    a = np.conj(s) / np.where(np.abs(s) > 0, np.abs(s), 1.0)  # unit-modulus steering vectors (no taper)
    load = cfg.capon_loading * np.trace(cov, axis1=1, axis2=2).real / nc
    reg = cov + load[:, None, None] * np.eye(nc, dtype=cov.dtype)
    sol = np.linalg.solve(reg, np.broadcast_to(a, (cov.shape[0], *a.shape)))
    denom = np.einsum("ia,ria->ra", a.conj(), sol).real
    # Scaled by C so an isolated on-grid target's Capon peak matches the rectangular-window Bartlett peak.
    return (nc / np.maximum(denom, 1e-300) / norm).astype(np.float32)


def azimuth_fft(channels: np.ndarray, nfft: int) -> np.ndarray:
    """Bartlett beams on a uniform sine grid by zero-padded FFT over the column axis (last), *unshifted*.

    With the steering convention of :mod:`.array`, a source at azimuth theta peaks at bin
    ``round(d sin(theta) nfft) mod nfft`` (d in wavelengths): 30 deg with d = 1/2 is bin 4 of 16, 16 of 64.
    The phase reference is the first column (a pure phase factor per beam versus the centred reference).
    """
    return scipy.fft.fft(channels, n=nfft, axis=-1)


def doppler_spectrum(prof: np.ndarray, cfg: RadarConfig) -> np.ndarray:
    """Windowed Doppler FFT over symbols (fftshifted, positive = approaching): (R, B, C, M) -> (R, B, C, D)."""
    wn, _ = _window_energy(cfg.doppler_window, cfg.n_symbols)
    x = prof * wn.astype(prof.real.dtype)
    spec = scipy.fft.fft(x, n=cfg.doppler_fft_size, axis=-1, workers=-1)
    return scipy.fft.fftshift(spec, axes=-1)


def process_channel(hc: np.ndarray, cfg: RadarConfig, products: Iterable[str] = ("range_azimuth",)) -> RadarHeatmaps:
    """Turn a row-combined channel estimate (K, B, C, M) into the requested products."""
    return process_profiles(range_profiles(hc, cfg), cfg, products)


def process_profiles(prof: np.ndarray, cfg: RadarConfig, products: Iterable[str] = ("range_azimuth",)) -> RadarHeatmaps:
    """Products from cropped range profiles (ranges, B, C, M).

    BLAS runs single-threaded here: multi-threaded GEMMs sum in a thread-count-dependent order, and the maps must
    be bit-identical whether a shard runs on a laptop, in a Ray worker (1 thread) or a SLURM task.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _process_profiles(prof, cfg, products)


def _process_profiles(prof: np.ndarray, cfg: RadarConfig, products: Iterable[str]) -> RadarHeatmaps:
    products = tuple(products)
    unknown = sorted(set(products) - set(PRODUCTS))
    if unknown:
        raise ValueError(f"unknown radar product(s) {unknown}; choose from {list(PRODUCTS)}")
    out: dict[str, np.ndarray] = {}
    floor: dict[str, float] = {}
    sigma2 = cfg.noise_variance
    if "range_azimuth" in products:
        out["range_azimuth"] = beamform_range_azimuth(spatial_covariance(prof, cfg), cfg)
        floor["range_azimuth"] = cfg.n_symbols * sigma2
    if "range_doppler" in products or "rad_cube" in products:
        spec = doppler_spectrum(prof, cfg)  # (R, B, C, D)
        _, er = _window_energy(cfg.range_window, cfg.n_subcarriers)
        _, en = _window_energy(cfg.doppler_window, cfg.n_symbols)
        base = er * en * _elevation_norm(cfg)
        if "range_doppler" in products:
            rd = np.sum(np.abs(spec) ** 2, axis=(1, 2)) / (base * cfg.array.columns)
            out["range_doppler"] = rd.astype(np.float32)
            floor["range_doppler"] = sigma2
        if "rad_cube" in products:
            _, ec = _window_energy(cfg.azimuth_window, cfg.array.columns)
            s = azimuth_steering_matrix(cfg).astype(spec.dtype)
            beams = np.einsum("rbcd,ca->rbad", spec, s, optimize=True)
            cube = np.sum(np.abs(beams) ** 2, axis=1)
            out["rad_cube"] = (cube / (base * ec)).astype(np.float32)
            floor["rad_cube"] = sigma2
    return RadarHeatmaps(
        range_m=cfg.range_axis_m, azimuth_rad=cfg.azimuth_axis_rad, velocity_mps=cfg.doppler_axis_mps,
        noise_floor=floor, **out,
    )


def heatmaps(paths: PathSet, cfg: RadarConfig, rng: np.random.Generator | None = None,
             products: Iterable[str] = ("range_azimuth",), noise: bool = True) -> RadarHeatmaps:
    """Radar products for a path list: fast path (NUFFT synthesis of the cropped range profiles in a slow-time
    basis fitted to the paths, see :mod:`.profiles`; per-element paths through the full channel), then FFTs.

    ``rng`` draws the receiver noise; it is required when the configured noise model is not ``none``. With a
    rectangular range window and no range zero-padding the range IFFT maps i.i.d. noise to i.i.d. noise of
    N times the variance (the DFT's columns are orthogonal), so the noise is drawn directly on the cropped range
    bins: identical in distribution, ~8x fewer random numbers.
    """
    noisy = noise and cfg.noise_variance > 0
    if noisy and rng is None:
        raise ValueError("a random generator is needed to draw receiver noise")
    white = noisy and _range_noise_stays_white(cfg)
    variance = channel_noise_variance(cfg)
    if paths.per_element.any():
        prof = range_profiles(beam_channel(paths, cfg, rng, noise=noisy and not white), cfg)
    else:
        prof = range_profiles_from_paths(paths, cfg)
        if noisy and not white:
            shape = (cfg.n_subcarriers, elevation_channels(cfg), cfg.array.columns, cfg.n_symbols)
            prof += range_profiles(complex_noise(rng, shape, variance, dtype=prof.dtype), cfg)
    if white:
        prof += complex_noise(rng, prof.shape, variance * cfg.n_subcarriers, dtype=prof.dtype)
    return process_profiles(prof, cfg, products)


def _range_noise_stays_white(cfg: RadarConfig) -> bool:
    return cfg.range_oversampling == 1 and cfg.range_window in ("boxcar", "rect", "rectangular", "ones")


def heatmaps_reference(paths: PathSet, cfg: RadarConfig, rng: np.random.Generator,
                       products: Iterable[str] = ("range_azimuth",), noise: bool = True) -> RadarHeatmaps:
    """Radar products via the literal model: full per-element channel, QPSK, noise, H = Y / X, then FFTs."""
    frame = simulate_frame(paths, cfg, rng, noise=noise)
    return process_channel(combine_rows(frame.h, cfg), cfg, products)
