"""Benchmark: what 5 people and 2 drones add to a frame's cost (issue 36: within 1.3x of the car-only frame).

The same lots (the people and drones have their own random streams, so the cars, light and weather are identical)
made by ``SampleMaker`` (the dataset's own chain) with and without ``scene.people: 5, scene.drones: 2``, at the demo
preset's camera and render settings. Per frame: the visual stage (scene build, Blender realise + render, camera
passes, boxes, lidar) and the radio stage (trace + radar maps), each the median over the frames after a warm-up
frame; then the ratios.

    python benchmarks/people_drones.py [--frames 4]
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np

warnings.simplefilter("ignore")

from maxray_gen.config import load_config  # noqa: E402
from maxray_gen.pipeline.sample import SampleMaker  # noqa: E402
from maxray_gen.presets import preset_path  # noqa: E402

VISUAL = ("layout", "realise", "render", "passes_boxes", "lidar")
RADIO = ("trace", "radar")


def frame_costs(people: int, drones: int, frames: int) -> tuple[dict[str, float], float, dict[str, float]]:
    cfg = load_config(preset_path("demo"))
    cfg = cfg.model_copy(update={"scene": cfg.scene.model_copy(update={"people": people, "drones": drones})})
    maker = SampleMaker(cfg)
    per = {"visual": [], "radio": []}
    stages: dict[str, list[float]] = {k: [] for k in VISUAL + RADIO}
    triangles = []
    for k in range(frames + 1):
        s = maker.make(k)
        if k == 0:
            continue  # warm-up: engines start, caches fill
        per["visual"].append(sum(s.timings.get(x, 0.0) for x in VISUAL))
        per["radio"].append(sum(s.timings.get(x, 0.0) for x in RADIO))
        for x in stages:
            stages[x].append(s.timings.get(x, 0.0))
        triangles.append(s.n_paths)
    return ({k: float(np.median(v)) for k, v in per.items()}, float(np.median(triangles)),
            {k: float(np.median(v)) for k, v in stages.items()})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=4)
    args = ap.parse_args()
    base, base_paths, base_st = frame_costs(0, 0, args.frames)
    more, more_paths, more_st = frame_costs(5, 2, args.frames)
    print(f"frames per case: {args.frames} (+1 warm-up), demo preset (320 x 240, 4 render samples), same lots")
    print(f"{'stage':8s} {'cars only':>10s} {'+5 people +2 drones':>20s} {'ratio':>7s}")
    for k in ("visual", "radio"):
        print(f"{k:8s} {base[k]:9.2f}s {more[k]:19.2f}s {more[k] / base[k]:6.2f}x")
    for k in VISUAL + RADIO:
        print(f"  {k:14s} {base_st[k]:7.2f}s {more_st[k]:19.2f}s {more_st[k] / max(base_st[k], 1e-9):6.2f}x")
    tot_b, tot_m = sum(base.values()), sum(more.values())
    print(f"{'frame':8s} {tot_b:9.2f}s {tot_m:19.2f}s {tot_m / tot_b:6.2f}x")
    print(f"radar paths per frame (median): {base_paths:,.0f} -> {more_paths:,.0f}")
    print("budget (issue 36): the frame within 1.3x of the car-only frame")


if __name__ == "__main__":
    main()
