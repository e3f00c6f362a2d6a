import numpy as np
import pytest

from maxray_gen.radar.cfar import ca_cfar, cfar_alpha
from maxray_gen.radar.processing import heatmaps
from maxray_gen.radar.targets import point_targets
from tests.conftest import make_config


def test_alpha_gives_the_false_alarm_probability_by_monte_carlo():
    # an oracle independent of the formula: for i.i.d. exponential cells, P(X_cut > alpha / N * sum of N reference
    # cells) is the CA-CFAR false-alarm probability; estimated from 400k draws per case
    rng = np.random.default_rng(7)
    for n_ref, pfa in ((16, 1e-2), (72, 1e-2), (8, 5e-2)):
        ref = rng.exponential(1.0, size=(400_000, n_ref)).sum(axis=1)
        cut = rng.exponential(1.0, size=400_000)
        rate = np.mean(cut > cfar_alpha(n_ref, pfa) / n_ref * ref)
        assert rate == pytest.approx(pfa, rel=5 * np.sqrt((1 - pfa) / (pfa * 400_000))), (n_ref, pfa, rate)


def test_guard_cells_are_not_training_cells():
    # a strong echo in the guard box next to the cell under test must not raise that cell's threshold: with the
    # guard counted as training (or the training ring reaching into it) the weak target below would be masked
    power = np.ones((41, 41))
    power[20, 20] = 30.0  # the cell under test: 30x the noise
    power[20, 21] = 1e4  # a strong neighbour inside the guard box (guard 1)
    res = ca_cfar(power, guard=(1, 1), train=(3, 3), pfa=1e-3)
    n_ref = 9 * 9 - 3 * 3
    assert res.threshold[20, 20] == pytest.approx(cfar_alpha(n_ref, 1e-3), rel=1e-9)  # training cells all 1
    assert res.mask[20, 20]
    # and a strong echo in the training ring does raise it (by its share of the N_ref average)
    power[20, 24] = 1e4
    res = ca_cfar(power, guard=(1, 1), train=(3, 3), pfa=1e-3)
    assert res.threshold[20, 20] == pytest.approx(cfar_alpha(n_ref, 1e-3) * (n_ref - 1 + 1e4) / n_ref, rel=1e-9)


def test_false_alarm_rate_on_exponential_noise():
    rng = np.random.default_rng(0)
    noise = rng.exponential(1.0, size=(600, 600))
    res = ca_cfar(noise, guard=(1, 1), train=(3, 3), pfa=1e-2)
    inner = res.mask[10:-10, 10:-10]
    rate = inner.mean()
    n = inner.size
    assert abs(rate - 1e-2) < 5 * np.sqrt(1e-2 / n) + 5e-4  # exact Pfa for i.i.d. exponential cells


def test_detects_targets_in_a_radar_map():
    cfg = make_config(noise={"model": "fixed", "channel_noise_db": -50.0}, range_window="hann", azimuth_window="hann",
                      elevation_mode="beam")
    truth = [(8.0, -0.4), (15.0, 0.2), (22.0, 0.6)]
    p = point_targets([t[0] for t in truth], [t[1] for t in truth], 0.0, [0.0, 1.0, -2.0], amplitude=1e-4)
    hm = heatmaps(p, cfg, np.random.default_rng(2))
    res = ca_cfar(hm.range_azimuth, guard=(3, 4), train=(6, 6), pfa=1e-6)
    found = [(hm.range_m[i], hm.azimuth_rad[j]) for i, j in res.detections[:3]]
    for r, az in truth:
        assert any(abs(fr - r) < 0.3 and abs(fa - az) < 0.05 for fr, fa in found), (r, az, found)


def test_bad_arguments():
    with pytest.raises(ValueError, match="pfa"):
        ca_cfar(np.ones((10, 10)), pfa=2.0)
    with pytest.raises(ValueError, match="one entry per map axis"):
        ca_cfar(np.ones((10, 10)), guard=(1,), train=(1,))
