"""Configuration of scene sampling, rendering and lidar (the `scene`, `render` and `lidar` sections)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from maxray_gen.schema import FieldProblem, StrictModel

LIGHTINGS = ("day", "dusk", "night")
WEATHERS = ("clear", "rain", "fog", "snow")


class SceneConfig(StrictModel):
    """How parking-lot scenes are randomised (see docs/scenarios.md for the distributions)."""

    min_cars: int = Field(0, ge=0, le=20)
    max_cars: int = Field(20, ge=0, le=20, description="parked cars; the lot has 2 rows x 10 slots")
    min_moving_cars: int = Field(0, ge=0, le=4, description="at least this many cars drive (room is kept for them)")
    max_moving_cars: int = Field(2, ge=0, le=4, description="cars driving along the lane (0..this many)")
    moving_speed_mps: tuple[float, float] = Field((1.0, 6.0), description="speed range of moving cars")
    lighting: dict[str, float] = Field(default_factory=lambda: {"day": 0.5, "dusk": 0.25, "night": 0.25},
                                       description="lighting probabilities")
    weather: dict[str, float] = Field(default_factory=lambda: {"clear": 0.4, "rain": 0.2, "fog": 0.2, "snow": 0.2},
                                      description="weather probabilities")
    basestation_height_m: tuple[float, float] = Field((4.0, 6.0), description="mounting height range")
    look_at_distance_m: float = Field(16.0, gt=2, le=40, description="boresight meets the ground this far ahead")
    blend: str | None = Field(None, description="a tagged .blend scenario (docs/scenarios.md) instead of the "
                                                "randomised lot: its geometry, radio materials and basestation as "
                                                "authored, lighting and weather randomised per sample")
    slot_jitter_m: float = Field(0.15, ge=0, le=0.5)
    yaw_noise_deg: float = Field(3.0, ge=0, le=20)
    lamp_failure: float = Field(0.15, ge=0, le=1, description="probability that a lot lamp is out at dusk/night "
                                "(each lamp on its own): dark corners where cars are labelled but not seen")

    @model_validator(mode="after")
    def _check(self) -> "SceneConfig":
        if self.min_cars > self.max_cars:
            raise FieldProblem("min_cars", f"min_cars {self.min_cars} > max_cars {self.max_cars}")
        if self.min_cars + self.min_moving_cars > self.max_cars:
            raise FieldProblem("min_moving_cars", f"min_cars {self.min_cars} + min_moving_cars "
                                                  f"{self.min_moving_cars} > max_cars {self.max_cars}")
        if self.min_moving_cars > self.max_moving_cars:
            raise FieldProblem("min_moving_cars", f"min_moving_cars {self.min_moving_cars} > max_moving_cars "
                                                  f"{self.max_moving_cars}")
        for field, table, names in (("lighting", self.lighting, LIGHTINGS), ("weather", self.weather, WEATHERS)):
            unknown = sorted(set(table) - set(names))
            if unknown:
                raise FieldProblem(field, f"unknown {field} {unknown}; choose from {list(names)}")
            if any(p < 0 for p in table.values()) or sum(table.values()) <= 0:
                raise FieldProblem(field, f"{field} probabilities must be >= 0 and not all zero, got {table}")
        lo, hi = self.moving_speed_mps
        if not 0 <= lo <= hi <= 15:
            raise FieldProblem("moving_speed_mps", f"need 0 <= low <= high <= 15 m/s, got {lo}, {hi}")
        lo, hi = self.basestation_height_m
        if not 1.0 <= lo <= hi <= 30:
            raise FieldProblem("basestation_height_m", f"need 1 <= low <= high <= 30 m, got {lo}, {hi}")
        return self


class CameraConfig(StrictModel):
    width: int = Field(640, ge=8, le=8192)
    height: int = Field(480, ge=8, le=8192)
    horizontal_fov_deg: float = Field(90.0, gt=10, lt=170)
    min_visibility: float = Field(0.15, ge=0, le=100, description="photometric visibility (RMS contrast against "
                                  "the surroundings in the rendered image) below which a car counts as not seen by "
                                  "the camera: exports skip it, detector evaluation ignores it, SSL targets avoid it")


class RenderConfig(StrictModel):
    """Cycles settings. GPU (OptiX, then CUDA) is used when present unless ``device: cpu``."""

    # The default quality (6 samples, OIDN 'fast', since 2026-12-03) renders a 20-car 640x480 frame 22-27 % faster
    # than the previous default (8 samples, OIDN 'high') for 14-17 % more RMS error against a 64-sample render, hard
    # to see side by side (docs/performance.md, "Render time against image error"); it keeps such a frame under
    # 6 s on 2 CPU cores in every weather.
    samples: int = Field(6, ge=1, le=4096, description="Cycles samples per pixel (denoised)")
    denoise: bool = True
    denoise_quality: Literal["high", "balanced", "fast"] = Field(
        "fast", description="OpenImageDenoise quality: 'high' costs ~0.5 s more per 640x480 frame on 2 cores for "
                            "a few per cent less error against a converged render (docs/performance.md)")
    device: Literal["auto", "cpu", "gpu"] = "auto"
    max_bounces: int = Field(3, ge=0, le=32)
    threads: int = Field(0, ge=0, le=1024, description="CPU threads (0: all)")


class LidarConfig(StrictModel):
    """A spinning lidar co-located with the basestation (mounted at its position, level with the horizon)."""

    enabled: bool = True
    channels: int = Field(32, ge=1, le=256)
    vertical_fov_deg: tuple[float, float] = Field((-30.0, 10.0))
    horizontal_resolution_deg: float = Field(0.4, gt=0.01, le=10)
    horizontal_fov_deg: float = Field(120.0, gt=1, le=360, description="centred on the basestation heading")
    max_range_m: float = Field(80.0, gt=1, le=500)
    range_noise_m: float = Field(0.02, ge=0, le=1)
    dropout: float = Field(0.02, ge=0, lt=1, description="random loss probability per return")

    @model_validator(mode="after")
    def _check(self) -> "LidarConfig":
        lo, hi = self.vertical_fov_deg
        if not -90 <= lo < hi <= 90:
            raise FieldProblem("vertical_fov_deg", f"need -90 <= low < high <= 90 deg, got {lo}, {hi}")
        return self
