"""One shard: make its samples, write and record it (:func:`run_shard`), here or in a fresh process
(:func:`shard_process`, the command every engine runs). Shards are the unit of work; a shard id always holds the
same samples."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from maxray_gen.config import Config
from maxray_gen.dataset.directory import atomic_write, package_versions
from maxray_gen.dataset.reader import content_hash
from maxray_gen.dataset.schema import SHARD_PATTERN
from maxray_gen.dataset.writer import write_shard
from maxray_gen.errors import DataError
from maxray_gen.radio.tracer import engine_version

STAGES = ("layout", "realise", "render", "passes_boxes", "lidar", "trace", "radar", "write")


@dataclass
class ShardResult:
    shard: int
    samples: int
    seconds: float
    timings: dict[str, float]


_MAKER = None


def _maker(cfg: Config):
    global _MAKER
    if _MAKER is None or _MAKER.cfg.model_dump_json() != cfg.model_dump_json():
        from maxray_gen.pipeline.sample import SampleMaker

        _MAKER = SampleMaker(cfg)
    return _MAKER


def run_shard(cfg: Config, out: Path, shard: int, on_sample=None) -> ShardResult:
    """Generate, write and record one shard (idempotent: the same shard id always holds the same samples)."""
    t_start = time.perf_counter()
    maker = _maker(cfg)
    g = cfg.generate
    samples, timings = [], dict.fromkeys(STAGES, 0.0)
    for i in range(g.samples_per_shard):
        s = maker.make(shard * g.samples_per_shard + i)
        samples.append(s)
        for k, v in s.timings.items():
            timings[k] = timings.get(k, 0.0) + v
        if on_sample:
            on_sample()
    r = cfg.radar
    axes = {"range_m": r.range_axis_m, "azimuth_rad": r.azimuth_axis_rad, "velocity_mps": r.doppler_axis_mps}
    attrs = {"config_hash": cfg.content_hash(), "seed": g.seed, "shard": shard,
             "first_index": shard * g.samples_per_shard, "package_versions": json.dumps(package_versions()),
             "config": json.dumps(cfg.model_dump(mode="json"), sort_keys=True),
             "radar_engine": cfg.trace.engine, "radar_engine_version": engine_version(cfg.trace)}
    t0 = time.perf_counter()
    path = out / SHARD_PATTERN.format(shard)
    write_shard(path, samples, axes, attrs, g.compress_training_data)
    timings["write"] = time.perf_counter() - t0
    seconds = time.perf_counter() - t_start
    record = {"shard": shard, "file": path.name, "samples": len(samples), "content_hash": content_hash(path),
              "seconds": round(seconds, 3), "timings": {k: round(v, 4) for k, v in timings.items()},
              "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    atomic_write(out / ".done" / f"shard-{shard:05d}.json", json.dumps(record, indent=2))
    return ShardResult(shard, len(samples), seconds, timings)


def shard_command(out: Path, shard: str | int, threads: int | None = None) -> list[str]:
    """The idempotent shard command every engine runs (one shard id, or several comma-separated)."""
    cmd = [sys.executable, "-m", "maxray_gen", "generate", str(out / "config.yaml"), "--out", str(out),
           "--shard-ids", str(shard), "--workers", "1", "--no-progress", "--no-previews"]
    if threads:
        cmd += ["--render-threads", str(threads)]
    return cmd


def shard_process(out: Path, shard: int, threads: int) -> ShardResult:
    """Run one shard in a fresh process: the idempotent shard command any engine can run. A new Blender per shard
    also keeps long runs free of memory creep."""
    proc = subprocess.run(shard_command(out, shard, threads), capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise DataError(f"shard {shard} failed in its worker process (exit {proc.returncode}): {tail}")
    rec = json.loads((out / ".done" / f"shard-{shard:05d}.json").read_text())
    return ShardResult(shard, rec["samples"], rec["seconds"], rec["timings"])
