"""The one place that prepares Dr.Jit and imports Mitsuba: LLVM discovery and variant selection.

Dr.Jit's CPU backend loads a system libLLVM at run time. LLVM 14-16 (Debian 12's defaults) abort the whole
interpreter on first use (``LLVM ERROR: Cannot select ... fmaximum``), so before Dr.Jit is imported we point
``DRJIT_LIBLLVM_PATH`` at a libLLVM >= 17, or stop with an error saying what to install. Every Mitsuba user calls
:func:`import_mitsuba`.
"""

from __future__ import annotations

import glob
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from maxray_gen.errors import DependencyError

MIN_LLVM = 17
ENV_VAR = "DRJIT_LIBLLVM_PATH"
INSTALL_HINT = (
    "install LLVM >= 17, e.g. on Debian 12 `apt-get install -y libllvm19`, or point DRJIT_LIBLLVM_PATH at a "
    "libLLVM >= 17 shared library (not needed on a machine with an NVIDIA GPU and CUDA driver)"
)
_NAME = re.compile(r"^libLLVM(?:-(\d+)(?:[.\d]*))?\.(?:so|dylib)(?:\.(\d+))?")
DEFAULT_DIRS = (
    "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib",
    "/usr/lib/llvm-*/lib", "/opt/homebrew/opt/llvm/lib", "/usr/local/opt/llvm/lib",
)


@dataclass(frozen=True)
class LlvmLibrary:
    path: Path
    major: int


def llvm_major_from_name(path: str | Path) -> int | None:
    """LLVM major version from a library file name (``libLLVM-19.so``, ``libLLVM.so.19.1``), else None."""
    m = _NAME.match(Path(path).name)
    if not m:
        return None
    v = m.group(1) or m.group(2)
    return int(v) if v else None


def _major(path: Path) -> int | None:
    v = llvm_major_from_name(path)
    if v is None and path.exists():
        v = llvm_major_from_name(path.resolve())
    return v


def candidate_libraries(search_dirs: tuple[str, ...] | None = None) -> list[LlvmLibrary]:
    """All libLLVM shared libraries with a recognisable version in ``search_dirs`` (newest first)."""
    dirs = list(search_dirs if search_dirs is not None else DEFAULT_DIRS)
    if search_dirs is None:
        dirs = [d for d in os.environ.get("LD_LIBRARY_PATH", "").split(":") if d] + dirs
    found: dict[Path, LlvmLibrary] = {}
    for pattern in dirs:
        for d in sorted(glob.glob(pattern)):
            for f in sorted(glob.glob(os.path.join(d, "libLLVM*"))):
                p = Path(f)
                if not p.is_file():
                    continue
                v = _major(p)
                if v is not None:
                    found.setdefault(p.resolve(), LlvmLibrary(p, v))
    return sorted(found.values(), key=lambda lib: (-lib.major, len(str(lib.path))))


def find_libllvm(search_dirs: tuple[str, ...] | None = None, min_major: int = MIN_LLVM) -> LlvmLibrary:
    """The newest usable libLLVM (>= ``min_major``), or :class:`DependencyError` naming what was found."""
    libs = candidate_libraries(search_dirs)
    good = [lib for lib in libs if lib.major >= min_major]
    if good:
        return good[0]
    seen = ", ".join(f"{lib.path} (LLVM {lib.major})" for lib in libs) or "none"
    raise DependencyError(f"Dr.Jit needs LLVM >= {min_major} on the CPU; found: {seen}. To fix: {INSTALL_HINT}")


def configure_llvm(search_dirs: tuple[str, ...] | None = None) -> LlvmLibrary:
    """Make sure ``DRJIT_LIBLLVM_PATH`` names a usable libLLVM (checking a user-set value), and return it."""
    preset = os.environ.get(ENV_VAR)
    if preset:
        p = Path(preset)
        if not p.is_file():
            raise DependencyError(f"{ENV_VAR}={preset} does not exist. To fix: {INSTALL_HINT}")
        v = _major(p)
        if v is not None and v < MIN_LLVM:
            raise DependencyError(f"{ENV_VAR}={preset} is LLVM {v}; Dr.Jit needs >= {MIN_LLVM}. To fix: {INSTALL_HINT}")
        return LlvmLibrary(p, v if v is not None else -1)
    lib = find_libllvm(search_dirs)
    os.environ[ENV_VAR] = str(lib.path)
    return lib


def cuda_available() -> bool:
    """Whether an NVIDIA driver is visible (without importing Dr.Jit)."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return False
    return any(Path(p).exists() for p in ("/dev/nvidiactl", "/proc/driver/nvidia/version"))


def import_mitsuba(variant: str = "auto"):
    """Import Mitsuba with a Dr.Jit variant: ``auto`` picks CUDA when a GPU is present, LLVM otherwise.

    Returns the ``mitsuba`` module with the variant set. Raises :class:`DependencyError` with an install hint.
    """
    want_cuda = variant.startswith("cuda") or (variant == "auto" and cuda_available())
    if not want_cuda and "drjit" not in sys.modules:
        configure_llvm()
    try:
        import drjit as dr
        import mitsuba as mi
    except ImportError as exc:
        raise DependencyError(f"Mitsuba/Dr.Jit are not installed ({exc}). To fix: pip install 'maxray-gen[radio]'") from None
    if variant == "auto":
        if want_cuda and dr.has_backend(dr.JitBackend.CUDA):
            variant = "cuda_ad_mono_polarized"
        else:
            if not dr.has_backend(dr.JitBackend.LLVM):
                raise DependencyError(f"Dr.Jit found no usable backend (no CUDA GPU, LLVM not loaded). To fix: {INSTALL_HINT}")
            variant = "llvm_ad_mono_polarized"
    if variant not in mi.variants():
        raise DependencyError(f"Mitsuba variant {variant!r} is not available; choose from {mi.variants()}")
    if variant.startswith("cuda") and not dr.has_backend(dr.JitBackend.CUDA):
        raise DependencyError(f"Mitsuba variant {variant!r} needs an NVIDIA GPU with a CUDA driver, and none was "
                              "found; use variant 'auto' or an llvm_* variant")
    if variant.startswith("llvm"):
        major = dr.detail.llvm_version()[0] if dr.has_backend(dr.JitBackend.LLVM) else 0
        if major < MIN_LLVM:
            raise DependencyError(f"Dr.Jit loaded LLVM {major}; it needs >= {MIN_LLVM}. To fix: {INSTALL_HINT}")
    mi.set_variant(variant)
    return mi
