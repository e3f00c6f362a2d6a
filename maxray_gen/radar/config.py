"""`RadarConfig`: the OFDM radar's parameters, their derived quantities, and physical consistency checks.

Units are SI; angles are degrees only in the configuration (radians everywhere inside). The defaults are the
project's parameter set: 60 GHz, 1024 x 781.25 kHz = 800 MHz, 64 symbols every 125 us, a 16 x 16 half-wavelength
uniform planar array, a range window of 5-30 m and an azimuth field of view of +-54 degrees.
"""

from __future__ import annotations

import math
import warnings
from functools import cached_property
from typing import Annotated, Literal

import numpy as np
from pydantic import BeforeValidator, Field, model_validator

from maxray_gen.constants import BOLTZMANN, SPEED_OF_LIGHT
from maxray_gen.radar import windows
from maxray_gen.schema import FieldProblem, StrictModel

Window = Annotated[windows.WindowSpec, BeforeValidator(windows.normalise_spec)]


class RadarConfigWarning(UserWarning):
    """A radar parameter set that works but is probably not what was meant."""


class ArrayConfig(StrictModel):
    """Uniform planar receive array in the sensor's x (right) / y (down) plane, boresight along +z."""

    rows: int = Field(16, ge=1, le=1024, description="elements along the vertical (y) axis")
    columns: int = Field(16, ge=1, le=1024, description="elements along the horizontal (x) axis")
    spacing_wavelengths: float = Field(0.5, gt=0, le=10, description="element spacing in carrier wavelengths")

    @property
    def n_elements(self) -> int:
        return self.rows * self.columns


class NoiseConfig(StrictModel):
    """Receiver noise on each channel estimate H[k, n, element].

    ``thermal``: variance = k T df F / P_sc with P_sc = P_tx / N the power per subcarrier (unit-modulus symbols).
    ``fixed``: variance given directly in dB relative to a unit-gain path. ``none``: noise-free.
    """

    model: Literal["thermal", "fixed", "none"] = "thermal"
    tx_power_dbm: float = Field(30.0, ge=-50, le=80)
    noise_figure_db: float = Field(10.0, ge=0, le=40)
    temperature_k: float = Field(290.0, gt=0, le=1000)
    channel_noise_db: float = Field(-100.0, ge=-300, le=100)


