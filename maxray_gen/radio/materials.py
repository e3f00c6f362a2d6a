"""Radio materials: our material names -> electromagnetic properties, valid only inside a frequency range.

ITU-R P.2040-3, Section 2.1.4 / Table 3 gives eps' = a f^b and sigma = c f^d (f in GHz, sigma in S/m) per
material and frequency range. Materials not in that table carry explicit values with the range they are meant for.
``scattering`` is the diffuse scattering coefficient S (fraction of reflected field amplitude scattered
diffusely); curved or rough surfaces need S > 0 to be visible to a monostatic radar.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import constants

from maxray_gen.errors import ConfigError


@dataclass(frozen=True)
class RadioMaterialSpec:
    name: str
    f_min_ghz: float
    f_max_ghz: float
    a: float  # eps' = a f^b
    b: float
    c: float  # sigma = c f^d
    d: float
    scattering: float = 0.0
    pattern: str = "lambertian"
    thickness_m: float = 0.1
    source: str = ""
    roughness_m: float = 0.0  # rms surface height: Ament factor exp(-(2 k h sin psi)^2 / 2) on coherent reflection
    clutter_gamma_db: float | None = None  # constant-gamma backscatter sigma0 = gamma sin(psi) (ground roles)

    def properties(self, frequency_hz: float) -> tuple[float, float]:
        """(relative permittivity eps', conductivity sigma [S/m]) at ``frequency_hz``; ConfigError outside range."""
        f = frequency_hz / 1e9
        if not (self.f_min_ghz <= f <= self.f_max_ghz):
            raise ConfigError(
                f"radio material {self.name!r} is defined for {self.f_min_ghz:g}-{self.f_max_ghz:g} GHz only "
                f"({self.source}); the radar runs at {f:g} GHz: choose another material for it"
            )
        return self.a * f**self.b, self.c * f**self.d

    def complex_permittivity(self, frequency_hz: float) -> complex:
        """eps' - j sigma / (eps0 omega)."""
        eps, sigma = self.properties(frequency_hz)
        return eps - 1j * sigma / (constants.epsilon_0 * 2 * np.pi * frequency_hz)


_ITU = "ITU-R P.2040-3 Table 3"
MATERIALS: dict[str, RadioMaterialSpec] = {m.name: m for m in (
    # Car bodies are painted steel: a conductor; rough paint and curvature scatter diffusely.
    RadioMaterialSpec("car_paint", 1, 100, 1.0, 0.0, 1e7, 0.0, scattering=0.3, thickness_m=0.002, source=_ITU + " metal"),
    RadioMaterialSpec("metal", 1, 100, 1.0, 0.0, 1e7, 0.0, scattering=0.1, thickness_m=0.005, source=_ITU + " metal"),
    RadioMaterialSpec("glass", 0.1, 100, 6.31, 0.0, 0.0036, 1.3394, scattering=0.05, thickness_m=0.005, source=_ITU),
    RadioMaterialSpec("car_glass", 0.1, 100, 6.31, 0.0, 0.0036, 1.3394, scattering=0.1, thickness_m=0.005, source=_ITU + " glass"),
    RadioMaterialSpec("concrete", 1, 100, 5.24, 0.0, 0.0462, 0.7822, scattering=0.2, thickness_m=0.2, source=_ITU,
                      roughness_m=0.0004, clutter_gamma_db=-27.0),
    RadioMaterialSpec("wood", 0.001, 100, 1.99, 0.0, 0.0047, 1.0718, scattering=0.2, thickness_m=0.05, source=_ITU),
    RadioMaterialSpec("plasterboard", 1, 100, 2.73, 0.0, 0.0085, 0.9395, scattering=0.1, thickness_m=0.02, source=_ITU),
    RadioMaterialSpec("marble", 1, 60, 7.074, 0.0, 0.0055, 0.9262, scattering=0.1, thickness_m=0.05, source=_ITU),
    RadioMaterialSpec("brick", 1, 40, 3.91, 0.0, 0.0238, 0.16, scattering=0.3, thickness_m=0.2, source=_ITU),
    RadioMaterialSpec("asphalt_concrete", 1, 40, 4.83, 0.0, 0.0108, 1.3969, scattering=0.3, thickness_m=0.1, source=_ITU),
    RadioMaterialSpec("very_dry_ground", 1, 10, 3.0, 0.0, 0.00015, 2.52, scattering=0.3, thickness_m=0.5, source=_ITU),
    RadioMaterialSpec("medium_dry_ground", 1, 10, 15.0, -0.1, 0.035, 1.63, scattering=0.3, thickness_m=0.5, source=_ITU),
    RadioMaterialSpec("wet_ground", 1, 10, 30.0, -0.4, 0.15, 1.30, scattering=0.3, thickness_m=0.5, source=_ITU),
    # Not in P.2040 at mm-wave: explicit literature-order values, constant over their stated range.
    # Dense road asphalt at 20-100 GHz: eps' ~ 3.8, tan(delta) ~ 0.03 at 60 GHz (sigma = omega eps0 eps' tan d).
    # Surface texture: rms height ~0.5 mm for dense asphalt (concrete ~0.4 mm). Backscatter: constant-gamma fit
    # gamma = -25 dB, i.e. sigma0 ~ -31 dB at 15 deg and ~ -36 dB at 5 deg grazing. Sarabandi, Li & Nashashibi
    # (IEEE TAP 45(11), 1997) measured dry asphalt at 94 GHz near -30 dB (VV) at 70 deg incidence (20 deg
    # grazing), i.e. gamma ~ -25 dB; at 60 GHz the same texture is smoother relative to the wavelength, so this is
    # an upper estimate.
    RadioMaterialSpec("asphalt", 20, 100, 3.8, 0.0, 0.38, 0.0, scattering=0.3, thickness_m=0.1,
                      source="explicit mm-wave road-surface values (eps' 3.8, tan d ~ 0.03)",
                      roughness_m=0.0005, clutter_gamma_db=-25.0),
    # Bare ground at mm-wave (P.2040's ground entries stop at 10 GHz): dry soil eps' ~ 3, eps'' ~ 0.2 (dry sandy
    # soils measured at 30-100 GHz lie at eps' 2.5-3.5, tan d 0.02-0.1) and moist soil (~15 % water by volume)
    # eps' ~ 7, eps'' ~ 2.5 (free-water dispersion of the Dobson/Peplinski mixing models carried to 60 GHz).
    # Rougher than asphalt: rms height ~2 mm, backscatter gamma ~ -18 dB. Order-of-magnitude values.
    RadioMaterialSpec("soil_dry", 20, 100, 3.0, 0.0, 0.2 * 2 * np.pi * 60e9 * constants.epsilon_0, 0.0,
                      scattering=0.4, thickness_m=0.5, source="explicit mm-wave dry-soil values (eps 3 - 0.2j)",
                      roughness_m=0.002, clutter_gamma_db=-18.0),
    RadioMaterialSpec("soil_moist", 20, 100, 7.0, 0.0, 2.5 * 2 * np.pi * 60e9 * constants.epsilon_0, 0.0,
                      scattering=0.4, thickness_m=0.5, source="explicit mm-wave moist-soil values (eps 7 - 2.5j)",
                      roughness_m=0.002, clutter_gamma_db=-18.0),
    # Tyre rubber (carbon-black filled): eps' ~ 3, sigma ~ 0.5 S/m at tens of GHz.
    RadioMaterialSpec("rubber", 20, 100, 3.0, 0.0, 0.5, 0.0, scattering=0.2, thickness_m=0.02,
                      source="explicit filled-rubber values (eps' 3, sigma 0.5 S/m)"),
    # Painted polypropylene bumpers and trim: PP eps' 2.25, tan d ~ 5e-4; paint raises both (eps' ~ 2.5,
    # tan d ~ 0.005). The engine does not transmit through dielectrics, so the steel crash beam behind a bumper
    # is not seen (the bumper face reflects ~ -13 dB at normal incidence).
    # Dry human skin at 60 GHz: eps = 7.98 - 10.90j (Gabriel et al. 1996 dispersion model, as tabulated by Wu,
    # Rappaport & Collins, IEEE Microwave Magazine 2015), i.e. sigma = 36.4 S/m; normal-incidence power reflectivity
    # -4.3 dB. Clothing textiles are nearly transparent at 60 GHz, so the radar sees the skin under them. Skin
    # disperses quickly (eps' ~ 12 at 30 GHz, ~ 6.5 at 77 GHz): the value is held over 55-65 GHz only.
    RadioMaterialSpec("skin", 55, 65, 7.98, 0.0, 10.90 * 2 * np.pi * 60e9 * constants.epsilon_0, 0.0,
                      scattering=0.05, thickness_m=0.01, source="dry skin at 60 GHz (Gabriel 1996; eps 7.98 - 10.9j)"),
    RadioMaterialSpec("plastic", 20, 100, 2.5, 0.0, 2 * np.pi * 60e9 * constants.epsilon_0 * 2.5 * 0.005, 0.0,
                      scattering=0.1, thickness_m=0.003, source="explicit painted-polypropylene values (eps' 2.5, tan d 0.005)",
                      roughness_m=0.0),
)}


def water_permittivity(frequency_hz: float, temperature_k: float = 288.15) -> complex:
    """Complex permittivity eps' - j eps'' of liquid water: the double-Debye model of ITU-R P.840-8 (Eqs. 6-12)."""
    f = frequency_hz / 1e9
    theta = 300.0 / temperature_k
    e0 = 77.66 + 103.3 * (theta - 1)
    e1, e2 = 0.0671 * e0, 3.52
    fp = 20.20 - 146 * (theta - 1) + 316 * (theta - 1) ** 2
    fs = 39.8 * fp
    re = (e0 - e1) / (1 + (f / fp) ** 2) + (e1 - e2) / (1 + (f / fs) ** 2) + e2
    im = f * (e0 - e1) / (fp * (1 + (f / fp) ** 2)) + f * (e1 - e2) / (fs * (1 + (f / fs) ** 2))
    return complex(re, -im)


SNOW_DENSITY_G_CM3 = 0.3


def dry_snow_permittivity(density_g_cm3: float = SNOW_DENSITY_G_CM3) -> complex:
    """Dry snow: eps' = 1 + 1.7 rho + 0.7 rho^2 (Hallikainen et al., 1986); losses ~ ice's, scaled by density."""
    rho = density_g_cm3
    return complex(1 + 1.7 * rho + 0.7 * rho ** 2, -0.005 * rho / 0.917)


WATER_SCATTERING, SNOW_SCATTERING = 0.05, 0.4  # a water film smooths a surface; fresh snow is rough
# Surface roughness and ground backscatter under cover: a water film fills the texture (smoother, less
# backscatter: wet roads look darker to mm-wave radar); fresh dry snow is rough (~2 mm rms) and scatters more.
WATER_ROUGHNESS_M, SNOW_ROUGHNESS_M = 0.0002, 0.002
WATER_GAMMA_DB, SNOW_GAMMA_DB = -32.0, -12.0  # wet: smoother; fresh snow: a strong mm-wave volume scatterer
DEFAULT_GAMMA_DB = -25.0


@dataclass(frozen=True)
class WeatheredMaterial:
    """A base material under a water film (``wetness``) and/or snow (``snow_cover``), both fractions 0..1.

    Effective permittivity: the cover-weighted mix of the base, liquid water (P.840) and dry snow,
    eps = (1 - s) [(1 - w) eps_base + w eps_water] + s eps_snow; the diffuse scattering coefficient mixes alike
    (water films are smooth, snow is rough). Names read ``base~wet0.80~snow0.00``.
    """

    base: RadioMaterialSpec
    wetness: float
    snow_cover: float

    @property
    def name(self) -> str:
        return weathered_name(self.base.name, self.wetness, self.snow_cover)

    def _mix(self, base, water, snow):
        """(1 - s) [(1 - w) base + w water] + s snow: every property of the cover mixes this way."""
        w, s = self.wetness, self.snow_cover
        return (1 - s) * ((1 - w) * base + w * water) + s * snow

    @property
    def scattering(self) -> float:
        return self._mix(self.base.scattering, WATER_SCATTERING, SNOW_SCATTERING)

    @property
    def pattern(self) -> str:
        return self.base.pattern

    @property
    def thickness_m(self) -> float:
        return self.base.thickness_m

    @property
    def roughness_m(self) -> float:
        return self._mix(self.base.roughness_m, WATER_ROUGHNESS_M, SNOW_ROUGHNESS_M)

    @property
    def clutter_gamma_db(self) -> float:
        """Mixed in linear power."""
        base = self.base.clutter_gamma_db if self.base.clutter_gamma_db is not None else DEFAULT_GAMMA_DB
        lin = lambda db: 10 ** (db / 10)  # noqa: E731
        return float(10 * np.log10(self._mix(lin(base), lin(WATER_GAMMA_DB), lin(SNOW_GAMMA_DB))))

    def complex_permittivity(self, frequency_hz: float) -> complex:
        return self._mix(self.base.complex_permittivity(frequency_hz), water_permittivity(frequency_hz),
                         dry_snow_permittivity())

    def properties(self, frequency_hz: float) -> tuple[float, float]:
        eps = self.complex_permittivity(frequency_hz)
        return eps.real, -eps.imag * constants.epsilon_0 * 2 * np.pi * frequency_hz


def weathered_name(base: str, wetness: float, snow_cover: float) -> str:
    """The material name of ``base`` under the given cover (``base`` itself when both are below 1 %)."""
    if wetness < 0.01 and snow_cover < 0.01:
        return base
    return f"{base}~wet{min(max(wetness, 0.0), 1.0):.2f}~snow{min(max(snow_cover, 0.0), 1.0):.2f}"


def material(name: str) -> RadioMaterialSpec | WeatheredMaterial:
    """The spec of a material name (``base`` or ``base~wetW~snowS``), or ConfigError listing the known names."""
    base, *cover = name.split("~")
    try:
        spec = MATERIALS[base]
    except KeyError:
        raise ConfigError(f"unknown radio material {name!r}; known materials: {', '.join(sorted(MATERIALS))}") from None
    if not cover:
        return spec
    try:
        wet = float(cover[0].removeprefix("wet"))
        snow = float(cover[1].removeprefix("snow"))
        assert len(cover) == 2 and cover[0].startswith("wet") and cover[1].startswith("snow")
        assert 0 <= wet <= 1 and 0 <= snow <= 1
    except (AssertionError, ValueError, IndexError):
        raise ConfigError(f"radio material {name!r}: weathered names read base~wetW~snowS with W, S in [0, 1]") \
            from None
    return WeatheredMaterial(spec, wet, snow)


def fresnel_normal(eps_complex: complex) -> complex:
    """Reflection coefficient of a half-space at normal incidence, (1 - sqrt(eps)) / (1 + sqrt(eps))."""
    n = np.sqrt(eps_complex)
    return complex((1 - n) / (1 + n))


def fresnel(eps_complex: complex, incidence_rad: float) -> tuple[complex, complex]:
    """(r_TE, r_TM) of a half-space for the angle of incidence from the normal (ITU-R P.2040 Eqs. 31)."""
    cos_i = np.cos(incidence_rad)
    root = np.sqrt(eps_complex - np.sin(incidence_rad) ** 2)
    r_te = (cos_i - root) / (cos_i + root)
    r_tm = (eps_complex * cos_i - root) / (eps_complex * cos_i + root)
    return complex(r_te), complex(r_tm)
