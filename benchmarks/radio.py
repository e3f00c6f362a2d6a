"""Benchmark: the radio stage on a 20-car parking lot (CPU by default; CUDA when Dr.Jit picks it).

Prints, for a procedural lot (asphalt ground, wall, lamp posts, 20 cars): triangles, trace time and path count,
peak memory, and the whole radio stage (trace + range-azimuth map) cold (first call: scene build + kernel
compilation) and warm, plus re-tracing after moving every car (in-place vertex update) against a full rebuild of
the same moved scene, measured in the same run.

    python benchmarks/radio.py [--samples 1000000] [--depth 5] [--detail 4] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import warnings

import numpy as np

warnings.simplefilter("ignore")

from maxray_gen.meshes import parking_lot  # noqa: E402
from maxray_gen.radar.config import RadarConfig  # noqa: E402
from maxray_gen.radar.processing import heatmaps  # noqa: E402
from maxray_gen.radio.config import TraceConfig  # noqa: E402
from maxray_gen.radio.tracer import RadarTracer  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def moved(snap, rng, step=0.6):
    objs = []
    for o in snap.objects:
        if o.role == "car":
            d = rng.normal(0, step, 3) * np.array([1, 1, 0])
            objs.append(o.moved(d, velocity=d / 0.1))
        else:
            objs.append(o)
    return snap.replace_objects(objs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--depth", type=int, default=5)
    ap.add_argument("--detail", type=int, default=4, help="car tessellation (4: ~30k triangles per car)")
    ap.add_argument("--ground-cells", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    snap = parking_lot(rng, 20, detail=args.detail, ground_cells=args.ground_cells, moving=4)
    radar = RadarConfig()
    cfg = TraceConfig(samples_per_src=args.samples, max_depth=args.depth)
    print(f"{os.cpu_count()} CPU cores; lot: {len(snap.objects)} objects, {snap.n_triangles:,} triangles; "
          f"{args.samples:,} rays, depth {args.depth}, specular + diffuse")

    t0 = time.perf_counter()
    tracer = RadarTracer(radar, cfg)
    t_init = time.perf_counter() - t0
    t0 = time.perf_counter()
    paths = tracer.trace(snap, rng)
    hm = heatmaps(paths, radar, rng)
    cold = time.perf_counter() - t0
    print(f"engine start {t_init:.2f} s ({tracer.variant}); cold radio stage {cold:.2f} s; {len(paths):,} paths")

    trace_t, stage_t = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        paths = tracer.trace(snap, rng)
        t1 = time.perf_counter()
        hm = heatmaps(paths, radar, rng)
        t2 = time.perf_counter()
        trace_t.append(t1 - t0)
        stage_t.append(t2 - t0)
    print(f"warm: trace {min(trace_t):.3f} s (median {np.median(trace_t):.3f}), whole radio stage "
          f"{min(stage_t):.3f} s (median {np.median(stage_t):.3f}), {len(paths):,} paths, "
          f"map {hm.range_azimuth.shape}, peak RSS {peak_rss_mb():.0f} MB")

    upd, full = [], []
    for k in range(args.repeats):
        m = moved(snap, np.random.default_rng(100 + k))
        t0 = time.perf_counter()
        how = tracer.prepare(m)
        tracer.trace(m, rng)
        upd.append(time.perf_counter() - t0)
        assert how == "updated"
        fresh = RadarTracer(radar, cfg)
        t0 = time.perf_counter()
        fresh.trace(m, rng)
        full.append(time.perf_counter() - t0)
    print(f"re-trace after moving the cars: in-place update {min(upd):.3f} s (median {np.median(upd):.3f}) vs "
          f"rebuild {min(full):.3f} s (median {np.median(full):.3f}): {np.median(full) / np.median(upd):.1f}x")
    print(f"peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
