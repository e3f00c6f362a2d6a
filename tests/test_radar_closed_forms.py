"""Closed-form checks of the OFDM radar model with the default parameter set (docs/radar.md)."""

import numpy as np
import pytest
from scipy.signal import find_peaks

from maxray_gen.constants import SPEED_OF_LIGHT
from maxray_gen.radar.processing import azimuth_fft, heatmaps
from maxray_gen.radar.targets import point_targets
from tests.conftest import make_config


def ra_peak(cfg, paths, **kw):
    ra = heatmaps(paths, cfg, **kw).range_azimuth
    i, j = np.unravel_index(np.argmax(ra), ra.shape)
    return ra, i, j


@pytest.mark.parametrize("rng_m, fft_bin", [(12.0, 64), (10.0, 53), (5.0, 27), (29.9, 160)])
def test_point_target_lands_in_its_range_bin(quiet_cfg, rng_m, fft_bin):
    _, i, _ = ra_peak(quiet_cfg, point_targets(rng_m, 0.0))
    assert i + quiet_cfg.range_bin_slice.start == fft_bin
    assert quiet_cfg.range_axis_m[i] == pytest.approx(fft_bin * SPEED_OF_LIGHT / (2 * 800e6))


@pytest.mark.parametrize("v, doppler_bin", [(1.25, 4), (-1.25, -4), (0.0, 0), (3.125, 10)])
def test_velocity_lands_in_its_doppler_bin(quiet_cfg, v, doppler_bin):
    rd = heatmaps(point_targets(12.0, 0.0, 0.0, v), quiet_cfg, products=("range_doppler",)).range_doppler
    _, j = np.unravel_index(np.argmax(rd), rd.shape)
    assert j - quiet_cfg.doppler_fft_size // 2 == doppler_bin
    assert quiet_cfg.doppler_axis_mps[j] == pytest.approx(v, abs=0.01)


@pytest.mark.parametrize("az_deg", [-45.0, -30.0, -12.5, -3.0, 3.0, 12.5, 30.0, 45.0])
def test_azimuth_peaks_at_known_angles_on_the_correct_side(quiet_cfg, az_deg):
    ra, _, j = ra_peak(quiet_cfg, point_targets(15.0, np.radians(az_deg)))
    step = np.degrees(quiet_cfg.azimuth_axis_rad[1] - quiet_cfg.azimuth_axis_rad[0])
    assert np.degrees(quiet_cfg.azimuth_axis_rad[j]) == pytest.approx(az_deg, abs=step / 2 + 1e-9)
    centre = (ra.shape[1] - 1) / 2
    assert (j > centre) == (az_deg > 0)  # positive azimuth = to the right = right half of the map


def test_azimuth_fft_oracle_and_mirror():
    # d = lambda/2: 30 deg is spatial frequency 0.25 cycles/element -> bin 4 of 16, 16 of 64.
    cfg = make_config()
    psi = 2 * np.pi * 0.5 * np.sin(np.radians(30.0))
    x = np.exp(1j * psi * np.arange(16))
    assert np.argmax(np.abs(azimuth_fft(x, 16))) == 4
    assert np.argmax(np.abs(azimuth_fft(x, 64))) == 16
    x_left = np.exp(-1j * psi * np.arange(16))  # -30 deg lands in the mirror bin
    assert np.argmax(np.abs(azimuth_fft(x_left, 16))) == 12
    # The processing chain's steering convention agrees: a target at +30 deg gives exactly this phase ramp.
    from maxray_gen.radar.array import spatial_phases

    got, _ = spatial_phases(cfg, np.radians(30.0), 0.0)
    assert got == pytest.approx(psi)


def _two_peaks(profile: np.ndarray) -> int:
    """Number of peaks within 6 dB of the maximum (sidelobes excluded) separated by any dip."""
    peaks, _ = find_peaks(profile / profile.max(), height=0.25, prominence=1e-3)
    return len(peaks)


