"""30 fps-style sequences: motion and Doppler consistent across frames, track ids, parked cars still, clips,
schema 2 with version-1 shards still readable, the sequence GIF preview, whole sequences per split."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import run
from maxray_gen.radar.config import RadarConfig
from maxray_gen.radar.coordinates import velocity_to_bin, world_points_to_radar

SEQ = """
generate: {seed: 5, shards: 1, samples_per_shard: 4, frames_per_sequence: 4, frame_rate_hz: 5.0, previews: 0,
           radar_products: [range_azimuth, range_doppler]}
camera: {width: 64, height: 48, horizontal_fov_deg: 90.0}
render: {samples: 1, denoise: false, device: cpu}
scene: {max_cars: 4, min_cars: 1, min_moving_cars: 2, max_moving_cars: 2, weather: {clear: 1.0}}
trace: {samples_per_src: 200000, max_depth: 2}
lidar: {channels: 4, horizontal_resolution_deg: 2.0}
"""


@pytest.fixture(scope="module")
def seq(tmp_path_factory):
    pytest.importorskip("bpy")
    root = tmp_path_factory.mktemp("seq")
    (root / "seq.yaml").write_text(SEQ)
    res = run(["generate", str(root / "seq.yaml"), "--out", str(root / "ds"), "--no-progress", "--no-previews"])
    assert res.exit_code == 0, res.output
    from maxray_gen.dataset.reader import ShardReader

    return root / "ds", ShardReader(root / "ds" / "shard-00000.h5")


def _frames(reader):
    return [reader.sample(i) for i in range(len(reader))]


def test_moving_cars_move_by_velocity_times_frame_time_and_parked_cars_stay(seq):
    root, reader = seq
    from maxray_gen.config import load_config
    from maxray_gen.geometry import Pose

    cfg = load_config(root / "config.yaml")
    frames = _frames(reader)
    assert [f["frame"] for f in frames] == [0, 1, 2, 3] and {f["sequence"] for f in frames} == {0}
    assert np.allclose([f["time_s"] for f in frames], [0, 0.2, 0.4, 0.6])
    bs = frames[0]["params"]["basestation"]
    pose = Pose(np.array(bs["position"]), np.array(bs["rotation"]))
    dt = 1 / cfg.generate.frame_rate_hz
    moving = 0
    for a, b in zip(frames[:-1], frames[1:]):
        oa, ob = a["objects"], b["objects"]
        assert np.array_equal(oa["track_id"], ob["track_id"])  # same cars, same ids, same order
        for ra, rb in zip(oa, ob):
            if np.linalg.norm(ra["velocity"]) == 0:
                for key in ("centre", "range_m", "azimuth_rad", "range_bin", "azimuth_bin", "amodal_box", "yaw"):
                    assert np.array_equal(ra[key], rb[key], equal_nan=True), key
                continue
            moving += 1
            # world centre moved by velocity x frame time, seen by the radar: the next frame's groundtruth bins
            predicted = world_points_to_radar(ra["centre"].astype(np.float64) + ra["velocity"] * dt, pose, cfg.radar)
            assert abs(predicted.range_bin - rb["range_bin"]) < 1.0
            assert abs(predicted.azimuth_bin - rb["azimuth_bin"]) < 1.0
            # the range change agrees with the Doppler (radial) velocity: d range ~ -v_r dt (v_r > 0 approaching)
            mean_vr = 0.5 * (ra["radial_velocity_mps"] + rb["radial_velocity_mps"])
            assert abs((rb["range_m"] - ra["range_m"]) + mean_vr * dt) < cfg.radar.range_bin_m
    assert moving >= 2 * 3


def test_doppler_bin_of_a_moving_car_matches_its_radial_velocity(seq):
    root, reader = seq
    from maxray_gen.config import load_config

    radar: RadarConfig = load_config(root / "config.yaml").radar
    checked = 0
    frames = _frames(reader)
    from maxray_gen.geometry import Pose

    bs = frames[0]["params"]["basestation"]
    pose = Pose(np.array(bs["position"]), np.array(bs["rotation"]))
    for f in frames:
        rd = f["range_doppler"]
        zero = radar.doppler_fft_size // 2
        for o in f["objects"]:
            vb = float(velocity_to_bin(o["radial_velocity_mps"], radar))
            if not o["in_radar_view"] or abs(vb - zero) < 3:
                continue
            rows = slice(max(int(round(o["nearest_range_m"] / radar.range_bin_m - radar.range_bin_slice.start)) - 2, 0),
                         int(round(o["range_bin"])) + 4)
            band = rd[rows].copy()
            band[:, zero - 1: zero + 2] = 0  # static clutter at zero Doppler
            peak_bin = np.unravel_index(np.argmax(band), band.shape)[1]
            # a rigid car's echoes carry the radial velocities of its own points: between those of its footprint
            # corners (the centre's value is one of them), +-1 bin
            lo, hi = _corner_velocity_bins(o, pose, radar)
            assert lo - 1.0 <= peak_bin <= hi + 1.0, (o["track_id"], peak_bin, lo, hi, vb)
            checked += 1
    assert checked >= 2


def _corner_velocity_bins(o, pose, radar):
    from maxray_gen.radar.coordinates import radial_velocity

    c, s = np.cos(o["yaw"]), np.sin(o["yaw"])
    length, width = float(o["dimensions"][0]), float(o["dimensions"][1])
    pts = [o["centre"] + np.array([c * dl * length - s * dw * width, s * dl * length + c * dw * width, 0.0])
           for dl in (-0.5, 0.5) for dw in (-0.5, 0.5)]
    pts = np.array(pts + [o["centre"]], dtype=np.float64)
    v = radial_velocity(pts, np.repeat(o["velocity"][None].astype(np.float64), len(pts), 0), pose)
    bins = velocity_to_bin(v, radar)
    return float(bins.min()), float(bins.max())


def test_clips_split_and_gif(seq, tmp_path):
    root, _ = seq
    from maxray_gen.dataset.torch_dataset import MaxrayDataset

    clips = MaxrayDataset(root, clip_length=3, fields=("range_azimuth", "objects", "target"))
    assert len(clips) == 2
    c = clips[1]
    assert c["frame"] == [1, 2, 3] and c["range_azimuth"].shape[0] == 3 and c["sequence"] == [0, 0, 0]
    assert len(MaxrayDataset(root, clip_length=5)) == 0
    from maxray_gen.config import load_config
    from maxray_gen.dataset.directory import split_of

    cfg = load_config(root / "config.yaml").model_copy()
    d = cfg.model_dump()
    d["generate"].update(shards=10)
    from maxray_gen.config import Config

    split = split_of(Config.model_validate(d), 40).reshape(10, 4)
    assert np.all(split == split[:, :1]) and 0 < split[:, 0].sum() < 10  # whole sequences per side
    res = run(["preview", str(root), "--sequence", "0", "--gif", str(tmp_path / "s.gif")])
    assert res.exit_code == 0 and "4 frames" in res.output, res.output
    from PIL import Image

    im = Image.open(tmp_path / "s.gif")
    assert im.n_frames == 4 and im.info["duration"] == 200
    res = run(["preview", str(root), "--sequence", "7", "--gif", str(tmp_path / "x.gif")])
    assert res.exit_code == 2 and "no sequence 7" in res.output


def test_version_1_shards_still_read(seq, tmp_path):
    import h5py

    from maxray_gen.dataset.reader import ShardReader, verify_shard
    from maxray_gen.dataset.schema import OBJECT_DTYPE_V1, TRACK_STRIDE

    root, reader = seq
    old = tmp_path / "shard-00000.h5"
    import shutil

    shutil.copy(root / "shard-00000.h5", old)
    with h5py.File(old, "a") as h5:  # rewrite as a version-1 shard
        objs = h5["objects/data"][()]
        v1 = np.zeros(len(objs), OBJECT_DTYPE_V1)
        for name in OBJECT_DTYPE_V1.names:
            v1[name] = objs[name]
        del h5["objects/data"], h5["sequence"], h5["frame"], h5["time_s"]
        h5.create_dataset("objects/data", data=v1)
        h5.attrs["schema_version"] = 1
        h5.attrs["first_index"] = 8
    assert verify_shard(old) == 4
    r = ShardReader(old)
    s = r.sample(2)
    assert s["sequence"] == 10 and s["frame"] == 0 and s["time_s"] == 0.0
    assert np.array_equal(s["objects"]["track_id"], 10 * TRACK_STRIDE + s["objects"]["instance_id"])
    new = reader.sample(2)["objects"]
    for name in OBJECT_DTYPE_V1.names:
        assert np.array_equal(s["objects"][name], new[name], equal_nan=True)


def test_sequence_config_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("generate: {samples_per_shard: 4, frames_per_sequence: 3}\n")
    res = run(["config", "show", str(bad)])
    assert res.exit_code == 2 and "generate.frames_per_sequence: 3 frames per sequence do not divide" in res.output


def test_wet_ground_is_a_different_radio_material():
    from maxray_gen.config import Config
    from maxray_gen.scene.lot import build_snapshot
    from maxray_gen.scene.spec import WeatherSpec, sample_scene
    from dataclasses import replace

    cfg = Config()
    spec = sample_scene(cfg.scene, cfg.camera, seed=1, index=0)
    rainy = replace(spec, weather=WeatherSpec("rain", 0.5, 10.0, 1000.0, 0.0, 0.8))
    mats = {o.name: o.material for o in build_snapshot(rainy).objects}
    assert mats["ground"] == "asphalt~wet0.80~snow0.00" and mats["kerbs"] == "concrete~wet0.80~snow0.00"
    assert {o.name: o.material for o in build_snapshot(rainy, weather_materials=False).objects}["ground"] == "asphalt"
