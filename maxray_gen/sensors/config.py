"""Configuration of the sensors: the camera (`camera` section) and the lidar (`lidar` section)."""

from __future__ import annotations

from pydantic import Field, model_validator

from maxray_gen.schema import FieldProblem, StrictModel


class CameraConfig(StrictModel):
    width: int = Field(640, ge=8, le=8192)
    height: int = Field(480, ge=8, le=8192)
    horizontal_fov_deg: float = Field(90.0, gt=10, lt=170)
    min_visibility: float = Field(0.15, ge=0, le=100, description="photometric visibility (RMS contrast against "
                                  "the surroundings in the rendered image) below which a car counts as not seen by "
                                  "the camera: exports skip it, detector evaluation ignores it, SSL targets avoid it")


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
