"""The command line: help everywhere, version, demo and heatmap pictures."""

import subprocess
import sys

import click
import numpy as np
import pytest
from click.testing import CliRunner

from maxray_gen import __version__
from maxray_gen.cli import main
from maxray_gen.radar.targets import point_targets


def all_commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        yield (*prefix, name)
        if isinstance(cmd, click.Group):
            yield from all_commands(cmd, (*prefix, name))


@pytest.mark.parametrize("path", [(), *all_commands(main)], ids=lambda p: " ".join(p) or "maxray")
def test_help_on_every_command(path):
    res = CliRunner().invoke(main, [*path, "--help"])
    assert res.exit_code == 0, res.output
    assert "Usage:" in res.output
    cmd = main
    for part in path:
        cmd = cmd.commands[part]
    assert cmd.help and len(cmd.help) > 20  # every command explains itself


def test_version():
    res = CliRunner().invoke(main, ["--version"])
    assert res.exit_code == 0 and __version__ in res.output


def test_radar_demo_writes_a_png_with_targets(tmp_path):
    res = CliRunner().invoke(main, ["radar", "demo", "--out", str(tmp_path / "demo")])
    assert res.exit_code == 0, res.output
    png = tmp_path / "demo" / "radar_demo.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    assert (tmp_path / "demo" / "radar_demo_paths.npz").exists()
    import matplotlib.image

    img = matplotlib.image.imread(png)
    assert img.shape[0] > 400 and img.shape[1] > 1000  # two panels side by side


def test_radar_heatmap_of_saved_paths(tmp_path):
    p = point_targets([10.0, 20.0], [0.2, -0.3], carrier_hz=60e9, amplitude=1e-5)
    p.save(tmp_path / "paths.npz")
    res = CliRunner().invoke(main, ["radar", "heatmap", str(tmp_path / "paths.npz"), "--png", str(tmp_path / "h.png")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "h.png").stat().st_size > 10_000


def test_radar_heatmap_refuses_carrier_mismatch_and_bad_files(tmp_path):
    point_targets(10.0, 0.0, carrier_hz=28e9).save(tmp_path / "p28.npz")
    res = CliRunner().invoke(main, ["radar", "heatmap", str(tmp_path / "p28.npz"), "--png", str(tmp_path / "x.png")])
    assert res.exit_code == 2 and "28 GHz" in res.stderr and "60 GHz" in res.stderr
    assert not (tmp_path / "x.png").exists()
    (tmp_path / "junk.npz").write_text("junk")
    res = CliRunner().invoke(main, ["radar", "heatmap", str(tmp_path / "junk.npz"), "--png", str(tmp_path / "x.png")])
    assert res.exit_code == 2 and "junk.npz" in res.stderr and not (tmp_path / "x.png").exists()


def test_radar_info_prints_derived_quantities():
    res = CliRunner().invoke(main, ["radar", "info"])
    assert res.exit_code == 0
    assert "range_resolution_m" in res.output and "0.18737" in res.output
    assert "134 bins" in res.output


def test_console_script_runs():
    proc = subprocess.run([sys.executable, "-m", "maxray_gen", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "radar" in proc.stdout


def test_unwritable_output_directory(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = CliRunner().invoke(main, ["radar", "demo", "--out", str(blocker / "sub")])
    assert res.exit_code == 2 and "cannot create output directory" in res.stderr
