"""The literal OFDM model (Eqs. 7-8) and its agreement with the fast NUFFT path."""

import numpy as np
import pytest

from maxray_gen.radar.channel import beam_channel, combine_rows, qpsk, simulate_frame, synthesize_channel
from maxray_gen.radar.paths import PathSet
from maxray_gen.radar.processing import PRODUCTS, heatmaps, heatmaps_reference
from maxray_gen.radar.targets import point_targets
from tests.conftest import make_config


def random_paths(rng, n, max_delay=1.2e-7):
    return PathSet(
        gain=rng.standard_normal(n) + 1j * rng.standard_normal(n), delay_s=rng.uniform(1e-8, max_delay, n),
        doppler_hz=rng.uniform(-20e3, 20e3, n), aoa_azimuth=rng.uniform(-1.2, 1.2, n),
        aoa_elevation=rng.uniform(-0.6, 0.6, n), objects=rng.integers(0, 5, (n, 3)),
    )


def test_spectral_division_recovers_the_channel_exactly_without_noise(small_cfg, rng):
    paths = random_paths(rng, 40)
    frame = simulate_frame(paths, small_cfg, rng, noise=False)
    assert np.allclose(np.abs(frame.x), 1.0)
    assert set(np.round(np.angle(frame.x) / (np.pi / 4)).astype(int).ravel()) <= {-3, -1, 1, 3}  # QPSK
    truth = synthesize_channel(paths, small_cfg)
    assert np.max(np.abs(frame.h - truth)) <= 1e-12 * np.max(np.abs(truth))
    # Y really is H X (the symbols are not a no-op).
    assert not np.allclose(frame.y, truth)


def test_channel_matches_the_closed_form_for_one_path(small_cfg):
    cfg = small_cfg
    p = point_targets(7.0, 0.3, -0.1, 2.0, amplitude=0.5, carrier_hz=cfg.carrier_hz)
    h = synthesize_channel(p, cfg)
    n, r, c, k = 3, 1, 5, 17
    tau, fd = p.delay_s[0], p.doppler_hz[0]
    u = np.array([np.cos(-0.1) * np.sin(0.3), -np.sin(-0.1)])
    d = cfg.array.spacing_wavelengths
    phase_el = 2 * np.pi * d * ((c - 3.5) * u[0] + (r - 1.5) * u[1])
    expect = p.gain[0] * np.exp(2j * np.pi * (n * cfg.symbol_interval_s * fd - k * cfg.subcarrier_spacing_hz * tau))
    assert h[n, r, c, k] == pytest.approx(expect * np.exp(1j * phase_el), rel=1e-12)


def test_noise_on_channel_estimate_has_the_configured_variance(small_cfg, rng):
    cfg = make_config(**{**small_cfg.model_dump(), "noise": {"model": "fixed", "channel_noise_db": -20.0}})
    frame = simulate_frame(PathSet.empty(), cfg, rng)
    assert np.mean(np.abs(frame.h) ** 2) == pytest.approx(0.01, rel=0.03)
    assert abs(np.mean(frame.h)) < 0.005


@pytest.mark.parametrize("mode", ["beam", "noncoherent"])
def test_fast_path_equals_the_literal_model_noise_free(small_cfg, rng, mode):
    cfg = make_config(**{**small_cfg.model_dump(), "elevation_mode": mode, "elevation_steer_deg": -10.0})
    paths = random_paths(rng, 60)
    ref = combine_rows(synthesize_channel(paths, cfg), cfg)
    fast = beam_channel(paths, cfg, None, noise=False)
    assert np.max(np.abs(fast - ref)) <= 1e-8 * np.max(np.abs(ref))
    a = heatmaps(paths, cfg, products=PRODUCTS, noise=False)
    b = heatmaps_reference(paths, cfg, rng, products=PRODUCTS, noise=False)
    for key in PRODUCTS:
        assert np.allclose(getattr(a, key), getattr(b, key), rtol=1e-6, atol=1e-9 * getattr(b, key).max()), key


def test_single_precision_fast_path_within_tolerance(small_cfg, rng):
    cfg = make_config(**{**small_cfg.model_dump(), "precision": "single", "nufft_tolerance": 1e-4})
    paths = random_paths(rng, 200)
    ref = combine_rows(synthesize_channel(paths, cfg), cfg)
    fast = beam_channel(paths, cfg, None, noise=False)
    assert fast.dtype == np.complex64
    assert np.linalg.norm(fast - ref) / np.linalg.norm(ref) < 1e-3


