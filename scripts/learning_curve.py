"""The learning curve of `maxray reproduce --preset scale` runs (one per seed): every metric against the training
set size, a power-law fit per predictor and the size at which it would reach issue 32's targets.

    python scripts/learning_curve.py RUN_SEED0 RUN_SEED1 --out docs/results/scale [--split test]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from maxray_gen.errors import MaxrayError
from maxray_gen.learn.experiments.learning_curve import write_curve


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", type=Path, help="run directories of `maxray reproduce`")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--split", choices=("validation", "test"), default=None, help="default: each run's final split")
    args = ap.parse_args()
    try:
        data = write_curve(args.runs, args.out, args.split)
    except MaxrayError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"sizes {data['sizes']}, seeds {data['seeds']}: {args.out / 'learning-curve.png'}, "
          f"{args.out / 'learning-curve.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