class RadarConfig(StrictModel):
    """OFDM radar parameters (see docs/radar.md for the model and conventions)."""

    carrier_hz: float = Field(60e9, gt=0, description="carrier frequency")
    n_subcarriers: int = Field(1024, ge=8, le=65536)
    subcarrier_spacing_hz: float = Field(781.25e3, gt=0)
    n_symbols: int = Field(64, ge=1, le=4096, description="sensing OFDM symbols per frame (slow time)")
    symbol_interval_s: float = Field(125e-6, gt=0, description="repetition interval of sensing symbols")
    cyclic_prefix_s: float = Field(320e-9, ge=0)
    array: ArrayConfig = Field(default_factory=ArrayConfig)
    noise: NoiseConfig = Field(default_factory=NoiseConfig)

    range_window: Window = "boxcar"
    doppler_window: Window = "boxcar"
    azimuth_window: Window = "boxcar"
    elevation_window: Window = "boxcar"
    range_oversampling: int = Field(1, ge=1, le=64, description="zero-padding factor of the range IFFT")
    doppler_oversampling: int = Field(1, ge=1, le=64, description="zero-padding factor of the Doppler FFT")

    range_min_m: float = Field(5.0, ge=0)
    range_max_m: float = Field(30.0, gt=0)
    azimuth_fov_deg: float = Field(54.0, gt=0, lt=90, description="half-width of the azimuth field of view")
    azimuth_bins: int = Field(128, ge=2, le=8192)
    azimuth_grid: Literal["uniform_angle", "uniform_sine"] = "uniform_angle"
    beamformer: Literal["bartlett", "capon"] = "bartlett"
    capon_loading: float = Field(1e-2, gt=0, le=10, description="diagonal loading relative to mean power")
    elevation_mode: Literal["beam", "noncoherent"] = Field(
        "noncoherent", description="beam: one elevation beam at elevation_steer_deg; noncoherent: power summed over rows"
    )
    elevation_steer_deg: float = Field(0.0, gt=-90, lt=90)

    precision: Literal["single", "double"] = "single"
    nufft_tolerance: float = Field(1e-4, ge=1e-12, le=1e-1, description="relative accuracy of path synthesis")
    deterministic: bool = Field(
        True, description="bit-identical results run to run (single-threaded NUFFT); false is faster on many cores"
    )

    # ---- derived quantities -------------------------------------------------------------------------------
    @property
    def wavelength_m(self) -> float:
        return SPEED_OF_LIGHT / self.carrier_hz

    @property
    def bandwidth_hz(self) -> float:
        return self.n_subcarriers * self.subcarrier_spacing_hz

    @property
    def symbol_duration_s(self) -> float:
        """Useful OFDM symbol duration 1/df (without cyclic prefix)."""
        return 1.0 / self.subcarrier_spacing_hz

    @property
    def range_bin_m(self) -> float:
        """Spacing of the range axis, c / (2 B osf)."""
        return SPEED_OF_LIGHT / (2 * self.bandwidth_hz * self.range_oversampling)

    @cached_property
    def range_resolution_m(self) -> float:
        """Rayleigh range resolution (peak to first null) of the implemented window: c/(2B) for a rectangle."""
        w = windows.get_window(self.range_window, self.n_subcarriers)
        return SPEED_OF_LIGHT / (2 * self.bandwidth_hz) * windows.first_null_bins(w)

    @property
    def max_unambiguous_range_m(self) -> float:
        return SPEED_OF_LIGHT / (2 * self.subcarrier_spacing_hz)

    @property
    def max_isi_free_range_m(self) -> float:
        """Largest range whose echo still falls inside the cyclic prefix."""
        return SPEED_OF_LIGHT * self.cyclic_prefix_s / 2

    @property
    def velocity_bin_mps(self) -> float:
        return self.wavelength_m / (2 * self.n_symbols * self.symbol_interval_s * self.doppler_oversampling)

    @cached_property
    def velocity_resolution_mps(self) -> float:
        """Rayleigh velocity resolution of the implemented Doppler window: lambda/(2 M T) for a rectangle."""
        w = windows.get_window(self.doppler_window, self.n_symbols)
        return self.wavelength_m / (2 * self.n_symbols * self.symbol_interval_s) * windows.first_null_bins(w)

    @property
    def max_unambiguous_velocity_mps(self) -> float:
        """Radial speeds within +-lambda/(4 T) are unambiguous."""
        return self.wavelength_m / (4 * self.symbol_interval_s)

    @cached_property
    def azimuth_resolution_deg(self) -> float:
        """Rayleigh resolution at boresight (peak to first null) from the columns and the azimuth window."""
        w = windows.get_window(self.azimuth_window, self.array.columns)
        du = windows.first_null_bins(w) / (self.array.columns * self.array.spacing_wavelengths)
        return math.degrees(math.asin(min(du, 1.0)))

    @cached_property
    def azimuth_beamwidth_deg(self) -> float:
        """Full -3 dB beamwidth at boresight from the columns and the azimuth window."""
        w = windows.get_window(self.azimuth_window, self.array.columns)
        half = windows.mainlobe_width_bins(w) / 2 / (self.array.columns * self.array.spacing_wavelengths)
        return math.degrees(2 * math.asin(min(half, 1.0)))

    @property
    def noise_variance(self) -> float:
        """Variance of the complex noise on each channel estimate (unit-gain path = 1)."""
        n = self.noise
        if n.model == "none":
            return 0.0
        if n.model == "fixed":
            return 10 ** (n.channel_noise_db / 10)
        p_sc = 10 ** ((n.tx_power_dbm - 30) / 10) / self.n_subcarriers
        return BOLTZMANN * n.temperature_k * self.subcarrier_spacing_hz * 10 ** (n.noise_figure_db / 10) / p_sc

    @property
    def processing_gain(self) -> int:
        """Coherent gain N * M * elements of the range-Doppler-angle periodogram (rectangular windows)."""
        return self.n_subcarriers * self.n_symbols * self.array.n_elements

    @property
    def range_fft_size(self) -> int:
        return self.n_subcarriers * self.range_oversampling

    @property
    def doppler_fft_size(self) -> int:
        return self.n_symbols * self.doppler_oversampling

    @cached_property
    def range_bin_slice(self) -> slice:
        """Absolute range-IFFT bins kept in the heatmap: ceil(r_min / bin) .. floor(r_max / bin)."""
        first = math.ceil(self.range_min_m / self.range_bin_m - 1e-9)
        last = math.floor(self.range_max_m / self.range_bin_m + 1e-9)
        return slice(first, last + 1)

    @cached_property
    def range_axis_m(self) -> np.ndarray:
        s = self.range_bin_slice
        return np.arange(s.start, s.stop) * self.range_bin_m

    @cached_property
    def doppler_axis_mps(self) -> np.ndarray:
        """Radial velocity of each Doppler bin (fftshifted), positive = approaching."""
        d = self.doppler_fft_size
        return (np.arange(d) - d // 2) * self.velocity_bin_mps

    @cached_property
    def azimuth_axis_rad(self) -> np.ndarray:
        """Azimuth of each heatmap column, increasing to the right (see docs/radar.md)."""
        fov = math.radians(self.azimuth_fov_deg)
        if self.azimuth_grid == "uniform_angle":
            return np.linspace(-fov, fov, self.azimuth_bins)
        return np.arcsin(np.linspace(-math.sin(fov), math.sin(fov), self.azimuth_bins))

    def summary(self) -> dict[str, float | int | str]:
        """Derived quantities, for reports and ``maxray radar info``."""
        return {
            "wavelength_mm": self.wavelength_m * 1e3,
            "bandwidth_mhz": self.bandwidth_hz / 1e6,
            "range_resolution_m": self.range_resolution_m,
            "range_bin_m": self.range_bin_m,
            "range_bins": f"{self.range_bin_slice.start}..{self.range_bin_slice.stop - 1}"
            f" ({len(self.range_axis_m)} bins)",
            "max_unambiguous_range_m": self.max_unambiguous_range_m,
            "max_isi_free_range_m": self.max_isi_free_range_m,
            "velocity_resolution_mps": self.velocity_resolution_mps,
            "max_unambiguous_velocity_mps": self.max_unambiguous_velocity_mps,
            "azimuth_resolution_deg": self.azimuth_resolution_deg,
            "azimuth_beamwidth_3db_deg": self.azimuth_beamwidth_deg,
            "elements": self.array.n_elements,
            "processing_gain_db": 10 * math.log10(self.processing_gain),
            "noise_variance_db": 10 * math.log10(self.noise_variance) if self.noise_variance > 0 else float("-inf"),
        }

    # ---- physical consistency ---------------------------------------------------------------------------
    @model_validator(mode="after")
    def _check_physics(self) -> "RadarConfig":
        c = SPEED_OF_LIGHT
        b = self.bandwidth_hz
        if b >= 0.2 * self.carrier_hz:
            raise FieldProblem(
                "subcarrier_spacing_hz",
                f"bandwidth {b / 1e6:.1f} MHz is {100 * b / self.carrier_hz:.0f}% of the carrier "
                f"{self.carrier_hz / 1e9:.3g} GHz; the narrowband array model needs less than 20%",
            )
        if self.range_min_m >= self.range_max_m:
            raise FieldProblem(
                "range_min_m", f"range window is empty: range_min_m {self.range_min_m} >= range_max_m {self.range_max_m}"
            )
        r_amb = self.max_unambiguous_range_m
        if self.range_max_m > r_amb:
            raise FieldProblem(
                "range_max_m",
                f"range window ends at {self.range_max_m:g} m, beyond the unambiguous range c/(2 df) = "
                f"{r_amb:.3g} m for subcarrier spacing {self.subcarrier_spacing_hz / 1e3:g} kHz",
            )
        r_cp = self.max_isi_free_range_m
        if self.range_max_m > r_cp * (1 + 1e-9):
            raise FieldProblem(
                "cyclic_prefix_s",
                f"cyclic prefix {self.cyclic_prefix_s * 1e9:.4g} ns covers echoes only up to {r_cp:.3g} m but the "
                f"range window ends at {self.range_max_m:g} m (needs >= {2 * self.range_max_m / c * 1e9:.4g} ns)",
            )
        t_min = self.symbol_duration_s + self.cyclic_prefix_s
        if self.symbol_interval_s < t_min * (1 - 1e-9):
            raise FieldProblem(
                "symbol_interval_s",
                f"symbol interval {self.symbol_interval_s * 1e6:.4g} us is shorter than one OFDM symbol with its "
                f"cyclic prefix ({t_min * 1e6:.4g} us)",
            )
        s = self.range_bin_slice
        if s.stop - s.start < 2:
            raise FieldProblem(
                "range_max_m",
                f"range window {self.range_min_m:g}-{self.range_max_m:g} m holds fewer than 2 range bins of "
                f"{self.range_bin_m:.4g} m",
            )
        d = self.array.spacing_wavelengths
        fov_sin = math.sin(math.radians(self.azimuth_fov_deg))
        if self.array.columns > 1 and d * (1 + fov_sin) >= 1:
            raise FieldProblem(
                "array.spacing_wavelengths",
                f"spacing {d:g} lambda puts a grating lobe inside the +-{self.azimuth_fov_deg:g} deg field of view "
                f"(needs < {1 / (1 + fov_sin):.3f} lambda)",
            )
        el_sin = abs(math.sin(math.radians(self.elevation_steer_deg)))
        if self.array.rows > 1 and self.elevation_mode == "beam" and d * (1 + el_sin) >= 1:
            raise FieldProblem(
                "array.spacing_wavelengths",
                f"spacing {d:g} lambda gives the elevation beam steered to {self.elevation_steer_deg:g} deg a "
                f"grating lobe (needs < {1 / (1 + el_sin):.3f} lambda)",
            )
        if self.beamformer == "capon" and self.n_symbols < self.array.columns:
            raise FieldProblem(
                "beamformer",
                f"capon needs at least as many snapshots (n_symbols = {self.n_symbols}) as columns "
                f"({self.array.columns}) for a usable covariance estimate",
            )
        if self.precision == "single" and self.nufft_tolerance < 1e-5:
            raise FieldProblem(
                "nufft_tolerance",
                f"tolerance {self.nufft_tolerance:g} is below single precision's reach (>= 1e-5); "
                "set precision: double",
            )
        self._warn()
        return self

    def _warn(self) -> None:
        v = self.max_unambiguous_velocity_mps
        migration = v * self.n_symbols * self.symbol_interval_s
        if migration > self.range_resolution_m:
            warnings.warn(
                f"a target at the unambiguous speed {v:.3g} m/s moves {migration:.3g} m during the frame, more than "
                f"the range resolution {self.range_resolution_m:.3g} m (range migration smears its echo)",
                RadarConfigWarning,
                stacklevel=2,
            )
        res = self.azimuth_resolution_deg
        if 2 * self.azimuth_fov_deg / max(self.azimuth_bins - 1, 1) > res / 2:
            warnings.warn(
                f"azimuth grid step {2 * self.azimuth_fov_deg / (self.azimuth_bins - 1):.3g} deg is coarser than half"
                f" the azimuth resolution {res:.3g} deg: peaks will straddle bins (raise azimuth_bins)",
                RadarConfigWarning,
                stacklevel=2,
            )
