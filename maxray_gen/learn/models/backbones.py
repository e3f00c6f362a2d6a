"""VGG-M-like spatial encoders with average pooling (appendix D): C x H/8 x W/8 feature maps."""

from __future__ import annotations

import torch
from torch import nn

from maxray_gen.learn.config import BackboneConfig

HIDDEN = (96, 256, 512, 512)


def _norm(kind: str, ch: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(ch)
    if kind == "group":
        return nn.GroupNorm(min(32, ch), ch)
    return nn.Identity()


class SpatialBackbone(nn.Module):
    """conv7/2 - avgpool2 - conv5 - avgpool2 - conv3 - conv3 - conv3 -> ``out_channels`` (stride 8).

    Every layer is padded "same" and pools use ``ceil_mode``, so an input of H x W gives ceil(H/8) x ceil(W/8);
    the last convolution has no activation (features are compared by cosine similarity).
    """

    stride = 8

    def __init__(self, in_channels: int, cfg: BackboneConfig = BackboneConfig(), padding_mode: str = "zeros",
                 local: bool = False, coordinates: bool = False):
        """``local``: the last three convolutions are 1 x 1 (receptive field 29 x 29 input pixels instead of
        77 x 77), for a radio encoder whose features describe only their neighbourhood. ``coordinates``: append
        the row/column coordinate channels to the input."""
        super().__init__()
        self.coordinates = coordinates
        in_channels += 2 if coordinates else 0
        c1, c2, c3, c4 = (max(4, int(round(c * cfg.width))) for c in HIDDEN)

        def block(cin, cout, k, s=1):
            return [nn.Conv2d(cin, cout, k, stride=s, padding=k // 2, padding_mode=padding_mode), _norm(cfg.norm, cout),
                    nn.ReLU(inplace=True)]

        k = 1 if local else 3
        #: input pixels (square) one output feature depends on: 29 after conv7/2-pool2-conv5-pool2, and each of
        #: the three k x k convolutions at stride 8 adds (k - 1) * 8
        self.receptive_field = 29 + 3 * (k - 1) * 8
        self.features = nn.Sequential(
            *block(in_channels, c1, 7, 2), nn.AvgPool2d(2, ceil_mode=True),
            *block(c1, c2, 5), nn.AvgPool2d(2, ceil_mode=True),
            *block(c2, c3, k), *block(c3, c4, k),
            nn.Conv2d(c4, cfg.out_channels, k, padding=k // 2, padding_mode=padding_mode),
        )
        self.out_channels = cfg.out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.coordinates:
            x = torch.cat([x, coordinate_channels(x)], dim=1)
        return self.features(x)


def coordinate_channels(x: torch.Tensor) -> torch.Tensor:
    """(B, 2, H, W): row and column coordinates of each pixel centre, -1 at the first and +1 at the last."""
    b, _, h, w = x.shape
    rows = torch.linspace(-1.0, 1.0, h, dtype=x.dtype, device=x.device)
    cols = torch.linspace(-1.0, 1.0, w, dtype=x.dtype, device=x.device)
    grid = torch.stack(torch.meshgrid(rows, cols, indexing="ij"))
    return grid.expand(b, 2, h, w)
