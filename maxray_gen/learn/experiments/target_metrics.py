"""Metrics that follow what the radar can see (issue 32): a radar sees a parked car's near face, not its centre.

For each prediction of the target's position (the radar's Cartesian ground frame of the heatmaps, metres):

* ``centre_m``: distance to the target's 3-D box centre (the metric used so far);
* ``footprint_m``: distance to the target's oriented footprint polygon (0 inside): a label anywhere on the car is
  right;
* ``centroid_m``: distance to the power-weighted centroid of the target's own radar paths (schema 4's
  ``echo_centroid_xy``; NaN where the target has no echo);
* ``right_car``: the prediction lies within ``RIGHT_CAR_M`` of the target's footprint and nearer to it than to any
  other car's footprint: the localiser found the car the camera designated, not a neighbour.

Footprints are convex polygons (N, K, 2) (schema 4's ``footprint_xy``: four corners).
"""

from __future__ import annotations

import numpy as np

RIGHT_CAR_M = 0.5


def polygon_distance(points: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """Distance from each point (N, 2) to its convex polygon (N, K, 2), 0 inside; NaN for a polygon with NaN."""
    p = np.asarray(points, np.float64)[:, None, :]
    a = np.asarray(polygons, np.float64)
    b = np.roll(a, -1, axis=1)
    e = b - a
    t = np.clip(np.einsum("nkd,nkd->nk", p - a, e) / np.maximum(np.einsum("nkd,nkd->nk", e, e), 1e-300), 0, 1)
    to_edge = np.linalg.norm(p - (a + t[..., None] * e), axis=2).min(axis=1)
    cross = e[..., 0] * (p - a)[..., 1] - e[..., 1] * (p - a)[..., 0]
    inside = np.all(cross >= 0, axis=1) | np.all(cross <= 0, axis=1)
    out = np.where(inside, 0.0, to_edge)
    return np.where(np.isnan(a).any(axis=(1, 2)), np.nan, out)


def target_metrics(pred_xy: np.ndarray, centre_xy: np.ndarray, footprint: np.ndarray, centroid_xy: np.ndarray,
                   others: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Per prediction (N): ``centre_m``, ``footprint_m``, ``centroid_m`` and ``right_car`` (see the module
    docstring). ``others[i]`` holds the footprints (M_i, K, 2) of sample i's other cars (M_i may be 0)."""
    pred = np.asarray(pred_xy, np.float64)
    to_target = polygon_distance(pred, footprint)
    nearest_other = np.array([polygon_distance(np.repeat(pred[i:i + 1], len(o), 0), o).min() if len(o) else np.inf
                              for i, o in enumerate(others)])
    return {"centre_m": np.hypot(*(pred - np.asarray(centre_xy, np.float64)).T),
            "footprint_m": to_target,
            "centroid_m": np.hypot(*(pred - np.asarray(centroid_xy, np.float64)).T),
            "right_car": (to_target <= RIGHT_CAR_M) & (to_target < nearest_other)}


def radar_view(pred_xy: np.ndarray, gt_xy: np.ndarray, geometry: dict, rows: np.ndarray | None = None
               ) -> dict[str, np.ndarray]:
    """:func:`target_metrics` of predictions against a split's target geometry
    (:func:`~maxray_gen.learn.training.localiser.target_geometry`): ``rows`` (a mask) says which of its samples
    the predictions are for (default all); a predictor with several draws per sample (random) repeats them; samples
    without schema 4 radar truth are left out."""
    footprint, centroid, others = geometry["footprint"], geometry["centroid_xy"], geometry["others"]
    if rows is not None:
        footprint, centroid = footprint[rows], centroid[rows]
        others = [others[i] for i in np.flatnonzero(rows)]
    reps = len(pred_xy) // max(len(footprint), 1)
    seen = np.repeat(np.isfinite(footprint).all(axis=(1, 2)), reps)
    return target_metrics(np.asarray(pred_xy)[seen], np.asarray(gt_xy)[seen],
                          np.repeat(footprint, reps, axis=0)[seen], np.repeat(centroid, reps, axis=0)[seen],
                          [o for o, ok in zip((o for o in others for _ in range(reps)), seen) if ok])


def summarise(m: dict[str, np.ndarray]) -> dict[str, float | int]:
    """Medians and 90th percentiles of the distances (NaN-free rows) and the right-car rate."""
    def stat(x, q):
        x = x[np.isfinite(x)]
        return float(np.percentile(x, q)) if len(x) else float("nan")

    out: dict[str, float | int] = {"n": int(len(m["centre_m"]))}
    for key, name in (("centre_m", "cartesian_m"), ("footprint_m", "footprint_m"), ("centroid_m", "centroid_m")):
        out[f"median_{name}"] = stat(m[key], 50)
        out[f"p90_{name}"] = stat(m[key], 90)
    out["right_car"] = float(np.mean(m["right_car"])) if len(m["right_car"]) else float("nan")
    return out
