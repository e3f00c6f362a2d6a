"""Do the cars stand out in the radar map? Per-car echo contrast and peak placement against the groundtruth.

For a car in the radar's view, its footprint in a range-azimuth map is the range interval from its nearest surface
to its centre (widened by one range resolution) and one azimuth resolution cell either side of its centre's
heatmap azimuth. Its echo is the brightest cell there; the map around it is the median of the cells within
``surround_m`` in range and ``surround_deg`` in azimuth outside the footprint; the contrast is their ratio in dB.
"Peak inside" asks whether the brightest cell of the car's own echo (a map of only the paths that touched it,
the groundtruth attribution, when ``own_maps`` gives one; else the full map near it) is inside the footprint, and
"side" whether that peak is on the same side of boresight as the groundtruth (and so as its image box).
"""

from __future__ import annotations

import numpy as np

from maxray_gen.radar.config import RadarConfig


def car_echoes(range_azimuth: np.ndarray, range_m: np.ndarray, azimuth_rad: np.ndarray, objects: np.ndarray,
               cfg: RadarConfig, surround_m: float = 3.0, surround_deg: float = 15.0,
               own_maps: dict[int, np.ndarray] | None = None) -> list[dict]:
    """One dict per car in view: instance_id, visible_fraction, contrast_db, peak_inside, side_ok (the echo's
    azimuth sign equals the groundtruth's; the image box's side follows the same groundtruth)."""
    out = []
    res_r = cfg.range_resolution_m
    res_a = np.radians(cfg.azimuth_resolution_deg)
    ra = np.asarray(range_azimuth, np.float64)
    cars_only = "class_id" in (objects.dtype.names or ())
    for o in objects:
        if not o["in_radar_view"] or (cars_only and o["class_id"] != 0):
            continue
        r0 = min(float(o["nearest_range_m"]), float(o["range_m"])) - res_r
        r1 = float(o["range_m"]) + res_r
        a0, a1 = float(o["heatmap_azimuth_rad"]) - res_a, float(o["heatmap_azimuth_rad"]) + res_a
        in_r = (range_m >= r0) & (range_m <= r1)
        in_a = (azimuth_rad >= a0) & (azimuth_rad <= a1)
        if not in_r.any() or not in_a.any():
            continue
        foot = in_r[:, None] & in_a[None, :]
        near_r = (range_m >= r0 - surround_m) & (range_m <= r1 + surround_m)
        near_a = np.abs(azimuth_rad - o["heatmap_azimuth_rad"]) <= np.radians(surround_deg) + res_a
        hood = near_r[:, None] & near_a[None, :]
        ring = hood & ~foot
        peak = float(ra[foot].max())
        own = (own_maps or {}).get(int(o["instance_id"]))
        if own is not None:
            i, j = np.unravel_index(np.argmax(own), own.shape)
        else:
            i, j = np.unravel_index(np.argmax(np.where(hood, ra, -np.inf)), ra.shape)
        background = float(np.median(ra[ring])) if ring.any() else float(np.median(ra))
        out.append(dict(instance_id=int(o["instance_id"]), visible_fraction=float(o["visible_fraction"]),
                        contrast_db=10 * np.log10(max(peak, 1e-300) / max(background, 1e-300)),
                        peak_inside=bool(foot[i, j]), attributed=own is not None,
                        peak_range_m=float(range_m[i]), footprint_range_m=(r0, r1),
                        peak_azimuth_cells=float((azimuth_rad[j] - o["heatmap_azimuth_rad"]) / res_a),
                        side_ok=bool(np.sign(azimuth_rad[j]) == np.sign(o["heatmap_azimuth_rad"])
                                     or abs(o["heatmap_azimuth_rad"]) < res_a)))
    return out


def echo_summary(rows: list[dict], min_visible: float = 0.5, min_contrast_db: float = 10.0) -> dict:
    """Fractions over the cars at least ``min_visible`` visible in the image."""
    sel = [r for r in rows if r["visible_fraction"] >= min_visible]
    if not sel:
        return {"cars": 0}
    c = np.array([r["contrast_db"] for r in sel])
    out = {"cars": len(sel), "contrast_median_db": round(float(np.median(c)), 2),
           f"share_above_{min_contrast_db:g}_db": round(float(np.mean(c >= min_contrast_db)), 3)}
    if all(r.get("attributed", False) for r in sel):  # peak placement needs each car's own echo
        out["share_peak_inside"] = round(float(np.mean([r["peak_inside"] for r in sel])), 3)
        out["share_correct_side"] = round(float(np.mean([r["side_ok"] for r in sel])), 3)
    return out
