"""Markdown tables of several `maxray reproduce` runs (seeds) side by side, as docs/results.md shows them: per scene
set, every predictor's distance to the target's centre, footprint and echo centroid and its right-car rate, one
column group per run; then each run's targets with how far each is missed.

    python scripts/results_tables.py RUN_SEED0 RUN_SEED1 [--split test|validation]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROWS = [("selflabels", "self-labels {}"), ("attention_peak", "attention maximum {} (before the echo refinement)"),
        ("localiser", "localiser on {}")]
BASELINES = [("random", "random in the field of view"), ("mean_position", "mean train position"),
             ("radar_peak", "brightest echo over the median map (no learning)"),
             ("radar_nearest", "nearest echo within 10 dB of the brightest (no learning)"),
             ("camera_box", "camera box projected onto the ground (label-free)"),
             ("camera_box_echo", "camera box moved onto the brightest echo within 1.5 m (label-free)"),
             ("echo_peak", "bound: brightest return within 3 m of the centre (uses groundtruth)")]


def cells(m: dict | None) -> str:
    if m is None:
        return " - | - | - | - "
    return (f" {m['median_cartesian_m']:.2f} | {m['footprint_m']:.2f} | {m['centroid_m']:.2f} | "
            f"{100 * m['right_car']:.0f} % ")


def tables(runs: list[dict], split: str) -> list[str]:
    lines = []
    for scene in runs[0][split]["scene_sets"]:
        sets = [r[split]["scene_sets"].get(scene, {}) for r in runs]
        head = " | ".join(f"seed {r['seed']}: centre (m) | footprint (m) | echo centroid (m) | right car" for r in runs)
        lines += [f"**Scene set `{scene}`, {split} split** ({sets[0].get('samples', '?')} samples with a target)", "",
                  f"| predictor | {head} |", "|---|" + "---|" * (4 * len(runs))]
        names = []
        for key, fmt in ROWS:
            for tag in sets[0].get(key, {}):
                label = fmt.format(tag) + (" (trained on groundtruth)" if key == "localiser" and
                                           tag == "groundtruth" else "")
                names.append((label, lambda s, key=key, tag=tag: s.get(key, {}).get(tag)))
        names += [(label, lambda s, key=key: s.get(key)) for key, label in BASELINES]
        for label, get in names:
            lines.append(f"| {label} |" + "|".join(cells(get(s)) for s in sets) + "|")
        lines.append("")
    return lines


def targets(runs: list[dict]) -> list[str]:
    keys = list(runs[0]["targets"])
    lines = ["| criterion (test split, headline scene set) | target | "
             + " | ".join(f"seed {r['seed']}" for r in runs) + " |", "|---|---|" + "---|" * len(runs)]
    for k in keys:
        t = runs[0]["targets"][k]
        vals = []
        for r in runs:
            v = r["targets"].get(k)
            vals.append("-" if v is None else f"{v['value']:.2f} " + ("(met)" if v["met"] else
                                                                       f"(**missed by {v['gap']:.2f}**)"))
        lines.append(f"| `{k}` | {'<=' if t['at_most'] else '>='} {t['target']:g} | " + " | ".join(vals) + " |")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--split", choices=("test", "validation"), default="test")
    args = ap.parse_args()
    runs = []
    for run in args.runs:
        p = run / "results.json"
        if not p.exists():
            print(f"error: {p}: not found (a finished `maxray reproduce` run has one)", file=sys.stderr)
            return 2
        runs.append(json.loads(p.read_text()))
        if args.split not in runs[-1]:
            print(f"error: {p}: has no {args.split} split (made before the test split existed?)", file=sys.stderr)
            return 2
    print("\n".join(tables(runs, args.split) + targets(runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
