"""``maxray reproduce``: the paper's claim end to end on our own data, one resumable command.

Stages (each finished stage leaves a marker in ``RUN/stages/`` with the hash of what it was made from, and a
second run skips it): generate the dataset of each scene set (and, with a ``test`` section, its test dataset from
the test seed), train CL / MCL / SCL (and the ablation variants), extract self-coordinates, train the localiser on
groundtruth and on each method's self-coordinates, then score everything on the validation split and on the test
split (``results.json``, ``report.md``, figures). Nothing is chosen on the test split: it is generated from its
own seed and only scored. A run directory made from another preset or seed is refused, naming the stage, so
finished work is never overwritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any, Callable

from maxray_gen.errors import ConfigError, DataError
from maxray_gen.learn.experiments.reproduce_config import ReproduceConfig
from maxray_gen.schema import stable_dump


def digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


class Stages:
    """Markers of finished stages: ``RUN/stages/<name>.json`` holding the stage's key and its summary."""

    def __init__(self, run: Path):
        self.run, self.dir = run, run / "stages"

    def _path(self, name: str) -> Path:
        return self.dir / (name.replace("/", "__") + ".json")

    def get(self, name: str, key: str) -> dict | None:
        p = self._path(name)
        if not p.exists():
            return None
        rec = json.loads(p.read_text())
        if rec["key"] != key:
            raise ConfigError(f"{self.run}: stage {name} was made from another preset, seed or dataset; use a new "
                              "--out (finished stages are left as they are)")
        return rec["summary"]

    def finish(self, name: str, key: str, summary: dict) -> dict:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self._path(name).with_suffix(f".tmp-{os.getpid()}")
        tmp.write_text(json.dumps({"key": key, "summary": summary}, indent=2, default=str))
        os.replace(tmp, self._path(name))
        return summary


def dataset_hash(root: Path) -> str:
    """Hash of a dataset's shard records (file names, sample counts, checksums) from its manifest."""
    m = json.loads((root / "manifest.json").read_text())
    return digest({"config": m.get("config_hash"), "shards": m.get("shards")})


def check_dataset(root: Path, splits: tuple[str, ...] = ("train", "val")) -> None:
    """A clear error for a missing dataset, one without the per-object radar truth the metrics need (schema 4),
    or one whose ``splits`` have no designated target."""
    from maxray_gen.dataset.inspect import require_radar_truth, shard_paths

    if not root.is_dir() or not (root / "config.yaml").exists() or not shard_paths(root):
        raise DataError(f"{root}: no dataset there (no config.yaml or shards; made by `maxray generate`)")
    require_radar_truth(root)
    from maxray_gen.learn.data.batches import open_split

    for split in splits:
        open_split(root, split, ("objects", "target"))  # raises DataError naming the split when it has no target


def dataset_splits(name: str) -> tuple[str, ...]:
    """The splits a dataset of the run is used by: a test dataset is scored whole."""
    return ("all",) if name.endswith("/test") else ("train", "val")


def check_device(cfg: ReproduceConfig, name: str) -> None:
    if cfg.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise ConfigError(f"--preset {name}: needs a CUDA GPU (device: cuda) and torch sees none; "
                              "run it on a GPU machine or use --preset cpu")


