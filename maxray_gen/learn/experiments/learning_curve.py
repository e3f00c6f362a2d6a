"""Learning curves of ``maxray reproduce`` runs: every metric against the training-set size, a power-law fit per
predictor and the size at which it would reach a target (an extrapolation, labelled as one)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: the curves drawn and fitted: results key -> label
PREDICTORS = {"selflabels/scl": "SCL self-labels", "localiser/scl": "localiser on SCL labels",
              "localiser/groundtruth": "localiser on groundtruth (uses groundtruth)"}
#: metric -> (axis label, higher is better)
METRICS = {"median_cartesian_m": ("median distance to the centre (m)", False),
           "footprint_m": ("median distance to the footprint (m)", False),
           "centroid_m": ("median distance to the echo centroid (m)", False),
           "right_car": ("right-car rate", True)}
#: flat baselines drawn beside the curves (they do not learn from the training set)
BASELINES = {"radar_peak": "radar peak (no learning)", "radar_nearest": "nearest strong echo (no learning)",
             "camera_box": "camera box on the ground (label-free)",
             "camera_box_echo": "camera box + echo (label-free)", "echo_peak": "echo-peak bound (uses groundtruth)"}


def curve(results: dict, split: str | None = None) -> dict:
    """One run's curve on ``split`` (default: its final split) of the headline scene set: {"sizes": [...],
    predictor: {metric: [...]}, "baselines": {name: {metric: value}}}; the full-size models are the last point."""
    split = split or results["final_split"]
    res = results[split]["scene_sets"][results["headline_scene_set"]]
    points = {int(n): v for n, v in res.get("learning_curve", {}).items()}
    full = {"selflabels/scl": res["selflabels"].get("scl"), "localiser/scl": res["localiser"].get("scl"),
            "localiser/groundtruth": res["localiser"].get("groundtruth")}
    points[int(res["train_samples"])] = {k: v for k, v in full.items() if v is not None}
    sizes = sorted(points)
    out: dict = {"sizes": sizes, "split": split,
                 "baselines": {b: {m: res[b][m] for m in METRICS} for b in BASELINES if b in res}}
    for pred in PREDICTORS:
        out[pred] = {m: [points[n].get(pred, {}).get(m, np.nan) for n in sizes] for m in METRICS}
    return out


def fit_power_law(sizes, values, higher_is_better: bool = False) -> tuple[float, float]:
    """(a, b) of error = a * N^b by least squares in log-log (the error of a rate is 1 - rate); NaN with fewer
    than two finite positive points."""
    n = np.asarray(sizes, dtype=np.float64)
    e = 1.0 - np.asarray(values, dtype=np.float64) if higher_is_better else np.asarray(values, dtype=np.float64)
    ok = np.isfinite(e) & (e > 0) & (n > 0)
    if ok.sum() < 2:
        return float("nan"), float("nan")
    b, log_a = np.polyfit(np.log(n[ok]), np.log(e[ok]), 1)
    return float(np.exp(log_a)), float(b)


def size_for(a: float, b: float, target: float, higher_is_better: bool = False) -> float:
    """The training-set size at which the fitted power law reaches ``target`` (inf when the fit does not improve
    with data, NaN without a fit)."""
    e = 1.0 - target if higher_is_better else target
    if not np.isfinite(a) or not np.isfinite(b):
        return float("nan")
    if b >= 0 or e <= 0:
        return float("inf")
    return float((e / a) ** (1.0 / b))


def combine(curves: list[dict]) -> dict:
    """Several runs' curves (seeds) on common sizes: each predictor's metrics as (runs, sizes) arrays."""
    sizes = sorted(set.intersection(*(set(c["sizes"]) for c in curves)))
    out: dict = {"sizes": sizes, "runs": len(curves), "split": curves[0]["split"], "baselines": {}}
    for pred in PREDICTORS:
        out[pred] = {m: np.array([[c[pred][m][c["sizes"].index(n)] for n in sizes] for c in curves])
                     for m in METRICS}
    for b in curves[0]["baselines"]:
        out["baselines"][b] = {m: float(np.mean([c["baselines"][b][m] for c in curves])) for m in METRICS}
    return out


def extrapolations(combined: dict, targets: dict[tuple[str, str], float]) -> list[dict]:
    """For each (predictor, metric) -> target: the fit to the seeds' mean and the size that would reach it."""
    rows = []
    for (pred, metric), target in targets.items():
        higher = METRICS[metric][1]
        mean = np.nanmean(combined[pred][metric], axis=0)
        a, b = fit_power_law(combined["sizes"], mean, higher)
        rows.append({"predictor": pred, "metric": metric, "target": target, "a": a, "b": b,
                     "at_largest": float(mean[-1]), "size_needed": size_for(a, b, target, higher)})
    return rows


