"""Devices, processes (torchrun/DDP), checkpoints and metric logs shared by the training commands."""

from __future__ import annotations

import csv
import gc
import os
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist

from maxray_gen.errors import DataError


@dataclass(frozen=True)
class Runtime:
    device: torch.device
    rank: int = 0
    world: int = 1
    amp_dtype: torch.dtype | None = None
    channels_last: bool = False

    @property
    def main(self) -> bool:
        return self.rank == 0

    def gather(self, x: torch.Tensor) -> torch.Tensor:
        """Concatenate ``x`` from every process in rank order, keeping gradients (identity with one process)."""
        if self.world == 1:
            return x
        return _GatherWithGrad.apply(x, self.rank, self.world)

    def close(self, wait: bool = True) -> None:
        """Leave the process group cleanly: free what still uses it, then (with ``wait``) wait for every process,
        then destroy it. Without ``wait`` (an error path: the others may never arrive) it is destroyed at once."""
        if self.world > 1 and dist.is_initialized():
            # A DistributedDataParallel wrapper lives in a reference cycle (measured: still alive after the training
            # function has returned, freed only by the cyclic GC), and its reducer holds this process group and
            # the gradient buckets. Left to the GC it was freed at an arbitrary later point: after the group was
            # destroyed, or during interpreter shutdown, where gloo work objects that still hold tensors with
            # Python references take the GIL of a finalising interpreter and abort the process (SIGABRT; the
            # rank abort of issue 19). Collect it here, while the group and the interpreter are fully alive.
            gc.collect()
            if wait:
                dist.barrier()
            dist.destroy_process_group()

    def mean(self, value: float) -> float:
        if self.world == 1:
            return value
        t = torch.tensor([value], dtype=torch.float64)
        dist.all_reduce(t)
        return float(t) / self.world


class _GatherWithGrad(torch.autograd.Function):
    """all_gather along dim 0 whose backward sums every process's gradient and returns this process's slice.

    (Written out because the gloo path of ``torch.distributed.nn.all_gather`` was measured to return wrong
    gradients for non-contiguous incoming gradients, e.g. from einsum.)"""

    @staticmethod
    def forward(ctx, x: torch.Tensor, rank: int, world: int) -> torch.Tensor:
        ctx.rank, ctx.world, ctx.n = rank, world, x.shape[0]
        parts = [torch.empty_like(x) for _ in range(world)]
        dist.all_gather(parts, x.contiguous())
        return torch.cat(parts, dim=0)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        grad = grad.contiguous().clone()
        dist.all_reduce(grad)
        return grad[ctx.rank * ctx.n: (ctx.rank + 1) * ctx.n], None, None


def setup_runtime(device: str = "auto", amp: str = "auto", channels_last: str = "auto") -> Runtime:
    """Pick the device, and join the process group when launched by ``torchrun`` (WORLD_SIZE > 1): gloo on CPU,
    NCCL on CUDA (one GPU per LOCAL_RANK)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    cuda = torch.cuda.is_available() if device == "auto" else device == "cuda"
    if device == "cuda" and not torch.cuda.is_available():
        raise DataError("device: cuda requested but torch sees no GPU (run `maxray doctor`)")
    if cuda:
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        dev = torch.device("cuda", local)
    else:
        dev = torch.device("cpu")
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo")
    amp_dtype = None
    if amp == "bf16" or (amp == "auto" and cuda):
        amp_dtype = torch.bfloat16
    elif amp == "fp16":
        amp_dtype = torch.float16
    cl = channels_last == "on" or (channels_last == "auto" and cuda)
    return Runtime(dev, rank, world, amp_dtype, cl)


def save_checkpoint(path: Path, payload: dict) -> None:
    """Atomic torch.save (tmp file + rename): a crash never leaves a truncated checkpoint."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        torch.save(payload, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load_checkpoint(path: Path) -> dict:
    """Load a checkpoint with ``weights_only=True`` (tensors and plain data only; no code runs)."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise DataError(f"{path}: checkpoint not found") from None
    except Exception as exc:  # noqa: BLE001 - torch raises many types for bad files
        raise DataError(f"{path}: not a readable checkpoint ({type(exc).__name__}: {str(exc).splitlines()[0]})") \
            from None


class MetricsLog:
    """Append-only CSV of per-epoch metrics; on resume, rows after the checkpointed epoch are dropped."""

    def __init__(self, path: Path, fields: list[str], keep_until_epoch: int | None = None):
        self.path, self.fields = path, fields
        rows = []
        if keep_until_epoch is not None and path.exists():
            with open(path, newline="") as fh:
                rows = [r for r in csv.DictReader(fh) if int(r["epoch"]) <= keep_until_epoch]
        with open(path, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=fields)
            w.writeheader()
            w.writerows(rows)

    def write(self, row: dict) -> None:
        with open(self.path, "a", newline="") as fh:
            csv.DictWriter(fh, fieldnames=self.fields).writerow({k: row.get(k, "") for k in self.fields})


def read_metrics(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))
