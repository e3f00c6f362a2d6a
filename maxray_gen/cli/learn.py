"""Learning commands of `maxray`: train ssl/localiser, selflabels, evaluate, analyse, search.

torch is imported inside the commands, so `maxray --help` stays fast and the rest of the CLI works without it.
"""

from __future__ import annotations

from pathlib import Path

import click

from maxray_gen.errors import ConfigError

DATA = click.option("--data", "data", type=click.Path(file_okay=False, path_type=Path), required=True,
                    help="A dataset directory (from `maxray generate`).")
CONFIG = click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
                      help="YAML training configuration (defaults when omitted).")
PROGRESS = click.option("--no-progress", is_flag=True, help="No progress bar.")


def _require_torch() -> None:
    try:
        import torch  # noqa: F401
    except ImportError:
        from maxray_gen.errors import DependencyError

        raise DependencyError("the learning commands need torch: pip install torch==2.13.0 "
                              "(or `bash scripts/setup.sh`)") from None


@click.group()
def train() -> None:
    """Train radio-visual models (ssl) and the radio localiser."""


@train.command("ssl")
@DATA
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Run directory.")
@click.option("--method", type=click.Choice(["cl", "mcl", "scl"]), default=None, help="Default: scl.")
@CONFIG
@click.option("--epochs", type=click.IntRange(min=1), default=None)
@click.option("--batch-size", type=click.IntRange(min=2), default=None)
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=None)
@click.option("--workers", type=click.IntRange(min=0), default=None, help="DataLoader worker processes.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None)
@click.option("--no-resume", is_flag=True, help="Start afresh even if OUT holds a checkpoint (it is overwritten).")
@PROGRESS
def train_ssl_cmd(data, out, method, config_path, epochs, batch_size, lr, workers, device, no_resume, no_progress):
    """Self-supervised CL / MCL / SCL training on the train split of DATA; resumes from OUT/checkpoint.pt.

    Multi-GPU or multi-process: torchrun --nproc_per_node N -m maxray_gen train ssl ... (DDP)."""
    _require_torch()
    from maxray_gen.learn.config import load_ssl_config
    from maxray_gen.learn.training.train_ssl import train_ssl
    from maxray_gen.viz.learn_plots import training_curve_png
    from maxray_gen.learn.runtime import read_metrics

    cfg = load_ssl_config(config_path, method=method, epochs=epochs, batch_size=batch_size, lr=lr, workers=workers,
                          device=device)
    res = train_ssl(data, out, cfg, resume=not no_resume, progress=not no_progress)
    import os

    if int(os.environ.get("RANK", "0")) == 0:
        rows = read_metrics(Path(out) / "metrics.csv")
        training_curve_png([int(r["epoch"]) for r in rows], [float(r["loss"]) for r in rows], f"{cfg.method} loss",
                           Path(out) / "loss.png")
        click.echo(f"{cfg.method}: {res['epochs']} epochs on {res['train_samples']} samples "
                   f"(resumed at {res['resumed_from']}), loss {res['loss']:.4f}, {res['samples_per_s']:.1f} samples/s; "
                   f"model in {Path(out) / 'model.pt'}")


@train.command("localiser")
@DATA
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Run directory.")
@click.option("--labels", default="groundtruth", show_default=True,
              help="'groundtruth' (supervised baseline) or a self-label file from `maxray selflabels`.")
@CONFIG
@click.option("--epochs", type=click.IntRange(min=1), default=None)
@click.option("--batch-size", type=click.IntRange(min=1), default=None)
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=None)
@PROGRESS
def train_localiser_cmd(data, out, labels, config_path, epochs, batch_size, lr, no_progress):
    """Train the table-2 localiser on DATA's train split, with groundtruth or self-coordinates as labels."""
    _require_torch()
    from maxray_gen.learn.config import load_localiser_config
    from maxray_gen.learn.training.localiser import train_localiser

    if labels != "groundtruth" and not Path(labels).is_file():
        raise ConfigError(f"--labels: {labels}: neither 'groundtruth' nor an existing self-label file")
    cfg = load_localiser_config(config_path, epochs=epochs, batch_size=batch_size, lr=lr)
    res = train_localiser(data, out, cfg, labels, progress=not no_progress)
    kept = "" if res["kept_epoch"] == res["epochs"] else f" (weights of epoch {res['kept_epoch']}, its best)"
    click.echo(f"localiser: {res['epochs']} epochs on {res['train_samples']} samples ({labels}); validation median "
               f"error {res['val_median_error_m']:.3f} m{kept}; model in {Path(out) / 'localiser.pt'}")


