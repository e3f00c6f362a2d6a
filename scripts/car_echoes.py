"""Do cars stand out in the radar maps of the shipped lot? Prints, over N sampled lots (no Blender render), the share
of cars at least half visible to the camera whose echo stands >= 10 dB above the map around them, whose peak lies
in their groundtruth footprint and on the correct side (see maxray_gen/radar/echoes.py).

    python scripts/car_echoes.py [--config maxray_gen/presets/maxray_parking_lot.yaml] [--lots 10] [--seed 0]
"""

from __future__ import annotations

import argparse
import warnings

warnings.simplefilter("ignore")

from maxray_gen.config import load_config  # noqa: E402
from maxray_gen.radar.echoes import echo_summary  # noqa: E402
from maxray_gen.pipeline.car_echoes import lot_car_echoes  # noqa: E402
from maxray_gen.radio.tracer import RadarTracer  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default=None)
    ap.add_argument("--lots", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--engine", choices=("sbr", "sionna"), default=None)
    args = ap.parse_args()
    cfg = load_config(args.config)
    if args.engine:
        cfg = cfg.model_copy(update={"trace": cfg.trace.model_copy(update={"engine": args.engine})})
    tracer = RadarTracer(cfg.radar, cfg.trace)
    rows = []
    for i in range(args.lots):
        r = lot_car_echoes(cfg, args.seed, i, tracer)
        rows += r
        print(f"lot {i}: " + ", ".join(f"{x['contrast_db']:.0f} dB{'' if x['peak_inside'] else ' (peak outside)'}"
                                       for x in r if x["visible_fraction"] >= 0.5))
        for x in r:
            if x["visible_fraction"] >= 0.5 and not x["peak_inside"] and "peak_range_m" in x:
                lo, hi = x["footprint_range_m"]
                print(f"    car {x['instance_id']}: peak at {x['peak_range_m']:.2f} m (footprint {lo:.2f}-{hi:.2f} m), "
                      f"{x['peak_azimuth_cells']:+.1f} azimuth cells from its centre")
    print(f"engine {cfg.trace.engine}: {echo_summary(rows)}")


if __name__ == "__main__":
    main()
