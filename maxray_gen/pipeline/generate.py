"""`maxray generate`: shards are the unit of work; idempotent, resumable, atomic.

The output directory's layout, records and manifest are :mod:`maxray_gen.dataset.directory`'s. Running the same
command again skips finished shards; a directory holding shards of another configuration is refused. Any engine
can run ``run_shard(cfg, out, shard)`` for its share (see docs/farm.md).
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path



from maxray_gen.config import Config
from maxray_gen.dataset.directory import (  # noqa: F401 (re-exported: the dataset directory's layout and records)
    atomic_write, done_shards, package_versions, prepare_output, split_of, write_manifest)
from maxray_gen.dataset.reader import content_hash
from maxray_gen.dataset.schema import SHARD_PATTERN
from maxray_gen.dataset.writer import write_shard
from maxray_gen.radio.tracer import engine_version
from maxray_gen.errors import ConfigError, DataError

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
             "radar_engine": cfg.trace.engine, "radar_engine_version": engine_version(cfg.trace.engine)}
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


def _shard_process(out: Path, shard: int, threads: int) -> ShardResult:
    """Run one shard in a fresh process: the idempotent shard command any engine can run. A new Blender per shard
    also keeps long runs free of memory creep."""
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "maxray_gen", "generate", str(out / "config.yaml"), "--out", str(out),
           "--shard-ids", str(shard), "--workers", "1", "--no-progress", "--no-previews"]
    if threads:
        cmd += ["--render-threads", str(threads)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise DataError(f"shard {shard} failed in its worker process (exit {proc.returncode}): {tail}")
    rec = json.loads((out / ".done" / f"shard-{shard:05d}.json").read_text())
    return ShardResult(shard, rec["samples"], rec["seconds"], rec["timings"])


def generate(cfg: Config, out: Path, shard_ids: list[int] | None = None, progress: bool = True,
             executor: str = "local", farm=None) -> dict:
    """Generate the missing shards among ``shard_ids`` (default: all); returns a summary with stage timings.

    ``executor``: ``local`` (this machine, ``generate.workers`` processes), ``slurm`` (one job array) or ``ray``
    (one task per shard); ``farm`` holds the engine options (:class:`maxray_gen.pipeline.executors.FarmOptions`).
    """
    g = cfg.generate
    ids = list(range(g.shards)) if shard_ids is None else sorted(set(shard_ids))
    bad = [i for i in ids if i < 0]
    if bad:
        raise ConfigError(f"--shard-ids: shard ids must be >= 0, got {bad}")
    prepare_output(cfg, out)
    write_manifest(cfg, out)
    done = done_shards(out)
    todo = [i for i in ids if i not in done]
    t0 = time.perf_counter()
    results: list[ShardResult] = []
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, \
        TimeRemainingColumn

    columns = [TextColumn("[bold]generate"), BarColumn(), MofNCompleteColumn(), TextColumn("samples"),
               TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn()]
    with Progress(*columns, disable=not progress, transient=False) as bar:
        task = bar.add_task("samples", total=len(todo) * g.samples_per_shard, rate="")

        def tick(n: int = 1) -> None:
            bar.advance(task, n)
            done_n = bar.tasks[0].completed
            bar.update(task, rate=f"{done_n / max(time.perf_counter() - t0, 1e-9):.2f}/s")

        workers = min(g.workers, len(todo)) if todo else 1
        farm_result = None
        if executor != "local" and todo:
            from maxray_gen.pipeline import executors

            opt = farm or executors.FarmOptions()

            def seen(n_done: int) -> None:
                bar.update(task, completed=n_done * g.samples_per_shard,
                           rate=f"{n_done * g.samples_per_shard / max(time.perf_counter() - t0, 1e-9):.2f}/s")

            run = executors.run_slurm if executor == "slurm" else executors.run_ray
            farm_result = run(out, todo, opt, on_progress=seen)
        elif workers <= 1:
            for shard in todo:
                results.append(run_shard(cfg, out, shard, on_sample=tick))
        else:
            threads = max(1, (os.cpu_count() or 1) // workers)
            with ThreadPoolExecutor(workers) as pool:
                futs = [pool.submit(_shard_process, out, s, threads) for s in todo]
                for f in as_completed(futs):
                    r = f.result()
                    results.append(r)
                    tick(r.samples)
    if executor != "local":
        finished = done_shards(out)
        results = [ShardResult(s, finished[s]["samples"], finished[s]["seconds"], finished[s]["timings"])
                   for s in todo if s in finished]
        if farm_result is not None and farm_result.get("failed") and (farm is None or farm.wait):
            write_manifest(cfg, out)
            raise DataError(f"{out}: shards {farm_result['failed']} still failed after {farm.retries if farm else 2} "
                            f"retries; see {out / 'logs'} and run the same command again to resume")
        from maxray_gen.dataset.reader import verify_shard

        for s in results:  # final verify of what the engine produced
            verify_shard(out / SHARD_PATTERN.format(s.shard))
    manifest = write_manifest(cfg, out)
    wall = time.perf_counter() - t0
    stages = dict.fromkeys(STAGES, 0.0)
    for r in results:
        for k, v in r.timings.items():
            stages[k] = stages.get(k, 0.0) + v
    n = sum(r.samples for r in results)
    return {"generated_shards": sorted(r.shard for r in results), "skipped_shards": [i for i in ids if i in done],
            "samples": n, "wall_s": wall, "stages_s": stages, "manifest": manifest,
            "samples_per_s": n / wall if wall > 0 and n else 0.0, "farm": farm_result}


def describe_dataset(cfg: Config, out: Path) -> dict:
    """What a finished dataset carries beside its shards: preview pictures of its first ``generate.previews``
    samples (``OUT/previews/``) and ``OUT/DATASHEET.md``; used by `maxray generate` and `maxray reproduce`."""
    from maxray_gen.dataset.datasheet import write_datasheet
    from maxray_gen.viz.dataset_plots import write_previews

    return {"previews": write_previews(out, cfg.generate.previews), "datasheet": write_datasheet(cfg, Path(out))}
