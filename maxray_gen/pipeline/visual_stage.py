"""The visual stage, in one place: SceneSpec -> snapshot -> Blender RGB -> depth/instance passes -> fog -> boxes,
lidar, truth (:class:`SceneRenderer`). Used by dataset generation (:mod:`maxray_gen.pipeline.sample`), the scene
previews and gallery, and the scripts. The Blender layer is imported lazily, so the rest works without bpy.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from maxray_gen.config import Config
from maxray_gen.scene.lot import build_snapshot, car_objects
from maxray_gen.scene.slots import fill
from maxray_gen.scene.spec import FIRST_CAR_ID, SceneSpec, advance, sample_scene
from maxray_gen.seeding import rng_for
from maxray_gen.sensors.boxes import InstanceBox, instance_boxes
from maxray_gen.sensors.camera import CameraPasses, Intrinsics, render_passes
from maxray_gen.sensors.groundtruth import InstanceTruth, instance_truth
from maxray_gen.sensors.lidar import LidarScan, scan
from maxray_gen.sensors.raycast import RayCaster
from maxray_gen.sensors.visibility import photometric_visibility
from maxray_gen.sensors.weather_effects import apply_fog
from maxray_gen.snapshot import SceneSnapshot


@dataclass
class VisualSample:
    spec: SceneSpec | None
    snapshot: SceneSnapshot
    rgb: np.ndarray | None
    passes: CameraPasses
    boxes: list[InstanceBox]
    lidar: LidarScan | None
    truth: list[InstanceTruth]
    timings: dict[str, float] = field(default_factory=dict)
    visibility: dict[int, float] = field(default_factory=dict)  # photometric, per instance (NaN: no image)
    headings: dict[int, float] = field(default_factory=dict)  # yaw of scenario cars not in spec.cars (radians)


class SceneRenderer:
    """Keeps one Blender session (and ray caster) alive across samples."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self._blender = None
        self._scenario: SceneSnapshot | None = None

    @property
    def blender(self):
        if self._blender is None:
            from maxray_gen.blender.build import BlenderScene

            self._blender = BlenderScene(self.cfg.camera, self.cfg.render)
        return self._blender

    def scenario(self):
        """The .blend scenario of ``scene.blend`` (a :class:`maxray_gen.blender.scenario.Scenario`), loaded with
        scripts off and exported once per process."""
        if self._scenario is None:
            from maxray_gen.blender import scenario
            from maxray_gen.blender.build import BlenderScene

            path = str(self.cfg.scene.blend)
            scenario.load_blend(path)
            exported = scenario.export_scenario(path)
            self._blender = BlenderScene(self.cfg.camera, self.cfg.render, attach=True)
            self._scenario = exported
        return self._scenario

    def sample(self, seed: int, index: int = 0, rgb_path: str | Path | None = None, rgb: bool = True,
               stream_seeds: dict[str, int] | None = None, time_s: float = 0.0) -> VisualSample:
        """Scene number ``index`` (a layout), ``time_s`` seconds into its sequence. With ``scene.blend`` the
        scenario's geometry stays as authored, its slots and lanes get random cars, lighting and weather are
        sampled."""
        if self.cfg.scene.blend is not None:
            return self._scenario_sample(seed, index, rgb_path, rgb, stream_seeds)
        t: dict[str, float] = {}
        t0 = time.perf_counter()
        spec = advance(sample_scene(self.cfg.scene, self.cfg.camera, seed, index, stream_seeds), time_s)
        snap = build_snapshot(spec, self.cfg.trace.weather_materials)
        t["layout"] = time.perf_counter() - t0
        image = None
        if rgb:
            t0 = time.perf_counter()
            self.blender.realise(spec, snap, rng_for(seed, index, "render"))
            t["realise"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            path = Path(rgb_path) if rgb_path else Path(f"/tmp/maxray_rgb_{seed}_{index}.png")
            image = self.blender.render_rgb(path)
            t["render"] = time.perf_counter() - t0
        return self.sensors(snap, spec, image, seed, index, t)

    def _scenario_sample(self, seed, index, rgb_path, rgb, stream_seeds) -> VisualSample:
        t: dict[str, float] = {}
        t0 = time.perf_counter()
        sc = self.scenario()
        over = dict(stream_seeds or {})
        first_id = max(FIRST_CAR_ID, 1 + max(o.instance_id for o in sc.snapshot.objects))
        cars = fill(rng_for(over.get("layout", seed), index, "layout"), rng_for(over.get("cars", seed), index, "cars"),
                    self.cfg.scene, sc.slots, sc.lanes, first_id)
        spec = dataclasses.replace(sample_scene(self.cfg.scene, self.cfg.camera, seed, index, stream_seeds),
                                   cars=cars, basestation=sc.snapshot.camera)
        added = SceneSnapshot(tuple(car_objects(spec)), sc.snapshot.basestation, sc.snapshot.camera)
        snap = sc.snapshot.replace_objects(sc.snapshot.objects + added.objects).validate()
        t["layout"] = time.perf_counter() - t0
        image = None
        if rgb:
            t0 = time.perf_counter()
            if sc.slots or sc.lanes:  # random cars into the user's scene (the previous sample's are replaced)
                self.blender.realise(spec, added, rng_for(seed, index, "render"))
            else:
                self.blender.apply_conditions(spec, rng_for(seed, index, "render"))
            t["realise"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            image = self.blender.render_rgb(Path(rgb_path) if rgb_path else Path(f"/tmp/maxray_rgb_{seed}_{index}.png"))
            t["render"] = time.perf_counter() - t0
        out = self.sensors(snap, spec, image, seed, index, t)
        out.headings = dict(sc.headings)
        return out

    def sensors(self, snap: SceneSnapshot, spec: SceneSpec | None, image, seed: int, index: int,
                t: dict[str, float] | None = None) -> VisualSample:
        t = {} if t is None else t
        t0 = time.perf_counter()
        intr = Intrinsics.from_config(self.cfg.camera)
        caster = RayCaster(snap)
        passes = render_passes(snap, intr, caster)
        if image is not None and spec is not None:
            image = apply_fog(image, passes.depth, intr, spec.weather, spec.lighting)
        boxes = instance_boxes(snap, passes, intr, caster=caster)
        visibility = photometric_visibility(image, passes.instance, [b.instance_id for b in boxes]) \
            if image is not None else {}
        t["passes_boxes"] = time.perf_counter() - t0
        lidar = None
        if self.cfg.lidar.enabled:
            t0 = time.perf_counter()
            lidar = scan(snap, self.cfg.lidar, rng_for(seed, index, "lidar"), spec.weather if spec else None, caster)
            t["lidar"] = time.perf_counter() - t0
        truth = instance_truth(snap, self.cfg.radar)
        return VisualSample(spec, snap, image, passes, boxes, lidar, truth, t, visibility)


def save_lot_blend(cfg: Config, seed: int, out: Path) -> Path:
    """Build seed ``seed``'s randomised lot in Blender and save it as a tagged .blend scenario (dry radio
    materials: a scenario's weather is drawn per sample, not baked into the file)."""
    from maxray_gen.blender.build import BlenderScene

    spec = sample_scene(cfg.scene, cfg.camera, seed)
    bl = BlenderScene(cfg.camera, cfg.render)
    bl.realise(spec, build_snapshot(spec, weather_materials=False), rng_for(seed, 0, "render"))
    bl.save_blend(out)
    return out