def test_fast_and_literal_noise_have_the_same_statistics(small_cfg):
    cfg = make_config(**{**small_cfg.model_dump(), "noise": {"model": "fixed", "channel_noise_db": -30.0}})
    empty = PathSet.empty()
    fast = [heatmaps(empty, cfg, np.random.default_rng(s)).range_azimuth.mean() for s in range(20)]
    ref = [heatmaps_reference(empty, cfg, np.random.default_rng(s)).range_azimuth.mean() for s in range(20)]
    expect = cfg.n_symbols * 1e-3
    assert np.mean(fast) == pytest.approx(expect, rel=0.03)
    assert np.mean(ref) == pytest.approx(expect, rel=0.03)


def test_noise_needs_a_generator(quiet_cfg):
    cfg = make_config()
    with pytest.raises(ValueError, match="random generator"):
        heatmaps(point_targets(10.0, 0.0), cfg, None)


def test_same_seed_same_heatmap_different_seed_different():
    cfg = make_config()
    p = point_targets([9.0, 13.0], [0.1, -0.2])
    a = heatmaps(p, cfg, np.random.default_rng(5)).range_azimuth
    b = heatmaps(p, cfg, np.random.default_rng(5)).range_azimuth
    c = heatmaps(p, cfg, np.random.default_rng(6)).range_azimuth
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_paths_beyond_the_unambiguous_range_alias(quiet_cfg):
    cfg = quiet_cfg
    r_amb = cfg.max_unambiguous_range_m
    a = heatmaps(point_targets(12.0, 0.0), cfg).range_azimuth
    b = heatmaps(point_targets(12.0 + r_amb, 0.0), cfg).range_azimuth
    assert np.unravel_index(a.argmax(), a.shape) == np.unravel_index(b.argmax(), b.shape)


def test_capon_resolves_what_bartlett_cannot():
    base = dict(noise={"model": "fixed", "channel_noise_db": -40.0}, azimuth_bins=721, azimuth_grid="uniform_sine")
    sep = np.sin(np.radians(make_config(**base).azimuth_resolution_deg)) * 0.45
    az = np.arcsin([-sep / 2, sep / 2])
    p = point_targets(15.0, az, 0.0, [0.0, 5 * make_config().velocity_bin_mps])
    from scipy.signal import find_peaks

    counts = {}
    for bf in ("bartlett", "capon"):
        cfg = make_config(**base, beamformer=bf)
        ra = heatmaps(p, cfg, np.random.default_rng(0)).range_azimuth
        row = ra[np.argmax(ra.max(axis=1))]
        peaks, _ = find_peaks(row / row.max(), height=0.25, prominence=1e-2)
        counts[bf] = len(peaks)
        if bf == "capon":
            found = np.sort(cfg.azimuth_axis_rad[peaks])
            assert found == pytest.approx(np.sort(az), abs=np.radians(0.5))
    assert counts == {"bartlett": 1, "capon": 2}


def test_capon_single_target_peak_matches_bartlett_scale():
    b = make_config(noise={"model": "fixed", "channel_noise_db": -60.0})
    c = make_config(noise={"model": "fixed", "channel_noise_db": -60.0}, beamformer="capon")
    p = point_targets(15.0, b.azimuth_axis_rad[76])  # on the grid: Capon's peak is far narrower than a bin
    pb = heatmaps(p, b, np.random.default_rng(1)).range_azimuth
    pc = heatmaps(p, c, np.random.default_rng(1)).range_azimuth
    assert np.unravel_index(pc.argmax(), pc.shape) == np.unravel_index(pb.argmax(), pb.shape)
    assert pc.max() == pytest.approx(pb.max(), rel=0.01)


def test_qpsk_is_deterministic_per_generator():
    a = qpsk(np.random.default_rng(1), (4, 8))
    b = qpsk(np.random.default_rng(1), (4, 8))
    assert np.array_equal(a, b)


@pytest.mark.parametrize("mode", ["beam", "noncoherent"])
def test_per_element_paths_fast_equals_literal(small_cfg, rng, mode):
    cfg = make_config(**{**small_cfg.model_dump(), "elevation_mode": mode})
    base = random_paths(rng, 30)
    per_el = PathSet(base.gain, base.delay_s, base.doppler_hz, base.aoa_azimuth, base.aoa_elevation,
                     objects=base.objects, element=rng.integers(0, cfg.array.n_elements, 30))
    mixed = PathSet.concatenate([per_el, random_paths(rng, 10)])
    ref = combine_rows(synthesize_channel(mixed, cfg), cfg)
    fast = beam_channel(mixed, cfg, None, noise=False)
    assert np.max(np.abs(fast - ref)) <= 1e-8 * np.max(np.abs(ref))


