import numpy as np
import pytest

from maxray_gen.errors import DataError
from maxray_gen.radar.paths import PathSet
from maxray_gen.radar.targets import point_targets
from maxray_gen.seeding import rng_for


def sample_paths():
    return PathSet(
        gain=np.array([1 + 1j, 0.5, 0.25j]), delay_s=np.array([1e-7, 2e-7, 3e-7]), doppler_hz=np.array([0, 10, -10]),
        aoa_azimuth=np.array([0.1, -0.2, 0.3]), aoa_elevation=np.zeros(3),
        objects=np.array([[3, -1], [4, 3], [5, -1]]), interactions=np.array([[1, 0], [2, 1], [1, 0]]),
        carrier_hz=60e9,
    )


def test_save_load_round_trip(tmp_path):
    p = sample_paths()
    p.save(tmp_path / "p.npz")
    q = PathSet.load(tmp_path / "p.npz")
    for name in ("gain", "delay_s", "doppler_hz", "aoa_azimuth", "aoa_elevation", "aod_azimuth", "objects",
                 "interactions"):
        assert np.array_equal(getattr(p, name), getattr(q, name)), name
    assert q.carrier_hz == 60e9
    assert not list(tmp_path.glob("*.tmp"))


def test_attribution_select_concatenate():
    p = sample_paths()
    assert p.touches(3).tolist() == [True, True, False]
    kept = p.select(~p.touches(3))
    assert len(kept) == 1 and kept.objects[0, 0] == 5
    both = PathSet.concatenate([p, point_targets(5.0, 0.0, carrier_hz=60e9)])
    assert len(both) == 4 and both.depth == 2 and both.objects[3].tolist() == [0, -1]
    assert np.allclose(p.range_m, p.delay_s * 299792458 / 2)


def test_departure_angles_default_to_arrival():
    p = sample_paths()
    assert np.array_equal(p.aod_azimuth, p.aoa_azimuth)


@pytest.mark.parametrize("change, message", [
    (dict(delay_s=[1e-7, np.nan, 1e-7]), "delay_s has 1 non-finite"),
    (dict(doppler_hz=[0.0, 1.0]), "doppler_hz must have shape (3,)"),
    (dict(delay_s=[-1e-9, 0.0, 0.0]), "negative delays"),
    (dict(objects=np.zeros((2, 2))), "objects must have shape"),
])
def test_invalid_paths_are_rejected(change, message):
    p = sample_paths()
    kwargs = dict(gain=p.gain, delay_s=p.delay_s, doppler_hz=p.doppler_hz, aoa_azimuth=p.aoa_azimuth,
                  aoa_elevation=p.aoa_elevation, objects=p.objects, interactions=p.interactions)
    kwargs.update(change)
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        PathSet(**kwargs)


def test_corrupt_and_foreign_files(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(DataError, match="bad.npz: not a readable"):
        PathSet.load(bad)
    other = tmp_path / "other.npz"
    np.savez(other, a=np.zeros(3))
    with pytest.raises(DataError, match="not a path-list file"):
        PathSet.load(other)
    with pytest.raises(DataError, match="file not found"):
        PathSet.load(tmp_path / "missing.npz")


def test_named_streams_are_reproducible_and_independent():
    a = rng_for(7, 3, "radar_noise").standard_normal(4)
    b = rng_for(7, 3, "radar_noise").standard_normal(4)
    c = rng_for(7, 3, "scene").standard_normal(4)
    d = rng_for(8, 3, "radar_noise").standard_normal(4)
    assert np.array_equal(a, b)
    assert not np.allclose(a, c) and not np.allclose(a, d)
    # Stable across runs and platforms: pinned value.
    assert rng_for(0, "pin").integers(0, 2**31) == 1114449494
    with pytest.raises(ValueError):
        rng_for(1, -1)
