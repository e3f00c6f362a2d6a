"""Real data in: CRUW (ROD2021-style) sequences -> our shard schema, with the paper's table-4 preprocessing.

Expected layout, per sequence directory ``SRC/<sequence>/``::

    IMAGES_0/*.jpg|*.png                      camera frames, in frame order
    RADAR_RA_H/<frame:06d>_<chirp:04d>.npy    float32 (128, 128, 2): range x azimuth x (re, im); chirp 0000 used
    labels.txt  (or SRC/<sequence>.txt)       "frame range(m) azimuth(rad) class" per object

Preprocessing (paper, table 4): images linearly downscaled to 640x480; radar magnitude squared, range filtered to
our window (5-30 m) and the periodogram resampled (bilinear in range and sin(azimuth)) onto our range-azimuth grid;
CRUW covers 0.64-27.7 m, so bins beyond it are zero. Depth and instance ids do not exist for real data: depth is
NaN, instance ids 0, lidar empty; boxes are NaN (CRUW labels are radar-frame points).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import yaml

from maxray_gen.config import Config
from maxray_gen.dataset.exports import CRUW_AZIMUTH, CRUW_RANGE
from maxray_gen.dataset.reader import content_hash
from maxray_gen.dataset.schema import CLASSES, LIDAR_DTYPE, SHARD_PATTERN, Sample, empty_objects
from maxray_gen.dataset.writer import write_shard
from maxray_gen.errors import DataError
from maxray_gen.radar import coordinates as rgt


def _sequences(src: Path) -> list[Path]:
    if not src.is_dir():
        raise DataError(f"{src}: not a directory of CRUW sequences")
    seqs = sorted(p for p in src.iterdir() if (p / "RADAR_RA_H").is_dir() and (p / "IMAGES_0").is_dir())
    if not seqs:
        raise DataError(f"{src}: no CRUW sequence found (a folder with IMAGES_0/ and RADAR_RA_H/)")
    return seqs


def _labels(seq: Path) -> dict[int, list[tuple[float, float, str]]]:
    for f in (seq / "labels.txt", seq.parent / f"{seq.name}.txt"):
        if f.exists():
            out: dict[int, list] = {}
            for n, line in enumerate(f.read_text().splitlines(), 1):
                parts = line.split()
                if not parts:
                    continue
                try:
                    frame, r, az, cls = int(parts[0]), float(parts[1]), float(parts[2]), parts[3]
                except (ValueError, IndexError):
                    raise DataError(f"{f}:{n}: expected 'frame range azimuth class', got {line!r}") from None
                out.setdefault(frame, []).append((r, az, cls))
            return out
    raise DataError(f"{seq}: no labels.txt (or {seq.name}.txt next to it)")


def resample_from_cruw(power: np.ndarray, cfg: Config) -> np.ndarray:
    """CRUW (128 x 128) power map -> our (range, azimuth) grid; zero outside CRUW's coverage."""
    from scipy.interpolate import RegularGridInterpolator

    f = RegularGridInterpolator((CRUW_RANGE, np.sin(CRUW_AZIMUTH)), power, bounds_error=False, fill_value=0.0)
    rr, uu = np.meshgrid(cfg.radar.range_axis_m, np.sin(cfg.radar.azimuth_axis_rad), indexing="ij")
    return f(np.stack([rr, uu], axis=-1)).astype(np.float32)


def _image(path: Path, width: int, height: int) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB").resize((width, height), Image.BILINEAR), dtype=np.uint8)


