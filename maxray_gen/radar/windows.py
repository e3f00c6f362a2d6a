"""Tapering windows (scipy.signal) and their measured properties: sidelobe level, mainlobe widths."""

from __future__ import annotations

import warnings
from functools import lru_cache

import numpy as np
import scipy.fft
import scipy.signal

WindowSpec = str | tuple[str, float] | tuple[str, float, float]


def normalise_spec(spec: object) -> WindowSpec:
    """Turn a YAML value (``"hann"`` or ``["chebwin", 20]``) into a hashable scipy window spec, or raise."""
    if isinstance(spec, str):
        out: WindowSpec = spec.strip().lower()
    elif isinstance(spec, (list, tuple)) and spec and isinstance(spec[0], str):
        params = tuple(float(p) for p in spec[1:])
        out = (spec[0].strip().lower(), *params)  # type: ignore[assignment]
    else:
        raise ValueError(f"a window is a name like 'hann' or a list like ['chebwin', 20], got {spec!r}")
    try:
        get_window(out, 8)
    except Exception as exc:  # scipy raises ValueError/TypeError with its own wording
        raise ValueError(f"unknown or incomplete window {spec!r} ({exc})") from None
    return out


@lru_cache(maxsize=64)
def _window(spec: WindowSpec, n: int) -> np.ndarray:
    if n == 1:
        return np.ones(1)
    with warnings.catch_warnings():  # scipy's chebwin advisory about ENBW below 45 dB does not apply to tapers
        warnings.simplefilter("ignore", UserWarning)
        w = scipy.signal.get_window(spec, n, fftbins=True)  # DFT-even (periodic), as used for spectral analysis
    w = np.asarray(w, dtype=np.float64)
    w.setflags(write=False)
    return w


def get_window(spec: WindowSpec, n: int) -> np.ndarray:
    """DFT-even window of length ``n`` (read-only, cached)."""
    return _window(spec, int(n))


def response_db(w: np.ndarray, oversample: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Magnitude response of ``w`` in dB (0 dB at its peak) on a grid in DFT bins ``[0, n/2]``."""
    n = len(w)
    nfft = int(2 ** np.ceil(np.log2(n * oversample)))
    spec = np.abs(scipy.fft.rfft(w, nfft))
    bins = np.arange(spec.size) * n / nfft
    with np.errstate(divide="ignore"):
        db = 20 * np.log10(spec / spec.max())
    return bins, db


def first_null_bins(w: np.ndarray) -> float:
    """Distance from the peak to the first minimum of the response, in DFT bins (Rayleigh resolution)."""
    bins, db = response_db(w)
    d = np.diff(db)
    idx = np.flatnonzero(d > 0)
    if idx.size == 0:
        return float(bins[-1])
    return float(bins[idx[0]])


def mainlobe_width_bins(w: np.ndarray, level_db: float = -3.0) -> float:
    """Full width of the mainlobe at ``level_db`` below the peak, in DFT bins (interpolated)."""
    bins, db = response_db(w)
    below = np.flatnonzero(db <= level_db)
    if below.size == 0:
        return float(2 * bins[-1])
    i = below[0]
    x = np.interp(level_db, [db[i], db[i - 1]], [bins[i], bins[i - 1]])
    return float(2 * x)


def peak_sidelobe_db(w: np.ndarray) -> float:
    """Highest sidelobe relative to the mainlobe peak, in dB (negative)."""
    bins, db = response_db(w)
    null = first_null_bins(w)
    side = db[bins > null]
    return float(side.max()) if side.size else float("-inf")
