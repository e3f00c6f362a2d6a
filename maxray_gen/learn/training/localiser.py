"""The radio localiser (appendix I, table 2): heatmap -> target position, trained on groundtruth or self-labels."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from maxray_gen.errors import ConfigError, DataError
from maxray_gen.learn.config import LocaliserConfig
from maxray_gen.learn.data.batches import (BatchPreparer, background_map, entries, mirror_columns, nested_subset,
                                          open_split)
from maxray_gen.learn.data.inputs import RadioInput, cartesian_to_polar, polar_to_cartesian, stored_background
from maxray_gen.learn.runtime import MetricsLog, load_checkpoint, save_checkpoint, setup_runtime
from maxray_gen.learn.experiments.selflabels import read_selflabels
from maxray_gen.seeding import rng_for

ACTIVATIONS = {"relu": nn.ReLU, "leakyrelu": nn.LeakyReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh,
               "softplus": nn.Softplus}


class LocaliserNet(nn.Module):
    """conv (no padding) x N -> flatten -> linear x M -> 2 outputs (normalised Cartesian x, y)."""

    def __init__(self, cfg: LocaliserConfig, in_hw: tuple[int, int]):
        super().__init__()
        act = ACTIVATIONS[cfg.activation]
        layers: list[nn.Module] = []
        cin, h, w = 1, *in_hw
        for c, k, s in zip(cfg.conv_channels, cfg.kernels, cfg.strides):
            layers += [nn.Conv2d(cin, c, k, stride=s), act()]
            cin, h, w = c, (h - k) // s + 1, (w - k) // s + 1
            if h < 1 or w < 1:
                raise ConfigError(f"localiser: the conv stack shrinks a {in_hw[0]}x{in_hw[1]} heatmap to nothing; "
                                  "use smaller kernels/strides or fewer layers")
        self.conv = nn.Sequential(*layers)
        dims = [cin * h * w, *cfg.linear]
        mlp: list[nn.Module] = []
        for a, b in zip(dims[:-1], dims[1:]):
            mlp += [nn.Linear(a, b), act()]
        mlp.append(nn.Linear(dims[-1], 2))
        self.head = nn.Sequential(nn.Flatten(), *mlp)
        self.feature_hw = (h, w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.conv(x))


def groundtruth_positions(ds) -> tuple[np.ndarray, np.ndarray]:
    """(global indices, (N, 2) Cartesian x, y) of each sample's designated target (range, heatmap azimuth)."""
    idx, xy = [], []
    base = ds.dataset if hasattr(ds, "dataset") else ds
    for k, local, g in entries(ds):
        s = base.readers[k].sample(local, fields=("objects", "target"))
        o = s["objects"][s["target"]]
        idx.append(g)
        xy.append(polar_to_cartesian(float(o["range_m"]), float(o["heatmap_azimuth_rad"])))
    return np.asarray(idx), np.asarray(xy, dtype=np.float64).reshape(-1, 2)


def target_geometry(ds) -> dict[str, object]:
    """What the radar sees of each sample's target (schema 4's radar truth, NaN for older shards): its footprint
    polygon (N, 4, 2), the centroid of its own paths (N, 2), and the footprints of the sample's other cars (a list
    of (M_i, 4, 2)), in the heatmaps' Cartesian frame; and what the camera gives: its visible image box (N, 4) and
    the basestation pose (a list of Pose, None where a sample has none). In the order of :func:`groundtruth_positions`."""
    from maxray_gen.geometry import Pose

    base = ds.dataset if hasattr(ds, "dataset") else ds
    footprint, centroid, others, boxes, poses = [], [], [], [], []
    for k, local, _ in entries(ds):
        s = base.readers[k].sample(local, fields=("objects", "target", "params"))
        o, t = s["objects"], s["target"]
        footprint.append(o["footprint_xy"][t])
        centroid.append(o["echo_centroid_xy"][t])
        cars = np.flatnonzero((o["class_id"] == o["class_id"][t]) & (np.arange(len(o)) != t))
        others.append(np.asarray(o["footprint_xy"][cars], np.float64).reshape(-1, 4, 2))
        boxes.append(o["visible_box"][t])
        bs = s["params"].get("basestation")  # None in the stand-in datasets
        poses.append(None if bs is None else Pose(np.asarray(bs["position"], np.float64),
                                                  np.asarray(bs["rotation"], np.float64)))
    return {"footprint": np.asarray(footprint, np.float64).reshape(-1, 4, 2),
            "centroid_xy": np.asarray(centroid, np.float64).reshape(-1, 2), "others": others,
            "box": np.asarray(boxes, np.float64).reshape(-1, 4), "pose": poses}


