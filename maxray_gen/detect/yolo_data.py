"""A generated dataset as a YOLO training set (cached next to the shards) and as evaluation groundtruth."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from pydantic import Field

from maxray_gen.dataset.exports import export_yolo, labelled, samples_by_index, train_mask
from maxray_gen.dataset.inspect import shard_paths
from maxray_gen.dataset.reader import content_hash
from maxray_gen.errors import DataError
from maxray_gen.schema import StrictModel


class LabelLimits(StrictModel):
    """Which cars a detector is asked to find; smaller or more hidden ones are ignored (neither missed nor false)."""

    min_box_px: float = Field(6.0, ge=0, description="shorter side of the visible box, pixels")
    min_visible_fraction: float = Field(0.25, ge=0, le=1, description="visible fraction of the car")
    min_visibility: float | None = Field(None, ge=0, description="photometric visibility of the car in the image "
                                         "(None: the dataset's camera.min_visibility)")

    def visibility_for(self, root: Path) -> float:
        from maxray_gen.dataset.exports import dataset_min_visibility

        return dataset_min_visibility(root) if self.min_visibility is None else self.min_visibility


@dataclass
class Groundtruth:
    """One sample's boxes for evaluation: ``boxes`` (G, 4) visible boxes, ``ignore`` (G,), its conditions and the
    boxes' ``classes`` (G,) (``dataset.schema.CLASSES`` ids)."""

    index: int
    split: str
    boxes: np.ndarray
    ignore: np.ndarray
    lighting: str
    weather: str
    classes: np.ndarray | None = None

    def of_class(self, class_id: int) -> "Groundtruth":
        """The boxes of one class (all of them when the classes are unknown and ``class_id`` is 0)."""
        if self.classes is None:
            return self if class_id == 0 else replace(self, boxes=self.boxes[:0], ignore=self.ignore[:0])
        k = self.classes == class_id
        return replace(self, boxes=self.boxes[k], ignore=self.ignore[k], classes=self.classes[k])


def _check(root: Path) -> list[Path]:
    paths = shard_paths(root)
    if not paths:
        raise DataError(f"{root}: no shards (shard-*.h5) to detect on")
    return paths


def dataset_key(root: Path, limits: LabelLimits) -> str:
    """A short hash of the shards' contents, the split and the label limits: the YOLO export's cache key."""
    h = hashlib.sha256()
    for p in _check(root):
        h.update(p.name.encode())
        h.update(content_hash(p).encode())
    cfg = root / "config.yaml"
    h.update(cfg.read_bytes() if cfg.exists() else b"")
    h.update(json.dumps(limits.model_dump(), sort_keys=True).encode())
    return h.hexdigest()[:16]


def prepare_yolo_data(root: str | Path, limits: LabelLimits | None = None, cache: Path | None = None) -> Path:
    """Export images and labels to DATA/detect/yolo-<key>/ once (reused while the shards are unchanged) and return
    its data.yaml. Written to a temporary folder first, so an interrupted export is never taken for a finished one."""
    root, limits = Path(root), limits or LabelLimits()
    key = dataset_key(root, limits)
    out = (cache or root / "detect") / f"yolo-{key}"
    if (out / "data.yaml").exists():
        return out / "data.yaml"
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    export_yolo(root, tmp, limits.min_box_px, limits.min_visible_fraction, limits.visibility_for(root))
    (tmp / "limits.json").write_text(json.dumps(limits.model_dump(), indent=1))
    (tmp / "data.yaml").write_text((tmp / "data.yaml").read_text().replace(str(tmp.resolve()), str(out.resolve())))
    tmp.rename(out)
    return out / "data.yaml"


def iter_samples(root: str | Path, split: str = "val", limits: LabelLimits | None = None, with_rgb: bool = True):
    """Yield (Groundtruth, rgb or None) for the samples of ``split`` (train, val or all) in global index order."""
    root, limits = Path(root), limits or LabelLimits()
    if split not in ("train", "val", "all"):
        raise DataError(f"split must be train, val or all, got {split!r}")
    _check(root)
    train = train_mask(root)
    fields = ("objects", "params", "rgb") if with_rgb else ("objects", "params")
    threshold = limits.visibility_for(root)

    def part_of(g: int) -> str:
        return "train" if train is None or g >= len(train) or train[g] else "val"

    for g, s in samples_by_index(root, fields, None if split == "all" else (lambda g: part_of(g) == split)):
        part = part_of(g)
        o, prm = s["objects"], s["params"]
        finite = np.all(np.isfinite(o["visible_box"].reshape(-1, 4)), axis=1)
        keep = labelled(o, limits.min_box_px, limits.min_visible_fraction, threshold)
        gt = Groundtruth(g, part, o["visible_box"][finite].astype(float).reshape(-1, 4), ~keep[finite],
                         str(prm.get("lighting", {}).get("kind", "unknown")),
                         str(prm.get("weather", {}).get("kind", "unknown")), o["class_id"][finite].astype(int))
        yield gt, (s["rgb"] if with_rgb else None)
