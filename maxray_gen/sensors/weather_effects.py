"""Weather effects that are cheapest and most exact as functions of depth (numpy).

Fog on the camera: Koschmieder's law, I = I0 exp(-beta d) + A (1 - exp(-beta d)), with the extinction coefficient
beta = 3.912 / V for the meteorological visibility V (2% contrast threshold) and d the distance along the pixel's
ray. This replaces a world volume in Blender (which renders black under sky lighting) and a bounded volume
(5x render time), and uses the very depth pass stored in the sample.
"""

from __future__ import annotations

import math

import numpy as np

from maxray_gen.scene.spec import LightingSpec, WeatherSpec
from maxray_gen.sensors.camera import Intrinsics

AIRLIGHT = {"day": (0.78, 0.80, 0.83), "dusk": (0.55, 0.45, 0.40), "night": (0.05, 0.05, 0.06)}


def extinction_per_m(visibility_m: float) -> float:
    """Koschmieder extinction coefficient 3.912 / V (0 for infinite visibility)."""
    return 0.0 if not math.isfinite(visibility_m) else 3.912 / visibility_m


def apply_fog(rgb: np.ndarray, depth: np.ndarray, intr: Intrinsics, weather: WeatherSpec,
              lighting: LightingSpec) -> np.ndarray:
    """Attenuate an (H, W, 3) uint8 image by fog/haze of the weather's visibility; returns uint8."""
    beta = extinction_per_m(weather.fog_visibility_m)
    if beta == 0.0:
        return rgb
    rays = intr.pixel_rays()
    dist = np.where(np.isfinite(depth), depth * np.linalg.norm(rays, axis=-1), np.inf)
    trans = np.exp(-beta * dist)[..., None]
    a = np.array(AIRLIGHT.get(lighting.kind, AIRLIGHT["day"])) * 255.0
    out = rgb.astype(np.float64) * trans + a * (1.0 - trans)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
