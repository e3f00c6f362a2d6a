"""Benchmark: the visual stage on the CPU (Cycles) for the default parking lot.

Prints: time to sample + build a new layout (SceneSpec + numpy geometry + Blender realise), to re-pose a built
layout (same objects, new car positions), the 640x480 render at the default quality per lighting/weather, the
depth/instance passes with boxes, the lidar scan; and resident memory after N samples in one process (tiny renders,
so the loop exercises scene rebuilding, materials, lights and particles), which must not grow by more than 10%.

Renders use a full lot (18 parked + 2 driving cars). Baselines in the same run: the same lots with every car
replaced by the low-poly two-superellipsoid stand-in of maxray_gen.primitives.car (~4k triangles, no parts), so the
ratio is the cost of the detailed car models (~49k triangles, 16 parts), and the detailed lot at the previous
default quality (8 samples, OpenImageDenoise HIGH). Each condition's render times are medians of ``--repeats``
interleaved renders of the three (the first detailed one is the pipeline's own sample).

    python benchmarks/scene.py [--samples 200] [--repeats 3] [--skip-renders]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

warnings.simplefilter("ignore")

from maxray_gen.blender.build import apply_render_settings  # noqa: E402
from maxray_gen.config import Config  # noqa: E402
from maxray_gen.blender.config import RenderConfig  # noqa: E402
from maxray_gen.scene.config import SceneConfig  # noqa: E402
from maxray_gen.sensors.config import CameraConfig  # noqa: E402
from maxray_gen.scene.lot import build_snapshot  # noqa: E402
from maxray_gen.pipeline.visual_stage import SceneRenderer  # noqa: E402
from maxray_gen.scene.spec import sample_scene  # noqa: E402
from maxray_gen.primitives import car, placed  # noqa: E402
from maxray_gen.seeding import rng_for  # noqa: E402
from maxray_gen.snapshot import SnapshotObject  # noqa: E402


PREVIOUS_DEFAULT = RenderConfig(samples=8, denoise_quality="high")  # the default until 2026-12-03


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--skip-renders", action="store_true")
    ap.add_argument("--repeats", type=int, default=3, help="renders per condition and car model (medians)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    print(f"{os.cpu_count()} CPU cores")
    cfg = Config()
    cfg = cfg.model_copy(update={"scene": cfg.scene.model_copy(update={"min_cars": 18, "max_cars": 20,
                                                                     "min_moving_cars": 2})})
    renderer = SceneRenderer(cfg)
    bl = renderer.blender
    print(f"Cycles device: {bl.device}; {cfg.camera.width}x{cfg.camera.height}, {cfg.render.samples} samples, "
          f"denoise {cfg.render.denoise} ({cfg.render.denoise_quality})")

    # Layout: sample + numpy geometry + Blender realise (new layouts: seeds 0..4).
    lt, rp = [], []
    for seed in range(5):
        t0 = time.perf_counter()
        spec = sample_scene(cfg.scene, cfg.camera, seed)
        snap = build_snapshot(spec)
        bl.realise(spec, snap, rng_for(seed, 0, "render"))
        lt.append(time.perf_counter() - t0)
        moved = snap.replace_objects([o.moved((0.3, 0.0, 0.0)) if o.role == "car" else o for o in snap.objects])
        t0 = time.perf_counter()
        bl.realise(spec, moved, rng_for(seed, 0, "render"))
        rp.append(time.perf_counter() - t0)
    print(f"new layout (sample + geometry + realise): {np.median(lt):.3f} s median; re-pose a built layout: "
          f"{np.median(rp):.3f} s median")

    if not args.skip_renders:
        import bpy

        detailed, stand_in, previous = [], [], []
        for lighting, weather in [("day", "clear"), ("dusk", "clear"), ("night", "clear"), ("day", "rain"),
                                  ("day", "fog"), ("day", "snow")]:
            sc = cfg.scene.model_copy(update={"lighting": {lighting: 1.0}, "weather": {weather: 1.0}})
            renderer.cfg = cfg.model_copy(update={"scene": sc})
            s = renderer.sample(7, 0, rgb_path=tmp / "r.png")
            spec, base = s.spec, s.snapshot
            simple = [o for o in base.objects if o.role != "car"]
            for c in spec.cars:
                v, f = placed(car(c.length, c.width, c.height), (c.x, c.y, 0.0), c.yaw)
                simple.append(SnapshotObject(f"car{c.instance_id}_body", c.instance_id, "car", "car_paint", v, f,
                                             c.velocity))
            stand_in_lot = base.replace_objects(simple)
            # Interleaved repeats (detailed, stand-in, detailed, ...): this VM's speed drifts by +-20 % within
            # minutes, so single renders compare the machine's moods, not the scenes.
            d, b, o = [s.timings["render"]], [], []
            for rep in range(args.repeats):
                bl.realise(spec, stand_in_lot, rng_for(7, 0, "render"))
                t0 = time.perf_counter()
                bl.render_rgb(tmp / "b.png")
                b.append(time.perf_counter() - t0)
                bl.realise(spec, base, rng_for(7, 0, "render"))
                apply_render_settings(bpy.context.scene, PREVIOUS_DEFAULT)
                t0 = time.perf_counter()
                bl.render_rgb(tmp / "o.png")
                o.append(time.perf_counter() - t0)
                apply_render_settings(bpy.context.scene, cfg.render)
                if rep + 1 < args.repeats:  # the detailed lot is still built
                    t0 = time.perf_counter()
                    bl.render_rgb(tmp / "r.png")
                    d.append(time.perf_counter() - t0)
            detailed.append(float(np.median(d)))
            stand_in.append(float(np.median(b)))
            previous.append(float(np.median(o)))
            tris = sum(len(o.faces) for o in base.objects if o.role == "car")
            print(f"  render {lighting:5s} {weather:5s} {len(spec.cars)} cars ({tris:,} car triangles): "
                  f"{detailed[-1]:.2f} s, stand-in cars {stand_in[-1]:.2f} s (x{detailed[-1] / stand_in[-1]:.2f}), "
                  f"previous default quality {previous[-1]:.2f} s (x{detailed[-1] / previous[-1]:.2f}); "
                  f"medians of {len(d)}, detailed {' '.join(f'{x:.2f}' for x in d)}; "
                  f"realise {s.timings['realise']:.2f} s, passes + boxes {s.timings['passes_boxes']:.2f} s, "
                  f"lidar {s.timings['lidar']:.2f} s", flush=True)
        print(f"render median over conditions: {np.median(detailed):.2f} s detailed cars, "
              f"{np.median(stand_in):.2f} s stand-ins, {np.median(previous):.2f} s at the previous default quality; "
              f"slowest condition {max(detailed):.2f} s (target <= 6 s)")

    # Memory over many samples in one process (tiny renders).
    tiny = cfg.model_copy(update={"camera": CameraConfig(width=64, height=48),
                                  "render": RenderConfig(samples=1, denoise=False)})
    r2 = SceneRenderer(tiny)
    r2.sample(0, 0, rgb_path=tmp / "t.png")
    start = rss_mb()
    t0 = time.perf_counter()
    for i in range(1, args.samples):
        r2.sample(i, i, rgb_path=tmp / "t.png")
        if i == min(20, args.samples - 1):
            warm = rss_mb()
    end = rss_mb()
    dt = time.perf_counter() - t0
    print(f"memory: {start:.0f} MB after 1 sample, {warm:.0f} MB after 20, {end:.0f} MB after {args.samples} "
          f"({100 * (end - warm) / warm:+.1f}% from 20 to {args.samples}); {dt / (args.samples - 1):.2f} s/sample tiny")


if __name__ == "__main__":
    main()
