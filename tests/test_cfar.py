import numpy as np
import pytest

from maxray_gen.radar.cfar import ca_cfar, cfar_alpha
from maxray_gen.radar.processing import heatmaps
from maxray_gen.radar.targets import point_targets
from tests.conftest import make_config


def test_alpha_closed_form():
    assert cfar_alpha(16, 1e-3) == pytest.approx(16 * (1e-3 ** (-1 / 16) - 1))


def test_false_alarm_rate_on_exponential_noise():
    rng = np.random.default_rng(0)
    noise = rng.exponential(1.0, size=(600, 600))
    res = ca_cfar(noise, guard=(1, 1), train=(3, 3), pfa=1e-2)
    inner = res.mask[10:-10, 10:-10]
    rate = inner.mean()
    n = inner.size
    assert abs(rate - 1e-2) < 5 * np.sqrt(1e-2 / n) + 5e-4  # exact Pfa for i.i.d. exponential cells


def test_detects_targets_in_a_radar_map():
    cfg = make_config(noise={"model": "fixed", "channel_noise_db": -50.0}, range_window="hann", azimuth_window="hann")
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
