"""Benchmark: the radio stage on the paper-scale lot (20 cars): the SBR+PO engine 2.0 (first bounce integrated per
facet, the default) against the 1.0 engine (PO sampled by the tubes, ``po_integration: tube``) and Sionna RT, in
the same run.

The lot is the shipped parking lot's geometry (scene sampler + numpy lot, exactly what `maxray generate` traces,
without Blender) with ``scene.min_cars = 20``, the paper preset's radar (noncoherent elevation mode). For each
engine: ray count, trace time (warm), path count after merging, peak memory, the whole radio stage (trace +
range-azimuth map), a new layout per sample (scene build + trace + map), and how the cost grows with the number of
cars (5, 10, 20); then the ratios new / old. CPU by default; CUDA when Dr.Jit picks it (a GPU present).

    python benchmarks/radio.py [--repeats 3] [--no-sionna]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import warnings

import numpy as np

warnings.simplefilter("ignore")

from maxray_gen.config import load_config  # noqa: E402
from maxray_gen.presets import preset_path  # noqa: E402
from maxray_gen.radar.processing import heatmaps  # noqa: E402
from maxray_gen.radio.tracer import RadarTracer  # noqa: E402
from maxray_gen.scene.lot import build_snapshot  # noqa: E402
from maxray_gen.scene.spec import sample_scene  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def lot(n_cars: int, seed: int = 0, moving: int = 0):
    cfg = load_config(preset_path("maxray_parking_lot"))
    scene = cfg.scene.model_copy(update={"min_cars": n_cars, "max_cars": n_cars, "min_moving_cars": moving,
                                         "max_moving_cars": moving})
    return cfg, build_snapshot(sample_scene(scene, cfg.camera, seed, 0))


def new_layouts(tracer, radar, seeds, moving: int) -> dict:
    """Per fresh lot (as in a dataset: another layout every sample): engine scene build (mesh checks, BVH), trace,
    map; kernels already compiled."""
    build, trace, rmap = [], [], []
    for seed in seeds:
        _, snap = lot(20, seed, moving)
        rng = np.random.default_rng(seed)
        t0 = time.perf_counter()
        tracer.prepare(snap)
        t1 = time.perf_counter()
        paths = tracer.trace(snap, rng)
        t2 = time.perf_counter()
        heatmaps(paths, radar, rng)
        t3 = time.perf_counter()
        build.append(t1 - t0)
        trace.append(t2 - t1)
        rmap.append(t3 - t2)
    return dict(build=float(np.median(build)), trace=float(np.median(trace)), map=float(np.median(rmap)))


def measure(tracer, snap, radar, repeats: int) -> dict:
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    paths = tracer.trace(snap, rng)
    cold = time.perf_counter() - t0
    tr, st = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        paths = tracer.trace(snap, rng)
        t1 = time.perf_counter()
        heatmaps(paths, radar, rng)
        tr.append(t1 - t0)
        st.append(time.perf_counter() - t0)
    return dict(cold=cold, trace=float(np.median(tr)), stage=float(np.median(st)), paths=len(paths),
                map=float(np.median(st)) - float(np.median(tr)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-sionna", action="store_true")
    args = ap.parse_args()
    cfg, snap = lot(20)
    print(f"{os.cpu_count()} CPU cores; paper-scale lot: {len(snap.objects)} objects, {snap.n_triangles:,} triangles,"
          f" 20 cars; radar {cfg.radar.elevation_mode} elevation mode")
    engines = {"sbr-po 2.0 facet (default)": cfg.trace,
               "sbr-po 1.0 (PO sampled by the tubes)": cfg.trace.model_copy(update={"po_integration": "tube"})}
    stage, fresh, growth = {}, {}, {}
    for name, trace_cfg in engines.items():
        tr = RadarTracer(cfg.radar, trace_cfg)
        m = measure(tr, snap, cfg.radar, args.repeats)
        s = tr.last_stats
        print(f"{name} ({tr.variant}): {s['tubes']:,} ray tubes, {s['hits']:,} returns -> {m['paths']:,} paths "
              f"({s['clutter_paths']:,} ground clutter); trace {m['trace']:.2f} s (cold {m['cold']:.2f} s), "
              f"range-azimuth map {m['map']:.2f} s, whole radio stage {m['stage']:.2f} s; peak RSS "
              f"{peak_rss_mb():.0f} MB")
        stage[name] = m["stage"]
        f = new_layouts(tr, cfg.radar, (11, 12, 13), 2)
        fresh[name] = f["build"] + f["trace"] + f["map"]
        print(f"  new layout each sample (20 cars, 2 moving): scene build (checks + BVH) {f['build']:.2f} s, trace "
              f"{f['trace']:.2f} s, map {f['map']:.2f} s: {fresh[name]:.2f} s")
        times = {}
        for n_cars in (5, 10, 20):
            c, sn = lot(n_cars)
            t = RadarTracer(c.radar, trace_cfg)
            times[n_cars] = measure(t, sn, c.radar, args.repeats)["trace"]
            print(f"  trace with {n_cars:2d} cars: {times[n_cars]:.2f} s, {t.last_stats['tubes']:,} tubes, "
                  f"{t.last_stats['hits']:,} returns")
        growth[name] = times[20] / times[5]
        print(f"  cost growth 5 -> 20 cars: {growth[name]:.2f}x for 4x the cars")
    new, old = list(engines)
    print(f"ratio new / old engine (same run): radio stage on one lot {stage[new] / stage[old]:.2f}x, with a new "
          f"layout per sample (build + trace + map) {fresh[new] / fresh[old]:.2f}x (issue 34's target: 0.7x)")
    if not args.no_sionna:
        sio_cfg = cfg.trace.model_copy(update={"engine": "sionna"})
        sio = RadarTracer(cfg.radar, sio_cfg)
        n = measure(sio, snap, cfg.radar, args.repeats)
        print(f"Sionna RT ({sio.variant}): {sio_cfg.samples_per_src:,} rays -> {n['paths']:,} paths; trace "
              f"{n['trace']:.2f} s (cold {n['cold']:.2f} s), whole radio stage {n['stage']:.2f} s; peak RSS "
              f"{peak_rss_mb():.0f} MB")
        print(f"ratio SBR facet / Sionna: radio stage {stage[new] / n['stage']:.2f}x")


if __name__ == "__main__":
    main()
