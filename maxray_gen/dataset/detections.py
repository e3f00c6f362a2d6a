"""The detections sidecar: boxes a vision detector found in a dataset's images, stored next to its shards.

``DATA/detections/<name>.h5`` holds, for every sample (by global index), its detections as flat arrays with
offsets: ``index`` (N,), ``offsets`` (N + 1,), ``boxes`` (M, 4) pixels x0 y0 x1 y1, ``scores`` (M,), ``classes``
(M,), and attributes saying where the boxes came from. It is plain h5py: reading it needs no detector, so the
learning code can use detected boxes as its target masks (the paper's "estimated using off-the-shelf vision
object detectors") instead of groundtruth boxes.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from maxray_gen.errors import DataError

SIDECAR_FORMAT = "maxray-detections"
SIDECAR_VERSION = 1


def sidecar_path(root: str | Path, name: str) -> Path:
    """DATA/detections/<name>.h5, or ``name`` itself when it is a path to an .h5 file."""
    p = Path(name)
    if p.suffix == ".h5":
        return p
    return Path(root) / "detections" / f"{name}.h5"


@dataclass
class Detections:
    """Detections per sample: ``boxes[i]`` (D, 4), ``scores[i]`` (D,), ``classes[i]`` (D,) for global index i."""

    boxes: dict[int, np.ndarray]
    scores: dict[int, np.ndarray]
    classes: dict[int, np.ndarray]
    attrs: dict

    def __len__(self) -> int:
        return len(self.boxes)

    def target_box(self, index: int, reference: np.ndarray | None = None, pick: str = "matched",
                   min_score: float = 0.25) -> np.ndarray:
        """The detected box that stands for sample ``index``'s target: ``top`` the most confident detection,
        ``matched`` the one overlapping ``reference`` (the groundtruth target box) most. NaNs when none qualifies
        (the learning masks then cover the whole image, as for a sample without a box)."""
        if index not in self.boxes:
            raise DataError(f"detections {self.attrs.get('path', '')}: no entry for sample {index}; run "
                            "'maxray detect predict' on this dataset again")
        b, s = self.boxes[index], self.scores[index]
        sel = s >= min_score
        b, s = b[sel], s[sel]
        if len(b) == 0:
            return np.full(4, np.nan, np.float32)
        if pick == "top":
            return b[int(np.argmax(s))].astype(np.float32)
        if pick != "matched":
            raise ValueError(f"pick must be 'matched' or 'top', got {pick!r}")
        if reference is None or not np.all(np.isfinite(reference)):
            return np.full(4, np.nan, np.float32)
        from maxray_gen.geometry import box_iou

        iou = box_iou(reference[None], b)[0]
        return b[int(np.argmax(iou))].astype(np.float32) if iou.max() > 0 else np.full(4, np.nan, np.float32)


def write_detections(path: str | Path, per_sample: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]],
                     attrs: dict) -> Path:
    """Write ``{index: (boxes, scores, classes)}`` atomically (a temporary file renamed into place)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    idx = np.array(sorted(per_sample), np.int64)
    parts = [per_sample[int(i)] for i in idx]
    counts = np.array([len(p[0]) for p in parts], np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    cat = (lambda k, shape, dt: np.concatenate([np.asarray(p[k], dt).reshape(shape) for p in parts])
           if parts else np.zeros((0,) + shape[1:], dt))
    tmp = path.with_name(path.name + ".partial")
    with h5py.File(tmp, "w") as f:
        f.create_dataset("index", data=idx)
        f.create_dataset("offsets", data=offsets)
        f.create_dataset("boxes", data=cat(0, (-1, 4), np.float32))
        f.create_dataset("scores", data=cat(1, (-1,), np.float32))
        f.create_dataset("classes", data=cat(2, (-1,), np.int32))
        f.attrs["format"], f.attrs["version"] = SIDECAR_FORMAT, SIDECAR_VERSION
        f.attrs["meta"] = json.dumps(attrs)
    os.replace(tmp, path)
    return path


def read_detections(path: str | Path) -> Detections:
    """Read a sidecar; a clear error naming the file when it is missing or not one."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such detections file (make one with 'maxray detect predict')")
    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("format") != SIDECAR_FORMAT:
                raise DataError(f"{path}: not a detections sidecar (format attribute missing)")
            idx, off = f["index"][()], f["offsets"][()]
            boxes, scores, classes = f["boxes"][()], f["scores"][()], f["classes"][()]
            meta = json.loads(f.attrs.get("meta", "{}"))
    except (OSError, KeyError) as e:
        raise DataError(f"{path}: unreadable detections file ({e})") from e
    if len(off) != len(idx) + 1 or off[-1] != len(boxes):
        raise DataError(f"{path}: offsets do not match the boxes (corrupt file)")
    sl = {int(i): slice(int(off[k]), int(off[k + 1])) for k, i in enumerate(idx)}
    meta["path"] = str(path)
    return Detections({i: boxes[s] for i, s in sl.items()}, {i: scores[s] for i, s in sl.items()},
                      {i: classes[s] for i, s in sl.items()}, meta)
