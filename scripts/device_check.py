"""The GPU check: what the CUDA paths cost and whether they agree with the CPU, in one run of a few minutes.

Measures, on a machine with an NVIDIA GPU:

* ``sbr``: the SBR+PO trace of the paper-scale lot (20 cars, ``benchmarks/radio.py``'s lot) on Dr.Jit's CUDA
  variant (cold: first trace with kernel compilation; warm: median of three) and on the LLVM (CPU) variant, and
  whether their paths agree: total path power within ``POWER_TOLERANCE_DB`` and range-azimuth maps within
  ``MAP_TOLERANCE_DB`` of the peak everywhere (the two variants cast rays with different BVHs and float rounding,
  so hits on facet edges differ; the maps, not the path lists, are compared);
* ``cycles``: one 640x480 frame of that lot with Cycles at the default render quality, with OptiX and with CUDA
  (build, first render, then the time of a second render);
* ``scl``: SCL training throughput (samples/s, full Adam steps) at the paper's input size (480 x 640), fp32 and
  with bf16 autocast (AMP), via ``benchmarks/train.py``.

Each check that cannot run (no GPU, a package missing, bpy on a Python other than 3.11) is recorded as skipped with
the reason; a check that fails is recorded with its error, and the others still run. Writes ``device_check.json``
and ``device_check.md`` to ``--out``. ``--dry-run`` runs every check on the CPU at toy sizes (a 2-car lot, an
80 x 60 frame, 60 x 80 inputs): it tests the script and its output format, not the GPU.

    python scripts/device_check.py [--out DIR] [--dry-run] [--only sbr,cycles,scl]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import traceback
import warnings
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]
warnings.simplefilter("ignore")

SCHEMA = "maxray-device-check/1"
CHECKS = ("sbr", "cycles", "scl")
POWER_TOLERANCE_DB = 0.5
MAP_TOLERANCE_DB = -20.0


class Skip(Exception):
    """A check that cannot run here (the reason is recorded)."""


def gpu_name() -> str | None:
    """The first NVIDIA GPU's name (nvidia-smi), or None."""
    if shutil.which("nvidia-smi") is None:
        return None
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                             text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    names = [line.strip() for line in out.stdout.splitlines() if line.strip()]
    return names[0] if out.returncode == 0 and names else None


def check_sbr(dry: bool) -> dict:
    import numpy as np

    from maxray_gen.radar.processing import heatmaps
    from maxray_gen.radio.tracer import RadarTracer
    from radio import lot

    variants = ["llvm_ad_mono_polarized"] if dry else ["cuda_ad_mono_polarized", "llvm_ad_mono_polarized"]
    if not dry:
        import mitsuba as mi

        if "cuda_ad_mono_polarized" not in mi.variants():
            raise Skip("this Mitsuba build has no cuda_ad_mono_polarized variant")
        if gpu_name() is None:
            raise Skip("no NVIDIA GPU (nvidia-smi found none)")
    cfg, snap = lot(2 if dry else 20)
    out: dict = {"cars": 2 if dry else 20, "triangles": snap.n_triangles}
    maps = {}
    for variant in variants:
        tracer = RadarTracer(cfg.radar, cfg.trace.model_copy(update={"variant": variant}))
        t0 = time.perf_counter()
        paths = tracer.trace(snap, np.random.default_rng(0))
        cold = time.perf_counter() - t0
        warm = []
        for _ in range(1 if dry else 3):
            t0 = time.perf_counter()
            paths = tracer.trace(snap, np.random.default_rng(0))
            warm.append(time.perf_counter() - t0)
        ra = heatmaps(paths, cfg.radar, None, noise=False).range_azimuth
        maps[variant] = ra
        key = variant.split("_")[0]
        out[key] = {"variant": tracer.variant, "cold_s": round(cold, 3), "warm_s": round(float(np.median(warm)), 3),
                    "paths": len(paths), "returns": int(tracer.last_stats["hits"]),
                    "tubes": int(tracer.last_stats["tubes"]),
                    "power_db": round(float(10 * np.log10(np.sum(np.abs(paths.gain) ** 2))), 3)}
    if len(maps) == 2:
        a, b = (maps[v] for v in variants)
        out["power_difference_db"] = round(out["cuda"]["power_db"] - out["llvm"]["power_db"], 3)
        out["map_difference_db"] = round(float(10 * np.log10(np.abs(a - b).max() / b.max())), 2)
        out["warm_speedup"] = round(out["llvm"]["warm_s"] / out["cuda"]["warm_s"], 2)
        out["agree"] = bool(abs(out["power_difference_db"]) <= POWER_TOLERANCE_DB
                            and out["map_difference_db"] <= MAP_TOLERANCE_DB)
        out["tolerance"] = f"power within {POWER_TOLERANCE_DB} dB, maps within {MAP_TOLERANCE_DB} dB of the peak"
    return out


