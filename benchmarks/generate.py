"""Benchmark: dataset generation throughput and shard reading.

Generates the demo preset and a paper-scale sample (640x480, full radar, 1e6 rays) on this machine and prints
samples per hour with the per-stage split and the pipeline's overhead over the sum of its stages; then reads the
demo shards through the torch Dataset (samples/s, 0 and 2 workers).

    python benchmarks/generate.py [--paper-samples 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

warnings.simplefilter("ignore")

from maxray_gen.config import load_config  # noqa: E402
from maxray_gen.presets import preset_path  # noqa: E402
from maxray_gen.pipeline.generate import generate  # noqa: E402



def run(cfg, out: Path, label: str) -> None:
    res = generate(cfg, out, progress=False)
    st, wall, n = res["stages_s"], res["wall_s"], res["samples"]
    stage_sum = sum(st.values())
    print(f"{label}: {n} samples in {wall:.1f} s = {3600 * n / wall:.0f} samples/hour; stages "
          + ", ".join(f"{k} {v / n:.2f}" for k, v in st.items()) + " s/sample; "
          f"pipeline overhead over the stages {100 * (wall - stage_sum) / stage_sum:+.1f}%")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--paper-samples", type=int, default=2)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    demo = load_config(preset_path("demo"))
    # Warm-up (engine start, kernel compilation) is excluded by generating one throw-away sample first.
    warm = demo.model_copy(update={"generate": demo.generate.model_copy(update={"shards": 1, "samples_per_shard": 1})})
    generate(warm, tmp / "warm", progress=False)
    run(demo, tmp / "demo", "demo preset (320x240, 4 spp, noncoherent radar)")
    paper = load_config(preset_path("maxray_parking_lot"))
    paper = paper.model_copy(update={"generate": paper.generate.model_copy(
        update={"shards": 1, "samples_per_shard": args.paper_samples})})
    run(paper, tmp / "paper", "paper scale (640x480, 8 spp, 1e6 rays, 16x16 array)")

    from torch.utils.data import DataLoader

    from maxray_gen.dataset.torch_dataset import MaxrayDataset, collate

    from torch.utils.data import Subset

    ds = MaxrayDataset(tmp / "demo")
    many = Subset(ds, [i % len(ds) for i in range(3000)])  # the demo is tiny: read its samples many times
    for workers, batch in ((0, 1), (0, 32), (2, 32)):
        loader = DataLoader(many, batch_size=batch, num_workers=workers, collate_fn=collate)
        t0, n = time.perf_counter(), 0
        for b in loader:
            n += len(b["index"])
        dt = time.perf_counter() - t0
        print(f"read through the torch Dataset ({workers} workers, batch {batch}; rgb 320x240 + range-azimuth + "
              f"objects + target): {n / dt:.0f} samples/s")


if __name__ == "__main__":
    main()
