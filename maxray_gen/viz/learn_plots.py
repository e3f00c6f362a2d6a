"""PNG figures of the learning stages: error CDFs, positions, self-label histograms, spectra, RF blur, training."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from maxray_gen.viz.radar_plots import _save  # noqa: E402


def error_cdf_png(curves: dict[str, np.ndarray], path: Path, xlabel: str = "Cartesian error (m)") -> Path:
    """Empirical CDFs of distances (NaN rows left out), one line per predictor."""
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for name, e in curves.items():
        e = np.sort(np.asarray(e, dtype=np.float64))
        e = e[np.isfinite(e)]
        if len(e):
            ax.plot(e, np.arange(1, len(e) + 1) / len(e), label=f"{name} (median {np.median(e):.2f} m)")
    ax.set(xlabel=xlabel, ylabel="fraction of samples", ylim=(0, 1))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def positions_png(gt_xy: np.ndarray, pred_xy: np.ndarray, path: Path) -> Path:
    """Bird's-eye view: groundtruth (o) and prediction (x) joined by a line, radar at the origin."""
    fig, ax = plt.subplots(figsize=(5.5, 5))
    for g, p in zip(gt_xy, pred_xy):
        ax.plot([g[0], p[0]], [g[1], p[1]], color="0.7", lw=0.6)
    ax.scatter(*gt_xy.T, s=12, marker="o", label="groundtruth")
    ax.scatter(*pred_xy.T, s=12, marker="x", label="prediction")
    ax.plot(0, 0, "k^", label="radar")
    ax.set(xlabel="x right (m)", ylabel="y forward (m)", aspect="equal")
    ax.legend(fontsize=8)
    return _save(fig, path)


def selflabel_histograms_png(hists: dict[str, dict[str, np.ndarray]], edges: dict[str, np.ndarray],
                             path: Path) -> Path:
    """Fig. 5 style: self-label vs groundtruth counts over range bins and azimuth bins, one row per split."""
    splits = list(hists)
    fig, axes = plt.subplots(len(splits), 2, figsize=(10, 3.2 * len(splits)), squeeze=False)
    for row, split in zip(axes, splits):
        for ax, key, unit in zip(row, ("range", "azimuth"), ("m", "deg")):
            e = edges[key]
            centres = 0.5 * (e[1:] + e[:-1])
            width = (e[1] - e[0]) * 0.42
            ax.bar(centres - width / 2, hists[split][f"gt_{key}"], width, label="groundtruth")
            ax.bar(centres + width / 2, hists[split][f"self_{key}"], width, label="self-labels")
            ax.set(title=f"{split}: {key}", xlabel=f"{key} ({unit})", ylabel="samples")
            ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def spectra_png(spectra: dict[str, dict[str, np.ndarray]], path: Path) -> Path:
    """Appendix B: sorted singular values (log scale) of channel and spatial covariances, one line per model."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key, title in zip(axes, ("channel", "spatial"), ("per channel (C x C)", "per spatial bin (hw x hw)")):
        for name, s in spectra.items():
            v = np.asarray(s[key])
            ax.semilogy(np.arange(1, len(v) + 1), np.maximum(v, 1e-12), label=name)
        ax.set(title=title, xlabel="singular value rank", ylabel="singular value")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def rf_blur_png(image: np.ndarray, blurred: dict[float, np.ndarray], path: Path) -> Path:
    """Appendix A: a grey image and its Gaussian RF-beamwidth blurs."""
    fig, axes = plt.subplots(1, 1 + len(blurred), figsize=(4 * (1 + len(blurred)), 3.4))
    axes[0].imshow(image, cmap="gray")
    axes[0].set_title("camera (grey)")
    for ax, (bw, img) in zip(axes[1:], blurred.items()):
        ax.imshow(img, cmap="gray")
        ax.set_title(f"beamwidth {bw:g} deg")
    for ax in axes:
        ax.axis("off")
    fig.tight_layout()
    return _save(fig, path)


def training_curve_png(epochs: np.ndarray, values: np.ndarray, ylabel: str, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    ax.plot(epochs, values, marker=".")
    ax.set(xlabel="epoch", ylabel=ylabel)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def attention_png(heatmaps: np.ndarray, attention: np.ndarray, images: np.ndarray, boxes: np.ndarray,
                  truth: np.ndarray, labels: np.ndarray, path: Path, maxima: np.ndarray | None = None) -> Path:
    """Per sample: image with the target box, heatmap, attention map; groundtruth (o), self-label (x) and, when
    given, the attention maximum the label was refined from (+)."""
    n = len(heatmaps)
    fig, axes = plt.subplots(3, n, figsize=(3.2 * n, 8), squeeze=False)
    for k in range(n):
        axes[0, k].imshow(images[k])
        x0, y0, x1, y1 = boxes[k]
        axes[0, k].add_patch(plt.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec="yellow"))
        for row, m in ((1, heatmaps[k]), (2, attention[k])):
            axes[row, k].imshow(m, origin="lower", aspect="auto")
            axes[row, k].plot(truth[k, 1], truth[k, 0], "wo", mfc="none")
            axes[row, k].plot(labels[k, 1], labels[k, 0], "rx")
            if maxima is not None:
                axes[row, k].plot(maxima[k, 1], maxima[k, 0], "c+")
        for row in axes[:, k]:
            row.set_xticks([])
            row.set_yticks([])
    axes[1, 0].set_ylabel("heatmap (range up)")
    axes[2, 0].set_ylabel("attention")
    fig.tight_layout()
    return _save(fig, path)


def learning_curve_png(combined: dict, predictors: dict[str, str], metrics: dict[str, tuple[str, bool]],
                       baselines: dict[str, str], path: Path) -> Path:
    """A panel per metric against training-set size (log x): each predictor's seed mean as a line and each seed
    as dots; baselines (which do not learn) as dashed horizontal lines."""
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 4), squeeze=False)
    n = np.asarray(combined["sizes"], dtype=np.float64)
    for ax, (metric, (label, _)) in zip(axes[0], metrics.items()):
        for k, (pred, plabel) in enumerate(predictors.items()):
            v = np.asarray(combined[pred][metric], dtype=np.float64)
            colour = f"C{k}"
            ax.plot(n, np.nanmean(v, axis=0), "-o", color=colour, label=plabel, ms=4)
            for row in v:
                ax.plot(n, row, ".", color=colour, alpha=0.5)
        for k, (b, blabel) in enumerate(baselines.items()):
            if b in combined["baselines"]:
                ax.axhline(combined["baselines"][b][metric], ls="--", lw=1, color=f"C{k + len(predictors)}",
                           label=blabel)
        ax.set(xscale="log", xlabel="training samples with a target", ylabel=label)
        ax.grid(alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.suptitle(f"learning curve ({combined['runs']} run(s); {combined['split']} split)", fontsize=10)
    fig.tight_layout(rect=(0, 0.12, 1, 0.95))
    return _save(fig, path)
