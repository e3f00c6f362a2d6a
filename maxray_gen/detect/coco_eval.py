"""COCO AP from the reference implementation (pycocotools' COCOeval), on the same images our metrics score.

Groundtruth flagged ``ignore`` (tiny, hidden or too dark to see) becomes a crowd region (``iscrowd: 1``): COCOeval
then neither counts it as missed nor a detection on it as false, as our own matcher does. Area ranges are COCO's
"all", up to 100 detections per image.
"""

from __future__ import annotations

import contextlib
import io

from maxray_gen.detect.metrics import ImageDetections


def coco_average_precision(images: list[ImageDetections]) -> dict[str, float]:
    """{"mAP50", "mAP50_95"} by pycocotools' COCOeval (NaN without groundtruth to find)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    if not any((~im.ignore).any() for im in images):
        return {"mAP50": float("nan"), "mAP50_95": float("nan")}
    gts, dts, imgs = [], [], []
    for k, im in enumerate(images):
        imgs.append({"id": k})
        for b, ign in zip(im.gt, im.ignore):
            w, h = float(b[2] - b[0]), float(b[3] - b[1])
            gts.append({"id": len(gts) + 1, "image_id": k, "category_id": 1, "bbox": [float(b[0]), float(b[1]), w, h],
                        "area": w * h, "iscrowd": int(ign), "ignore": int(ign)})
        for b, s in zip(im.boxes, im.scores):
            dts.append({"image_id": k, "category_id": 1, "score": float(s),
                        "bbox": [float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])]})
    with contextlib.redirect_stdout(io.StringIO()):  # COCO prints its progress
        gt = COCO()
        gt.dataset = {"images": imgs, "annotations": gts, "categories": [{"id": 1, "name": "car"}]}
        gt.createIndex()
        if not dts:
            return {"mAP50": 0.0, "mAP50_95": 0.0}
        dt = gt.loadRes(dts)
        ev = COCOeval(gt, dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return {"mAP50": float(ev.stats[1]), "mAP50_95": float(ev.stats[0])}
