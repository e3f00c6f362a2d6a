"""Scores, figures and the markdown report of ``maxray reproduce`` (validation and test splits against
groundtruth)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from maxray_gen.learn.data.inputs import cartesian_to_polar, polar_to_cartesian
from maxray_gen.learn.experiments.target_metrics import radar_view, summarise
from maxray_gen.learn.experiments.targets import (TARGET_CENTROID_M, TARGET_FOOTPRINT_M, TARGET_LOCALISER_RATIO,
                                                  TARGET_RIGHT_CAR, TARGET_RIGHT_CAR_GAP, TARGET_RIGHT_CAR_MARGIN)

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
        tags += [f"ablation-{a}" for a in cfg.ablations] + [tag for tag, _ in cfg.curve_tags()]
    return tags


def _localiser_labels(cfg, scene: str) -> list[str]:
    labels = list(cfg.localiser_labels)
    if scene == next(iter(cfg.scenes)):
        labels += [f"{lab}@{n}" for _, n in cfg.curve_tags() for lab in ("groundtruth", "scl")]
    return labels


def predictions(cfg, run: Path, root: Path, scene: str, seed: int, test_root: Path | None = None) -> dict:
    """Every predictor's positions on the validation split of one scene set (or on its whole test dataset
    ``test_root``: the models, the median map and the mean position still come from ``root``'s train split), each
    with the groundtruth it is scored against: {"n": samples, "axes": ..., "pred": {name: (pred (m, 2), gt (m, 2))}}, names
    selflabels/<tag>, localiser/<labels>, random (RANDOM_DRAWS per sample), mean_position, radar_peak (each
    map's brightest bin over the train split's median map: no learning, no labels), camera_box (the target's image
    box projected onto the ground with the camera calibration: label-free, what SCL is given), camera_box_echo (that
    projection moved onto the brightest bin over the median map within HYBRID_RADIUS_M: a label-free hybrid),
    echo_peak (the brightest return within ECHO_RADIUS_M of the target's centre: a groundtruth-informed bound, not a
    method)."""
    from maxray_gen.learn.data.batches import background_map, open_split
    from maxray_gen.config import load_config
    from maxray_gen.learn.data.inputs import over_background
    from maxray_gen.learn.experiments.evaluate import (box_ground_positions, echo_peak_positions,
                                                       nearest_echo_positions, radar_peak_positions)
    from maxray_gen.learn.training.localiser import groundtruth_positions, predict_split, target_geometry
    from maxray_gen.learn.experiments.selflabels import read_selflabels
    from maxray_gen.seeding import rng_for
    from maxray_gen.learn.experiments.evaluate import random_positions

    data, split, labels = (root, "val", "selflabels") if test_root is None else (test_root, "all", "test-selflabels")
    val, axes = open_split(data, split, ("objects", "target", "range_azimuth"))
    train, _ = open_split(root, "train", ("objects", "target"))
    idx, gt = groundtruth_positions(val)
    axes = {k: np.asarray(v, dtype=np.float64) for k, v in axes.items()}
    pred: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for tag in _variants(cfg, scene):
        t = read_selflabels(run / labels / scene / f"{tag}.h5")
        lookup = {int(i): k for k, i in enumerate(t["index"])}
        rows = [lookup[int(i)] for i in idx]
        xy = np.stack(polar_to_cartesian(t["range_m"][rows], t["azimuth_rad"][rows]), 1)
        pred[f"selflabels/{tag}"] = (xy, gt)
        if cfg.selflabel_refine != "none" and tag in cfg.methods:  # the unrefined attention maxima beside them
            pred[f"attention/{tag}"] = (np.stack(polar_to_cartesian(t["attention_range_m"][rows],
                                                                    t["attention_azimuth_rad"][rows]), 1), gt)
    for lab in _localiser_labels(cfg, scene):
        p = predict_split(run / "localiser" / scene / lab / "localiser.pt", data, split)
        assert np.array_equal(p["index"], idx)
        pred[f"localiser/{lab}"] = (p["pred_xy"], gt)
    rng = rng_for(seed, "reproduce-random", scene, *(() if test_root is None else ("test",)))
    pred["random"] = (random_positions(RANDOM_DRAWS * len(idx), axes, rng), np.repeat(gt, RANDOM_DRAWS, axis=0))
    _, train_xy = groundtruth_positions(train)
    pred["mean_position"] = (np.broadcast_to(train_xy.mean(0), gt.shape), gt)
    power = np.stack([np.asarray(val[k]["range_azimuth"], dtype=np.float64).reshape(len(axes["range_m"]), -1)
                      for k in range(len(val))])
    background = background_map(train)
    pred["radar_peak"] = (radar_peak_positions(power, background, axes["range_m"], axes["azimuth_rad"]), gt)
    pred["radar_nearest"] = (nearest_echo_positions(power, background, axes["range_m"], axes["azimuth_rad"]), gt)
    pred["echo_peak"] = (echo_peak_positions(power, axes["range_m"], axes["azimuth_rad"], gt, ECHO_RADIUS_M), gt)
    data_cfg = load_config(Path(data) / "config.yaml")
    geometry = target_geometry(val)
    cam = box_ground_positions(geometry["box"], geometry["pose"], data_cfg.camera, data_cfg.radar)
    cam = np.where(np.isfinite(cam), cam, train_xy.mean(0))  # a box bottom above the horizon: the mean position
    pred["camera_box"] = (cam, gt)
    pred["camera_box_echo"] = (echo_peak_positions(over_background(power, background), axes["range_m"],
                                                   axes["azimuth_rad"], cam, HYBRID_RADIUS_M), gt)
    return {"n": len(gt), "axes": axes, "pred": pred, "geometry": geometry, "train_n": len(train)}


def score(cfg, roots: dict[str, Path], splits: dict[str, dict[str, dict]]) -> dict:
    """results.json's content from :func:`predictions` per split ("validation", and "test" when the preset has
    one) and scene set: each split's section, and at the top level the final split's (test when there is one)
    with the acceptance targets measured on it."""
    out: dict = {name: score_split(cfg, roots, preds) for name, preds in splits.items()}
    final = "test" if "test" in out else "validation"
    res = {"splits": list(out), "final_split": final, **out[final], **out}
    res["targets"] = targets(cfg, out[final])
    return res


def score_split(cfg, roots: dict[str, Path], preds: dict[str, dict]) -> dict:
    """Every predictor's metrics per scene set of one split; the headline set's also at the top level."""
    from maxray_gen.learn.experiments.evaluate import resolutions

    out: dict = {"scene_sets": {}}
    for scene, root in roots.items():
        e = preds[scene]
        rres, ares = resolutions(root)
        res: dict = {"samples": int(e["n"]), "train_samples": int(e["train_n"]), "selflabels": {}, "localiser": {},
                     "ablations": {}, "attention_peak": {}}
        curve: dict[int, dict] = {}
        for name, (p, gt) in e["pred"].items():
            m = position_metrics(p, gt, e["axes"], rres, ares)
            m.update(radar_view_metrics(p, gt, e["geometry"]))
            kind, _, tag = name.partition("/")
            if "@" in tag:  # a learning-curve point: {size: {"selflabels/scl" | "localiser/<labels>": metrics}}
                base, _, size = tag.partition("@")
                curve.setdefault(int(size), {})[f"{kind}/{base}"] = m
            elif kind == "selflabels":
                (res["ablations"] if tag.startswith("ablation-") else res["selflabels"])[
                    tag.removeprefix("ablation-")] = m
            elif kind == "localiser":
                res["localiser"][tag] = m
            elif kind == "attention":
                res["attention_peak"][tag] = m
            else:
                res[kind] = m
        res["resolution"] = {"range_m": rres, "azimuth_deg": float(np.degrees(ares))}
        if curve:
            res["learning_curve"] = {str(n): curve[n] for n in sorted(curve)}
        out["scene_sets"][scene] = res
    head = out["scene_sets"][next(iter(cfg.scenes))]
    for key in ("selflabels", "localiser", "random", "mean_position", "radar_peak", "radar_nearest", "camera_box",
                "camera_box_echo", "echo_peak", "ablations", "attention_peak"):
        out[key] = head[key]
    out["headline_scene_set"] = next(iter(cfg.scenes))
    return out


def single_car_sets(cfg) -> list[str]:
    """The scene sets whose lots hold exactly one car (no "which car" question)."""
    return [s for s in cfg.scenes if cfg.scene_config(s).scene.max_cars == 1]


def targets(cfg, split: dict) -> dict:
    """Issue 32's acceptance criteria on one split's scores (the final one), each with the measured value, the
    target, whether it is met and by how much it is missed (``gap``, in the value's unit; 0 when met)."""
    head = split["scene_sets"][split["headline_scene_set"]]
    sl, loc = head["selflabels"], head["localiser"]
    t: dict = {}

    def add(key: str, value: float, target: float, at_most: bool) -> None:
        met = bool(value <= target) if at_most else bool(value >= target)
        gap = 0.0 if met else abs(value - target)
        t[key] = {"value": float(value), "target": target, "at_most": at_most, "met": met, "gap": float(gap)}

    if "scl" in sl:
        scl = sl["scl"]
        add("scl_right_car", scl["right_car"], TARGET_RIGHT_CAR, False)
        add("scl_right_car_over_radar_peak", scl["right_car"] - head["radar_peak"]["right_car"],
            TARGET_RIGHT_CAR_MARGIN, False)
        add("scl_footprint_m", scl["footprint_m"], TARGET_FOOTPRINT_M, True)
        add("scl_centroid_m", scl["centroid_m"], TARGET_CENTROID_M, True)
        if "mcl" in sl:
            add("scl_better_than_mcl", sl["mcl"]["footprint_m"] - scl["footprint_m"], 0.0, False)
    if "scl" in loc and "groundtruth" in loc:
        add("localiser_scl_over_groundtruth_centroid", loc["scl"]["centroid_m"] / loc["groundtruth"]["centroid_m"],
            TARGET_LOCALISER_RATIO, True)
        add("localiser_right_car_gap", loc["groundtruth"]["right_car"] - loc["scl"]["right_car"],
            TARGET_RIGHT_CAR_GAP, True)
    for scene in single_car_sets(cfg):
        res = split["scene_sets"].get(scene)
        if res is not None and "groundtruth" in res["localiser"]:
            sup, peak = res["localiser"]["groundtruth"], res["radar_peak"]
            add(f"supervised_over_radar_peak_{scene}_centre", sup["median_cartesian_m"] / peak["median_cartesian_m"],
                1.0, True)
            add(f"supervised_minus_radar_peak_{scene}_footprint", sup["footprint_m"] - peak["footprint_m"], 0.0,
                True)
    return t


SPLIT_TITLES = {"validation": "validation split", "test": "test split (own seed; scored only here)"}


def write_report(cfg, run: Path, roots: dict[str, Path], splits: dict[str, dict], results: dict) -> Path:
    """RUN/report.md and RUN/figures/*.png (error CDFs on the final split, fig. 5 histograms; attention maps come
    from the self-label stage)."""
    from maxray_gen.learn.experiments.analyses import selflabel_histograms
    from maxray_gen.viz.learn_plots import error_cdf_png, selflabel_histograms_png

    fig = run / "figures"
    fig.mkdir(parents=True, exist_ok=True)
    final = results["final_split"]
    test_note = (f"The test split is another draw of each lot from its own seed ({results.get('test_seed')}): "
                 "nothing was chosen on it (presets, windows, epochs were set on validation); the tables give both "
                 "splits, the targets and figures the test split." if final == "test" else
                 "This preset has no test split: every number is on the validation split that its settings were "
                 "chosen on, so read them as optimistic.")
    lines = [f"# Reproduction report: preset `{results['preset']}`, seed {results['seed']}", "",
             f"{cfg.description.strip()}", "", test_note, "",
             "Predictions against groundtruth (the designated target's range and heatmap azimuth). "
             + ("Self-labels: the peak of each method's attention map; " if cfg.selflabel_refine == "none" else
                "Self-labels: the brightest bin of the map (over the median map) within the receptive field of each "
                "method's attention maximum (the maxima themselves are scored in their own rows); ") +
             "localisers: the table-2 network trained on "
             "groundtruth or on a method's self-labels of the train split; random: positions uniform over the area "
             "of the radar's mapped field of view; mean position: the train targets' mean; brightest echo: each map's "
             "brightest bin after dividing by the train split's median map (the static lot out), a detector that "
             "learns nothing, so a self-label that does not beat it has not learnt which echo is the target's; "
             "camera box: the target's image box (what SCL is given) projected onto the ground with the camera "
             "calibration, label-free. Range errors in heatmap range bins, azimuth errors in heatmap azimuth bins. "
             "The bound row is not a method: it knows the target's centre (groundtruth) and takes the map's "
             f"brightest bin within {ECHO_RADIUS_M:g} m of it, i.e. the error of a label that sits exactly on the "
             "target's strongest echo (a car's near face, not its centre). Bias columns: median signed error, "
             "prediction minus groundtruth (negative range bias: short of the target). Rows that use groundtruth: "
             "the localiser on groundtruth (its training labels) and the bound.", ""]
    lines += _targets_md(results)
    for scene in roots:
        res = results[final]["scene_sets"][scene]
        preds = splits[final][scene]["pred"]
        shown = {name.replace("selflabels/", "self-labels ").replace("localiser/", "localiser "): pg
                 for name, pg in preds.items()
                 if not name.startswith(("selflabels/ablation-", "attention/")) and "@" not in name}
        error_cdf_png({k: np.hypot(*(p - gt).T) for k, (p, gt) in shown.items()}, fig / f"cdf-{scene}.png")
        view = {k: radar_view(p, gt, splits[final][scene]["geometry"]) for k, (p, gt) in shown.items()}
        error_cdf_png({k: m["footprint_m"] for k, m in view.items()}, fig / f"cdf-footprint-{scene}.png",
                      "distance to the target's footprint (m; 0 on the car)")
        error_cdf_png({k: m["centroid_m"] for k, m in view.items()}, fig / f"cdf-centroid-{scene}.png",
                      "distance to the target's echo centroid (m)")
        counts = ", ".join(f"{results[sp]['scene_sets'][scene]['samples']} {sp}" for sp in results["splits"])
        lines += [f"## Scene set `{scene}` ({counts} samples with a target; resolution cell "
                  f"{res['resolution']['range_m']:.3f} m x {res['resolution']['azimuth_deg']:.2f} deg)", ""]
        if len(results["splits"]) > 1:
            lines += _side_by_side(results, scene)
        for sp in [final] + [x for x in results["splits"] if x != final]:
            lines += [f"### {SPLIT_TITLES[sp].capitalize()}", "",
                      "Distances to the target's centre, then what the radar sees of it: the distance to its footprint "
                      "(0 on the car), to the centroid of its own echo, and the right-car rate (within 0.5 m of its "
                      "footprint and nearer it than any other car's).", "",
                      "| predictor | median (m) | mean (m) | p90 (m) | within 1 m | range median (m / bins) | "
                      "azimuth median (deg / bins) | within one cell | range bias (m) | azimuth bias (deg) | "
                      "footprint median / p90 (m) | echo centroid median (m) | right car |",
                      "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
            lines += [_row(n, m) for n, m in _rows(results[sp]["scene_sets"][scene])] + [""]
        lines += [f"Error CDFs on the {SPLIT_TITLES[final]}:", "", f"![error CDFs](figures/cdf-{scene}.png)", "",
                  f"![distance to the footprint](figures/cdf-footprint-{scene}.png)",
                  f"![distance to the echo centroid](figures/cdf-centroid-{scene}.png)", ""]
        for tag in cfg.methods:
            h5 = run / "selflabels" / scene / f"{tag}.h5"
            hists, edges = selflabel_histograms(roots[scene], h5)
            selflabel_histograms_png(hists, edges, fig / f"fig5-{scene}-{tag}.png")
            lines += [f"**{tag.upper()}**: self-label vs groundtruth histograms (fig. 5) and attention maps of "
                      "validation samples (image with the target box; heatmap; attention; o groundtruth, "
                      "x self-label" + (", + the attention maximum it was refined from"
                                        if cfg.selflabel_refine == "echo" else "") + ")", "",
                      f"![fig5 {tag}](figures/fig5-{scene}-{tag}.png)", "",
                      f"![attention {tag}](figures/attention-{scene}-{tag}.png)", ""]
        if res["ablations"]:
            lines += [f"### Ablations (SCL variants on this scene set, {SPLIT_TITLES[final]})", "",
                      "| variant | settings changed from SCL | median (m) | footprint (m) | echo centroid (m) | "
                      "right car |", "|---|---|---|---|---|---|"]
            variants = ([("SCL as run", "-", res["selflabels"]["scl"])] if "scl" in res["selflabels"] else [])
            variants += [(a, f"`{json.dumps(cfg.ablations[a])}`", m) for a, m in res["ablations"].items()]
            for a, changed, m in variants:
                lines.append(f"| {a} | {changed} | {m['median_cartesian_m']:.2f} | {m['footprint_m']:.2f} | "
                             f"{m['centroid_m']:.2f} | {100 * m['right_car']:.0f} % |")
            lines.append("")
    head = results[final]["scene_sets"][results["headline_scene_set"]]
    if "learning_curve" in head:
        lines += _learning_curve_md(results, fig)
    lines += ["## Run", "", f"- configuration hash `{results['config_hash']}`; dataset hashes: "
              + ", ".join(f"{k} `{v}`" for k, v in results["dataset_hashes"].items()),
              "- stage times (min): " + ", ".join(f"{k} {v / 60:.1f}" for k, v in results["stage_seconds"].items()),
              f"- total of the stage times: {sum(results['stage_seconds'].values()) / 60:.1f} min", ""]
    path = run / "report.md"
    path.write_text("\n".join(lines))
    return path


def _learning_curve_md(results: dict, fig: Path) -> list[str]:
    """The run's learning curve (figure, table, extrapolation to the targets) on its final split."""
    from maxray_gen.learn.experiments.learning_curve import (combine, curve, curve_markdown, curve_targets,
                                                              extrapolations, learning_curve_png)

    c = combine([curve(results)])
    learning_curve_png(c, fig / "learning-curve.png")
    return ([f"## Learning curve (scene set `{results['headline_scene_set']}`, {SPLIT_TITLES[c['split']]})", "",
             "Nested training sets (each part of the next); the last point is the full-size models above.", "",
             "![learning curve](figures/learning-curve.png)", ""]
            + curve_markdown(c, extrapolations(c, curve_targets())) + [""])


def _rows(res: dict) -> list[tuple[str, dict]]:
    """(row name, metrics) of every predictor of one scene set, methods first, then the baselines and the bound."""
    rows = [(f"self-labels {k}", v) for k, v in res["selflabels"].items()]
    rows += [(f"attention maximum {k} (self-label before the echo refinement)", v)
             for k, v in res["attention_peak"].items()]
    rows += [(f"localiser on {k}" + (" (trained on groundtruth)" if k == "groundtruth" else ""), v)
             for k, v in res["localiser"].items()]
    rows += [("random in the field of view", res["random"]), ("mean train position", res["mean_position"]),
             ("brightest echo over the median map (no learning)", res["radar_peak"]),
             ("nearest echo within 10 dB of the brightest (no learning: the camera's best-seen car is mostly the "
              "nearest)", res["radar_nearest"]),
             ("target's image box projected onto the ground (label-free: box + camera calibration)",
              res["camera_box"]),
             (f"that projection moved onto the brightest echo within {HYBRID_RADIUS_M:g} m (label-free hybrid)",
              res["camera_box_echo"]),
             (f"bound: target's brightest return within {ECHO_RADIUS_M:g} m (uses groundtruth)", res["echo_peak"])]
    return rows


def _side_by_side(results: dict, scene: str) -> list[str]:
    """A compact table of every predictor on the validation and the test split of one scene set."""
    val, test = (dict(_rows(results[sp]["scene_sets"][scene])) for sp in ("validation", "test"))
    cols = ("median_cartesian_m", "footprint_m", "centroid_m", "right_car")

    def cells(m: dict) -> str:
        return " | ".join(f"{100 * m[c]:.0f} %" if c == "right_car" else f"{m[c]:.2f}" for c in cols)

    lines = ["| predictor | validation: centre (m) | footprint (m) | echo centroid (m) | right car | "
             "**test**: centre (m) | footprint (m) | echo centroid (m) | right car |", "|---|" + "---|" * 8]
    lines += [f"| {name} | {cells(val[name])} | {cells(test[name])} |" for name in test if name in val]
    return lines + [""]


def _row(name: str, m: dict) -> str:
    nan = float("nan")  # results of runs before the radar-view metrics
    return (f"| {name} | {m['median_cartesian_m']:.2f} | {m['mean_cartesian_m']:.2f} | {m['p90_cartesian_m']:.2f} | "
            f"{100 * m['within_1m']:.0f} % | {m['median_range_m']:.2f} / {m['median_range_bins']:.1f} | "
            f"{m['median_azimuth_deg']:.1f} / {m['median_azimuth_cells']:.1f} | {100 * m['within_cell']:.0f} % | "
            f"{m['range_bias_m']:+.2f} | {m['azimuth_bias_deg']:+.1f} | {m.get('footprint_m', nan):.2f} / "
            f"{m.get('p90_footprint_m', nan):.2f} | {m.get('centroid_m', nan):.2f} | "
            f"{100 * m.get('right_car', nan):.0f} % |")


TARGET_NAMES = {
    "scl_right_car": "SCL self-labels on the right car (share)",
    "scl_right_car_over_radar_peak": "SCL right-car rate minus the no-learning radar peak's",
    "scl_footprint_m": "SCL median distance to the target's footprint (m)",
    "scl_centroid_m": "SCL median distance to the target's echo centroid (m)",
    "scl_better_than_mcl": "MCL minus SCL median footprint distance (m)",
    "localiser_scl_over_groundtruth_centroid": "localiser on SCL labels / on groundtruth, echo-centroid distance",
    "localiser_right_car_gap": "right-car rate of the localiser on groundtruth minus on SCL labels",
}


def _target_name(key: str) -> str:
    if key in TARGET_NAMES:
        return TARGET_NAMES[key]
    scene = key.split("_radar_peak_")[1].rsplit("_", 1)[0]
    if key.endswith("_centre"):
        return f"`{scene}` (single car): supervised localiser / radar peak, distance to the centre"
    return f"`{scene}` (single car): supervised localiser minus radar peak, footprint distance (m)"


def _targets_md(results: dict) -> list[str]:
    lines = [f"## Targets (scene set `{results['headline_scene_set']}`, {SPLIT_TITLES[results['final_split']]})",
             "", "| criterion | measured | target | met | missed by |", "|---|---|---|---|---|"]
    for k, v in results["targets"].items():
        missed = "-" if v["met"] else f"{v['gap']:.2f}"
        lines.append(f"| {_target_name(k)} | {v['value']:.2f} | {'<=' if v['at_most'] else '>='} {v['target']:g} | "
                     f"{'yes' if v['met'] else '**no**'} | {missed} |")
    return lines + [""]
