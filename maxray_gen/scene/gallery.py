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


def movers_scene(base: SceneSpec) -> SceneSpec:
    """``base`` (its lighting, weather and cars) with two walkers, a standing child, a cyclist and a hovering drone
    on the walkway before row A, seen from a 1.9 m high camera about 4 m behind them."""
    from maxray_gen.scene.cyclists import FIRST_CYCLIST_ID, CyclistSpec
    from maxray_gen.scene.drones import FIRST_DRONE_ID, DroneSpec
    from maxray_gen.scene.people import CLOTHES, FIRST_PERSON_ID, SKIN_TONES, PersonSpec

    people = (PersonSpec(FIRST_PERSON_ID, -1.6, 6.0, 0.2, 1.78, 1.4, 0.1, "adult", 0.0, SKIN_TONES[1], CLOTHES[3],
                         CLOTHES[2]),
              PersonSpec(FIRST_PERSON_ID + 1, 1.4, 5.2, math.pi - 0.3, 1.64, 1.2, 0.6, "adult", 0.0, SKIN_TONES[3],
                         CLOTHES[6], CLOTHES[0]),
              PersonSpec(FIRST_PERSON_ID + 2, 0.2, 6.8, -1.2, 1.25, 0.0, 0.0, "child", 0.0, SKIN_TONES[0],
                         CLOTHES[4], CLOTHES[8]))
    cyclist = CyclistSpec(FIRST_CYCLIST_ID, -0.5, 4.0, 0.0, 1.76, 5.0, 75.0, 0.7, 0.0, SKIN_TONES[2], CLOTHES[1],
                          CLOTHES[0])
    drone = DroneSpec(FIRST_DRONE_ID, 0.9, 4.6, 2.3, 0.4, (0.0, 0.0, 0.0), 100.0)
    camera = Pose.look_at([0.0, 1.2, 1.9], [0.0, 6.0, 1.1])
    return dataclasses.replace(base, people=people, cyclists=(cyclist,), drones=(drone,), basestation=camera)
