"""``maxray detect train``: a YOLO detector trained (from scratch or fine-tuned) on a generated dataset, offline."""

from __future__ import annotations

import csv
import json
import os
import time
from pathlib import Path
from typing import Literal

from pydantic import Field

from maxray_gen.detect.weights import file_hash, load_model, save_weights
from maxray_gen.detect.yolo_data import LabelLimits, prepare_yolo_data
from maxray_gen.errors import ConfigError
from maxray_gen.schema import StrictModel


class DetectTrainConfig(StrictModel):
    """Training settings. The defaults converge in tens of epochs on a few hundred CPU images (AdamW, no
    warm-up, no mosaic; see docs/detection.md); ultralytics' own defaults (SGD, mosaic) suit long GPU runs."""

    model: str = Field("yolov8n.yaml", description="model config (from scratch) or weights file (fine-tune)")
    epochs: int = Field(60, ge=1, le=10_000)
    imgsz: int = Field(320, ge=32, le=4096, description="training image size (multiple of 32)")
    batch: int = Field(8, ge=1, le=1024)
    optimizer: Literal["AdamW", "Adam", "SGD", "auto"] = "AdamW"
    lr0: float | None = Field(None, gt=0, le=1, description="null: 0.005 from a model config, 0.0005 when "
                                                            "fine-tuning weights (0.005 undoes them in one epoch)")
    mosaic: float = Field(0.0, ge=0, le=1)
    warmup_epochs: float = Field(0.0, ge=0)
    seed: int = Field(0, ge=0)
    device: str = Field("auto", description="auto (cuda:0 when present), cpu, or a CUDA index")
    workers: int = Field(0, ge=0)
    amp: bool = Field(False, description="mixed precision on CUDA; ultralytics first checks it with a model it "
                                         "downloads, so leave off on machines without internet")
    limits: LabelLimits = LabelLimits()
    plots: bool = Field(False, description="ultralytics' own plots (ours, training.png, are always drawn)")


def resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "0" if torch.cuda.is_available() else "cpu"
    return device


def plot_history(results_csv: Path, png: Path) -> None:
    """Losses and validation mAP per epoch (from ultralytics' results.csv)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = list(csv.DictReader(results_csv.open()))
    rows = [{k.strip(): v for k, v in r.items()} for r in rows]
    ep = [int(float(r["epoch"])) for r in rows]
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.4))
    for k in ("train/box_loss", "train/cls_loss", "train/dfl_loss"):
        ax[0].plot(ep, [float(r[k]) for r in rows], label=k.split("/")[1])
    ax[0].set(xlabel="epoch", ylabel="loss", title="training losses")
    ax[0].legend()
    for k, lab in (("metrics/mAP50(B)", "mAP50"), ("metrics/mAP50-95(B)", "mAP50-95")):
        ax[1].plot(ep, [float(r[k]) for r in rows], label=lab)
    ax[1].set(xlabel="epoch", ylabel="validation", ylim=(0, 1), title="validation mAP")
    ax[1].legend()
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)


def train_detector(data: str | Path, out: str | Path, cfg: DetectTrainConfig, trust_weights: bool = False,
                   verbose: bool = True) -> dict:
    """Export (cached) -> train with ultralytics -> ``out/weights.pt`` (safe format), ``out/train.json``,
    ``out/training.png``; ultralytics' own files stay in ``out/ultralytics/``. Returns the summary."""
    if cfg.imgsz % 32:
        raise ConfigError(f"imgsz: {cfg.imgsz} is not a multiple of 32 (YOLO's largest stride)")
    data, out = Path(data), Path(out)
    model = load_model(cfg.model, trust=trust_weights)
    from_config = cfg.model.endswith((".yaml", ".yml"))
    data_yaml = prepare_yolo_data(data, cfg.limits)
    out.mkdir(parents=True, exist_ok=True)
    import torch

    torch.set_num_threads(len(os.sched_getaffinity(0)))
    t0 = time.perf_counter()
    metrics = model.train(data=str(data_yaml), epochs=cfg.epochs, imgsz=cfg.imgsz, batch=cfg.batch,
                          device=resolve_device(cfg.device), workers=cfg.workers, amp=cfg.amp,
                          optimizer=cfg.optimizer, lr0=cfg.lr0 or (0.005 if from_config else 0.0005),
                          nbs=cfg.batch, warmup_epochs=cfg.warmup_epochs,
                          mosaic=cfg.mosaic, seed=cfg.seed, deterministic=True, plots=cfg.plots, verbose=verbose,
                          project=str(out.resolve()), name="ultralytics", exist_ok=True, val=True)
    seconds = time.perf_counter() - t0
    summary = {"data": str(data), "data_yaml": str(data_yaml), "config": cfg.model_dump(mode="json"),
               "epochs": cfg.epochs, "train_seconds": round(seconds, 1),
               "ultralytics_val": {"mAP50": float(metrics.box.map50), "mAP50_95": float(metrics.box.map),
                                   "precision": float(metrics.box.mp), "recall": float(metrics.box.mr)}}
    weights = save_weights(model, out / "weights.pt", {"imgsz": cfg.imgsz, "data": str(data)})
    summary["weights"], summary["weights_sha256"] = str(weights), file_hash(weights)
    (out / "train.json").write_text(json.dumps(summary, indent=1))
    results = out / "ultralytics" / "results.csv"
    if results.exists():
        plot_history(results, out / "training.png")
    return summary
