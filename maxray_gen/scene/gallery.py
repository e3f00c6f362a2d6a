"""Scenes for the gallery (pure data): one car of each body type in close-up, in daylight on the lot."""

from __future__ import annotations

import dataclasses
import math

from maxray_gen.geometry import Pose
from maxray_gen.scene.cars import BODY_TYPES
from maxray_gen.scene.spec import FIRST_CAR_ID, CarSpec, SceneSpec

GALLERY_COLOURS = {"hatchback": ("red", (0.45, 0.02, 0.02)), "suv": ("white", (0.82, 0.82, 0.80)),
                   "sedan": ("blue", (0.03, 0.08, 0.30)), "estate": ("grey", (0.20, 0.21, 0.22)),
                   "van": ("silver", (0.52, 0.53, 0.55))}


def body_type_scene(base: SceneSpec, body: str) -> SceneSpec:
    """``base`` (its lighting and weather) with one mean-sized car of type ``body`` in slot 4 seen from the front
    three-quarter view at eye height."""
    bt = next(b for b in BODY_TYPES if b.name == body)
    name, rgb = GALLERY_COLOURS.get(body, ("grey", (0.2, 0.21, 0.22)))
    yaw = math.radians(-60.0)
    car = CarSpec(FIRST_CAR_ID, body, bt.length[0], bt.width[0], bt.height[0], name, rgb, -1.25, 10.5, yaw, 0.0, 4)
    view = yaw + math.radians(38.0)  # from 38 deg off the car's nose
    eye = [car.x + 4.6 * math.cos(view), car.y + 4.6 * math.sin(view), 1.55]
    camera = Pose.look_at(eye, [car.x, car.y, 0.65])
    return dataclasses.replace(base, cars=(car,), basestation=camera)
