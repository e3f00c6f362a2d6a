"""Read and verify shards with plain h5py."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import h5py
import numpy as np

from maxray_gen.dataset.schema import SCHEMA_VERSION, upgrade_objects, upgrade_objects_v1
from maxray_gen.errors import DataError

PER_SAMPLE = ("rgb", "depth", "instance")


def _walk(h5: h5py.File):
    out = []
    h5.visititems(lambda name, obj: out.append(name) if isinstance(obj, h5py.Dataset) else None)
    return sorted(out)


def open_shard(path: str | Path, cache_bytes: int = 1 << 20) -> h5py.File:
    """Open a shard read-only after checking its schema version."""
    path = Path(path)
    try:
        h5 = h5py.File(path, "r", rdcc_nbytes=cache_bytes)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except OSError as exc:
        raise DataError(f"{path}: not a readable HDF5 shard ({exc})") from None
    version = int(h5.attrs.get("schema_version", -1))
    if version > SCHEMA_VERSION:
        h5.close()
        raise DataError(f"{path}: shard schema version {version} is newer than this maxray-gen supports "
                        f"({SCHEMA_VERSION}); upgrade maxray-gen")
    if version < 1:
        h5.close()
        raise DataError(f"{path}: not a maxray shard (no schema_version attribute)")
    return h5


def content_hash(path: str | Path) -> str:
    """SHA-256 over every dataset's name and bytes (independent of HDF5 layout and timestamps)."""
    h = hashlib.sha256()
    with open_shard(path) as h5:
        for name in _walk(h5):
            d = h5[name][()]
            h.update(name.encode())
            if isinstance(d, np.ndarray) and d.dtype.kind == "O":
                h.update("\0".join(x.decode() if isinstance(x, bytes) else str(x) for x in d).encode())
            else:
                h.update(np.ascontiguousarray(d).tobytes())
    return h.hexdigest()


def verify_shard(path: str | Path, expected_samples: int | None = None) -> int:
    """Read every dataset (Fletcher-32 checksums), check counts, offsets and NaNs; return the sample count."""
    path = Path(path)
    try:
        with open_shard(path) as h5:
            n = int(h5.attrs["num_samples"])
            if expected_samples is not None and n != expected_samples:
                raise DataError(f"{path}: holds {n} samples, expected {expected_samples}")
            for name in _walk(h5):
                data = h5[name][()]  # raises on checksum mismatch or truncation
                top = name.split("/")[0]
                if top in PER_SAMPLE or top == "heatmaps" or name in ("target", "n_paths", "params") + SEQUENCE_FIELDS:
                    if len(data) != n:
                        raise DataError(f"{path}: {name} has {len(data)} entries for {n} samples")
                if top == "heatmaps" and not np.all(np.isfinite(data)):
                    raise DataError(f"{path}: {name} contains NaN or infinite values")
            if int(h5.attrs["schema_version"]) >= 2:
                missing = [k for k in SEQUENCE_FIELDS if k not in h5]
                if missing:
                    raise DataError(f"{path}: schema 2 shard lacks {', '.join(missing)}")
            for group in ("objects", "lidar"):
                off = h5[f"{group}/offsets"][()]
                if len(off) != n + 1 or off[0] != 0 or np.any(np.diff(off) < 0) or off[-1] != len(h5[f"{group}/data"]):
                    raise DataError(f"{path}: {group}/offsets are inconsistent")
            if "object_doppler" in h5 and len(h5["object_doppler"]) != len(h5["objects/data"]):
                raise DataError(f"{path}: object_doppler has {len(h5['object_doppler'])} rows for "
                                f"{len(h5['objects/data'])} objects")
            for p in h5["params"][()]:
                json.loads(p)
            return n
    except DataError:
        raise
    except (OSError, KeyError, ValueError, RuntimeError) as exc:
        raise DataError(f"{path}: damaged shard ({str(exc).splitlines()[0]})") from None


SEQUENCE_FIELDS = ("sequence", "frame", "time_s")


