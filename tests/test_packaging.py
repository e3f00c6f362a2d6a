"""A wheel built from the repository, installed into a fresh virtual environment outside the checkout, has its
presets and scenes and runs `maxray generate --preset demo` and `maxray reproduce --help`."""

from __future__ import annotations

import os
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_a_wheel_installed_outside_the_checkout_runs_the_demo_preset(tmp_path):
    pytest.importorskip("bpy")
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels),
                    str(ROOT)], check=True, capture_output=True, text=True, timeout=300)
    (wheel,) = wheels.glob("maxray_gen-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for data in ("maxray_gen/presets/demo.yaml", "maxray_gen/presets/reproduce/cpu.yaml",
                 "maxray_gen/presets/scenes/radio_test_lot.npz", "maxray_gen/radio/data/p676_oxygen_lines.csv"):
        assert data in names, data
    env_dir = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True, timeout=300)
    py = env_dir / "bin" / "python"
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    # the heavy dependencies (bpy, Mitsuba, torch, ...) come from this test's environment, maxray_gen from the wheel
    deps = [p for p in site.getsitepackages() + [sysconfig.get_paths()["purelib"]] if Path(p).is_dir()]
    Path(purelib, "zz_test_deps.pth").write_text("\n".join(dict.fromkeys(deps)) + "\n")
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True,
                   capture_output=True, text=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    where = subprocess.run([str(py), "-c", "import maxray_gen; print(maxray_gen.__file__)"], check=True,
                           capture_output=True, text=True, cwd=tmp_path, env=env).stdout.strip()
    assert where.startswith(str(env_dir)), where  # the installed wheel, not the checkout
    maxray = env_dir / "bin" / "maxray"
    out = tmp_path / "demo"
    res = subprocess.run([str(maxray), "generate", "--preset", "demo", "--out", str(out), "--shards", "1",
                          "--samples-per-shard", "1", "--no-progress"], capture_output=True, text=True, cwd=tmp_path,
                         env=env, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    assert (out / "shard-00000.h5").exists() and (out / "DATASHEET.md").exists()
    res = subprocess.run([str(maxray), "reproduce", "--help"], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert res.returncode == 0 and "--preset" in res.stdout, res.stderr
    res = subprocess.run([str(maxray), "config", "presets"], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert res.returncode == 0 and f"{env_dir}" in res.stdout and "reproduce --preset cpu" in res.stdout
