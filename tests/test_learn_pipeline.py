"""Learning for real on small data: DDP == single process, resume == uninterrupted, a learning test that can
fail, untrusted checkpoints, CLI errors, and the whole chain on a `maxray generate --preset demo` dataset."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from conftest import run  # noqa: E402

TINY_SSL = """
method: {method}
epochs: {epochs}
batch_size: 8
lr: {lr}
optimizer: {optimizer}
backbone: {{width: 0.0625, out_channels: 16}}
"""


def _cfg(tmp_path: Path, name="ssl.yaml", method="scl", epochs=2, lr=0.001, optimizer="adam", extra="") -> Path:
    p = tmp_path / name
    p.write_text(TINY_SSL.format(method=method, epochs=epochs, lr=lr, optimizer=optimizer) + extra)
    return p


@pytest.fixture(scope="session")
def standin(tmp_path_factory):
    from maxray_gen.learn.data.standin import standin_config, write_standin_dataset

    return write_standin_dataset(tmp_path_factory.mktemp("standin") / "data", standin_config(shards=2, samples_per_shard=16))


def _weights(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)["model"]


def _max_diff(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max(float((a[k].double() - b[k].double()).abs().max()) for k in a)


def _rank_logs(root: Path) -> str:
    """The tail of every rank's stderr written by torchrun --redirects under ``root``."""
    parts = []
    for f in sorted(root.rglob("stderr.log")):
        text = f.read_text(errors="replace").strip()
        parts.append(f"{f.relative_to(root)}: {text[-4000:] or '(empty)'}")
    return "\n".join(parts) or f"no rank logs under {root}"


@pytest.mark.parametrize("method,optimizer,lr", [("scl", "sgd", 0.05), ("cl", "adam", 0.001)])
def test_ddp_with_two_gloo_processes_matches_one_process(standin, tmp_path, method, optimizer, lr):
    cfg = _cfg(tmp_path, method=method, optimizer=optimizer, lr=lr)
    one = run(["train", "ssl", "--data", str(standin), "--out", str(tmp_path / "one"), "--config", str(cfg),
               "--no-progress"])
    assert one.exit_code == 0, one.output
    torchrun = Path(sys.executable).with_name("torchrun")
    # faulthandler: a rank that aborts prints every thread's Python stack into its own log
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONFAULTHANDLER="1", TORCH_SHOW_CPP_STACKTRACES="1")
    logs = tmp_path / "ranks"
    # each rank's own stdout/stderr go to files under logs/ (torchrun --redirects): on failure the assertion shows
    # what the failing rank printed (e.g. a C++ 'terminate called ...'), not only the launcher's summary
    two = subprocess.run([str(torchrun), "--standalone", "--nproc_per_node", "2", "--log-dir", str(logs),
                          "--redirects", "3", str(Path(__file__).with_name("ddp_probe.py")), "train", "ssl",
                          "--data", str(standin), "--out", str(tmp_path / "two"), "--config", str(cfg),
                          "--no-progress"], capture_output=True, text=True, env=env, timeout=600)
    assert two.returncode == 0, _rank_logs(logs) + "\nlauncher: " + two.stderr[-1500:]
    # each rank freed its DDP wrapper (which holds the group) before destroying the process group
    reports = [f.read_text() for f in sorted(logs.rglob("stderr.log"))]
    assert len(reports) == 2 and all("DDP wrappers alive at destroy_process_group: 0" in r for r in reports), \
        _rank_logs(logs)
    # the same global batches, the same loss: weights agree to float32 round-off (SCL gathers features with
    # gradients across processes; CL gathers keys into its queues)
    assert _max_diff(_weights(tmp_path / "one" / "model.pt"), _weights(tmp_path / "two" / "model.pt")) < 2e-5
    l1 = (tmp_path / "one" / "metrics.csv").read_text().splitlines()
    l2 = (tmp_path / "two" / "metrics.csv").read_text().splitlines()
    assert [r.split(",")[1] for r in l1] == [r.split(",")[1] for r in l2]


