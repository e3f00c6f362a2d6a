"""Scores, figures and the markdown report of ``maxray reproduce`` (validation split against groundtruth)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from maxray_gen.learn.data.inputs import cartesian_to_polar, polar_to_cartesian
from maxray_gen.learn.experiments.target_metrics import radar_view, summarise

#: the issue's acceptance targets for the headline scene set
TARGET_SCL_M = 1.0
TARGET_RANDOM_RATIO = 5.0
TARGET_LOCALISER_RATIO = 1.5
RANDOM_DRAWS = 200
#: radius around the target's centre in which the echo-peak bound looks for the target's brightest return
ECHO_RADIUS_M = 3.0
# the camera-box hybrid looks for the brightest echo this close to the box's ground projection: about a car's half
# length, the projection's own error (set once, not tuned on any split)
HYBRID_RADIUS_M = 1.5


def position_metrics(pred_xy: np.ndarray, gt_xy: np.ndarray, axes: dict, range_res_m: float,
                     az_res_rad: float) -> dict:
    """:func:`~maxray_gen.learn.experiments.evaluate.localisation_errors` flattened, plus range and azimuth errors in heatmap
    bins (the native grid, exact for non-uniform axes), the share within 1 m, and the median signed range and
    azimuth errors (prediction minus groundtruth: a label that sits systematically short of or beside the target
    shows here, where the absolute medians cannot tell it from scatter)."""
    from maxray_gen.learn.experiments.evaluate import localisation_errors, wrap_angle

    e = localisation_errors(pred_xy, gt_xy, range_res_m, az_res_rad)
    pr, pa = cartesian_to_polar(*np.asarray(pred_xy, dtype=np.float64).T)
    gr, ga = cartesian_to_polar(*np.asarray(gt_xy, dtype=np.float64).T)

    def bins(p, g, axis):
        idx = np.arange(len(axis))
        return np.abs(np.interp(p, axis, idx) - np.interp(g, axis, idx))

    d_xy = np.hypot(*(np.asarray(pred_xy) - np.asarray(gt_xy)).T)
    return {"n": e["n"], "median_cartesian_m": e["cartesian_m"]["median"],
            "mean_cartesian_m": e["cartesian_m"]["mean"], "p90_cartesian_m": e["cartesian_m"]["p90"],
            "within_1m": float(np.mean(d_xy <= 1.0)),
            "median_range_m": e["range_m"]["median"],
            "median_range_bins": float(np.median(bins(pr, gr, axes["range_m"]))),
            "median_azimuth_deg": e["azimuth_deg"]["median"],
            "median_azimuth_cells": float(np.median(bins(pa, ga, axes["azimuth_rad"]))),
            "within_cell": e["within_cell"],
            "range_bias_m": float(np.median(pr - gr)),
            "azimuth_bias_deg": float(np.degrees(np.median(wrap_angle(pa - ga))))}


def radar_view_metrics(pred_xy: np.ndarray, gt_xy: np.ndarray, geometry: dict) -> dict:
    """Medians and 90th percentiles of the distance to the target's footprint and to its echo centroid, and the
    right-car rate (:func:`~maxray_gen.learn.experiments.target_metrics.radar_view`; NaN without schema 4 truth)."""
    m = summarise(radar_view(pred_xy, gt_xy, geometry))
    return {"footprint_m": m["median_footprint_m"], "p90_footprint_m": m["p90_footprint_m"],
            "centroid_m": m["median_centroid_m"], "p90_centroid_m": m["p90_centroid_m"], "right_car": m["right_car"]}


def _variants(cfg, scene: str) -> list[str]:
    tags = list(cfg.methods)
    if scene == next(iter(cfg.scenes)):
        tags += [f"ablation-{a}" for a in cfg.ablations]
    return tags


def predictions(cfg, run: Path, root: Path, scene: str, seed: int) -> dict:
    """Every predictor's positions on the validation split of one scene set, each with the groundtruth it is
    scored against: {"n": samples, "axes": ..., "pred": {name: (pred (m, 2), gt (m, 2))}}, names
    selflabels/<tag>, localiser/<labels>, random (RANDOM_DRAWS per sample), mean_position, radar_peak (each
    map's brightest bin over the train split's median map: no learning, no labels), camera_box (the target's image
    box projected onto the ground with the camera calibration: label-free, what SCL is given), camera_box_echo (that
    projection moved onto the brightest bin over the median map within HYBRID_RADIUS_M: a label-free hybrid),
    echo_peak (the brightest return within ECHO_RADIUS_M of the target's centre: a groundtruth-informed bound, not a
    method)."""
    from maxray_gen.learn.data.batches import background_map, open_split
    from maxray_gen.config import load_config
    from maxray_gen.learn.data.inputs import over_background
    from maxray_gen.learn.experiments.evaluate import box_ground_positions, echo_peak_positions, radar_peak_positions
    from maxray_gen.learn.training.localiser import groundtruth_positions, predict_split, target_geometry
    from maxray_gen.learn.experiments.selflabels import read_selflabels
    from maxray_gen.seeding import rng_for
    from maxray_gen.learn.experiments.evaluate import random_positions

    val, axes = open_split(root, "val", ("objects", "target", "range_azimuth"))
    train, _ = open_split(root, "train", ("objects", "target"))
    idx, gt = groundtruth_positions(val)
    axes = {k: np.asarray(v, dtype=np.float64) for k, v in axes.items()}
    pred: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for tag in _variants(cfg, scene):
        t = read_selflabels(run / "selflabels" / scene / f"{tag}.h5")
        lookup = {int(i): k for k, i in enumerate(t["index"])}
        rows = [lookup[int(i)] for i in idx]
        xy = np.stack(polar_to_cartesian(t["range_m"][rows], t["azimuth_rad"][rows]), 1)
        pred[f"selflabels/{tag}"] = (xy, gt)
        if cfg.selflabel_refine != "none" and tag in cfg.methods:  # the unrefined attention maxima beside them
            pred[f"attention/{tag}"] = (np.stack(polar_to_cartesian(t["attention_range_m"][rows],
                                                                    t["attention_azimuth_rad"][rows]), 1), gt)
    for lab in cfg.localiser_labels:
        p = predict_split(run / "localiser" / scene / lab / "localiser.pt", root, "val")
        assert np.array_equal(p["index"], idx)
        pred[f"localiser/{lab}"] = (p["pred_xy"], gt)
    rng = rng_for(seed, "reproduce-random", scene)
    pred["random"] = (random_positions(RANDOM_DRAWS * len(idx), axes, rng), np.repeat(gt, RANDOM_DRAWS, axis=0))
    _, train_xy = groundtruth_positions(train)
    pred["mean_position"] = (np.broadcast_to(train_xy.mean(0), gt.shape), gt)
    power = np.stack([np.asarray(val[k]["range_azimuth"], dtype=np.float64).reshape(len(axes["range_m"]), -1)
                      for k in range(len(val))])
    background = background_map(train)
    pred["radar_peak"] = (radar_peak_positions(power, background, axes["range_m"], axes["azimuth_rad"]), gt)
    pred["echo_peak"] = (echo_peak_positions(power, axes["range_m"], axes["azimuth_rad"], gt, ECHO_RADIUS_M), gt)
    data_cfg = load_config(Path(root) / "config.yaml")
    geometry = target_geometry(val)
    cam = box_ground_positions(geometry["box"], geometry["pose"], data_cfg.camera, data_cfg.radar)
    cam = np.where(np.isfinite(cam), cam, train_xy.mean(0))  # a box bottom above the horizon: the mean position
    pred["camera_box"] = (cam, gt)
    pred["camera_box_echo"] = (echo_peak_positions(over_background(power, background), axes["range_m"],
                                                   axes["azimuth_rad"], cam, HYBRID_RADIUS_M), gt)
    return {"n": len(gt), "axes": axes, "pred": pred, "geometry": geometry}


def score(cfg, roots: dict[str, Path], preds: dict[str, dict]) -> dict:
    """results.json's content from each scene set's :func:`predictions`: every predictor's metrics per scene set;
    the headline set's at the top level."""
    from maxray_gen.learn.experiments.evaluate import resolutions

    out: dict = {"scene_sets": {}}
    for scene, root in roots.items():
        e = preds[scene]
        rres, ares = resolutions(root)
        res: dict = {"val_samples": int(e["n"]), "selflabels": {}, "localiser": {}, "ablations": {},
                     "attention_peak": {}}
        for name, (p, gt) in e["pred"].items():
            m = position_metrics(p, gt, e["axes"], rres, ares)
            m.update(radar_view_metrics(p, gt, e["geometry"]))
            kind, _, tag = name.partition("/")
            if kind == "selflabels":
                (res["ablations"] if tag.startswith("ablation-") else res["selflabels"])[
                    tag.removeprefix("ablation-")] = m
            elif kind == "localiser":
                res["localiser"][tag] = m
            elif kind == "attention":
                res["attention_peak"][tag] = m
            else:
                res[kind] = m
        res["resolution"] = {"range_m": rres, "azimuth_deg": float(np.degrees(ares))}
        out["scene_sets"][scene] = res
    head = out["scene_sets"][next(iter(cfg.scenes))]
    for key in ("selflabels", "localiser", "random", "mean_position", "radar_peak", "camera_box", "camera_box_echo",
                "echo_peak", "ablations", "attention_peak"):
        out[key] = head[key]
    out["headline_scene_set"] = next(iter(cfg.scenes))
    out["targets"] = targets(head)
    return out


