"""``maxray train ssl``: radio-visual self-supervised training (CL, MCL, SCL), resumable, single or multi-process."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from maxray_gen.errors import ConfigError
from maxray_gen.schema import stable_dump
from maxray_gen.learn.config import SSLConfig
from maxray_gen.learn.data.batches import (BatchPreparer, GlobalBatchSampler, Mirrored, background_map, condition_groups,
                                   nested_subset, open_split)
from maxray_gen.learn.data.inputs import RadioInput, stored_background
from maxray_gen.learn.models.model import RadioVisualModel
from maxray_gen.learn.runtime import MetricsLog, Runtime, load_checkpoint, save_checkpoint, setup_runtime

CHECKPOINT = "checkpoint.pt"
FIELDS = ("rgb", "range_azimuth", "objects", "target")


def build_model(cfg: SSLConfig, radio_hw, image_hw, queue_size: int) -> RadioVisualModel:
    """A freshly initialised model; the initial weights depend only on ``cfg.seed``."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        return RadioVisualModel(cfg, radio_hw, image_hw, queue_size)


def model_from_checkpoint(path: Path) -> tuple[RadioVisualModel, dict]:
    """(model in eval mode, checkpoint dict) from a ``maxray train ssl`` checkpoint."""
    ck = load_checkpoint(path)
    if ck.get("kind") != "ssl":
        raise ConfigError(f"{path}: not a radio-visual (maxray train ssl) checkpoint")
    cfg = SSLConfig.model_validate(ck["config"])
    model = build_model(cfg, tuple(ck["radio_hw"]), tuple(ck["image_hw"]), ck["queue_size"])
    model.load_state_dict(ck["model"])
    return model.eval(), ck


def radio_input_of(ck: dict, axes: dict) -> RadioInput:
    """The radio input geometry (and background map) a checkpoint's model was trained with, on ``axes``."""
    return RadioInput.from_axes(axes, SSLConfig.model_validate(ck["config"]).input, stored_background(ck))


def _trainable_config(cfg: SSLConfig) -> dict:
    d = stable_dump(cfg)  # options added later count once set: older checkpoints still resume
    for k in ("epochs", "workers", "device", "amp", "channels_last", "compile", "checkpoint_every"):
        d.pop(k)
    return d


def train_ssl(data: Path, out: Path, cfg: SSLConfig, resume: bool = True, progress: bool = True,
              runtime: Runtime | None = None) -> dict:
    """Train on the train split of ``data``; checkpoints, ``metrics.csv`` and the final ``model.pt`` go to ``out``.

    An existing checkpoint in ``out`` is resumed (its configuration must match apart from the number of epochs
    and run-time options). Returns a summary (epochs, final loss, samples/s).
    """
    rt = runtime or setup_runtime(cfg.device, cfg.amp, cfg.channels_last)
    try:
        summary = _train(data, out, cfg, resume, progress, rt)
    except BaseException:
        if runtime is None:
            rt.close(wait=False)  # the other processes may never reach a barrier
        raise
    if runtime is None:
        rt.close()  # after _train returned: its DDP wrapper is garbage now and close() frees it first
    return summary