def check_cycles(dry: bool) -> dict:
    if sys.version_info[:2] != (3, 11):
        raise Skip(f"bpy 5.0.1 needs Python 3.11 (this is {platform.python_version()})")
    try:
        import bpy  # noqa: F401
    except ImportError as e:
        raise Skip(f"bpy is not installed ({e})") from e
    import numpy as np

    from maxray_gen.config import load_config
    from maxray_gen.pipeline.visual_stage import SceneRenderer
    from maxray_gen.presets import preset_path

    base = load_config(preset_path("maxray_parking_lot"))
    n_cars = 2 if dry else 20
    scene = base.scene.model_copy(update={"min_cars": n_cars, "max_cars": n_cars, "min_moving_cars": 0,
                                          "max_moving_cars": 0})
    kinds = ["cpu"] if dry else ["optix", "cuda"]
    if not dry and gpu_name() is None:
        raise Skip("no NVIDIA GPU (nvidia-smi found none)")
    out: dict = {"cars": n_cars}
    for kind in kinds:
        camera = base.camera.model_copy(update={"width": 80, "height": 60}) if dry else base.camera
        render = base.render.model_copy(update={"device": kind, **({"samples": 1} if dry else {})})
        cfg = base.model_copy(update={"scene": scene, "camera": camera, "render": render})
        try:
            renderer = SceneRenderer(cfg)
            t0 = time.perf_counter()
            renderer.sample(0, 0)
            first = time.perf_counter() - t0
            times = []
            for i in range(1 if dry else 2):
                t0 = time.perf_counter()
                renderer.sample(0, 0)
                times.append(time.perf_counter() - t0)
            out[kind] = {"first_sample_s": round(first, 3), "sample_s": round(float(np.median(times)), 3),
                         "size": f"{camera.width}x{camera.height}", "samples_per_pixel": render.samples}
        except Exception as e:  # one device failing must not hide the other
            out[kind] = {"error": f"{type(e).__name__}: {e}"}
    return out


def check_scl(dry: bool) -> dict:
    try:
        import torch
    except ImportError as e:
        raise Skip(f"torch is not installed ({e})") from e
    from train import step_rate

    if dry:
        device, hw, batch, steps = torch.device("cpu"), (60, 80), 2, 1
    else:
        if not torch.cuda.is_available():
            raise Skip("torch sees no CUDA device")
        device, hw, batch, steps = torch.device("cuda"), (480, 640), 16, 5
    out: dict = {"device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu",
                 "input": f"{hw[0]}x{hw[1]}", "batch": batch}
    for label, amp in (("fp32", False), ("amp_bf16", True)):
        if amp and dry:
            continue
        out[f"{label}_samples_per_s"] = round(step_rate("scl", hw, batch, steps, 1.0, device, amp, False, False), 2)
    if "amp_bf16_samples_per_s" in out:
        out["amp_speedup"] = round(out["amp_bf16_samples_per_s"] / out["fp32_samples_per_s"], 2)
    return out


RUNNERS = {"sbr": check_sbr, "cycles": check_cycles, "scl": check_scl}


def run(only: list[str], dry: bool) -> dict:
    """Every requested check, each recorded as ok (with its figures), skipped (with the reason) or failed."""
    started = time.perf_counter()
    result = {"schema": SCHEMA, "dry_run": dry, "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "host": {"python": platform.python_version(), "cpu_cores": os.cpu_count(), "gpu": gpu_name(),
                       "platform": platform.platform()},
              "checks": {}}
    for name in only:
        t0 = time.perf_counter()
        print(f"[device_check] {name} ...", flush=True)
        try:
            entry = {"status": "ok", **RUNNERS[name](dry)}
        except Skip as e:
            entry = {"status": "skipped", "reason": str(e)}
        except Exception as e:
            entry = {"status": "failed", "error": f"{type(e).__name__}: {e}",
                     "traceback": traceback.format_exc(limit=6)}
        entry["seconds"] = round(time.perf_counter() - t0, 2)
        result["checks"][name] = entry
        print(f"[device_check] {name}: {entry['status']} in {entry['seconds']} s", flush=True)
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result


def markdown(result: dict) -> str:
    """A short table of the figures (docs/performance.md takes it as it is)."""
    h = result["host"]
    lines = [f"Device check {result['started']} ({'dry run, CPU' if result['dry_run'] else 'GPU'}): "
             f"{h['gpu'] or 'no GPU'}, {h['cpu_cores']} cores, Python {h['python']}; {result['seconds']} s", "",
             "| check | status | figures |", "|---|---|---|"]
    for name, e in result["checks"].items():
        if e["status"] != "ok":
            figures = e.get("reason") or e.get("error", "")
        else:
            figures = "; ".join(f"{k} {json.dumps(v) if isinstance(v, dict) else v}" for k, v in e.items()
                                if k not in ("status", "seconds"))
        lines.append(f"| {name} | {e['status']} ({e['seconds']} s) | {figures.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", "device_check_out")),
                    help="folder for device_check.json and device_check.md (default: $OUT or ./device_check_out)")
    ap.add_argument("--dry-run", action="store_true", help="every check on the CPU at toy sizes (tests the script)")
    ap.add_argument("--only", default=",".join(CHECKS), help=f"comma-separated subset of {','.join(CHECKS)}")
    args = ap.parse_args(argv)
    only = [c.strip() for c in args.only.split(",") if c.strip()]
    unknown = [c for c in only if c not in CHECKS]
    if unknown or not only:
        print(f"device_check: --only: unknown check(s) {', '.join(unknown) or '(none given)'}; choose from "
              f"{', '.join(CHECKS)}", file=sys.stderr)
        return 2
    result = run(only, args.dry_run)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "device_check.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "device_check.md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
