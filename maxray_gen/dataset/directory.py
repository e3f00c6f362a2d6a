"""A dataset directory: its layout, the finished shards' records, the manifest, the train/validation split and
atomic writes. Layout::

    DIR/config.yaml            the fully resolved configuration (written once)
    DIR/shard-00000.h5 ...     finished shards (written to .shard-*.tmp-PID, verified, renamed)
    DIR/.done/shard-00000.json one record per finished shard (samples, content hash, timings)
    DIR/manifest.json          rebuilt from the records after every run: what is done, config hash, versions
    DIR/previews/*.png         preview pictures of the first samples
    DIR/DATASHEET.md           the datasheet of what was generated

Used by generation (:mod:`maxray_gen.pipeline.generate`), the farm engines, imports and exports.
"""

from __future__ import annotations

import json
import os
from importlib import metadata
from pathlib import Path

import numpy as np
import yaml

from maxray_gen.config import Config
from maxray_gen.dataset.schema import SCHEMA_VERSION
from maxray_gen.errors import ConfigError, DataError


def package_versions() -> dict[str, str]:
    """Versions of the packages that shape a dataset's content (recorded in the manifest and every shard)."""
    out = {}
    for dist in ("maxray-gen", "numpy", "scipy", "finufft", "h5py", "bpy", "mitsuba", "drjit", "sionna-rt"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: readers see the old or the new file."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def prepare_output(cfg: Config, out: Path) -> None:
    """Create ``out`` or check that it belongs to this configuration; remove stale temporary files."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / ".done").mkdir(exist_ok=True)
        probe = out / f".write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise DataError(f"{out}: output directory is not writable ({exc.strerror or exc})") from None
    want = cfg.content_hash()
    manifest = out / "manifest.json"
    if manifest.exists():
        try:
            have = json.loads(manifest.read_text()).get("config_hash")
        except (OSError, ValueError):
            raise DataError(f"{manifest}: unreadable manifest; move it away to regenerate it") from None
        if have != want:
            raise ConfigError(f"{out}: holds shards generated with another configuration (hash {have}, this one "
                              f"{want}); refusing to mix them: use a new --out, or the same configuration and seed")
    cfg_file = out / "config.yaml"
    if not cfg_file.exists():
        atomic_write(cfg_file, yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False))
    for stale in out.glob(".shard-*.tmp-*"):
        stale.unlink(missing_ok=True)


def done_shards(out: Path) -> dict[int, dict]:
    """The records of the finished shards (``DIR/.done/shard-*.json`` whose shard file exists), by shard id."""
    records = {}
    for rec in (out / ".done").glob("shard-*.json"):
        try:
            r = json.loads(rec.read_text())
        except (OSError, ValueError):
            continue
        if (out / r["file"]).exists():
            records[int(r["shard"])] = r
    return records


def write_manifest(cfg: Config, out: Path) -> dict:
    """Rebuild ``DIR/manifest.json`` from the finished shards' records."""
    recs = done_shards(out)
    manifest = {
        "schema_version": SCHEMA_VERSION, "config_hash": cfg.content_hash(), "seed": cfg.generate.seed,
        "shards_planned": cfg.generate.shards, "samples_per_shard": cfg.generate.samples_per_shard,
        "shards": {f"{k:05d}": recs[k] for k in sorted(recs)}, "samples_done": sum(r["samples"] for r in recs.values()),
        "package_versions": package_versions(),
    }
    atomic_write(out / "manifest.json", json.dumps(manifest, indent=2))
    return manifest


def split_of(cfg: Config, n_total: int) -> np.ndarray:
    """Reproducible train (True) / validation (False) assignment of global sample indices."""
    from maxray_gen.seeding import rng_for

    frames = cfg.generate.frames_per_sequence  # whole sequences go to one side: no leakage between frames
    n_seq = -(-n_total // frames)
    perm = rng_for(cfg.generate.seed, "split").permutation(n_seq)
    train = np.zeros(n_seq, dtype=bool)
    train[perm[: int(round(cfg.generate.train_fraction * n_seq))]] = True
    return np.repeat(train, frames)[:n_total]
