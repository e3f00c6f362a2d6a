"""Detection throughput: YOLO export (cold vs cached), training s/epoch, inference images/s (batch 16 vs 1).

    python benchmarks/detect.py [--data DIR] [--imgsz 320] [--epochs 3]

Without --data a stand-in dataset (96 x 64 images) is written first. Needs the 'detect' extra.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--imgsz", type=int, default=320)
    ap.add_argument("--epochs", type=int, default=3)
    a = ap.parse_args()
    from maxray_gen.detect.predict import detect_batch
    from maxray_gen.detect.train import DetectTrainConfig, train_detector
    from maxray_gen.detect.weights import load_model
    from maxray_gen.detect.yolo_data import iter_samples, prepare_yolo_data

    tmp = Path(tempfile.mkdtemp(prefix="maxray-bench-detect-"))
    data = a.data
    if data is None:
        from maxray_gen.learn.data.standin import standin_config, write_standin_dataset

        data = write_standin_dataset(tmp / "standin", standin_config(seed=1, shards=4, samples_per_shard=32))
    cache = tmp / "cache"
    t0 = time.perf_counter()
    prepare_yolo_data(data, cache=cache)
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    prepare_yolo_data(data, cache=cache)
    warm = time.perf_counter() - t0
    n = sum(1 for _ in iter_samples(data, "all", with_rgb=False))
    print(f"export: {n} images cold {cold:.2f} s, cached {warm * 1e3:.1f} ms (x{cold / max(warm, 1e-9):.0f})")

    cfg = DetectTrainConfig(epochs=a.epochs, imgsz=a.imgsz)
    res = train_detector(data, tmp / "run", cfg, verbose=False)
    print(f"training: {res['train_seconds'] / a.epochs:.1f} s/epoch at imgsz {a.imgsz} (incl. validation), "
          f"{n} images")

    model = load_model(tmp / "run" / "weights.pt")
    images = [rgb for _, rgb in iter_samples(data, "all")][:64]
    detect_batch(model, images[:2], a.imgsz, 0.25, 0.7, "cpu")  # warm-up
    rates = {}
    for batch in (1, 16):
        t0 = time.perf_counter()
        for k in range(0, len(images), batch):
            detect_batch(model, images[k:k + batch], a.imgsz, 0.25, 0.7, "cpu")
        rates[batch] = len(images) / (time.perf_counter() - t0)
    print(f"inference: {rates[1]:.1f} images/s batch 1, {rates[16]:.1f} images/s batch 16 "
          f"(x{rates[16] / rates[1]:.2f})")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
