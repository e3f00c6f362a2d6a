"""Self-coordinates: attention maps of a trained radio-visual model -> peaks -> range/azimuth/Cartesian labels.

`maxray selflabels` writes ``DIR/selflabels/<name>.h5`` next to the dataset: one row per sample with a target
(global sample index, split, peak range/azimuth, Cartesian x/y, peak score, fractional native bins) and the top-k
peaks after non-maximum suppression for scenes with several targets.
"""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np
import torch
from torch.utils.data import DataLoader

from maxray_gen.errors import DataError
from maxray_gen.learn.data.batches import BatchPreparer, open_split
from maxray_gen.learn.data.inputs import RadioInput, over_background, polar_to_cartesian


def find_peaks(score: np.ndarray, k: int = 1, min_distance: tuple[int, int] = (3, 3),
               rel_threshold: float = 0.0) -> np.ndarray:
    """Up to ``k`` peaks of a 2-D map, strongest first, with non-maximum suppression.

    Each pick suppresses a (2 d_r + 1) x (2 d_a + 1) window around it; picking stops when the next maximum is
    below ``rel_threshold`` times the first. Returns (n, 3): row, column, value.
    """
    s = np.array(score, dtype=np.float64, copy=True)
    finite = np.isfinite(s)
    if not finite.any():
        return np.zeros((0, 3))
    s[~finite] = -np.inf
    out = []
    first = None
    for _ in range(k):
        i, j = np.unravel_index(int(np.argmax(s)), s.shape)
        v = s[i, j]
        if not np.isfinite(v):
            break
        if first is None:
            first = v
        elif v < rel_threshold * first:
            break
        out.append((i, j, v))
        s[max(0, i - min_distance[0]): i + min_distance[0] + 1, max(0, j - min_distance[1]): j + min_distance[1] + 1] \
            = -np.inf
    return np.array(out, dtype=np.float64).reshape(-1, 3)


def echo_in_field(power: np.ndarray, peak: tuple[int, int], half_window: tuple[int, int]) -> tuple[int, int]:
    """The brightest bin of ``power`` (R, A) within ``half_window`` (rows, columns) of ``peak``: the echo that the
    attention maximum's radio feature can see (its receptive field), where the label then goes."""
    i, j = int(peak[0]), int(peak[1])
    r0, c0 = max(0, i - half_window[0]), max(0, j - half_window[1])
    win = np.asarray(power)[r0: i + half_window[0] + 1, c0: j + half_window[1] + 1]
    di, dj = np.unravel_index(int(np.argmax(win)), win.shape)
    return r0 + int(di), c0 + int(dj)


def refine_onto_echo(power: np.ndarray, maxima: np.ndarray, background: np.ndarray | None,
                     half_window: tuple[int, int]) -> np.ndarray:
    """(N, 2) bins: for each map of ``power`` (N, R, A), divided by ``background`` when given, the brightest bin
    within ``half_window`` of its attention maximum (``maxima``, (N, 2) bins; see :func:`echo_in_field`)."""
    p = over_background(power, background)
    return np.array([echo_in_field(m, peak, half_window) for m, peak in zip(p, np.asarray(maxima).astype(int))],
                    dtype=np.float64).reshape(-1, 2)


def field_half_window(model, radio: RadioInput) -> tuple[int, int]:
    """Half the radio encoder's receptive field in native heatmap bins (rows, columns), rounded down."""
    half = model.radio.receptive_field / 2
    return (int(half * radio.native[0] / radio.size[0]), int(half * radio.native[1] / radio.size[1]))


class _WithPower:
    """Collate: :class:`BatchPreparer`'s batch plus the raw native maps (B, R, A) as ``power``."""

    def __init__(self, prepare: BatchPreparer):
        self.prepare = prepare

    def __call__(self, items: list[dict]) -> dict:
        out = self.prepare(items)
        power = torch.stack([it["range_azimuth"] for it in items])
        out["power"] = power.reshape(len(items), *self.prepare.radio.native)
        return out


