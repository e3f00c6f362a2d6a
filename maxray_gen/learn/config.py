"""Configuration of the learning stages (YAML-loadable, validated, one error naming the field)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_serializer, field_validator, model_validator

from maxray_gen.schema import FieldProblem, StrictModel, load, parse

Method = Literal["cl", "mcl", "scl"]


class InputConfig(StrictModel):
    """How heatmaps and images become network inputs.

    ``radio_size``/``image_size``: ``null`` keeps the native grid (the heatmap's range x azimuth bins, the
    rendered image), ``[H, W]`` resizes bilinearly (the paper feeds both at 480 x 640). Inputs are padded at the
    bottom/right to a multiple of the backbone stride; the mapping from feature bins back to range/azimuth is
    exact either way (see :mod:`maxray_gen.learn.data.inputs`).
    """

    radio_size: tuple[int, int] | None = None
    image_size: tuple[int, int] | None = None
    radio_scale: Literal["log", "linear"] = "log"
    radio_reference: Literal["noise", "peak"] = Field(
        "noise", description="0 dB of the log scale: the map's median (its noise floor), which keeps each echo's "
                             "strength (a range cue), or the map's peak (every map's brightest echo looks alike)")
    dynamic_range_db: float = Field(40.0, gt=0, le=200)
    radio_background: Literal["none", "median"] = Field(
        "none", description="median: every map is divided by the per-bin median of the training split's maps "
                            "before scaling (the lot's static clutter: kerbs, wall, ground), computed once without "
                            "labels and kept with the model; none: maps as generated")

    radio_range_profile: bool = Field(
        False, description="divide each map by its own median over azimuth at every range (after the background): "
                           "the clutter level per range, which changes with the weather (wet or snowy ground, "
                           "rain), is then the same in every map, while echoes narrower than half the azimuth "
                           "span keep their contrast")

    @model_validator(mode="after")
    def _sizes(self):
        for name in ("radio_size", "image_size"):
            v = getattr(self, name)
            if v is not None and min(v) < 8:
                raise FieldProblem(name, f"each side must be at least 8 pixels, got {list(v)}")
        return self


class BackboneConfig(StrictModel):
    """VGG-M-like spatial encoder with average pooling (stride 8, ``out_channels`` x H/8 x W/8).

    ``width`` scales the hidden channel counts (96, 256, 512, 512) for small/quick models; 1.0 is the paper's.
    """

    width: float = Field(1.0, gt=0, le=4)
    out_channels: int = Field(128, ge=1)
    norm: Literal["none", "batch", "group"] = "none"
    coordinates: Literal["none", "both", "radio", "vision"] = Field(
        "none", description="which encoders get two normalised coordinate channels (row, column in [-1, 1]) "
                            "appended to their input (CoordConv), so features can say where they are: an echo's "
                            "range and azimuth (radio), a box's place in the image (vision); true = both, "
                            "false = none")

    @field_validator("coordinates", mode="before")
    @classmethod
    def _coordinates_bool(cls, v):
        """true/false (the option's first form, in older configs and checkpoints) mean both/none."""
        return {True: "both", False: "none"}.get(v, v) if isinstance(v, bool) else v

    @field_serializer("coordinates")
    def _coordinates_dump(self, v: str):
        """none/both are written as false/true, their first form, so configs, checkpoints and reproduce stage keys
        written before the per-encoder values existed stay valid."""
        return {"none": False, "both": True}.get(v, v)
    radio_field: Literal["wide", "local"] = Field(
        "wide", description="receptive field of a radio feature: wide (the paper's backbone: 77 x 77 input pixels, "
                            "most of a 120 x 192 map) or local (the radio encoder's last three convolutions are "
                            "1 x 1: 29 x 29 pixels, about one car's echo), so a bin's feature describes the echo "
                            "there and cannot carry scene-wide cues (weather, clutter, the other cars)")
    radio_padding: Literal["zeros", "replicate"] = Field(
        "replicate", description="convolution padding of the radio encoder; replicate keeps borders from standing "
                                 "out, so the attention maximum follows echoes rather than the map's edges")


class MaskConfig(StrictModel):
    """Where MCL/SCL's target boxes come from: the dataset's groundtruth, or a detector's boxes from the
    detections sidecar (``maxray detect predict``), as on real data without labels."""

    source: Literal["groundtruth", "detections"] = "groundtruth"
    detections: str = Field("yolo", description="sidecar name (DATA/detections/<name>.h5) or an .h5 path")
    pick: Literal["matched", "top"] = Field(
        "matched", description="matched: the detection overlapping the designated target's box most (isolates "
                               "the detector's box quality); top: the most confident detection (single-target "
                               "scenes, as in the paper's real data)")
    min_score: float = Field(0.25, ge=0, le=1, description="detections below this score are not used")


class SSLConfig(StrictModel):
    """Radio-visual self-supervised training (``maxray train ssl``); defaults follow appendix D."""

    method: Method = "scl"
    epochs: int = Field(200, ge=1)
    batch_size: int = Field(32, ge=2)
    batches: Literal["random", "condition"] = Field(
        "random", description="random: shuffled batches; condition: batches of samples that share weather and "
        "lighting, so global cues cannot tell a batch's pairs apart (a deviation from the paper, off by default)")
    mirror: bool = Field(False, description="augmentation: flip image and radio map left-right together "
                         "(azimuth -> -azimuth) for a random half of each epoch's samples; off by default")
    lr: float = Field(1e-5, gt=0)
    optimizer: Literal["adam", "sgd"] = "adam"
    momentum: float = Field(0.9, ge=0, lt=1, description="SGD momentum")
    weight_decay: float = Field(0.0, ge=0)
    train_samples: int | None = Field(
        None, ge=1, json_schema_extra={"added": True},
        description="train on this many of the train split's samples with a target: the first of one fixed "
                    "permutation, so a smaller set is part of every larger one (learning curves); null: all")
    seed: int = Field(0, ge=0)
    input: InputConfig = InputConfig()
    backbone: BackboneConfig = BackboneConfig()
    embed_dim: int = Field(64, ge=1)
    temperature: float | None = Field(None, gt=0, description="null: 0.07 for CL/MCL, 0.1 for SCL")
    queue_size: int | None = Field(None, ge=1, description="null: the (global) batch size")
    ema_momentum: float | None = Field(None, ge=0, lt=1, description="momentum encoders (CL/MCL); null: off")
    masks: MaskConfig = MaskConfig()
    vision_input: Literal["image", "masked"] = Field(
        "image", description="what the vision encoder sees for MCL/SCL: image: the whole image, its features "
        "pooled inside the target's mask (the reference code's reading); masked: the image times the target mask "
        "(gamma * v of appendix C: pixels outside the padded box set to the mean colour), so the target "
        "embedding cannot carry the rest of the scene (other cars, sky, wall)")
    box_pad_px: int = Field(5, ge=0)
    feature_pad: int = Field(1, ge=0)
    workers: int = Field(0, ge=0)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    amp: Literal["auto", "off", "bf16", "fp16"] = "auto"
    channels_last: Literal["auto", "on", "off"] = "auto"
    compile: bool = False
    checkpoint_every: int = Field(1, ge=1, description="epochs between checkpoints")

    @property
    def tau(self) -> float:
        return self.temperature if self.temperature is not None else (0.1 if self.method == "scl" else 0.07)

    @model_validator(mode="after")
    def _method_options(self):
        if self.ema_momentum is not None and self.method == "scl":
            raise FieldProblem("ema_momentum", "momentum encoders apply to CL and MCL (SCL has no queue)")
        if self.vision_input == "masked" and self.method == "cl":
            raise FieldProblem("vision_input", "masked applies to MCL and SCL (CL has no target mask)")
        return self


class LocaliserConfig(StrictModel):
    """The table-2 localiser and its training (``maxray train localiser``)."""

    conv_channels: tuple[int, ...] = (8, 16, 8, 32)
    kernels: tuple[int, ...] = (4, 3, 2, 4)
    strides: tuple[int, ...] = (2, 2, 2, 1)
    linear: tuple[int, ...] = (128, 16, 64, 64)
    activation: Literal["relu", "leakyrelu", "sigmoid", "tanh", "softplus"] = "relu"
    optimizer: Literal["adam", "sgd"] = "adam"
    lr: float = Field(1e-3, gt=0)
    momentum: float = Field(0.948985588, ge=0, le=1, description="SGD momentum / Adam beta1")
    loss: Literal["mse", "l1"] = "mse"
    epochs: int = Field(60, ge=1)
    batch_size: int = Field(32, ge=1)
    weight_decay: float = Field(0.0, ge=0, json_schema_extra={"added": True},
                                description="L2 penalty on the weights (Adam / SGD weight_decay)")
    schedule: Literal["constant", "cosine"] = Field(
        "constant", json_schema_extra={"added": True},
        description="learning rate: constant, or cosine-annealed to zero over the epochs")
    mirror: bool = Field(
        False, json_schema_extra={"added": True},
        description="augmentation: every training map also mirrored left-right with its label (x -> -x); "
                           "the heatmap's azimuth axis is symmetric about boresight, so a mirrored map is the map "
                           "of the mirrored scene")
    select: Literal["last", "best"] = Field(
        "last", json_schema_extra={"added": True},
        description="the weights kept: the last epoch's, or the epoch's with the lowest median error on "
                            "the validation split (never the test split)")
    train_samples: int | None = Field(
        None, ge=1, json_schema_extra={"added": True},
        description="train on this many of the train split's samples with a target: the first of one fixed "
                    "permutation, so a smaller set is part of every larger one (learning curves); null: all")
    seed: int = Field(0, ge=0)
    input: InputConfig = InputConfig()
    workers: int = Field(0, ge=0)
    device: Literal["auto", "cpu", "cuda"] = "auto"

    @model_validator(mode="after")
    def _layers(self):
        n = len(self.conv_channels)
        if n == 0:
            raise FieldProblem("conv_channels", "at least one convolution layer is needed")
        for name in ("kernels", "strides"):
            if len(getattr(self, name)) != n:
                raise FieldProblem(name, f"needs one value per conv layer ({n}), got {len(getattr(self, name))}")
        for name in ("conv_channels", "kernels", "strides", "linear"):
            if any(v < 1 for v in getattr(self, name)):
                raise FieldProblem(name, "values must be positive")
        return self


def load_ssl_config(path: Path | None, **overrides) -> SSLConfig:
    return _load(SSLConfig, path, overrides)


def load_localiser_config(path: Path | None, **overrides) -> LocaliserConfig:
    return _load(LocaliserConfig, path, overrides)


def _load(model, path, overrides):
    base = load(model, path).model_dump() if path is not None else {}
    base.update({k: v for k, v in overrides.items() if v is not None})
    return parse(model, base, str(path) if path else "<options>")
