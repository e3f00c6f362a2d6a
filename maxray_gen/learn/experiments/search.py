"""`maxray search localiser`: the table-2 architecture/hyper-parameter search with Optuna (TPE), resumable.

Trials live in an Optuna storage (SQLite file by default); running the command again with the same storage and
study name continues the search. Each trial trains the localiser briefly and reports the validation median
Cartesian error against groundtruth; infeasible architectures (the conv stack shrinks the map to nothing) are
pruned.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from maxray_gen.errors import ConfigError
from maxray_gen.learn.config import LocaliserConfig

SPACE = {  # table 2 of the supplementary material
    "lr": [1e-4, 1e-3, 1e-2],
    "activation": ["relu", "leakyrelu", "sigmoid", "tanh", "softplus"],
    "optimizer": ["sgd", "adam"],
    "loss": ["mse", "l1"],
    "conv_channels": [4, 8, 16, 32, 64],
    "kernels": [2, 3, 4],
    "strides": [1, 2],
    "linear": [[128, 256, 512], [16, 32, 64, 128, 256], [16, 32, 64, 128, 256], [64, 182, 256]],
}


def suggest(trial, base: LocaliserConfig) -> LocaliserConfig:
    """A localiser configuration drawn from the table-2 space (momentum uniform in [0.8, 1))."""
    p = {
        "lr": trial.suggest_categorical("lr", SPACE["lr"]),
        "momentum": trial.suggest_float("momentum", 0.8, 0.999),
        "activation": trial.suggest_categorical("activation", SPACE["activation"]),
        "optimizer": trial.suggest_categorical("optimizer", SPACE["optimizer"]),
        "loss": trial.suggest_categorical("loss", SPACE["loss"]),
        "conv_channels": tuple(trial.suggest_categorical(f"c{i}_size", SPACE["conv_channels"]) for i in range(1, 5)),
        "kernels": tuple(trial.suggest_categorical(f"k{i}_size", SPACE["kernels"]) for i in range(1, 5)),
        "strides": tuple(trial.suggest_categorical(f"s{i}_size", SPACE["strides"]) for i in range(1, 5)),
        "linear": tuple(trial.suggest_categorical(f"lin{i}_size", SPACE["linear"][i - 1]) for i in range(1, 5)),
    }
    return base.model_copy(update=p)


def search_localiser(data: Path, storage: str, trials: int, base: LocaliserConfig, labels: str | Path = "groundtruth",
                     study_name: str = "localiser", seed: int = 0, progress: bool = True):
    """Run ``trials`` more trials (minimising validation median error, metres); returns the study."""
    import optuna

    from maxray_gen.learn.training.localiser import train_localiser

    if not progress:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name=study_name, storage=storage, direction="minimize", load_if_exists=True,
                                sampler=optuna.samplers.TPESampler(seed=seed + len(_existing(storage, study_name))))

    def objective(trial):
        cfg = suggest(trial, base)
        with tempfile.TemporaryDirectory() as tmp:
            try:
                res = train_localiser(data, Path(tmp), cfg, labels, progress=False)
            except ConfigError as exc:  # architecture does not fit the heatmap
                raise optuna.TrialPruned(str(exc)) from None
        err = res["val_median_error_m"]
        if err != err:  # NaN: diverged
            raise optuna.TrialPruned("training diverged")
        return err

    study.optimize(objective, n_trials=trials, show_progress_bar=progress)
    return study


def _existing(storage: str, name: str) -> list:
    import optuna

    try:
        return optuna.load_study(study_name=name, storage=storage).trials
    except KeyError:
        return []


def best_config(study, base: LocaliserConfig) -> LocaliserConfig:
    """The best trial's parameters as a localiser configuration (for `maxray train localiser --config`)."""
    import optuna

    trial = optuna.trial.FixedTrial(study.best_trial.params)
    return suggest(trial, base)
