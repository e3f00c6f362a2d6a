"""A fast stand-in dataset with the geometry of a real one, for learning tests, benchmarks and smoke runs.

Each sample has one car (the designated target) on a checkerboard ground plane seen by a pinhole camera, and a
radar heatmap made by the real radar model (:func:`maxray_gen.radar.processing.heatmaps`) from point scatterers:
a few on the car's near faces (an extended echo) plus one isolated "pole" scatterer elsewhere (a point echo of
similar strength that is not the target). Camera and radar are co-located. Everything is written as a normal
dataset directory (config.yaml + schema shards), so the same commands run on it as on `maxray generate` output;
it needs neither Blender nor the ray tracer.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import yaml

from maxray_gen.config import Config
from maxray_gen.constants import SPEED_OF_LIGHT
from maxray_gen.dataset.schema import LIDAR_DTYPE, SHARD_PATTERN, TRACK_STRIDE, Sample, empty_objects
from maxray_gen.dataset.writer import write_shard
from maxray_gen.geometry import cartesian_to_spherical
from maxray_gen.radar.coordinates import sensor_points_to_radar
from maxray_gen.radar.paths import PathSet
from maxray_gen.radar.processing import heatmaps
from maxray_gen.seeding import rng_for
from maxray_gen.sensors.camera import Intrinsics

CAMERA_HEIGHT_M = 2.5
CAR_DIMS = (4.5, 1.8, 1.5)  # length, width, height


def standin_config(seed: int = 0, shards: int = 2, samples_per_shard: int = 64) -> Config:
    """Small radar (400 MHz, 16 columns, 5-20 m, 64 azimuth bins) and camera (96 x 64) settings."""
    return Config.model_validate({
        "radar": {"n_subcarriers": 512, "n_symbols": 1, "range_window": "hamming", "azimuth_window": "hamming", "range_max_m": 20.0, "azimuth_bins": 64,
                  "array": {"rows": 1, "columns": 16}, "noise": {"model": "fixed", "channel_noise_db": -90.0}},
        "camera": {"width": 96, "height": 64, "horizontal_fov_deg": 90.0},
        "generate": {"seed": seed, "shards": shards, "samples_per_shard": samples_per_shard,
                     "radar_products": ["range_azimuth"], "previews": 0},
    })


def _car_corners(centre: np.ndarray, yaw: float) -> np.ndarray:
    """8 sensor-frame corners of a car box (x right, y down, z forward); yaw about the vertical axis."""
    length, width, height = CAR_DIMS
    c, s = math.cos(yaw), math.sin(yaw)
    pts = []
    for dl in (-0.5, 0.5):
        for dw in (-0.5, 0.5):
            for dh in (-0.5, 0.5):
                fx, fz = dl * length, dw * width  # car frame: length along heading
                pts.append([centre[0] + c * fx - s * fz, centre[1] + dh * height, centre[2] + s * fx + c * fz])
    return np.array(pts)


def _render(intr: Intrinsics, rng: np.random.Generator, corners: np.ndarray, colour: np.ndarray,
            pole: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """RGB of a checkerboard ground + sky, the pole and the car's projected box; returns (rgb, visible box)."""
    rays = intr.pixel_rays()
    t = np.where(rays[..., 1] > 1e-6, CAMERA_HEIGHT_M / np.maximum(rays[..., 1], 1e-6), np.inf)
    ground = np.isfinite(t)
    gx, gz = np.where(ground, rays[..., 0] * t, 0.0), np.where(ground, rays[..., 2] * t, 0.0)
    check = (np.floor(gx) + np.floor(gz)) % 2
    fade = np.clip(1.0 - gz / 40.0, 0.3, 1.0)
    rgb = np.where(ground[..., None],
                   (np.array([90, 110, 90]) + 50 * check[..., None]) * fade[..., None],
                   np.array([150, 180, 220]) - 40 * (np.arange(intr.height)[:, None, None] / intr.height))
    rgb = rgb + rng.normal(0, 4, rgb.shape)
    if pole[2] > 0:
        px, py = intr.project(pole[None])[0][0]
        top, _ = intr.project(np.array([[pole[0], CAMERA_HEIGHT_M - 3.0, pole[2]]]))
        x = int(np.clip(px, 0, intr.width - 1))
        rgb[int(max(top[0, 1], 0)): int(min(py, intr.height)), max(x - 1, 0): x + 1] = 60
    uv, _ = intr.project(corners)
    x0, y0 = np.clip(uv.min(0), 0, [intr.width, intr.height])
    x1, y1 = np.clip(uv.max(0), 0, [intr.width, intr.height])
    box = np.array([np.floor(x0), np.floor(y0), np.ceil(x1), np.ceil(y1)], np.float32)
    rgb[int(box[1]): int(box[3]), int(box[0]): int(box[2])] = colour
    return np.clip(rgb, 0, 255).astype(np.uint8), box


