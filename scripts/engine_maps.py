"""The same lot through both radar engines: range-azimuth maps (dB) side by side with the cars' groundtruth
centres, for docs/radio.md.

    python scripts/engine_maps.py [--seed 0] [--index 0] [--png docs/images/radio/engines.png]
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np

warnings.simplefilter("ignore")

from maxray_gen.config import load_config  # noqa: E402
from maxray_gen.presets import preset_path  # noqa: E402
from maxray_gen.pipeline.radar_stage import radar_stage  # noqa: E402
from maxray_gen.scene.lot import build_snapshot  # noqa: E402
from maxray_gen.scene.spec import sample_scene  # noqa: E402
from maxray_gen.sensors.groundtruth import instance_truth  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--index", type=int, default=0)
    ap.add_argument("--png", type=Path, default=Path("docs/images/radio/engines.png"))
    args = ap.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cfg = load_config(preset_path("maxray_parking_lot"))
    spec = sample_scene(cfg.scene, cfg.camera, args.seed, args.index)
    snap = build_snapshot(spec, cfg.trace.weather_materials)
    truth = [t for t in instance_truth(snap, cfg.radar) if t.in_radar_view]
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.2), sharey=True)
    for ax, engine in zip(axes, ("sbr", "sionna")):
        ecfg = cfg.model_copy(update={"trace": cfg.trace.model_copy(update={"engine": engine})})
        res = radar_stage(snap, ecfg, args.seed, args.index, spec.weather, products=("range_azimuth",))
        paths = res.paths
        db = 10 * np.log10(np.maximum(res.maps["range_azimuth"], 1e-30))
        top = float(db.max())
        im = ax.pcolormesh(np.degrees(cfg.radar.azimuth_axis_rad), cfg.radar.range_axis_m, db, vmin=top - 50,
                           vmax=top, shading="auto")
        ax.scatter([np.degrees(t.heatmap_azimuth_rad) for t in truth], [t.range_m for t in truth], s=60,
                   facecolors="none", edgecolors="w", linewidths=1.2, label="car centres (groundtruth)")
        name = "SBR + physical optics (default)" if engine == "sbr" else "Sionna RT (image method + diffuse)"
        ax.set_title(f"{name}: {len(paths):,} paths", fontsize=10)
        ax.set_xlabel("azimuth [deg] (positive = right)")
        fig.colorbar(im, ax=ax, label="dB (top 50 dB)")
    axes[0].set_ylabel("range [m]")
    axes[0].legend(loc="upper right", fontsize=8)
    fig.suptitle(f"one lot ({len(spec.cars)} cars, {spec.weather.kind}), 60 GHz, 16 x 16 array, noncoherent elevation")
    fig.tight_layout()
    args.png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.png, dpi=110)
    print(f"wrote {args.png}")


if __name__ == "__main__":
    main()
