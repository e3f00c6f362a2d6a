"""Benchmark: frames/s of sequences (one layout, F frames) against the same number of independent samples.

Both runs generate `--frames` samples in one shard with the same small configuration, in one process each
(fresh output directories, same machine, same run); the sequence run builds each layout once, moves only the
driving cars in Blender and re-traces in place, the independent run builds a new scene every sample.

    python benchmarks/sequences.py [--frames 8] [--width 160]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from maxray_gen.config import Config
from maxray_gen.pipeline.generate import generate

BASE = {
    "render": {"samples": 4, "device": "cpu"},
    "scene": {"max_cars": 12, "min_cars": 6, "min_moving_cars": 2, "max_moving_cars": 2},
    "trace": {"samples_per_src": 200000},
}


def rate(frames_per_sequence: int, frames: int, width: int) -> float:
    d = dict(BASE, camera={"width": width, "height": width * 3 // 4},
             generate={"seed": 1, "shards": 1, "samples_per_shard": frames, "previews": 0,
                       "frames_per_sequence": frames_per_sequence})
    cfg = Config.model_validate(d)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        generate(cfg, Path(tmp) / "ds", progress=False)
        return frames / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--width", type=int, default=160)
    args = ap.parse_args()
    rate(1, 1, args.width)  # warm caches (imports, Blender start) outside the timings
    independent = rate(1, args.frames, args.width)
    sequence = rate(args.frames, args.frames, args.width)
    print(f"{args.frames} frames at {args.width}x{args.width * 3 // 4}: independent {independent:.3f} frames/s, "
          f"one sequence {sequence:.3f} frames/s, ratio x{sequence / independent:.2f}")


if __name__ == "__main__":
    main()
