"""The radar stage, in one place: trace a scene snapshot, attenuate the paths by the weather's rain and gases,
make the radar products. Used by dataset generation (:class:`maxray_gen.pipeline.sample.SampleMaker`), the car-echo
measurement (:mod:`maxray_gen.pipeline.car_echoes`) and the Blender add-on's radar preview
(:func:`trace_open_scene`), so all three see the same radar for the same scene.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from maxray_gen.config import Config
from maxray_gen.radar.paths import PathSet
from maxray_gen.radar.processing import heatmaps
from maxray_gen.radio.atmosphere import RadioWeather, attenuate, for_weather
from maxray_gen.radio.tracer import RadarTracer, Tracer
from maxray_gen.scene.spec import WeatherSpec
from maxray_gen.seeding import rng_for
from maxray_gen.snapshot import SceneSnapshot


@dataclass
class RadarStageResult:
    paths: PathSet  # after the weather's attenuation
    maps: dict[str, np.ndarray]  # product name -> map
    radio_weather: RadioWeather | None  # what attenuated the paths (None: not applied)
    timings: dict[str, float] = field(default_factory=dict)  # "trace", "radar" seconds


def radar_stage(snapshot: SceneSnapshot, cfg: Config, seed: int, index: int, weather: WeatherSpec | None,
                tracer: Tracer | None = None, products: tuple[str, ...] | None = None) -> RadarStageResult:
    """Sample ``index`` of seed ``seed``'s radar: rays from stream (seed, index, "trace"), receiver noise from
    (seed, index, "radar_noise"); ``weather`` attenuates the paths when ``trace.weather_attenuation`` is on;
    ``products`` default to ``generate.radar_products``."""
    tracer = tracer or RadarTracer(cfg.radar, cfg.trace)
    products = tuple(products or cfg.generate.radar_products)
    t0 = time.perf_counter()
    paths = tracer.trace(snapshot, rng_for(seed, index, "trace"))
    timings = {"trace": time.perf_counter() - t0}
    radio_weather = None
    if weather is not None and cfg.trace.weather_attenuation:
        radio_weather = for_weather(cfg.radar.carrier_hz, weather.kind, weather.rain_rate_mm_h)
        paths = attenuate(paths, radio_weather)
    t0 = time.perf_counter()
    hm = heatmaps(paths, cfg.radar, rng_for(seed, index, "radar_noise"), products=products)
    timings["radar"] = time.perf_counter() - t0
    return RadarStageResult(paths, {k: getattr(hm, k) for k in products}, radio_weather, timings)


def trace_open_scene(cfg: Config, seed: int = 0):
    """The Blender add-on's radar preview: the open scene (with the weather its last randomisation set) through
    :func:`radar_stage`, shown as image datablocks; returns :class:`maxray_gen.blender.authoring.TraceResult`."""
    from maxray_gen.blender.authoring import open_scene_snapshot, scene_weather, show_radar
    from maxray_gen.sensors.groundtruth import instance_truth

    snap = open_scene_snapshot()
    res = radar_stage(snap, cfg, seed, 0, scene_weather(), products=("range_azimuth",))
    truth = [t for t in instance_truth(snap, cfg.radar) if t.in_radar_view]
    return show_radar(res.maps["range_azimuth"], truth, len(res.paths), cfg)
