"""Benchmark: render time against image error for Cycles settings, per lighting/weather condition.

The quality measure for render-speed decisions: each condition's lot (seed 7, 18 parked + 2 driving cars, 640x480)
is rendered once as a reference (``--ref-samples`` samples, OpenImageDenoise with the ACCURATE prefilter), then with
the default settings (the same-run baseline) and each candidate setting, ``--repeats`` times interleaved (this VM's
speed drifts by +-20 % within minutes). Printed per variant: median render time, its ratio to the default's, and the
RMS error against the reference over the whole image and over car pixels (8-bit sRGB scaled to 0..1). A variant
is only "free" when it is faster without more error than the default.

    python benchmarks/render_quality.py [--conditions day-clear,day-rain] [--ref-samples 64] [--repeats 2]
                                        [--variants "samples 6;denoise high"] [--png render_quality.png]
                                        [--images DIR]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

warnings.simplefilter("ignore")

from maxray_gen.config import Config  # noqa: E402
from maxray_gen.pipeline.visual_stage import SceneRenderer  # noqa: E402

CONDITIONS = ("day-clear", "dusk-clear", "night-clear", "day-rain", "day-fog", "day-snow")
# name -> (RenderConfig fields, raw Cycles settings); {} is the default configuration.
VARIANTS: dict[str, tuple[dict, dict]] = {
    "default": ({}, {}),
    "8 samples, denoise high (default until 2026-12-03)": ({"samples": 8, "denoise_quality": "high"}, {}),
    "samples 7": ({"samples": 7}, {}),
    "samples 5": ({"samples": 5}, {}),
    "denoise high": ({"denoise_quality": "high"}, {}),
    "denoise balanced": ({"denoise_quality": "balanced"}, {}),
    "max bounces 2": ({"max_bounces": 2}, {}),
    "blue-noise pattern": ({}, {"sampling_pattern": "BLUE_NOISE"}),
    "fast GI (AO after 1 bounce)": ({}, {"use_fast_gi": True}),
}


def apply(scene, render_cfg, raw: dict) -> None:
    """Put a RenderConfig's settings (as BlenderScene does) and raw Cycles overrides on the Blender scene."""
    from maxray_gen.blender.build import apply_render_settings

    apply_render_settings(scene, render_cfg)
    scene.cycles.sampling_pattern, scene.cycles.use_fast_gi = "TABULATED_SOBOL", False
    for k, v in raw.items():
        setattr(scene.cycles, k, v)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--conditions", default=",".join(CONDITIONS))
    ap.add_argument("--ref-samples", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--png", type=Path, help="time vs error per condition and variant")
    ap.add_argument("--variants", help="semicolon-separated variant names to run (default: all); 'default' always runs")
    ap.add_argument("--images", type=Path, help="keep each condition's reference and variant renders here")
    args = ap.parse_args()
    variants = VARIANTS
    if args.variants:
        names = [n.strip() for n in args.variants.split(";")]
        unknown = [n for n in names if n not in VARIANTS]
        if unknown:
            raise SystemExit(f"--variants: unknown {unknown}; known: {list(VARIANTS)}")
        variants = {k: v for k, v in VARIANTS.items() if k == "default" or k in names}
    import bpy

    tmp = Path(tempfile.mkdtemp())
    cfg = Config()
    cfg = cfg.model_copy(update={"scene": cfg.scene.model_copy(update={"min_cars": 18, "max_cars": 20,
                                                                     "min_moving_cars": 2})})
    renderer = SceneRenderer(cfg)
    results: dict[str, dict[str, tuple[float, float, float]]] = {}
    for cond in args.conditions.split(","):
        lighting, weather = cond.split("-")
        sc = cfg.scene.model_copy(update={"lighting": {lighting: 1.0}, "weather": {weather: 1.0}})
        renderer.cfg = cfg.model_copy(update={"scene": sc})
        s = renderer.sample(7, 0, rgb_path=tmp / "first.png")
        cars = np.isin(s.passes.instance, [c.instance_id for c in s.spec.cars])
        scene = bpy.context.scene

        def render(name: str) -> tuple[np.ndarray, float]:
            t0 = time.perf_counter()
            img = renderer.blender.render_rgb(tmp / f"{name}.png").astype(np.float64) / 255
            return img, time.perf_counter() - t0

        apply(scene, cfg.render.model_copy(update={"samples": args.ref_samples}), {"denoising_prefilter": "ACCURATE"})
        ref, t_ref = render("reference")
        if args.images:
            args.images.mkdir(parents=True, exist_ok=True)
            shutil.copy(tmp / "reference.png", args.images / f"{cond}-reference.png")
        times: dict[str, list[float]] = {k: [] for k in variants}
        errors: dict[str, tuple[float, float]] = {}
        for _ in range(args.repeats):
            for name, (fields, raw) in variants.items():
                apply(scene, cfg.render.model_copy(update=fields), raw)
                img, t = render("variant")
                times[name].append(t)
                d = img - ref
                errors[name] = (float(np.sqrt(np.mean(d ** 2))), float(np.sqrt(np.mean(d[cars] ** 2))))
                if args.images:
                    slug = name.split(" (")[0].replace(",", "").replace(" ", "-")
                    shutil.copy(tmp / "variant.png", args.images / f"{cond}-{slug}.png")
        apply(scene, cfg.render, {})
        base = float(np.median(times["default"]))
        print(f"{cond}: {len(s.spec.cars)} cars, reference {args.ref_samples} samples ({t_ref:.1f} s)", flush=True)
        results[cond] = {}
        for name in variants:
            t = float(np.median(times[name]))
            results[cond][name] = (t, *errors[name])
            print(f"  {name:30s} {t:5.2f} s  x{t / base:.2f}   RMS error {errors[name][0]:.4f} "
                  f"(x{errors[name][0] / errors['default'][0]:.2f}), car pixels {errors[name][1]:.4f}", flush=True)
    if args.png:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, len(results), figsize=(4 * len(results), 4), squeeze=False)
        for ax, (cond, rows) in zip(axes[0], results.items()):
            for k, (name, (t, e, _)) in enumerate(rows.items()):
                ax.scatter(t, e, color=f"C{k}", marker="*" if name == "default" else "o", s=90, label=name)
            ax.set_title(cond)
            ax.set_xlabel("render time [s]")
            ax.grid(alpha=0.3)
        axes[0][0].set_ylabel("RMS error against the reference")
        axes[0][-1].legend(fontsize=7, loc="best")
        fig.tight_layout()
        fig.savefig(args.png, dpi=100)
        print(f"wrote {args.png}")


if __name__ == "__main__":
    main()