@click.command("selflabels")
@DATA
@click.option("--checkpoint", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="model.pt or checkpoint.pt of `maxray train ssl`.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Default: DATA/selflabels/<run name>.h5")
@click.option("--peaks", type=click.IntRange(min=1), default=3, show_default=True,
              help="Peaks kept per sample (non-maximum suppression).")
@click.option("--masks", default=None, help="Target masks: 'groundtruth', or a detections sidecar name/path "
                                            "(`maxray detect predict`). Default: those the model trained with.")
@click.option("--refine", type=click.Choice(["none", "echo"]), default="none", show_default=True,
              help="none: the label is the attention maximum (the paper); echo: the brightest bin of the map "
                   "(over the model's background map) within the maximum's receptive field.")
@PROGRESS
def selflabels_cmd(data, checkpoint, out, peaks, masks, refine, no_progress):
    """Self-coordinates from a trained model's attention maps, written next to the dataset (+ a preview PNG)."""
    _require_torch()
    import numpy as np

    from maxray_gen.learn.config import MaskConfig
    from maxray_gen.learn.experiments.selflabels import make_selflabels

    mask_cfg = None if masks is None else (
        MaskConfig() if masks == "groundtruth" else MaskConfig(source="detections", detections=masks))
    out = out or Path(data) / "selflabels" / f"{Path(checkpoint).resolve().parent.name}.h5"
    res = make_selflabels(checkpoint, data, out, out.with_suffix(".png"), mask_cfg, refine, peaks,
                          progress=not no_progress)
    labels, png = res["labels"], res["preview"]
    click.echo(f"wrote {len(labels['index'])} self-labels to {out} (median peak score "
               f"{np.nanmedian(labels['score']):.3f}); attention preview {png}")


