"""The radio-visual model: two spatial backbones and one method head (CL, MCL or SCL)."""

from __future__ import annotations

import copy

import torch
from torch import nn

from maxray_gen.learn.models.backbones import SpatialBackbone
from maxray_gen.learn.models.cl import ContrastiveHead
from maxray_gen.learn.config import SSLConfig
from maxray_gen.learn.models.head import Features, MethodHead
from maxray_gen.learn.data.inputs import valid_feature_mask
from maxray_gen.learn.models.masks import box_feature_mask, box_pixel_mask, masked_mean
from maxray_gen.learn.models.mcl import MaskedContrastiveHead
from maxray_gen.learn.models.scl import SpatialContrastHead


def _identity(x: torch.Tensor) -> torch.Tensor:
    return x


HEADS = {"cl": ContrastiveHead, "mcl": MaskedContrastiveHead, "scl": SpatialContrastHead}


def make_head(cfg: SSLConfig, queue_size: int) -> MethodHead:
    """The method head of ``cfg.method`` (CL and MCL: projectors and queues; SCL: the temperature only)."""
    return HEADS[cfg.method].from_config(cfg, queue_size)


class RadioVisualModel(nn.Module):
    """``forward(radio, image, boxes)`` -> loss. ``radio_hw``/``image_hw`` are the unpadded input sizes (the
    padding is excluded from pooling and from the attention maximum)."""

    def __init__(self, cfg: SSLConfig, radio_hw: tuple[int, int], image_hw: tuple[int, int], queue_size: int):
        super().__init__()
        self.cfg = cfg
        self.radio_hw, self.image_hw = tuple(radio_hw), tuple(image_hw)
        coords = cfg.backbone.coordinates
        self.radio = SpatialBackbone(1, cfg.backbone, padding_mode=cfg.backbone.radio_padding,
                                     local=cfg.backbone.radio_field == "local", coordinates=coords in ("both", "radio"))
        self.vision = SpatialBackbone(3, cfg.backbone, coordinates=coords in ("both", "vision"))
        self.head: MethodHead = make_head(cfg, queue_size)
        self.ema = None
        if cfg.ema_momentum is not None:
            self.ema = nn.ModuleDict({"radio": copy.deepcopy(self.radio), "vision": copy.deepcopy(self.vision),
                                      **{k: copy.deepcopy(m) for k, m in self.head.projectors().items()}})
            self.ema.requires_grad_(False)

    def encode(self, radio: torch.Tensor, image: torch.Tensor, modules=None) -> tuple[torch.Tensor, torch.Tensor]:
        """(radio, vision) feature maps as float32 (``modules``: other encoders, e.g. the momentum ones)."""
        r_net, v_net = modules or (self.radio, self.vision)
        return r_net(radio).float(), v_net(image).float()

    def vision_view(self, image: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
        """The image the vision encoder sees: as is, or gamma * image with ``vision_input: masked`` (standardised
        pixels, so 0 is the mean colour)."""
        if self.cfg.vision_input != "masked":
            return image
        gamma = box_pixel_mask(boxes, tuple(image.shape[-2:]), self.cfg.box_pad_px, self.image_hw)
        return image * gamma.to(device=image.device, dtype=image.dtype)

    def valid_masks(self, f_r: torch.Tensor, f_v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return (valid_feature_mask(self.radio_hw).to(f_r.device), valid_feature_mask(self.image_hw).to(f_v.device))

    def target_mask(self, boxes: torch.Tensor, f_v: torch.Tensor) -> torch.Tensor:
        return box_feature_mask(boxes, tuple(f_v.shape[-2:]), 8, self.cfg.box_pad_px, self.cfg.feature_pad,
                                image_hw=self.image_hw).to(f_v.device)

    def forward(self, radio: torch.Tensor, image: torch.Tensor, boxes: torch.Tensor, gather=_identity,
                offset: int = 0) -> torch.Tensor:
        image = self.vision_view(image, boxes)
        f_r, f_v = self.encode(radio, image)
        valid_r, valid_v = self.valid_masks(f_r, f_v)
        x = Features(f_r, f_v, valid_r, valid_v, self.target_mask(boxes, f_v))

        def momentum() -> tuple[Features, dict[str, nn.Module]]:
            self._momentum_update()
            g_r, g_v = self.encode(radio, image, (self.ema["radio"], self.ema["vision"]))
            return (Features(g_r, g_v, valid_r, valid_v, x.vmask),
                    {k: self.ema[k] for k in self.head.projectors()})

        return self.head.training_loss(x, gather, offset, momentum if self.ema is not None else None)

    @torch.no_grad()
    def _momentum_update(self) -> None:
        m = self.cfg.ema_momentum
        online = {"radio": self.radio, "vision": self.vision, **self.head.projectors()}
        for name, module in online.items():
            for pk, pq in zip(self.ema[name].parameters(), module.parameters()):
                pk.mul_(m).add_(pq.detach(), alpha=1 - m)

    @torch.no_grad()
    def attention(self, radio: torch.Tensor, image: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
        """Each sample's radio attention map for its own (masked) vision target -> (B, h, w); padding = -inf."""
        f_r, f_v = self.encode(radio, self.vision_view(image, boxes))
        valid_r, _ = self.valid_masks(f_r, f_v)
        pooled_v = masked_mean(f_v, self.target_mask(boxes, f_v))  # SCL uses it as is, CL/MCL project it first
        a = self.head.attention(f_r, pooled_v)
        return a.masked_fill(~valid_r, float("-inf"))

    @torch.no_grad()
    def features(self, radio: torch.Tensor, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.encode(radio, image)
