"""Benchmark: per-shard overhead of each engine against the local executor on the same tiny dataset.

Runs the same configuration through ``--executor local`` (in one process), local per-shard processes
(``--workers 2``), a single-node SLURM cluster (if ``sbatch`` answers) and a local Ray cluster, and prints wall
time per shard and the overhead relative to the shard processes' own work (from the shards' timing records).

    python benchmarks/farm.py [--shards 4] [--samples-per-shard 4] [--width 320]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(args: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "maxray_gen", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return time.perf_counter() - t0


def work_seconds(out: Path) -> float:
    return sum(json.loads(p.read_text())["seconds"] for p in (out / ".done").glob("*.json"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--samples-per-shard", type=int, default=4)
    ap.add_argument("--width", type=int, default=320)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    cfg = tmp / "cfg.yaml"
    cfg.write_text(f"""generate: {{seed: 1, shards: {a.shards}, samples_per_shard: {a.samples_per_shard}, previews: 0}}
camera: {{width: {a.width}, height: {a.width * 3 // 4}}}
render: {{samples: 4}}
trace: {{samples_per_src: 200000}}
""")
    common = ["generate", str(cfg), "--no-progress", "--no-previews"]
    rows = []
    t = run([*common, "--out", str(tmp / "local")])
    rows.append(("local, one process", t, work_seconds(tmp / "local")))
    t = run([*common, "--out", str(tmp / "procs"), "--workers", "2"])
    rows.append(("local, 2 shard processes", t, work_seconds(tmp / "procs")))
    if shutil.which("sbatch") and subprocess.run(["sinfo"], capture_output=True).returncode == 0:
        t = run([*common, "--out", str(tmp / "slurm"), "--executor", "slurm", "--cpus-per-task", "1"])
        rows.append(("slurm job array (1 CPU per task)", t, work_seconds(tmp / "slurm")))
        t = run([*common, "--out", str(tmp / "slurm2"), "--executor", "slurm", "--cpus-per-task", "1",
                 "--shards-per-task", "2"])
        rows.append(("slurm job array, 2 shards per task", t, work_seconds(tmp / "slurm2")))
    t = run([*common, "--out", str(tmp / "ray"), "--executor", "ray", "--cpus-per-task", "1"])
    rows.append(("ray tasks (1 CPU per task, incl. cluster start)", t, work_seconds(tmp / "ray")))
    t = run([*common, "--out", str(tmp / "ray2"), "--executor", "ray", "--cpus-per-task", "1",
             "--shards-per-task", "2"])
    rows.append(("ray tasks, 2 shards per task", t, work_seconds(tmp / "ray2")))
    ref = rows[1][1]  # the same parallelism (2 concurrent shard processes) on the local executor
    print(f"{a.shards} shards x {a.samples_per_shard} samples at {a.width}x{a.width * 3 // 4}")
    print(f"{'engine':50s} {'wall s':>8s} {'s/shard':>8s} {'vs local 2 procs':>17s} {'sum of shard times s':>21s}")
    for name, wall, work in rows:
        print(f"{name:50s} {wall:8.1f} {wall / a.shards:8.2f} {100 * (wall / ref - 1):+16.1f}% {work:21.1f}")
    per_process = (rows[1][2] - rows[0][2]) / a.shards
    print(f"a fresh process per shard costs {per_process:.1f} s (interpreter, bpy, Dr.Jit kernel compilation): "
          f"{100 * per_process / (rows[0][2] / a.shards):.0f}% of this shard's work")


if __name__ == "__main__":
    main()
