"""Blender's, Cycles' and Dr.Jit's own console output into a log file instead of the user's terminal.

Those engines write from C/C++ straight to file descriptors 1 and 2 ("Saved: ...", "CUEW initialization failed",
render statistics), which would land between a progress bar's updates. Inside :func:`native_output_to` the two
descriptors point at a log file while Python's ``sys.stdout``/``sys.stderr`` (progress bars, click, warnings) keep
writing to the terminal through duplicates of the original descriptors.
"""

from __future__ import annotations

import ctypes
import io
import os
import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

# Lines that are not news to a user: device probes on machines without that GPU, Blender's save notices.
NOISE = re.compile(r"CUEW initialization failed|HIPEW initialization failed|Saved: |^\s*$")
WARNING = re.compile(r"\b(warning|error|failed|cannot|can't)\b", re.IGNORECASE)


@dataclass
class NativeLog:
    """The log file of one run and, once the block has ended, the warnings worth telling the user about."""

    path: Path
    warnings: list[str] = field(default_factory=list)


def _flush_c_stdio() -> None:
    try:
        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):
        pass


def _is_fd(stream, fd: int) -> bool:
    try:
        return stream.fileno() == fd
    except (AttributeError, ValueError, io.UnsupportedOperation):
        return False


@contextmanager
def native_output_to(path: str | Path):
    """Within the block, descriptor-level output goes to ``path`` (appended); yields a :class:`NativeLog` whose
    ``warnings`` are filled in on exit (unique warning/error lines, device-probe noise left out)."""
    log = NativeLog(Path(path))
    log.path.parent.mkdir(parents=True, exist_ok=True)
    start = log.path.stat().st_size if log.path.exists() else 0
    for s in (sys.stdout, sys.stderr):
        s.flush()
    _flush_c_stdio()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    log_fd = os.open(log.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    swapped = []
    for name, fd in (("stdout", 1), ("stderr", 2)):
        stream = getattr(sys, name)
        if _is_fd(stream, fd):  # a real terminal/file stream: keep Python's writes where they went
            twin = open(os.dup(saved[fd]), "w", buffering=1, encoding=getattr(stream, "encoding", None) or "utf-8",
                        errors="replace")
            setattr(sys, name, twin)
            swapped.append((name, stream, twin))
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    try:
        yield log
    finally:
        for _, _, twin in swapped:
            twin.flush()
        _flush_c_stdio()
        os.dup2(saved[1], 1)
        os.dup2(saved[2], 2)
        for name, stream, twin in swapped:
            setattr(sys, name, stream)
            twin.close()
        for fd in (*saved.values(), log_fd):
            os.close(fd)
        log.warnings = _warnings(log.path, start)


def _warnings(path: Path, start: int, limit: int = 5) -> list[str]:
    try:
        with open(path, "rb") as fh:
            fh.seek(start)
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return []
    seen: list[str] = []
    for line in text.splitlines():
        line = re.sub(r"^\d\d:\d\d\.\d+\s+", "", line).strip()  # Blender's clock prefix
        if WARNING.search(line) and not NOISE.search(line) and line not in seen:
            seen.append(line)
    return seen[:limit] + ([f"... and {len(seen) - limit} more"] if len(seen) > limit else [])
