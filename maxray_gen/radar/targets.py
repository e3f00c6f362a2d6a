"""Ideal point targets as a :class:`PathSet`: for tests, demos, benchmarks and calibration."""

from __future__ import annotations

import numpy as np

from maxray_gen.constants import SPEED_OF_LIGHT
from maxray_gen.radar.paths import PathSet


def point_targets(range_m, azimuth_rad, elevation_rad=0.0, velocity_mps=0.0, amplitude=1.0,
                  carrier_hz: float = 60e9, object_ids=None) -> PathSet:
    """Monostatic single-bounce paths for point targets.

    ``velocity_mps`` is radial, positive approaching (Doppler 2 v / lambda); ``amplitude`` is the complex path
    gain (the carrier phase 2 pi 2R / lambda is applied on top). Scalars broadcast.
    """
    r, az, el, v, a = np.broadcast_arrays(*(np.atleast_1d(np.asarray(x)) for x in
                                            (range_m, azimuth_rad, elevation_rad, velocity_mps, amplitude)))
    lam = SPEED_OF_LIGHT / carrier_hz
    gain = a.astype(np.complex128) * np.exp(-2j * np.pi * 2 * r / lam)
    ids = np.arange(len(r)) if object_ids is None else np.asarray(object_ids)
    return PathSet(gain=gain, delay_s=2 * r / SPEED_OF_LIGHT, doppler_hz=2 * v / lam, aoa_azimuth=az,
                   aoa_elevation=el, objects=ids.reshape(-1, 1), interactions=np.full((len(r), 1), 1, np.int8),
                   carrier_hz=carrier_hz)
