"""`maxray status DIR`: progress of a dataset directory from its records, whichever engine writes them."""

from __future__ import annotations

import calendar
import json
import time
from pathlib import Path

from maxray_gen.errors import DataError
from maxray_gen.dataset.directory import done_shards


def dataset_status(root: str | Path) -> dict:
    root = Path(root)
    if not (root / "config.yaml").exists():
        raise DataError(f"{root}: not a dataset directory (no config.yaml)")
    from maxray_gen.config import load_config

    cfg = load_config(root / "config.yaml")
    planned = cfg.generate.shards
    done = done_shards(root)
    running = {int(p.name.split("-")[1].split(".")[0]) for p in root.glob(".shard-*.h5.tmp-*")}
    running -= set(done)
    submitted: set[int] = set()
    for rec in (root / ".jobs").glob("*.json") if (root / ".jobs").exists() else []:
        try:
            submitted |= set(json.loads(rec.read_text())["shards"])
        except (OSError, ValueError, KeyError):
            continue
    unfinished = submitted - set(done) - running
    failed = sorted(unfinished) if unfinished and _job_over(root) else []  # one squeue call, not one per shard
    missing = planned - len(done) - len(running) - len(failed)
    samples = sum(r["samples"] for r in done.values())
    times = sorted(calendar.timegm(time.strptime(r["finished_at"], "%Y-%m-%dT%H:%M:%SZ")) for r in done.values())
    rate = 0.0
    if len(times) >= 2 and times[-1] > times[0]:
        rate = (samples - done[min(done, key=lambda k: done[k]["finished_at"])]["samples"]) / (times[-1] - times[0])
    elif len(times) == 1:
        rate = samples / max(list(done.values())[0]["seconds"], 1e-9)
    remaining = (planned - len(done)) * cfg.generate.samples_per_shard
    return {"planned": planned, "done": len(done), "running": len(running), "failed": len(failed),
            "failed_shards": failed, "missing": max(missing, 0), "samples_done": samples, "samples_per_s": rate,
            "eta_s": remaining / rate if rate else float("inf")}


def _job_over(root: Path) -> bool:
    """Whether no SLURM job of this directory is still queued or running (shards of live jobs are not failed)."""
    import shutil
    import subprocess

    jobs = [json.loads(p.read_text()) for p in (root / ".jobs").glob("slurm-*.json")]
    if not jobs or shutil.which("squeue") is None:
        return True
    ids = ",".join(j["job"] for j in jobs)
    proc = subprocess.run(["squeue", "-h", "-j", ids], capture_output=True, text=True)
    return not proc.stdout.strip()
