"""Coherent merge of per-tube returns into a manageable path list.

Tubes are grouped by the sequence of objects they touched and by a cell of what the radar measures of them: the
total path length and the arrival azimuth/elevation of their last hit, in cells of a fraction (``fraction``,
default 1/16) of the radar's resolutions (two-way length c / B, beamwidths). Within a cell the radar cannot tell
the members apart: their complex gains add coherently (each with its own exact float64 propagation phase, so the
sum at the carrier is exact) and their delay, Doppler and directions are amplitude-weighted means. The residual
phase error of a member at the band edges or the outermost array element is below pi / 16. Paths far below what
the radar could ever detect are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from maxray_gen.constants import SPEED_OF_LIGHT
from maxray_gen.radio.sbr.bounce import Contributions

_MIX = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True)
class MergeCells:
    """Cell sizes: two-way path length [m] and arrival azimuth / elevation [rad]."""

    length_m: float
    azimuth_rad: float
    elevation_rad: float


def group_keys(objects: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """A 64-bit key per contribution from its object sequence and its integer cell indices."""
    with np.errstate(over="ignore"):
        key = np.zeros(len(objects), np.uint64)
        for col in objects.T:
            key = key * _MIX + (col.astype(np.int64) + 2).astype(np.uint64)
        for col in cells.T:
            key = (key ^ (col.astype(np.int64) + (1 << 30)).astype(np.uint64)) * _MIX
    return key


def merge(c: Contributions, wavelength_m: float, arrival_az: np.ndarray, arrival_el: np.ndarray, cells: MergeCells,
          min_power: float) -> dict[str, np.ndarray]:
    """Merged paths as arrays: gain (carrier phase included), delay_s, dldt, arrival point, aod (first member's
    departure azimuth and elevation), objects; merged paths weaker than ``min_power`` (|gain|^2) are dropped."""
    k = 2 * np.pi / wavelength_m
    gain = c.amplitude * np.exp(-1j * ((k * c.length_m) % (2 * np.pi)))
    if len(gain) == 0:
        return dict(gain=gain, delay_s=np.zeros(0), dldt=np.zeros(0), point=np.zeros((0, 3)),
                    aod=np.zeros((0, 2)), objects=c.objects)
    idx = np.stack([np.floor(c.length_m / cells.length_m), np.floor(arrival_az / cells.azimuth_rad),
                    np.floor(arrival_el / cells.elevation_rad)], axis=1).astype(np.int64)
    key = group_keys(c.objects, idx)
    uniq, first, inv = np.unique(key, return_index=True, return_inverse=True)
    m = len(uniq)
    w = np.abs(gain)
    wsum = np.bincount(inv, w, m)
    wsum = np.where(wsum > 0, wsum, 1.0)
    wmean = lambda x: np.bincount(inv, w * x, m) / wsum  # noqa: E731
    g = np.bincount(inv, gain.real, m) + 1j * np.bincount(inv, gain.imag, m)
    out = dict(gain=g, delay_s=wmean(c.length_m) / SPEED_OF_LIGHT, dldt=wmean(c.dldt),
               point=np.stack([wmean(c.point[:, i]) for i in range(3)], axis=1), aod=c.aod[first],
               objects=c.objects[first])
    keep = np.abs(g) ** 2 >= min_power
    return {name: v[keep] for name, v in out.items()}
