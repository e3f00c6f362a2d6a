"""Detector weights: model configs (from scratch), our safe weights files, and (only when trusted) ultralytics'.

Our ``weights.pt`` holds the architecture (ultralytics' model dict), class names and a state dict, nothing else,
so it loads with ``torch.load(weights_only=True)``: opening one runs no code. ultralytics' own ``.pt`` files are
pickled modules; loading one can run code from the file, so it needs an explicit ``trust=True``.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

import torch
import yaml

from maxray_gen.detect.offline import ultralytics
from maxray_gen.errors import DataError

WEIGHTS_FORMAT = "maxray-yolo"


def _plain(x):
    """ultralytics' model dict as plain YAML/JSON types (tuples -> lists)."""
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    return x


def file_hash(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def save_weights(yolo, path: str | Path, meta: dict | None = None) -> Path:
    """Save a YOLO model's architecture, names and float32 state dict atomically."""
    path = Path(path)
    net = yolo.model
    state = {k: v.detach().float().cpu().clone() if v.is_floating_point() else v.detach().cpu().clone()
             for k, v in net.state_dict().items()}
    ck = {"format": WEIGHTS_FORMAT, "version": 1, "yaml": _plain(net.yaml),
          "names": {int(k): str(v) for k, v in net.names.items()}, "state_dict": state, "meta": meta or {}}
    tmp = path.with_name(path.name + ".partial")
    torch.save(ck, tmp)
    os.replace(tmp, path)
    return path


def _from_yaml_dict(cfg: dict):
    ul = ultralytics()
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / f"{cfg.get('yaml_file', 'model.yaml')}"
        f = f.with_name(Path(f.name).stem + ".yaml")
        f.write_text(yaml.safe_dump(cfg, sort_keys=False))
        return ul.YOLO(str(f), task="detect")


def load_model(spec: str | Path, trust: bool = False):
    """A YOLO model from ``spec``: a model config (``yolov8n.yaml``, ``yolo11n.yaml`` or a YAML file: fresh
    weights), our weights file, or, with ``trust``, an ultralytics ``.pt`` checkpoint."""
    ul = ultralytics()
    spec = str(spec)
    if spec.endswith((".yaml", ".yml")):
        if Path(spec).exists():
            cfg = yaml.safe_load(Path(spec).read_text())
            if not isinstance(cfg, dict) or "backbone" not in cfg:
                raise DataError(f"{spec}: not a YOLO model config (no 'backbone')")
        try:
            return ul.YOLO(spec, task="detect")
        except FileNotFoundError as e:
            raise DataError(f"{spec}: no such model config (built-in ones: yolov8n.yaml, yolo11n.yaml, ...)") from e
    path = Path(spec)
    if not path.exists():
        raise DataError(f"{path}: no such weights file (nothing is downloaded: give a model .yaml to train "
                        "from scratch, or a weights file you have)")
    try:
        ck = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        if not trust:
            raise DataError(f"{path}: a pickled checkpoint (e.g. ultralytics' own .pt); loading it can run code "
                            "from the file. Pass --trust-weights if you trust where it came from") from e
        return ul.YOLO(str(path), task="detect")
    except Exception as e:  # noqa: BLE001 - any other failure is an unreadable file
        raise DataError(f"{path}: unreadable weights file ({type(e).__name__}: {e})") from e
    if not isinstance(ck, dict) or ck.get("format") != WEIGHTS_FORMAT:
        raise DataError(f"{path}: not a maxray detector weights file")
    model = _from_yaml_dict(ck["yaml"])
    try:
        model.model.load_state_dict(ck["state_dict"])
    except RuntimeError as e:
        raise DataError(f"{path}: weights do not fit their architecture ({e})") from e
    model.model.names = dict(ck["names"])
    model.model.float().eval()
    model.load(model.model)  # mark as loaded: training fine-tunes these weights instead of re-initialising
    model.maxray_meta = dict(ck.get("meta", {}))
    return model


def trained_imgsz(model, default: int = 320) -> int:
    """The training image size recorded in our weights (``default`` for configs and foreign files)."""
    return int(getattr(model, "maxray_meta", {}).get("imgsz") or default)
