"""Vision detection: YOLO export, metrics by hand, offline training/eval/predict, detections as learning masks."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from maxray_gen.cli import main
from maxray_gen.dataset.detections import read_detections, sidecar_path, write_detections
from maxray_gen.dataset.exports import labelled, parse_yolo, yolo_lines
from maxray_gen.dataset.schema import OBJECT_DTYPE
from maxray_gen.detect.metrics import ImageDetections, average_precision, box_iou, mean_matched_iou, summarise
from maxray_gen.detect.yolo_data import LabelLimits, iter_samples, prepare_yolo_data
from maxray_gen.learn.data.standin import standin_config, write_standin_dataset

@pytest.fixture(scope="module")
def standin(tmp_path_factory) -> Path:
    return write_standin_dataset(tmp_path_factory.mktemp("det") / "standin",
                                 standin_config(seed=3, shards=2, samples_per_shard=32))


def _objects(boxes, fractions=None) -> np.ndarray:
    o = np.zeros(len(boxes), OBJECT_DTYPE)
    o["visible_box"] = boxes
    o["visible_fraction"] = 1.0 if fractions is None else fractions
    return o


# ---------------------------------------------------------------- export


def test_yolo_lines_round_trip_pixels_and_classes():
    boxes = np.array([[10, 20, 50, 60], [0, 0, 640, 480], [600.5, 400.25, 639.75, 479.5], [np.nan] * 4], np.float32)
    o = _objects(boxes)
    o["class_id"] = [0, 0, 0, 0]
    lines = yolo_lines(o, 640, 480)
    assert len(lines) == 3  # the NaN box (not visible) gets no label
    first = lines[0].split()
    assert first == ["0", f"{30 / 640:.6f}", f"{40 / 480:.6f}", f"{40 / 640:.6f}", f"{40 / 480:.6f}"]
    for line, b in zip(lines, boxes[:3]):
        c, back = parse_yolo(line, 640, 480)
        assert c == 0
        np.testing.assert_allclose(back, b, atol=640 * 5e-7 + 1e-6)


def test_label_limits_select_by_size_and_visibility():
    o = _objects(np.array([[0, 0, 5, 40], [0, 0, 6, 40], [0, 0, 30, 30], [0, 0, 30, 30]], np.float32),
                 fractions=[1.0, 1.0, 0.2, 0.3])
    np.testing.assert_array_equal(labelled(o, 6.0, 0.25), [False, True, False, True])
    np.testing.assert_array_equal(labelled(o), [True] * 4)


def test_prepare_yolo_data_exact_cached_and_split(standin, tmp_path):
    y = prepare_yolo_data(standin, cache=tmp_path)
    root = y.parent
    assert y.read_text().startswith(f"path: {root.resolve()}")
    gts = {gt.index: gt for gt, _ in iter_samples(standin, "all", with_rgb=False)}
    split = {gt.index: gt.split for gt in gts.values()}
    assert sorted(split.values()).count("val") == len(list((root / "images" / "val").glob("*.png"))) > 0
    for idx, gt in gts.items():
        label = root / "labels" / split[idx] / f"{idx:06d}.txt"
        rows = [ln for ln in label.read_text().splitlines() if ln]
        got = np.array([parse_yolo(ln, 96, 64)[1] for ln in rows]).reshape(-1, 4)
        np.testing.assert_allclose(got, gt.boxes[~gt.ignore], atol=1e-3)
        assert all(ln.startswith("0 ") for ln in rows)
    # the split is the dataset's own (train/val of the learning code)
    from maxray_gen.dataset.torch_dataset import MaxrayDataset

    val = {t[2] for t in MaxrayDataset(standin, split="val", fields=("target",)).index}
    assert val == {i for i, s in split.items() if s == "val"}
    stamp = (root / "data.yaml").stat().st_mtime_ns
    assert prepare_yolo_data(standin, cache=tmp_path) == y and (root / "data.yaml").stat().st_mtime_ns == stamp
    other = prepare_yolo_data(standin, LabelLimits(min_box_px=30.0), cache=tmp_path)
    assert other != y and not list(tmp_path.glob("*.partial"))


# ---------------------------------------------------------------- metrics by hand


def test_iou_and_mean_iou_by_hand():
    a = np.array([[0, 0, 10, 10]])
    b = np.array([[5, 0, 15, 10], [0, 0, 10, 10], [20, 20, 30, 30]])
    np.testing.assert_allclose(box_iou(a, b), [[50 / 150, 1.0, 0.0]])
    # image 1: gt 0..10 found by 0..8 (IoU 0.8) and a weaker duplicate; image 2: gt 0..20x0..10 found by 0..20x0..8
    im1 = ImageDetections([[0, 0, 10, 10]], [[0, 0, 10, 8], [0, 0, 10, 7]], [0.9, 0.8])
    im2 = ImageDetections([[0, 0, 20, 10]], [[0, 0, 20, 8], [40, 40, 50, 50]], [0.7, 0.95])
    assert mean_matched_iou([im1, im2]) == pytest.approx((0.8 + 0.8) / 2)
    # threshold 0.5: the duplicate (IoU 0.7 with an already taken gt) is a false positive
    assert mean_matched_iou([im1, im2], conf=0.85) == pytest.approx(0.8)


def test_average_precision_by_hand():
    perfect = [ImageDetections([[0, 0, 10, 10]], [[0, 0, 10, 10]], [0.5])]
    assert average_precision(perfect, 0.5) == pytest.approx(1.0)
    # ranked: FP (0.9), TP (0.8) of 2 gts; second gt missed. precision envelope: 0.5 up to recall 0.5, then 0
    im = ImageDetections([[0, 0, 10, 10], [20, 0, 30, 10]], [[50, 50, 60, 60], [0, 0, 10, 10]], [0.9, 0.8])
    assert average_precision([im], 0.5) == pytest.approx(0.5 * 51 / 101)
    assert average_precision([ImageDetections([[0, 0, 1, 1]], np.zeros((0, 4)), [])], 0.5) == 0.0
    # ignored groundtruth: a detection on it is dropped, not a false positive, and it is not a miss
    ign = ImageDetections([[0, 0, 10, 10], [20, 0, 30, 10]], [[20, 0, 30, 10], [0, 0, 10, 10]], [0.9, 0.8],
                          ignore=[False, True])
    assert average_precision([ign], 0.5) == pytest.approx(1.0)
    s = summarise([im], conf=0.5)
    assert s["precision"] == pytest.approx(0.5) and s["recall"] == pytest.approx(0.5) and s["objects"] == 2
    # mAP50-95 of a box with IoU 0.8: AP 1 at thresholds 0.5..0.8 (7 of 10), 0 above
    loose = [ImageDetections([[0, 0, 10, 10]], [[0, 0, 10, 8]], [0.9])]
    assert summarise(loose)["mAP50_95"] == pytest.approx(0.7)


def test_our_average_precision_agrees_with_pycocotools():
    """The reported mAP comes from pycocotools' COCOeval; our own matcher (kept for the per-condition breakdown and
    the mean IoU) is checked against it on random scenes with misses, false positives, loose boxes and ignored
    (crowd) groundtruth."""
    pytest.importorskip("pycocotools")
    from maxray_gen.detect.coco_eval import coco_average_precision

    rng = np.random.default_rng(3)
    images = []
    for _ in range(40):
        n = int(rng.integers(1, 6))
        xy = rng.uniform(0, 250, (n, 2))
        wh = rng.uniform(15, 60, (n, 2))
        gt = np.concatenate([xy, xy + wh], 1)
        found = rng.random(n) < 0.8
        jitter = rng.normal(0, 3.0, (n, 4))
        boxes = (gt + jitter)[found]
        scores = list(rng.uniform(0.3, 1.0, found.sum()))
        fp = int(rng.integers(0, 3))
        fxy = rng.uniform(0, 250, (fp, 2))
        boxes = np.concatenate([boxes, np.concatenate([fxy, fxy + 30], 1)])
        scores += list(rng.uniform(0.0, 0.9, fp))
        images.append(ImageDetections(gt, boxes, scores, ignore=rng.random(n) < 0.15))
    ref = coco_average_precision(images)
    ours = summarise(images)
    assert ours["mAP50"] == pytest.approx(ref["mAP50"], abs=0.02)
    assert ours["mAP50_95"] == pytest.approx(ref["mAP50_95"], abs=0.02)
    assert 0.3 < ref["mAP50_95"] < ref["mAP50"] < 1.0  # a scene that tests something
    perfect = [ImageDetections([[0, 0, 10, 10]], [[0, 0, 10, 10]], [0.5])]
    assert coco_average_precision(perfect)["mAP50"] == pytest.approx(1.0)


# ---------------------------------------------------------------- sidecar -> learning masks


def test_detections_sidecar_round_trip_and_masks(standin, tmp_path):
    from maxray_gen.learn.config import MaskConfig
    from maxray_gen.learn.data.batches import open_split
    from maxray_gen.learn.models.masks import box_feature_mask

    gts = {gt.index: gt for gt, _ in iter_samples(standin, "all", with_rgb=False)}
    per = {}
    for i, gt in gts.items():
        true = gt.boxes[0]
        if i % 5 == 0:  # nothing detected
            per[i] = (np.zeros((0, 4)), np.zeros(0), np.zeros(0, int))
        else:  # a shifted copy of the car (lower score) and a confident box elsewhere
            per[i] = (np.stack([true + [1, 1, 1, 1], [0, 0, 8, 8]]), np.array([0.6, 0.9]), np.array([0, 0]))
    path = write_detections(sidecar_path(standin, "hand"), per, {"source": "test"})
    assert path == standin / "detections" / "hand.h5"
    det = read_detections(path)
    assert len(det) == len(gts) and det.attrs["source"] == "test"
    np.testing.assert_allclose(det.boxes[1], per[1][0])

    ds, _ = open_split(standin, "all", ("rgb", "range_azimuth", "objects", "target"),
                       masks=MaskConfig(source="detections", detections="hand"))
    top, _ = open_split(standin, "all", ("objects", "target"),
                        masks=MaskConfig(source="detections", detections="hand", pick="top"))
    for k in range(12):
        item, idx = ds[k], ds[k]["index"]
        if idx % 5 == 0:
            assert torch.isnan(item["target_box"]).all()
            mask = box_feature_mask(item["target_box"][None], (8, 12), image_hw=(64, 96))
            assert mask.all()  # no detection: the whole image
        else:
            np.testing.assert_allclose(item["target_box"].numpy(), gts[idx].boxes[0] + 1)
            np.testing.assert_allclose(top[k]["target_box"].numpy(), [0, 0, 8, 8])
    with pytest.raises(Exception, match="no such detections file"):
        open_split(standin, "all", ("objects", "target"), masks=MaskConfig(source="detections", detections="nope"))


# ---------------------------------------------------------------- offline training, eval, predict

GUARD = textwrap.dedent('''
    import ipaddress, json, socket, sys
    attempts = []

    def _loopback(host):
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return host in ("localhost",)

    def _addr(a):
        return a[0] if isinstance(a, tuple) else str(a)

    _connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex
    _getaddrinfo = socket.getaddrinfo

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(_addr(address)):
            attempts.append(["connect", str(address)])
            raise OSError("network disabled by the test")
        return _connect(self, address)

    def connect_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(_addr(address)):
            attempts.append(["connect_ex", str(address)])
            return 111
        return _connect_ex(self, address)

    def getaddrinfo(host, *a, **k):
        if host is not None and not _loopback(str(host)):
            attempts.append(["getaddrinfo", str(host)])
            raise socket.gaierror("network disabled by the test")
        return _getaddrinfo(host, *a, **k)

    socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
    from maxray_gen.cli import main
    codes = []
    for args in json.loads(sys.argv[1]):
        try:
            main(args, standalone_mode=False)
            codes.append(0)
        except SystemExit as e:
            codes.append(e.code)
        except Exception as e:
            codes.append(repr(e))
    print("GUARD", json.dumps({"attempts": attempts, "codes": codes}))
''')


def test_train_eval_predict_offline_and_masks(standin, tmp_path):
    """Train from yolov8n.yaml on the stand-in set (51 train / 13 val images, 96 x 64) with every non-loopback
    socket and DNS lookup failing; the detector must find the cars, and the sidecar must feed the masks."""
    pytest.importorskip("ultralytics")
    run, rep = tmp_path / "run", tmp_path / "eval"
    commands = [["detect", "train", "--data", str(standin), "--out", str(run), "--epochs", "20", "--imgsz", "96",
                 "--no-progress"],
                ["detect", "eval", "--data", str(standin), "--weights", str(run / "weights.pt"), "--out", str(rep),
                 "--no-progress"],
                ["detect", "predict", "--data", str(standin), "--weights", str(run / "weights.pt"), "--name", "yolo",
                 "--no-progress"],
                # fine-tuning our weights for one epoch keeps what they learnt (from scratch, one epoch finds nothing)
                ["detect", "train", "--data", str(standin), "--out", str(tmp_path / "tuned"), "--epochs", "1",
                 "--imgsz", "96", "--model", str(run / "weights.pt"), "--no-progress"]]
    env = {"YOLO_CONFIG_DIR": str(tmp_path / "ulcfg"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    p = subprocess.run([sys.executable, "-c", GUARD, json.dumps(commands)], capture_output=True, text=True,
                       env=env, timeout=600)
    line = [ln for ln in p.stdout.splitlines() if ln.startswith("GUARD ")]
    assert line, p.stdout[-3000:] + p.stderr[-3000:]
    res = json.loads(line[-1][6:])
    assert res["attempts"] == [], res["attempts"]
    assert res["codes"] == [0, 0, 0, 0], p.stderr[-3000:]
    tuned = json.loads((tmp_path / "tuned" / "train.json").read_text())["ultralytics_val"]
    assert tuned["mAP50"] >= 0.8, tuned

    metrics = json.loads((rep / "metrics.json").read_text())["metrics"]["all"]
    assert metrics["images"] == 13 and metrics["objects"] == 13
    assert metrics["mAP50"] >= 0.8, metrics  # an untrained or broken detector scores ~0
    assert metrics["mean_iou"] >= 0.6, metrics
    for f in ("report.md", "conditions.png", "detections.png"):
        assert (rep / f).stat().st_size > 0
    assert (run / "training.png").exists() and json.loads((run / "train.json").read_text())["epochs"] == 20

    det = read_detections(sidecar_path(standin, "yolo"))
    gts = {gt.index: gt for gt, _ in iter_samples(standin, "all", with_rgb=False)}
    assert set(det.boxes) == set(gts)
    best = [box_iou(gts[i].boxes, det.boxes[i]).max() if len(det.boxes[i]) else 0.0 for i in gts]
    assert np.median(best) >= 0.6

    # the sidecar as MCL/SCL masks: a short SCL run and self-labels with detected boxes
    cfg = tmp_path / "ssl.yaml"
    cfg.write_text("method: scl\nepochs: 1\nbatch_size: 8\nbackbone: {width: 0.125, out_channels: 16}\n"
                   "masks: {source: detections, detections: yolo}\n")
    r = CliRunner().invoke(main, ["train", "ssl", "--data", str(standin), "--out", str(tmp_path / "ssl"),
                                  "--config", str(cfg), "--no-progress"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["selflabels", "--data", str(standin), "--checkpoint",
                                  str(tmp_path / "ssl" / "model.pt"), "--no-progress"])
    assert r.exit_code == 0, r.output
    import h5py

    with h5py.File(standin / "selflabels" / "ssl.h5") as f:
        assert json.loads(f.attrs["masks"])["source"] == "detections"


# ---------------------------------------------------------------- bad input


def test_detect_bad_input(standin, tmp_path):
    pytest.importorskip("ultralytics")
    run = CliRunner().invoke
    r = run(main, ["detect", "train", "--data", str(standin), "--out", str(tmp_path / "a"), "--model",
                   str(tmp_path / "missing.pt")])
    assert r.exit_code == 2 and "missing.pt: no such weights file" in r.output
    pickled = tmp_path / "foreign.pt"
    torch.save({"model": torch.nn.Linear(2, 2)}, pickled)  # a pickled module, like ultralytics' own files
    r = run(main, ["detect", "eval", "--data", str(standin), "--weights", str(pickled), "--out", str(tmp_path / "b")])
    assert r.exit_code == 2 and "--trust-weights" in r.output and not (tmp_path / "b").exists()
    r = run(main, ["detect", "train", "--data", str(standin), "--out", str(tmp_path / "c"), "--imgsz", "100"])
    assert r.exit_code == 2 and "imgsz" in r.output and not (tmp_path / "c").exists()
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("epochs: 0\n")
    r = run(main, ["detect", "train", "--data", str(standin), "--out", str(tmp_path / "d"), "--config", str(cfg)])
    assert r.exit_code == 2 and "epochs" in r.output
    r = run(main, ["detect", "train", "--data", str(standin), "--out", str(tmp_path / "e"), "--model", "nomodel.yaml"])
    assert r.exit_code == 2 and "nomodel.yaml" in r.output