def reproduce(cfg: ReproduceConfig, name: str, run: Path, seed: int = 0, data: dict[str, Path] | None = None,
              progress: bool = True, echo: Callable[[str], None] = print, test_seed: int | None = None) -> dict:
    """Run (or resume) every stage into ``run``; returns the results dictionary also written to results.json.
    ``test_seed`` replaces the preset's test seed."""
    check_device(cfg, name)
    cfg = cfg.with_test_seed(test_seed)
    data = dict(data or {})
    unknown = [k for k in data if k not in cfg.dataset_names()]
    if unknown:
        raise ConfigError(f"--data: no scene set {unknown[0]!r} in the preset (datasets: "
                          f"{', '.join(cfg.dataset_names())})")
    for key, root in data.items():
        check_dataset(root, dataset_splits(key))
    run = Path(run)
    run.mkdir(parents=True, exist_ok=True)
    stages = Stages(run)
    plan = _plan(cfg, seed)
    t_all = time.perf_counter()
    timings: dict[str, float] = {}
    roots: dict[str, Path] = {}
    n_stages = len(plan)
    for k, (stage, key_parts, fn) in enumerate(plan, 1):
        if stage.startswith("data/"):
            ds = stage.removeprefix("data/")
            roots[ds] = data.get(ds, run / "datasets" / ds.replace("/", "-"))
        key_parts = {**key_parts, "data": _data_key(stage, roots, data)}
        key = digest(key_parts)
        done = stages.get(stage, key)
        if done is not None:
            echo(f"[{k}/{n_stages}] {stage}: done before, reused")
            timings[stage] = float(done.get("seconds", 0.0))
            continue
        echo(f"[{k}/{n_stages}] {stage} ...")
        t0 = time.perf_counter()
        summary = fn(run, roots, progress) or {}
        summary["seconds"] = time.perf_counter() - t0
        timings[stage] = summary["seconds"]
        stages.finish(stage, key, summary)
        echo(f"[{k}/{n_stages}] {stage}: {summary['seconds'] / 60:.1f} min")
    from maxray_gen.learn.experiments.reproduce_report import predictions, score, write_report

    scenes = {s: roots[s] for s in cfg.scenes}
    splits = {"validation": {s: predictions(cfg, run, r, s, seed) for s, r in scenes.items()}}
    if cfg.test is not None:
        splits["test"] = {s: predictions(cfg, run, r, s, seed, test_root=roots[f"{s}/test"])
                          for s, r in scenes.items()}
    results = score(cfg, scenes, splits)
    results["preset"] = name
    results["seed"] = seed
    results["test_seed"] = None if cfg.test is None else cfg.test.seed
    results["config_hash"] = digest(cfg.model_dump(mode="json"))
    results["dataset_hashes"] = {s: dataset_hash(r) for s, r in roots.items()}
    results["stage_seconds"] = timings
    results["run_seconds_this_call"] = time.perf_counter() - t_all
    tmp = run / f".results.json.tmp-{os.getpid()}"
    tmp.write_text(json.dumps(results, indent=2))
    os.replace(tmp, run / "results.json")
    write_report(cfg, run, scenes, splits, results)
    return results


def _data_key(stage: str, roots: dict[str, Path], given: dict[str, Path]) -> str | None:
    if stage.startswith("data/"):
        ds = stage.removeprefix("data/")
        return str(given[ds].resolve()) if ds in given else None
    scene = stage.split("/")[1]
    if stage.startswith("test-selflabels/"):  # made from the training data's model and the test data
        return digest([dataset_hash(roots[scene]), dataset_hash(roots[f"{scene}/test"])])
    return dataset_hash(roots[scene])


def _plan(cfg: ReproduceConfig, seed: int) -> list[tuple[str, dict, Callable]]:
    """(stage name, what its result depends on, function(run, roots, progress) -> summary) in order."""
    plan = []
    headline = next(iter(cfg.scenes))
    for ds in cfg.dataset_names():
        gen = stable_dump(cfg.scene_config(ds)) if ds.endswith("/test") else cfg.scenes[ds]
        plan.append((f"data/{ds}", {"generate": gen}, _generate_stage(cfg, ds)))
    for scene in cfg.scenes:
        variants = [(m, m, None, None) for m in cfg.methods]
        if scene == headline:
            variants += [(f"ablation-{a}", "scl", a, None) for a in cfg.ablations]
            variants += [(tag, "scl", None, n) for tag, n in cfg.curve_tags()]
        for tag, method, ablation, size in variants:
            scfg = cfg.ssl_config(method, seed, ablation, size)
            plan.append((f"ssl/{scene}/{tag}", {"ssl": stable_dump(scfg)},
                         _ssl_stage(scene, tag, scfg)))
            plan.append((f"selflabels/{scene}/{tag}", {"ssl": stable_dump(scfg), "kind": "selflabels",
                                                        **_refine_key(cfg)},
                         _selflabels_stage(scene, tag, cfg.selflabel_refine)))
            if cfg.test is not None:  # the trained model's self-labels of the unseen test lot, for scoring only
                plan.append((f"test-selflabels/{scene}/{tag}", {"ssl": stable_dump(scfg),
                                                                "kind": "test-selflabels", **_refine_key(cfg)},
                             _selflabels_stage(scene, tag, cfg.selflabel_refine, test=True)))
        labels = [(lab, None) for lab in cfg.localiser_labels]
        if scene == headline:
            labels += [(f"{lab}@{n}", n) for _, n in cfg.curve_tags() for lab in ("groundtruth", "scl")]
        for lab, size in labels:
            lcfg = cfg.localiser_config(seed, size)
            deps = {"localiser": stable_dump(lcfg), "labels": lab}
            method = lab.partition("@")[0]
            if method != "groundtruth":
                deps["ssl"] = stable_dump(cfg.ssl_config(method, seed, None, size))
                deps.update(_refine_key(cfg))
            plan.append((f"localiser/{scene}/{lab}", deps, _localiser_stage(scene, lab, lcfg)))
    return plan


