"""Where shards run, behind one interface (:class:`Executor`: ``submit(out, shards, progress)``): in this process
(:class:`InlineExecutor`), in local processes (:class:`LocalExecutor`), as a SLURM job array or as Ray tasks
(:class:`FarmExecutor`). All but the first run the one idempotent shard
command (:func:`maxray_gen.pipeline.shards.shard_command`)

    python -m maxray_gen generate DIR/config.yaml --out DIR --shard-ids K --workers 1 --no-progress --no-previews

Engines only decide where that command runs. A shard is done when its record exists in DIR/.done/; whatever
failed, was pre-empted or killed is simply missing and gets resubmitted (up to ``retries`` rounds), so no shard is
ever duplicated or half-written (the shard command writes atomically).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from maxray_gen.config import Config
from maxray_gen.dataset.directory import done_shards
from maxray_gen.errors import ConfigError, DependencyError, MaxrayError
from maxray_gen.pipeline.shards import ShardResult, run_shard, shard_command, shard_process

Progress = Callable[[int], None]  # samples finished so far (of the shards submitted)

# Ray's head otherwise probes cloud metadata addresses and a usage-stats host even with usage stats disabled
# (shared/reference/farm_engines.md, checked with strace there): keep every local cluster on loopback.
RAY_LOOPBACK_ENV = {
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "RAY_USAGE_STATS_REPORT_URL": "http://127.0.0.1:9/",
    "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9", "no_proxy": "127.0.0.1,localhost",
}


@dataclass(frozen=True)
class FarmOptions:
    partition: str | None = None
    account: str | None = None
    time_limit: str = "04:00:00"
    cpus_per_task: int = 2
    gpus_per_task: int = 0
    array_parallelism: int | None = None
    retries: int = 2
    shards_per_task: int = 1  # several shards per process amortise its start-up (Blender, kernel compilation)
    ray_address: str | None = None
    wait: bool = True
    dry_run: bool = False
    poll_s: float = 0.5


def done_ids(out: Path) -> set[int]:
    return set(done_shards(out))


# ---------------------------------------------------------------------------------------------------- SLURM
def groups(shard_ids: list[int], per_task: int) -> list[str]:
    """Shard ids in comma-separated groups of ``per_task`` (one group per array task / Ray task)."""
    return [",".join(str(s) for s in shard_ids[i:i + per_task]) for i in range(0, len(shard_ids), per_task)]


def slurm_script(out: Path, shard_ids: list[int], opt: FarmOptions) -> str:
    """An ``sbatch --array`` script: array task i runs the i-th group of shards (inspect it with --dry-run)."""
    tasks = groups(shard_ids, opt.shards_per_task)
    n = len(tasks)
    array = f"0-{n - 1}" + (f"%{opt.array_parallelism}" if opt.array_parallelism else "")
    lines = ["#!/bin/bash", "#SBATCH --job-name=maxray-generate", f"#SBATCH --array={array}",
             f"#SBATCH --cpus-per-task={opt.cpus_per_task}", f"#SBATCH --time={opt.time_limit}",
             f"#SBATCH --output={out.resolve()}/logs/slurm-%A_%a.log", "#SBATCH --open-mode=append"]
    if opt.partition:
        lines.append(f"#SBATCH --partition={opt.partition}")
    if opt.account:
        lines.append(f"#SBATCH --account={opt.account}")
    if opt.gpus_per_task:
        lines.append(f"#SBATCH --gres=gpu:{opt.gpus_per_task}")  # Slurm sets CUDA_VISIBLE_DEVICES per task
    ids = " ".join(tasks)
    cmd = " ".join(shlex.quote(c) for c in shard_command(out.resolve(), "$SHARD", opt.cpus_per_task))
    cmd = cmd.replace("'$SHARD'", '"$SHARD"')
    lines += ["set -euo pipefail", f"SHARDS=({ids})", 'SHARD=${SHARDS[$SLURM_ARRAY_TASK_ID]}',
              'echo "maxray shard $SHARD on $(hostname) (CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-none})"',
              f"exec {cmd}", ""]
    return "\n".join(lines)


def _sbatch(script: Path) -> str:
    if shutil.which("sbatch") is None:
        raise DependencyError("--executor slurm: 'sbatch' is not on PATH; run on a SLURM login node (or install "
                              "slurm-wlm), or use --executor local / ray")
    proc = subprocess.run(["sbatch", "--parsable", str(script)], capture_output=True, text=True)
    if proc.returncode != 0:
        msg = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise ConfigError(f"--executor slurm: sbatch refused the job: {msg}")
    return proc.stdout.strip().split(";")[0]


def _slurm_active(job_id: str) -> bool:
    proc = subprocess.run(["squeue", "-h", "-j", job_id], capture_output=True, text=True)
    return bool(proc.stdout.strip())


def run_slurm(out: Path, todo: list[int], opt: FarmOptions, on_progress=None) -> dict:
    """Submit the missing shards as one job array; with ``wait``, monitor and resubmit failures."""
    (out / "slurm").mkdir(exist_ok=True)
    (out / "logs").mkdir(exist_ok=True)
    jobs = []
    for attempt in range(opt.retries + 1):
        missing = sorted(set(todo) - done_ids(out))
        if not missing:
            break
        script = out / "slurm" / f"array-{time.strftime('%Y%m%d-%H%M%S')}-try{attempt}.sbatch"
        script.write_text(slurm_script(out, missing, opt))
        if opt.dry_run:
            return {"script": str(script), "text": script.read_text(), "jobs": []}
        job = _sbatch(script)
        jobs.append({"job_id": job, "shards": missing, "attempt": attempt})
        _record_submission(out, "slurm", job, missing)
        if not opt.wait:
            return {"jobs": jobs, "script": str(script)}
        while _slurm_active(job):
            if on_progress:
                on_progress(len(done_ids(out) & set(todo)))
            time.sleep(opt.poll_s)
        if on_progress:
            on_progress(len(done_ids(out) & set(todo)))
    failed = sorted(set(todo) - done_ids(out))
    return {"jobs": jobs, "failed": failed}


def _record_submission(out: Path, engine: str, job: str, shards: list[int]) -> None:
    d = out / ".jobs"
    d.mkdir(exist_ok=True)
    rec = {"engine": engine, "job": job, "shards": shards, "submitted_at": time.time()}
    (d / f"{engine}-{job}.json").write_text(json.dumps(rec))


# ---------------------------------------------------------------------------------------------------- Ray
def _check_address(address: str) -> None:
    if address in ("auto", "local"):
        return
    hostport = address.split("://")[-1]
    host, _, port = hostport.rpartition(":")
    try:
        with socket.create_connection((host or hostport, int(port or 6379)), timeout=3):
            pass
    except (OSError, ValueError):
        raise MaxrayError(f"--ray-address {address}: no Ray cluster answers there (cannot connect to "
                          f"{host or hostport}:{port or 6379}); start one with `ray start --head` or fix the address")


def run_ray(out: Path, todo: list[int], opt: FarmOptions, on_progress=None) -> dict:
    """One Ray task per shard (``num_cpus``/``num_gpus``, ``max_retries``), locally or on an existing cluster."""
    if opt.ray_address:
        _check_address(opt.ray_address)
    else:
        os.environ.update(RAY_LOOPBACK_ENV)
    try:
        import ray
    except ImportError:
        raise DependencyError("--executor ray: Ray is not installed; pip install 'maxray-gen[farm]'") from None
    started_here = not ray.is_initialized()
    if started_here:
        kwargs = dict(address=opt.ray_address, ignore_reinit_error=True, log_to_driver=False,
                      include_dashboard=False) if opt.ray_address else dict(
            num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
        ray.init(**kwargs)
    try:
        task = ray.remote(_ray_shard).options(num_cpus=opt.cpus_per_task, num_gpus=opt.gpus_per_task,
                                               max_retries=opt.retries, retry_exceptions=True)
        for attempt in range(opt.retries + 1):
            missing = sorted(set(todo) - done_ids(out))
            if not missing:
                break
            refs = {task.remote(str(out), grp, opt.cpus_per_task): grp for grp in groups(missing, opt.shards_per_task)}
            pending = list(refs)
            while pending:
                ready, pending = ray.wait(pending, num_returns=1, timeout=opt.poll_s)
                for r in ready:
                    try:
                        ray.get(r)
                    except Exception:  # noqa: BLE001 - a failed shard is resubmitted in the next round
                        pass
                if on_progress:
                    on_progress(len(done_ids(out) & set(todo)))
    finally:
        if started_here:
            ray.shutdown()
    return {"failed": sorted(set(todo) - done_ids(out))}


def _ray_shard(out: str, shard: str, threads: int) -> str:
    """Runs inside a Ray worker: the shard command (one or more shard ids) as a child process."""
    proc = subprocess.run(shard_command(Path(out), shard, threads), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"shard {shard} exited with {proc.returncode}: "
                           f"{(proc.stderr.strip().splitlines() or [''])[-1]}")
    return shard


# ---------------------------------------------------------------------------------------------- the interface
class Executor(Protocol):
    """Runs shards somewhere. ``submit`` returns when they are done (or, for a farm without ``wait``, submitted):
    ``{"results": [ShardResult of the shards it finished], "farm": the engine's own record or None}``;
    ``progress(n)`` is called with the samples finished so far."""

    name: str

    def submit(self, out: Path, shards: list[int], progress: Progress) -> dict: ...


def _from_records(out: Path, shards: list[int]) -> list[ShardResult]:
    finished = done_shards(out)
    return [ShardResult(s, finished[s]["samples"], finished[s]["seconds"], finished[s]["timings"])
            for s in shards if s in finished]


@dataclass
class InlineExecutor:
    """Shards one after the other in this process (one Blender session, kernels compiled once)."""

    cfg: Config
    name: str = "inline"

    def submit(self, out: Path, shards: list[int], progress: Progress) -> dict:
        results, n = [], 0

        def tick() -> None:
            nonlocal n
            n += 1
            progress(n)

        for shard in shards:
            results.append(run_shard(self.cfg, out, shard, on_sample=tick))
        return {"results": results, "farm": None}


@dataclass
class LocalExecutor:
    """``workers`` shard processes at a time on this machine, the cores shared between them."""

    workers: int
    name: str = "local"

    def submit(self, out: Path, shards: list[int], progress: Progress) -> dict:
        threads = max(1, (os.cpu_count() or 1) // self.workers)
        results, n = [], 0
        with ThreadPoolExecutor(self.workers) as pool:
            for f in as_completed([pool.submit(shard_process, out, s, threads) for s in shards]):
                r = f.result()
                results.append(r)
                n += r.samples
                progress(n)
        return {"results": results, "farm": None}


@dataclass
class FarmExecutor:
    """A farm engine (``slurm``: one job array of the shard command, resubmitting failures, :func:`run_slurm`;
    ``ray``: one task per shard group, locally or on an existing cluster, :func:`run_ray`)."""

    name: str
    opt: FarmOptions
    samples_per_shard: int

    def submit(self, out: Path, shards: list[int], progress: Progress) -> dict:
        run = run_slurm if self.name == "slurm" else run_ray
        farm = run(out, shards, self.opt, on_progress=lambda k: progress(k * self.samples_per_shard))
        return {"results": _from_records(out, shards), "farm": farm}


def make_executor(name: str, cfg: Config, farm: FarmOptions | None, n_shards: int) -> Executor:
    """The executor ``maxray generate --executor NAME`` uses: ``local`` runs inline with one worker (or one shard),
    else ``generate.workers`` processes; ``slurm`` and ``ray`` take ``farm``'s options."""
    if name in ("slurm", "ray"):
        return FarmExecutor(name, farm or FarmOptions(), cfg.generate.samples_per_shard)
    if name != "local":
        raise ConfigError(f"--executor: unknown executor {name!r} (local, slurm, ray)")
    workers = min(cfg.generate.workers, n_shards) if n_shards else 1
    return InlineExecutor(cfg) if workers <= 1 else LocalExecutor(workers)
