"""`maxray report`: a static HTML page to skim a whole dataset (no server, no network; assets beside it).

``OUT/index.html`` shows the dataset's figures (conditions, cars per sample, radar coverage of the cars, car echo
contrast) and a grid of every sample's thumbnail (RGB with boxes | range-azimuth map with groundtruth), filterable by
lighting and weather, each opening the sample's full preview (``maxray preview``'s picture). Thumbnails are small
JPEGs of fixed size, loaded lazily, so a page of a few hundred samples scrolls without lag.
"""

from __future__ import annotations

import html
import os
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from maxray_gen.dataset.inspect import shard_paths
from maxray_gen.dataset.reader import ShardReader
from maxray_gen.dataset.schema import object_counts
from maxray_gen.errors import ConfigError
from maxray_gen.radar.config import RadarConfig
from maxray_gen.radar.echoes import car_echoes, echo_summary
from maxray_gen.viz.thumbnails import thumbnail

MARKER = ".maxray-report"  # a folder holding it is a report of ours, which a new report may replace


@dataclass
class SampleRow:
    index: int
    shard: str
    lighting: str
    weather: str
    cars: int
    target: int
    sequence: int
    frame: int
    shown: bool = True  # has a tile (thumbnail + full preview) in the grid


@dataclass
class DatasetStats:
    rows: list[SampleRow] = field(default_factory=list)
    ranges: list[float] = field(default_factory=list)  # cars in the radar's view
    azimuths: list[float] = field(default_factory=list)  # heatmap azimuth, degrees
    target_ranges: list[float] = field(default_factory=list)
    target_azimuths: list[float] = field(default_factory=list)
    echoes: list[dict] = field(default_factory=list)
    size_mb: float = 0.0
    shards: int = 0
    attrs: dict = field(default_factory=dict)


def _write_jpeg(arr: np.ndarray, path: Path, quality: int = 82) -> None:
    Image.fromarray(arr).save(path, "JPEG", quality=quality, optimize=True)


