"""Fixed-size FIFO queues of negative embeddings (MoCo style; one per modality)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class EmbeddingQueue(nn.Module):
    """``size`` L2-normalised embeddings of dimension ``dim``; starts with random unit vectors (MoCo).

    :meth:`enqueue` writes a batch at the pointer, wrapping around; a batch larger than the queue keeps its last
    ``size`` rows. The queue is a buffer, so it is saved in checkpoints and restored on resume.
    """

    def __init__(self, size: int, dim: int, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.register_buffer("items", F.normalize(torch.randn(size, dim, generator=g), dim=1))
        self.register_buffer("ptr", torch.zeros((), dtype=torch.long))

    @property
    def size(self) -> int:
        return self.items.shape[0]

    @torch.no_grad()
    def enqueue(self, keys: torch.Tensor) -> None:
        keys = keys.detach().to(self.items.dtype)[-self.size:]
        n, p = keys.shape[0], int(self.ptr)
        idx = (torch.arange(n, device=self.items.device) + p) % self.size
        self.items[idx] = keys
        self.ptr.fill_((p + n) % self.size)