def targets(res: dict) -> dict:
    """The acceptance criteria, each with the measured value and whether it is met (None: not measurable)."""
    sl, loc = res["selflabels"], res["localiser"]
    rand = res["random"]["median_cartesian_m"]
    t: dict = {}
    if "scl" in sl:
        scl = sl["scl"]["median_cartesian_m"]
        t["scl_median_m"] = {"value": scl, "target": TARGET_SCL_M, "met": scl <= TARGET_SCL_M}
        t["random_over_scl"] = {"value": rand / scl, "target": TARGET_RANDOM_RATIO,
                                "met": rand / scl >= TARGET_RANDOM_RATIO}
        if "mcl" in sl:
            t["scl_better_than_mcl"] = {"value": sl["mcl"]["median_cartesian_m"] - scl, "target": 0.0,
                                        "met": scl < sl["mcl"]["median_cartesian_m"]}
    if "scl" in loc and "groundtruth" in loc:
        ratio = loc["scl"]["median_cartesian_m"] / loc["groundtruth"]["median_cartesian_m"]
        t["localiser_scl_over_groundtruth"] = {"value": ratio, "target": TARGET_LOCALISER_RATIO,
                                               "met": ratio <= TARGET_LOCALISER_RATIO}
    return t


def write_report(cfg, run: Path, roots: dict[str, Path], preds: dict[str, dict], results: dict) -> Path:
    """RUN/report.md and RUN/figures/*.png (error CDFs, fig. 5 histograms; attention maps come from the
    self-label stage)."""
    from maxray_gen.learn.experiments.analyses import selflabel_histograms
    from maxray_gen.viz.learn_plots import error_cdf_png, selflabel_histograms_png

    fig = run / "figures"
    fig.mkdir(parents=True, exist_ok=True)
    lines = [f"# Reproduction report: preset `{results['preset']}`, seed {results['seed']}", "",
             f"{cfg.description.strip()}", "",
             "Validation split against groundtruth (the designated target's range and heatmap azimuth). "
             + ("Self-labels: the peak of each method's attention map; " if cfg.selflabel_refine == "none" else
                "Self-labels: the brightest bin of the map (over the median map) within the receptive field of each "
                "method's attention maximum (the maxima themselves are scored in their own rows); ") +
             "localisers: the table-2 network trained on "
             "groundtruth or on a method's self-labels of the train split; random: positions uniform over the area "
             "of the radar's mapped field of view; mean position: the train targets' mean; brightest echo: each map's "
             "brightest bin after dividing by the train split's median map (the static lot out), a detector that "
             "learns nothing, so a self-label that does not beat it has not learnt which echo is the target's. "
             "Range errors in heatmap range bins, azimuth errors in heatmap azimuth bins. The bound row is not a "
             f"method: it knows the target's centre and takes the map's brightest bin within {ECHO_RADIUS_M:g} m of "
             "it, i.e. the error of a label that sits exactly on the target's strongest echo (a car's near face, not "
             "its centre). Bias columns: median signed error, prediction minus groundtruth (negative range bias: "
             "short of the target).", ""]
    lines += _targets_md(results)
    for scene, res in results["scene_sets"].items():
        root = roots[scene]
        curves = {name.replace("selflabels/", "self-labels ").replace("localiser/", "localiser "):
                  np.hypot(*(p - gt).T) for name, (p, gt) in preds[scene]["pred"].items()
                  if not name.startswith(("selflabels/ablation-", "attention/"))}
        error_cdf_png(curves, fig / f"cdf-{scene}.png")
        view = {name.replace("selflabels/", "self-labels ").replace("localiser/", "localiser "):
                radar_view(p, gt, preds[scene]["geometry"]) for name, (p, gt) in preds[scene]["pred"].items()
                if not name.startswith(("selflabels/ablation-", "attention/"))}
        error_cdf_png({k: m["footprint_m"] for k, m in view.items()}, fig / f"cdf-footprint-{scene}.png",
                      "distance to the target's footprint (m; 0 on the car)")
        error_cdf_png({k: m["centroid_m"] for k, m in view.items()}, fig / f"cdf-centroid-{scene}.png",
                      "distance to the target's echo centroid (m)")
        lines += [f"## Scene set `{scene}` ({res['val_samples']} validation samples; resolution cell "
                  f"{res['resolution']['range_m']:.3f} m x {res['resolution']['azimuth_deg']:.2f} deg)", "",
                  "Distances to the target's centre, then what the radar sees of it: the distance to its footprint "
                  "(0 on the car), to the centroid of its own echo, and the right-car rate (within 0.5 m of its "
                  "footprint and nearer it than any other car's).", "",
                  "| predictor | median (m) | mean (m) | p90 (m) | within 1 m | range median (m / bins) | "
                  "azimuth median (deg / bins) | within one cell | range bias (m) | azimuth bias (deg) | "
                  "footprint median / p90 (m) | echo centroid median (m) | right car |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        rows = [(f"self-labels {k}", v) for k, v in res["selflabels"].items()]
        rows += [(f"attention maximum {k} (self-label before the echo refinement)", v)
                 for k, v in res["attention_peak"].items()]
        rows += [(f"localiser on {k}", v) for k, v in res["localiser"].items()]
        rows += [("random in the field of view", res["random"]), ("mean train position", res["mean_position"]),
                 ("brightest echo over the median map (no learning)", res["radar_peak"]),
                 ("target's image box projected onto the ground (label-free: box + camera calibration)",
                  res["camera_box"]),
                 (f"that projection moved onto the brightest echo within {HYBRID_RADIUS_M:g} m (label-free hybrid)",
                  res["camera_box_echo"]),
                 (f"bound: target's brightest return within {ECHO_RADIUS_M:g} m", res["echo_peak"])]
        lines += [_row(n, m) for n, m in rows]
        lines += ["", f"![error CDFs](figures/cdf-{scene}.png)", "",
                  f"![distance to the footprint](figures/cdf-footprint-{scene}.png)",
                  f"![distance to the echo centroid](figures/cdf-centroid-{scene}.png)", ""]
        for tag in cfg.methods:
            h5 = run / "selflabels" / scene / f"{tag}.h5"
            hists, edges = selflabel_histograms(root, h5)
            selflabel_histograms_png(hists, edges, fig / f"fig5-{scene}-{tag}.png")
            lines += [f"**{tag.upper()}**: self-label vs groundtruth histograms (fig. 5) and attention maps of "
                      "validation samples (image with the target box; heatmap; attention; o groundtruth, "
                      "x self-label" + (", + the attention maximum it was refined from"
                                        if cfg.selflabel_refine == "echo" else "") + ")", "",
                      f"![fig5 {tag}](figures/fig5-{scene}-{tag}.png)", "",
                      f"![attention {tag}](figures/attention-{scene}-{tag}.png)", ""]
        if res["ablations"]:
            lines += ["### Ablations (SCL variants on this scene set)", "",
                      "| variant | settings changed from SCL | median (m) | range median (bins) | "
                      "azimuth median (bins) |", "|---|---|---|---|---|"]
            if "scl" in res["selflabels"]:
                m = res["selflabels"]["scl"]
                lines.append(f"| SCL as run | - | {m['median_cartesian_m']:.2f} | {m['median_range_bins']:.1f} | "
                             f"{m['median_azimuth_cells']:.1f} |")
            for a, m in res["ablations"].items():
                lines.append(f"| {a} | `{json.dumps(cfg.ablations[a])}` | {m['median_cartesian_m']:.2f} | "
                             f"{m['median_range_bins']:.1f} | {m['median_azimuth_cells']:.1f} |")
            lines.append("")
    lines += ["## Run", "", f"- configuration hash `{results['config_hash']}`; dataset hashes: "
              + ", ".join(f"{k} `{v}`" for k, v in results["dataset_hashes"].items()),
              "- stage times (min): " + ", ".join(f"{k} {v / 60:.1f}" for k, v in results["stage_seconds"].items()),
              f"- total of the stage times: {sum(results['stage_seconds'].values()) / 60:.1f} min", ""]
    path = run / "report.md"
    path.write_text("\n".join(lines))
    return path


def _row(name: str, m: dict) -> str:
    nan = float("nan")  # results of runs before the radar-view metrics
    return (f"| {name} | {m['median_cartesian_m']:.2f} | {m['mean_cartesian_m']:.2f} | {m['p90_cartesian_m']:.2f} | "
            f"{100 * m['within_1m']:.0f} % | {m['median_range_m']:.2f} / {m['median_range_bins']:.1f} | "
            f"{m['median_azimuth_deg']:.1f} / {m['median_azimuth_cells']:.1f} | {100 * m['within_cell']:.0f} % | "
            f"{m['range_bias_m']:+.2f} | {m['azimuth_bias_deg']:+.1f} | {m.get('footprint_m', nan):.2f} / "
            f"{m.get('p90_footprint_m', nan):.2f} | {m.get('centroid_m', nan):.2f} | "
            f"{100 * m.get('right_car', nan):.0f} % |")


def _targets_md(results: dict) -> list[str]:
    names = {"scl_median_m": f"SCL self-label median <= {TARGET_SCL_M} m",
             "random_over_scl": f"random / SCL median >= {TARGET_RANDOM_RATIO}x",
             "scl_better_than_mcl": "SCL better than MCL (MCL - SCL median, m)",
             "localiser_scl_over_groundtruth": f"localiser on SCL / on groundtruth <= {TARGET_LOCALISER_RATIO}x"}
    lines = [f"## Targets (scene set `{results['headline_scene_set']}`)", "", "| criterion | measured | met |",
             "|---|---|---|"]
    for k, v in results["targets"].items():
        lines.append(f"| {names[k]} | {v['value']:.2f} | {'yes' if v['met'] else '**no**'} |")
    return lines + [""]