@click.command("evaluate")
@DATA
@click.option("--localiser", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="localiser.pt of `maxray train localiser`.")
@click.option("--selflabels", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also score these self-labels against groundtruth.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Report directory.")
def evaluate_cmd(data, localiser, selflabels, out):
    """Localisation errors on the validation split vs groundtruth: report.md, metrics.json and PNGs."""
    _require_torch()
    from maxray_gen.learn.experiments.evaluate import evaluate

    res = evaluate(data, localiser, out, selflabels)
    r = res["localiser"]
    b = res["mean_position_baseline"]
    click.echo(f"localiser: median {r['cartesian_m']['median']:.3f} m, p90 {r['cartesian_m']['p90']:.3f} m, "
               f"{100 * r['within_cell']:.1f} % within one cell (mean-position baseline: median "
               f"{b['cartesian_m']['median']:.3f} m); report {Path(out) / 'report.md'}")


@click.group()
def analyse() -> None:
    """The paper's analyses as pictures: self-label histograms, dimensionality spectra, RF blur."""


@analyse.command("selflabels")
@DATA
@click.option("--selflabels", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--range-bins", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--azimuth-bins", type=click.IntRange(min=1), default=12, show_default=True)
def analyse_selflabels(data, selflabels, png, range_bins, azimuth_bins):
    """Fig. 5: self-label vs groundtruth histograms over range and azimuth bins, train and validation."""
    _require_torch()
    from maxray_gen.learn.experiments.analyses import selflabel_histograms
    from maxray_gen.viz.learn_plots import selflabel_histograms_png

    hists, edges = selflabel_histograms(data, selflabels, range_bins, azimuth_bins)
    selflabel_histograms_png(hists, edges, png)
    click.echo(f"wrote {png}")


@analyse.command("dimensionality")
@DATA
@click.option("--checkpoint", "checkpoints", multiple=True, required=True,
              type=click.Path(dir_okay=False, path_type=Path), help="One or more (e.g. with and without EMA).")
@click.option("--modality", type=click.Choice(["radio", "vision"]), default="radio", show_default=True)
@click.option("--max-samples", type=click.IntRange(min=2), default=512, show_default=True)
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path), required=True)
def analyse_dimensionality(data, checkpoints, modality, max_samples, png):
    """Appendix B: singular-value spectra of the channel and spatial covariances of the learnt features."""
    _require_torch()
    from maxray_gen.learn.experiments.analyses import effective_rank, representation_spectra
    from maxray_gen.viz.learn_plots import spectra_png

    spectra = {}
    for ck in checkpoints:
        name = Path(ck).resolve().parent.name
        spectra[name] = representation_spectra(ck, data, modality, max_samples=max_samples)
        click.echo(f"{name}: effective rank {effective_rank(spectra[name]['channel']):.1f} of "
                   f"{len(spectra[name]['channel'])} channels, {effective_rank(spectra[name]['spatial']):.1f} of "
                   f"{len(spectra[name]['spatial'])} spatial bins")
    spectra_png(spectra, png)
    click.echo(f"wrote {png}")


@analyse.command("rf-blur")
@DATA
@click.option("--sample", type=click.IntRange(min=0), default=0, show_default=True, help="Global sample index.")
@click.option("--beamwidth", "beamwidths", type=click.FloatRange(min=0, min_open=True), multiple=True,
              default=(1.0, 10.0), show_default=True, help="Degrees; repeat for several.")
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path), required=True)
def analyse_rf_blur(data, sample, beamwidths, png):
    """Appendix A: a sample's camera image (grey) blurred by the Gaussian of an RF beamwidth."""
    from maxray_gen.config import load_config
    from maxray_gen.dataset.inspect import locate
    from maxray_gen.learn.experiments.analyses import rf_blur, to_grey
    from maxray_gen.viz.learn_plots import rf_blur_png

    reader, local = locate(data, sample)
    grey = to_grey(reader.sample(local, fields=("rgb",))["rgb"])
    fov = load_config(Path(data) / "config.yaml").camera.horizontal_fov_deg
    rf_blur_png(grey, {bw: rf_blur(grey, bw, fov) for bw in beamwidths}, png)
    click.echo(f"wrote {png}")


@click.group()
def search() -> None:
    """Architecture and hyper-parameter searches (Optuna)."""


