"""`maxray import cruw` on a small CRUW-layout sample written by the test."""

import numpy as np
import pytest
from click.testing import CliRunner

from maxray_gen.cli import main
from maxray_gen.dataset.exports import CRUW_AZIMUTH, CRUW_RANGE
from maxray_gen.dataset.reader import ShardReader


def write_cruw(root, frames=5):
    from PIL import Image

    seq = root / "2019_04_09_BMS1000"
    (seq / "IMAGES_0").mkdir(parents=True)
    (seq / "RADAR_RA_H").mkdir()
    rng = np.random.default_rng(0)
    truth = []
    labels = []
    for k in range(frames):
        img = (rng.random((1080, 1440, 3)) * 255).astype(np.uint8)
        Image.fromarray(img).save(seq / "IMAGES_0" / f"{k:010d}.jpg")
        r, az = 8.0 + 2.0 * k, np.radians(-20.0 + 10.0 * k)
        ri, ai = np.argmin(np.abs(CRUW_RANGE - r)), np.argmin(np.abs(CRUW_AZIMUTH - az))
        frame = np.zeros((128, 128, 2), np.float32)
        frame[..., 0] = 0.01 * rng.random((128, 128))
        frame[ri, ai, 0] = 5.0
        np.save(seq / "RADAR_RA_H" / f"{k:06d}_0000.npy", frame)
        labels.append(f"{k} {CRUW_RANGE[ri]:.4f} {CRUW_AZIMUTH[ai]:.6f} car")
        labels.append(f"{k} 3.0000 0.100000 pedestrian")  # closer than our 5 m window: kept, not in view
        truth.append((CRUW_RANGE[ri], CRUW_AZIMUTH[ai]))
    (seq / "labels.txt").write_text("\n".join(labels) + "\n")
    return truth


def test_import_cruw_preprocesses_like_table_4(tmp_path):
    truth = write_cruw(tmp_path / "cruw")
    out = tmp_path / "ds"
    res = CliRunner().invoke(main, ["import", "cruw", str(tmp_path / "cruw"), "--out", str(out),
                                    "--samples-per-shard", "3"])
    assert res.exit_code == 0, res.output
    assert CliRunner().invoke(main, ["verify", str(out)]).exit_code == 0
    readers = [ShardReader(p) for p in sorted(out.glob("shard-*.h5"))]
    assert [len(r) for r in readers] == [3, 2]
    k = 0
    for r in readers:
        for i in range(len(r)):
            s = r.sample(i)
            assert s["rgb"].shape == (480, 640, 3)
            ra = s["range_azimuth"]
            assert ra.shape == (134, 128)
            ri, ai = np.unravel_index(ra.argmax(), ra.shape)
            rng_m, az = truth[k]
            assert abs(r.axes["range_m"][ri] - rng_m) <= 0.25  # CRUW's bin is 0.21 m
            assert abs(r.axes["azimuth_rad"][ai] - az) <= np.radians(1.5)
            car, ped = s["objects"]
            assert car["class_id"] == 0 and car["in_radar_view"] and ped["class_id"] == 1 and not ped["in_radar_view"]
            assert s["objects"][s["target"]]["instance_id"] == car["instance_id"]
            assert s["params"]["source"] == "cruw" and s["params"]["frame"] == k
            k += 1
    # Beyond CRUW's 27.7 m coverage our grid is zero.
    assert np.all(readers[0].sample(0)["range_azimuth"][readers[0].axes["range_m"] > 27.8] == 0)
    from maxray_gen.dataset.torch_dataset import MaxrayDataset

    ds = MaxrayDataset(out, "train")
    assert len(ds) + len(MaxrayDataset(out, "val")) == 5


def test_import_cruw_bad_inputs(tmp_path):
    res = CliRunner().invoke(main, ["import", "cruw", str(tmp_path / "missing"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "not a directory of CRUW sequences" in res.stderr
    write_cruw(tmp_path / "c", frames=2)
    (tmp_path / "c" / "2019_04_09_BMS1000" / "labels.txt").write_text("0 abc 0.1 car\n")
    res = CliRunner().invoke(main, ["import", "cruw", str(tmp_path / "c"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "labels.txt:1: expected 'frame range azimuth class'" in res.stderr
