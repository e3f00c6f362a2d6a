"""PNG figures of radar products with groundtruth marks."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from maxray_gen.radar.processing import RadarHeatmaps  # noqa: E402


def _save(fig, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)
    return path


def plot_heatmaps(hm: RadarHeatmaps, path: str | Path, truth: dict | None = None, dynamic_range_db: float = 50.0,
                  title: str = "") -> Path:
    """Range-azimuth (and range-Doppler when present) maps in dB, groundtruth marked with white circles.

    ``truth`` may hold arrays ``range_m``, ``azimuth_rad`` (heatmap azimuth) and ``velocity_mps``.
    """
    panels = [k for k in ("range_azimuth", "range_doppler") if getattr(hm, k) is not None]
    if not panels:
        raise ValueError("nothing to plot: no range_azimuth or range_doppler map")
    fig, axes = plt.subplots(1, len(panels), figsize=(6.2 * len(panels), 5.2), squeeze=False)
    for ax, key in zip(axes[0], panels):
        db = RadarHeatmaps.to_db(getattr(hm, key))
        top = float(db.max())
        if key == "range_azimuth":
            x, xlabel = np.degrees(hm.azimuth_rad), "azimuth [deg] (positive = right)"
        else:
            x, xlabel = hm.velocity_mps, "radial velocity [m/s] (positive = approaching)"
        im = ax.pcolormesh(x, hm.range_m, db, shading="nearest", cmap="viridis", vmin=top - dynamic_range_db, vmax=top)
        fig.colorbar(im, ax=ax, label="power [dB]")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("range [m]")
        ax.set_title(key.replace("_", "-"))
        if truth is not None:
            tx = np.degrees(truth["azimuth_rad"]) if key == "range_azimuth" else truth.get("velocity_mps")
            if tx is not None:
                ax.scatter(tx, truth["range_m"], s=160, facecolors="none", edgecolors="white", linewidths=1.5,
                           label="groundtruth")
                ax.legend(loc="upper right", fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def plot_rcs(sweeps, path, title: str = "", anchor_dbsm: float | None = None) -> None:
    """Monostatic RCS versus aspect: a polar plot and a line plot; the closed form dashed beside each sweep."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig = plt.figure(figsize=(11, 4.6))
    ax_p = fig.add_subplot(1, 2, 1, projection="polar")
    ax_l = fig.add_subplot(1, 2, 2)
    lo = min(float(np.nanmin(s.rcs_dbsm)) for s in sweeps)
    for s in sweeps:
        deg = np.degrees(s.aspect_rad)
        (line,) = ax_l.plot(deg, s.rcs_dbsm, label=f"{s.label} (SBR+PO)")
        ax_p.plot(s.aspect_rad, s.rcs_dbsm, color=line.get_color())
        if s.closed_form_m2 is not None and np.isfinite(s.closed_form_m2).any():
            cf = 10 * np.log10(np.where(np.isfinite(s.closed_form_m2), np.maximum(s.closed_form_m2, 1e-30), np.nan))
            style = "--" if np.isfinite(cf).sum() > 1 else "*"
            ax_l.plot(deg, cf, style, color=line.get_color(), label=f"{s.label} closed form", markersize=10)
    if anchor_dbsm is not None:
        ax_l.axhline(anchor_dbsm, color="k", lw=0.8, ls=":", label=f"3GPP TR 38.901 vehicle mean {anchor_dbsm} dBsm")
    ax_l.set_xlabel("aspect [deg]")
    ax_l.set_ylabel("RCS [dBsm]")
    ax_l.grid(alpha=0.3)
    ax_l.legend(fontsize=7)
    ax_p.set_rlim(max(lo, -40.0), None)
    ax_p.set_title("RCS [dBsm] vs aspect", fontsize=9)
    fig.suptitle(title or ", ".join(s.label for s in sweeps), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_path_heatmaps(paths, cfg, seed: int, noise: bool, png: Path, truth: dict | None, title: str):
    """Range-azimuth and range-Doppler maps of a path list (receiver noise from stream (seed, "radar_noise")) drawn
    with :func:`plot_heatmaps`; returns the maps."""
    from maxray_gen.radar.processing import heatmaps
    from maxray_gen.seeding import rng_for

    hm = heatmaps(paths, cfg, rng_for(seed, "radar_noise"), products=("range_azimuth", "range_doppler"), noise=noise)
    plot_heatmaps(hm, png, truth=truth, title=title)
    return hm
