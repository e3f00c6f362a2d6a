"""Exports: YOLO and COCO labels for the images, CRUW-style radar frames and labels (RODNet tooling)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from maxray_gen.dataset.inspect import shard_paths
from maxray_gen.dataset.reader import ShardReader
from maxray_gen.dataset.schema import CLASSES
from maxray_gen.sensors.visibility import seen

SUPERCATEGORY = {"car": "vehicle", "pedestrian": "person", "cyclist": "person", "drone": "aircraft"}
CRUW_RANGE = np.linspace(0.639, 27.697, 128)
CRUW_AZIMUTH = np.arcsin(np.linspace(-1, 1, 128))


def samples_by_index(root: Path, fields, want=None):
    """(global index, sample with ``fields``) for every sample of every shard, in shard order; ``want(index)``
    (optional) skips the others without reading them."""
    for p in shard_paths(root):
        r = ShardReader(p)
        first = int(r.attrs.get("first_index", 0))
        for i in range(len(r)):
            if want is None or want(first + i):
                yield first + i, r.sample(i, fields=fields)
        r.close()


def train_mask(root: Path) -> np.ndarray | None:
    """Per global index, True for the train split (from the dataset's config.yaml); None without one."""
    try:
        from maxray_gen.config import load_config
        from maxray_gen.dataset.directory import split_of

        cfg = load_config(root / "config.yaml")
        return split_of(cfg, cfg.generate.total_samples)
    except Exception:
        return None


def labelled(objects: np.ndarray, min_box_px: float = 0.0, min_visible_fraction: float = 0.0,
             min_visibility: float = 0.0) -> np.ndarray:
    """Which objects get a label: a finite visible box whose shorter side is >= ``min_box_px`` pixels, at least
    ``min_visible_fraction`` of the car visible and a photometric visibility >= ``min_visibility`` (the rest is too
    small, hidden or dark to ask a detector for)."""
    b = objects["visible_box"].astype(float).reshape(-1, 4)
    finite = np.all(np.isfinite(b), axis=1)
    side = np.where(finite, np.minimum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]), 0.0)
    lit = seen(objects["camera_visibility"], min_visibility)
    return finite & (side >= min_box_px) & (objects["visible_fraction"] >= min_visible_fraction) & lit


def dataset_min_visibility(root: str | Path) -> float:
    """The ``camera.min_visibility`` a dataset was generated with (the default for datasets without a config)."""
    from maxray_gen.config import load_config
    from maxray_gen.sensors.config import CameraConfig

    try:
        return load_config(Path(root) / "config.yaml").camera.min_visibility
    except Exception:
        return CameraConfig().min_visibility


def yolo_lines(objects: np.ndarray, width: int, height: int, min_box_px: float = 0.0,
               min_visible_fraction: float = 0.0, min_visibility: float = 0.0) -> list[str]:
    """``class cx cy w h`` (normalised) per object with a visible box (see :func:`labelled` for the limits)."""
    lines = []
    for o in objects[labelled(objects, min_box_px, min_visible_fraction, min_visibility)]:
        b = o["visible_box"]
        x0, y0, x1, y1 = (float(v) for v in b)
        lines.append(f"{int(o['class_id'])} {(x0 + x1) / 2 / width:.6f} {(y0 + y1) / 2 / height:.6f} "
                     f"{(x1 - x0) / width:.6f} {(y1 - y0) / height:.6f}")
    return lines


def parse_yolo(line: str, width: int, height: int) -> tuple[int, np.ndarray]:
    c, cx, cy, w, h = line.split()
    cx, cy, w, h = float(cx) * width, float(cy) * height, float(w) * width, float(h) * height
    return int(c), np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])


