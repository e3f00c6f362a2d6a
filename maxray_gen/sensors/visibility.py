"""Photometric visibility: can a camera see a car in the rendered image (after fog), not only in the geometry?

For each instance with visible pixels (instance pass), the RMS contrast of its pixels' luminance against the mean
luminance of a ring of surrounding pixels:

    C = sqrt(mean((Y_car - mean(Y_ring))^2)) / max(mean(Y_ring), Y_FLOOR)

Y is relative linear luminance (Rec. 709 weights on the sRGB-decoded image, 0..1). The RMS form counts both a car
darker or brighter than its surroundings and the structure inside it (windows, lamps, highlights), so a black car
on asphalt in daylight is visible and an unlit car in the dark is not. ``Y_FLOOR`` (2 % of white, sRGB code ~39)
stands for the sensor noise of a night exposure and a display's black level: below it, differences are not seen.
The ring is the car's mask dilated by at least 3 pixels (a quarter of the mask's equivalent radius), without the
car.
A car counts as seen when C >= ``camera.min_visibility`` (0.15 by default; docs/scenarios.md "Labels").
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

Y_FLOOR = 0.02


def relative_luminance(rgb: np.ndarray) -> np.ndarray:
    """(H, W) linear luminance 0..1 of an sRGB uint8 (or 0..1 float) image."""
    x = rgb[..., :3].astype(np.float64)
    if rgb.dtype == np.uint8:
        x = x / 255.0
    lin = np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)
    return lin @ np.array([0.2126, 0.7152, 0.0722])


def photometric_visibility(rgb: np.ndarray, instance: np.ndarray, ids) -> dict[int, float]:
    """RMS luminance contrast of each instance against its surround (NaN for an instance without pixels)."""
    y = relative_luminance(rgb)
    out: dict[int, float] = {}
    for iid in ids:
        mask = instance == iid
        n = int(mask.sum())
        if n == 0:
            out[int(iid)] = float("nan")
            continue
        ys, xs = np.nonzero(mask)
        r = max(3, int(round(0.25 * np.sqrt(n / np.pi))))
        y0, y1 = max(ys.min() - r, 0), min(ys.max() + r + 1, mask.shape[0])
        x0, x1 = max(xs.min() - r, 0), min(xs.max() + r + 1, mask.shape[1])
        m = mask[y0:y1, x0:x1]
        ring = ndimage.binary_dilation(m, iterations=r) & ~m
        yy = y[y0:y1, x0:x1]
        if not ring.any():
            out[int(iid)] = float("nan")
            continue
        surround = float(yy[ring].mean())
        rms = float(np.sqrt(np.mean((yy[m] - surround) ** 2)))
        out[int(iid)] = rms / max(surround, Y_FLOOR)
    return out


def seen(visibility: np.ndarray, threshold: float) -> np.ndarray:
    """Which cars the camera sees: visibility >= threshold; unknown (NaN, e.g. shards before schema 3) counts as
    seen."""
    v = np.asarray(visibility, dtype=np.float64)
    return ~(v < threshold)
