"""Uniform planar array geometry, steering phases and beam weights.

Element (row r, column c) sits at x = (c - (C-1)/2) d, y = (r - (R-1)/2) d wavelengths in the sensor plane
(x right, y down), with the phase reference at the array centre. A plane wave arriving from unit direction u
(pointing from the array towards the source) has phase exp(+j 2 pi (x u_x + y u_y)) at that element.
"""

from __future__ import annotations

import numpy as np

from maxray_gen.geometry import direction
from maxray_gen.radar import windows
from maxray_gen.radar.config import RadarConfig


def element_offsets(n: int) -> np.ndarray:
    """Element indices centred on the array middle: (i - (n-1)/2)."""
    return np.arange(n) - (n - 1) / 2


def spatial_phases(cfg: RadarConfig, azimuth: np.ndarray, elevation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-element phase increments along columns (psi) and rows (chi), radians, for arrival directions."""
    u = direction(azimuth, elevation)
    k = 2 * np.pi * cfg.array.spacing_wavelengths
    return k * u[..., 0], k * u[..., 1]


def steering(phase_step: np.ndarray, n: int) -> np.ndarray:
    """Steering vectors exp(j step (i - (n-1)/2)), shape (..., n)."""
    return np.exp(1j * np.asarray(phase_step)[..., None] * element_offsets(n))


def row_weights(cfg: RadarConfig) -> np.ndarray:
    """Weights b_r that combine the rows into one elevation beam at ``elevation_steer_deg`` (window x conj steer)."""
    w = windows.get_window(cfg.elevation_window, cfg.array.rows)
    _, chi = spatial_phases(cfg, 0.0, np.radians(cfg.elevation_steer_deg))
    return w * np.conj(steering(chi, cfg.array.rows))


def azimuth_steering_matrix(cfg: RadarConfig, azimuth: np.ndarray | None = None) -> np.ndarray:
    """Bartlett weights (columns, azimuths): window x conj(steering), on the cone of the elevation beam."""
    az = cfg.azimuth_axis_rad if azimuth is None else np.asarray(azimuth)
    psi, _ = spatial_phases(cfg, az, np.full_like(az, np.radians(cfg.elevation_steer_deg)))
    w = windows.get_window(cfg.azimuth_window, cfg.array.columns)
    return (w[None, :] * np.conj(steering(psi, cfg.array.columns))).T
