"""Coherent merge of per-tube returns into a manageable path list.

Tubes are grouped by (sequence of objects they touched, voxel of their last hit). A voxel (default 2 cm) is far
below the range resolution c / 2B (0.19 m at 800 MHz), so a group is one scattering centre for the radar: its
complex gains add coherently (each with its own exact float64 propagation phase) and its delay, Doppler and
directions are amplitude-weighted means. Paths far below what the radar could ever detect are dropped.
"""

from __future__ import annotations

import numpy as np

from maxray_gen.constants import SPEED_OF_LIGHT
from maxray_gen.radio.sbr.bounce import Contributions

_MIX = np.uint64(0x9E3779B97F4A7C15)


def group_keys(objects: np.ndarray, point: np.ndarray, voxel_m: float) -> np.ndarray:
    """A 64-bit key per contribution from its object sequence and the voxel of its last hit."""
    with np.errstate(over="ignore"):
        key = np.zeros(len(objects), np.uint64)
        for col in objects.T:
            key = key * _MIX + (col.astype(np.int64) + 2).astype(np.uint64)
        cells = np.floor(point / voxel_m).astype(np.int64) + (1 << 20)
        for col in cells.T:
            key = (key ^ col.astype(np.uint64)) * _MIX
    return key


def merge(c: Contributions, wavelength_m: float, voxel_m: float, min_power: float) -> dict[str, np.ndarray]:
    """Merged paths as arrays: gain (carrier phase included), delay_s, dldt, arrival point, tube (first member),
    objects; ``min_power`` drops weaker merged paths (|gain|^2)."""
    k = 2 * np.pi / wavelength_m
    gain = c.amplitude * np.exp(-1j * ((k * c.length_m) % (2 * np.pi)))
    if len(gain) == 0:
        return dict(gain=gain, delay_s=np.zeros(0), dldt=np.zeros(0), point=np.zeros((0, 3)),
                    tube=np.zeros(0, np.int64), objects=c.objects)
    key = group_keys(c.objects, c.point, voxel_m)
    uniq, first, inv = np.unique(key, return_index=True, return_inverse=True)
    m = len(uniq)
    w = np.abs(gain)
    wsum = np.bincount(inv, w, m)
    wsum = np.where(wsum > 0, wsum, 1.0)
    wmean = lambda x: np.bincount(inv, w * x, m) / wsum  # noqa: E731
    g = np.bincount(inv, gain.real, m) + 1j * np.bincount(inv, gain.imag, m)
    out = dict(gain=g, delay_s=wmean(c.length_m) / SPEED_OF_LIGHT, dldt=wmean(c.dldt),
               point=np.stack([wmean(c.point[:, i]) for i in range(3)], axis=1), tube=c.tube[first],
               objects=c.objects[first])
    keep = np.abs(g) ** 2 >= min_power
    return {name: v[keep] for name, v in out.items()}