def test_per_element_paths_equal_steered_reference_paths(small_cfg):
    # A plane wave expressed per element (gain x steering phase) gives the same channel as one steered path.
    cfg = small_cfg
    p = point_targets(9.0, 0.35, -0.1, 1.5, carrier_hz=cfg.carrier_hz)
    from maxray_gen.radar.array import spatial_phases
    from maxray_gen.radar.array import element_offsets

    psi, chi = spatial_phases(cfg, p.aoa_azimuth, p.aoa_elevation)
    r, c = np.meshgrid(np.arange(cfg.array.rows), np.arange(cfg.array.columns), indexing="ij")
    phase = psi[0] * element_offsets(cfg.array.columns)[c] + chi[0] * element_offsets(cfg.array.rows)[r]
    n = cfg.array.n_elements
    per_el = PathSet(p.gain[0] * np.exp(1j * phase.ravel()), np.full(n, p.delay_s[0]), np.full(n, p.doppler_hz[0]),
                     np.full(n, p.aoa_azimuth[0]), np.full(n, p.aoa_elevation[0]), element=np.arange(n))
    assert np.allclose(synthesize_channel(per_el, cfg), synthesize_channel(p, cfg), atol=1e-12)


def test_element_index_out_of_range_is_reported(small_cfg):
    from maxray_gen.errors import DataError

    p = PathSet([1.0], [1e-7], [0.0], [0.0], [0.0], element=[small_cfg.array.n_elements])
    with pytest.raises(DataError, match="element 32 but the radar array has 4 x 8 = 32"):
        beam_channel(p, small_cfg, None, noise=False)


def test_noncoherent_rows_split_over_threads_are_bit_identical(monkeypatch):
    # the 16 row NUFFTs run in NUFFT_SPLIT fixed groups on threads: the channel must equal the one-group result
    # bit for bit (deterministic mode), whatever the machine
    from maxray_gen.radar import nufft

    cfg = make_config(noise={"model": "none"}, elevation_mode="noncoherent")
    rng = np.random.default_rng(4)
    n = 500
    paths = PathSet(gain=rng.standard_normal(n) + 1j * rng.standard_normal(n), delay_s=rng.uniform(3e-8, 2e-7, n),
                    doppler_hz=rng.uniform(-3e3, 3e3, n), aoa_azimuth=rng.uniform(-1, 1, n),
                    aoa_elevation=rng.uniform(-0.4, 0.4, n))
    split = beam_channel(paths, cfg, None, noise=False)
    monkeypatch.setattr(nufft, "NUFFT_SPLIT", 1)
    single = beam_channel(paths, cfg, None, noise=False)
    assert split.shape == (cfg.n_subcarriers, cfg.array.rows, cfg.array.columns, cfg.n_symbols)
    assert np.array_equal(split, single)


def _lot_like_paths(rng, n_static, n_moving, spread_hz):
    """Static clutter plus a few moving scatterers whose Dopplers share a narrow band (one car)."""
    static = PathSet(gain=rng.standard_normal(n_static) + 1j * rng.standard_normal(n_static),
                     delay_s=rng.uniform(2e-8, 1.2e-7, n_static), doppler_hz=np.zeros(n_static),
                     aoa_azimuth=rng.uniform(-1, 1, n_static), aoa_elevation=rng.uniform(-0.5, 0.1, n_static))
    moving = PathSet(gain=rng.standard_normal(n_moving) + 1j * rng.standard_normal(n_moving),
                     delay_s=rng.uniform(4e-8, 6e-8, n_moving),
                     doppler_hz=1500.0 + rng.uniform(-spread_hz, spread_hz, n_moving),
                     aoa_azimuth=rng.uniform(0.2, 0.3, n_moving), aoa_elevation=rng.uniform(-0.3, -0.2, n_moving))
    return PathSet.concatenate([static, moving])


@pytest.mark.parametrize("mode", ["beam", "noncoherent"])
def test_fitted_slow_time_basis_equals_the_literal_model(small_cfg, mode):
    # static paths: one basis vector; one car's moving paths: a low-rank basis; the products must still equal
    # the literal per-element model (double precision, tolerance 1e-10)
    from maxray_gen.radar.profiles import slow_time_groups

    cfg = make_config(**{**small_cfg.model_dump(), "elevation_mode": mode, "elevation_steer_deg": -10.0})
    paths = _lot_like_paths(np.random.default_rng(3), 80, 20, 100.0)
    (static, u0), (moving, u1) = slow_time_groups(paths, cfg)
    assert static.sum() == 80 and moving.sum() == 20
    assert u0.shape[1] == 1 and np.allclose(u0, 1 / np.sqrt(cfg.n_symbols))
    assert 1 < u1.shape[1] < cfg.n_symbols  # a few moving vectors, fewer than the symbols
    a = heatmaps(paths, cfg, products=PRODUCTS, noise=False)
    b = heatmaps_reference(paths, cfg, np.random.default_rng(0), products=PRODUCTS, noise=False)
    for key in PRODUCTS:
        assert np.allclose(getattr(a, key), getattr(b, key), rtol=1e-6, atol=1e-9 * getattr(b, key).max()), key


