"""Viewing a dataset: `maxray report` and `maxray view` cost per sample, and how fast the report page of a few
hundred samples loads in Chromium against a naive page (every full preview as an eager image) in the same run.

    python benchmarks/viewing.py [--data DIR] [--samples 300]

The dataset's shards are repeated (copied under new shard numbers) up to --samples; without --data the demo preset
is generated first (about 30 s). Needs the 'view' extra and Debian's chromium for the page timings.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path


def _replicated(src: Path, dst: Path, samples: int) -> int:
    from maxray_gen.dataset.reader import ShardReader

    shards = sorted(src.glob("shard-*.h5"))
    dst.mkdir(parents=True)
    n, k = 0, 0
    while n < samples:
        for p in shards:
            shutil.copy(p, dst / f"shard-{k:05d}.h5")
            n += ShardReader(p).num_samples
            k += 1
            if n >= samples:
                break
    for extra in ("DATASHEET.md", "config.yaml"):
        if (src / extra).exists():
            shutil.copy(src / extra, dst / extra)
    return n


def _chromium_load_ms(page: Path, runs: int = 3) -> tuple[float, int, int]:
    """Median time to the load event (ms), images decoded at load, images in the page."""
    exe = shutil.which("chromium")
    if exe is None:
        return float("nan"), 0, 0
    times, loaded, total = [], 0, 0
    for i in range(runs):
        with tempfile.TemporaryDirectory() as prof:
            dom = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                                  f"--user-data-dir={prof}", "--window-size=1400,1000", "--dump-dom",
                                  page.resolve().as_uri()], capture_output=True, text=True, timeout=300).stdout
        body = re.search(r"<body[^>]*>", dom).group(0)
        times.append(float(re.search(r'data-load-ms="(\d+)"', body).group(1)))
        loaded = int(re.search(r'data-images-loaded="(\d+)"', body).group(1))
        total = int(re.search(r'data-images="(\d+)"', body).group(1))
    return statistics.median(times), loaded, total


def _naive_page(report: Path) -> Path:
    """The same grid with every full preview as an eager <img> (what a page without thumbnails would be)."""
    from maxray_gen.viz.dataset_report import PAGE_JS

    imgs = "".join(f'<img src="samples/{p.name}" style="width:320px">' for p in sorted((report / "samples").glob("*.png")))
    page = report / "naive.html"
    page.write_text(f"<!doctype html><html><head><script>{PAGE_JS}</script></head><body>{imgs}</body></html>")
    return page


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--samples", type=int, default=300)
    a = ap.parse_args()
    from maxray_gen.dataset.inspect import locate
    from maxray_gen.viz.dataset_plots import plot_sample
    from maxray_gen.viz.dataset_report import write_report
    from maxray_gen.viz.rerun_view import save_recording, select_samples
    from maxray_gen.viz.thumbnails import thumbnail

    tmp = Path(tempfile.mkdtemp(prefix="maxray-bench-view-"))
    try:
        src = a.data
        if src is None:
            src = tmp / "demo"
            subprocess.run(["maxray", "generate", "--preset", "demo", "--out", str(src), "--no-progress",
                            "--no-previews"], check=True, capture_output=True)
        data = tmp / "data"
        n = _replicated(src, data, a.samples)
        print(f"dataset: {n} samples ({src} repeated)")

        reader, k = locate(data, 0)
        s = reader.sample(k)
        t0 = time.perf_counter()
        for _ in range(10):
            thumbnail(s)
        t_thumb = (time.perf_counter() - t0) / 10
        t0 = time.perf_counter()
        for _ in range(3):
            plot_sample(s, reader.axes, tmp / "p.png", "x")
        t_full = (time.perf_counter() - t0) / 3
        print(f"per sample: thumbnail {t_thumb * 1e3:.1f} ms, full preview (matplotlib) {t_full * 1e3:.0f} ms "
              f"(thumbnail / full {t_thumb / t_full:.3f})")

        t0 = time.perf_counter()
        page = write_report(data, tmp / "report", progress=False)
        t_report = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in page.parent.rglob("*") if f.is_file())
        thumbs = sum(f.stat().st_size for f in (page.parent / "thumbs").glob("*"))
        print(f"maxray report: {t_report:.1f} s ({t_report / n * 1e3:.0f} ms/sample); report {size / 1e6:.1f} MB, "
              f"thumbnails {thumbs / n / 1e3:.1f} kB each, index.html {page.stat().st_size / 1e3:.0f} kB")

        ours, loaded, total = _chromium_load_ms(page)
        naive_page = _naive_page(page.parent)
        naive, nloaded, ntotal = _chromium_load_ms(naive_page)
        full = sum(f.stat().st_size for f in (page.parent / "samples").glob("*.png"))
        figs = sum(f.stat().st_size for f in (page.parent / "figures").glob("*.png"))
        ours_b = page.stat().st_size + thumbs + figs
        print(f"bytes a browser loads: report page {ours_b / 1e6:.1f} MB (html + thumbnails + figures), naive page "
              f"{(naive_page.stat().st_size + full) / 1e6:.1f} MB; ratio {ours_b / (naive_page.stat().st_size + full):.3f}")
        print(f"Chromium, {n} samples, time to the load event: report page {ours:.0f} ms ({loaded}/{total} images "
              f"decoded by the load event); naive page of full previews {naive:.0f} ms "
              f"({nloaded}/{ntotal}); ratio {ours / naive:.3f}")

        refs = select_samples(data)
        t0 = time.perf_counter()
        for r in refs:
            r.reader.sample(r.local)
        t_read = time.perf_counter() - t0
        t0 = time.perf_counter()
        rrd = save_recording(data, select_samples(data), tmp / "all.rrd", progress=False)
        t_view = time.perf_counter() - t0
        print(f"maxray view --save: {t_view:.1f} s ({t_view / n * 1e3:.0f} ms/sample; reading the samples alone "
              f"{t_read / n * 1e3:.0f} ms/sample, ratio {t_view / max(t_read, 1e-9):.1f}); "
              f"{rrd.stat().st_size / n / 1e6:.2f} MB/sample in the .rrd")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
