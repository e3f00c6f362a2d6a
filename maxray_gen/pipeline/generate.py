"""`maxray generate`: shards are the unit of work; idempotent, resumable, atomic.

The output directory's layout, records and manifest are :mod:`maxray_gen.dataset.directory`'s. Running the same
command again skips finished shards; a directory holding shards of another configuration is refused. An executor
runs the shards (:mod:`maxray_gen.pipeline.executors`; one shard: :mod:`maxray_gen.pipeline.shards`).
"""

from __future__ import annotations

import time
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from maxray_gen.config import Config
from maxray_gen.dataset.directory import done_shards, prepare_output, write_manifest
from maxray_gen.dataset.reader import verify_shard
from maxray_gen.dataset.schema import SHARD_PATTERN
from maxray_gen.errors import ConfigError, DataError
from maxray_gen.pipeline.executors import make_executor
from maxray_gen.pipeline.shards import STAGES


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
    runner = make_executor(executor, cfg, farm, len(todo))
    columns = [TextColumn("[bold]generate"), BarColumn(), MofNCompleteColumn(), TextColumn("samples"),
               TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn()]
    with Progress(*columns, disable=not progress, transient=False) as bar:
        task = bar.add_task("samples", total=len(todo) * g.samples_per_shard, rate="")

        def seen(n_samples: int) -> None:
            bar.update(task, completed=n_samples,
                       rate=f"{n_samples / max(time.perf_counter() - t0, 1e-9):.2f}/s")

        res = runner.submit(out, todo, seen) if todo else {"results": [], "farm": None}
    results, farm_result = res["results"], res["farm"]
    if farm_result is not None:
        if farm_result.get("failed") and (farm is None or farm.wait):
            write_manifest(cfg, out)
            raise DataError(f"{out}: shards {farm_result['failed']} still failed after {farm.retries if farm else 2} "
                            f"retries; see {out / 'logs'} and run the same command again to resume")
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