def make_sample(cfg: Config, index: int, distractor: bool = True) -> Sample:
    """One stand-in sample; fully determined by (seed, index). ``distractor``: add the pole scatterer."""
    rng = rng_for(cfg.generate.seed, "standin", index)
    intr = Intrinsics.from_config(cfg.camera)
    radar = cfg.radar
    rmin, rmax = radar.range_axis_m[0] + 2.0, radar.range_axis_m[-1] - 2.0
    r, az = rng.uniform(rmin, rmax), math.radians(rng.uniform(-38, 38))
    centre = np.array([r * math.sin(az), CAMERA_HEIGHT_M - CAR_DIMS[2] / 2, r * math.cos(az)])
    yaw = rng.uniform(-math.pi, math.pi)
    corners = _car_corners(centre, yaw)
    # radar scatterers: the corners nearest the sensor (bottom and top) and mid-points of the visible faces
    near = corners[np.argsort(np.linalg.norm(corners, axis=1))[:4]]
    scat = np.vstack([near, 0.5 * (near[0] + near[1]), 0.5 * (near[0] + near[2])])
    pr, pa = rng.uniform(rmin, rmax), math.radians(rng.uniform(-45, 45))
    while abs(pr - r) < 3.0 and abs(pa - az) < math.radians(15):
        pr, pa = rng.uniform(rmin, rmax), math.radians(rng.uniform(-45, 45))
    pole = np.array([pr * math.sin(pa), CAMERA_HEIGHT_M - 1.0, pr * math.cos(pa)])
    pole_amp = rng.uniform(1.0, 2.0)
    if not distractor:
        pole[2] = -100.0  # behind the sensors: neither seen nor echoing
    pts = np.vstack([scat, pole[None]]) if distractor else scat
    rcs = np.concatenate([rng.uniform(0.4, 1.0, len(scat)), [pole_amp] * distractor])
    amp = rcs * 1e-3 * (10.0 / np.linalg.norm(pts, axis=1)) ** 2  # two-way spreading: amplitude ~ 1/r^2
    rng_m, aaz, ael = cartesian_to_spherical(pts)
    paths = PathSet(gain=amp * np.exp(2j * np.pi * rng.random(len(pts))), delay_s=2 * rng_m / SPEED_OF_LIGHT,
                    doppler_hz=np.zeros(len(pts)), aoa_azimuth=aaz, aoa_elevation=ael,
                    objects=np.array([100] * len(scat) + [-1] * distractor, np.int32))
    hm = heatmaps(paths, radar, rng_for(cfg.generate.seed, "standin-noise", index), ("range_azimuth",))
    colour = np.array([200, 40, 40]) + rng.integers(-30, 30, 3)
    rgb, box = _render(intr, rng, corners, colour, pole)
    coords = sensor_points_to_radar(centre[None], radar)
    obj = empty_objects(1)
    o = obj[0]
    o["instance_id"], o["class_id"], o["in_radar_view"] = 100, 0, bool(coords.in_view[0])
    o["centre"], o["dimensions"], o["yaw"] = centre, CAR_DIMS, yaw
    o["range_m"], o["azimuth_rad"], o["elevation_rad"] = coords.range_m[0], coords.azimuth_rad[0], coords.elevation_rad[0]
    o["heatmap_azimuth_rad"] = coords.azimuth_rad[0]
    o["range_bin"], o["azimuth_bin"] = coords.range_bin[0], coords.azimuth_bin[0]
    o["nearest_range_m"] = float(np.linalg.norm(corners, axis=1).min())
    o["visible_box"] = o["amodal_box"] = box
    o["visible_fraction"] = 1.0
    o["camera_visibility"] = np.nan  # not measured on the stand-in's flat renders: counts as seen
    o["track_id"] = index * TRACK_STRIDE + 100
    depth = np.full((intr.height, intr.width), np.inf, np.float32)
    instance = np.zeros((intr.height, intr.width), np.int32)
    instance[int(box[1]): int(box[3]), int(box[0]): int(box[2])] = 100
    return Sample(rgb=rgb, depth=depth, instance=instance, heatmaps={"range_azimuth": hm.range_azimuth},
                  objects=obj, lidar=np.zeros(0, LIDAR_DTYPE), target=0,
                  params={"standin": True, "range_m": r, "azimuth_deg": math.degrees(az)}, n_paths=len(pts),
                  sequence=index)


def write_standin_dataset(out: Path, cfg: Config | None = None, distractor: bool = True) -> Path:
    """Write a stand-in dataset directory (config.yaml + shards) and return it."""
    cfg = cfg or standin_config()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.yaml").write_text(yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False))
    g, radar = cfg.generate, cfg.radar
    axes = {"range_m": radar.range_axis_m, "azimuth_rad": radar.azimuth_axis_rad}
    for shard in range(g.shards):
        first = shard * g.samples_per_shard
        samples = [make_sample(cfg, first + i, distractor) for i in range(g.samples_per_shard)]
        write_shard(out / SHARD_PATTERN.format(shard), samples, axes,
                    {"first_index": first, "config_hash": cfg.content_hash(), "standin": True})
    return out