@search.command("localiser")
@DATA
@click.option("--trials", type=click.IntRange(min=1), required=True, help="Trials to add in this run.")
@click.option("--storage", default=None, help="Optuna storage URL. Default: sqlite:///DATA/search/localiser.db")
@click.option("--study", "study_name", default="localiser", show_default=True)
@click.option("--labels", default="groundtruth", show_default=True)
@click.option("--epochs", type=click.IntRange(min=1), default=20, show_default=True, help="Per trial.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@PROGRESS
def search_localiser_cmd(data, trials, storage, study_name, labels, epochs, seed, no_progress):
    """Table-2 search (TPE) minimising the validation median error; resumes from the storage. Writes the best
    configuration as YAML and a history plot next to the storage."""
    _require_torch()
    import yaml

    from maxray_gen.learn.config import LocaliserConfig
    from maxray_gen.learn.experiments.search import best_config, search_localiser

    if storage is None:
        (Path(data) / "search").mkdir(parents=True, exist_ok=True)
        storage = f"sqlite:///{(Path(data) / 'search' / 'localiser.db').resolve()}"
    base = LocaliserConfig(epochs=epochs, seed=seed)
    study = search_localiser(data, storage, trials, base, labels, study_name, seed, progress=not no_progress)
    done = [t for t in study.trials if t.value is not None]
    if not done:
        raise ConfigError("search: no trial finished (all pruned); try more trials")
    best = best_config(study, base)
    out_dir = Path(storage.removeprefix("sqlite:///")).parent if storage.startswith("sqlite:///") else Path(".")
    (out_dir / f"{study_name}_best.yaml").write_text(yaml.safe_dump(best.model_dump(mode="json"), sort_keys=False))
    from maxray_gen.viz.learn_plots import training_curve_png
    import numpy as np

    vals = np.array([t.value for t in done])
    training_curve_png(np.arange(1, len(vals) + 1), np.minimum.accumulate(vals), "best median error (m)",
                       out_dir / f"{study_name}_history.png")
    click.echo(f"{len(study.trials)} trials in study '{study_name}' ({len(done)} finished); best median error "
               f"{study.best_value:.3f} m; configuration in {out_dir / f'{study_name}_best.yaml'}")


@click.command("reproduce")
@click.option("--preset", default=None, help="cpu (2 CPU cores, about 1 hour), scale (the learning curve: 2,500 samples, "
                                                "hours on 2 cores) or paper (GPU farm scale).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A reproduction preset file instead of --preset.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Run directory (default: reproduce-<preset>-seed<S>); a second run resumes it.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Training seed (model initialisation, batches, localiser); the datasets' seeds are the preset's.")
@click.option("--data", "data", multiple=True,
              help="[SCENE=]DIR: use this existing dataset for a scene set instead of generating it "
                   "(a bare DIR is the preset's first scene set; SCENE/test=DIR its test dataset). Repeatable.")
@click.option("--test-seed", type=click.IntRange(min=0), default=None,
              help="Seed of the test datasets instead of the preset's (must differ from every scene set's seed).")
@PROGRESS
def reproduce_cmd(preset, config_path, out, seed, data, test_seed, no_progress):
    """The paper's claim on our data: generate (train/validation and a test lot from its own seed), train
    CL/MCL/SCL, extract self-coordinates, train localisers, score on the validation and test splits; writes
    OUT/report.md, OUT/results.json and OUT/figures/. Resumable."""
    _require_torch()
    from maxray_gen.learn.experiments.reproduce import reproduce
    from maxray_gen.learn.experiments.reproduce_config import load_preset, parse_data_options

    cfg, name = load_preset(preset, config_path)
    out = out or Path(f"reproduce-{name}-seed{seed}")
    res = reproduce(cfg, name, out, seed, parse_data_options(data, cfg), progress=not no_progress, echo=click.echo,
                    test_seed=test_seed)
    sl = res["selflabels"]
    click.echo(f"{res['final_split']} split, self-labels median to centre / right car: "
               + ", ".join(f"{k} {v['median_cartesian_m']:.2f} m / {100 * v['right_car']:.0f} %" for k, v in sl.items())
               + f"; radar peak {res['radar_peak']['median_cartesian_m']:.2f} m / "
                 f"{100 * res['radar_peak']['right_car']:.0f} %")
    click.echo("localiser median to centre / right car: " + ", ".join(
        f"{k} {v['median_cartesian_m']:.2f} m / {100 * v['right_car']:.0f} %" for k, v in res["localiser"].items()))
    missed = [k for k, v in res["targets"].items() if not v["met"]]
    click.echo(f"targets met: {len(res['targets']) - len(missed)} of {len(res['targets'])}"
               + (f" (missed: {', '.join(missed)})" if missed else ""))
    click.echo(f"report: {Path(out) / 'report.md'}; results: {Path(out) / 'results.json'}")


COMMANDS = (train, selflabels_cmd, evaluate_cmd, analyse, search, reproduce_cmd)  # what `maxray` registers from this module