def test_resume_continues_exactly(standin, tmp_path):
    full = run(["train", "ssl", "--data", str(standin), "--out", str(tmp_path / "full"),
                "--config", str(_cfg(tmp_path, "a.yaml", method="mcl", epochs=3)), "--no-progress"])
    assert full.exit_code == 0, full.output
    part = run(["train", "ssl", "--data", str(standin), "--out", str(tmp_path / "part"),
                "--config", str(_cfg(tmp_path, "b.yaml", method="mcl", epochs=1)), "--no-progress"])
    assert part.exit_code == 0, part.output
    again = run(["train", "ssl", "--data", str(standin), "--out", str(tmp_path / "part"),
                 "--config", str(_cfg(tmp_path, "c.yaml", method="mcl", epochs=3)), "--no-progress"])
    assert again.exit_code == 0 and "resumed at 1" in again.output, again.output
    assert _max_diff(_weights(tmp_path / "full" / "model.pt"), _weights(tmp_path / "part" / "model.pt")) < 1e-6
    assert len((tmp_path / "part" / "metrics.csv").read_text().splitlines()) == 4  # header + 3 epochs
    assert (tmp_path / "part" / "loss.png").stat().st_size > 1000
    other = run(["train", "ssl", "--data", str(standin), "--out", str(tmp_path / "part"),
                 "--config", str(_cfg(tmp_path, "d.yaml", method="cl", epochs=4)), "--no-progress"])
    assert other.exit_code == 2 and "another configuration" in other.output


def test_momentum_encoders_and_queues(standin, tmp_path):
    from maxray_gen.learn.training.train_ssl import model_from_checkpoint

    cfg = _cfg(tmp_path, method="cl", epochs=1, extra="ema_momentum: 0.99\n")
    res = run(["train", "ssl", "--data", str(standin), "--out", str(tmp_path / "ema"), "--config", str(cfg),
               "--no-progress"])
    assert res.exit_code == 0, res.output
    model, ck = model_from_checkpoint(tmp_path / "ema" / "model.pt")
    assert model.ema is not None and ck["queue_size"] == 8
    # 3 batches of 8 through a queue of 8: the pointer wrapped back to 0 and the queue holds unit key vectors
    assert int(model.head.queue_v.ptr) == 0
    assert torch.allclose(model.head.queue_v.items.norm(dim=1), torch.ones(8), atol=1e-5)
    online, ema = model.radio.features[0].weight.detach(), model.ema["radio"].features[0].weight
    assert not torch.equal(online, ema) and float((online - ema).abs().max()) < float(online.abs().max())


def test_checkpoints_load_without_running_code(tmp_path):
    from maxray_gen.errors import DataError
    from maxray_gen.learn.runtime import load_checkpoint

    class Payload:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    bad = tmp_path / "evil.pt"
    with open(bad, "wb") as fh:
        pickle.dump({"model": Payload()}, fh)
    with pytest.raises(DataError, match="evil.pt: not a readable checkpoint"):
        load_checkpoint(bad)
    assert not (tmp_path / "pwned").exists()
    res = run(["selflabels", "--data", str(tmp_path), "--checkpoint", str(bad)])
    assert res.exit_code == 2 and "not a readable checkpoint" in res.output