def import_cruw(src: str | Path, out: str | Path, samples_per_shard: int = 100) -> int:
    """Convert every sequence under ``src`` into shards in ``out``; returns the number of samples."""
    src, out = Path(src), Path(out)
    cfg = Config()
    w, h = 640, 480
    frames = []
    for seq in _sequences(src):
        labels = _labels(seq)
        images = sorted([*seq.glob("IMAGES_0/*.jpg"), *seq.glob("IMAGES_0/*.png")])
        seq_index = len({f[0] for f in frames})
        for k, img in enumerate(images):
            radar = seq / "RADAR_RA_H" / f"{k:06d}_0000.npy"
            if not radar.exists():
                raise DataError(f"{radar}: missing radar frame for image {img.name}")
            frames.append((seq.name, k, img, radar, labels.get(k, []), seq_index))
    n_shards = math.ceil(len(frames) / samples_per_shard)
    d = cfg.model_dump(mode="json")
    d["generate"].update(shards=n_shards, samples_per_shard=samples_per_shard, previews=0)
    cfg = Config.model_validate(d)
    from maxray_gen.dataset.directory import atomic_write, prepare_output, write_manifest

    prepare_output(cfg, out)
    for shard in range(n_shards):
        samples = []
        for g, (seq, k, img, radar, objs, seq_index) in enumerate(frames[shard * samples_per_shard:(shard + 1) * samples_per_shard]):
            ra = np.load(radar, allow_pickle=False)
            if ra.shape != (128, 128, 2):
                raise DataError(f"{radar}: expected a (128, 128, 2) RA frame, got {ra.shape}")
            power = ra[..., 0].astype(np.float64) ** 2 + ra[..., 1].astype(np.float64) ** 2
            table = empty_objects(len(objs))
            for row, (r, az, cls) in zip(table, objs):
                row["class_id"] = CLASSES.index(cls) if cls in CLASSES else -1
                row["centre"] = (r * math.sin(az), 0.0, r * math.cos(az))
                row["dimensions"], row["velocity"] = np.nan, np.nan
                row["range_m"], row["azimuth_rad"], row["heatmap_azimuth_rad"] = r, az, az
                row["range_bin"] = rgt.range_to_bin(r, cfg.radar)
                row["azimuth_bin"] = rgt.azimuth_to_bin(az, cfg.radar)
                row["in_radar_view"] = cfg.radar.range_min_m <= r <= cfg.radar.range_max_m and \
                    abs(az) <= math.radians(cfg.radar.azimuth_fov_deg)
                row["nearest_range_m"], row["radial_velocity_mps"] = r, np.nan
                row["visible_box"] = row["amodal_box"] = np.nan
            table["instance_id"] = 100 + np.arange(len(table))
            table["track_id"] = -1  # CRUW labels carry no identities across frames
            table["camera_visibility"] = np.nan  # real camera frames: unknown, counts as seen
            in_view = np.flatnonzero(table["in_radar_view"])
            samples.append(Sample(
                rgb=_image(img, w, h), depth=np.full((h, w), np.nan, np.float32), instance=np.zeros((h, w), np.int32),
                heatmaps={"range_azimuth": resample_from_cruw(power, cfg)}, objects=table,
                lidar=np.zeros(0, LIDAR_DTYPE), target=int(in_view[0]) if len(in_view) else -1,
                params={"source": "cruw", "sequence": seq, "frame": k, "image": img.name,
                        "global_index": shard * samples_per_shard + g},
                sequence=seq_index, frame=k, time_s=k / 30.0))  # CRUW is recorded at 30 frames/s
        r = cfg.radar
        axes = {"range_m": r.range_axis_m, "azimuth_rad": r.azimuth_axis_rad, "velocity_mps": r.doppler_axis_mps}
        path = out / SHARD_PATTERN.format(shard)
        t0 = time.perf_counter()
        write_shard(path, samples, axes, {"config_hash": cfg.content_hash(), "seed": 0, "shard": shard,
                                          "first_index": shard * samples_per_shard, "source": "cruw",
                                          "config": json.dumps(cfg.model_dump(mode="json"), sort_keys=True),
                                          "package_versions": "{}"})
        rec = {"shard": shard, "file": path.name, "samples": len(samples), "content_hash": content_hash(path),
               "seconds": round(time.perf_counter() - t0, 3), "timings": {}, "source": "cruw",
               "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        atomic_write(out / ".done" / f"shard-{shard:05d}.json", json.dumps(rec, indent=2))
    write_manifest(cfg, out)
    atomic_write(out / "config.yaml", yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False))
    return len(frames)
