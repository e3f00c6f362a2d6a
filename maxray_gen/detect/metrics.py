"""Detection metrics (numpy only): IoU, COCO-style AP at IoU 0.5 and 0.5:0.95, mean IoU of matched boxes.

Boxes are (x0, y0, x1, y1) in pixels. Groundtruth flagged ``ignore`` (tiny or mostly hidden cars) neither counts
as a miss nor turns a detection that finds it into a false positive: the detection is dropped, as COCO does for
its crowd regions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from maxray_gen.geometry import box_iou  # noqa: F401 (re-exported; lives with the other geometry)

IOU_THRESHOLDS = np.round(np.arange(0.5, 0.96, 0.05), 2)
RECALL_POINTS = np.linspace(0.0, 1.0, 101)


@dataclass
class ImageDetections:
    """Groundtruth and detections of one image (boxes in pixels)."""

    gt: np.ndarray  # (G, 4)
    boxes: np.ndarray  # (D, 4)
    scores: np.ndarray  # (D,)
    ignore: np.ndarray = field(default=None)  # (G,) bool

    def __post_init__(self):
        self.gt = np.asarray(self.gt, float).reshape(-1, 4)
        self.boxes = np.asarray(self.boxes, float).reshape(-1, 4)
        self.scores = np.asarray(self.scores, float).reshape(-1)
        self.ignore = np.zeros(len(self.gt), bool) if self.ignore is None else np.asarray(self.ignore, bool)


def match_image(img: ImageDetections, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Greedy matching in descending score: each detection takes the unmatched groundtruth it overlaps most
    (IoU >= ``threshold``), preferring cared-for groundtruth over ignored. Returns per detection (in the input
    order) ``tp`` (bool), ``keep`` (False: matched an ignored box) and the matched IoU (NaN if none)."""
    n = len(img.boxes)
    tp, keep, matched_iou = np.zeros(n, bool), np.ones(n, bool), np.full(n, np.nan)
    if n == 0 or len(img.gt) == 0:
        return tp, keep, matched_iou
    iou = box_iou(img.boxes, img.gt)
    taken = np.zeros(len(img.gt), bool)
    for d in np.argsort(-img.scores, kind="stable"):
        for ignored in (False, True):
            cand = np.where(~taken & (img.ignore == ignored) & (iou[d] >= threshold))[0]
            if len(cand):
                g = cand[np.argmax(iou[d, cand])]
                if ignored:
                    keep[d] = False
                else:
                    taken[g], tp[d], matched_iou[d] = True, True, iou[d, g]
                break
    return tp, keep, matched_iou


def average_precision(images: list[ImageDetections], threshold: float) -> float:
    """COCO-style AP: precision made monotone, sampled at 101 recall points. NaN without groundtruth."""
    n_gt = int(sum((~im.ignore).sum() for im in images))
    if n_gt == 0:
        return float("nan")
    scores, tps = [], []
    for im in images:
        tp, keep, _ = match_image(im, threshold)
        scores.append(im.scores[keep])
        tps.append(tp[keep])
    if not scores or sum(len(s) for s in scores) == 0:
        return 0.0
    s, t = np.concatenate(scores), np.concatenate(tps)
    order = np.argsort(-s, kind="stable")
    t = t[order]
    ctp = np.cumsum(t)
    recall = ctp / n_gt
    precision = ctp / np.arange(1, len(t) + 1)
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    idx = np.searchsorted(recall, RECALL_POINTS, side="left")
    sampled = np.where(idx < len(envelope), envelope[np.minimum(idx, len(envelope) - 1)], 0.0)
    return float(sampled.mean())


def mean_matched_iou(images: list[ImageDetections], conf: float = 0.25, threshold: float = 0.5) -> float:
    """Mean IoU of the detections (score >= ``conf``) matched to a groundtruth box at IoU >= ``threshold``."""
    ious = []
    for im in images:
        sel = im.scores >= conf
        sub = ImageDetections(im.gt, im.boxes[sel], im.scores[sel], im.ignore)
        tp, _, iou = match_image(sub, threshold)
        ious.append(iou[tp])
    ious = np.concatenate(ious) if ious else np.zeros(0)
    return float(ious.mean()) if len(ious) else float("nan")


def precision_recall_at(images: list[ImageDetections], conf: float = 0.25, threshold: float = 0.5) -> tuple[float, float]:
    """Precision and recall of the detections with score >= ``conf`` at IoU ``threshold``."""
    tp = fp = n_gt = 0
    for im in images:
        sel = im.scores >= conf
        t, keep, _ = match_image(ImageDetections(im.gt, im.boxes[sel], im.scores[sel], im.ignore), threshold)
        tp += int(t.sum())
        fp += int((~t & keep).sum())
        n_gt += int((~im.ignore).sum())
    return (tp / (tp + fp) if tp + fp else float("nan")), (tp / n_gt if n_gt else float("nan"))


def summarise(images: list[ImageDetections], conf: float = 0.25) -> dict[str, float]:
    """The paper's table-1 metrics and a few more: mAP50, mAP50-95, mean IoU, precision/recall at ``conf``."""
    aps = [average_precision(images, t) for t in IOU_THRESHOLDS]
    p, r = precision_recall_at(images, conf)
    return {"images": len(images), "objects": int(sum((~im.ignore).sum() for im in images)),
            "mAP50": aps[0], "mAP50_95": float(np.mean(aps)), "mean_iou": mean_matched_iou(images, conf),
            "precision": p, "recall": r}