@pytest.mark.parametrize("window", ["boxcar", "hann"])
def test_two_targets_one_range_cell_apart_resolved_half_not(window):
    cfg = make_config(noise={"model": "none"}, range_window=window, range_oversampling=8)
    res = cfg.range_resolution_m
    # Different Doppler bins make the echoes incoherent in the range-azimuth map (power adds exactly).
    for sep, n_expected in [(res, 2), (res / 2, 1)]:
        p = point_targets([14.0, 14.0 + sep], 0.0, 0.0, [0.0, 5 * cfg.velocity_bin_mps])
        ra = heatmaps(p, cfg).range_azimuth
        j = np.argmin(np.abs(cfg.azimuth_axis_rad))
        lo, hi = np.searchsorted(cfg.range_axis_m, [13.0, 15.5])
        assert _two_peaks(ra[lo:hi, j]) == n_expected, (window, sep)


@pytest.mark.parametrize("window", ["boxcar", "hann"])
def test_two_targets_one_azimuth_cell_apart_resolved_half_not(window):
    cfg = make_config(noise={"model": "none"}, azimuth_window=window, azimuth_bins=721, azimuth_grid="uniform_sine")
    du = np.sin(np.radians(cfg.azimuth_resolution_deg))  # resolution cell in sine space at boresight
    for sep, n_expected in [(du, 2), (du / 2, 1)]:
        az = np.arcsin([-sep / 2, sep / 2])
        p = point_targets(15.0, az, 0.0, [0.0, 5 * cfg.velocity_bin_mps])
        ra = heatmaps(p, cfg).range_azimuth
        i = np.argmax(ra.max(axis=1))
        assert _two_peaks(ra[i]) == n_expected, (window, sep)


@pytest.mark.parametrize("window, n, expected_db, tol", [
    ("boxcar", 1024, -13.26, 0.02), ("hann", 1024, -31.47, 0.02), ("hamming", 16, -39.70, 0.05),
])
def test_window_sidelobes_match_known_values(window, n, expected_db, tol):
    from maxray_gen.radar import windows

    assert windows.peak_sidelobe_db(windows.get_window(window, n)) == pytest.approx(expected_db, abs=tol)


@pytest.mark.parametrize("window, expected_db", [("boxcar", -13.26), ("hann", -31.47)])
def test_range_profile_sidelobes_in_the_processed_map(window, expected_db):
    # Oversampled range axis shows the sidelobes the window promises, in the actual heatmap.
    cfg = make_config(noise={"model": "none"}, range_window=window, range_oversampling=16)
    ra = heatmaps(point_targets(17.0, 0.0), cfg).range_azimuth
    j = np.argmax(ra.max(axis=0))
    prof = 10 * np.log10(ra[:, j] / ra[:, j].max())
    peaks, _ = find_peaks(prof)
    side = np.sort(prof[peaks])[-3]  # the mainlobe is 0 dB, then the two first sidelobes
    assert side == pytest.approx(expected_db, abs=0.1)


def test_noise_only_periodogram_mean_is_noise_power():
    cfg = make_config(noise={"model": "fixed", "channel_noise_db": -60.0}, elevation_mode="beam")
    sigma2 = 1e-6
    hm = heatmaps(point_targets(12.0, 0.0, amplitude=0.0), cfg, np.random.default_rng(7),
                  products=("range_azimuth", "range_doppler", "rad_cube"))
    assert hm.rad_cube.mean() == pytest.approx(sigma2, rel=0.02)
    assert hm.range_doppler.mean() == pytest.approx(sigma2, rel=0.02)
    assert hm.range_azimuth.mean() == pytest.approx(cfg.n_symbols * sigma2, rel=0.02)
    assert hm.noise_floor["rad_cube"] == pytest.approx(sigma2)
    # Exponential statistics: a RAD cell's std equals its mean; range-Doppler averages 16 independent columns.
    assert hm.rad_cube.std() == pytest.approx(sigma2, rel=0.05)
    assert hm.range_doppler.std() == pytest.approx(sigma2 / np.sqrt(16), rel=0.05)