def load_heatmaps(ds, radio: RadioInput, cfg: LocaliserConfig) -> tuple[np.ndarray, torch.Tensor]:
    """All heatmaps of a split as one normalised input tensor (the table-2 net is small; epochs stay cheap)."""
    prep = BatchPreparer(radio, cfg.input, with_image=False)
    loader = DataLoader(ds, batch_size=64, collate_fn=prep, num_workers=cfg.workers)
    idx, xs = [], []
    for b in loader:
        idx.append(b["index"].numpy())
        xs.append(b["radio"])
    return np.concatenate(idx), torch.cat(xs)


def _labels(ds, source: str | Path) -> tuple[np.ndarray, np.ndarray]:
    if str(source) == "groundtruth":
        return groundtruth_positions(ds)
    table = read_selflabels(Path(source))
    lookup = {int(i): k for k, i in enumerate(table["index"])}
    idx = np.array([g for _, _, g in entries(ds)])
    missing = [i for i in idx if int(i) not in lookup]
    if missing:
        raise DataError(f"{source}: no self-labels for {len(missing)} training samples (e.g. index {missing[0]}); "
                        "were they made for this dataset?")
    rows = [lookup[int(i)] for i in idx]
    xy = np.stack([table["x_m"][rows], table["y_m"][rows]], axis=1)
    ok = np.isfinite(xy).all(1)
    return idx[ok], xy[ok]