def _train(data: Path, out: Path, cfg: SSLConfig, resume: bool, progress: bool, rt: Runtime) -> dict:
    train, axes = open_split(Path(data), "train", FIELDS, masks=cfg.masks)
    train = nested_subset(train, cfg.train_samples)
    background = background_map(train) if cfg.input.radio_background == "median" else None
    radio = RadioInput.from_axes(axes, cfg.input, background)
    first = train[0]
    image_hw = tuple(cfg.input.image_size) if cfg.input.image_size else tuple(first["rgb"].shape[-2:])
    queue = cfg.queue_size or cfg.batch_size
    model = build_model(cfg, radio.size, image_hw, queue).to(rt.device)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = (torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay) if cfg.optimizer == "adam" else
           torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay))
    groups = condition_groups(train) if cfg.batches == "condition" else None
    sampler = GlobalBatchSampler(len(train), cfg.batch_size, cfg.seed, rt.rank, rt.world, groups,
                                 mirror=cfg.mirror)  # checks sizes first
    out = Path(out)
    ck_path = out / CHECKPOINT
    start = 0
    if resume and ck_path.exists():
        ck = load_checkpoint(ck_path)
        if ck.get("kind") != "ssl" or ck.get("trainable") != _trainable_config(cfg):
            raise ConfigError(f"{ck_path}: was trained with another configuration; use a new --out or --no-resume")
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        start = int(ck["epoch"])
    if rt.main:
        out.mkdir(parents=True, exist_ok=True)
    log = MetricsLog(out / "metrics.csv", ["epoch", "loss", "samples_per_s", "seconds"],
                     keep_until_epoch=start) if rt.main else None
    if rt.channels_last:
        model = model.to(memory_format=torch.channels_last)
    net = model
    if rt.world > 1:
        net = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[rt.device.index] if rt.device.type == "cuda" else None)
    step_fn = torch.compile(net) if cfg.compile else net
    loader = DataLoader(Mirrored(train) if cfg.mirror else train, batch_sampler=sampler,
                        collate_fn=BatchPreparer(radio, cfg.input),
                        num_workers=cfg.workers, persistent_workers=cfg.workers > 0,
                        pin_memory=rt.device.type == "cuda")
    local = cfg.batch_size // rt.world
    loss_value, rate = float("nan"), float("nan")
    bar = None
    if progress and rt.main:
        from tqdm import tqdm

        bar = tqdm(total=(cfg.epochs - start) * len(sampler), desc=f"{cfg.method} training", unit="batch")
    for epoch in range(start, cfg.epochs):
        sampler.set_epoch(epoch)
        model.train()
        t0, losses = time.perf_counter(), []
        for batch in loader:
            radio_x = batch["radio"].to(rt.device, non_blocking=True)
            image_x = batch["image"].to(rt.device, non_blocking=True)
            if rt.channels_last:
                radio_x = radio_x.contiguous(memory_format=torch.channels_last)
                image_x = image_x.contiguous(memory_format=torch.channels_last)
            with torch.autocast(rt.device.type, dtype=rt.amp_dtype, enabled=rt.amp_dtype is not None):
                loss = step_fn(radio_x, image_x, batch["boxes"], gather=rt.gather, offset=rt.rank * local)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
            if bar is not None:
                bar.update(1)
                bar.set_postfix(epoch=epoch + 1, loss=f"{losses[-1]:.4f}")
        seconds = time.perf_counter() - t0
        loss_value = rt.mean(float(np.mean(losses)))
        rate = len(sampler) * cfg.batch_size / seconds
        if rt.main:
            log.write({"epoch": epoch + 1, "loss": f"{loss_value:.6f}", "samples_per_s": f"{rate:.2f}",
                       "seconds": f"{seconds:.3f}"})
            if (epoch + 1) % cfg.checkpoint_every == 0 or epoch + 1 == cfg.epochs:
                save_checkpoint(ck_path, _payload(model, opt, cfg, epoch + 1, queue, data, axes, radio))
    if bar is not None:
        bar.close()
    if rt.main:
        save_checkpoint(out / "model.pt", _payload(model, None, cfg, cfg.epochs, queue, data, axes, radio))
        (out / "config.yaml").write_text(_yaml(cfg))
    return {"epochs": cfg.epochs, "resumed_from": start, "loss": loss_value, "samples_per_s": rate,
            "train_samples": len(train)}


def _payload(model, opt, cfg: SSLConfig, epoch: int, queue: int, data: Path, axes: dict,
             radio: RadioInput) -> dict:
    return {"kind": "ssl", "epoch": epoch, "config": cfg.model_dump(mode="json"), "trainable": _trainable_config(cfg),
            "model": {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()},
            "optimizer": opt.state_dict() if opt is not None else None,
            "radio_hw": list(model.radio_hw), "image_hw": list(model.image_hw), "queue_size": queue,
            "data": str(data), "axes": {k: torch.from_numpy(np.asarray(v, dtype=np.float64)) for k, v in axes.items()},
            "background": None if radio.background is None else torch.from_numpy(radio.background)}


def _yaml(cfg) -> str:
    import yaml

    return yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False)
