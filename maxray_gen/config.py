"""The whole configuration file: one validated section per stage, each with a working default.

Sections are frozen pydantic models (see :mod:`maxray_gen.schema`); unknown keys anywhere are rejected with the
file, the key path and the reason.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator

from maxray_gen.pipeline.config import GenerateConfig
from maxray_gen.radar.config import RadarConfig
from maxray_gen.radio.config import TraceConfig
from maxray_gen.blender.config import RenderConfig
from maxray_gen.scene.config import SceneConfig
from maxray_gen.sensors.config import CameraConfig, LidarConfig
from maxray_gen.schema import FieldProblem, StrictModel, load


class Config(StrictModel):
    """Top-level configuration. Later stages add their sections here."""

    radar: RadarConfig = Field(default_factory=RadarConfig)
    trace: TraceConfig = Field(default_factory=TraceConfig)
    scene: SceneConfig = Field(default_factory=SceneConfig)
    camera: CameraConfig = Field(default_factory=CameraConfig)
    render: RenderConfig = Field(default_factory=RenderConfig)
    lidar: LidarConfig = Field(default_factory=LidarConfig)
    generate: GenerateConfig = Field(default_factory=GenerateConfig)

    @model_validator(mode="after")
    def _scenario(self):
        if self.scene.blend is not None and self.generate.frames_per_sequence > 1:
            raise FieldProblem("generate.frames_per_sequence", "sequences need the randomised lot's moving cars; "
                               "a .blend scenario (scene.blend) is rendered as independent samples")
        return self

    def content_hash(self) -> str:
        """Hash of everything that determines a shard's content (not the shard count, workers or previews)."""
        import hashlib
        import json

        d = self.model_dump(mode="json")
        for k in ("shards", "workers", "previews"):
            d["generate"].pop(k)
        d["render"].pop("device")
        d["render"].pop("threads")
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


def load_config(path: str | Path | None) -> Config:
    """Load a configuration file, or the built-in defaults when ``path`` is None."""
    if path is None:
        return Config()
    cfg = load(Config, path)
    blend = cfg.scene.blend
    if blend is not None and not Path(blend).is_absolute():  # a scenario next to its configuration file
        cfg = cfg.model_copy(update={"scene": cfg.scene.model_copy(
            update={"blend": str((Path(path).parent / blend).resolve())})})
    return cfg
