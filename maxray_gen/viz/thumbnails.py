"""Small pictures of a sample without matplotlib (fast enough for every sample of a dataset): the camera image
with its visible boxes beside the range-azimuth map with the cars' groundtruth, as one RGB array."""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from PIL import Image, ImageDraw

from maxray_gen.sensors.visibility import seen

TARGET = (230, 30, 30)
CAR = (60, 220, 90)
DARK = (160, 160, 160)


def db_rgb(db: np.ndarray, top: float, dynamic_range_db: float) -> np.ndarray:
    """dB values -> uint8 RGB, viridis over [top - dynamic_range_db, top] (NaN as the bottom colour)."""
    x = np.clip((np.asarray(db, np.float64) - (top - dynamic_range_db)) / dynamic_range_db, 0.0, 1.0)
    return (colormaps["viridis"](np.nan_to_num(x))[..., :3] * 255).astype(np.uint8)


def radar_rgb(range_azimuth: np.ndarray, dynamic_range_db: float = 40.0) -> np.ndarray:
    """A range-azimuth map (linear power, rows = range) as uint8 RGB, range increasing upwards, viridis in dB."""
    db = 10 * np.log10(np.maximum(np.asarray(range_azimuth, np.float64), 1e-30))
    return db_rgb(db[::-1], float(db.max()), dynamic_range_db)


def thumbnail(s: dict, height: int = 120, min_visibility: float = 0.15) -> np.ndarray:
    """(height, W, 3) uint8: RGB with visible boxes (target red, too dark to see grey) | radar map with cars
    (white rings; the target's red)."""
    rgb = Image.fromarray(s["rgb"])
    h0, w0 = s["rgb"].shape[:2]
    scale = height / h0
    cam = rgb.resize((max(1, round(w0 * scale)), height), Image.BILINEAR)
    draw = ImageDraw.Draw(cam)
    objs, target = s["objects"], s["target"]
    dark = ~seen(objs["camera_visibility"], min_visibility)
    for k, o in enumerate(objs):
        box = o["visible_box"]
        if not np.all(np.isfinite(box)):
            continue
        colour = TARGET if k == target else (DARK if dark[k] else CAR)
        draw.rectangle([float(v) * scale for v in box], outline=colour, width=2 if k == target else 1)
    parts = [np.asarray(cam)]
    if "range_azimuth" in s:
        ra = s["range_azimuth"]
        n_r, n_a = ra.shape
        radar = Image.fromarray(radar_rgb(ra)).resize((max(1, round(n_a * height / n_r)), height), Image.BILINEAR)
        draw = ImageDraw.Draw(radar)
        sx, sy = radar.width / n_a, height / n_r
        for k, o in enumerate(objs):
            if not o["in_radar_view"]:
                continue
            x, y = (float(o["azimuth_bin"]) + 0.5) * sx, (n_r - 0.5 - float(o["range_bin"])) * sy
            rad = 5 if k == target else 3
            draw.ellipse([x - rad, y - rad, x + rad, y + rad], outline=TARGET if k == target else (255, 255, 255),
                         width=2 if k == target else 1)
        parts += [np.full((height, 3, 3), 255, np.uint8), np.asarray(radar)]
    return np.concatenate(parts, axis=1)
