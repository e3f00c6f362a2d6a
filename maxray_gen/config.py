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
from maxray_gen.schema import FieldProblem, StrictModel, load, stable_dump


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
        self._drones_in_view()
        self._mover_materials()
        return self

    def _mover_materials(self) -> None:
        """People, cyclists and drones are made of radio materials that must be defined at the radar's carrier."""
        from maxray_gen.radio.materials import MATERIALS
        from maxray_gen.scene import cyclists, drones, people

        f = self.radar.carrier_hz / 1e9
        for field, module in (("people", people), ("cyclists", cyclists), ("drones", drones)):
            if not getattr(self.scene, field):
                continue
            for name in module.RADIO_MATERIALS:
                m = MATERIALS[name]
                if not m.f_min_ghz <= f <= m.f_max_ghz:
                    raise FieldProblem(f"scene.{field}", f"radio material {name!r} is defined for {m.f_min_ghz:g}-"
                                       f"{m.f_max_ghz:g} GHz only ({m.source}); {field} are made of it, and the "
                                       f"radar runs at {f:g} GHz")

    def _drones_in_view(self) -> None:
        """The highest drone over the nearest row of the lot must be inside the radar's elevation view."""
        if not self.scene.drones or self.scene.blend is not None:
            return
        import math

        from maxray_gen.scene.spec import DRONE_AREA

        top, near, look = self.scene.drone_height_m[1], DRONE_AREA[2], self.scene.look_at_distance_m
        limit = self.trace.elevation_limit_deg
        for mast in self.scene.basestation_height_m:
            above = math.degrees(math.atan2(top - mast, near) + math.atan2(mast, look))
            if above > limit:
                raise FieldProblem("scene.drone_height_m", f"a drone at {top:g} m over the lot's nearest row "
                                   f"({near:g} m ahead) is {above:.0f} deg above the radar's boresight from a "
                                   f"{mast:g} m mast, outside its view (trace.elevation_limit_deg = {limit:g})")

    def content_hash(self) -> str:
        """Hash of everything that determines a shard's content (not the shard count, workers or previews)."""
        import hashlib
        import json

        d = stable_dump(self)
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