def native_attention(model, radio: RadioInput, batch: dict) -> torch.Tensor:
    """Each sample's attention map on the native heatmap grid (B, R, A)."""
    att = model.attention(batch["radio"], batch["image"], batch["boxes"])
    return radio.to_native(att)


def extract_selflabels(model, ck: dict, data: Path, k: int = 3, batch_size: int = 32,
                       progress: bool = True, masks=None, refine: str = "none") -> dict[str, np.ndarray]:
    """Self-labels for every sample with a target in ``data`` (train and validation). The target masks come from
    ``masks`` (a MaskConfig), by default the ones the model was trained with.

    ``refine``: ``none`` labels the attention maximum (the paper); ``echo`` moves the label to the brightest bin
    of the map (divided by the model's background map, when it has one) within the receptive field of the
    maximum's radio feature, i.e. onto the echo that feature responds to: the contrastive loss only asks the
    maximum to be *somewhere* that sees the target's echo, not on it. The attention maximum is kept as
    ``attention_range_bin`` / ``attention_azimuth_bin`` either way."""
    if refine not in ("none", "echo"):
        raise ValueError(f"refine must be 'none' or 'echo', got {refine!r}")
    from maxray_gen.learn.config import SSLConfig
    from maxray_gen.learn.training.train_ssl import radio_input_of

    cfg = SSLConfig.model_validate(ck["config"])
    ds, axes = open_split(Path(data), "all", ("rgb", "range_azimuth", "objects", "target"),
                          masks=masks if masks is not None else cfg.masks)
    radio = radio_input_of(ck, axes)
    if radio.size != tuple(ck["radio_hw"]):
        raise DataError(f"{data}: heatmap grid {radio.native} does not match the model's input {ck['radio_hw']}")
    loader = DataLoader(ds, batch_size=batch_size, collate_fn=_WithPower(BatchPreparer(radio, cfg.input)))
    min_dist = (max(1, radio.native[0] // 20), max(1, radio.native[1] // 20))
    half = field_half_window(model, radio)
    rows = {"index": [], "range_bin": [], "azimuth_bin": [], "score": [], "peaks": [], "attention_range_bin": [],
            "attention_azimuth_bin": []}
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(ds), desc="self-labels", unit="sample")
    for batch in loader:
        maps = native_attention(model, radio, batch).numpy()
        for idx, m, power in zip(batch["index"].tolist(), maps, batch["power"].numpy()):
            p = find_peaks(m, k, min_dist)
            pk = np.full((k, 3), np.nan)
            pk[: len(p)] = p
            label = pk[0, :2]
            if refine == "echo" and len(p):
                label = echo_in_field(over_background(power, radio.background), p[0, :2], half)
            rows["index"].append(idx)
            rows["range_bin"].append(label[0])
            rows["azimuth_bin"].append(label[1])
            rows["attention_range_bin"].append(pk[0, 0])
            rows["attention_azimuth_bin"].append(pk[0, 1])
            rows["score"].append(pk[0, 2])
            rows["peaks"].append(pk)
        if bar is not None:
            bar.update(len(batch["index"]))
    if bar is not None:
        bar.close()
    out = {key: np.asarray(v) for key, v in rows.items()}
    out["range_m"], out["azimuth_rad"] = radio.bins_to_polar(out["range_bin"], out["azimuth_bin"])
    out["x_m"], out["y_m"] = polar_to_cartesian(out["range_m"], out["azimuth_rad"])
    out["attention_range_m"], out["attention_azimuth_rad"] = radio.bins_to_polar(out["attention_range_bin"],
                                                                                 out["attention_azimuth_bin"])
    return out


def write_selflabels(path: Path, labels: dict[str, np.ndarray], attrs: dict) -> None:
    """Atomic HDF5 write of a self-label table."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with h5py.File(tmp, "w") as h5:
            for k, v in attrs.items():
                h5.attrs[k] = v
            for k, v in labels.items():
                h5.create_dataset(k, data=v)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_selflabels(path: Path) -> dict[str, np.ndarray]:
    """The self-label table as arrays (``index`` = global sample index)."""
    try:
        with h5py.File(path, "r") as h5:
            if "index" not in h5 or "range_m" not in h5:
                raise DataError(f"{path}: not a self-label file (no index/range_m)")
            return {k: h5[k][()] for k in h5}
    except FileNotFoundError:
        raise DataError(f"{path}: self-label file not found (run `maxray selflabels` first)") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read self-labels ({exc})") from None


def attention_preview(model, ck: dict, data: Path, png: Path, masks=None, n: int = 6, split: str = "val",
                      refine: str = "none") -> Path:
    """A PNG of ``n`` samples of ``split``: image with the target box, heatmap, attention map, with the
    groundtruth (o) and the self-label (x) on both maps; with ``refine="echo"`` also the attention maximum (+)
    the label was moved from (see :func:`extract_selflabels`)."""
    from maxray_gen.learn.config import SSLConfig
    from maxray_gen.learn.training.train_ssl import radio_input_of
    from maxray_gen.viz.learn_plots import attention_png

    cfg = SSLConfig.model_validate(ck["config"])
    ds, axes = open_split(Path(data), split, ("rgb", "range_azimuth", "objects", "target"),
                          masks=masks if masks is not None else cfg.masks)
    radio = radio_input_of(ck, axes)
    items = [ds[i] for i in np.unique(np.linspace(0, len(ds) - 1, min(n, len(ds))).round().astype(int))]
    b = _WithPower(BatchPreparer(radio, cfg.input))(items)
    att = native_attention(model, radio, b).numpy()
    maxima = np.array([find_peaks(a, 1)[0, :2] for a in att])
    labels, shown_maxima = maxima, None
    if refine == "echo":
        labels = refine_onto_echo(b["power"].numpy(), maxima, radio.background, field_half_window(model, radio))
        shown_maxima = maxima
    hm = np.stack([10 * np.log10(np.maximum(it["range_azimuth"][0].numpy(), 1e-30)) for it in items])
    return attention_png(hm, att, np.stack([it["rgb"].permute(1, 2, 0).numpy() for it in items]),
                         np.stack([it["target_box"].numpy() for it in items]), b["target_bins"].numpy(), labels,
                         Path(png), maxima=shown_maxima)


def make_selflabels(checkpoint: Path, data: Path, out: Path, preview: Path, masks=None, refine: str = "none",
                    peaks: int = 3, preview_split: str = "all", progress: bool = True) -> dict:
    """The self-label chain, in one place (`maxray selflabels` and `maxray reproduce`): the trained model at
    ``checkpoint`` -> labels of every sample of ``data`` with a target (``masks``: a MaskConfig, default the ones
    the model trained with) -> ``out`` (HDF5, its attributes naming the checkpoint, method, epoch, masks and
    refinement) -> an attention preview PNG at ``preview``. Returns the labels and both paths."""
    from maxray_gen.learn.config import SSLConfig
    from maxray_gen.learn.training.train_ssl import model_from_checkpoint

    model, ck = model_from_checkpoint(checkpoint)
    mask_cfg = masks if masks is not None else SSLConfig.model_validate(ck["config"]).masks
    labels = extract_selflabels(model, ck, data, k=peaks, progress=progress, masks=mask_cfg, refine=refine)
    write_selflabels(out, labels, {"checkpoint": str(checkpoint), "method": ck["config"]["method"],
                                   "epoch": int(ck["epoch"]), "masks": mask_cfg.model_dump_json(), "refine": refine})
    png = attention_preview(model, ck, data, preview, mask_cfg, split=preview_split, refine=refine)
    return {"labels": labels, "out": Path(out), "preview": png}
