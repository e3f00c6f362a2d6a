"""Weather on the radio side: rain (ITU-R P.838-3) and gaseous absorption (ITU-R P.676-13 Annex 1).

Specific attenuations are in dB/km; a path of total length L metres (there and back for a radar echo) loses
gamma * L / 1000 dB of power, i.e. its complex gain is multiplied by 10^(-gamma L / 20000).

- Rain: gamma_R = k R^alpha with k, alpha from the P.838-3 regressions (Tables 1-4) for horizontal and vertical
  polarisation, combined for a path elevation and polarisation tilt (Eqs. 4-5).
- Gases: the P.676-13 Annex 1 line-by-line model: 44 oxygen and 35 water-vapour lines (Tables 1 and 2, shipped in
  ``radio/data``) with Zeeman/Doppler width corrections, plus the dry-air continuum. Valid 1-1000 GHz.
Both are checked against the ITU-R Study Group 3 validation examples in the tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from maxray_gen.errors import ConfigError

# P.838-3 Tables 1-4: (a_j, b_j, c_j) rows, then m and c.
_P838 = {
    "kH": ([(-5.33980, -0.10008, 1.13098), (-0.35351, 1.26970, 0.45400), (-0.23789, 0.86036, 0.15354),
            (-0.94158, 0.64552, 0.16817)], -0.18961, 0.71147),
    "kV": ([(-3.80595, 0.56934, 0.81061), (-3.44965, -0.22911, 0.51059), (-0.39902, 0.73042, 0.11899),
            (0.50167, 1.07319, 0.27195)], -0.16398, 0.63297),
    "aH": ([(-0.14318, 1.82442, -0.55187), (0.29591, 0.77564, 0.19822), (0.32177, 0.63773, 0.13164),
            (-5.37610, -0.96230, 1.47828), (16.1721, -3.29980, 3.43990)], 0.67849, -1.95537),
    "aV": ([(-0.07771, 2.33840, -0.76284), (0.56727, 0.95545, 0.54039), (-0.20238, 1.14520, 0.26809),
            (-48.2991, 0.791669, 0.116226), (48.5833, 0.791459, 0.116479)], -0.053739, 0.83433),
}

STANDARD_PRESSURE_HPA = 1013.25
STANDARD_TEMPERATURE_K = 288.15
STANDARD_WATER_VAPOUR_G_M3 = 7.5


def _regression(name: str, f_ghz: float) -> float:
    rows, m, c = _P838[name]
    x = math.log10(f_ghz)
    return sum(a * math.exp(-(((x - b) / cc) ** 2)) for a, b, cc in rows) + m * x + c


def rain_coefficients(f_ghz: float, elevation_deg: float = 0.0, tilt_deg: float = 45.0) -> tuple[float, float]:
    """(k, alpha) of P.838-3 for a path elevation and polarisation tilt (45 deg: circular, the default for a
    mixed-polarisation radar; 0: horizontal; 90: vertical)."""
    if not 1.0 <= f_ghz <= 1000.0:
        raise ConfigError(f"rain attenuation (ITU-R P.838-3) is defined for 1-1000 GHz, got {f_ghz:g} GHz")
    k_h, k_v = 10 ** _regression("kH", f_ghz), 10 ** _regression("kV", f_ghz)
    a_h, a_v = _regression("aH", f_ghz), _regression("aV", f_ghz)
    geo = math.cos(math.radians(elevation_deg)) ** 2 * math.cos(math.radians(2 * tilt_deg))
    k = (k_h + k_v + (k_h - k_v) * geo) / 2
    alpha = (k_h * a_h + k_v * a_v + (k_h * a_h - k_v * a_v) * geo) / (2 * k)
    return k, alpha


def rain_specific_attenuation_db_km(f_ghz: float, rain_rate_mm_h: float, elevation_deg: float = 0.0,
                                    tilt_deg: float = 45.0) -> float:
    """gamma_R = k R^alpha (dB/km), ITU-R P.838-3."""
    if rain_rate_mm_h < 0:
        raise ConfigError(f"rain rate must be >= 0 mm/h, got {rain_rate_mm_h:g}")
    if rain_rate_mm_h == 0:
        return 0.0
    k, alpha = rain_coefficients(f_ghz, elevation_deg, tilt_deg)
    return k * rain_rate_mm_h ** alpha


@lru_cache(maxsize=None)
def _lines(name: str) -> np.ndarray:
    text = resources.files("maxray_gen.radio").joinpath(f"data/{name}").read_text()
    rows = [ln for ln in text.splitlines() if ln and not ln.startswith("#")][1:]
    return np.array([[float(v) for v in ln.split(",")] for ln in rows])


def gaseous_specific_attenuation_db_km(f_ghz: float, pressure_hpa: float = STANDARD_PRESSURE_HPA,
                                       temperature_k: float = STANDARD_TEMPERATURE_K,
                                       water_vapour_g_m3: float = STANDARD_WATER_VAPOUR_G_M3) -> tuple[float, float]:
    """(oxygen/dry-air, water-vapour) specific attenuation in dB/km, ITU-R P.676-13 Annex 1 (Eqs. 1-9).

    ``pressure_hpa`` is the dry-air pressure p of the recommendation; the water-vapour partial pressure is
    e = rho T / 216.7 (total pressure p + e), as in the ITU-R validation examples.
    """
    if not 1.0 <= f_ghz <= 1000.0:
        raise ConfigError(f"gaseous attenuation (ITU-R P.676 Annex 1) is defined for 1-1000 GHz, got {f_ghz:g} GHz")
    f = float(f_ghz)
    theta = 300.0 / temperature_k
    e = water_vapour_g_m3 * temperature_k / 216.7
    p = pressure_hpa
    ox = _lines("p676_oxygen_lines.csv")
    f0, a1, a2, a3, a4, a5, a6 = ox.T
    s = a1 * 1e-7 * p * theta ** 3 * np.exp(a2 * (1 - theta))
    df = a3 * 1e-4 * (p * theta ** (0.8 - a4) + 1.1 * e * theta)
    df = np.sqrt(df ** 2 + 2.25e-6)
    delta = (a5 + a6 * theta) * 1e-4 * (p + e) * theta ** 0.8
    n_ox = np.sum(s * _shape(f, f0, df, delta))
    d = 5.6e-4 * (p + e) * theta ** 0.8
    n_dry = f * p * theta ** 2 * (6.14e-5 / (d * (1 + (f / d) ** 2))
                                  + 1.4e-12 * p * theta ** 1.5 / (1 + 1.9e-5 * f ** 1.5))
    wv = _lines("p676_water_vapour_lines.csv")
    f0, b1, b2, b3, b4, b5, b6 = wv.T
    s = b1 * 1e-1 * e * theta ** 3.5 * np.exp(b2 * (1 - theta))
    df = b3 * 1e-4 * (p * theta ** b4 + b5 * e * theta ** b6)
    df = 0.535 * df + np.sqrt(0.217 * df ** 2 + 2.1316e-12 * f0 ** 2 / theta)
    n_wv = np.sum(s * _shape(f, f0, df, 0.0))
    return 0.1820 * f * (n_ox + n_dry), 0.1820 * f * n_wv


def _shape(f: float, f0: np.ndarray, df: np.ndarray, delta) -> np.ndarray:
    """P.676 Annex 1 Eq. 5 line shape."""
    return f / f0 * ((df - delta * (f0 - f)) / ((f0 - f) ** 2 + df ** 2)
                     + (df - delta * (f0 + f)) / ((f0 + f) ** 2 + df ** 2))


@dataclass(frozen=True)
class RadioWeather:
    """Specific attenuations of one sample's weather at the radar carrier (recorded per sample)."""

    carrier_ghz: float
    rain_rate_mm_h: float
    rain_db_km: float
    oxygen_db_km: float
    water_vapour_db_km: float

    @property
    def total_db_km(self) -> float:
        return self.rain_db_km + self.oxygen_db_km + self.water_vapour_db_km

    def amplitude_factor(self, path_length_m: np.ndarray) -> np.ndarray:
        """Multiplier of each path's complex gain: 10^(-gamma L / 20000) for L metres of travel."""
        return 10.0 ** (-self.total_db_km * np.asarray(path_length_m) / 20000.0)

    def to_dict(self) -> dict:
        return {"carrier_ghz": self.carrier_ghz, "rain_rate_mm_h": self.rain_rate_mm_h,
                "rain_db_km": self.rain_db_km, "oxygen_db_km": self.oxygen_db_km,
                "water_vapour_db_km": self.water_vapour_db_km, "total_db_km": self.total_db_km}


