"""Micro-Doppler: per-object Doppler profiles from range-Doppler maps, spectrograms over a sequence, envelopes.

A frame's range-Doppler map holds, at an object's range, the Doppler spread of everything there during the frame's
coherent interval (``radar.n_symbols`` x ``radar.symbol_interval_s``, 8 ms by default): a walking person's torso,
swinging arms and legs each at their own radial velocity. Stacking one object's Doppler profile frame after
frame gives its spectrogram (Doppler vs time): the torso line and the limbs' envelope, the signature radar work
classifies people and drones by. Velocities are radial, positive approaching; beyond
``radar.max_unambiguous_velocity_mps`` they fold (rotor blade tips do).
"""

from __future__ import annotations

import math

import numpy as np

OBJECT_DOPPLER_HALF_WIDTH_M = 0.6  # an object's Doppler profile: the strongest of the range bins this close to it


def half_width_bins(range_bin_m: float, half_width_m: float = OBJECT_DOPPLER_HALF_WIDTH_M) -> int:
    """How many range bins either side of an object's bin its Doppler profile looks at (at least one)."""
    return max(1, int(math.ceil(half_width_m / range_bin_m)))


def object_profiles(range_doppler: np.ndarray, range_bins: np.ndarray, half_width_bins: int = 1) -> np.ndarray:
    """(K, D) Doppler power profiles of K objects: each the maximum over the range bins within
    ``half_width_bins`` of the object's (fractional) range bin of a (R, D) range-Doppler power map; NaN rows for
    objects outside the map's range window or with a NaN bin."""
    rd = np.asarray(range_doppler)
    bins = np.atleast_1d(np.asarray(range_bins, np.float64))
    out = np.full((len(bins), rd.shape[1]), np.nan, np.float32)
    for k, b in enumerate(bins):
        if not np.isfinite(b):
            continue
        c = int(round(b))
        lo, hi = max(c - half_width_bins, 0), min(c + half_width_bins + 1, rd.shape[0])
        if lo < hi:
            out[k] = rd[lo:hi].max(axis=0)
    return out


def ridge(spectrogram: np.ndarray, velocity_mps: np.ndarray, static_mps: float = 0.0) -> np.ndarray:
    """(T,) velocity of the strongest Doppler bin of each column, bins with |v| <= ``static_mps`` left out (the
    ground and parked objects at the same range: a moving-target indicator): the torso line of a walking person."""
    s = np.nan_to_num(np.asarray(spectrogram, np.float64), nan=-np.inf)
    v = np.asarray(velocity_mps)
    s = np.where(np.abs(v)[None] <= static_mps, -np.inf, s)
    return v[np.argmax(s, axis=1)]


def envelope(spectrogram: np.ndarray, velocity_mps: np.ndarray, floor_db: float = 25.0, snr_db: float = 6.0,
             static_mps: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """(upper, lower) (T,) velocity envelope: the fastest approaching / receding bins whose power is within
    ``floor_db`` of the column's moving peak and ``snr_db`` above the column's median (the noise floor: most bins
    of a column hold noise) - the limbs' extremes. Bins with |v| <= ``static_mps`` are left out."""
    s = np.nan_to_num(np.asarray(spectrogram, np.float64), nan=0.0)
    v = np.asarray(velocity_mps)
    moving = np.abs(v)[None] > static_mps
    peak = np.max(np.where(moving, s, 0.0), axis=1, keepdims=True)
    noise = np.median(s, axis=1, keepdims=True)
    strong = moving & (s >= peak * 10 ** (-floor_db / 10)) & (s >= noise * 10 ** (snr_db / 10))
    upper = np.array([v[row].max() if row.any() else np.nan for row in strong])
    lower = np.array([v[row].min() if row.any() else np.nan for row in strong])
    return upper, lower


def dominant_period(series: np.ndarray, dt: float, min_period_s: float, max_period_s: float) -> float:
    """The period (s) of the strongest spectral line of ``series`` sampled every ``dt`` within the given bounds
    (mean removed, Hann window, zero-padded FFT)."""
    x = np.asarray(series, np.float64)
    x = (x - x.mean()) * np.hanning(len(x))
    n = 1 << int(np.ceil(np.log2(len(x) * 16)))
    f = np.fft.rfftfreq(n, dt)
    p = np.abs(np.fft.rfft(x, n)) ** 2
    ok = (f >= 1.0 / max_period_s) & (f <= 1.0 / min_period_s)
    if not ok.any():
        raise ValueError("no frequency between the period bounds at this sampling")
    return float(1.0 / f[ok][np.argmax(p[ok])])