class ShardReader:
    """Random access to the samples of one shard (lazily opened; safe to pickle for DataLoader workers)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._h5 = None
        with open_shard(self.path) as h5:
            self.num_samples = int(h5.attrs["num_samples"])
            self.attrs = dict(h5.attrs)
            self.heatmap_keys = list(h5["heatmaps"].keys())
            self.has_object_doppler = "object_doppler" in h5
            self.axes = {k: h5["axes"][k][()] for k in h5["axes"]}
            self._obj_off = h5["objects/offsets"][()]
            self._lid_off = h5["lidar/offsets"][()]
            # Small per-sample tables live in memory (compound-type reads are slow in h5py).
            self._objects = h5["objects/data"][()]
            self._target = h5["target"][()]
            self.schema_version = int(h5.attrs["schema_version"])
            if self.schema_version >= 2:
                self._seq = {k: h5[k][()] for k in SEQUENCE_FIELDS}
            else:  # version 1: every sample is its own one-frame sequence
                first = int(h5.attrs.get("first_index", 0))
                self._seq = {"sequence": first + np.arange(self.num_samples, dtype=np.int64),
                             "frame": np.zeros(self.num_samples, np.int32),
                             "time_s": np.zeros(self.num_samples, np.float64)}
                per_row = np.repeat(self._seq["sequence"], np.diff(self._obj_off))
                self._objects = upgrade_objects_v1(self._objects, per_row)
            self._objects = upgrade_objects(self._objects)
        self._ds: dict = {}

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_h5"], state["_ds"] = None, {}
        return state

    @property
    def h5(self) -> h5py.File:
        if self._h5 is None:
            # No chunk cache: each sample is read once per epoch (and benchmarks measure real decoding).
            self._h5 = open_shard(self.path, cache_bytes=0)
        return self._h5

    def __len__(self) -> int:
        return self.num_samples

    @property
    def config(self) -> dict:
        """The resolved configuration the shard was generated with (its ``config`` attribute; {} if it has none)."""
        if "_config" not in self.__dict__:
            raw = self.attrs.get("config")
            try:
                self._config = json.loads(raw) if raw is not None else {}
            except ValueError:
                self._config = {}
        return self._config

    @property
    def sequences(self) -> dict[str, np.ndarray]:
        """Per-sample ``sequence``, ``frame`` and ``time_s`` arrays (synthesised for version-1 shards)."""
        return self._seq

    def _dataset(self, name: str):
        ds = self._ds.get(name)
        if ds is None:
            ds = self._ds[name] = self.h5[name]
        return ds

    def sample(self, i: int, fields: tuple[str, ...] | None = None) -> dict:
        if not 0 <= i < self.num_samples:
            raise IndexError(f"{self.path}: sample {i} out of range (0..{self.num_samples - 1})")
        h5 = self.h5
        want = (lambda f: True) if fields is None else (lambda f: f in fields)
        out: dict = {}
        for key in PER_SAMPLE:
            if want(key):
                out[key] = self._dataset(key)[i]
        for key in self.heatmap_keys:
            if want(key):
                out[key] = self._dataset(f"heatmaps/{key}")[i]
        if want("objects"):
            out["objects"] = self._objects[self._obj_off[i]:self._obj_off[i + 1]].copy()
        if want("lidar"):
            out["lidar"] = self._dataset("lidar/data")[self._lid_off[i]:self._lid_off[i + 1]]
        if want("object_doppler") and self.has_object_doppler:
            out["object_doppler"] = self._dataset("object_doppler")[self._obj_off[i]:self._obj_off[i + 1]]
        if want("target"):
            out["target"] = int(self._target[i])
        for key in SEQUENCE_FIELDS:
            if want(key):
                out[key] = self._seq[key][i].item()
        if want("params"):
            p = h5["params"][i]
            out["params"] = json.loads(p.decode() if isinstance(p, bytes) else p)
        return out

    def close(self) -> None:
        self._ds = {}
        if self._h5 is not None:
            self._h5.close()
            self._h5 = None
