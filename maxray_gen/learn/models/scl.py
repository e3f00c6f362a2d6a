"""SCL: spatial contrast. The masked vision target attends over every radio bin; S = max over bins; no projector."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from maxray_gen.learn.models.head import Features, MethodHead, Momentum
from maxray_gen.learn.models.losses import correspondence_scores
from maxray_gen.learn.models.masks import masked_mean


class SpatialContrastHead(MethodHead):
    def __init__(self, tau: float):
        super().__init__()
        self.tau = tau

    @staticmethod
    def vision_embedding(f_v: torch.Tensor, vmask: torch.Tensor) -> torch.Tensor:
        return masked_mean(f_v, vmask)

    @classmethod
    def from_config(cls, cfg, queue_size: int) -> "SpatialContrastHead":
        return cls(cfg.tau)

    def training_loss(self, x: Features, gather, offset: int, momentum: Momentum | None = None) -> torch.Tensor:
        """The vision target pooled in its mask against every radio bin (no momentum encoders: no queue)."""
        return self.loss(x.f_r, self.vision_embedding(x.f_v, x.vmask), x.valid_r, gather, offset)

    def loss(self, f_r: torch.Tensor, z_v: torch.Tensor, valid_r: torch.Tensor, gather, offset: int) -> torch.Tensor:
        """Bidirectional CE over S / tau. Rows: local radio vs all (gathered) vision; columns: all radio vs local
        vision; with one process this is the plain B x B loss, with several the same loss of the global batch."""
        f_all, z_all = gather(f_r), gather(z_v)
        n = f_r.shape[0]
        target = torch.arange(offset, offset + n, device=f_r.device)
        rows = correspondence_scores(z_all, f_r, valid_r) / self.tau  # (n, B)
        cols = correspondence_scores(z_v, f_all, valid_r).t() / self.tau  # (n, B): local vision vs all radio
        return 0.5 * (F.cross_entropy(rows, target) + F.cross_entropy(cols, target))

    def attention(self, f_r: torch.Tensor, z_v: torch.Tensor) -> torch.Tensor:
        """A(u) = cos(z_v, f_r(u)) for each sample's own pair -> (B, h, w)."""
        return torch.einsum("bc,bchw->bhw", F.normalize(z_v, dim=1), F.normalize(f_r, dim=1))
