"""The paper's analyses: self-label vs groundtruth histograms (fig. 5), representation dimensionality spectra
(appendix B), and the RF-blur illustration (appendix A)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from maxray_gen.learn.data.batches import BatchPreparer, open_split
from maxray_gen.learn.training.localiser import groundtruth_positions
from maxray_gen.learn.experiments.selflabels import read_selflabels


def selflabel_histograms(data: Path, selflabels: Path, range_bins: int = 10, azimuth_bins: int = 12) -> tuple[dict, dict]:
    """Counts of groundtruth and self-label positions over equal range and azimuth bins, per split.

    Returns (hists[split][gt_range|self_range|gt_azimuth|self_azimuth], edges[range (m)|azimuth (deg)]).
    """
    table = read_selflabels(selflabels)
    lookup = {int(i): k for k, i in enumerate(table["index"])}
    hists, edges = {}, None
    for split in ("train", "val"):
        ds, axes = open_split(Path(data), split, ("objects", "target"))
        if edges is None:
            edges = {"range": np.linspace(axes["range_m"][0], axes["range_m"][-1], range_bins + 1),
                     "azimuth": np.degrees(np.linspace(axes["azimuth_rad"][0], axes["azimuth_rad"][-1],
                                                       azimuth_bins + 1))}
        idx, gt = groundtruth_positions(ds)
        rows = [lookup[int(i)] for i in idx if int(i) in lookup]
        gr, ga = np.hypot(*gt.T), np.degrees(np.arctan2(gt[:, 0], gt[:, 1]))
        sr, sa = table["range_m"][rows], np.degrees(table["azimuth_rad"][rows])
        hists[split] = {"gt_range": np.histogram(gr, edges["range"])[0],
                        "self_range": np.histogram(sr, edges["range"])[0],
                        "gt_azimuth": np.histogram(ga, edges["azimuth"])[0],
                        "self_azimuth": np.histogram(sa, edges["azimuth"])[0]}
    return hists, edges


def covariance_spectra(features: torch.Tensor) -> dict[str, np.ndarray]:
    """Sorted eigenvalues (= singular values, the matrices being symmetric PSD) of the centred covariances of
    (N, C, h, w) features: over channels (C x C, one vector per sample and bin) and over spatial bins
    (hw x hw, one vector per sample and channel). Computed from the data matrices' singular values."""
    n, c, h, w = features.shape
    x = features.double()
    per_channel = x.permute(0, 2, 3, 1).reshape(-1, c)
    per_bin = x.reshape(n * c, h * w)
    out = {}
    for key, m in (("channel", per_channel), ("spatial", per_bin)):
        m = m - m.mean(0, keepdim=True)
        sv = torch.linalg.svdvals(m) ** 2 / max(m.shape[0] - 1, 1)
        full = np.zeros(m.shape[1])
        full[: len(sv)] = sv.numpy()
        out[key] = np.sort(full)[::-1]
    return out


def representation_spectra(checkpoint: Path, data: Path, modality: str = "radio", split: str = "val",
                           max_samples: int = 512) -> dict[str, np.ndarray]:
    """Appendix B spectra of a trained model's radio or vision feature maps on a split."""
    from maxray_gen.learn.config import SSLConfig
    from maxray_gen.learn.training.train_ssl import model_from_checkpoint, radio_input_of

    model, ck = model_from_checkpoint(checkpoint)
    cfg = SSLConfig.model_validate(ck["config"])
    ds, axes = open_split(Path(data), split, ("rgb", "range_azimuth", "objects", "target"))
    radio = radio_input_of(ck, axes)
    feats, seen = [], 0
    for b in DataLoader(ds, batch_size=32, collate_fn=BatchPreparer(radio, cfg.input)):
        f_r, f_v = model.features(b["radio"], b["image"])
        feats.append(f_r if modality == "radio" else f_v)
        seen += len(f_r)
        if seen >= max_samples:
            break
    return covariance_spectra(torch.cat(feats)[:max_samples])


def effective_rank(eigenvalues: np.ndarray) -> float:
    """exp(entropy) of the normalised spectrum: how many dimensions the representation really uses."""
    p = np.asarray(eigenvalues, dtype=np.float64)
    p = p[p > 0] / p[p > 0].sum()
    return float(np.exp(-(p * np.log(p)).sum()))


def rf_blur(grey: np.ndarray, beamwidth_deg: float, horizontal_fov_deg: float) -> np.ndarray:
    """Appendix A, Eq. 1: the image convolved with h(x, y) = exp(-(x^2 + y^2) / (2 w^2)), w the beamwidth in
    pixels (beamwidth x pixels per degree at the image centre), normalised to unit gain."""
    from scipy.ndimage import gaussian_filter

    px_per_deg = grey.shape[1] / 2 / np.tan(np.radians(horizontal_fov_deg / 2)) * np.radians(1.0)
    return gaussian_filter(np.asarray(grey, dtype=np.float64), sigma=beamwidth_deg * px_per_deg, mode="nearest")


def to_grey(rgb: np.ndarray) -> np.ndarray:
    """ITU-R BT.601 luma of an (H, W, 3) uint8 image, in [0, 1]."""
    return (np.asarray(rgb, dtype=np.float64) @ np.array([0.299, 0.587, 0.114])) / 255.0