def curve_markdown(combined: dict, extra: list[dict]) -> list[str]:
    """The curve as a markdown table (seed means, and each seed) and the extrapolations."""
    lines = ["| predictor | metric | " + " | ".join(f"N = {n}" for n in combined["sizes"]) + " |",
             "|---|---|" + "---|" * len(combined["sizes"])]
    for pred, label in PREDICTORS.items():
        for metric, (mlabel, higher) in METRICS.items():
            v = combined[pred][metric]
            fmt = (lambda x: f"{100 * x:.0f} %") if metric == "right_car" else (lambda x: f"{x:.2f}")
            cells = [" / ".join(fmt(x) for x in v[:, j]) for j in range(v.shape[1])]
            lines.append(f"| {label} | {mlabel} | " + " | ".join(cells) + " |")
    lines += ["", "Power-law fits error = a N^b to the seeds' mean (for a rate, error = 1 - rate), extrapolated: an "
              "estimate of the trend, not a measurement.", "",
              "| predictor | metric | at the largest N | target | slope b | N that would reach the target |",
              "|---|---|---|---|---|---|"]
    for r in extra:
        need = r["size_needed"]
        need_s = "not reached (no improvement with N)" if need == float("inf") else (
            "no fit" if need != need else f"{need:,.0f}")
        lines.append(f"| {PREDICTORS[r['predictor']]} | {METRICS[r['metric']][0]} | {r['at_largest']:.2f} | "
                     f"{r['target']:g} | {r['b']:+.2f} | {need_s} |")
    return lines


def learning_curve_png(combined: dict, path: Path) -> Path:
    """Every metric against the training-set size (log axis): one line per predictor (seed mean, each seed as
    dots), the baselines as flat dashed lines."""
    from maxray_gen.viz.learn_plots import learning_curve_png as draw

    return draw(combined, PREDICTORS, METRICS, BASELINES, path)


def curve_targets() -> dict[tuple[str, str], float]:
    """The acceptance targets the curve is extrapolated to (issue 32's, on the headline scene set)."""
    from maxray_gen.learn.experiments.targets import TARGET_CENTROID_M, TARGET_FOOTPRINT_M, TARGET_RIGHT_CAR

    return {("selflabels/scl", "right_car"): TARGET_RIGHT_CAR, ("selflabels/scl", "footprint_m"): TARGET_FOOTPRINT_M,
            ("selflabels/scl", "centroid_m"): TARGET_CENTROID_M, ("localiser/scl", "right_car"): TARGET_RIGHT_CAR}


def write_curve(runs: list[Path], out: Path, split: str | None = None) -> dict:
    """The learning curve of several ``maxray reproduce`` runs (seeds of one preset) into ``out``:
    learning-curve.png, learning-curve.md (table, extrapolations) and learning-curve.json."""
    import json

    from maxray_gen.errors import DataError

    results = []
    for run in runs:
        path = Path(run) / "results.json"
        if not path.exists():
            raise DataError(f"{path}: not found (a finished `maxray reproduce` run has one)")
        r = json.loads(path.read_text())
        if not r.get((split or r.get("final_split", "validation")), {}).get("scene_sets", {}).get(
                r.get("headline_scene_set"), {}).get("learning_curve"):
            raise DataError(f"{path}: has no learning curve (a preset with a learning_curve section, e.g. scale)")
        results.append(r)
    combined = combine([curve(r, split) for r in results])
    extra = extrapolations(combined, curve_targets())
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    learning_curve_png(combined, out / "learning-curve.png")
    seeds = ", ".join(str(r.get("seed")) for r in results)
    lines = [f"# Learning curve: preset `{results[0].get('preset')}`, seeds {seeds}, {combined['split']} split", "",
             "Each cell: one value per seed. ![learning curve](learning-curve.png)", ""]
    (out / "learning-curve.md").write_text("\n".join(lines + curve_markdown(combined, extra)) + "\n")
    data = {"sizes": combined["sizes"], "split": combined["split"], "seeds": [r.get("seed") for r in results],
            "curves": {p: {m: combined[p][m].tolist() for m in METRICS} for p in PREDICTORS},
            "baselines": combined["baselines"], "extrapolations": extra}
    (out / "learning-curve.json").write_text(json.dumps(data, indent=2))
    return data