def _refine_key(cfg: ReproduceConfig) -> dict:
    """The self-label refinement as a stage dependency; absent when off, so runs made before it keep their keys."""
    return {} if cfg.selflabel_refine == "none" else {"refine": cfg.selflabel_refine}


def _generate_stage(cfg: ReproduceConfig, scene: str):
    """Stage: generate dataset ``scene`` (a scene set, or ``SCENE/test``) unless one was given with --data."""
    def run_stage(run: Path, roots: dict[str, Path], progress: bool) -> dict:
        root = roots[scene]
        if root != run / "datasets" / scene.replace("/", "-"):  # an existing dataset given with --data
            return {"dataset": str(root), "generated": False}
        from maxray_gen.native_log import native_output_to
        from maxray_gen.pipeline.generate import describe_dataset, generate

        gcfg = cfg.scene_config(scene, workers=cfg.workers)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        with native_output_to(run / "logs" / f"engines-{scene.replace('/', '-')}-{stamp}.log"):
            res = generate(gcfg, root, progress=progress)
            if res["manifest"]["samples_done"]:
                describe_dataset(gcfg, root)  # previews and DATASHEET.md, as `maxray generate` writes them
        check_dataset(root, dataset_splits(scene))
        return {"dataset": str(root), "generated": True, "samples": res["manifest"]["samples_done"],
                "samples_per_s": res["samples_per_s"]}
    return run_stage


def _ssl_stage(scene: str, tag: str, scfg):
    def run_stage(run: Path, roots: dict[str, Path], progress: bool) -> dict:
        from maxray_gen.learn.training.train_ssl import train_ssl

        res = train_ssl(roots[scene], run / "ssl" / scene / tag, scfg, resume=True, progress=progress)
        return {k: res[k] for k in ("epochs", "loss", "samples_per_s", "train_samples")}
    return run_stage


def _selflabels_stage(scene: str, tag: str, refine: str, test: bool = False):
    """Stage: the trained model's self-labels of every sample of the scene set (``test``: of its test dataset,
    in ``RUN/test-selflabels/``)."""
    def run_stage(run: Path, roots: dict[str, Path], progress: bool) -> dict:
        from maxray_gen.learn.experiments.selflabels import make_selflabels

        kind, data, split = ("test-selflabels", roots[f"{scene}/test"], "all") if test else \
            ("selflabels", roots[scene], "val")
        res = make_selflabels(run / "ssl" / scene / tag / "model.pt", data, run / kind / scene / f"{tag}.h5",
                              run / "figures" / f"attention-{scene}-{tag}{'-test' if test else ''}.png",
                              refine=refine, preview_split=split, progress=progress)
        return {"selflabels": str(res["out"]), "samples": int(len(res["labels"]["index"]))}
    return run_stage


def _localiser_stage(scene: str, labels: str, lcfg):
    def run_stage(run: Path, roots: dict[str, Path], progress: bool) -> dict:
        from maxray_gen.learn.training.localiser import train_localiser

        src = "groundtruth" if labels.startswith("groundtruth") else run / "selflabels" / scene / f"{labels}.h5"
        res = train_localiser(roots[scene], run / "localiser" / scene / labels, lcfg, src, progress=progress)
        return {"val_median_error_m": res["val_median_error_m"], "train_samples": res["train_samples"]}
    return run_stage
