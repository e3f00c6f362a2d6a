"""Farm engines for real: a single-node SLURM cluster (Debian slurm-wlm + munge) and a local Ray cluster."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("bpy")

from maxray_gen.cli import main  # noqa: E402
from maxray_gen.pipeline.executors import RAY_LOOPBACK_ENV  # noqa: E402
from tests.conftest import dataset_arrays, same_but_rendered  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HAVE_SLURM = shutil.which("slurmctld") is not None and os.geteuid() == 0


@pytest.fixture(scope="module")
def slurm():
    if not HAVE_SLURM:
        pytest.skip("needs root and Debian's slurm-wlm (scripts/setup.sh --dev installs it)")
    subprocess.run(["bash", str(ROOT / "scripts" / "slurm_up.sh")], check=True, capture_output=True)
    yield
    subprocess.run(["bash", str(ROOT / "scripts" / "slurm_down.sh")], capture_output=True)


def assert_same_dataset(a_dir: Path, b_dir: Path) -> None:
    a, b = dataset_arrays(a_dir), dataset_arrays(b_dir)
    assert a.keys() == b.keys()
    for k in a:
        if not k.endswith("/rgb") and a[k].dtype.kind != "O":
            assert same_but_rendered(a[k], b[k]), k
    assert len(list((a_dir / ".done").glob("*.json"))) == len(list(b_dir.glob("shard-*.h5")))


def cli(*args, env=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "maxray_gen", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def run_killing_one_shard(args: list[str], shard_pattern: str) -> subprocess.CompletedProcess:
    """Run ``maxray`` with ``args`` while SIGKILLing the process of one of its shards once."""
    proc = subprocess.Popen([sys.executable, "-m", "maxray_gen", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        killed = kill_shard_once(shard_pattern)
    finally:
        # Generous: the Ray run (cluster start, three shard attempts) took 118 s under 2 busy processes and 394 s
        # with a dataset generation running beside them on the same 2 cores (2026-12-03).
        stdout, stderr = proc.communicate(timeout=1500)
    assert killed, f"no live process matching {shard_pattern!r} was killed: the test tested nothing\n{stderr[-3000:]}"
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def kill_shard_once(pattern: str, deadline_s: float = 300) -> bool:
    """SIGKILL the process whose command line contains ``pattern`` (a shard worker) once, shortly after it is seen.
    True only if a live process was killed (a kill that finds the shard already finished tests nothing)."""
    t_end = time.time() + deadline_s
    while time.time() < t_end:
        proc = subprocess.run(["pgrep", "-f", "--", pattern], capture_output=True, text=True)
        pids = [int(p) for p in proc.stdout.split() if int(p) != os.getpid()]
        if pids:
            time.sleep(0.5)  # into its imports/work: a shard takes several seconds, its imports alone >1 s
            hit = False
            for p in pids:
                try:
                    os.kill(p, signal.SIGKILL)
                    hit = True
                except ProcessLookupError:  # it finished: look for the next attempt, or fail at the deadline
                    pass
            if hit:
                return True
        time.sleep(0.05)
    return False


def wait_until(condition, timeout_s: float, what: str) -> None:
    """Poll ``condition`` until it is true; fail naming ``what`` after ``timeout_s`` (a readiness check, no sleeps)."""
    t_end = time.time() + timeout_s
    while not condition():
        if time.time() > t_end:
            pytest.fail(f"{what}: not within {timeout_s:.0f} s")
        time.sleep(0.2)


def test_slurm_dataset_equals_local_and_status(slurm, tiny, tmp_path):
    cfg, local = tiny
    out = tmp_path / "slurm"
    res = cli("generate", str(cfg), "--out", str(out), "--executor", "slurm", "--cpus-per-task", "1",
              "--no-wait")
    assert res.returncode == 0, res.stderr
    during = cli("status", str(out))
    assert "shards done" in during.stdout and ("running" in during.stdout or "missing" in during.stdout)
    wait_until(lambda: len(list((out / ".done").glob("*.json"))) == 2, 600, "both SLURM shards done")
    wait_until(lambda: not subprocess.run(["squeue", "-h"], capture_output=True, text=True).stdout.strip(), 120,
               "the SLURM queue empty after the shards finished")
    after = cli("status", str(out))
    assert "2/2 shards done, 0 running, 0 failed, 0 missing; 4 samples" in after.stdout, after.stdout
    assert_same_dataset(out, local)
    assert cli("verify", str(out)).returncode == 0
    logs = list((out / "logs").glob("slurm-*.log"))
    assert len(logs) == 2 and all("maxray shard" in p.read_text() for p in logs)


def test_slurm_killed_task_is_resubmitted(slurm, tiny, tmp_path):
    cfg, local = tiny
    out = tmp_path / "killed"
    res = run_killing_one_shard(["generate", str(cfg), "--out", str(out), "--executor", "slurm", "--cpus-per-task",
                                 "1", "--retries", "2", "--no-progress"], f"--out {out} --shard-ids 1")
    assert res.returncode == 0, res.stderr
    jobs = [json.loads(p.read_text()) for p in (out / ".jobs").glob("slurm-*.json")]
    assert sorted(len(j["shards"]) for j in jobs) == [1, 2]  # the first array, then shard 1 again
    assert sorted(p.name for p in out.glob("shard-*.h5")) == ["shard-00000.h5", "shard-00001.h5"]
    assert not list(out.glob(".shard-*"))
    assert_same_dataset(out, local)


def test_interrupted_submission_resumes_only_missing_shards(slurm, tiny, tmp_path):
    cfg, local = tiny
    out = tmp_path / "resume"
    assert CliRunner().invoke(main, ["generate", str(cfg), "--out", str(out), "--shard-ids", "0",
                                     "--no-progress"]).exit_code == 0
    res = cli("generate", str(cfg), "--out", str(out), "--executor", "slurm", "--cpus-per-task", "1", "--no-progress")
    assert res.returncode == 0, res.stderr
    jobs = [json.loads(p.read_text()) for p in (out / ".jobs").glob("slurm-*.json")]
    assert [j["shards"] for j in jobs] == [[1]]
    assert "skipped (already done) [0]" in res.stdout
    assert_same_dataset(out, local)


def test_slurm_bad_inputs(slurm, tiny, tmp_path):
    cfg, _ = tiny
    res = cli("generate", str(cfg), "--out", str(tmp_path / "p"), "--executor", "slurm", "--partition", "nope")
    assert res.returncode == 2 and "sbatch refused the job" in res.stderr and "partition" in res.stderr.lower()
    empty = tmp_path / "bin"
    empty.mkdir()
    res = cli("generate", str(cfg), "--out", str(tmp_path / "q"), "--executor", "slurm", env={"PATH": str(empty)})
    assert res.returncode == 2 and "'sbatch' is not on PATH" in res.stderr
    res = cli("generate", str(cfg), "--out", str(tmp_path / "r"), "--executor", "slurm", "--dry-run")
    assert res.returncode == 0 and "#SBATCH --array=0-1" in res.stdout and "--shard-ids \"$SHARD\"" in res.stdout
    assert not list((tmp_path / "r").glob("shard-*.h5"))


@pytest.fixture
def ray_env(monkeypatch):
    for k, v in RAY_LOOPBACK_ENV.items():
        monkeypatch.setenv(k, v)
    yield
    subprocess.run([sys.executable, "-m", "ray.scripts.scripts", "stop", "--force"], capture_output=True)


def test_ray_dataset_equals_local_with_a_killed_task_retried(ray_env, tiny, tmp_path):
    pytest.importorskip("ray")
    cfg, local = tiny
    out = tmp_path / "ray"
    res = run_killing_one_shard(["generate", str(cfg), "--out", str(out), "--executor", "ray", "--cpus-per-task",
                                 "1", "--retries", "2", "--no-progress"], f"--out {out} --shard-ids 0")
    assert res.returncode == 0, res.stderr
    assert_same_dataset(out, local)
    assert cli("verify", str(out)).returncode == 0
    wait_until(lambda: not subprocess.run(["pgrep", "-f", "raylet"], capture_output=True, text=True).stdout.strip(),
               60, "the local Ray cluster's raylet gone after the run")


def test_ray_unreachable_address(ray_env, tiny, tmp_path):
    cfg, _ = tiny
    t0 = time.time()
    res = cli("generate", str(cfg), "--out", str(tmp_path / "x"), "--executor", "ray", "--ray-address", "127.0.0.1:1")
    assert res.returncode == 2 and "no Ray cluster answers there" in res.stderr
    assert time.time() - t0 < 60
