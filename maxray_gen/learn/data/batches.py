"""Batches for training: dataset samples -> normalised radio/image tensors, boxes, and a deterministic sampler
that keeps every global batch identical whatever the number of processes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Sampler, Subset

from maxray_gen.dataset.torch_dataset import MaxrayDataset
from maxray_gen.errors import ConfigError, DataError
from maxray_gen.learn.config import InputConfig
from maxray_gen.learn.data.inputs import RadioInput, prepare_image
from maxray_gen.seeding import rng_for


def with_targets(ds: MaxrayDataset) -> Subset:
    """The samples of ``ds`` that have a designated target (learning needs one)."""
    targets = {}
    for k, r in enumerate(ds.readers):
        targets[k] = np.asarray(r.h5["target"][()])
    keep = [i for i, (k, local, _) in enumerate(ds.index) if targets[k][local] >= 0]
    return Subset(ds, keep)


def entries(ds) -> list[tuple[int, int, int]]:
    """(shard, local, global index) of every sample of a MaxrayDataset or a Subset of one."""
    base = ds.dataset if hasattr(ds, "dataset") else ds
    return [base.index[i] for i in (ds.indices if hasattr(ds, "indices") else range(len(ds)))]


def background_map(ds, max_maps: int = 2048) -> np.ndarray:
    """The per-bin median range-azimuth power of the maps of ``ds`` (at most ``max_maps``, evenly strided):
    what every sample of a fixed lot shares (kerbs, wall, ground clutter), as an (R, A) float32 map. Label-free."""
    base = ds.dataset if hasattr(ds, "dataset") else ds
    rows = entries(ds)
    if not rows:
        raise DataError("no samples to estimate the radio background from")
    pick = np.unique(np.linspace(0, len(rows) - 1, min(max_maps, len(rows))).round().astype(int))
    maps = np.stack([base.readers[k].sample(local, fields=("range_azimuth",))["range_azimuth"]
                     for k, local, _ in (rows[i] for i in pick)])
    return np.median(maps, axis=0).astype(np.float32)


class DetectedTargetBox:
    """Dataset transform: the target box replaced by a detector's box from a detections sidecar (NaNs when the
    detector found none, so the mask covers the whole image). Picklable for DataLoader workers."""

    def __init__(self, detections, pick: str, min_score: float):
        self.detections, self.pick, self.min_score = detections, pick, min_score

    def __call__(self, item: dict) -> dict:
        box = self.detections.target_box(int(item["index"]), item["target_box"].numpy(), self.pick, self.min_score)
        item["target_box"] = torch.from_numpy(box)
        return item


def mask_transform(root: Path, masks) -> DetectedTargetBox | None:
    """The transform for a :class:`~maxray_gen.learn.config.MaskConfig` (None for groundtruth boxes)."""
    if masks is None or masks.source == "groundtruth":
        return None
    from maxray_gen.dataset.detections import read_detections, sidecar_path

    return DetectedTargetBox(read_detections(sidecar_path(root, masks.detections)), masks.pick, masks.min_score)


def nested_subset(ds, n: int | None, field: str = "train_samples"):
    """The first ``n`` samples of ``ds`` (a dataset or subset) in one fixed permutation, in dataset order: a
    smaller ``n`` picks a part of every larger one (nested training sets for learning curves). ``None``: ``ds``."""
    if n is None:
        return ds
    if n > len(ds):
        raise ConfigError(f"{field}: {n} asked, the train split has {len(ds)} samples with a target")
    base = ds.dataset if hasattr(ds, "dataset") else ds
    rows = list(ds.indices) if hasattr(ds, "indices") else list(range(len(ds)))
    keep = np.sort(rng_for(0, "nested-train-subset").permutation(len(rows))[:n])
    return Subset(base, [rows[k] for k in keep])


def open_split(root: Path, split: str, fields: tuple[str, ...], require_target: bool = True, masks=None):
    """(dataset or subset, axes) of a generated dataset directory; a clear error when it is empty. ``masks``
    (a MaskConfig) may take the target boxes from a detections sidecar instead of the groundtruth."""
    ds = MaxrayDataset(root, split=split, fields=fields, transform=mask_transform(Path(root), masks))
    sub = with_targets(ds) if require_target else ds
    if len(sub) == 0:
        raise DataError(f"{root}: no {split} samples with a designated target")
    return sub, ds.axes


class BatchPreparer:
    """Collate function: stacks samples and turns them into network inputs (picklable for DataLoader workers)."""

    def __init__(self, radio: RadioInput, cfg: InputConfig, with_image: bool = True):
        self.radio, self.cfg, self.with_image = radio, cfg, with_image

    def __call__(self, items: list[dict]) -> dict:
        flip = torch.tensor([bool(it.get("mirror", False)) for it in items])
        out = {"index": torch.tensor([it["index"] for it in items]),
               "target_bins": torch.stack([it["target_bins"] for it in items]),
               "radio": self.radio.prepare(torch.stack([it["range_azimuth"] for it in items]), self.cfg)}
        if flip.any():
            mirror_columns(out["radio"], flip, self.radio.size[1])
            out["target_bins"] = out["target_bins"].clone()
            out["target_bins"][flip, 1] = self.radio.native[1] - 1 - out["target_bins"][flip, 1]
        if self.with_image:
            rgb = torch.stack([it["rgb"] for it in items])
            boxes = torch.stack([it["target_box"] for it in items])
            out["image"], out["boxes"] = prepare_image(rgb, self.cfg.image_size, boxes)
            out["image_hw"] = tuple(self.cfg.image_size) if self.cfg.image_size else tuple(rgb.shape[-2:])
            if flip.any():
                width = out["image_hw"][1]
                mirror_columns(out["image"], flip, width)
                b = out["boxes"].clone()
                b[flip, 0], b[flip, 2] = width - out["boxes"][flip, 2], width - out["boxes"][flip, 0]
                out["boxes"] = b
        return out


def mirror_columns(x: torch.Tensor, rows: torch.Tensor, width: int) -> None:
    """Flip the first ``width`` columns (the unpadded input) of the batch entries ``rows`` of (B, C, H, W) ``x``
    left-right, in place."""
    x[rows, ..., :width] = x[rows, ..., :width].flip(-1)


class Mirrored(torch.utils.data.Dataset):
    """``ds`` twice: index ``i < len(ds)`` is sample ``i``, ``len(ds) + i`` the same sample marked ``mirror``
    (image and radio map flipped left-right together by :class:`BatchPreparer`: the radar's azimuth axis is
    symmetric about boresight, as the camera's image is about its centre, so a mirrored pair is a pair of the mirrored
    scene). Used with ``GlobalBatchSampler(..., mirror=True)``."""

    def __init__(self, ds):
        self.ds = ds

    def __len__(self) -> int:
        return 2 * len(self.ds)

    def __getitem__(self, i: int) -> dict:
        n = len(self.ds)
        item = dict(self.ds[i % n])
        item["mirror"] = i >= n
        return item


def condition_groups(ds) -> np.ndarray:
    """Per sample of ``ds`` (dataset or subset) its (weather kind, lighting kind) as an (N, 2) integer array, for
    condition-sharing batches. Samples whose parameters lack them (imported data) share one key."""
    base = ds.dataset if hasattr(ds, "dataset") else ds
    keys = []
    for k, local, _ in entries(ds):
        p = base.readers[k].sample(local, fields=("params",))["params"]
        keys.append((str(p.get("weather", {}).get("kind", "")), str(p.get("lighting", {}).get("kind", ""))))
    cols = [sorted({k[j] for k in keys}) for j in range(2)]
    return np.array([[cols[j].index(k[j]) for j in range(2)] for k in keys], dtype=np.int64).reshape(-1, 2)


class GlobalBatchSampler(Sampler[list[int]]):
    """Epoch-seeded permutation cut into global batches of ``global_batch``; process ``rank`` of ``world`` takes
    its contiguous slice of each. One process sees exactly the union of what several see, step by step, so
    single- and multi-process training optimise the same objective (unlike ``DistributedSampler``'s striding,
    which this otherwise replaces: per-epoch reshuffle, equal work per rank, incomplete last batch dropped).

    With ``groups`` (integer keys per sample, shape (N,) or (N, levels), e.g. :func:`condition_groups`) the
    permutation keeps samples with equal keys together: each level's values in a random order, the first level
    outermost, samples shuffled within their group, then the batches' order shuffled. A batch then mixes as few
    groups as the group sizes allow (and neighbouring groups share the outer key), so its pairs cannot be told
    apart by what a group shares (weather, lighting). With ``mirror`` a random half of each epoch's indices are
    shifted by ``n``: the mirrored copies of a :class:`Mirrored` dataset."""

    def __init__(self, n: int, global_batch: int, seed: int, rank: int = 0, world: int = 1,
                 groups: np.ndarray | None = None, mirror: bool = False):
        if global_batch % world:
            raise DataError(f"batch_size {global_batch} is not divisible by the {world} processes")
        if n < global_batch:
            raise DataError(f"only {n} training samples, fewer than one batch of {global_batch}")
        if groups is not None and len(groups) != n:
            raise DataError(f"{len(groups)} batch groups for {n} training samples")
        self.n, self.batch, self.seed, self.rank, self.world = n, global_batch, seed, rank, world
        self.groups = None if groups is None else np.asarray(groups, dtype=np.int64).reshape(n, -1)
        self.mirror = mirror
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.n // self.batch

    def _permutation(self) -> np.ndarray:
        rng = rng_for(self.seed, "ssl-batches", self.epoch)
        perm = rng.permutation(self.n)
        if self.groups is None:
            return perm
        ranks = []  # per level, a random rank for each key value
        for level in self.groups.T:
            shuffled = rng.permutation(int(level.max()) + 1)
            ranks.append(shuffled[level[perm]])
        perm = perm[np.lexsort(ranks[::-1])]  # lexsort: last key primary, so the first level is outermost;
        # ties keep the shuffled order (lexsort is stable)
        batches = perm[: len(self) * self.batch].reshape(len(self), self.batch)
        return batches[rng.permutation(len(self))].reshape(-1)

    def __iter__(self):
        perm = self._permutation()
        if self.mirror:  # a random half of each epoch's samples mirrored (indices n.. of a Mirrored dataset)
            flips = rng_for(self.seed, "ssl-mirror", self.epoch).random(self.n) < 0.5
            perm = perm + self.n * flips[perm]
        local = self.batch // self.world
        for b in range(len(self)):
            chunk = perm[b * self.batch: (b + 1) * self.batch]
            yield chunk[self.rank * local: (self.rank + 1) * local].tolist()
