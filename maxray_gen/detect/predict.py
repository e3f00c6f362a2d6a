"""``maxray detect predict``: run a detector over a dataset's images and write the detections sidecar."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from maxray_gen.dataset.detections import sidecar_path, write_detections
from maxray_gen.detect.weights import file_hash, load_model, trained_imgsz
from maxray_gen.detect.yolo_data import Groundtruth, iter_samples


def detect_batch(model, images: list[np.ndarray], imgsz: int, conf: float, iou: float, device: str,
                 max_det: int = 100) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Detections (boxes (D, 4) pixels, scores (D,), classes (D,)) for RGB uint8 images."""
    bgr = [np.ascontiguousarray(im[..., ::-1]) for im in images]  # ultralytics takes numpy images as BGR
    res = model.predict(bgr, imgsz=imgsz, conf=conf, iou=iou, device=device, max_det=max_det, verbose=False)
    return [(r.boxes.xyxy.cpu().numpy().astype(np.float32), r.boxes.conf.cpu().numpy().astype(np.float32),
             r.boxes.cls.cpu().numpy().astype(np.int32)) for r in res]


def run_detector(model, data: str | Path, split: str = "all", imgsz: int = 320, conf: float = 0.001,
                 iou: float = 0.7, device: str = "cpu", batch: int = 16, progress: bool = True):
    """[(Groundtruth, rgb, (boxes, scores, classes))] over the samples of ``split``, with a progress bar."""
    from tqdm import tqdm

    samples = list(iter_samples(data, split))
    out: list[tuple[Groundtruth, np.ndarray, tuple]] = []
    with tqdm(total=len(samples), desc="detect", unit="img", disable=not progress) as bar:
        for k in range(0, len(samples), batch):
            chunk = samples[k:k + batch]
            dets = detect_batch(model, [rgb for _, rgb in chunk], imgsz, conf, iou, device)
            out += [(gt, rgb, d) for (gt, rgb), d in zip(chunk, dets)]
            bar.update(len(chunk))
    return out


def predict_to_sidecar(data: str | Path, weights: str | Path, name: str = "yolo", imgsz: int | None = None,
                       conf: float = 0.25, iou: float = 0.7, device: str = "auto", trust_weights: bool = False,
                       progress: bool = True) -> Path:
    """Detect on every sample and write DATA/detections/<name>.h5 (see :mod:`maxray_gen.dataset.detections`)."""
    from maxray_gen.detect.train import resolve_device

    model = load_model(weights, trust=trust_weights)
    imgsz = imgsz or trained_imgsz(model)
    rows = run_detector(model, data, "all", imgsz, conf, iou, resolve_device(device), progress=progress)
    per_sample = {gt.index: d for gt, _, d in rows}
    attrs = {"weights": str(weights), "weights_sha256": file_hash(weights), "imgsz": imgsz, "conf": conf,
             "iou": iou, "detector": "ultralytics YOLO", "names": {int(k): v for k, v in model.names.items()}}
    return write_detections(sidecar_path(data, name), per_sample, attrs)

