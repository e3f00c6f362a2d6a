"""Target masks on the feature grid from image boxes (MCL/SCL pool the vision features inside them)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _padded(b: torch.Tensor, pad_px: float, lim_w: float, lim_h: float) -> tuple[torch.Tensor, ...]:
    """x0, y0, x1, y1 of (B, 4) boxes padded by ``pad_px`` and clipped to [0, lim_w] x [0, lim_h]."""
    return ((b[:, 0] - pad_px).clamp(0, lim_w), (b[:, 1] - pad_px).clamp(0, lim_h),
            (b[:, 2] + pad_px).clamp(0, lim_w), (b[:, 3] + pad_px).clamp(0, lim_h))


def box_feature_mask(boxes: torch.Tensor, feat_hw: tuple[int, int], stride: int = 8, pad_px: int = 5,
                     pad_features: int = 1, image_hw: tuple[int, int] | None = None) -> torch.Tensor:
    """(B, h, w) bool masks of the feature cells a box (x0, y0, x1, y1 in input pixels) covers.

    The box is first padded by ``pad_px`` pixels (clipped to the image), a cell is in the mask when its block
    [s i, s i + s) x [s j, s j + s) overlaps the padded box, then the mask is dilated by ``pad_features`` cells.
    A box with NaNs (no target) gives the whole valid image.
    """
    h, w = feat_hw
    b = boxes.detach().float().cpu()
    lim_w, lim_h = (image_hw[1], image_hw[0]) if image_hw else (w * stride, h * stride)
    x0, y0, x1, y1 = _padded(b, pad_px, lim_w, lim_h)
    cx = torch.arange(w, dtype=torch.float32) * stride
    cy = torch.arange(h, dtype=torch.float32) * stride
    col = (cx[None] < x1[:, None]) & (cx[None] + stride > x0[:, None])
    row = (cy[None] < y1[:, None]) & (cy[None] + stride > y0[:, None])
    mask = row[:, :, None] & col[:, None, :]
    if pad_features > 0:
        k = 2 * pad_features + 1
        mask = F.max_pool2d(mask[:, None].float(), k, stride=1, padding=pad_features)[:, 0] > 0
    nan = torch.isnan(b).any(dim=1)
    if nan.any():
        full = torch.zeros(h, w, dtype=torch.bool)
        full[: -(-lim_h // stride), : -(-lim_w // stride)] = True
        mask[nan] = full
    empty = ~mask.flatten(1).any(1)
    if empty.any():  # a box entirely outside the image: fall back to the whole image
        mask[empty] = True
    return mask


def box_pixel_mask(boxes: torch.Tensor, hw: tuple[int, int], pad_px: int = 5,
                   image_hw: tuple[int, int] | None = None) -> torch.Tensor:
    """(B, 1, H, W) float mask gamma of the paper's gamma * v: 1 on the pixels of the box (x0, y0, x1, y1, padded
    by ``pad_px`` and clipped to the unpadded image ``image_hw``), 0 elsewhere. A box with NaNs (no target) or
    one entirely outside the image keeps the whole image, as :func:`box_feature_mask` does."""
    h, w = hw
    lim_h, lim_w = image_hw if image_hw else (h, w)
    b = boxes.detach().float().cpu()
    x0, y0, x1, y1 = _padded(b, pad_px, lim_w, lim_h)
    cx = torch.arange(w, dtype=torch.float32) + 0.5
    cy = torch.arange(h, dtype=torch.float32) + 0.5
    col = (cx[None] > x0[:, None]) & (cx[None] < x1[:, None])
    row = (cy[None] > y0[:, None]) & (cy[None] < y1[:, None])
    mask = row[:, :, None] & col[:, None, :]
    keep = torch.isnan(b).any(dim=1) | ~mask.flatten(1).any(1)
    if keep.any():
        full = torch.zeros(h, w, dtype=torch.bool)
        full[:lim_h, :lim_w] = True
        mask[keep] = full
    return mask[:, None].float()


def masked_mean(features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Average (B, C, h, w) features over the cells of (B, h, w) ``mask`` (or an (h, w) mask for all)."""
    m = mask.to(features.dtype)
    if m.dim() == 2:
        m = m.expand(features.shape[0], *m.shape)
    m = m[:, None]
    return (features * m).sum((2, 3)) / m.sum((2, 3)).clamp_min(1.0)
