"""A few synthetic point targets with radar-equation amplitudes: the `maxray radar demo` scene."""

from __future__ import annotations

import numpy as np

from maxray_gen.radar.config import RadarConfig
from maxray_gen.radar.paths import PathSet
from maxray_gen.radar.targets import point_targets

#: (range m, azimuth deg (positive right), radial velocity m/s (positive approaching), RCS m^2)
DEMO_TARGETS = np.array([
    (8.0, -25.0, 3.0, 10.0),
    (12.0, 0.0, 0.0, 10.0),
    (17.0, 20.0, -2.0, 10.0),
    (24.0, 40.0, 5.0, 10.0),
])


def radar_equation_amplitude(range_m: np.ndarray, rcs_m2: np.ndarray, wavelength_m: float) -> np.ndarray:
    """Monostatic field amplitude sqrt(lambda^2 sigma / ((4 pi)^3 R^4)) for isotropic antennas."""
    return wavelength_m * np.sqrt(rcs_m2) / ((4 * np.pi) ** 1.5 * np.asarray(range_m) ** 2)


def demo_paths(cfg: RadarConfig, targets: np.ndarray = DEMO_TARGETS) -> PathSet:
    """Point-target paths for ``targets`` (rows of range, azimuth deg, velocity, RCS)."""
    r, az, v, rcs = targets.T
    amp = radar_equation_amplitude(r, rcs, cfg.wavelength_m)
    return point_targets(r, np.radians(az), 0.0, v, amp, carrier_hz=cfg.carrier_hz)