def test_processing_gain_is_n_times_m_times_antennas():
    cfg = make_config(noise={"model": "none"}, azimuth_bins=129, elevation_mode="beam")  # odd: boresight on the grid
    r_on_grid = 70 * cfg.range_bin_m
    v_on_grid = 6 * cfg.velocity_bin_mps
    p = point_targets(r_on_grid, 0.0, 0.0, v_on_grid, carrier_hz=cfg.carrier_hz)
    hm = heatmaps(p, cfg, products=("rad_cube", "range_azimuth", "range_doppler"))
    gain = 1024 * 64 * 256
    assert cfg.processing_gain == gain
    assert hm.rad_cube.max() == pytest.approx(gain, rel=1e-3)
    assert hm.range_azimuth.max() == pytest.approx(gain, rel=1e-3)
    assert hm.range_doppler.max() == pytest.approx(1024 * 64 * 16, rel=1e-3)  # one elevation beam of 16 rows
    # Off-grid Doppler: the range-azimuth peak keeps the full gain (energy summed over Doppler).
    p2 = point_targets(r_on_grid, 0.0, 0.0, 6.37 * cfg.velocity_bin_mps, carrier_hz=cfg.carrier_hz)
    assert heatmaps(p2, cfg).range_azimuth.max() == pytest.approx(gain, rel=1e-3)


def test_snr_gain_with_thermal_noise():
    cfg = make_config(elevation_mode="beam")  # thermal noise, 30 dBm, NF 10 dB; one coherent elevation beam
    amp = 1e-5
    r = 80 * cfg.range_bin_m
    hm = heatmaps(point_targets(r, 0.0, amplitude=amp), cfg, np.random.default_rng(3), products=("rad_cube",))
    snr_in = amp**2 / cfg.noise_variance
    # the noise floor measured from noise-only cells of the same cube (range bins far from the target), not the
    # model's own figure: the mean of exponential cells, ~3e5 of them
    i = int(np.argmin(np.abs(hm.range_m - r)))
    far = np.abs(np.arange(len(hm.range_m)) - i) > 10
    floor = float(hm.rad_cube[far].mean())
    assert floor == pytest.approx(cfg.noise_variance, rel=0.02)
    snr_out = hm.rad_cube.max() / floor
    assert 10 * np.log10(snr_out / snr_in) == pytest.approx(10 * np.log10(cfg.processing_gain), abs=0.5)


def test_elevation_beam_attenuates_off_elevation_targets(quiet_cfg):
    on = heatmaps(point_targets(12.0, 0.0, 0.0), quiet_cfg).range_azimuth.max()
    # sin(el) = 2/16 / 0.5 ... the first null of a 16-row rectangular beam is at sin(el) = 1/(16 * 0.5)
    off = heatmaps(point_targets(12.0, 0.0, -np.arcsin(1 / 8)), quiet_cfg).range_azimuth.max()
    assert off / on < 1e-6
    nc = make_config(noise={"model": "none"}, elevation_mode="noncoherent")
    a = heatmaps(point_targets(12.0, 0.0, 0.0), nc).range_azimuth.max()
    b = heatmaps(point_targets(12.0, 0.0, -np.arcsin(1 / 8)), nc).range_azimuth.max()
    assert b == pytest.approx(a, rel=1e-3)  # elevation-blind in noncoherent mode


@pytest.mark.parametrize("window, mode", [("hann", "beam"), ("boxcar", "noncoherent")])
def test_noise_floor_with_tapered_windows_and_noncoherent_mode(window, mode):
    # Hann range taper: noise drawn on the channel (correlated range bins); rect: drawn on the range bins.
    cfg = make_config(noise={"model": "fixed", "channel_noise_db": -60.0}, range_window=window, elevation_mode=mode)
    hm = heatmaps(point_targets(12.0, 0.0, amplitude=0.0), cfg, np.random.default_rng(9),
                  products=("range_doppler", "rad_cube"))
    assert hm.rad_cube.mean() == pytest.approx(1e-6, rel=0.02)
    assert hm.range_doppler.mean() == pytest.approx(1e-6, rel=0.02)