def _figures(stats: DatasetStats, out: Path) -> list[tuple[str, str]]:
    """The datasheet's figures as PNGs under ``out/figures``; (file name, caption) pairs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from maxray_gen.viz.radar_plots import _save

    figs = []
    light, weather = Counter(r.lighting for r in stats.rows), Counter(r.weather for r in stats.rows)
    fig, ax = plt.subplots(1, 2, figsize=(8, 3.2))
    for a, counts, name in ((ax[0], light, "lighting"), (ax[1], weather, "weather")):
        keys = sorted(counts)
        a.bar(keys, [counts[k] for k in keys], color="tab:blue")
        a.set_title(name)
        a.set_ylabel("samples")
    fig.tight_layout()
    figs.append((_save(fig, out / "figures" / "conditions.png").name, "samples per lighting and weather"))

    cars = np.array([r.cars for r in stats.rows])
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    ax.hist(cars, bins=np.arange(cars.min(), cars.max() + 2) - 0.5, color="tab:blue", rwidth=0.9)
    ax.set_xlabel("cars in the sample")
    ax.set_ylabel("samples")
    ax.set_title(f"cars per sample (mean {cars.mean():.1f})")
    fig.tight_layout()
    figs.append((_save(fig, out / "figures" / "cars_per_sample.png").name, "cars per sample"))

    fig, ax = plt.subplots(figsize=(4.5, 3.6))
    ax.scatter(stats.azimuths, stats.ranges, s=6, alpha=0.5, label="cars in view", color="tab:blue")
    ax.scatter(stats.target_azimuths, stats.target_ranges, s=14, color="red", label="targets")
    ax.set_xlabel("azimuth in the map [deg]")
    ax.set_ylabel("range [m]")
    ax.set_title("radar coverage of the cars")
    ax.legend(fontsize=7)
    fig.tight_layout()
    figs.append((_save(fig, out / "figures" / "coverage.png").name, "where the cars are in the range-azimuth map"))

    contrast = np.array([e["contrast_db"] for e in stats.echoes if e["visible_fraction"] >= 0.5])
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    if len(contrast):
        ax.hist(contrast, bins=25, color="tab:green")
        ax.axvline(10.0, color="k", ls="--", lw=1)
        ax.set_title(f"car echo over surroundings: {np.mean(contrast >= 10):.0%} >= 10 dB")
    else:
        ax.set_title("car echo contrast: no car >= 50 % visible in view")
    ax.set_xlabel("contrast [dB] (cars >= 50 % visible)")
    ax.set_ylabel("cars")
    fig.tight_layout()
    figs.append((_save(fig, out / "figures" / "echo_contrast.png").name, "do the cars stand out in the radar map"))
    return figs


STATS_FIELDS = ("objects", "params", "range_azimuth", "target", "sequence", "frame")


def shown_indices(total: int, max_samples: int | None) -> np.ndarray:
    """The samples that get a tile: all, or ``max_samples`` evenly spaced over the dataset (first and last
    included)."""
    if max_samples is None or total <= max_samples:
        return np.arange(total)
    return np.unique(np.round(np.linspace(0, total - 1, max_samples)).astype(int))


def _collect(root: Path, out: Path, progress: bool, max_samples: int | None) -> DatasetStats:
    """One pass over the dataset: statistics of every sample; thumbnails and full previews of the shown ones."""
    from maxray_gen.viz.dataset_plots import plot_sample

    stats = DatasetStats()
    paths = shard_paths(root)
    stats.shards = len(paths)
    readers = [ShardReader(p) for p in paths]
    total = sum(len(r) for r in readers)
    stats.attrs = dict(readers[0].attrs)
    shown = set(shown_indices(total, max_samples).tolist())
    progress_bar = None
    if progress:
        from rich.progress import Progress

        progress_bar = Progress(transient=True)
        progress_bar.start()
        task = progress_bar.add_task("report", total=total)
    i = 0
    try:
        for r in readers:
            stats.size_mb += r.path.stat().st_size / 1e6
            cfg = r.config
            radar = RadarConfig(**cfg["radar"]) if "radar" in cfg else None
            min_vis = float(cfg.get("camera", {}).get("min_visibility", 0.15))
            for k in range(len(r)):
                tile = i in shown
                s = r.sample(k) if tile else r.sample(k, STATS_FIELDS)
                p, objs = s["params"], s["objects"]
                stats.rows.append(SampleRow(i, r.path.name, str(p.get("lighting", {}).get("kind", "?")),
                                            str(p.get("weather", {}).get("kind", "?")), int((objs["class_id"] == 0).sum()),
                                            s["target"],
                                            int(s["sequence"]), int(s["frame"]), tile))
                view = objs[objs["in_radar_view"]]
                stats.ranges += view["range_m"].tolist()
                stats.azimuths += np.degrees(view["heatmap_azimuth_rad"]).tolist()
                if s["target"] >= 0 and objs[s["target"]]["in_radar_view"]:
                    stats.target_ranges.append(float(objs[s["target"]]["range_m"]))
                    stats.target_azimuths.append(float(np.degrees(objs[s["target"]]["heatmap_azimuth_rad"])))
                if radar is not None and "range_azimuth" in s:
                    stats.echoes += car_echoes(s["range_azimuth"], r.axes["range_m"], r.axes["azimuth_rad"], objs, radar)
                if tile:
                    _write_jpeg(thumbnail(s, min_visibility=min_vis), out / "thumbs" / f"sample-{i:05d}.jpg")
                    title = (f"sample {i}: {object_counts(objs['class_id'])}, {stats.rows[-1].lighting}, {stats.rows[-1].weather}, "
                             f"{p.get('n_paths', 0):,} radar paths")
                    plot_sample(s, r.axes, out / "samples" / f"sample-{i:05d}.png", title, min_visibility=min_vis)
                i += 1
                if progress_bar is not None:
                    progress_bar.advance(task)
            r.close()
    finally:
        if progress_bar is not None:
            progress_bar.stop()
    return stats


PAGE_CSS = """
body{font-family:system-ui,sans-serif;margin:18px;background:#fafafa;color:#222}
h1{font-size:20px;margin:0 0 6px}h2{font-size:16px;margin:18px 0 6px}
.facts{font-size:13px;color:#444}.figs{display:flex;flex-wrap:wrap;gap:10px}
.figs figure{margin:0;background:#fff;border:1px solid #ddd;padding:4px}.figs img{height:220px;width:auto}
.figs figcaption{font-size:12px;color:#555}
.bar{position:sticky;top:0;background:#fafafa;padding:6px 0;font-size:13px;z-index:1}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(%(w)dpx,1fr));gap:8px}
.tile{background:#fff;border:1px solid #ddd;padding:3px;font-size:11px;color:#333;text-decoration:none}
.tile img{display:block;width:%(w)dpx;height:%(h)dpx;object-fit:contain}
.tile.hidden{display:none}.tile .t{color:#c00}
"""

PAGE_JS = """
function applyFilter(){
  const l=document.getElementById('lighting').value, w=document.getElementById('weather').value;
  let shown=0;
  for(const t of document.querySelectorAll('.tile')){
    const ok=(!l||t.dataset.lighting===l)&&(!w||t.dataset.weather===w);
    t.classList.toggle('hidden',!ok); if(ok) shown++;
  }
  document.getElementById('shown').textContent=shown;
}
window.addEventListener('load',()=>{
  const imgs=[...document.images];
  document.body.dataset.imagesLoaded=imgs.filter(i=>i.complete&&i.naturalWidth>0).length;
  document.body.dataset.images=imgs.length;
  document.body.dataset.loadMs=Math.round(performance.now());
});
"""


def _options(values: list[str], name: str) -> str:
    opts = "".join(f'<option value="{html.escape(v)}">{html.escape(v)}</option>' for v in sorted(set(values)))
    return f'<label>{name} <select id="{name}" onchange="applyFilter()"><option value="">all</option>{opts}</select></label>'


def _echo_text(echo: dict) -> str:
    if not echo.get("cars"):
        return "car echoes: no car >= 50 % visible in the radar's view"
    return (f"car echoes (cars >= 50 % visible): {echo['cars']} cars, median {echo['contrast_median_db']:.1f} dB over "
            f"their surroundings, {echo['share_above_10_db']:.0%} >= 10 dB")


def _page(root: Path, out: Path, stats: DatasetStats, figs: list[tuple[str, str]], thumb_size: tuple[int, int],
          eager: int) -> str:
    a = stats.attrs
    n = len(stats.rows)
    cars = np.array([r.cars for r in stats.rows])
    echo = echo_summary(stats.echoes)
    facts = [f"{n} samples in {stats.shards} shards ({stats.size_mb:.1f} MB)",
             f"schema version {a.get('schema_version', '?')}", f"radar engine {a.get('radar_engine_version', '?')}",
             f"config hash {a.get('config_hash', '?')}, seed {a.get('seed', '?')}",
             f"cars per sample {cars.mean():.1f} (min {cars.min()}, max {cars.max()})",
             _echo_text(echo)]
    w, h = thumb_size
    tiles = []
    rows = [r for r in stats.rows if r.shown]
    for k, r in enumerate(rows):
        seq = f" · seq {r.sequence} f{r.frame}" if r.frame or any(x.frame for x in stats.rows) else ""
        target = "" if r.target >= 0 else ' · <span class="t">no target</span>'
        lazy = "" if k < eager else ' loading="lazy"'
        tiles.append(
            f'<a class="tile" href="samples/sample-{r.index:05d}.png" data-lighting="{html.escape(r.lighting)}" '
            f'data-weather="{html.escape(r.weather)}" data-index="{r.index}">'
            f'<img src="thumbs/sample-{r.index:05d}.jpg" width="{w}" height="{h}" alt="sample {r.index}"'
            f'{lazy} decoding="async">'
            f'#{r.index} · {html.escape(r.lighting)} · {html.escape(r.weather)} · {r.cars} cars{seq}{target}</a>')
    subset = "" if len(rows) == n else f" (every sample's statistics above; tiles for {len(rows)} of the {n} samples, evenly spaced)"
    fig_html = "".join(f'<figure><a href="figures/{f}"><img src="figures/{f}" alt="{html.escape(c)}"></a>'
                       f'<figcaption>{html.escape(c)}</figcaption></figure>' for f, c in figs)
    sheet = root / "DATASHEET.md"
    link = Path(os.path.relpath(sheet.resolve(), out.resolve())).as_posix()
    datasheet = f'<a href="{html.escape(link)}">DATASHEET.md</a> · ' if sheet.exists() else ""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>MaxRay-Gen dataset '
            f'{html.escape(root.name)}</title><style>{PAGE_CSS % {"w": w, "h": h}}</style>'
            f"<script>{PAGE_JS}</script></head><body>"
            f"<h1>Dataset <code>{html.escape(root.name)}</code></h1>"
            f'<p class="facts">{" · ".join(html.escape(x) for x in facts)}<br>{datasheet}'
            "each tile: camera image with visible boxes (target red, too dark to see grey) | radar range-azimuth "
            "map, range up, azimuth right (cars white rings, target red); click for the full preview</p>"
            f'<h2>Figures</h2><div class="figs">{fig_html}</div>'
            f'<h2>Samples</h2><div class="bar">{_options([r.lighting for r in stats.rows], "lighting")} '
            f'{_options([r.weather for r in stats.rows], "weather")} · <span id="shown">{len(rows)}</span> of '
            f'{len(rows)} shown{subset}</div>'
            f'<div class="grid" id="grid">{"".join(tiles)}</div></body></html>\n')


def write_report(root: str | Path, out: str | Path | None = None, progress: bool = True, eager: int = 24,
                 max_samples: int | None = 500) -> Path:
    """Write the report of the dataset at ``root`` into ``out`` (default ``ROOT/report``); returns index.html.
    Figures cover every sample; the grid has a tile for at most ``max_samples`` (evenly spaced; None: all).

    Built in a sibling folder and moved into place at the end, so an interrupted run leaves no half-written report;
    an existing report of ours at ``out`` is replaced, any other existing folder refused."""
    root = Path(root)
    shard_paths(root)  # one clear line for a folder that is not a dataset, before anything is written
    out = Path(out) if out is not None else root / "report"
    if out.exists() and not (out / MARKER).exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"--out: {out} exists and is not a maxray report; choose another folder")
    tmp = out.with_name(f".{out.name}.partial-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        (tmp / "thumbs").mkdir(parents=True)
        (tmp / "samples").mkdir()
        stats = _collect(root, tmp, progress, max_samples)
        figs = _figures(stats, tmp)
        with Image.open(tmp / "thumbs" / "sample-00000.jpg") as im:
            size = im.size
        (tmp / "index.html").write_text(_page(root, out, stats, figs, size, eager), encoding="utf-8")
        (tmp / MARKER).write_text("written by maxray report\n")
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out / "index.html"
