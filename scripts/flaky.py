"""Measure flakiness: run the test suite (or a subset) N times under artificial CPU load and print pass counts per
test.

    python scripts/flaky.py -n 10 [--load 2] [-- -k ddp tests/test_learn_pipeline.py]
    python scripts/flaky.py -n 5 --fresh-clone [--commit REV]   # CI as it runs: a fresh clone, `.ci/run`, each time

``--load K`` starts K busy processes (default: one per core) that spin for the whole measurement, so the tests run
on a machine as busy as a loaded CI runner or farm node. Each run writes a JUnit XML report; the summary lists
every test that did not pass every time, with its first failure message.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _spin(stop) -> None:  # a busy core
    x = 0
    while not stop.is_set():
        x = (x * 1103515245 + 12345) % 2147483648


def _fresh_clone_ci(commit: str, clone: Path, report: Path, pytest_args: list[str]) -> subprocess.CompletedProcess:
    """Clone ``commit`` into ``clone``, run its ``.ci/run`` (set-up and the README's test command) with a JUnit
    report, then delete the clone (its virtual environment is several GB)."""
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", commit], check=True)
    env = dict(os.environ, CI="true",
               PYTEST_ADDOPTS=" ".join(["-p no:cacheprovider", f"--junitxml={report}", *pytest_args]))
    env.pop("VIRTUAL_ENV", None)  # and no other checkout's venv on PATH: the clone must use only its own
    env["PATH"] = os.pathsep.join(d for d in env.get("PATH", "").split(os.pathsep) if not d.endswith(".venv/bin"))
    try:
        return subprocess.run(["bash", ".ci/run"], cwd=clone, env=env, capture_output=True, text=True)
    finally:
        shutil.rmtree(clone, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--runs", type=int, default=5)
    ap.add_argument("--load", type=int, default=os.cpu_count() or 1, help="busy processes (0: no load)")
    ap.add_argument("--failures", type=Path, help="write every failure's full report (assertion, rank logs) here")
    ap.add_argument("--fresh-clone", action="store_true",
                    help="each run: clone --commit afresh and run its .ci/run (set-up included), then delete it")
    ap.add_argument("--commit", default="HEAD", help="with --fresh-clone: the commit every run tests (default HEAD)")
    ap.add_argument("--reports", type=Path, help="keep each run's JUnit XML and output here")
    ap.add_argument("pytest_args", nargs="*", help="passed to pytest after --")
    args = ap.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--verify", f"{args.commit}^{{commit}}"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    if not commit:
        ap.error(f"--commit: {args.commit!r} is not a commit of this repository")
    stop = mp.Event()
    burners = [mp.Process(target=_spin, args=(stop,), daemon=True) for _ in range(args.load)]
    for b in burners:
        b.start()
    outcomes: dict[str, list[str]] = defaultdict(list)
    first_failure: dict[str, str] = {}
    t0 = time.time()
    if args.fresh_clone:  # every run tests the same commit, whatever is committed meanwhile
        print(f"fresh clones of {commit}", flush=True)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for k in range(args.runs):
                report = Path(tmp) / f"run{k}.xml"
                if args.fresh_clone:
                    r = _fresh_clone_ci(commit, Path(tmp) / f"clone{k}", report, args.pytest_args)
                else:
                    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}",
                           *args.pytest_args]
                    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
                if args.reports:
                    args.reports.mkdir(parents=True, exist_ok=True)
                    (args.reports / f"run{k + 1}.log").write_text(r.stdout + r.stderr)
                    if report.exists():
                        shutil.copy(report, args.reports / f"run{k + 1}.xml")
                if not report.exists():
                    print(f"run {k + 1}: pytest wrote no report (exit {r.returncode}):\n{(r.stdout + r.stderr)[-2000:]}")
                    continue
                for case in ET.parse(report).getroot().iter("testcase"):
                    name = f"{case.get('classname')}::{case.get('name')}"
                    bad = case.find("failure") if case.find("failure") is not None else case.find("error")
                    if case.find("skipped") is not None:
                        outcomes[name].append("skipped")
                    elif bad is not None:
                        outcomes[name].append("failed")
                        first_failure.setdefault(name, (bad.get("message") or "")[:300])
                        if args.failures:
                            with open(args.failures, "a") as fh:
                                fh.write(f"==== run {k + 1}: {name}\n{bad.text or bad.get('message') or ''}\n")
                    else:
                        outcomes[name].append("passed")
                print(f"run {k + 1}/{args.runs}: exit {r.returncode}, {time.time() - t0:.0f} s so far", flush=True)
    finally:
        stop.set()
        for b in burners:
            b.join(timeout=5)
    unstable = {n: o for n, o in outcomes.items() if o.count("passed") != len(o) and o.count("skipped") != len(o)}
    print(f"\n{len(outcomes)} tests, {args.runs} runs under {args.load} busy processes on {os.cpu_count()} cores")
    for name, o in sorted(unstable.items()):
        print(f"{o.count('passed')}/{len(o)} passed  {name}\n    first failure: {first_failure.get(name, '')}")
    skipped = sorted(n for n, o in outcomes.items() if o and o.count("skipped") == len(o))
    for name in skipped:
        print(f"always skipped  {name}")
    if not unstable:
        print("every test passed in every run")


if __name__ == "__main__":
    main()
