"""Cell-averaging CFAR (square-law detector) on power maps.

Threshold = alpha * mean of the training cells, alpha = N_ref (Pfa^(-1/N_ref) - 1), which gives the exact false
alarm probability Pfa for i.i.d. exponential (complex Gaussian) noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage


@dataclass(frozen=True)
class CfarResult:
    detections: np.ndarray  # (D, ndim) indices of detected local maxima, strongest first
    mask: np.ndarray  # cells above threshold
    threshold: np.ndarray  # per-cell threshold (same shape as the map)


def cfar_alpha(n_ref: int, pfa: float) -> float:
    """CA-CFAR scale factor for ``n_ref`` training cells and false-alarm probability ``pfa``."""
    return n_ref * (pfa ** (-1.0 / n_ref) - 1.0)


def ca_cfar(power: np.ndarray, guard=(2, 2), train=(4, 4), pfa: float = 1e-4, mode: str = "reflect") -> CfarResult:
    """Detect cells of a linear power map exceeding the CA-CFAR threshold.

    ``guard`` and ``train`` are half-widths per axis: the training ring spans ``guard+train`` around the cell
    minus the ``guard`` box. Detections are threshold crossings that are also local maxima (3^n neighbourhood).
    """
    p = np.asarray(power, dtype=np.float64)
    if p.ndim != len(guard) or p.ndim != len(train):
        raise ValueError(f"guard {guard} and train {train} need one entry per map axis ({p.ndim})")
    if not 0 < pfa < 1:
        raise ValueError(f"pfa must be in (0, 1), got {pfa}")
    outer = tuple(2 * (g + t) + 1 for g, t in zip(guard, train))
    inner = tuple(2 * g + 1 for g in guard)
    n_outer, n_inner = int(np.prod(outer)), int(np.prod(inner))
    n_ref = n_outer - n_inner
    if n_ref < 1:
        raise ValueError("the training ring is empty: increase train")
    s_outer = ndimage.uniform_filter(p, outer, mode=mode) * n_outer
    s_inner = ndimage.uniform_filter(p, inner, mode=mode) * n_inner
    threshold = cfar_alpha(n_ref, pfa) * (s_outer - s_inner) / n_ref
    mask = p > threshold
    peaks = mask & (p == ndimage.maximum_filter(p, size=3, mode="nearest"))
    idx = np.argwhere(peaks)
    order = np.argsort(-p[tuple(idx.T)], kind="stable")
    return CfarResult(detections=idx[order], mask=mask, threshold=threshold)
