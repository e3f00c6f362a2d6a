"""Compare two datasets shard for shard: every HDF5 dataset's values (NaNs equal), RGB within a tolerance (Cycles'
pixels may differ slightly between sessions), and the object tables but for what is measured on the RGB render.

    python scripts/compare_datasets.py BEFORE_DIR AFTER_DIR [--rgb-tolerance 8]

Prints what differs and exits 1 when anything does (used to check that a refactor left `maxray generate` as it was).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import h5py
import numpy as np


def arrays(root: Path) -> dict[str, np.ndarray]:
    out = {}
    for p in sorted(root.glob("shard-*.h5")):
        with h5py.File(p, "r") as h5:
            h5.visititems(lambda n, o: out.__setitem__(f"{p.name}/{n}", o[()]) if isinstance(o, h5py.Dataset) else None)
    return out


def equal(x: np.ndarray, y: np.ndarray) -> bool:
    if x.dtype != y.dtype or x.shape != y.shape:
        return False
    if x.dtype.names:
        return all(equal(np.ascontiguousarray(x[n]), np.ascontiguousarray(y[n])) for n in x.dtype.names
                   if n != "camera_visibility")
    if x.dtype.kind in "fc":
        return bool(np.array_equal(x, y, equal_nan=True))
    return bool(np.array_equal(x, y))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--rgb-tolerance", type=float, default=8.0, help="max |difference| of an RGB value")
    a = ap.parse_args()
    before, after = arrays(a.before), arrays(a.after)
    differ = sorted(set(before) ^ set(after))
    for k in sorted(set(before) & set(after)):
        x, y = before[k], after[k]
        if k.endswith("/rgb"):
            d = np.abs(x.astype(int) - y.astype(int)) if x.shape == y.shape else None
            if d is None or d.max() > a.rgb_tolerance:
                differ.append(k)
            print(f"{k}: max |diff| {None if d is None else int(d.max())}, mean {None if d is None else d.mean():.4f}")
        elif not equal(x, y):
            differ.append(k)
    print(f"{len(before)} datasets compared; differ: {differ or 'none'}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