def train_localiser(data: Path, out: Path, cfg: LocaliserConfig, labels: str | Path = "groundtruth",
                    progress: bool = True) -> dict:
    """Train on the train split with ``labels`` ("groundtruth" or a self-label file); evaluate on validation each
    epoch (against groundtruth). Writes ``out/localiser.pt`` and ``out/metrics.csv``."""
    rt = setup_runtime(cfg.device, "off", "off")
    train, axes = open_split(Path(data), "train", ("range_azimuth", "objects", "target"))
    train = nested_subset(train, cfg.train_samples)
    val, _ = open_split(Path(data), "val", ("range_azimuth", "objects", "target"))
    background = background_map(train) if cfg.input.radio_background == "median" else None
    radio = RadioInput.from_axes(axes, cfg.input, background)
    lab_idx, lab_xy = _labels(train, labels)
    tr_idx, tr_x = load_heatmaps(train, radio, cfg)
    pos = {int(g): k for k, g in enumerate(tr_idx)}
    tr_x = tr_x[[pos[int(g)] for g in lab_idx]]
    n_maps = len(lab_xy)
    if cfg.mirror:
        tr_x, lab_xy = mirrored(tr_x, lab_xy, radio.size[1], np.asarray(axes["azimuth_rad"], dtype=np.float64))
    mean, std = lab_xy.mean(0), lab_xy.std(0) + 1e-6
    y = torch.from_numpy((lab_xy - mean) / std).float()
    va_idx, va_x = load_heatmaps(val, radio, cfg)
    _, va_xy = groundtruth_positions(val)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        net = LocaliserNet(cfg, tuple(tr_x.shape[-2:])).to(rt.device)
    opt = (torch.optim.Adam(net.parameters(), lr=cfg.lr, betas=(cfg.momentum, 0.999), weight_decay=cfg.weight_decay)
           if cfg.optimizer == "adam" else
           torch.optim.SGD(net.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay))
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg.epochs) if cfg.schedule == "cosine" else None
    loss_fn = nn.MSELoss() if cfg.loss == "mse" else nn.L1Loss()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    log = MetricsLog(out / "metrics.csv", ["epoch", "train_loss", "val_median_error_m", "seconds"])
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=cfg.epochs, desc="localiser", unit="epoch")
    n = len(y)
    val_err = float("nan")
    best = (float("inf"), 0, None)  # (validation median error, epoch, weights)
    for epoch in range(cfg.epochs):
        t0 = time.perf_counter()
        perm = rng_for(cfg.seed, "localiser", epoch).permutation(n)
        net.train()
        losses = []
        for b in range(0, n, cfg.batch_size):
            sel = torch.from_numpy(perm[b: b + cfg.batch_size])
            loss = loss_fn(net(tr_x[sel].to(rt.device)), y[sel].to(rt.device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
        if sched is not None:
            sched.step()
        pred = _predict(net, va_x, mean, std, rt.device)
        val_err = float(np.median(np.hypot(*(pred - va_xy).T)))
        if cfg.select == "best" and val_err < best[0]:
            best = (val_err, epoch + 1, {k: v.detach().cpu().clone() for k, v in net.state_dict().items()})
        log.write({"epoch": epoch + 1, "train_loss": f"{np.mean(losses):.6f}", "val_median_error_m": f"{val_err:.4f}",
                   "seconds": f"{time.perf_counter() - t0:.3f}"})
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{np.mean(losses):.4f}", val_median_m=f"{val_err:.3f}")
    if bar is not None:
        bar.close()
    kept_epoch = cfg.epochs
    if cfg.select == "best":
        val_err, kept_epoch, weights = best
        net.load_state_dict(weights)
    save_checkpoint(out / "localiser.pt", {
        "kind": "localiser", "config": cfg.model_dump(mode="json"), "labels": str(labels), "epoch": kept_epoch,
        "model": {k: v.detach().cpu() for k, v in net.state_dict().items()},
        "in_hw": list(tr_x.shape[-2:]), "mean": mean.tolist(), "std": std.tolist(), "data": str(data),
        "background": None if background is None else torch.from_numpy(background)})
    return {"epochs": cfg.epochs, "kept_epoch": kept_epoch, "train_samples": n_maps, "val_samples": len(va_xy),
            "val_median_error_m": val_err}


def mirrored(x: torch.Tensor, xy: np.ndarray, width: int, azimuth: np.ndarray) -> tuple[torch.Tensor, np.ndarray]:
    """Inputs (N, 1, H, W) and Cartesian labels (N, 2) followed by their left-right mirrors: the first ``width``
    columns (the unpadded map) flipped and x -> -x. Needs an azimuth axis symmetric about boresight."""
    if not np.allclose(azimuth, -azimuth[::-1], atol=1e-6):
        raise ConfigError("localiser.mirror: the heatmap's azimuth axis is not symmetric about boresight, so a "
                          "mirrored map is not a map of the mirrored scene")
    xm = x.clone()
    mirror_columns(xm, torch.ones(len(x), dtype=torch.bool), width)
    return torch.cat([x, xm]), np.concatenate([xy, xy * np.array([-1.0, 1.0])])


def _predict(net: LocaliserNet, x: torch.Tensor, mean, std, device) -> np.ndarray:
    net.eval()
    with torch.no_grad():
        out = torch.cat([net(x[b: b + 256].to(device)).cpu() for b in range(0, len(x), 256)]).double().numpy()
    return out * np.asarray(std) + np.asarray(mean)


def load_localiser(path: Path) -> tuple[LocaliserNet, dict]:
    ck = load_checkpoint(path)
    if ck.get("kind") != "localiser":
        raise ConfigError(f"{path}: not a localiser checkpoint (made by `maxray train localiser`)")
    cfg = LocaliserConfig.model_validate(ck["config"])
    net = LocaliserNet(cfg, tuple(ck["in_hw"]))
    net.load_state_dict(ck["model"])
    return net.eval(), ck


def predict_split(path: Path, data: Path, split: str = "val") -> dict[str, np.ndarray]:
    """Localiser predictions and groundtruth on a split: index, pred_xy, gt_xy, pred/gt range and azimuth."""
    net, ck = load_localiser(path)
    cfg = LocaliserConfig.model_validate(ck["config"])
    ds, axes = open_split(Path(data), split, ("range_azimuth", "objects", "target"))
    radio = RadioInput.from_axes(axes, cfg.input, stored_background(ck))
    idx, x = load_heatmaps(ds, radio, cfg)
    if list(x.shape[-2:]) != list(ck["in_hw"]):
        raise DataError(f"{data}: heatmaps {tuple(x.shape[-2:])} do not match the localiser's input {ck['in_hw']}")
    gidx, gt = groundtruth_positions(ds)
    assert np.array_equal(gidx, idx)
    pred = _predict(net, x, ck["mean"], ck["std"], torch.device("cpu"))
    pr, pa = cartesian_to_polar(*pred.T)
    gr, ga = cartesian_to_polar(*gt.T)
    return {"index": idx, "pred_xy": pred, "gt_xy": gt, "pred_range": pr, "pred_azimuth": pa, "gt_range": gr,
            "gt_azimuth": ga}
