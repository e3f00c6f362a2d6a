"""Bad configuration gets one clear line naming the file, the key path and the numbers; exit code 2."""

import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from maxray_gen.cli import main

BAD_RADAR = [
    # (yaml under radar:, expected fragments of the message)
    ("cyclic_prefix_s: 100e-9", ["radar.cyclic_prefix_s", "100 ns", "15 m", "30 m", "200.1 ns"]),
    ("range_max_m: 250", ["radar.range_max_m", "250 m", "unambiguous range", "192 m"]),
    ("range_min_m: 20\n  range_max_m: 10", ["radar.range_min_m", "20", "10"]),
    ("array: {spacing_wavelengths: 0.6}", ["radar.array.spacing_wavelengths", "0.6 lambda", "grating lobe", "54 deg", "0.553"]),
    ("symbol_interval_s: 1e-6", ["radar.symbol_interval_s", "1 us", "1.6 us"]),
    ("n_subcarriers: 4", ["radar.n_subcarriers", "greater than or equal to 8", "(got 4)"]),
    ("carrier_hz: -60e9", ["radar.carrier_hz", "greater than 0"]),
    ("subcarrier_spacing_hz: 20e6", ["radar.subcarrier_spacing_hz", "20480.0 MHz", "of the carrier"]),
    ("azimuth_fov_deg: 95", ["radar.azimuth_fov_deg", "less than 90"]),
    ("range_window: kaiserx", ["radar.range_window", "unknown or incomplete window", "kaiserx"]),
    ("noise: {model: thermal, noise_figure_db: -3}", ["radar.noise.noise_figure_db", "greater than or equal to 0"]),
    ("noise: {model: loud}", ["radar.noise.model", "'thermal'", "'fixed'"]),
    ("beamformer: capon\n  n_symbols: 8", ["radar.beamformer", "capon", "n_symbols = 8", "16"]),
    ("n_symbols: many", ["radar.n_symbols", "valid integer", "'many'"]),
    ("array: {rows: 0}", ["radar.array.rows", "greater than or equal to 1"]),
    ("range_oversampling: 0", ["radar.range_oversampling", "greater than or equal to 1"]),
    ("nufft_tolerance: 1e-8", ["radar.nufft_tolerance", "single precision", "precision: double"]),
    ("range_min_m: 10.0\n  range_max_m: 10.1", ["radar.range_max_m", "fewer than 2 range bins"]),
    ("elevation_steer_deg: 90", ["radar.elevation_steer_deg", "less than 90"]),
    ("bandwidth: 800e6", ["radar.bandwidth", "unknown key"]),
]


@pytest.mark.parametrize("snippet, fragments", BAD_RADAR, ids=[b[0].split(":")[0] for b in BAD_RADAR])
def test_bad_radar_values_give_one_clear_line_and_exit_2(tmp_path, snippet, fragments):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(f"radar:\n  {snippet}\n")
    res = CliRunner().invoke(main, ["radar", "info", "--config", str(cfg)])
    assert res.exit_code == 2, res.output
    err = res.stderr.strip()
    assert err.count("\n") == 0, err  # one line
    assert err.startswith(f"error: {cfg}: ")
    for frag in fragments:
        assert frag in err, (frag, err)


def test_every_bad_case_is_distinct():
    assert len({b[1][0] + b[0] for b in BAD_RADAR}) == len(BAD_RADAR) >= 10


@pytest.mark.parametrize("text, fragments", [
    ("radar: [1, 2]", ["radar", "valid dictionary"]),
    ("radr: {}", ["radr", "unknown key"]),
    ("radar:\n  carrier_hz: 60e9\n   bad_indent: 1", ["malformed YAML", "line 3"]),
    ("- just\n- a list", ["<top level>", "expected a mapping"]),
    ("radar: !!python/object/apply:os.system ['echo pwned']", ["malformed YAML"]),
])
def test_malformed_files(tmp_path, text, fragments):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text)
    res = CliRunner().invoke(main, ["config", "show", str(cfg)])
    assert res.exit_code == 2
    for frag in fragments:
        assert frag in res.stderr, (frag, res.stderr)


def test_missing_file(tmp_path):
    res = CliRunner().invoke(main, ["radar", "info", "--config", str(tmp_path / "nope.yaml")])
    assert res.exit_code == 2 and "nope.yaml: file not found" in res.stderr


def test_warnings_are_reported_but_not_fatal(tmp_path):
    cfg = tmp_path / "w.yaml"
    cfg.write_text("radar:\n  azimuth_bins: 8\n")
    res = CliRunner().invoke(main, ["radar", "info", "--config", str(cfg)])
    assert res.exit_code == 0
    assert "warning: azimuth grid step" in res.stderr


def test_real_process_exit_code_and_no_traceback(tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("radar:\n  cyclic_prefix_s: 1e-9\n")
    proc = subprocess.run([sys.executable, "-m", "maxray_gen", "radar", "info", "--config", str(cfg)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "cyclic_prefix_s" in proc.stderr


def test_valid_file_round_trips_through_config_show(tmp_path):
    cfg = tmp_path / "ok.yaml"
    cfg.write_text(textwrap.dedent("""\
        radar:
          carrier_hz: 28e9
          range_window: hann
          azimuth_window: [chebwin, 20]
          array: {rows: 8, columns: 8}
    """))
    res = CliRunner().invoke(main, ["config", "show", str(cfg)])
    assert res.exit_code == 0, res.output
    again = tmp_path / "again.yaml"
    again.write_text(res.stdout)
    res2 = CliRunner().invoke(main, ["config", "show", str(again)])
    assert res2.stdout == res.stdout
    assert "carrier_hz: 28000000000.0" in res.stdout and "- chebwin" in res.stdout
