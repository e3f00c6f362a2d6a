"""CL: global-pooled radio and vision embeddings, 2-layer MLP projectors, two-queue bidirectional InfoNCE."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from maxray_gen.learn.models.head import Features, MethodHead, Momentum
from maxray_gen.learn.models.losses import info_nce
from maxray_gen.learn.models.masks import masked_mean
from maxray_gen.learn.models.queues import EmbeddingQueue


def projector(channels: int, dim: int) -> nn.Sequential:
    """2-layer MLP (C -> C -> dim), applied to pooled features or per feature bin."""
    return nn.Sequential(nn.Linear(channels, channels), nn.ReLU(inplace=True), nn.Linear(channels, dim))


class ContrastiveHead(MethodHead):
    """CL head: radio and vision pooled over the whole (valid) feature map. MCL overrides the vision pooling."""

    masked_vision = False

    def __init__(self, channels: int, dim: int, queue_size: int, tau: float, seed: int = 0):
        super().__init__()
        self.proj_r, self.proj_v = projector(channels, dim), projector(channels, dim)
        self.queue_r = EmbeddingQueue(queue_size, dim, seed=seed + 1)
        self.queue_v = EmbeddingQueue(queue_size, dim, seed=seed + 2)
        self.tau = tau

    def embed(self, f_r, f_v, valid_r, valid_v, vmask, proj_r=None, proj_v=None):
        """Normalised (radio, vision) embeddings; the vision one pooled inside ``vmask`` when masked."""
        pr = masked_mean(f_r, valid_r)
        pv = masked_mean(f_v, vmask if self.masked_vision else valid_v)
        return (F.normalize((proj_r or self.proj_r)(pr), dim=1), F.normalize((proj_v or self.proj_v)(pv), dim=1))

    @classmethod
    def from_config(cls, cfg, queue_size: int) -> "ContrastiveHead":
        return cls(cfg.backbone.out_channels, cfg.embed_dim, queue_size, cfg.tau, seed=cfg.seed)

    def projectors(self) -> dict[str, nn.Module]:
        return {"proj_r": self.proj_r, "proj_v": self.proj_v}

    def training_loss(self, x: Features, gather, offset: int, momentum: Momentum | None = None) -> torch.Tensor:
        """Queries from this batch; keys from the same encoders, or from the momentum encoders when given."""
        z_r, z_v = self.embed(x.f_r, x.f_v, x.valid_r, x.valid_v, x.vmask)
        if momentum is None:
            k_r, k_v = z_r, z_v
        else:
            with torch.no_grad():
                g, proj = momentum()
                k_r, k_v = self.embed(g.f_r, g.f_v, g.valid_r, g.valid_v, g.vmask, proj["proj_r"], proj["proj_v"])
        return self.loss(z_r, z_v, k_r, k_v, gather)

    def loss(self, z_r, z_v, k_r, k_v, gather) -> torch.Tensor:
        """Two-queue InfoNCE on local queries; keys of the whole (gathered) batch enter the queues after."""
        loss = 0.5 * (info_nce(z_r, k_v, self.queue_v.items.clone(), self.tau)
                      + info_nce(z_v, k_r, self.queue_r.items.clone(), self.tau))
        self.queue_r.enqueue(gather(k_r.detach()))
        self.queue_v.enqueue(gather(k_v.detach()))
        return loss

    def attention(self, f_r, pooled_v) -> torch.Tensor:
        """cos(projected vision target, projected radio bin) for each sample's own pair -> (B, h, w).

        ``pooled_v`` (B, C) is the vision feature pooled over the target (the backbone's channels): it goes through
        the vision projector like the training embedding does, each radio bin through the radio projector."""
        per_bin = self.proj_r(f_r.permute(0, 2, 3, 1))  # (B, h, w, D)
        z_v = self.proj_v(pooled_v)
        return torch.einsum("bhwd,bd->bhw", F.normalize(per_bin, dim=-1), F.normalize(z_v, dim=1))
