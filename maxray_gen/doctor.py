"""`maxray doctor`: what this machine has for each stage, and exactly what to install for what is missing.

Heavy engines (Mitsuba/Dr.Jit, torch) are probed in a child process, so a broken installation cannot take the
report down with it.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from importlib import metadata

from maxray_gen.radio import drjit_setup


@dataclass
class Check:
    component: str
    status: str  # "ok", "missing", "problem", "info"
    detail: str
    fix: str = ""


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


_DRJIT_PROBE = r"""
import json, sys
from maxray_gen.radio import drjit_setup
out = {}
try:
    mi = drjit_setup.import_mitsuba("auto")
    import drjit as dr
    out["variant"] = mi.variant()
    out["mitsuba"] = mi.__version__
    out["drjit"] = dr.__version__
    if dr.has_backend(dr.JitBackend.LLVM):
        out["llvm"] = ".".join(map(str, dr.detail.llvm_version()))
    out["cuda"] = bool(dr.has_backend(dr.JitBackend.CUDA))
    if out["variant"].startswith("llvm"):
        x = dr.llvm.Float([1.0, 2.0, 3.0])
        out["smoke"] = float(dr.sum(dr.maximum(x, 2.5))[0]) == 8.0
except Exception as exc:
    out["error"] = f"{type(exc).__name__}: {exc}"
print("DOCTOR:" + json.dumps(out))
"""

_TORCH_PROBE = r"""
import json
import torch
out = {"torch": torch.__version__, "cuda": torch.cuda.is_available(),
       "gpus": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]}
print("DOCTOR:" + json.dumps(out))
"""


def _probe(code: str, timeout: float = 120.0) -> dict:
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"probe timed out after {timeout:.0f} s"}
    for line in proc.stdout.splitlines():
        if line.startswith("DOCTOR:"):
            return json.loads(line[len("DOCTOR:"):])
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {"error": f"probe process exited with code {proc.returncode}: {tail}"}


def _gpus() -> list[str]:
    if not shutil.which("nvidia-smi"):
        return []
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.strip() for line in out.splitlines() if line.startswith("GPU")]


def run_checks(probe_engines: bool = True) -> list[Check]:
    """Collect the environment report."""
    checks: list[Check] = []
    py = platform.python_version()
    ok_py = sys.version_info[:2] == (3, 11)
    checks.append(Check("python", "ok" if ok_py else "problem", f"{py} ({sys.executable})",
                        "" if ok_py else "use Python 3.11 (bpy 5.0.1 wheels exist only for 3.11)"))
    checks.append(Check("machine", "info", f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPU cores"))
    for dist in ("numpy", "scipy", "finufft", "pydantic", "click", "h5py"):
        v = _version(dist)
        required = dist != "h5py"
        checks.append(Check(dist, "ok" if v else ("missing" if required else "info"), v or "not installed",
                            "" if v else f"pip install {dist}"))

    v = _version("bpy")
    checks.append(Check("bpy (Blender)", "ok" if v else "missing", v or "not installed",
                        "" if v else "pip install bpy==5.0.1 (Python 3.11), needed for scene rendering"))

    gpus = _gpus()
    try:
        lib = drjit_setup.find_libllvm()
        checks.append(Check("libLLVM (Dr.Jit CPU)", "ok", f"LLVM {lib.major}: {lib.path}"))
    except Exception as exc:
        status = "info" if gpus else "missing"
        checks.append(Check("libLLVM (Dr.Jit CPU)", status, str(exc).split(". To fix")[0], drjit_setup.INSTALL_HINT))

    if not _version("mitsuba") or not _version("drjit"):
        checks.append(Check("Mitsuba / Dr.Jit", "missing", "not installed",
                            "pip install 'maxray-gen[radio]' (sionna-rt, mitsuba, drjit)"))
    elif probe_engines:
        r = _probe(_DRJIT_PROBE)
        if "error" in r:
            checks.append(Check("Mitsuba / Dr.Jit", "problem", r["error"], drjit_setup.INSTALL_HINT))
        else:
            backend = f"LLVM {r['llvm']}" if "llvm" in r else "no LLVM"
            detail = (f"mitsuba {r['mitsuba']}, drjit {r['drjit']}, variant {r['variant']}, {backend}, "
                      f"CUDA {'yes' if r['cuda'] else 'no'}")
            status = "ok" if r.get("smoke", True) else "problem"
            checks.append(Check("Mitsuba / Dr.Jit", status, detail))
    sv = _version("sionna-rt")
    checks.append(Check("sionna-rt", "ok" if sv else "missing", sv or "not installed",
                        "" if sv else "pip install 'maxray-gen[radio]'"))

    tv = _version("torch")
    if not tv:
        checks.append(Check("torch", "missing", "not installed",
                            "pip install torch==2.13.0 (CPU build; install it before anything that depends on torch)"))
    elif probe_engines:
        r = _probe(_TORCH_PROBE)
        if "error" in r:
            checks.append(Check("torch", "problem", r["error"], "reinstall: pip install --force-reinstall torch==2.13.0"))
        else:
            cuda = f"CUDA: {', '.join(r['gpus'])}" if r["cuda"] else "CPU only"
            checks.append(Check("torch", "ok", f"{r['torch']} ({cuda})"))
    else:
        checks.append(Check("torch", "ok", tv))
    uv, tvv = _version("ultralytics"), _version("torchvision")
    checks.append(Check("detection (optional, AGPL-3.0)", "ok" if uv and tvv else "info",
                        f"ultralytics {uv}, torchvision {tvv}" if uv and tvv else "not installed (maxray detect only)",
                        "" if uv and tvv else "bash scripts/setup.sh --detect"))
    checks.append(Check("GPUs", "info", "; ".join(gpus) if gpus else "none found (nvidia-smi absent or no devices)"))
    return checks


def report_json(checks: list[Check]) -> str:
    return json.dumps([asdict(c) for c in checks], indent=2)
