"""Spectrograms of one object over time through the dataset's own chain: scene at each instant (the lot's
sampler and geometry, people walking and rotors turning with ``time_s``), the radar stage (trace + range-Doppler
map), and the object's Doppler profile at its range (:mod:`maxray_gen.radar.micro_doppler`)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from maxray_gen.config import Config
from maxray_gen.pipeline.radar_stage import radar_stage
from maxray_gen.radar.micro_doppler import OBJECT_DOPPLER_HALF_WIDTH_M, half_width_bins, object_profiles
from maxray_gen.radio.tracer import RadarTracer
from maxray_gen.scene.lot import build_snapshot
from maxray_gen.scene.spec import SceneSpec, advance, sample_scene
from maxray_gen.sensors.groundtruth import instance_truth


@dataclass(frozen=True)
class Spectrogram:
    """Doppler power (T, D) of object ``instance_id`` at times (T,) (s), with its range (T,) (m)."""

    instance_id: int
    times_s: np.ndarray
    velocity_mps: np.ndarray
    power: np.ndarray
    range_m: np.ndarray

    def db(self, span_db: float = 60.0) -> np.ndarray:
        p = np.maximum(np.nan_to_num(self.power, nan=0.0), 1e-300)
        d = 10 * np.log10(p)
        return np.maximum(d, d.max() - span_db)


def object_spectrogram(spec: SceneSpec, instance_id: int, times_s, cfg: Config, seed: int = 0,
                       half_width_m: float = OBJECT_DOPPLER_HALF_WIDTH_M, tracer=None, progress=None) -> Spectrogram:
    """The spectrogram of ``instance_id`` in scene ``spec`` advanced to each of ``times_s``: per instant the
    radar stage's range-Doppler map, maximum over the range bins within ``half_width_m`` of the object's range."""
    tracer = tracer or RadarTracer(cfg.radar, cfg.trace)
    half = half_width_bins(cfg.radar.range_bin_m, half_width_m)
    times = np.asarray(times_s, np.float64)
    rows, ranges = [], []
    for k, t in enumerate(times):
        snap = build_snapshot(advance(spec, float(t)))
        res = radar_stage(snap, cfg, seed, k, spec.weather, tracer, products=("range_doppler",))
        truth = {x.instance_id: x for x in instance_truth(snap, cfg.radar)}
        if instance_id not in truth:
            raise KeyError(f"instance {instance_id} is not in the scene")
        x = truth[instance_id]
        rows.append(object_profiles(res.maps["range_doppler"], [x.range_bin], half)[0])
        ranges.append(x.range_m)
        if progress is not None:
            progress()
    return Spectrogram(instance_id, times, cfg.radar.doppler_axis_mps, np.array(rows), np.array(ranges))


def single_target_scene(cfg: Config, people=(), drones=(), seed: int = 0) -> SceneSpec:
    """The lot without cars, in clear daylight, holding only the given people and drones (a measurement set-up
    that goes through the same scene builder and radar as the datasets)."""
    scene = cfg.scene.model_copy(update={"min_cars": 0, "max_cars": 0, "min_moving_cars": 0, "max_moving_cars": 0,
                                         "weather": {"clear": 1.0}, "lighting": {"day": 1.0}, "people": 0,
                                         "drones": 0})
    spec = sample_scene(scene, cfg.camera, seed, 0)
    return replace(spec, people=tuple(people), drones=tuple(drones))
