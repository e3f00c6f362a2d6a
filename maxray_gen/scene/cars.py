"""The car population: body-type mix, dimensions and paint colours (documented in docs/scenarios.md), and the
meshes of :mod:`maxray_gen.scene.car_model`.

Body type (per car, independent): hatchback 34 %, SUV 26 %, sedan 18 %, estate 14 %, van 8 % (rounded shares of
the European passenger-car parc by body style, ACEA "Vehicles on European roads" 2023 / JATO registrations; the parc
lags new registrations, where SUVs passed half in 2023). Overall length, width (without mirrors) and height: normal
around the type's mean with the standard deviations below, clipped to +-2.5 sigma (means and spreads of the
best-selling models of each class from manufacturers' data sheets, e.g. VW Golf 4.28 x 1.79 x 1.46 m, Toyota
Corolla saloon 4.63 x 1.78 x 1.43, Skoda Octavia Combi 4.69 x 1.83 x 1.47, VW Tiguan 4.51 x 1.86 x 1.68, Dacia
Duster 4.34 x 1.80 x 1.69, VW Caddy 4.50 x 1.86 x 1.82, Ford Transit Custom 4.97 x 1.99 x 1.98). Colours:
Europe in the Axalta Global Automotive Color Popularity Report 2022, rounded: grey 27 %, white 21 %, black 20 %,
blue 11 %, silver 10 %, red 7 %, green 2 %, beige/brown 2 %.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BodyType:
    name: str
    probability: float
    length: tuple[float, float]  # mean, std [m], overall (bumpers included)
    width: tuple[float, float]  # without mirrors
    height: tuple[float, float]


BODY_TYPES = (
    BodyType("hatchback", 0.34, (4.15, 0.22), (1.77, 0.05), (1.47, 0.04)),
    BodyType("suv", 0.26, (4.50, 0.22), (1.85, 0.05), (1.67, 0.05)),
    BodyType("sedan", 0.18, (4.75, 0.20), (1.82, 0.05), (1.45, 0.04)),
    BodyType("estate", 0.14, (4.70, 0.18), (1.82, 0.04), (1.49, 0.04)),
    BodyType("van", 0.08, (4.80, 0.25), (1.90, 0.05), (1.86, 0.08)),
)
COLOURS = (  # name, share, linear RGB base colour
    ("grey", 0.27, (0.20, 0.21, 0.22)), ("white", 0.21, (0.82, 0.82, 0.80)), ("black", 0.20, (0.015, 0.015, 0.017)),
    ("blue", 0.11, (0.03, 0.08, 0.30)), ("silver", 0.10, (0.52, 0.53, 0.55)), ("red", 0.07, (0.45, 0.02, 0.02)),
    ("green", 0.02, (0.03, 0.16, 0.07)), ("beige", 0.02, (0.45, 0.36, 0.24)),
)


def sample_body(rng: np.random.Generator) -> tuple[str, float, float, float, str, tuple[float, float, float]]:
    """(body type, length, width, height, colour name, colour rgb) from the documented distribution."""
    probs = np.array([b.probability for b in BODY_TYPES])
    b = BODY_TYPES[int(rng.choice(len(BODY_TYPES), p=probs / probs.sum()))]

    def draw(mean_std):
        m, s = mean_std
        return float(m + s * np.clip(rng.standard_normal(), -2.5, 2.5))

    length, width, height = draw(b.length), draw(b.width), draw(b.height)
    cp = np.array([c[1] for c in COLOURS])
    name, _, rgb = COLOURS[int(rng.choice(len(COLOURS), p=cp / cp.sum()))]
    return b.name, length, width, height, name, rgb


def body_type(name: str) -> BodyType:
    return next(b for b in BODY_TYPES if b.name == name)
