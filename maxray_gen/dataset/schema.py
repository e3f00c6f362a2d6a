"""The shard schema (version 5). See docs/dataset_format.md for the full description.

Version 2 adds per-sample ``sequence``, ``frame`` and ``time_s`` datasets and a per-object ``track_id``; version 3
a per-object ``camera_visibility`` (photometric contrast in the rendered image, see sensors/visibility.py);
version 4 the per-object radar truth (``echo_power``, ``echo_peak_bin``, ``echo_centroid``, ``echo_centroid_xy``,
``footprint_xy``: :mod:`maxray_gen.radar.object_echoes`); version 5 ``object_doppler``, when the range-Doppler
map is made: per object its Doppler power profile at its range (rows aligned with ``objects``, sharing its offsets;
:mod:`maxray_gen.radar.micro_doppler`): over a sequence's frames, its micro-Doppler spectrogram. Older shards still read, upgraded on the fly (version 1:
every sample is its own one-frame sequence; versions 1-2: camera_visibility NaN = unknown, which counts as seen;
versions 1-3: radar truth NaN = not recorded).

One HDF5 file per shard. Per-sample arrays are stacked along axis 0 and chunked one sample per chunk, all with
Fletcher-32 checksums (depth, ids and lidar LZF-compressed). Ragged per-sample data (objects, lidar points) are
concatenated with an ``offsets`` array of length samples + 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SCHEMA_VERSION = 5
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
OBJECT_FIELDS_V3 = list(OBJECT_FIELDS)
# Radar truth (version 4): from the paths that touched the object (the engine's per-path attribution); NaN where it
# has none. Cartesian "xy" is the heatmap's frame: x = r sin(azimuth) to the right, y = r cos(azimuth) ahead.
RADAR_TRUTH_FIELDS = [
    ("echo_power", np.float32),  # sum of |gain|^2 of its paths (linear, the paths' units)
    ("echo_peak_bin", np.float32, 2),  # (range bin, azimuth bin) of the strongest cell of its own echo
    ("echo_centroid", np.float32, 2),  # power-weighted centre of its paths: (range m, heatmap azimuth rad)
    ("echo_centroid_xy", np.float32, 2),  # the same centre in the heatmap's Cartesian frame (m)
    ("footprint_xy", np.float32, (4, 2)),  # its oriented ground rectangle's corners in that frame (m)
]
OBJECT_FIELDS += RADAR_TRUTH_FIELDS


def _dtype(fields) -> np.dtype:
    return np.dtype([(f[0], f[1], f[2]) if len(f) == 3 else (f[0], f[1]) for f in fields])


OBJECT_DTYPE_V1, OBJECT_DTYPE_V2, OBJECT_DTYPE_V3 = _dtype(OBJECT_FIELDS_V1), _dtype(OBJECT_FIELDS_V2), _dtype(OBJECT_FIELDS_V3)
OBJECT_DTYPE = _dtype(OBJECT_FIELDS)
RADAR_TRUTH_NAMES = tuple(f[0] for f in RADAR_TRUTH_FIELDS)


def empty_objects(n: int) -> np.ndarray:
    """``n`` object rows of the current dtype: zeros, with the radar truth NaN (not recorded)."""
    out = np.zeros(n, OBJECT_DTYPE)
    for name in RADAR_TRUTH_NAMES:
        out[name] = np.nan
    return out
CLASSES = ("car", "pedestrian", "cyclist", "drone")  # class_id; snapshot.ROLE_CLASS maps scene roles onto it
CLASS_PLURALS = ("cars", "people", "cyclists", "drones")


def object_counts(class_ids: np.ndarray) -> str:
    """``"12 cars, 3 people, 1 drone"``: the classes present in an object table's ``class_id`` (cars always)."""
    ids = np.asarray(class_ids).astype(int)
    parts = []
    for k, plural in enumerate(CLASS_PLURALS):
        n = int((ids == k).sum())
        if n or k == 0:
            parts.append(f"{n} {plural if n != 1 else (CLASSES[k] if k else 'car').replace('pedestrian', 'person')}")
    return ", ".join(parts)


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
    object_doppler: np.ndarray | None = None  # (K, D) float32 Doppler power per object (rows as ``objects``)
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
    """Object rows of an older schema -> the current dtype (fields it lacks: zero; camera_visibility and the radar
    truth NaN)."""
    if objects.dtype == OBJECT_DTYPE:
        return objects
    out = empty_objects(len(objects))
    if "camera_visibility" not in objects.dtype.names:
        out["camera_visibility"] = np.nan
    for name in objects.dtype.names:
        if name in OBJECT_DTYPE.names:
            out[name] = objects[name]
    return out
