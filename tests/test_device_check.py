"""scripts/device_check.sh: argument handling, and a CPU dry run of every check with its JSON and Markdown output
(the GPU figures themselves come from a GPU machine; CI never depends on one)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "device_check.sh"


def run(*args, env=None):
    import os

    e = {**os.environ, "PYTHON": sys.executable, **(env or {})}
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, cwd=ROOT, env=e, timeout=900)


def test_help_and_bad_arguments():
    r = run("--help")
    assert r.returncode == 0
    for word in ("--dry-run", "--only", "--wheels", "--out", "8 minutes"):
        assert word in r.stdout
    for args, message in ((("--bogus",), "unknown option --bogus"), (("--only", "sbr,gpu"), "unknown check(s) gpu"),
                          (("--wheels", "/no/such/folder"), "no folder /no/such/folder"), (("--out",), "needs a value")):
        r = run(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_dry_run_writes_one_json_and_a_table(tmp_path):
    r = run("--dry-run", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr[-2000:]
    result = json.loads((tmp_path / "device_check.json").read_text())
    assert result["schema"] == "maxray-device-check/1" and result["dry_run"] is True
    assert set(result["checks"]) == {"sbr", "cycles", "scl"}
    assert {"python", "cpu_cores", "gpu", "platform"} <= set(result["host"])
    for name, entry in result["checks"].items():
        assert entry["status"] == "ok", (name, entry)  # the dev/CI environment has every engine
        assert entry["seconds"] >= 0
    sbr = result["checks"]["sbr"]
    assert sbr["llvm"]["paths"] > 0 and sbr["llvm"]["warm_s"] > 0 and sbr["llvm"]["variant"].startswith("llvm_")
    assert result["checks"]["cycles"]["cpu"]["size"] == "80x60" and result["checks"]["cycles"]["cpu"]["sample_s"] > 0
    assert result["checks"]["scl"]["fp32_samples_per_s"] > 0
    table = (tmp_path / "device_check.md").read_text().splitlines()
    assert table[2] == "| check | status | figures |"
    assert [line.split("|")[1].strip() for line in table[4:]] == ["sbr", "cycles", "scl"]


def test_a_check_that_cannot_run_is_recorded_as_skipped(tmp_path):
    # a GPU run on this CPU-only machine: every check says why it could not run, and the files are still written
    r = run("--only", "sbr,scl", "--out", str(tmp_path), env={"CUDA_VISIBLE_DEVICES": ""})
    assert r.returncode == 0, r.stderr[-2000:]
    result = json.loads((tmp_path / "device_check.json").read_text())
    assert result["dry_run"] is False
    for name in ("sbr", "scl"):
        entry = result["checks"][name]
        assert entry["status"] == "skipped" and entry["reason"], entry
