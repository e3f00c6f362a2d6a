"""Typed ``.npz`` files (no pickles): atomic writes and checked reads, shared by snapshots and path lists."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

from maxray_gen.errors import DataError


def save_npz(path: str | Path, arrays: dict[str, np.ndarray], kind: str, version: int, what: str,
             compressed: bool = False) -> None:
    """Write ``arrays`` plus ``kind``/``format_version`` markers to ``path`` via a temporary file and a rename."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    payload = {**arrays, "kind": np.array(kind), "format_version": np.array(version)}
    try:
        with open(tmp, "wb") as fh:
            (np.savez_compressed if compressed else np.savez)(fh, **payload)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise DataError(f"{path}: cannot write {what} ({exc.strerror or exc})") from None


def load_npz(path: str | Path, kind: str, version: int, what: str) -> dict[str, np.ndarray]:
    """Read a file written by :func:`save_npz`, checking its kind and version; DataError names the file."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, io.UnsupportedOperation) as exc:
        raise DataError(f"{path}: not a readable {what} .npz file ({exc})") from None
    if str(data.pop("kind", "")) != kind:
        raise DataError(f"{path}: not a {what} file")
    found = int(data.pop("format_version", -1))
    if found != version:
        raise DataError(f"{path}: {what} format version {found} is not supported (expected {version})")
    return data
