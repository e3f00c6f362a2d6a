"""Dataset pictures: one sample as the paper's fig. 6 (RGB + boxes, depth, lidar, radar heatmap with groundtruth)
and the dataset's car dimension statistics (fig. 6e)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from maxray_gen.viz.radar_plots import _save  # noqa: E402
from maxray_gen.viz.scene_plots import scatter_lidar  # noqa: E402
from maxray_gen.dataset.schema import object_counts  # noqa: E402


def plot_sample(s: dict, axes: dict, path: str | Path, title: str = "", min_visibility: float = 0.15) -> Path:
    fig, ax = plt.subplots(1, 4, figsize=(22, 4.8), gridspec_kw={"width_ratios": [1.33, 1.33, 1, 1]})
    objs, target = s["objects"], s["target"]
    ax[0].imshow(s["rgb"])
    for k, o in enumerate(objs):
        if np.all(np.isfinite(o["visible_box"])):
            x0, y0, x1, y1 = o["visible_box"]
            dark = float(o["camera_visibility"]) < min_visibility
            colour = "red" if k == target else ("grey" if dark else "lime")
            ax[0].add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec=colour, lw=1.5 if k == target else 1,
                                      ls=":" if dark else "-"))
    ax[0].set_title("camera, visible boxes (target red; too dark to see: grey dotted)")
    d = s["depth"]
    im = ax[1].imshow(np.where(np.isfinite(d), d, np.nan), cmap="magma_r")
    fig.colorbar(im, ax=ax[1], fraction=0.035, label="depth [m]")
    ax[1].set_title("depth")
    for a in ax[:2]:
        a.axis("off")
    lid = s["lidar"]
    scatter_lidar(ax[2], lid["xyz"], lid["object_type"], size=1.0)
    ax[2].set_aspect("equal")
    ax[2].set_title("lidar by object type (x east, y north)")
    ra = s["range_azimuth"]
    db = 10 * np.log10(np.maximum(ra, 1e-30))
    az = np.degrees(axes["azimuth_rad"])
    ax[3].pcolormesh(az, axes["range_m"], db, shading="nearest", cmap="viridis", vmin=db.max() - 45, vmax=db.max())
    inview = objs[objs["in_radar_view"]]
    draw_radar_truth(ax[3], inview)
    ax[3].scatter(np.degrees(inview["heatmap_azimuth_rad"]), inview["range_m"], s=60, facecolors="none",
                  edgecolors="white", label="car centres")
    if target >= 0:
        t = objs[target]
        ax[3].scatter([np.degrees(t["heatmap_azimuth_rad"])], [t["range_m"]], s=140, facecolors="none",
                      edgecolors="red", lw=2, label="target")
    ax[3].legend(fontsize=7, loc="upper right")
    ax[3].set_xlabel("azimuth [deg] (positive = right)")
    ax[3].set_ylabel("range [m]")
    ax[3].set_title("radar range-azimuth [dB]")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def draw_radar_truth(ax, objects: np.ndarray) -> None:
    """Footprints (thin white outlines) and echo centroids (yellow x) of the objects on a range-azimuth axis
    (azimuth in degrees, range in metres); nothing for shards before schema 4 (NaN)."""
    t = np.linspace(0.0, 1.0, 12)[:, None]
    labelled = False
    for o in objects:
        fp = o["footprint_xy"].astype(np.float64)
        if not np.all(np.isfinite(fp)):
            continue
        edges = np.concatenate([fp[k] + t * (fp[(k + 1) % 4] - fp[k]) for k in range(4)])  # straight in x, y
        ax.plot(np.degrees(np.arctan2(edges[:, 0], edges[:, 1])), np.hypot(edges[:, 0], edges[:, 1]), color="white",
                lw=0.6, alpha=0.8, label=None if labelled else "footprints")
        labelled = True
    c = objects["echo_centroid"].astype(np.float64)
    ok = np.all(np.isfinite(c), axis=1)
    if ok.any():
        ax.scatter(np.degrees(c[ok, 1]), c[ok, 0], marker="x", s=30, color="yellow", lw=1.2, label="echo centroids")


def plot_car_dimensions(objects: np.ndarray, path: str | Path) -> Path:
    fig, ax = plt.subplots(1, 3, figsize=(13, 3.6))
    for a, k, name in zip(ax, range(3), ("length", "width", "height")):
        a.hist(objects["dimensions"][:, k], bins=25, color="tab:blue", alpha=0.8)
        a.set_xlabel(f"{name} [m]")
    ax[0].set_ylabel("cars")
    fig.suptitle(f"car dimensions over the dataset ({len(objects)} cars)")
    fig.tight_layout()
    return _save(fig, path)


def write_previews(root: str | Path, count: int) -> list[Path]:
    """Preview pictures of the first ``count`` samples of the dataset at ``root`` (``ROOT/previews/``) and the
    car-dimension plot, in one pass over the shards."""
    from maxray_gen.dataset.inspect import shard_paths
    from maxray_gen.dataset.reader import ShardReader

    root = Path(root)
    written, objs, i = [], [], 0
    (root / "previews").mkdir(exist_ok=True)
    for path in shard_paths(root):
        reader = ShardReader(path)
        for k in range(len(reader)):
            if i < count:
                s = reader.sample(k)
                p = s["params"]
                title = (f"sample {i}: {object_counts(s['objects']['class_id'])}, {p.get('lighting', {}).get('kind')}, "
                         f"{p.get('weather', {}).get('kind')}, {p.get('n_paths', 0):,} radar paths")
                written.append(plot_sample(s, reader.axes, root / "previews" / f"sample-{i:05d}.png", title))
            objs.append(reader.sample(k, ("objects",))["objects"])
            i += 1
        reader.close()
    if objs and sum(len(o) for o in objs):
        every = np.concatenate(objs)
        written.append(plot_car_dimensions(every[every["class_id"] == 0], root / "previews" / "car_dimensions.png"))
    return written
