"""Self-label quality with groundtruth vs detected target masks (the paper's masks "estimated using off-the-shelf
vision object detectors"): the same SCL training and self-coordinate extraction, only the mask source differs.

    python benchmarks/detect_masks.py --data DATA --weights RUN/weights.pt [--epochs 20]

Prints, per mask source, the median Cartesian error of the self-labels against the designated target's
groundtruth position, the fraction within one radar resolution cell, and how often the detector supplied a box
(with its IoU to the target's groundtruth box); the baseline is random positions in the radar's field of view.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

CONFIG = """method: scl
epochs: {epochs}
batch_size: 32
lr: 0.0003
seed: 0
input: {{radio_size: [120, 192], image_size: {image_size}}}
backbone: {{width: 0.25}}
masks: {masks}
"""


def run(args: list[str]) -> None:
    from maxray_gen.cli import main

    try:
        main(args, standalone_mode=False)
    except SystemExit as e:
        if e.code:
            raise


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--weights", type=Path, required=True)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--out", type=Path, default=Path("/tmp/maxray-detect-masks"))
    ap.add_argument("--image-size", default="null", help="SCL image input, e.g. '[120, 160]' (null: native)")
    ap.add_argument("--coverage-only", action="store_true", help="only how well detections stand for the targets")
    a = ap.parse_args()
    from maxray_gen.dataset.detections import read_detections, sidecar_path
    from maxray_gen.detect.metrics import box_iou
    from maxray_gen.learn.data.batches import open_split
    from maxray_gen.learn.experiments.evaluate import localisation_errors, resolutions
    from maxray_gen.learn.training.localiser import groundtruth_positions
    from maxray_gen.learn.experiments.selflabels import read_selflabels

    if not sidecar_path(a.data, "yolo").exists():
        run(["detect", "predict", "--data", str(a.data), "--weights", str(a.weights), "--name", "yolo"])
    det = read_detections(sidecar_path(a.data, "yolo"))
    ds, axes = open_split(a.data, "all", ("objects", "target"))
    idx, gt = groundtruth_positions(ds)
    rres, ares = resolutions(a.data)
    boxes = {int(it["index"]): it["target_box"].numpy() for it in (ds[k] for k in range(len(ds)))}
    coverage = {}
    for pick in ("matched", "top"):
        got = [det.target_box(i, boxes[i], pick) for i in idx]
        ok = [np.all(np.isfinite(b)) for b in got]
        ious = [box_iou(boxes[i][None], b[None])[0, 0] for i, b, o in zip(idx, got, ok) if o]
        coverage[pick] = (float(np.mean(ok)), float(np.median(ious)) if ious else float("nan"))
        print(f"detections as target boxes ({pick}): a box for {100 * coverage[pick][0]:.0f} % of {len(idx)} "
              f"targets, median IoU to the target's groundtruth box {coverage[pick][1]:.3f}")
    if a.coverage_only:
        return
    rng = np.random.default_rng(0)
    r = rng.uniform(axes["range_m"][0], axes["range_m"][-1], len(gt))
    az = rng.uniform(axes["azimuth_rad"][0], axes["azimuth_rad"][-1], len(gt))
    rows = [("random positions", localisation_errors(np.stack([r * np.sin(az), r * np.cos(az)], 1), gt, rres, ares),
             None, None)]
    for key, name, masks in (
            ("gt", "groundtruth boxes", "{source: groundtruth}"),
            ("matched", "detected, matched to the target", "{source: detections, detections: yolo, pick: matched}"),
            ("top", "detected, most confident", "{source: detections, detections: yolo, pick: top}")):
        run_dir = a.out / key
        cfg = a.out / f"{key}.yaml"
        cfg.parent.mkdir(parents=True, exist_ok=True)
        cfg.write_text(CONFIG.format(epochs=a.epochs, masks=masks, image_size=a.image_size))
        t0 = time.perf_counter()
        run(["train", "ssl", "--data", str(a.data), "--out", str(run_dir), "--config", str(cfg), "--no-progress",
             "--no-resume"])
        labels = a.out / f"{key}.h5"
        run(["selflabels", "--data", str(a.data), "--checkpoint", str(run_dir / "model.pt"), "--out", str(labels),
             "--no-progress"])
        t = read_selflabels(labels)
        assert np.array_equal(t["index"], idx)
        err = localisation_errors(np.stack([t["x_m"], t["y_m"]], 1), gt, rres, ares)
        rows.append((name, err, coverage.get(key), time.perf_counter() - t0))
    print(f"{len(idx)} samples with a target, SCL {a.epochs} epochs (width 0.25, radio 120x192, image {a.image_size})")
    print("| masks | self-label median error (m) | p90 (m) | within one cell | box supplied | median IoU to target box |")
    print("|---|---|---|---|---|---|")
    for name, e, cov, _ in rows:
        c = ("-", "-") if cov is None else (f"{100 * cov[0]:.0f} %", f"{cov[1]:.3f}")
        print(f"| {name} | {e['cartesian_m']['median']:.2f} | {e['cartesian_m']['p90']:.2f} | "
              f"{100 * e['within_cell']:.0f} % | {c[0]} | {c[1]} |")
    (a.out / "results.json").write_text(json.dumps([{"masks": n, "errors": e, "coverage": c, "seconds": s}
                                                    for n, e, c, s in rows], indent=1))


if __name__ == "__main__":
    main()
