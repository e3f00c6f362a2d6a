"""Dataset-level reading: list shards, summary statistics, previews, datasheet."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np

from maxray_gen.dataset.reader import ShardReader, verify_shard
from maxray_gen.dataset.schema import CLASS_PLURALS
from maxray_gen.errors import DataError


def shard_paths(root: str | Path) -> list[Path]:
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: not a dataset directory")
    paths = sorted(root.glob("shard-*.h5"))
    if not paths:
        raise DataError(f"{root}: holds no shards (shard-*.h5)")
    return paths


def require_radar_truth(root: str | Path) -> None:
    """A clear error when a shard of the dataset predates the per-object radar truth (schema 4: footprints, echo
    centroids), which the radar-view metrics need."""
    from maxray_gen.dataset.reader import open_shard

    for p in shard_paths(root):
        with open_shard(p) as h5:
            version = int(h5.attrs["schema_version"])
        if version < 4:
            raise DataError(f"{p}: schema version {version} has no per-object radar truth (footprints, echo "
                            "centroids; schema 4), which the metrics need: regenerate it with `maxray generate`")


def locate(root: str | Path, index: int) -> tuple[ShardReader, int]:
    """The shard reader and local index of the dataset's sample number ``index`` (in shard order)."""
    n = 0
    for p in shard_paths(root):
        r = ShardReader(p)
        if index < n + len(r):
            return r, index - n
        n += len(r)
    raise DataError(f"{root}: sample index {index} out of range (dataset has {n} samples)")


def summary(root: str | Path) -> dict:
    lighting, weather, cars = Counter(), Counter(), []
    from maxray_gen.radar.config import RadarConfig
    from maxray_gen.radar.echoes import car_echoes, echo_summary
    from maxray_gen.radar.object_echoes import polar_xy

    ranges, azimuths, dims, size, n, echoes = [], [], [], 0, 0, []
    offsets, in_view = [], 0  # radar truth: echo centroid to centre distances of the cars in view
    others: Counter = Counter()  # people, cyclists, drones
    paths = shard_paths(root)
    engines = set()
    for p in paths:
        size += p.stat().st_size
        r = ShardReader(p)
        radar_cfg = RadarConfig(**r.config["radar"]) if "radar" in r.config else None
        engines.add(str(r.attrs.get("radar_engine_version", "sionna-rt (before the engine was recorded)")))
        axes = r.axes
        for i in range(len(r)):
            s = r.sample(i, fields=("objects", "params", "range_azimuth"))
            if radar_cfg is not None and "range_azimuth" in s:
                echoes += car_echoes(s["range_azimuth"], axes["range_m"], axes["azimuth_rad"], s["objects"], radar_cfg)
            prm = s["params"]
            lighting[prm.get("lighting", {}).get("kind", "?")] += 1
            weather[prm.get("weather", {}).get("kind", "?")] += 1
            every = s["objects"]
            o = every[every["class_id"] == 0]  # the car statistics (people, cyclists, drones counted apart)
            cars.append(len(o))
            for k in np.unique(every["class_id"][every["class_id"] != 0]):
                others[CLASS_PLURALS[int(k)]] += int((every["class_id"] == k).sum())
            ranges += o["range_m"][o["in_radar_view"]].tolist()
            azimuths += np.degrees(o["heatmap_azimuth_rad"][o["in_radar_view"]]).tolist()
            dims.append(o["dimensions"])
            v = o[o["in_radar_view"]]
            in_view += len(v)
            has = np.isfinite(v["echo_power"])
            if has.any():
                centre = polar_xy(v["range_m"], v["heatmap_azimuth_rad"])[has]
                offsets += np.hypot(*(v["echo_centroid_xy"][has] - centre).T).tolist()
            n += 1
        r.close()
    d = np.concatenate(dims) if dims else np.zeros((0, 3))
    return {"shards": len(paths), "samples": n, "size_mb": size / 1e6, "lighting": dict(lighting),
            "weather": dict(weather), "cars_per_sample": (float(np.mean(cars)), int(np.min(cars)), int(np.max(cars))),
            "cars": int(np.sum(cars)), **({"other objects": dict(others)} if others else {}), "range_m": (float(np.min(ranges)), float(np.max(ranges))) if ranges else None,
            "azimuth_deg": (float(np.min(azimuths)), float(np.max(azimuths))) if azimuths else None,
            "car_length_m": (float(d[:, 0].mean()), float(d[:, 0].std())) if len(d) else None,
            "radar_engine": ", ".join(describe_engine(e) for e in sorted(engines)),
            "car_echoes (>= 50% visible)": echo_summary(echoes),
            "radar_truth": (f"{len(offsets)} of {in_view} cars in view have an echo; its centroid is a median "
                            f"{np.median(offsets):.2f} m from the car's centre (p90 {np.percentile(offsets, 90):.2f} m)"
                            if offsets else "not recorded (shards before schema 4)" if in_view else "no car in view")}


def verify_dataset(root: str | Path) -> tuple[int, list[str]]:
    """Verify every shard (checksums, counts, NaNs) and the manifest's content hashes; (samples, problems)."""
    from maxray_gen.dataset.reader import content_hash

    root = Path(root)
    problems, n = [], 0
    manifest = {}
    if (root / "manifest.json").exists():
        manifest = json.loads((root / "manifest.json").read_text()).get("shards", {})
    for p in shard_paths(root):
        try:
            n += verify_shard(p)
            rec = manifest.get(p.stem.split("-")[1])
            if rec is not None and rec.get("content_hash") != content_hash(p):
                problems.append(f"{p.name}: content differs from the manifest's hash (modified after writing)")
        except DataError as exc:
            problems.append(str(exc))
    return n, problems


def describe_engine(version: str) -> str:
    """A recorded radar engine version with what it means (SBR versions: how their PO integral was evaluated)."""
    from maxray_gen.radio.sbr.engine import ENGINE_HISTORY

    return f"{version} ({ENGINE_HISTORY[version]})" if version in ENGINE_HISTORY else version