def test_fitted_basis_rank_follows_the_doppler_spread():
    from maxray_gen.radar.profiles import basis_coefficients, doppler_basis

    rng = np.random.default_rng(5)
    power = rng.uniform(0.1, 1.0, 400)
    ranks = [doppler_basis(rng.uniform(-w, w, 400), power, 64, 1e-5).shape[1] for w in (0.0, 0.05, 0.3, np.pi)]
    assert ranks[0] == 1 and ranks[0] < ranks[1] < ranks[2] < ranks[3] == 64
    # the kept vectors reproduce e^{j m w} to the tolerance (power-weighted)
    w = rng.uniform(-0.3, 0.3, 400)
    u = doppler_basis(w, power, 64, 1e-5)
    c = basis_coefficients(u, w)
    e = np.exp(1j * np.outer(np.arange(64), w))
    err = np.sum(np.abs(u @ c - e) ** 2 * power) / np.sum(np.abs(e) ** 2 * power)
    assert err <= 1e-10


def test_single_precision_lot_profiles_within_tolerance_of_the_3d_nufft():
    # the presets' radar (noncoherent, single precision, 1e-4): fitted basis vs the full 3-D synthesis
    from maxray_gen.radar.processing import range_profiles
    from maxray_gen.radar.profiles import range_profiles_from_paths, slow_time_groups

    cfg = make_config(noise={"model": "none"}, elevation_mode="noncoherent")
    paths = _lot_like_paths(np.random.default_rng(8), 3000, 300, 300.0)
    ref = range_profiles(beam_channel(paths, cfg, None, noise=False), cfg)
    prof = range_profiles_from_paths(paths, cfg)
    assert prof.dtype == np.complex64 and slow_time_groups(paths, cfg)[1][1].shape[1] < cfg.n_symbols // 2
    assert np.linalg.norm(prof - ref) / np.linalg.norm(ref) < 3e-4


def test_tapered_range_window_noise_floor_through_the_fitted_basis(small_cfg):
    # a Hann range window takes the noise-on-the-full-channel branch: noise-only cells still average the floor
    cfg = make_config(**{**small_cfg.model_dump(), "range_window": "hann",
                         "noise": {"model": "fixed", "channel_noise_db": -30.0}})
    empty = PathSet.empty()
    fast = [heatmaps(empty, cfg, np.random.default_rng(s)).range_azimuth.mean() for s in range(20)]
    ref = [heatmaps_reference(empty, cfg, np.random.default_rng(s)).range_azimuth.mean() for s in range(20)]
    assert np.mean(fast) == pytest.approx(np.mean(ref), rel=0.05)
    assert np.mean(fast) == pytest.approx(cfg.n_symbols * 1e-3, rel=0.05)


def test_many_fast_movers_take_the_3d_nufft_branch_and_still_equal_the_literal_model(small_cfg, rng):
    # Doppler over the whole axis (full rank) and many paths: the cost model picks one 3-D NUFFT per channel
    from maxray_gen.radar import profiles

    paths = random_paths(rng, 3000)
    (sel, u), = profiles.slow_time_groups(paths, small_cfg)
    assert u.shape[1] == small_cfg.n_symbols
    assert profiles._cost_3d(3000, 1, small_cfg) < profiles._cost_2d(3000, u.shape[1], 1, small_cfg)
    a = heatmaps(paths, small_cfg, noise=False).range_azimuth
    b = heatmaps_reference(paths, small_cfg, rng, noise=False).range_azimuth
    assert np.allclose(a, b, rtol=1e-6, atol=1e-9 * b.max())


def test_subset_judged_3d_branch_equals_the_literal_model(small_cfg, rng, monkeypatch):
    # above _DECIDE_ON moving paths the rank is judged on a strided subset; mixed static + fast movers
    from maxray_gen.radar import profiles

    monkeypatch.setattr(profiles, "_DECIDE_ON", 100)
    fast = random_paths(rng, 3000)
    static = _lot_like_paths(rng, 200, 0, 0.0)
    paths = PathSet.concatenate([fast, static])
    a = heatmaps(paths, small_cfg, noise=False).range_azimuth
    b = heatmaps_reference(paths, small_cfg, rng, noise=False).range_azimuth
    assert np.allclose(a, b, rtol=1e-6, atol=1e-9 * b.max())
