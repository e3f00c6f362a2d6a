"""Benchmark: range-azimuth heatmap time versus path count, fast path against the naive literal model.

The fast path (default) synthesises the row-combined channel with a type-1 NUFFT and processes it with FFTs; the
naive reference synthesises the full per-element channel H[k, n, antenna] path by path (chunked matrix products),
applies QPSK symbols, noise and H = Y / X, then runs the same FFT processing. Both use the default parameter set
and are measured in the same run. Naive timings beyond ``--naive-max`` paths are extrapolated from a straight-line
fit to the measured ones (its cost is linear in the path count) and marked as such.

    python benchmarks/radar.py [--naive-max 10000] [--repeats 5] [--markdown]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import numpy as np

from maxray_gen.radar.config import RadarConfig
from maxray_gen.radar.paths import PathSet
from maxray_gen.radar.processing import heatmaps, heatmaps_reference

warnings.simplefilter("ignore")


def random_paths(n: int, rng: np.random.Generator, cfg: RadarConfig) -> PathSet:
    """Paths spread like a parking-lot scene: ranges 4-40 m, speeds +-6 m/s, wide angles, multi-bounce depth 5."""
    r = rng.uniform(4.0, 40.0, n)
    lam = cfg.wavelength_m
    return PathSet(
        gain=(rng.standard_normal(n) + 1j * rng.standard_normal(n)) * 1e-5 * (10.0 / r) ** 2,
        delay_s=2 * r / 299792458.0, doppler_hz=2 * rng.uniform(-6, 6, n) / lam,
        aoa_azimuth=rng.uniform(-1.2, 1.2, n), aoa_elevation=rng.uniform(-0.5, 0.2, n),
        objects=rng.integers(0, 40, (n, 5)),
    )


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def full_channel_map(paths: PathSet, cfg: RadarConfig, rng: np.random.Generator):
    """The previous fast path (same-run baseline): the whole channel by 3-D NUFFTs, range IFFT, crop, then the
    noise on the kept range bins (the default rectangular range window)."""
    from maxray_gen.radar.channel import beam_channel, complex_noise
    from maxray_gen.radar.processing import process_profiles, range_profiles

    prof = range_profiles(beam_channel(paths, cfg, rng, noise=False), cfg)
    prof += complex_noise(rng, prof.shape, cfg.noise_variance * cfg.n_subcarriers, dtype=prof.dtype)
    return process_profiles(prof, cfg)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--counts", default="100,1000,10000,100000,1000000")
    ap.add_argument("--naive-max", type=int, default=10000, help="largest path count measured with the naive model")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--markdown", action="store_true", help="print a markdown table for docs/performance.md")
    args = ap.parse_args()
    cfg = RadarConfig()
    rng = np.random.default_rng(0)
    counts = [int(float(c)) for c in args.counts.split(",")]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; default radar: "
          f"{cfg.n_subcarriers} subcarriers x {cfg.n_symbols} symbols x {cfg.array.n_elements} elements, "
          f"{len(cfg.range_axis_m)} x {cfg.azimuth_bins} range-azimuth map, precision {cfg.precision}")
    heatmaps(random_paths(10, rng, cfg), cfg, rng)  # warm-up: FFT plans, imports
    rows, naive_measured = [], {}
    for n in counts:
        paths = random_paths(n, rng, cfg)
        fast = best_of(lambda: heatmaps(paths, cfg, rng), args.repeats)
        fast_rd = best_of(lambda: heatmaps(paths, cfg, rng, products=("range_azimuth", "range_doppler")), 2)
        full = best_of(lambda: full_channel_map(paths, cfg, rng), args.repeats)
        naive = None
        if n <= args.naive_max:
            naive = best_of(lambda: heatmaps_reference(paths, cfg, rng), 1)
            naive_measured[n] = naive
        rows.append([n, fast, fast_rd, naive, full])
        print(f"  {n:>8d} paths: fast {fast * 1e3:8.1f} ms (RA+RD {fast_rd * 1e3:7.1f} ms, full-channel path "
              f"{full * 1e3:7.1f} ms)"
              + (f", naive {naive:8.2f} s" if naive is not None else ""), flush=True)
    if len(naive_measured) >= 2:
        xs, ys = np.array(list(naive_measured)), np.array(list(naive_measured.values()))
        slope, icpt = np.polyfit(xs, ys, 1)
    else:
        slope = icpt = None
    base = rows[0][1]
    header = ["paths", "fast RA map [ms]", "fast RA+RD [ms]", "full-channel path [ms]", "naive RA map [s]",
              "speed-up", "fast cost vs 1e2"]
    lines = []
    for n, fast, fast_rd, naive, full in rows:
        if naive is None and slope is not None:
            naive_s, mark = icpt + slope * n, " (extrapolated)"
        else:
            naive_s, mark = naive, ""
        speed = f"{naive_s / fast:,.0f}x{mark}" if naive_s else "-"
        naive_txt = f"{naive_s:,.2f}{mark}" if naive_s else "-"
        lines.append([f"{n:.0e}", f"{fast * 1e3:.1f}", f"{fast_rd * 1e3:.1f}", f"{full * 1e3:.1f}", naive_txt, speed, f"{fast / base:.2f}x"])
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for line in lines:
            print("| " + " | ".join(line) + " |")
    else:
        widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
        print("  ".join(h.rjust(w) for h, w in zip(header, widths)))
        for line in lines:
            print("  ".join(c.rjust(w) for c, w in zip(line, widths)))


if __name__ == "__main__":
    main()
