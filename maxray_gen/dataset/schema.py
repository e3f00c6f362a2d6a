"""The shard schema (version 1). See docs/dataset_format.md for the full description.

One HDF5 file per shard. Per-sample arrays are stacked along axis 0 and chunked one sample per chunk, all with
Fletcher-32 checksums (depth, ids and lidar LZF-compressed). Ragged per-sample data (objects, lidar points) are
concatenated with an ``offsets`` array of length samples + 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SCHEMA_VERSION = 1
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
OBJECT_DTYPE = np.dtype([(f[0], f[1], f[2]) if len(f) == 3 else (f[0], f[1]) for f in OBJECT_FIELDS])
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
