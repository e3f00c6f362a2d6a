"""A spinning lidar co-located with the basestation, cast against the snapshot's triangles.

Rays: ``channels`` elevations evenly over ``vertical_fov_deg`` x azimuths every ``horizontal_resolution_deg``
over ``horizontal_fov_deg`` centred on the basestation's heading (level, not tilted). Each return carries the
world point, range, instance id and object type (index into :data:`maxray_gen.snapshot.ROLES`, -1 for weather
clutter). Imperfections, all from the sample's generator: Gaussian range noise, random dropout, and weather:
two-way extinction exp(-2 alpha r) removes returns (alpha from the visibility for fog and snow, alpha = 0.01 R^0.6
per km for rain of R mm/h, the usual lidar rain model), and rain/snow produce early returns from drops and flakes
near the sensor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from maxray_gen.geometry import Pose
from maxray_gen.sensors.config import LidarConfig
from maxray_gen.scene.spec import WeatherSpec
from maxray_gen.sensors.raycast import RayCaster
from maxray_gen.sensors.weather_effects import extinction_per_m
from maxray_gen.snapshot import ROLES, SceneSnapshot

WEATHER_TYPE = -1


@dataclass(frozen=True)
class LidarScan:
    points: np.ndarray  # (N, 3) float32 world metres
    range_m: np.ndarray  # (N,) float32
    instance_id: np.ndarray  # (N,) int32, 0 for weather clutter
    object_type: np.ndarray  # (N,) int8 index into ROLES, -1 weather clutter
    ring: np.ndarray  # (N,) int16 channel index


def lidar_directions(cfg: LidarConfig, pose: Pose) -> tuple[np.ndarray, np.ndarray]:
    """Unit world directions (channels * azimuths, 3) and their channel index."""
    fwd = pose.rotation[:, 2].copy()
    heading = math.atan2(fwd[1], fwd[0])
    elev = np.radians(np.linspace(cfg.vertical_fov_deg[0], cfg.vertical_fov_deg[1], cfg.channels))
    n_az = max(1, int(round(cfg.horizontal_fov_deg / cfg.horizontal_resolution_deg)))
    az = heading + np.radians((np.arange(n_az) + 0.5) * cfg.horizontal_resolution_deg - cfg.horizontal_fov_deg / 2)
    ee, aa = np.meshgrid(elev, az, indexing="ij")
    d = np.stack([np.cos(ee) * np.cos(aa), np.cos(ee) * np.sin(aa), np.sin(ee)], axis=-1).reshape(-1, 3)
    ring = np.repeat(np.arange(cfg.channels, dtype=np.int16), n_az)
    return d, ring


def rain_extinction_per_m(rate_mm_h: float) -> float:
    return 0.01 * rate_mm_h**0.6 / 1000.0 if rate_mm_h > 0 else 0.0


def scan(snapshot: SceneSnapshot, cfg: LidarConfig, rng: np.random.Generator, weather: WeatherSpec | None = None,
         caster: RayCaster | None = None, pose: Pose | None = None) -> LidarScan:
    pose = snapshot.basestation if pose is None else pose
    caster = caster or RayCaster(snapshot)
    dirs, ring = lidar_directions(cfg, pose)
    t, obj, _ = caster.cast(pose.position[None, :], dirs, max_t=cfg.max_range_m)
    hit = np.isfinite(t) & (t <= cfg.max_range_m)
    r = t + rng.normal(0.0, cfg.range_noise_m, t.shape) if cfg.range_noise_m > 0 else t.copy()
    keep = hit & (rng.random(t.shape) >= cfg.dropout)
    alpha = 0.0
    if weather is not None:
        alpha = rain_extinction_per_m(weather.rain_rate_mm_h) + (
            extinction_per_m(weather.fog_visibility_m) if weather.kind in ("fog", "snow") else 0.0)
    if alpha > 0:
        keep &= rng.random(t.shape) < np.exp(-2 * alpha * np.where(hit, t, 0.0))
    roles = np.array([ROLES.index(o.role) for o in snapshot.objects], dtype=np.int8)
    idx = np.flatnonzero(keep)
    points = pose.position + dirs[idx] * r[idx, None]
    inst = caster.instance_ids[obj[idx]].astype(np.int32)
    otype = roles[obj[idx]]
    rng_out, ring_out = r[idx], ring[idx]
    if weather is not None and weather.kind in ("rain", "snow"):
        # Early returns from drops/flakes: a fraction of rays scatter within ~15 m of the sensor.
        p_clutter = 0.004 * weather.intensity if weather.kind == "rain" else 0.02 * weather.intensity
        c = np.flatnonzero(rng.random(len(dirs)) < p_clutter)
        cr = np.minimum(rng.exponential(5.0, len(c)) + 0.5, np.where(np.isfinite(t[c]), t[c], cfg.max_range_m))
        points = np.concatenate([points, pose.position + dirs[c] * cr[:, None]])
        inst = np.concatenate([inst, np.zeros(len(c), np.int32)])
        otype = np.concatenate([otype, np.full(len(c), WEATHER_TYPE, np.int8)])
        rng_out = np.concatenate([rng_out, cr])
        ring_out = np.concatenate([ring_out, ring[c]])
    return LidarScan(points.astype(np.float32), rng_out.astype(np.float32), inst, otype, ring_out)
