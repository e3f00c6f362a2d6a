"""Localisation metrics and the `maxray evaluate` report (markdown + PNGs)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from maxray_gen.config import load_config
from maxray_gen.learn.data.inputs import cartesian_to_polar, over_background, polar_to_cartesian
from maxray_gen.learn.experiments.target_metrics import radar_view, summarise


def wrap_angle(a: np.ndarray) -> np.ndarray:
    return (np.asarray(a) + np.pi) % (2 * np.pi) - np.pi


def localisation_errors(pred_xy: np.ndarray, gt_xy: np.ndarray, range_resolution_m: float,
                        azimuth_resolution_rad: float) -> dict:
    """Range, azimuth (degrees) and Cartesian errors (mean, median, 90th percentile) and the fraction of
    predictions within one resolution cell (|d range| <= range resolution and |d azimuth| <= azimuth resolution)."""
    pr, pa = cartesian_to_polar(*np.asarray(pred_xy, dtype=np.float64).T)
    gr, ga = cartesian_to_polar(*np.asarray(gt_xy, dtype=np.float64).T)
    dr, da = np.abs(pr - gr), np.abs(wrap_angle(pa - ga))
    dxy = np.hypot(*(np.asarray(pred_xy) - np.asarray(gt_xy)).T)

    def stats(e):
        return {"mean": float(np.mean(e)), "median": float(np.median(e)), "p90": float(np.percentile(e, 90))}

    return {"n": int(len(dr)), "range_m": stats(dr), "azimuth_deg": stats(np.degrees(da)), "cartesian_m": stats(dxy),
            "within_cell": float(np.mean((dr <= range_resolution_m) & (da <= azimuth_resolution_rad)))}


def resolutions(data: Path) -> tuple[float, float]:
    """(range resolution m, azimuth resolution rad) of the radar that made ``data``."""
    radar = load_config(Path(data) / "config.yaml").radar
    return radar.range_resolution_m, float(np.radians(radar.azimuth_resolution_deg))


def evaluate(data: Path, localiser: Path, out: Path, selflabels: Path | None = None) -> dict:
    """Evaluate a localiser on the validation split against groundtruth, beside the mean-position baseline (the
    training labels' mean) and, when given, the self-labels themselves. Writes report.md, metrics.json, PNGs."""
    from maxray_gen.learn.data.batches import open_split
    from maxray_gen.learn.training.localiser import load_localiser, predict_split, target_geometry
    from maxray_gen.learn.experiments.selflabels import read_selflabels
    from maxray_gen.viz.learn_plots import error_cdf_png, positions_png

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    p = predict_split(localiser, data, "val")
    _, ck = load_localiser(localiser)
    rres, ares = resolutions(data)
    results = {"localiser": localisation_errors(p["pred_xy"], p["gt_xy"], rres, ares)}
    baseline = np.broadcast_to(np.asarray(ck["mean"]), p["gt_xy"].shape)
    results["mean_position_baseline"] = localisation_errors(baseline, p["gt_xy"], rres, ares)
    geometry = target_geometry(open_split(Path(data), "val", ("objects", "target"))[0])
    results["radar_view"] = {"localiser": summarise(radar_view(p["pred_xy"], p["gt_xy"], geometry)),
                             "mean_position_baseline": summarise(radar_view(baseline, p["gt_xy"], geometry))}
    curves = {"localiser": np.hypot(*(p["pred_xy"] - p["gt_xy"]).T), "mean position": np.hypot(*(baseline - p["gt_xy"]).T)}
    if selflabels is not None:
        t = read_selflabels(selflabels)
        lookup = {int(i): k for k, i in enumerate(t["index"])}
        rows = [lookup[int(i)] for i in p["index"] if int(i) in lookup]
        keep = np.array([int(i) in lookup for i in p["index"]])
        sl = np.stack([t["x_m"][rows], t["y_m"][rows]], 1)
        results["selflabels"] = localisation_errors(sl, p["gt_xy"][keep], rres, ares)
        results["radar_view"]["selflabels"] = summarise(radar_view(sl, p["gt_xy"][keep], geometry, keep))
        curves["self-labels"] = np.hypot(*(sl - p["gt_xy"][keep]).T)
    results["resolution"] = {"range_m": rres, "azimuth_deg": float(np.degrees(ares))}
    results["localiser_labels"] = ck["labels"]
    (out / "metrics.json").write_text(json.dumps(results, indent=2))
    error_cdf_png(curves, out / "error_cdf.png")
    positions_png(p["gt_xy"], p["pred_xy"], out / "positions.png")
    (out / "report.md").write_text(report_markdown(results, data, localiser))
    return results


def report_markdown(results: dict, data: Path, localiser: Path) -> str:
    lines = ["# Localisation report", "", f"- dataset: `{data}` (validation split, {results['localiser']['n']} samples)",
             f"- localiser: `{localiser}` trained on {results['localiser_labels']}",
             f"- resolution cell: {results['resolution']['range_m']:.3f} m x {results['resolution']['azimuth_deg']:.2f} deg",
             "", "| predictor | range err median / p90 (m) | azimuth err median / p90 (deg) | "
                 "Cartesian err mean / median / p90 (m) | within one cell |", "|---|---|---|---|---|"]
    for name in ("localiser", "selflabels", "mean_position_baseline"):
        if name not in results:
            continue
        r = results[name]
        lines.append(f"| {name.replace('_', ' ')} | {r['range_m']['median']:.3f} / {r['range_m']['p90']:.3f} | "
                     f"{r['azimuth_deg']['median']:.2f} / {r['azimuth_deg']['p90']:.2f} | "
                     f"{r['cartesian_m']['mean']:.3f} / {r['cartesian_m']['median']:.3f} / {r['cartesian_m']['p90']:.3f} | "
                     f"{100 * r['within_cell']:.1f} % |")
    view = results.get("radar_view", {})
    if any(v["n"] for v in view.values()):
        lines += ["", "What the radar sees of the target (schema 4 radar truth; a radar sees a car's near face, not its "
                  "centre): distance to its footprint (0 on the car), to the centroid of its own echo, and the share "
                  "of predictions within 0.5 m of its footprint and nearer it than any other car's.", "",
                  "| predictor | samples | footprint median / p90 (m) | echo centroid median / p90 (m) | right car |",
                  "|---|---|---|---|---|"]
        for name in ("localiser", "selflabels", "mean_position_baseline"):
            if name in view:
                v = view[name]
                lines.append(f"| {name.replace('_', ' ')} | {v['n']} | {v['median_footprint_m']:.2f} / "
                             f"{v['p90_footprint_m']:.2f} | {v['median_centroid_m']:.2f} / {v['p90_centroid_m']:.2f} | "
                             f"{100 * v['right_car']:.0f} % |")
    else:
        lines += ["", "(No schema 4 radar truth in this dataset: footprint, echo-centroid and right-car metrics need "
                  "shards written since 2026-12-06.)"]
    lines += ["", "![error CDF](error_cdf.png)", "", "![positions](positions.png)", ""]
    return "\n".join(lines)


def echo_peak_positions(power: np.ndarray, range_m: np.ndarray, azimuth_rad: np.ndarray, gt_xy: np.ndarray,
                        radius_m: float = 3.0) -> np.ndarray:
    """(N, 2) Cartesian position of each map's brightest bin within ``radius_m`` of its target's groundtruth
    ``gt_xy``: the best a label that sits on the target's own echo (an attention peak) can do against the
    target's centre, since a car's strongest return comes from its near face, not its centre. ``power``: (N, R, A)
    range-azimuth maps on the ``range_m`` x ``azimuth_rad`` grid. A map with no bin in the disc gives the
    nearest bin."""
    r = np.asarray(range_m, dtype=np.float64)[:, None]
    a = np.asarray(azimuth_rad, dtype=np.float64)[None, :]
    bx, by = r * np.sin(a), r * np.cos(a)
    out = np.empty((len(power), 2))
    for k, (p, (gx, gy)) in enumerate(zip(power, np.asarray(gt_xy, dtype=np.float64))):
        d = np.hypot(bx - gx, by - gy)
        inside = d <= radius_m
        score = np.where(inside, np.asarray(p, dtype=np.float64), -np.inf) if inside.any() else -d
        i, j = np.unravel_index(int(np.argmax(score)), score.shape)
        out[k] = bx[i, j], by[i, j]
    return out


def radar_peak_positions(power: np.ndarray, background: np.ndarray | None, range_m: np.ndarray,
                         azimuth_rad: np.ndarray) -> np.ndarray:
    """(N, 2) Cartesian position of each map's brightest bin after dividing by ``background`` (the train split's
    per-bin median map, :func:`~maxray_gen.learn.data.batches.background_map`; None: the raw maps): a detector that learns
    nothing and needs no labels, the baseline a self-supervised label has to beat to have learnt which echo is the
    target's. ``power``: (N, R, A) maps on the ``range_m`` x ``azimuth_rad`` grid."""
    p = over_background(power, background)
    i, j = np.unravel_index(p.reshape(len(p), -1).argmax(axis=1), p.shape[1:])
    return np.stack(polar_to_cartesian(np.asarray(range_m, dtype=np.float64)[i],
                                       np.asarray(azimuth_rad, dtype=np.float64)[j]), axis=1)


def nearest_echo_positions(power: np.ndarray, background: np.ndarray | None, range_m: np.ndarray,
                           azimuth_rad: np.ndarray, within_db: float = 10.0, depth_m: float = 1.0) -> np.ndarray:
    """(N, 2) Cartesian position of each map's nearest strong echo: among the bins within ``within_db`` of the
    map's brightest bin (after dividing by ``background``), the brightest of those no more than ``depth_m``
    beyond the nearest one. A label-free radar-side rule for "the car the camera sees best", which is mostly the
    nearest; ``power``: (N, R, A) maps on the ``range_m`` x ``azimuth_rad`` grid."""
    p = over_background(power, background)
    r = np.asarray(range_m, dtype=np.float64)
    a = np.asarray(azimuth_rad, dtype=np.float64)
    out = np.empty((len(p), 2))
    for k, m in enumerate(p):
        strong = m >= m.max() * 10 ** (-within_db / 10)
        near = r[np.nonzero(strong)[0]].min()
        cand = np.where(strong & (r[:, None] <= near + depth_m), m, -np.inf)
        i, j = np.unravel_index(int(np.argmax(cand)), m.shape)
        out[k] = polar_to_cartesian(r[i], a[j])
    return out


def box_ground_positions(boxes: np.ndarray, poses: list, camera, radar, ground_z: float = 0.0) -> np.ndarray:
    """(N, 2) heatmap-frame Cartesian position of each image box's bottom-centre pixel projected onto the ground
    plane z = ``ground_z`` with the known camera calibration (``camera``: the dataset's CameraConfig; the camera
    shares the basestation's sensor frame, ``poses``): a label-free localiser that needs only the target's box,
    where a car's lowest visible edge meets the ground. ``boxes``: (N, 4) x0, y0, x1, y1 pixels. A box whose
    bottom lies at or above the horizon, or a sample without a pose, gives NaN."""
    from maxray_gen.radar.coordinates import heatmap_azimuth, world_points_to_radar
    from maxray_gen.sensors.camera import Intrinsics

    intr = Intrinsics.from_config(camera)
    out = np.full((len(boxes), 2), np.nan)
    for k, (box, pose) in enumerate(zip(np.asarray(boxes, dtype=np.float64), poses)):
        if pose is None:
            continue
        ray = pose.rotation @ np.array([(0.5 * (box[0] + box[2]) - intr.cx) / intr.fx, (box[3] - intr.cy) / intr.fy,
                                        1.0])
        if not np.isfinite(ray).all() or ray[2] >= -1e-9:
            continue
        point = pose.position + (ground_z - pose.position[2]) / ray[2] * ray
        rc = world_points_to_radar(point[None], pose, radar)
        a = heatmap_azimuth(rc.azimuth_rad, rc.elevation_rad, radar)
        out[k] = rc.range_m[0] * np.sin(a[0]), rc.range_m[0] * np.cos(a[0])
    return out


def random_positions(n: int, axes: dict, rng: np.random.Generator) -> np.ndarray:
    """(n, 2) Cartesian positions uniform over the area of the radar's mapped field of view (the heatmap's range
    and azimuth extent)."""
    r0, r1 = float(np.min(axes["range_m"])), float(np.max(axes["range_m"]))
    a0, a1 = float(np.min(axes["azimuth_rad"])), float(np.max(axes["azimuth_rad"]))
    r = np.sqrt(rng.uniform(r0 ** 2, r1 ** 2, n))
    a = rng.uniform(a0, a1, n)
    return np.stack([r * np.sin(a), r * np.cos(a)], axis=1)
