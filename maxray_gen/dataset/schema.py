"""The shard schema (version 3). See docs/dataset_format.md for the full description.

Version 2 adds per-sample ``sequence``, ``frame`` and ``time_s`` datasets and a per-object ``track_id``; version 3
a per-object ``camera_visibility`` (photometric contrast in the rendered image, see sensors/visibility.py).
Older shards still read, upgraded on the fly (version 1: every sample is its own one-frame sequence; versions 1-2:
camera_visibility NaN = unknown, which counts as seen).

One HDF5 file per shard. Per-sample arrays are stacked along axis 0 and chunked one sample per chunk, all with
Fletcher-32 checksums (depth, ids and lidar LZF-compressed). Ragged per-sample data (objects, lidar points) are
concatenated with an ``offsets`` array of length samples + 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SCHEMA_VERSION = 3
TRACK_STRIDE = 100_000  # track_id = sequence * TRACK_STRIDE + instance_id: unique in a dataset
SHARD_PATTERN = "shard-{:05d}.h5"

# Per-object groundtruth table (one row per car/target instance in a sample).
OBJECT_FIELDS = [
    ("instance_id", np.int32), ("class_id", np.int8), ("in_radar_view", np.bool_),
    ("centre", np.float32, 3), ("dimensions", np.float32, 3), ("yaw", np.float32), ("velocity", np.float32, 3),
    ("range_m", np.float32), ("azimuth_rad", np.float32), ("elevation_rad", np.float32),
    ("heatmap_azimuth_rad", np.float32), ("range_bin", np.float32), ("azimuth_bin", np.float32),
    ("radial_velocity_mps", np.float32), ("nearest_range_m", np.float32),
    ("visible_box", np.float32, 4), ("amodal_box", np.float32, 4), ("visible_fraction", np.float32),
    ("truncated", np.bool_),
]
OBJECT_FIELDS_V1 = list(OBJECT_FIELDS)
OBJECT_FIELDS.append(("track_id", np.int64))
OBJECT_FIELDS_V2 = list(OBJECT_FIELDS)
OBJECT_FIELDS.append(("camera_visibility", np.float32))


def _dtype(fields) -> np.dtype:
    return np.dtype([(f[0], f[1], f[2]) if len(f) == 3 else (f[0], f[1]) for f in fields])


OBJECT_DTYPE_V1, OBJECT_DTYPE_V2, OBJECT_DTYPE = _dtype(OBJECT_FIELDS_V1), _dtype(OBJECT_FIELDS_V2), _dtype(OBJECT_FIELDS)
CLASSES = ("car", "pedestrian", "cyclist")  # synthetic data has cars; CRUW imports all three
LIDAR_DTYPE = np.dtype([("xyz", np.float32, 3), ("instance_id", np.int32), ("object_type", np.int8),
                        ("ring", np.int16)])


@dataclass
class Sample:
    """Everything one sample stores (plain numpy; see the module docstring for shapes)."""

    rgb: np.ndarray  # (H, W, 3) uint8
    depth: np.ndarray  # (H, W) float32 metres (inf = sky)
    instance: np.ndarray  # (H, W) int32
    heatmaps: dict[str, np.ndarray]  # "range_azimuth" (R, A) [, "range_doppler" (R, D), "rad_cube" (R, A, D)]
    objects: np.ndarray  # (K,) OBJECT_DTYPE
    lidar: np.ndarray  # (P,) LIDAR_DTYPE
    target: int  # index into objects of the designated target, -1 when none
    params: dict  # fully resolved parameters (JSON-able)
    n_paths: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    sequence: int = 0  # layouts: frames of one sequence share it (independent samples: sequence = global index)
    frame: int = 0  # position in the sequence
    time_s: float = 0.0  # frame / frame rate


def track_ids(sequence: int | np.ndarray, instance_id: np.ndarray) -> np.ndarray:
    """Dataset-wide track ids of objects: constant over a sequence, different across sequences."""
    return np.asarray(sequence, dtype=np.int64) * TRACK_STRIDE + np.asarray(instance_id, dtype=np.int64)


def upgrade_objects_v1(objects: np.ndarray, sequence: np.ndarray) -> np.ndarray:
    """Version-1 object rows -> the current dtype (``sequence`` per row gives the track ids)."""
    out = upgrade_objects(objects)
    out["track_id"] = track_ids(sequence, objects["instance_id"])
    return out


def upgrade_objects(objects: np.ndarray) -> np.ndarray:
    """Object rows of an older schema -> the current dtype (fields it lacks: zero, camera_visibility NaN)."""
    if objects.dtype == OBJECT_DTYPE:
        return objects
    out = np.zeros(len(objects), OBJECT_DTYPE)
    for name in objects.dtype.names:
        if name in OBJECT_DTYPE.names:
            out[name] = objects[name]
    out["camera_visibility"] = np.nan
    return out
