"""Micro-Doppler pictures: a sequence's per-object spectrograms (Doppler vs time at each object's range) read back
from the shards' ``object_doppler`` rows, and a spectrogram from :mod:`maxray_gen.pipeline.micro_doppler`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from maxray_gen.dataset.inspect import shard_paths  # noqa: E402
from maxray_gen.dataset.reader import ShardReader  # noqa: E402
from maxray_gen.dataset.schema import CLASSES  # noqa: E402
from maxray_gen.errors import DataError  # noqa: E402
from maxray_gen.viz.radar_plots import _save  # noqa: E402


@dataclass
class Track:
    """One object over a sequence: ``power`` (T, D) Doppler profiles at ``times_s`` (T,), its class and its
    groundtruth radial velocity (T,)."""

    track_id: int
    class_id: int
    times_s: np.ndarray
    power: np.ndarray
    radial_velocity_mps: np.ndarray


def sequence_tracks(root: str | Path, sequence: int) -> tuple[list[Track], np.ndarray]:
    """Every object of ``sequence`` in the dataset at ``root`` with its spectrogram; and the velocity axis."""
    rows: dict[int, list] = {}
    axis = None
    for p in shard_paths(root):
        r = ShardReader(p)
        where = np.flatnonzero(r.sequences["sequence"] == sequence)
        if not len(where):
            continue
        if not r.has_object_doppler:
            raise DataError(f"{p}: no per-object Doppler profiles (schema {r.schema_version}; they need the "
                            "range_doppler product in generate.radar_products and schema 5)")
        axis = r.axes["velocity_mps"]
        for i in where:
            s = r.sample(int(i), ("objects", "object_doppler", "time_s"))
            for o, prof in zip(s["objects"], s["object_doppler"]):
                rows.setdefault(int(o["track_id"]), []).append((s["time_s"], int(o["class_id"]), prof,
                                                               float(o["radial_velocity_mps"])))
    if axis is None:
        raise DataError(f"{root}: no sequence {sequence}")
    tracks = []
    for tid, items in rows.items():
        items.sort(key=lambda x: x[0])
        tracks.append(Track(tid, items[0][1], np.array([x[0] for x in items]), np.array([x[2] for x in items]),
                            np.array([x[3] for x in items])))
    return tracks, axis


def interesting(tracks: list[Track], limit: int = 6) -> list[Track]:
    """People, cyclists and drones first, then moving cars, then the rest; at most ``limit``."""
    def rank(t: Track):
        moving = float(np.nanmax(np.abs(t.radial_velocity_mps))) > 0.3
        return (t.class_id == 0, not moving, t.track_id)

    ok = [t for t in tracks if np.isfinite(t.power).any()]
    return sorted(ok, key=rank)[:limit]


def plot_spectrograms(tracks: list[Track], velocity_mps: np.ndarray, path: str | Path, title: str = "",
                      span_db: float = 30.0) -> Path:
    """One panel per track: Doppler power vs time in dB, each panel scaled to its own strongest moving bin (the
    static clutter of the ground and parked cars at zero velocity saturates), groundtruth radial velocity of the
    object's bulk dashed."""
    if not tracks:
        raise DataError("no object of the sequence is inside the radar's range window")
    n = len(tracks)
    fig, axes = plt.subplots(1, n, figsize=(3.4 * n, 3.6), squeeze=False)
    for a, t in zip(axes[0], tracks):
        p = np.maximum(np.nan_to_num(t.power, nan=0.0), 1e-300)
        db = 10 * np.log10(p)
        moving = np.abs(velocity_mps) > np.abs(np.diff(velocity_mps)).mean() * 1.01  # not the static clutter bin
        top = db[:, moving].max() if moving.any() else db.max()
        db = np.clip(db, top - span_db, top)
        dt = np.median(np.diff(t.times_s)) if len(t.times_s) > 1 else 1.0
        extent = (t.times_s[0] - dt / 2, t.times_s[-1] + dt / 2, velocity_mps[0], velocity_mps[-1])
        a.imshow(db.T, origin="lower", aspect="auto", extent=extent, cmap="viridis")
        a.plot(t.times_s, t.radial_velocity_mps, "w--", lw=0.8)
        a.set(xlabel="time (s)", ylabel="radial velocity (m/s)", title=f"{CLASSES[t.class_id]} track {t.track_id}")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def sequence_spectrogram_png(root: str | Path, sequence: int, out: str | Path) -> tuple[Path, int]:
    """The micro-Doppler figure of ``sequence``: (path, number of panels)."""
    tracks, axis = sequence_tracks(root, sequence)
    chosen = interesting(tracks)
    return plot_spectrograms(chosen, axis, out, f"{Path(root).name}: sequence {sequence}, Doppler at each "
                                                f"object's range (dB, 30 dB below its strongest moving echo)"), len(chosen)
