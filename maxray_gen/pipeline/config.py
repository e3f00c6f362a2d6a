"""The `generate` section: dataset size, seed, split, radar products, previews, local workers."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from maxray_gen.schema import FieldProblem, StrictModel


class GenerateConfig(StrictModel):
    seed: int = Field(0, ge=0, le=2**63 - 1)
    shards: int = Field(2, ge=1, le=1_000_000)
    samples_per_shard: int = Field(4, ge=1, le=100_000)
    train_fraction: float = Field(0.8, gt=0, lt=1, description="train/validation split, reproducible from the seed")
    radar_products: tuple[str, ...] = Field(("range_azimuth", "range_doppler"),
                                            description="range_azimuth (always), range_doppler, rad_cube")
    previews: int = Field(4, ge=0, le=1000, description="preview PNGs written next to the shards")
    workers: int = Field(1, ge=1, le=256, description="local processes (each renders and traces its own shards)")
    compress_training_data: bool = Field(False, description="LZF-compress RGB and heatmaps: ~3x smaller RGB, but "
                                                             "5-8x slower to read (depth, ids, lidar: always)")

    frames_per_sequence: int = Field(1, ge=1, le=100_000, description="consecutive frames per layout (1: "
                                                                       "independent samples)")
    frame_rate_hz: float = Field(30.0, gt=0, le=10_000, description="frame rate of sequences")

    @model_validator(mode="after")
    def _whole_sequences(self):
        if self.samples_per_shard % self.frames_per_sequence:
            raise FieldProblem("frames_per_sequence", f"{self.frames_per_sequence} frames per sequence do not divide "
                               f"samples_per_shard {self.samples_per_shard}: a shard must hold whole sequences")
        return self

    @field_validator("radar_products")
    @classmethod
    def _products(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        from maxray_gen.radar.processing import PRODUCTS

        unknown = sorted(set(v) - set(PRODUCTS))
        if unknown:
            raise ValueError(f"unknown radar products {unknown}; choose from {list(PRODUCTS)}")
        return tuple(["range_azimuth"] + [p for p in PRODUCTS if p in v and p != "range_azimuth"])

    @property
    def total_samples(self) -> int:
        return self.shards * self.samples_per_shard
