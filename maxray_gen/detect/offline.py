"""Import ultralytics with every network path closed: no DNS probes, font download, telemetry or weight fetches."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import ModuleType

from maxray_gen.errors import DependencyError

_SETTINGS_OFF = ("sync", "clearml", "comet", "dvc", "hub", "mlflow", "neptune", "raytune", "tensorboard", "wandb")
_module: ModuleType | None = None


def config_dir() -> Path:
    """Where ultralytics keeps its settings and font: $YOLO_CONFIG_DIR, else ~/.cache/maxray-gen/ultralytics."""
    return Path(os.environ.get("YOLO_CONFIG_DIR") or Path.home() / ".cache" / "maxray-gen" / "ultralytics")


def _prepare_environment() -> None:
    root = config_dir()
    os.environ["YOLO_CONFIG_DIR"] = str(root)
    os.environ["YOLO_OFFLINE"] = "1"
    os.environ["YOLO_AUTOINSTALL"] = "0"
    os.environ.setdefault("YOLO_VERBOSE", "False")
    os.environ.setdefault("MPLBACKEND", "Agg")
    # ultralytics sets OMP_NUM_THREADS=1 when unset, which would slow torch down: pin it to the cores we have.
    os.environ.setdefault("OMP_NUM_THREADS", str(len(os.sched_getaffinity(0))))
    font = root / "Ultralytics" / "Arial.ttf"
    if not font.exists():  # otherwise training starts by downloading Arial.ttf from GitHub
        import matplotlib

        font.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf", font)


def ultralytics() -> ModuleType:
    """The ``ultralytics`` module, imported offline (idempotent)."""
    global _module
    if _module is not None:
        return _module
    _prepare_environment()
    try:
        import ultralytics as ul
    except ImportError as e:
        raise DependencyError("vision detection needs the optional 'detect' extra (ultralytics, AGPL-3.0): "
                                "bash scripts/setup.sh --detect  (or: pip install torch==2.14.1 torchvision==0.29.1 "
                                "&& pip install -e '.[detect]')") from e
    from ultralytics.utils import SETTINGS

    off = {k: False for k in _SETTINGS_OFF if k in SETTINGS}
    if any(SETTINGS.get(k) for k in off):
        SETTINGS.update(off)
    _module = ul
    return ul
