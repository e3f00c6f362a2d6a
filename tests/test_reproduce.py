"""`maxray reproduce`: a smoke run of the whole command (tiny datasets, one epoch), resume, and bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import run

pytest.importorskip("torch")

SCENE = {"camera": {"width": 64, "height": 48, "horizontal_fov_deg": 90.0, "min_visibility": 0.0},
         "render": {"samples": 1, "denoise": False, "device": "cpu"},
         "trace": {"engine": "sbr", "max_depth": 2}, "lidar": {"channels": 4, "horizontal_resolution_deg": 2.0},
         "radar": {"elevation_mode": "noncoherent"}}
PRESET = {
    "description": "smoke test",
    "workers": 1,
    "scenes": {
        "multi": {**SCENE, "generate": {"seed": 3, "shards": 2, "samples_per_shard": 4, "train_fraction": 0.5,
                                        "radar_products": ["range_azimuth"]},
                  "scene": {"min_cars": 2, "max_cars": 4, "max_moving_cars": 1}},
        "single": {**SCENE, "generate": {"seed": 4, "shards": 1, "samples_per_shard": 6, "train_fraction": 0.5,
                                         "radar_products": ["range_azimuth"]},
                   "scene": {"min_cars": 1, "max_cars": 1, "max_moving_cars": 0}},
    },
    "ssl": {"epochs": 1, "batch_size": 2, "lr": 1e-4, "backbone": {"width": 0.125, "norm": "batch"},
            "input": {"radio_background": "median", "radio_reference": "peak"}},
    "localiser": {"epochs": 1, "batch_size": 2},
    "ablations": {"no-background": {"input": {"radio_background": "none"}}},
    "selflabel_refine": "echo",
    "test": {"seed": 7, "shards": 1},
    "learning_curve": {"sizes": [2], "min_steps": 2},
}


def _write(tmp_path: Path, preset: dict) -> Path:
    p = tmp_path / "preset.yaml"
    p.write_text(yaml.safe_dump(preset))
    return p


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    pytest.importorskip("bpy")
    tmp = tmp_path_factory.mktemp("reproduce")
    cfg = _write(tmp, PRESET)
    out = tmp / "run"
    res = run(["reproduce", "--config", str(cfg), "--out", str(out), "--seed", "1", "--no-progress"])
    assert res.exit_code == 0, res.output
    return cfg, out, res.output


def test_smoke_run_writes_every_output(smoke):
    cfg, out, output = smoke
    r = json.loads((out / "results.json").read_text())
    # errors between two points of the radar's field of view (range <= 30 m): finite, positive and below the
    # field's 60 m diameter (NaN, a zero from a prediction compared with itself, or a runaway scale fail)
    for m in ("cl", "mcl", "scl"):
        assert 0 < r["selflabels"][m]["median_cartesian_m"] < 60, r["selflabels"][m]
        for key in ("median_range_bins", "median_azimuth_cells"):
            assert 0 <= r["selflabels"][m][key] < 2048, r["selflabels"][m]
    for lab in ("groundtruth", "scl", "mcl"):
        assert 0 < r["localiser"][lab]["median_cartesian_m"] < 60, r["localiser"][lab]
    assert 0 < r["random"]["median_cartesian_m"] < 60
    assert 0 < r["radar_peak"]["median_cartesian_m"] < 60 and r["radar_peak"]["n"] == r["selflabels"]["scl"]["n"]
    # the echo-peak bound sits on a bin within 3 m of each target's centre
    assert 0 <= r["echo_peak"]["median_cartesian_m"] <= 3.0 and r["echo_peak"]["n"] == r["selflabels"]["scl"]["n"]
    # issue 32's metrics of what the radar sees, for every predictor of every scene set: a footprint holds the
    # centre (never farther than it), rates are shares
    # the test split: its own datasets (another seed), scored beside validation; the top level is the test split's
    assert r["splits"] == ["validation", "test"] and r["final_split"] == "test" and r["test_seed"] == 7
    assert r["scene_sets"] == r["test"]["scene_sets"]
    for scene, n in (("multi", 4), ("single", 6)):  # every test sample has a target here (at least one car)
        assert r["test"]["scene_sets"][scene]["samples"] == n
        assert yaml.safe_load((out / "datasets" / f"{scene}-test" / "config.yaml").read_text())["generate"]["seed"] == 7
    for split in ("validation", "test"):
        for scene in r[split]["scene_sets"].values():
            rows = [scene[k] for k in ("random", "mean_position", "radar_peak", "radar_nearest", "camera_box",
                                       "camera_box_echo", "echo_peak")]
            rows += [v for k in ("selflabels", "localiser", "ablations", "attention_peak") for v in scene[k].values()]
            for m in rows:
                assert {"median_cartesian_m", "footprint_m", "p90_footprint_m", "centroid_m", "p90_centroid_m",
                        "right_car"} <= set(m), m
                assert 0 <= m["footprint_m"] <= m["median_cartesian_m"] + 1e-9 and 0 <= m["right_car"] <= 1, m
                assert np.isfinite(m["centroid_m"]), m
    # the label-free camera baseline: the target's box on the ground lands near it, far better than chance
    for key in ("camera_box", "camera_box_echo"):
        print(key, r[key]["median_cartesian_m"], r[key]["footprint_m"], r[key]["right_car"])
        assert r[key]["median_cartesian_m"] < 0.5 * r["random"]["median_cartesian_m"], r[key]
    assert set(r["scene_sets"]) == {"multi", "single"} and r["headline_scene_set"] == "multi"
    assert "no-background" in r["ablations"] and r["ablations"] == r["scene_sets"]["multi"]["ablations"]
    assert re.fullmatch(r"[0-9a-f]{16}", r["config_hash"])
    assert set(r["dataset_hashes"]) == {"multi", "single", "multi/test", "single/test"}
    assert set(r["targets"]) == {"scl_right_car", "scl_right_car_over_radar_peak", "scl_footprint_m", "scl_centroid_m",
                                 "scl_better_than_mcl", "localiser_scl_over_groundtruth_centroid",
                                 "localiser_right_car_gap", "supervised_over_radar_peak_single_centre",
                                 "supervised_minus_radar_peak_single_footprint"}
    for t in r["targets"].values():  # a missed target says by how much
        assert t["gap"] == 0 if t["met"] else t["gap"] > 0, t
    # the learning curve: SCL and both localisers again on 2 of the train samples (2 epochs: min_steps 2 at batch
    # size 2), scored on both splits; the full-size models end the curve
    for split in ("validation", "test"):
        pt = r[split]["scene_sets"]["multi"]["learning_curve"]
        assert list(pt) == ["2"] and set(pt["2"]) == {"selflabels/scl", "localiser/groundtruth", "localiser/scl"}
        assert "learning_curve" not in r[split]["scene_sets"]["single"] and "scl@2" not in r[split]["selflabels"]
    ssl_log = (out / "ssl" / "multi" / "scl@2" / "metrics.csv").read_text().splitlines()
    assert len(ssl_log) == 1 + 2
    report = (out / "report.md").read_text()
    assert "## Learning curve (scene set `multi`, test split" in report
    assert "bound: target's brightest return within 3 m" in report and "| range bias (m) |" in report
    assert "| brightest echo over the median map (no learning) |" in report
    assert "| target's image box projected onto the ground (label-free: box + camera calibration) |" in report
    for scene in ("multi", "single"):
        for kind in ("footprint", "centroid"):
            assert (out / "figures" / f"cdf-{kind}-{scene}.png").stat().st_size > 1000
            assert f"figures/cdf-{kind}-{scene}.png" in report
    assert set(r["attention_peak"]) == {"cl", "mcl", "scl"}  # the unrefined maxima, scored beside the labels
    assert "| attention maximum scl (self-label before the echo refinement) |" in report
    assert all(np.isfinite(r["selflabels"][m]["range_bias_m"]) for m in ("cl", "mcl", "scl"))
    assert "## Targets" in report and "## Scene set `single`" in report and "### Ablations" in report
    assert "### Test split (own seed; scored only here)" in report and "### Validation split" in report
    assert "| predictor | validation: centre (m) |" in report and "| missed by |" in report
    for link in re.findall(r"\]\((figures/[^)]+\.png)\)", report):  # every figure the report shows exists
        assert (out / link).stat().st_size > 1000, link
    # per scene set: 3 CDFs, 2 figures per method; the learning curve
    assert len(re.findall(r"\]\(figures/", report)) == 2 * (3 + 2 * 3) + 1
    assert "test split, self-labels median to centre / right car: cl" in output and "report:" in output
    assert "targets met: " in output
    import h5py

    with h5py.File(out / "selflabels" / "multi" / "scl.h5", "r") as h5:  # the same self-label chain as the CLI's
        attrs = dict(h5.attrs)
    assert json.loads(attrs["masks"])["source"] == "groundtruth" and attrs["refine"] == "echo", attrs
    for scene in ("multi", "single"):  # the datasets carry what `maxray generate` writes beside the shards
        data = out / "datasets" / scene
        assert (data / "DATASHEET.md").read_text().startswith(f"# Datasheet: MaxRay-Gen dataset `{scene}`")
        assert (data / "previews" / "sample-00000.png").stat().st_size > 1000


def test_second_run_reuses_every_stage(smoke):
    cfg, out, _ = smoke
    before = json.loads((out / "results.json").read_text())
    marks = {p: p.stat().st_mtime_ns for p in (out / "stages").iterdir()}
    res = run(["reproduce", "--config", str(cfg), "--out", str(out), "--seed", "1", "--no-progress"])
    assert res.exit_code == 0, res.output
    n = len(marks)
    assert res.output.count("done before, reused") == n
    assert {p: p.stat().st_mtime_ns for p in (out / "stages").iterdir()} == marks
    after = json.loads((out / "results.json").read_text())
    for key in ("selflabels", "localiser", "random", "ablations", "dataset_hashes"):
        assert after[key] == before[key]


def test_another_seed_in_the_same_run_is_refused_untouched(smoke):
    cfg, out, _ = smoke
    marks = {p: p.read_bytes() for p in (out / "stages").iterdir()}
    res = run(["reproduce", "--config", str(cfg), "--out", str(out), "--seed", "2", "--no-progress"])
    assert res.exit_code == 2
    assert "was made from another preset, seed or dataset" in res.output and "new --out" in res.output
    assert {p: p.read_bytes() for p in (out / "stages").iterdir()} == marks


def test_an_existing_dataset_is_reused_with_data(smoke, tmp_path):
    cfg, out, _ = smoke
    preset = {**PRESET, "scenes": {"single": PRESET["scenes"]["single"]}, "ablations": {}}
    res = run(["reproduce", "--config", str(_write(tmp_path, preset)), "--out", str(tmp_path / "run2"),
               "--data", f"single={out / 'datasets' / 'single'}", "--data",
               f"single/test={out / 'datasets' / 'single-test'}", "--no-progress", "--seed", "1"])
    assert res.exit_code == 0, res.output
    assert not (tmp_path / "run2" / "datasets").exists()
    a = json.loads((tmp_path / "run2" / "results.json").read_text())
    b = json.loads((out / "results.json").read_text())["scene_sets"]["single"]
    assert a["selflabels"] == b["selflabels"]  # same data, same seed: same models


def test_test_seed_bad_or_changed_exit_2_untouched(smoke, tmp_path):
    cfg, out, _ = smoke
    marks = {p: p.read_bytes() for p in (out / "stages").iterdir()}
    datasets = sorted(p.name for p in (out / "datasets").iterdir())
    res = run(["reproduce", "--config", str(cfg), "--out", str(out), "--seed", "1", "--test-seed", "3"])
    assert res.exit_code == 2 and res.output.count("\n") == 1, res.output
    assert "--test-seed 3: equals scene set multi's dataset seed (scenes.multi.generate.seed)" in res.output
    res = run(["reproduce", "--config", str(cfg), "--out", str(out), "--seed", "1", "--test-seed", "8",
               "--no-progress"])  # another test lot in a finished run: refused at its stage
    assert res.exit_code == 2 and "stage data/multi/test was made from another preset" in res.output, res.output
    assert {p: p.read_bytes() for p in (out / "stages").iterdir()} == marks
    assert sorted(p.name for p in (out / "datasets").iterdir()) == datasets
    # a schema-3 dataset (no per-object radar truth) is refused before anything is made
    import shutil

    import h5py

    old = tmp_path / "old"
    shutil.copytree(out / "datasets" / "single", old)
    shard = sorted(old.glob("shard-*.h5"))[0]
    with h5py.File(shard, "r+") as h5:
        h5.attrs["schema_version"] = 3
    res = run(["reproduce", "--config", str(cfg), "--out", str(tmp_path / "r3"), "--data", f"single={old}"])
    assert res.exit_code == 2 and res.output.count("\n") == 1, res.output
    assert f"{shard}: schema version 3 has no per-object radar truth" in res.output
    assert not (tmp_path / "r3").exists()


def test_stage_keys_ignore_options_added_at_their_default():
    """A finished stage stays valid when the code gains an option: fields marked as added are left out of the
    stage key while they keep their default, and count as soon as they are set."""
    from maxray_gen.learn.config import LocaliserConfig, SSLConfig
    from maxray_gen.schema import stable_dump as stage_dump

    base = LocaliserConfig().model_dump(mode="json")
    for k in ("weight_decay", "schedule", "mirror", "select", "train_samples"):
        base.pop(k)
    assert stage_dump(LocaliserConfig()) == base
    assert stage_dump(LocaliserConfig(mirror=True))["mirror"] is True
    assert "train_samples" not in stage_dump(SSLConfig()) and stage_dump(SSLConfig(train_samples=5))["train_samples"] == 5
    assert stage_dump(SSLConfig())["backbone"] == SSLConfig().model_dump(mode="json")["backbone"]


def test_learning_curve_fit_and_extrapolation_are_exact_on_a_power_law():
    from maxray_gen.learn.experiments.learning_curve import fit_power_law, size_for

    n = np.array([110, 220, 442, 884])
    a, b = fit_power_law(n, 8.0 * n ** -0.5)
    assert a == pytest.approx(8.0) and b == pytest.approx(-0.5)
    assert size_for(a, b, 0.5) == pytest.approx(256.0)  # 8 / sqrt(256) = 0.5
    a, b = fit_power_law(n, 1 - 0.9 * (n / 100.0) ** -0.25, higher_is_better=True)  # a rate: 1 - rate falls
    assert b == pytest.approx(-0.25) and size_for(a, b, 0.7, True) == pytest.approx(100 * 3 ** 4)
    assert size_for(*fit_power_law(n, 0.5 + 0 * n), 0.1) == float("inf")  # flat: more data does not help
    assert np.isnan(fit_power_law([100], [1.0])[0])


def test_bad_input_one_line_exit_2(tmp_path):
    cfg = _write(tmp_path, PRESET)
    res = run(["reproduce", "--config", str(cfg), "--out", str(tmp_path / "r"), "--data", str(tmp_path / "nothing")])
    assert res.exit_code == 2 and "nothing: no dataset there" in res.output, res.output
    assert not (tmp_path / "r").exists()
    res = run(["reproduce", "--config", str(cfg), "--out", str(tmp_path / "r"), "--data", f"parking={tmp_path}"])
    assert res.exit_code == 2 and "no scene set 'parking'" in res.output
    bad = {**PRESET, "test": {"seed": 4, "shards": 1}}  # the single-car set's own seed
    res = run(["reproduce", "--config", str(_write(tmp_path, bad)), "--out", str(tmp_path / "r")])
    assert res.exit_code == 2 and "test.seed: equals scene set single's dataset seed" in res.output, res.output
    no_test = {k: v for k, v in PRESET.items() if k != "test"}
    res = run(["reproduce", "--config", str(_write(tmp_path, {**PRESET, "learning_curve": {"sizes": [4, 2]}})),
               "--out", str(tmp_path / "r")])
    assert res.exit_code == 2 and "learning_curve.sizes: needs positive, increasing sizes" in res.output, res.output
    res = run(["reproduce", "--config", str(_write(tmp_path, no_test)), "--out", str(tmp_path / "r"),
               "--test-seed", "9"])
    assert res.exit_code == 2 and "--test-seed: the preset has no test split" in res.output, res.output
    assert not (tmp_path / "r").exists()
    res = run(["reproduce", "--preset", "nope"])
    assert res.exit_code == 2 and "unknown preset 'nope'" in res.output and "cpu" in res.output
    bad = {**PRESET, "methods": {"cl": {}, "mcl": {}, "scl": {"lr": -1}}}
    res = run(["reproduce", "--config", str(_write(tmp_path, bad)), "--out", str(tmp_path / "r")])
    assert res.exit_code == 2 and "lr" in res.output and "methods.scl" in res.output, res.output
    bad = {**PRESET, "localiser_labels": ["groundtruth", "yolo"]}
    res = run(["reproduce", "--config", str(_write(tmp_path, bad)), "--out", str(tmp_path / "r")])
    assert res.exit_code == 2 and "localiser_labels" in res.output
    assert not (tmp_path / "r").exists()


def test_a_gpu_preset_without_a_gpu(tmp_path, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    res = run(["reproduce", "--preset", "paper", "--out", str(tmp_path / "r")])
    assert res.exit_code == 2 and "needs a CUDA GPU" in res.output, res.output
    assert not (tmp_path / "r").exists()


def test_a_dataset_without_targets(tmp_path):
    pytest.importorskip("bpy")
    empty = {**PRESET["scenes"]["single"], "scene": {"max_cars": 0, "max_moving_cars": 0},
             "generate": {"seed": 1, "shards": 1, "samples_per_shard": 2, "radar_products": ["range_azimuth"]}}
    (tmp_path / "empty.yaml").write_text(yaml.safe_dump(empty))
    res = run(["generate", str(tmp_path / "empty.yaml"), "--out", str(tmp_path / "empty"), "--no-progress",
               "--no-previews"])
    assert res.exit_code == 0, res.output
    res = run(["reproduce", "--config", str(_write(tmp_path, PRESET)), "--out", str(tmp_path / "r"),
               "--data", f"single={tmp_path / 'empty'}"])
    assert res.exit_code == 2 and "no train samples with a designated target" in res.output, res.output
    assert not (tmp_path / "r").exists()


def test_position_metrics_bias_is_signed():
    """A label 2 m short of each target and 5 deg to its left: the bias columns give -2 m and +5 deg exactly,
    while the absolute medians are 2 m and 5 deg too; mirrored errors (half short, half long) have a zero
    range bias but the same absolute median, so the two columns tell offset from scatter."""
    import numpy as np

    from maxray_gen.learn.data.inputs import cartesian_to_polar, polar_to_cartesian
    from maxray_gen.learn.experiments.reproduce_report import position_metrics

    rng = np.random.default_rng(0)
    gr, ga = rng.uniform(8, 25, 40), np.radians(rng.uniform(-40, 40, 40))
    gt = np.stack(polar_to_cartesian(gr, ga), 1)
    axes = {"range_m": np.linspace(5, 30, 134), "azimuth_rad": np.radians(np.linspace(-54, 54, 128))}
    short = np.stack(polar_to_cartesian(gr - 2.0, ga + np.radians(5.0)), 1)
    m = position_metrics(short, gt, axes, 0.19, np.radians(2.0))
    assert m["range_bias_m"] == pytest.approx(-2.0, abs=1e-9)
    assert m["azimuth_bias_deg"] == pytest.approx(5.0, abs=1e-9)
    assert m["median_range_m"] == pytest.approx(2.0, abs=1e-9)
    sign = np.where(np.arange(40) % 2 == 0, -1.0, 1.0)
    both = np.stack(polar_to_cartesian(gr + 2.0 * sign, ga), 1)
    m = position_metrics(both, gt, axes, 0.19, np.radians(2.0))
    assert m["range_bias_m"] == pytest.approx(0.0, abs=1e-9) and m["median_range_m"] == pytest.approx(2.0, abs=1e-9)
    assert np.allclose(cartesian_to_polar(*both.T)[1], ga)


def test_learning_curve_script_combines_runs(smoke, tmp_path):
    """scripts/learning_curve.py over two runs (here the same run twice): the seeds side by side, a figure, the
    fits; a directory without results is one line and exit 2."""
    import subprocess
    import sys

    _, out, _ = smoke
    script = Path(__file__).resolve().parents[1] / "scripts" / "learning_curve.py"
    res = subprocess.run([sys.executable, str(script), str(out), str(out), "--out", str(tmp_path / "c")],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    data = json.loads((tmp_path / "c" / "learning-curve.json").read_text())
    r = json.loads((out / "results.json").read_text())
    full = r["test"]["scene_sets"]["multi"]["train_samples"]
    assert data["sizes"] == [2, full] and data["split"] == "test" and data["seeds"] == [1, 1]
    scl = data["curves"]["selflabels/scl"]["footprint_m"]
    assert scl[0] == scl[1] and scl[0][1] == r["selflabels"]["scl"]["footprint_m"]  # the full-size point
    assert scl[0][0] == r["test"]["scene_sets"]["multi"]["learning_curve"]["2"]["selflabels/scl"]["footprint_m"]
    md = (tmp_path / "c" / "learning-curve.md").read_text()
    assert "| N = 2 | N = " in md and "N that would reach the target" in md
    assert (tmp_path / "c" / "learning-curve.png").stat().st_size > 5000
    res = subprocess.run([sys.executable, str(script), str(tmp_path), "--out", str(tmp_path / "d")],
                         capture_output=True, text=True)
    assert res.returncode == 2 and res.stderr.strip().count("\n") == 0 and "results.json: not found" in res.stderr
