"""Network inputs from dataset samples, and the exact map from feature bins back to range and azimuth.

Coordinates are continuous pixel coordinates with pixel k covering [k, k + 1) (centre k + 0.5). A backbone of
stride s gives feature cell i the input block [s i, s i + s), centre s i + s / 2. A heatmap of R native rows
resized to H rows maps native row index r (centre r + 0.5) to pixel coordinate (r + 0.5) H / R; bilinear
resizing with ``align_corners=False`` uses exactly this map, so upsampling an attention map by the stride and then
resizing it to the native grid puts every value where the geometry says it belongs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from maxray_gen.learn.config import InputConfig

STRIDE = 8
IMAGE_MEAN = (0.485, 0.456, 0.406)
IMAGE_STD = (0.229, 0.224, 0.225)


def normalise_heatmap(power: torch.Tensor, scale: str = "log", dynamic_range_db: float = 40.0,
                      reference: str = "peak") -> torch.Tensor:
    """Per-sample power (..., R, A) -> [0, 1].

    ``log``: dB relative to the reference, clipped to ``dynamic_range_db`` and scaled to [0, 1]: with ``peak``
    the range is [peak - DR, peak]; with ``noise`` it is [floor, floor + DR], the floor being the map's median
    (targets fill few bins, so the median is the noise/clutter level). ``linear``: power over the peak.
    """
    flat = power.flatten(-2)
    peak = flat.amax(-1).clamp_min(1e-30)[..., None, None]
    if scale == "linear":
        return power / peak
    if reference == "noise":
        floor = flat.median(-1).values.clamp_min(1e-30)[..., None, None]
        db = 10 * torch.log10((power / floor).clamp_min(1e-30))
        return db.clamp(0, dynamic_range_db) / dynamic_range_db
    db = 10 * torch.log10((power / peak).clamp_min(1e-30))
    return (db.clamp_min(-dynamic_range_db) + dynamic_range_db) / dynamic_range_db


def pad_to_stride(x: torch.Tensor, stride: int = STRIDE, value: float = 0.0) -> torch.Tensor:
    """Pad (..., H, W) at the bottom/right to multiples of ``stride``."""
    h, w = x.shape[-2:]
    return F.pad(x, (0, -w % stride, 0, -h % stride), value=value)


def resize(x: torch.Tensor, size: tuple[int, int] | None) -> torch.Tensor:
    """Bilinear resize of (B, C, H, W) with ``align_corners=False`` (no-op for ``None`` or the same size)."""
    if size is None or tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x, size=tuple(size), mode="bilinear", align_corners=False, antialias=False)


def feature_shape(hw: tuple[int, int], stride: int = STRIDE) -> tuple[int, int]:
    return (-(-hw[0] // stride), -(-hw[1] // stride))


def valid_feature_mask(hw: tuple[int, int], stride: int = STRIDE) -> torch.Tensor:
    """(h, w) bool: feature cells whose block starts inside the unpadded input."""
    h, w = feature_shape(hw, stride)
    rows = torch.arange(h) * stride < hw[0]
    cols = torch.arange(w) * stride < hw[1]
    return rows[:, None] & cols[None, :]


@dataclass(frozen=True)
class RadioInput:
    """Radio input geometry: native heatmap grid -> (optionally resized) network input -> features."""

    range_m: np.ndarray  # native axes of the heatmap
    azimuth_rad: np.ndarray
    size: tuple[int, int]  # network input size before padding
    background: np.ndarray | None = None  # (R, A) power every map is divided by (``radio_background: median``)

    @classmethod
    def from_axes(cls, axes: dict, cfg: InputConfig, background=None) -> "RadioInput":
        """The geometry of ``axes`` under ``cfg``; ``background`` (the training split's median map, from
        :func:`maxray_gen.learn.data.batches.background_map` or a checkpoint) is required with ``radio_background: median``."""
        r, a = np.asarray(axes["range_m"]), np.asarray(axes["azimuth_rad"])
        bg = None
        if cfg.radio_background == "median":
            if background is None:
                raise ValueError("radio_background 'median' needs the training split's background map")
            bg = np.asarray(background, dtype=np.float32)
            if bg.shape != (len(r), len(a)):
                raise ValueError(f"background map {bg.shape} does not match the heatmap grid {(len(r), len(a))}")
        return cls(r, a, tuple(cfg.radio_size) if cfg.radio_size else (len(r), len(a)), bg)

    @property
    def native(self) -> tuple[int, int]:
        return (len(self.range_m), len(self.azimuth_rad))

    def feature_to_native(self, fi: np.ndarray, fj: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fractional native bin indices of feature cell centres (fi, fj may be fractional)."""
        return (self._pix_to_native(STRIDE * (np.asarray(fi) + 0.5), 0),
                self._pix_to_native(STRIDE * (np.asarray(fj) + 0.5), 1))

    def native_to_feature(self, ni: np.ndarray, nj: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Inverse of :meth:`feature_to_native` (fractional feature indices)."""
        return ((np.asarray(ni) + 0.5) * self.size[0] / self.native[0] / STRIDE - 0.5,
                (np.asarray(nj) + 0.5) * self.size[1] / self.native[1] / STRIDE - 0.5)

    def _pix_to_native(self, p: np.ndarray, axis: int) -> np.ndarray:
        return p * self.native[axis] / self.size[axis] - 0.5

    def bins_to_polar(self, ni: np.ndarray, nj: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fractional native bins -> (range m, azimuth rad), linear between bin centres."""
        return (np.interp(ni, np.arange(len(self.range_m)), self.range_m),
                np.interp(nj, np.arange(len(self.azimuth_rad)), self.azimuth_rad))

    def polar_to_bins(self, range_m: np.ndarray, azimuth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (np.interp(range_m, self.range_m, np.arange(len(self.range_m))),
                np.interp(azimuth, self.azimuth_rad, np.arange(len(self.azimuth_rad))))

    def to_native(self, maps: torch.Tensor) -> torch.Tensor:
        """Feature-grid maps (B, h, w) -> native heatmap grid (B, R, A): upsample by the stride, drop the padding,
        undo the resize (all bilinear, ``align_corners=False``)."""
        hv, wv = feature_shape(self.size)
        maps = F.pad(maps[:, None, :hv, :wv].float(), (0, maps.shape[-1] - wv, 0, maps.shape[-2] - hv),
                     mode="replicate")  # padding cells repeat their valid neighbours
        up = F.interpolate(maps, scale_factor=STRIDE, mode="bilinear", align_corners=False)
        up = up[..., : self.size[0], : self.size[1]]
        return resize(up, self.native)[:, 0]

    def prepare(self, power: torch.Tensor, cfg: InputConfig) -> torch.Tensor:
        """Heatmap power (B, 1, R, A) -> normalised, resized, padded network input (divided by the background
        map first when there is one, then by each range's median over azimuth with ``radio_range_profile``)."""
        power = power.float()
        if self.background is not None:
            power = power / torch.from_numpy(self.background).clamp_min(1e-30)
        if cfg.radio_range_profile:  # each range's own level over azimuth (the weather's clutter) to 1
            power = power / power.median(dim=-1, keepdim=True).values.clamp_min(1e-30)
        x = normalise_heatmap(power, cfg.radio_scale, cfg.dynamic_range_db, cfg.radio_reference)
        return pad_to_stride(resize(x, self.size if self.size != self.native else None))


def stored_background(ck: dict) -> np.ndarray | None:
    """The background map a checkpoint (SSL model or localiser) was trained with, or None."""
    bg = ck.get("background")
    return None if bg is None else bg.numpy()


def over_background(power: np.ndarray, background: np.ndarray | None) -> np.ndarray:
    """Heatmap power (..., R, A) as float64, divided by a per-bin ``background`` map (R, A) when given (the numpy
    counterpart of the division in :meth:`RadioInput.prepare`)."""
    p = np.asarray(power, dtype=np.float64)
    return p if background is None else p / np.maximum(np.asarray(background, dtype=np.float64), 1e-30)


def polar_to_cartesian(range_m: np.ndarray, azimuth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ground-plane (x right, y forward) from range and azimuth (positive to the right)."""
    return np.asarray(range_m) * np.sin(azimuth), np.asarray(range_m) * np.cos(azimuth)


def cartesian_to_polar(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.hypot(x, y), np.arctan2(x, y)


def prepare_image(rgb: torch.Tensor, size: tuple[int, int] | None,
                  boxes: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """uint8 (B, 3, H, W) -> standardised float, resized and padded; boxes (B, 4) x0 y0 x1 y1 scaled alike."""
    x = rgb.float() / 255.0
    mean = torch.tensor(IMAGE_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGE_STD).view(1, 3, 1, 1)
    h, w = x.shape[-2:]
    x = resize((x - mean) / std, size)
    if boxes is not None and size is not None:
        sx, sy = size[1] / w, size[0] / h
        boxes = boxes * torch.tensor([sx, sy, sx, sy], dtype=boxes.dtype)
    return pad_to_stride(x), boxes
