"""What a method head is to the radio-visual model (:class:`maxray_gen.learn.models.model.RadioVisualModel`): it turns the
two encoders' feature maps into the training loss and into attention maps, and names the modules that momentum
encoders average. CL and MCL (:mod:`maxray_gen.learn.models.cl`, :mod:`maxray_gen.learn.models.mcl`) and SCL
(:mod:`maxray_gen.learn.models.scl`) implement it; the model never asks which one it holds."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class Features:
    """One batch through the encoders: feature maps, their valid (unpadded) bins, the target's vision mask."""

    f_r: torch.Tensor  # (B, C, h, w) radio
    f_v: torch.Tensor  # (B, C, h', w') vision
    valid_r: torch.Tensor  # (h, w) bool
    valid_v: torch.Tensor  # (h', w') bool
    vmask: torch.Tensor  # (B, h', w') the target's bins in the vision map


# momentum keys: () -> (momentum encoders' Features, {name: momentum copy of each of the head's projectors})
Momentum = Callable[[], tuple[Features, dict[str, nn.Module]]]


class MethodHead(nn.Module, ABC):
    """The interface; subclasses implement :meth:`from_config`, :meth:`training_loss` and :meth:`attention`."""

    @classmethod
    @abstractmethod
    def from_config(cls, cfg, queue_size: int) -> "MethodHead":
        """The head for an :class:`~maxray_gen.learn.config.SSLConfig` (``queue_size``: CL/MCL's negatives)."""

    def projectors(self) -> dict[str, nn.Module]:
        """Modules that momentum encoders keep an averaged copy of (none by default)."""
        return {}

    @abstractmethod
    def training_loss(self, x: Features, gather: Callable[[torch.Tensor], torch.Tensor], offset: int,
                      momentum: Momentum | None = None) -> torch.Tensor:
        """The loss of a batch; ``gather`` collects a tensor over all processes (identity with one), ``offset`` is
        this process's first row in the gathered batch; ``momentum`` gives the momentum encoders' keys."""

    @abstractmethod
    def attention(self, f_r: torch.Tensor, pooled_v: torch.Tensor) -> torch.Tensor:
        """Each sample's radio attention map (B, h, w) for its vision target pooled to (B, C)."""
