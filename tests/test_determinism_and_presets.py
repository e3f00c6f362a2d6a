import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from maxray_gen.config import load_config

ROOT = Path(__file__).resolve().parents[1]

_HASH = """
import hashlib, numpy as np
from maxray_gen.radar import RadarConfig
from maxray_gen.radar.processing import heatmaps
from maxray_gen.seeding import rng_for
rng = np.random.default_rng(3)
n = 20000
from maxray_gen.radar.paths import PathSet
p = PathSet(gain=rng.standard_normal(n) + 1j * rng.standard_normal(n), delay_s=rng.uniform(3e-8, 2e-7, n),
            doppler_hz=rng.uniform(-2e3, 2e3, n), aoa_azimuth=rng.uniform(-1, 1, n), aoa_elevation=rng.uniform(-.3, .3, n))
hm = heatmaps(p, RadarConfig(), rng_for(11, 0, 5, "radar_noise"), products=("range_azimuth", "range_doppler", "rad_cube"))
print(hashlib.sha256(hm.range_azimuth.tobytes() + hm.range_doppler.tobytes() + hm.rad_cube.tobytes()).hexdigest())
"""


def test_heatmaps_are_bit_identical_across_processes():
    runs = {subprocess.run([sys.executable, "-c", _HASH], capture_output=True, text=True, check=True).stdout
            for _ in range(3)}
    assert len(runs) == 1, runs


@pytest.mark.parametrize("preset", sorted([*(ROOT / "maxray_gen" / "presets").glob("*.yaml"), *(ROOT / "maxray_gen" / "presets" / "scenes").glob("*.yaml")]),
                         ids=lambda p: p.name)
def test_shipped_presets_validate(preset):
    load_config(preset)


def test_readme_starts_with_exactly_two_commands():
    text = (ROOT / "README.md").read_text()
    first_block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert first_block and text.index("```bash") < text.index("\n## ")
    commands = [line for line in first_block.group(1).splitlines() if line.strip()]
    assert len(commands) == 2
    assert "scripts/setup.sh" in commands[0] and "scripts/setup.sh --dev" in commands[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1] in ci  # CI runs the README's test command
