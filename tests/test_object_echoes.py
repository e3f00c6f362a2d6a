"""Radar truth per object (schema 4): echo power, centroid, own-echo peak and footprint, on hand-made path sets
with exact answers, on a generated dataset, and older shards upgraded with NaN."""

from __future__ import annotations

import numpy as np
import pytest

from maxray_gen.constants import SPEED_OF_LIGHT
from maxray_gen.dataset.schema import OBJECT_DTYPE, OBJECT_DTYPE_V3, RADAR_TRUTH_NAMES, upgrade_objects
from maxray_gen.geometry import Pose
from maxray_gen.radar.config import RadarConfig
from maxray_gen.radar.coordinates import azimuth_to_bin, range_to_bin
from maxray_gen.radar.object_echoes import footprint_xy, object_echo, polar_xy
from maxray_gen.radar.paths import PathSet

CFG = RadarConfig(noise={"model": "none"})


def _paths(ranges, azimuths, gains, objects):
    r = np.asarray(ranges, float)
    return PathSet(gain=np.asarray(gains, complex), delay_s=2 * r / SPEED_OF_LIGHT, doppler_hz=np.zeros(len(r)),
                   aoa_azimuth=np.asarray(azimuths, float), aoa_elevation=np.zeros(len(r)),
                   objects=np.asarray(objects, np.int32))


def test_centroid_power_and_peak_of_an_objects_own_paths():
    # object 7: powers 1 and 4 at (10 m, -10 deg) and (12 m, +20 deg); object 8: one path; a path of the ground (-1)
    az = np.radians([-10.0, 20.0, 5.0, 0.0])
    p = _paths([10.0, 12.0, 20.0, 8.0], az, [1.0, 2.0j, 3.0, 9.0], [[7, -1], [7, -1], [8, -1], [-1, -1]])
    e = object_echo(p, 7, CFG)
    assert e["echo_power"] == pytest.approx(5.0)
    expect = (polar_xy(10.0, az[0]) * 1 + polar_xy(12.0, az[1]) * 4) / 5
    assert np.allclose(e["echo_centroid_xy"], expect)
    assert e["echo_centroid"][0] == pytest.approx(np.hypot(*expect))
    assert e["echo_centroid"][1] == pytest.approx(np.arctan2(expect[0], expect[1]))
    # the strongest cell of its own echo is the 4x path's bin (elevation 0: heatmap azimuth = azimuth)
    assert e["echo_peak_bin"].tolist() == [round(float(range_to_bin(12.0, CFG))), round(float(azimuth_to_bin(az[1], CFG)))]
    assert object_echo(p, 8, CFG)["echo_power"] == pytest.approx(9.0)
    none = object_echo(p, 9, CFG)
    assert np.isnan(none["echo_power"]) and np.all(np.isnan(none["echo_centroid_xy"]))


def test_a_double_bounce_path_counts_for_both_objects_at_half_its_length():
    p = _paths([15.0], [0.1], [1.0], [[7, 8]])
    for iid in (7, 8):
        assert object_echo(p, iid, CFG)["echo_centroid"][0] == pytest.approx(15.0)


def test_footprint_of_a_car_seen_by_a_level_radar_is_its_ground_rectangle():
    # a level radar at the car's centre height: heatmap azimuth = azimuth, range = distance, so the heatmap frame's
    # (x, y) is the world's horizontal (right, ahead) coordinates exactly
    pose = Pose.look_at([0.0, 0.0, 0.8], [0.0, 10.0, 0.8])
    xy = footprint_xy(np.array([2.0, 12.0, 0.8]), 4.0, 2.0, np.pi / 2, pose, CFG)  # heading north: long side along y
    assert np.allclose(sorted(map(tuple, xy.round(9))), sorted([(3.0, 14.0), (1.0, 14.0), (1.0, 10.0), (3.0, 10.0)]),
                       atol=1e-9)


def test_older_object_tables_upgrade_with_unrecorded_radar_truth():
    old = np.zeros(2, OBJECT_DTYPE_V3)
    old["instance_id"], old["camera_visibility"] = [100, 101], [0.3, 0.7]
    new = upgrade_objects(old)
    assert new.dtype == OBJECT_DTYPE and new["camera_visibility"].tolist() == pytest.approx([0.3, 0.7])
    for name in RADAR_TRUTH_NAMES:
        assert np.all(np.isnan(new[name])), name


def test_generated_shards_carry_radar_truth_in_front_of_each_cars_centre(tiny):
    from maxray_gen.dataset.reader import ShardReader

    _, root = tiny
    seen = 0
    for path in sorted(root.glob("shard-*.h5")):
        r = ShardReader(path)
        assert r.schema_version == 5
        for i in range(len(r)):
            for o in r.sample(i, ("objects",))["objects"]:
                assert np.all(np.isfinite(o["footprint_xy"]))
                if not (o["in_radar_view"] and np.isfinite(o["echo_power"])):
                    continue
                seen += 1
                centre = polar_xy(o["range_m"], o["heatmap_azimuth_rad"])
                # the echo comes from the car's body: within a car length of its centre, and not behind it
                assert np.hypot(*(o["echo_centroid_xy"] - centre)) < 3.0
                assert o["echo_centroid"][0] < o["range_m"] + 0.5
                assert np.all(np.isfinite(o["echo_peak_bin"]))
    assert seen > 0
