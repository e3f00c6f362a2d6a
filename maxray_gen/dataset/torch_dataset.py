"""A PyTorch ``Dataset`` over a directory of shards.

File handles are opened lazily in each DataLoader worker (readers drop their handle when pickled), so
``num_workers > 0`` works. The train/validation split is reproducible from the dataset's seed and train fraction
(read from its config.yaml), over global sample indices.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch.utils.data import Dataset

from maxray_gen.config import load_config
from maxray_gen.dataset.inspect import shard_paths
from maxray_gen.dataset.reader import ShardReader
from maxray_gen.errors import DataError

DEFAULT_FIELDS = ("rgb", "range_azimuth", "objects", "target")


class MaxrayDataset(Dataset):
    """Samples as dicts of tensors (``clip_length`` K > 1: clips of K consecutive frames of one sequence, every
    tensor with a leading K axis and lists for the rest): ``sequence``, ``frame``, ``time_s``, ``rgb`` (3, H, W) uint8, ``depth`` (1, H, W), ``instance`` (H, W),
    radar maps (1, R, A) / (1, R, D), ``target`` (int), ``target_bins`` (2,) fractional (range, azimuth) bins of
    the designated target (NaN when none), ``target_box`` (4,) its visible box; ``objects`` stays a numpy
    structured array (use :func:`collate`)."""

    def __init__(self, root: str | Path, split: str = "all", fields: tuple[str, ...] = DEFAULT_FIELDS,
                 transform: Callable[[dict], dict] | None = None, clip_length: int = 1):
        if split not in ("train", "val", "all"):
            raise ValueError(f"split must be train, val or all, got {split!r}")
        root = Path(root)
        self.readers = [ShardReader(p) for p in shard_paths(root)]
        self.fields, self.transform = tuple(fields), transform
        index = []
        for k, r in enumerate(self.readers):
            first = int(r.attrs.get("first_index", 0))
            index += [(k, i, first + i) for i in range(len(r))]
        if split != "all":
            cfg_file = root / "config.yaml"
            if not cfg_file.exists():
                raise DataError(f"{root}: no config.yaml, so the split cannot be reproduced")
            from maxray_gen.dataset.directory import split_of

            cfg = load_config(cfg_file)
            train = split_of(cfg, cfg.generate.total_samples)
            index = [t for t in index if t[2] < len(train) and train[t[2]] == (split == "train")]
        self.index = index
        self.axes = self.readers[0].axes
        if clip_length < 1:
            raise ValueError(f"clip_length must be >= 1, got {clip_length}")
        self.clip_length = clip_length
        self.clips = self._clip_starts(clip_length) if clip_length > 1 else None

    def _clip_starts(self, k: int) -> list[int]:
        """Positions in ``index`` where k consecutive frames of one sequence begin."""
        keyed = {(t[0], t[1]): n for n, t in enumerate(self.index)}
        starts = []
        for n, (shard, local, _) in enumerate(self.index):
            seq = self.readers[shard].sequences
            if local + k > len(self.readers[shard]):
                continue
            s0, f0 = seq["sequence"][local], seq["frame"][local]
            ok = all((shard, local + j) in keyed and seq["sequence"][local + j] == s0 and seq["frame"][local + j] == f0 + j
                     for j in range(1, k))
            if ok:
                starts.append(n)
        return starts

    def __len__(self) -> int:
        return len(self.clips) if self.clips is not None else len(self.index)

    def __getitem__(self, i: int) -> dict:
        if self.clips is None:
            return self._item(i)
        start = self.clips[i]
        frames = [self._item(start + j) for j in range(self.clip_length)]
        return {key: torch.stack([f[key] for f in frames]) if isinstance(frames[0][key], torch.Tensor)
                else [f[key] for f in frames] for key in frames[0]}

    def _item(self, i: int) -> dict:
        k, local, global_index = self.index[i]
        need = set(self.fields) | {"objects", "target", "sequence", "frame", "time_s"}
        s = self.readers[k].sample(local, fields=tuple(need))
        out: dict = {"index": global_index, "sequence": s["sequence"], "frame": s["frame"], "time_s": s["time_s"]}
        for key, value in s.items():
            if key == "rgb":
                out["rgb"] = torch.from_numpy(np.ascontiguousarray(value.transpose(2, 0, 1)))
            elif key in ("depth",):
                out[key] = torch.from_numpy(value)[None]
            elif key == "instance":
                out[key] = torch.from_numpy(value)
            elif key in ("range_azimuth", "range_doppler", "rad_cube"):
                out[key] = torch.from_numpy(value)[None]
            elif key == "objects":
                out["objects"] = value
            elif key in ("target", "params", "lidar"):
                out[key] = value
        objs, t = s["objects"], s["target"]
        if t >= 0:
            out["target_bins"] = torch.tensor([objs[t]["range_bin"], objs[t]["azimuth_bin"]], dtype=torch.float32)
            out["target_box"] = torch.from_numpy(objs[t]["visible_box"].astype(np.float32))
        else:
            out["target_bins"] = torch.full((2,), float("nan"))
            out["target_box"] = torch.full((4,), float("nan"))
        if "objects" not in self.fields:
            out.pop("objects")
        return self.transform(out) if self.transform else out


def collate(batch: list[dict]) -> dict:
    """Stack tensors, keep numpy/JSON fields as lists."""
    out = {}
    for key in batch[0]:
        vals = [b[key] for b in batch]
        out[key] = torch.stack(vals) if isinstance(vals[0], torch.Tensor) else (
            torch.tensor(vals) if isinstance(vals[0], (int, float)) else vals)
    return out