def saturated_water_vapour_g_m3(temperature_k: float) -> float:
    """Water-vapour density at 100 % relative humidity: e_s = 6.1121 exp(17.502 t / (t + 240.97)) hPa over water
    (ITU-R P.453-14 Eq. 9), rho = 216.7 e / T."""
    t = temperature_k - 273.15
    return 216.7 * 6.1121 * math.exp(17.502 * t / (t + 240.97)) / temperature_k


def air_state(kind: str) -> tuple[float, float]:
    """(temperature K, water-vapour density g/m^3) assumed for a weather kind: the standard atmosphere when
    clear; saturated air in rain and fog; saturated air at -2 C in snow."""
    if kind == "snow":
        return 271.15, saturated_water_vapour_g_m3(271.15)
    if kind in ("rain", "fog"):
        return STANDARD_TEMPERATURE_K, saturated_water_vapour_g_m3(STANDARD_TEMPERATURE_K)
    return STANDARD_TEMPERATURE_K, STANDARD_WATER_VAPOUR_G_M3


def radio_weather(carrier_hz: float, rain_rate_mm_h: float, temperature_k: float = STANDARD_TEMPERATURE_K,
                  water_vapour_g_m3: float = STANDARD_WATER_VAPOUR_G_M3,
                  pressure_hpa: float = STANDARD_PRESSURE_HPA) -> RadioWeather:
    """Rain and gas specific attenuations for a horizontal radar path (elevation 0, tilt 45 deg)."""
    f = carrier_hz / 1e9
    ox, wv = gaseous_specific_attenuation_db_km(f, pressure_hpa, temperature_k, water_vapour_g_m3)
    return RadioWeather(f, rain_rate_mm_h, rain_specific_attenuation_db_km(f, rain_rate_mm_h), ox, wv)


def attenuate(paths, weather: RadioWeather):
    """A copy of a PathSet whose gains lost the weather's attenuation over each path's total length."""
    from dataclasses import replace

    return replace(paths, gain=paths.gain * weather.amplitude_factor(paths.path_length_m))


def for_weather(carrier_hz: float, kind: str, rain_rate_mm_h: float) -> RadioWeather:
    """The radio weather of a scene's weather (kind and rain rate), with the air state of :func:`air_state`."""
    temperature, vapour = air_state(kind)
    return radio_weather(carrier_hz, rain_rate_mm_h, temperature, vapour)
