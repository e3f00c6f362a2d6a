"""``maxray detect eval``: the paper's table-1 metrics overall and per lighting/weather (its fig. 7), with pictures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from maxray_gen.detect.metrics import ImageDetections, summarise
from maxray_gen.detect.predict import run_detector
from maxray_gen.detect.weights import file_hash, load_model, trained_imgsz
from maxray_gen.dataset.schema import CLASSES
from maxray_gen.errors import DataError

LIGHTING_ORDER = ("day", "dusk", "night")
WEATHER_ORDER = ("clear", "rain", "fog", "snow")


def _of_class(detections, class_id: int, names: dict[int, str] | None):
    """The detections a model made for dataset class ``class_id`` (its class names mapped onto ours by name;
    a one-class model's detections are cars)."""
    boxes, scores, classes = detections
    if names is None or classes is None:
        keep = np.full(len(scores), class_id == 0)
    else:
        ours = np.array([CLASSES.index(names[int(c)]) if names.get(int(c)) in CLASSES else -1 for c in classes])
        keep = ours == class_id if len(names) > 1 else np.full(len(scores), class_id == 0)
    return boxes[keep], scores[keep]


def per_condition(rows, conf: float = 0.25, names: dict[int, str] | None = None) -> dict[str, dict]:
    """Cars: {"all": metrics, "lighting=day": ..., "weather=snow": ...}; then one "class=<name>" row per other class
    with groundtruth (people, cyclists, drones), from [(Groundtruth, rgb, detections)]. ``names``: the model's class
    names (ids -> names), matched to ``dataset.schema.CLASSES`` by name."""
    groups: dict[str, list[ImageDetections]] = {"all": []}
    present = set()
    for gt, _, det in rows:
        cars = gt.of_class(0)
        im = ImageDetections(cars.boxes, *_of_class(det, 0, names), cars.ignore)
        groups["all"].append(im)
        groups.setdefault(f"lighting={gt.lighting}", []).append(im)
        groups.setdefault(f"weather={gt.weather}", []).append(im)
        if gt.classes is not None:
            present |= set(int(c) for c in gt.classes)
    for c in sorted(present - {0}):
        groups[f"class={CLASSES[c]}"] = [ImageDetections(g.boxes, *_of_class(det, c, names), g.ignore)
                                         for g, det in ((gt.of_class(c), det) for gt, _, det in rows)]
    order = ["all"] + [f"lighting={k}" for k in LIGHTING_ORDER] + [f"weather={k}" for k in WEATHER_ORDER]
    keys = [k for k in order if k in groups] + sorted(set(groups) - set(order))
    return {k: with_reference_ap(summarise(groups[k], conf), groups[k]) for k in keys}


def with_reference_ap(metrics: dict, images: list[ImageDetections]) -> dict:
    """mAP50 / mAP50-95 from pycocotools' COCOeval (the reference implementation); our own AP stays beside it
    as ``mAP50_own`` / ``mAP50_95_own`` (they agree to ~0.01: tests/test_detect.py). Without pycocotools (it comes
    with the ``detect`` extra) our own AP is reported, ``ap_source`` says which."""
    from maxray_gen.detect.coco_eval import coco_average_precision

    out = dict(metrics, mAP50_own=metrics["mAP50"], mAP50_95_own=metrics["mAP50_95"], ap_source="own")
    try:
        ref = coco_average_precision(images)
    except ImportError:  # pycocotools not installed
        return out
    return dict(out, **ref, ap_source="pycocotools")


def markdown_table(metrics: dict[str, dict]) -> str:
    lines = ["| condition (cars; class=: other classes) | images | objects | mAP50 | mAP50-95 | mean IoU | precision | recall |",
             "|---|---|---|---|---|---|---|---|"]
    f = (lambda v: "-" if v != v else f"{v:.3f}")
    for k, m in metrics.items():
        lines.append(f"| {k} | {m['images']} | {m['objects']} | {f(m['mAP50'])} | {f(m['mAP50_95'])} | "
                     f"{f(m['mean_iou'])} | {f(m['precision'])} | {f(m['recall'])} |")
    return "\n".join(lines)


def plot_conditions(metrics: dict[str, dict], png: Path) -> None:
    """Bars of mAP50, mAP50-95 and mean IoU per condition (the paper's fig. 7 as a plot)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = list(metrics)
    x = np.arange(len(keys))
    fig, ax = plt.subplots(figsize=(1.1 * len(keys) + 2, 3.6))
    for j, (k, lab) in enumerate((("mAP50", "mAP50"), ("mAP50_95", "mAP50-95"), ("mean_iou", "mean IoU"))):
        ax.bar(x + (j - 1) * 0.27, [np.nan_to_num(metrics[c][k]) for c in keys], 0.27, label=lab)
    ax.set_xticks(x, [k.replace("lighting=", "").replace("weather=", "") for k in keys])
    ax.set(ylim=(0, 1.05), ylabel="score", title="detection by condition (validation split)")
    ax.legend(ncol=3, fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)


def plot_grid(rows, png: Path, conf: float = 0.25, per_row: int = 4) -> None:
    """One row of images per weather (with their lighting), groundtruth in green, detections in red."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.patches as patches
    import matplotlib.pyplot as plt

    by = {}
    for r in rows:
        by.setdefault(r[0].weather, []).append(r)
    weathers = [w for w in WEATHER_ORDER if w in by] + sorted(set(by) - set(WEATHER_ORDER))
    fig, axes = plt.subplots(len(weathers), per_row, figsize=(3 * per_row, 2.3 * len(weathers)), squeeze=False)
    for i, w in enumerate(weathers):
        for j in range(per_row):
            ax = axes[i, j]
            ax.axis("off")
            if j >= len(by[w]):
                continue
            gt, rgb, (boxes, scores, _) = by[w][j * max(1, len(by[w]) // per_row)]
            ax.imshow(rgb)
            for b, ign in zip(gt.boxes, gt.ignore):
                ax.add_patch(patches.Rectangle(b[:2], *(b[2:] - b[:2]), fill=False, lw=0.8,
                                               ec="lime", ls=":" if ign else "-"))
            for b in boxes[scores >= conf]:
                ax.add_patch(patches.Rectangle(b[:2], *(b[2:] - b[:2]), fill=False, lw=0.8, ec="red"))
            ax.set_title(f"{w}, {gt.lighting} (#{gt.index})", fontsize=8)
    fig.suptitle("groundtruth (green, dotted: ignored) and detections (red)", fontsize=9)
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    plt.close(fig)


def evaluate_detector(data: str | Path, weights: str | Path, out: str | Path, split: str = "val",
                      imgsz: int | None = None, conf: float = 0.25, device: str = "auto",
                      trust_weights: bool = False, progress: bool = True) -> dict:
    """Detect on ``split``, score overall and per condition; writes metrics.json, report.md, conditions.png and
    detections.png into ``out``. mAP uses every detection down to score 0.001; mean IoU, precision and recall
    use the detections scoring at least ``conf``."""
    from maxray_gen.detect.train import resolve_device

    model = load_model(weights, trust=trust_weights)
    imgsz = imgsz or trained_imgsz(model)
    rows = run_detector(model, data, split, imgsz, 0.001, 0.7, resolve_device(device), progress=progress)
    if not rows:
        raise DataError(f"{data}: no {split} samples to evaluate on")
    metrics = per_condition(rows, conf, {int(k): str(v) for k, v in getattr(model, "names", {}).items()} or None)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result = {"data": str(data), "weights": str(weights), "weights_sha256": file_hash(weights), "split": split,
              "imgsz": imgsz, "conf": conf, "metrics": metrics}
    (out / "metrics.json").write_text(json.dumps(result, indent=1))
    (out / "report.md").write_text(f"# Detection on {data} ({split} split)\n\nweights: {weights}, image size "
                                   f"{imgsz}, score threshold {conf} for IoU/precision/recall\n\n"
                                   + markdown_table(metrics) + "\n")
    plot_conditions(metrics, out / "conditions.png")
    plot_grid(rows, out / "detections.png", conf)
    return result
