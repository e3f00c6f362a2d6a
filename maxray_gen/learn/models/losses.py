"""The contrastive objectives as pure functions of embeddings (hand-checkable on tiny tensors)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def info_nce(query: torch.Tensor, positive: torch.Tensor, negatives: torch.Tensor, tau: float) -> torch.Tensor:
    """MoCo InfoNCE: -log softmax of [q.k+, q.n_1, ..., q.n_K] / tau at the positive, averaged over the batch.

    ``query``/``positive`` (B, D) and ``negatives`` (K, D) are expected L2-normalised.
    """
    pos = (query * positive).sum(1, keepdim=True)
    logits = torch.cat([pos, query @ negatives.t()], dim=1) / tau
    return F.cross_entropy(logits, torch.zeros(query.shape[0], dtype=torch.long, device=query.device))


def two_queue_info_nce(z_r: torch.Tensor, z_v: torch.Tensor, k_r: torch.Tensor, k_v: torch.Tensor,
                       queue_r: torch.Tensor, queue_v: torch.Tensor, tau: float) -> torch.Tensor:
    """Bidirectional cross-modal InfoNCE with one queue of negatives per modality.

    radio -> vision: query z_r, positive k_v, negatives from the vision queue; vision -> radio alike; averaged.
    """
    return 0.5 * (info_nce(z_r, k_v, queue_v, tau) + info_nce(z_v, k_r, queue_r, tau))


def attention_maps(z_v: torch.Tensor, f_r: torch.Tensor) -> torch.Tensor:
    """Cosine similarity of every vision embedding (Bv, C) with every radio bin of (Br, C, h, w) -> (Br, Bv, h, w)."""
    return torch.einsum("vc,rchw->rvhw", F.normalize(z_v, dim=1), F.normalize(f_r, dim=1))


def correspondence_scores(z_v: torch.Tensor, f_r: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
    """S(r, v) = max over radio bins u of cos(z_v, f_r(u)) -> (Br, Bv); ``valid`` (h, w) excludes padding bins."""
    a = attention_maps(z_v, f_r)
    if valid is not None:
        a = a.masked_fill(~valid.to(a.device), float("-inf"))
    return a.flatten(2).amax(2)


def bidirectional_ce(scores: torch.Tensor, tau: float) -> torch.Tensor:
    """Cross-entropy of ``scores / tau`` with the diagonal as the match, over rows and over columns, averaged."""
    logits = scores / tau
    target = torch.arange(scores.shape[0], device=scores.device)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target))
