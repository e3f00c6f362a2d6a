"""`maxray detect train|eval|predict`: YOLO on the synthetic images (optional extra ``detect``, AGPL-3.0).

ultralytics is imported inside the commands only (through :mod:`maxray_gen.detect.offline`).
"""

from __future__ import annotations

from pathlib import Path

import click

DATA = click.option("--data", "data", type=click.Path(file_okay=False, exists=True, path_type=Path), required=True,
                    help="A dataset directory (from `maxray generate`).")
WEIGHTS = click.option("--weights", type=click.Path(dir_okay=False, path_type=Path), required=True,
                       help="weights.pt from `maxray detect train` (or, with --trust-weights, an ultralytics .pt).")
TRUST = click.option("--trust-weights", is_flag=True,
                     help="Allow pickled ultralytics checkpoints (loading one can run code from the file).")
IMGSZ = click.option("--imgsz", type=click.IntRange(min=32), default=None,
                     help="Inference image size (default: the training size recorded in the weights).")
DEVICE = click.option("--device", default="auto", show_default=True, help="auto, cpu or a CUDA index.")
PROGRESS = click.option("--no-progress", is_flag=True, help="No progress output.")


@click.group()
def detect() -> None:
    """Vision detection: train YOLO on a dataset, evaluate per condition, write detections for the masks."""


@detect.command("train")
@DATA
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Run directory.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="YAML training settings (see docs/detection.md); options below override it.")
@click.option("--model", default=None, help="Model config (from scratch, default yolov8n.yaml) or weights to "
                                            "fine-tune.")
@click.option("--epochs", type=click.IntRange(min=1), default=None)
@click.option("--imgsz", type=click.IntRange(min=32), default=None)
@click.option("--batch", type=click.IntRange(min=1), default=None)
@click.option("--seed", type=click.IntRange(min=0), default=None)
@click.option("--device", default=None, help="auto (default), cpu or a CUDA index.")
@TRUST
@PROGRESS
def train_cmd(data, out, config_path, model, epochs, imgsz, batch, seed, device, trust_weights, no_progress):
    """Train a detector on DATA's train split (exported to DATA/detect/, cached), validated on its val split."""
    from maxray_gen.detect.train import DetectTrainConfig, train_detector
    from maxray_gen.schema import load, parse

    base = load(DetectTrainConfig, config_path).model_dump() if config_path else {}
    base.update({k: v for k, v in dict(model=model, epochs=epochs, imgsz=imgsz, batch=batch, seed=seed,
                                       device=device).items() if v is not None})
    cfg = parse(DetectTrainConfig, base, str(config_path) if config_path else "<options>")
    res = train_detector(data, out, cfg, trust_weights=trust_weights, verbose=not no_progress)
    v = res["ultralytics_val"]
    click.echo(f"detector: {cfg.epochs} epochs in {res['train_seconds']:.0f} s; validation mAP50 {v['mAP50']:.3f}, "
               f"mAP50-95 {v['mAP50_95']:.3f}; weights in {res['weights']}")


@detect.command("eval")
@DATA
@WEIGHTS
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Report directory (default: next to the weights, eval-<dataset name>/).")
@click.option("--split", type=click.Choice(["val", "train", "all"]), default="val", show_default=True)
@click.option("--conf", type=click.FloatRange(0, 1), default=0.25, show_default=True,
              help="Score threshold for mean IoU, precision and recall (mAP uses all detections).")
@IMGSZ
@DEVICE
@TRUST
@PROGRESS
def eval_cmd(data, weights, out, split, conf, imgsz, device, trust_weights, no_progress):
    """Table-1 metrics (mAP50, mAP50-95, mean IoU of matched boxes) overall and per lighting and weather."""
    from maxray_gen.detect.evaluate import evaluate_detector, markdown_table

    out = out or Path(weights).parent / f"eval-{Path(data).resolve().name}"
    res = evaluate_detector(data, weights, out, split, imgsz, conf, device, trust_weights, not no_progress)
    click.echo(markdown_table(res["metrics"]))
    click.echo(f"report, plots: {out}")


@detect.command("predict")
@DATA
@WEIGHTS
@click.option("--name", default="yolo", show_default=True,
              help="Sidecar name: DATA/detections/<name>.h5 (the learning config's masks.detections).")
@click.option("--conf", type=click.FloatRange(0, 1), default=0.25, show_default=True)
@click.option("--iou", type=click.FloatRange(0, 1), default=0.7, show_default=True, help="NMS IoU threshold.")
@IMGSZ
@DEVICE
@TRUST
@PROGRESS
def predict_cmd(data, weights, name, conf, iou, imgsz, device, trust_weights, no_progress):
    """Detect cars in every image of DATA and write the detections sidecar (usable as MCL/SCL masks)."""
    from maxray_gen.dataset.detections import read_detections
    from maxray_gen.detect.predict import predict_to_sidecar

    path = predict_to_sidecar(data, weights, name, imgsz, conf, iou, device, trust_weights, not no_progress)
    det = read_detections(path)
    n = sum(len(b) for b in det.boxes.values())
    click.echo(f"{n} detections in {len(det)} images -> {path}")


COMMANDS = (detect,)  # what `maxray` registers from this module
