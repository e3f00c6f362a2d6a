"""Animated previews of sequences: camera image with boxes and track ids beside the radar maps, frame by frame."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _frame_figure(s: dict, axes: dict, title: str) -> np.ndarray:
    maps = [k for k in ("range_azimuth", "range_doppler") if k in s]
    fig, ax = plt.subplots(1, 1 + len(maps), figsize=(4.2 * (1 + len(maps)), 3.6))
    ax = np.atleast_1d(ax)
    ax[0].imshow(s["rgb"])
    objs = s["objects"]
    for o in objs:
        b = o["visible_box"]
        if np.all(np.isfinite(b)):
            ax[0].add_patch(plt.Rectangle((b[0], b[1]), b[2] - b[0], b[3] - b[1], fill=False, ec="yellow", lw=1))
            ax[0].text(b[0], b[1] - 1, str(int(o["track_id"])), color="yellow", fontsize=6)
    ax[0].set_title(title, fontsize=8)
    ax[0].axis("off")
    r = axes["range_m"]
    for a, key in zip(ax[1:], maps):
        db = 10 * np.log10(np.maximum(s[key], 1e-30))
        x = np.degrees(axes["azimuth_rad"]) if key == "range_azimuth" else axes["velocity_mps"]
        a.imshow(db, origin="lower", aspect="auto", extent=(x[0], x[-1], r[0], r[-1]), vmin=db.max() - 50,
                 vmax=db.max())
        for o in objs[objs["in_radar_view"]]:
            px = np.degrees(o["heatmap_azimuth_rad"]) if key == "range_azimuth" else o["radial_velocity_mps"]
            a.plot(px, o["range_m"], "wo", mfc="none", ms=6)
            a.text(px, o["range_m"] + 0.4, str(int(o["track_id"])), color="white", fontsize=6)
        a.set(xlabel="azimuth (deg)" if key == "range_azimuth" else "radial velocity (m/s)", ylabel="range (m)")
    fig.tight_layout()
    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    plt.close(fig)
    return img


def sequence_gif(root: Path, sequence: int, out: Path, fps: float | None = None) -> tuple[Path, int]:
    """Write an animated GIF of every frame of ``sequence`` in the dataset at ``root``; returns (path, frames)."""
    from PIL import Image

    from maxray_gen.dataset.inspect import shard_paths
    from maxray_gen.dataset.reader import ShardReader
    from maxray_gen.errors import DataError

    frames = []
    for p in shard_paths(root):
        r = ShardReader(p)
        where = np.flatnonzero(r.sequences["sequence"] == sequence)
        for i in where[np.argsort(r.sequences["frame"][where])]:
            frames.append((r.sample(int(i)), r.axes))
        if frames:
            break
    if not frames:
        raise DataError(f"{root}: no sequence {sequence}")
    times = [s["time_s"] for s, _ in frames]
    rate = fps or (1.0 / np.median(np.diff(times)) if len(times) > 1 and np.median(np.diff(times)) > 0 else 2.0)
    images = [Image.fromarray(_frame_figure(s, ax, f"sequence {sequence} frame {s['frame']}  t = {s['time_s']:.3f} s"))
              for s, ax in frames]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}.gif")
    images[0].save(tmp, save_all=True, append_images=images[1:], duration=int(round(1000 / rate)), loop=0)
    os.replace(tmp, out)
    return out, len(images)