def export_yolo(root: str | Path, out: str | Path, min_box_px: float = 0.0, min_visible_fraction: float = 0.0,
                min_visibility: float | None = None) -> Path:
    """images/{train,val}/NNNNN.png + labels/{train,val}/NNNNN.txt + data.yaml (split from the dataset seed). Cars
    the camera does not see (photometric visibility below ``min_visibility``, default: the dataset's
    camera.min_visibility) get no label."""
    import matplotlib.image

    root, out = Path(root), Path(out)
    if min_visibility is None:
        min_visibility = dataset_min_visibility(root)
    split = train_mask(root)
    for sub in ("images/train", "images/val", "labels/train", "labels/val"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    for g, s in samples_by_index(root, ("rgb", "objects")):
        part = "train" if split is None or g >= len(split) or split[g] else "val"
        h, w = s["rgb"].shape[:2]
        img = out / "images" / part / f"{g:06d}.png"
        if not img.exists():
            matplotlib.image.imsave(img, s["rgb"])
        lines = yolo_lines(s["objects"], w, h, min_box_px, min_visible_fraction, min_visibility)
        (out / "labels" / part / f"{g:06d}.txt").write_text("\n".join(lines) + "\n")
    names = "".join(f"  {k}: {name}\n" for k, name in enumerate(CLASSES))
    (out / "data.yaml").write_text(f"path: {out.resolve()}\ntrain: images/train\nval: images/val\nnames:\n{names}")
    return out


def export_coco(root: str | Path, out: str | Path, min_visibility: float | None = None) -> Path:
    """One COCO JSON: images, visible-box annotations (amodal box, visible fraction and camera visibility as extra
    fields). Cars the camera does not see (below ``min_visibility``, default the dataset's camera.min_visibility) are
    marked ``iscrowd: 1`` and
    ``ignore: 1``: COCO evaluation then neither asks for them nor counts a detection on them as false."""
    root, out = Path(root), Path(out)
    images, anns = [], []
    threshold = dataset_min_visibility(root) if min_visibility is None else min_visibility
    for g, s in samples_by_index(root, ("rgb", "objects")):
        h, w = s["rgb"].shape[:2]
        images.append({"id": g, "file_name": f"{g:06d}.png", "width": w, "height": h})
        for o in s["objects"]:
            b = o["visible_box"]
            if not np.all(np.isfinite(b)):
                continue
            x0, y0, x1, y1 = (float(v) for v in b)
            vis = float(o["camera_visibility"])
            dark = int(not seen(np.array([vis]), threshold)[0])
            anns.append({"id": len(anns) + 1, "image_id": g, "category_id": int(o["class_id"]) + 1, "bbox": [x0, y0, x1 - x0, y1 - y0],
                         "area": (x1 - x0) * (y1 - y0), "iscrowd": dark, "ignore": dark,
                         "instance_id": int(o["instance_id"]), "amodal_bbox": [float(v) for v in o["amodal_box"]],
                         "visible_fraction": float(o["visible_fraction"]),
                         "camera_visibility": None if np.isnan(vis) else vis})
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"images": images, "annotations": anns,
                               "categories": [{"id": k + 1, "name": name, "supercategory": SUPERCATEGORY[name]}
                                              for k, name in enumerate(CLASSES)]}))
    return out


def resample_to_cruw(ra: np.ndarray, range_m: np.ndarray, azimuth_rad: np.ndarray) -> np.ndarray:
    """Our (range, azimuth) power map bilinearly resampled onto CRUW's 128 x 128 grid (zero outside ours)."""
    from scipy.interpolate import RegularGridInterpolator

    f = RegularGridInterpolator((range_m, np.sin(azimuth_rad)), ra, bounds_error=False, fill_value=0.0)
    rr, uu = np.meshgrid(CRUW_RANGE, np.sin(CRUW_AZIMUTH), indexing="ij")
    return f(np.stack([rr, uu], axis=-1))


def export_cruw(root: str | Path, out: str | Path, sequence: str = "maxray_0000") -> Path:
    """RADAR_RA_H/<frame:06d>_0000.npy float32 (128, 128, 2) (amplitude in the real channel, zero imaginary: our
    maps are powers) and a label file ``frame range(m) azimuth(rad) class`` per car in view."""
    root, out = Path(root), Path(out) / sequence
    (out / "RADAR_RA_H").mkdir(parents=True, exist_ok=True)
    labels = []
    axes = ShardReader(shard_paths(root)[0]).axes
    for g, s in samples_by_index(root, ("range_azimuth", "objects")):
        amp = np.sqrt(resample_to_cruw(s["range_azimuth"], axes["range_m"], axes["azimuth_rad"]))
        frame = np.zeros((128, 128, 2), np.float32)
        frame[..., 0] = amp
        np.save(out / "RADAR_RA_H" / f"{g:06d}_0000.npy", frame)
        for o in s["objects"]:
            if o["in_radar_view"] and o["range_m"] <= CRUW_RANGE[-1]:
                labels.append(f"{g} {o['range_m']:.4f} {o['heatmap_azimuth_rad']:.6f} car")
    (out / "labels.txt").write_text("\n".join(labels) + "\n")
    return out
