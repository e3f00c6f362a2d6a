"""Pictures of visual samples: RGB with boxes, depth, instance ids, lidar bird's-eye view."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from maxray_gen.snapshot import ROLES  # noqa: E402
from maxray_gen.viz.radar_plots import _save  # noqa: E402


# One colour per lidar class in every picture (tab10 entries by role; weather returns light blue).
ROLE_COLOURS = dict(zip(ROLES, ("tab:orange", "tab:grey", "tab:brown", "tab:olive", "tab:purple", "tab:red",
                                "tab:green", "tab:pink", "tab:blue", "gold"), strict=True))
WEATHER_COLOUR = "tab:cyan"


def scatter_lidar(ax, xyz: np.ndarray, types: np.ndarray, size: float = 1.5) -> None:
    """Bird's-eye lidar points coloured by object class, the same colour for a class in every picture."""
    for code in np.unique(types):
        m = types == code
        label = ROLES[code] if code >= 0 else "weather"
        ax.scatter(xyz[m, 0], xyz[m, 1], s=size, label=label, color=ROLE_COLOURS.get(label, WEATHER_COLOUR))
    ax.legend(markerscale=6, fontsize=7, loc="upper right")


def draw_boxes(ax, boxes, amodal: bool = True, visibility: dict | None = None, min_visibility: float = 0.0) -> None:
    """Visible boxes (green; red dotted with "dark" when the camera does not see the car: photometric visibility
    below ``min_visibility``), amodal boxes of partly hidden cars (orange dashed)."""
    visibility = visibility or {}
    for b in boxes:
        if b.visible is not None:
            x0, y0, x1, y1 = b.visible
            v = visibility.get(b.instance_id, float("nan"))
            dark = v < min_visibility
            colour = "red" if dark else "lime"
            ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec=colour, lw=1.2, ls=":" if dark else "-"))
            note = "" if np.isnan(v) else f" c{v:.2f}" + (" dark" if dark else "")
            ax.text(x0, y0 - 2, f"{b.instance_id} {b.visible_fraction:.0%}{note}", color=colour, fontsize=6)
        if amodal and b.amodal is not None and b.visible_fraction < 0.98:
            x0, y0, x1, y1 = b.amodal
            ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec="orange", lw=0.8, ls="--"))


def plot_boxes_picture(sample, path: str | Path, min_visibility: float, title: str = "") -> Path:
    """The RGB image alone with its visible boxes marked by photometric visibility."""
    h, w = sample.rgb.shape[:2]
    fig, ax = plt.subplots(figsize=(w / 80, h / 80 + 0.4))
    ax.imshow(sample.rgb)
    draw_boxes(ax, sample.boxes, amodal=False, visibility=sample.visibility, min_visibility=min_visibility)
    ax.set_title(title, fontsize=8)
    ax.axis("off")
    return _save(fig, path)


def plot_visual_sample(sample, path: str | Path, title: str = "", min_visibility: float = 0.15) -> Path:
    fig, axes = plt.subplots(2, 2, figsize=(12, 9))
    ax = axes[0, 0]
    if sample.rgb is not None:
        ax.imshow(sample.rgb)
    else:
        ax.imshow(np.zeros((*sample.passes.depth.shape, 3)))
    draw_boxes(ax, sample.boxes, visibility=getattr(sample, "visibility", None), min_visibility=min_visibility)
    ax.set_title("RGB: visible boxes (green; red dotted: too dark to see) and amodal (orange)")
    ax.axis("off")
    d = sample.passes.depth
    ax = axes[0, 1]
    im = ax.imshow(np.where(np.isfinite(d), d, np.nan), cmap="magma_r")
    fig.colorbar(im, ax=ax, label="depth [m]")
    ax.set_title("depth along the optical axis")
    ax.axis("off")
    ax = axes[1, 0]
    inst = sample.passes.instance
    ax.imshow(np.where(inst > 0, inst % 20, np.nan), cmap="tab20", interpolation="nearest")
    ax.set_title("instance ids")
    ax.axis("off")
    ax = axes[1, 1]
    if sample.lidar is not None and len(sample.lidar.points):
        scatter_lidar(ax, sample.lidar.points, sample.lidar.object_type)
    bs = sample.snapshot.basestation.position
    ax.plot(bs[0], bs[1], "k^", ms=8)
    ax.set_aspect("equal")
    ax.set_xlabel("x east [m]")
    ax.set_ylabel("y north [m]")
    ax.set_title("lidar, bird's-eye view, by object type")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def visual_sample_title(sample, blend: Path | None = None) -> str:
    """What the picture shows: cars counted from the exported scene (authored and slot-filled alike)."""
    sp = sample.spec
    n_cars = len({t.instance_id for t in sample.truth if t.role == "car"})
    if sp is None:
        return f"{len(sample.truth)} tagged objects, {n_cars} cars"
    where = f"{blend.name}, seed {sp.seed}" if blend is not None else f"seed {sp.seed}"
    placed = f" ({len(sp.cars)} placed in slots/lanes)" if blend is not None and sp.cars else ""
    return (f"{where}: {n_cars} cars{placed}, {sp.lighting.kind}, {sp.weather.kind}"
            f"{f' ({sp.weather.intensity:.2f})' if sp.weather.kind != 'clear' else ''}")