def test_learning_errors_are_one_line_exit_2(standin, tmp_path):
    res = run(["train", "ssl", "--data", str(tmp_path), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "holds no shards" in res.output
    res = run(["train", "ssl", "--data", str(standin), "--out", str(tmp_path / "o"), "--batch-size", "64"])
    assert res.exit_code == 2 and "fewer than one batch of 64" in res.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("method: scl\nbackbone: {widht: 1}\n")
    res = run(["train", "ssl", "--data", str(standin), "--out", str(tmp_path / "o"), "--config", str(bad)])
    assert res.exit_code == 2 and "backbone.widht: unknown key" in res.output
    res = run(["train", "localiser", "--data", str(standin), "--out", str(tmp_path / "o"), "--labels", "nope.h5"])
    assert res.exit_code == 2 and "--labels: nope.h5" in res.output
    assert not (tmp_path / "o").exists()


def test_localiser_keeps_its_best_validation_epoch_with_mirrored_maps_and_a_cosine_schedule(standin, tmp_path):
    """``select: best``: the checkpoint is the epoch with the lowest validation median error of metrics.csv, and
    predicting the validation split with it gives exactly that error; mirroring doubles the training maps."""
    from maxray_gen.learn.config import LocaliserConfig
    from maxray_gen.learn.training.localiser import predict_split, train_localiser

    cfg = LocaliserConfig(epochs=6, batch_size=8, lr=3e-3, mirror=True, schedule="cosine", select="best",
                          weight_decay=1e-4, input={"radio_background": "median", "radio_reference": "peak"})
    res = train_localiser(standin, tmp_path / "loc", cfg, progress=False)
    rows = (tmp_path / "loc" / "metrics.csv").read_text().splitlines()[1:]
    errors = [float(r.split(",")[2]) for r in rows]
    assert len(errors) == 6 and res["kept_epoch"] == 1 + int(np.argmin(errors))
    assert res["val_median_error_m"] == pytest.approx(min(errors), abs=1e-4)
    p = predict_split(tmp_path / "loc" / "localiser.pt", standin, "val")
    assert np.median(np.hypot(*(p["pred_xy"] - p["gt_xy"]).T)) == pytest.approx(min(errors), abs=1e-4)
    assert torch.load(tmp_path / "loc" / "localiser.pt", weights_only=True)["epoch"] == res["kept_epoch"]


def test_scl_self_labels_localise_and_the_localiser_learns_from_them(tmp_path):
    """The learning test: SCL on a stand-in dataset with the geometry of a real one (one car, its echo made by the
    radar model). Self-labels of the trained model must be far better than random guesses and than the untrained
    model, and a localiser trained only on them must beat the mean-position baseline on validation."""
    from maxray_gen.learn.data.standin import standin_config, write_standin_dataset

    data = write_standin_dataset(tmp_path / "data", standin_config(seed=0, shards=4, samples_per_shard=64),
                                 distractor=False)
    cfg = tmp_path / "scl.yaml"
    cfg.write_text(LEARNING_CONFIG)
    res = run(["train", "ssl", "--data", str(data), "--out", str(tmp_path / "scl"), "--config", str(cfg),
               "--no-progress"])
    assert res.exit_code == 0, res.output
    res = run(["selflabels", "--data", str(data), "--checkpoint", str(tmp_path / "scl" / "model.pt"),
               "--no-progress"])
    assert res.exit_code == 0, res.output
    labels = data / "selflabels" / "scl.h5"
    from maxray_gen.learn.experiments.evaluate import localisation_errors, resolutions
    from maxray_gen.learn.training.localiser import groundtruth_positions
    from maxray_gen.learn.data.batches import open_split
    from maxray_gen.learn.experiments.selflabels import read_selflabels

    ds, axes = open_split(data, "all", ("objects", "target"))
    idx, gt = groundtruth_positions(ds)
    t = read_selflabels(labels)
    assert np.array_equal(t["index"], idx)
    trained = np.median(np.hypot(t["x_m"] - gt[:, 0], t["y_m"] - gt[:, 1]))
    rng = np.random.default_rng(0)
    r = rng.uniform(axes["range_m"][0], axes["range_m"][-1], len(gt))
    a = rng.uniform(axes["azimuth_rad"][0], axes["azimuth_rad"][-1], len(gt))
    random_guess = np.median(np.hypot(r * np.sin(a) - gt[:, 0], r * np.cos(a) - gt[:, 1]))
    print(f"self-label median error {trained:.2f} m, random guess {random_guess:.2f} m")
    assert trained < 0.6 * random_guess, (trained, random_guess)
    _check_echo_refinement(data, tmp_path / "scl" / "model.pt", t, tmp_path / "refined.h5")
    res = run(["train", "localiser", "--data", str(data), "--out", str(tmp_path / "loc"), "--labels", str(labels),
               "--epochs", "60", "--no-progress"])
    assert res.exit_code == 0, res.output
    res = run(["evaluate", "--data", str(data), "--localiser", str(tmp_path / "loc" / "localiser.pt"),
               "--selflabels", str(labels), "--out", str(tmp_path / "report")])
    assert res.exit_code == 0, res.output
    import json

    m = json.loads((tmp_path / "report" / "metrics.json").read_text())
    print("localiser", m["localiser"]["cartesian_m"], "baseline", m["mean_position_baseline"]["cartesian_m"])
    assert m["localiser"]["cartesian_m"]["median"] < 0.75 * m["mean_position_baseline"]["cartesian_m"]["median"], m
    assert m["localiser_labels"].endswith("scl.h5")


def _check_echo_refinement(data: Path, checkpoint: Path, plain: dict, out: Path) -> None:
    """`maxray selflabels --refine echo`: the attention maxima are the plain run's labels, and each refined label is
    the brightest raw-map bin (this model has no background map) within half the radio encoder's 77-pixel
    receptive field of its maximum, converted from the 120 x 192 input to the native grid."""
    from maxray_gen.learn.data.batches import open_split
    from maxray_gen.learn.experiments.selflabels import read_selflabels

    res = run(["selflabels", "--data", str(data), "--checkpoint", str(checkpoint), "--refine", "echo", "--out",
               str(out), "--no-progress"])
    assert res.exit_code == 0, res.output
    t = read_selflabels(out)
    assert np.array_equal(t["attention_range_bin"], plain["range_bin"])
    assert np.array_equal(t["attention_azimuth_bin"], plain["azimuth_bin"])
    ds, axes = open_split(data, "all", ("range_azimuth",))
    n_r, n_a = len(axes["range_m"]), len(axes["azimuth_rad"])
    half = (int(38.5 * n_r / 120), int(38.5 * n_a / 192))
    by_index = {int(ds[k]["index"]): k for k in range(len(ds))}
    moved = 0
    for g, i, j, ri, rj in zip(t["index"], t["attention_range_bin"], t["attention_azimuth_bin"], t["range_bin"],
                               t["azimuth_bin"]):
        power = ds[by_index[int(g)]]["range_azimuth"].numpy().reshape(n_r, n_a)
        i, j = int(i), int(j)
        win = power[max(0, i - half[0]): i + half[0] + 1, max(0, j - half[1]): j + half[1] + 1]
        assert abs(ri - i) <= half[0] and abs(rj - j) <= half[1]
        assert power[int(ri), int(rj)] == win.max()
        moved += (ri, rj) != (i, j)
    assert moved > 0  # the refinement did something on at least one sample


LEARNING_CONFIG = """
method: scl
epochs: 8
batch_size: 32
lr: 0.0003
input: {radio_size: [120, 192]}
backbone: {width: 0.25}
"""


def test_the_chain_on_a_generated_demo_dataset(tmp_path):
    """`maxray generate --preset demo`, then every learning command on it, as docs/learning.md shows."""
    pytest.importorskip("bpy")
    pytest.importorskip("optuna")
    data = tmp_path / "demo"
    res = run(["generate", "--preset", "demo", "--out", str(data), "--no-progress", "--no-previews"])
    assert res.exit_code == 0, res.output
    cfg = tmp_path / "ssl.yaml"
    cfg.write_text("epochs: 2\nbatch_size: 2\nlr: 0.0001\nbackbone: {width: 0.125}\n")
    for method in ("scl", "mcl"):
        res = run(["train", "ssl", "--data", str(data), "--out", str(tmp_path / method), "--config", str(cfg),
                   "--method", method, "--no-progress"])
        assert res.exit_code == 0, res.output
    res = run(["selflabels", "--data", str(data), "--checkpoint", str(tmp_path / "scl" / "model.pt"), "--no-progress"])
    assert res.exit_code == 0, res.output
    labels = data / "selflabels" / "scl.h5"
    assert labels.exists() and labels.with_suffix(".png").stat().st_size > 1000
    for lab, name in (("groundtruth", "sup"), (str(labels), "self")):
        res = run(["train", "localiser", "--data", str(data), "--out", str(tmp_path / name), "--labels", lab,
                   "--epochs", "3", "--batch-size", "2", "--no-progress"])
        assert res.exit_code == 0, res.output
    res = run(["evaluate", "--data", str(data), "--localiser", str(tmp_path / "self" / "localiser.pt"),
               "--selflabels", str(labels), "--out", str(tmp_path / "report")])
    assert res.exit_code == 0, res.output
    report = (tmp_path / "report" / "report.md").read_text()
    assert "| localiser |" in report and "| selflabels |" in report and "mean position baseline" in report
    # issue 32's metrics of what the radar sees: a footprint holds the centre, so its distance is never larger
    import json

    m = json.loads((tmp_path / "report" / "metrics.json").read_text())
    for name in ("localiser", "selflabels", "mean_position_baseline"):
        v = m["radar_view"][name]
        assert v["n"] > 0 and 0.0 <= v["right_car"] <= 1.0
        assert v["median_footprint_m"] <= m[name]["cartesian_m"]["median"] + 1e-9
        assert np.isfinite(v["median_centroid_m"])
    assert "What the radar sees of the target" in report and "| right car |" in report
    for png in ("error_cdf.png", "positions.png"):
        assert (tmp_path / "report" / png).stat().st_size > 1000
    res = run(["analyse", "selflabels", "--data", str(data), "--selflabels", str(labels),
               "--png", str(tmp_path / "fig5.png")])
    assert res.exit_code == 0, res.output
    res = run(["analyse", "dimensionality", "--data", str(data), "--checkpoint", str(tmp_path / "scl" / "model.pt"),
               "--checkpoint", str(tmp_path / "mcl" / "model.pt"), "--png", str(tmp_path / "spectra.png")])
    assert res.exit_code == 0 and "effective rank" in res.output, res.output
    res = run(["analyse", "rf-blur", "--data", str(data), "--png", str(tmp_path / "blur.png")])
    assert res.exit_code == 0, res.output
    for png in ("fig5.png", "spectra.png", "blur.png"):
        assert (tmp_path / png).stat().st_size > 1000
    storage = f"sqlite:///{tmp_path / 'search.db'}"
    for trials, total in ((2, 2), (1, 3)):  # a second run resumes the same study
        res = run(["search", "localiser", "--data", str(data), "--trials", str(trials), "--storage", storage,
                   "--epochs", "2", "--no-progress"])
        assert res.exit_code == 0, res.output
        assert f"{total} trials in study" in res.output
    assert (tmp_path / "localiser_best.yaml").exists()
    shutil.rmtree(data / "selflabels")
