"""Weather on the radio side: ITU-R P.838-3 rain and P.676-13 gases against the ITU-R validation examples,
attenuation of a known path by its length, and wet/snowy radio materials."""

from __future__ import annotations

import math

import numpy as np
import pytest

from maxray_gen.errors import ConfigError
from maxray_gen.radar.paths import PathSet
from maxray_gen.radio.atmosphere import (attenuate, for_weather, gaseous_specific_attenuation_db_km,
                                         rain_coefficients, rain_specific_attenuation_db_km, radio_weather,
                                         saturated_water_vapour_g_m3)
from maxray_gen.radio.materials import (dry_snow_permittivity, fresnel_normal, material, water_permittivity,
                                        weathered_name)

# ITU-R Study Group 3 validation examples (CG-3M3J-13-ValEx), P.838-3 sheet: el, f, R, tau -> k, alpha, gamma_R
P838_VALEX = [(31.07699124, 14.25, 26.48052, 0.0, 0.03975488, 1.12418043, 1.58130839),
              (31.07699124, 29.0, 26.48052, 0.0, 0.22106804, 0.95320005, 5.02180189)]
# The published P.676-13 points of the same validation examples (sheet "P.676-13", specific attenuation at
# p = 1013.25 hPa, T = 288.15 K, rho = 7.5 g/m^3; ITU-R SG3 CG-3M3J-13-ValEx): f -> gamma_o, gamma_w (dB/km). These
# five frequencies are all the sheet gives; the water values are published to 9 significant digits.
P676_VALEX = [(12.0, 0.00869826406877357, 0.00953538822024593), (20.0, 0.0118835504778076, 0.0970473048151117),
              (60.0, 14.6234747964861, 0.154841841), (90.0, 0.0388697110724235, 0.341973394),
              (130.0, 0.0415090835995228, 0.751844704)]


@pytest.mark.parametrize("el,f,rate,tau,k,alpha,gamma", P838_VALEX)
def test_p838_matches_the_itu_validation_examples(el, f, rate, tau, k, alpha, gamma):
    kk, aa = rain_coefficients(f, el, tau)
    assert kk == pytest.approx(k, rel=1e-6) and aa == pytest.approx(alpha, rel=1e-6)
    assert rain_specific_attenuation_db_km(f, rate, el, tau) == pytest.approx(gamma, rel=1e-6)


@pytest.mark.parametrize("f,gamma_o,gamma_w", P676_VALEX)
def test_p676_matches_the_itu_validation_examples(f, gamma_o, gamma_w):
    o, w = gaseous_specific_attenuation_db_km(f, 1013.25, 288.15, 7.5)
    assert o == pytest.approx(gamma_o, rel=1e-9) and w == pytest.approx(gamma_w, rel=1e-8)


def test_60ghz_oxygen_and_rain_figures_and_bad_input():
    # the 60 GHz oxygen complex: ~15 dB/km, i.e. 0.3 dB over a 20 m radar round trip
    rw = radio_weather(60e9, rain_rate_mm_h=25.0)
    assert 14 < rw.oxygen_db_km < 16 and 8 < rw.rain_db_km < 13
    assert rain_specific_attenuation_db_km(60, 0.0) == 0.0
    with pytest.raises(ConfigError, match="1-1000 GHz"):
        rain_coefficients(0.5)
    with pytest.raises(ConfigError, match="rain rate must be >= 0"):
        rain_specific_attenuation_db_km(60, -1)
    # saturated vapour density at 15 C is about 12.8 g/m^3
    assert saturated_water_vapour_g_m3(288.15) == pytest.approx(12.83, abs=0.05)


def test_rain_lowers_a_known_path_by_the_p838_value_for_its_length():
    c = 299_792_458.0
    ranges = np.array([10.0, 25.0])
    paths = PathSet(gain=np.array([1e-3, 2e-3 + 1e-3j]), delay_s=2 * ranges / c, doppler_hz=np.zeros(2),
                    aoa_azimuth=np.zeros(2), aoa_elevation=np.zeros(2))
    dry = for_weather(60e9, "clear", 0.0)
    wet = for_weather(60e9, "rain", 50.0)
    k, alpha = rain_coefficients(60.0, 0.0, 45.0)
    gamma_rain = k * 50.0 ** alpha
    out_dry, out_wet = attenuate(paths, dry), attenuate(paths, wet)
    # power ratio in dB over the 2 r round trip: the rain term exactly, plus the (moister) gas difference
    loss_db = 20 * np.log10(np.abs(out_dry.gain) / np.abs(out_wet.gain))
    expected = (gamma_rain + wet.oxygen_db_km + wet.water_vapour_db_km - dry.oxygen_db_km - dry.water_vapour_db_km) \
        * 2 * ranges / 1000
    assert np.allclose(loss_db, expected, rtol=1e-9)
    assert loss_db[1] > loss_db[0] > 0.04  # ~1 dB/km over 20-50 m of travel
    # phases untouched; oxygen alone at 60 GHz: 14.6 dB/km -> 0.292 dB over a 10 m round trip
    assert np.allclose(np.angle(out_wet.gain), np.angle(paths.gain))
    clear_loss = -20 * np.log10(np.abs(attenuate(paths, radio_weather(60e9, 0.0)).gain[0]) / 1e-3)
    assert clear_loss == pytest.approx((14.6234747964861 + 0.154841840636247) * 0.020, rel=1e-9)


def test_wet_and_snowy_materials():
    assert weathered_name("asphalt", 0.0, 0.0) == "asphalt"
    wet = material(weathered_name("asphalt", 1.0, 0.0))
    assert wet.complex_permittivity(60e9) == pytest.approx(water_permittivity(60e9))
    # P.840 liquid water at 60 GHz, 15 C: eps ~ 9.8 - 17.9 j (static 79.7, Debye relaxation ~ 8.3 GHz)
    assert water_permittivity(60e9) == pytest.approx(complex(9.819, -17.893), abs=0.01)
    r_dry = abs(fresnel_normal(material("asphalt").complex_permittivity(60e9)))
    r_wet = abs(fresnel_normal(material("asphalt~wet0.80~snow0.00").complex_permittivity(60e9)))
    r_snow = abs(fresnel_normal(material("asphalt~wet0.00~snow1.00").complex_permittivity(60e9)))
    assert r_wet > 1.8 * r_dry and r_snow < 0.5 * r_dry  # water mirrors, snow (eps' 1.57) barely reflects
    assert material("asphalt~wet0.00~snow1.00").complex_permittivity(60e9) == pytest.approx(dry_snow_permittivity())
    assert material("asphalt~wet1.00~snow0.00").scattering < material("asphalt").scattering
    eps, sigma = wet.properties(60e9)
    assert sigma == pytest.approx(17.893 * 8.8541878128e-12 * 2 * math.pi * 60e9, rel=1e-3)
    with pytest.raises(ConfigError, match="base~wetW~snowS"):
        material("asphalt~wet2~snow0")
    with pytest.raises(ConfigError, match="unknown radio material"):
        material("tarmac~wet0.5~snow0")
