"""Measure flakiness: run the test suite (or a subset) N times under artificial CPU load and print pass counts per
test.

    python scripts/flaky.py -n 10 [--load 2] [-- -k ddp tests/test_learn_pipeline.py]

``--load K`` starts K busy processes (default: one per core) that spin for the whole measurement, so the tests run
on a machine as busy as a loaded CI runner or farm node. Each run writes a JUnit XML report; the summary lists
every test that did not pass every time, with its first failure message.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--runs", type=int, default=5)
    ap.add_argument("--load", type=int, default=os.cpu_count() or 1, help="busy processes (0: no load)")
    ap.add_argument("--failures", type=Path, help="write every failure's full report (assertion, rank logs) here")
    ap.add_argument("pytest_args", nargs="*", help="passed to pytest after --")
    args = ap.parse_args()
    stop = mp.Event()
    burners = [mp.Process(target=_spin, args=(stop,), daemon=True) for _ in range(args.load)]
    for b in burners:
        b.start()
    outcomes: dict[str, list[str]] = defaultdict(list)
    first_failure: dict[str, str] = {}
    t0 = time.time()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for k in range(args.runs):
                report = Path(tmp) / f"run{k}.xml"
                cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}",
                       *args.pytest_args]
                r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
                if not report.exists():
                    print(f"run {k + 1}: pytest wrote no report (exit {r.returncode}):\n{r.stdout[-2000:]}")
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
