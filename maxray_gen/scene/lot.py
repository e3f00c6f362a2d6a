"""SceneSpec -> SceneSnapshot: the lot's and the cars' meshes in numpy (what both Blender and the radar see).

Visual-only details (painted lines, lamp heads' lights, weather particles) are added by the Blender layer and
are not part of the snapshot; everything with radio relevance is.
"""

from __future__ import annotations

import numpy as np

from maxray_gen.primitives import box, grid_plane, obj, rotate_z
from maxray_gen.scene.car_model import PART_MATERIALS, car_parts
from maxray_gen.scene.cyclists import cyclist_objects
from maxray_gen.scene.drones import drone_objects
from maxray_gen.scene.people import person_objects
from maxray_gen.scene.spec import (COLUMNS, LAMP_ARM_M, LAMP_HEIGHT_M, LAMP_POSTS, ROW_Y, SLOT_DEPTH, SLOT_WIDTH,
                                   WALL_Y, SceneSpec)
from maxray_gen.snapshot import SceneSnapshot, SnapshotObject

GROUND_ID, WALL_ID, KERB_ID, FIRST_POST_ID = 1, 2, 3, 10


def static_objects(ground_cells: int = 40) -> list[SnapshotObject]:
    """Ground, kerbs, wall and lamp posts (identical in every sample of the shipped lot)."""
    objects = [obj("ground", GROUND_ID, "ground", "asphalt", grid_plane(-25, 25, -3, 35, 0.0, ground_cells, ground_cells))]
    kerbs = [box((0.0, ROW_Y[0] - SLOT_DEPTH / 2 - 0.15, 0.075), (COLUMNS * SLOT_WIDTH + 1.0, 0.3, 0.15)),
             box((0.0, ROW_Y[1] + SLOT_DEPTH / 2 + 0.15, 0.075), (COLUMNS * SLOT_WIDTH + 1.0, 0.3, 0.15))]
    objects.append(obj("kerbs", KERB_ID, "clutter", "concrete",
                       (np.concatenate([k[0] for k in kerbs]), np.concatenate([kerbs[0][1], kerbs[1][1] + 8]))))
    objects.append(obj("building", WALL_ID, "building", "concrete", box((0.0, WALL_Y + 2.0, 3.5), (44.0, 4.0, 7.0))))
    for k, (x, y, dx, dy) in enumerate(LAMP_POSTS):
        pole = box((x, y, LAMP_HEIGHT_M / 2), (0.16, 0.16, LAMP_HEIGHT_M))
        arm = box((x + dx * LAMP_ARM_M / 2, y + dy * LAMP_ARM_M / 2, LAMP_HEIGHT_M),
                  (LAMP_ARM_M + 0.05, 0.12, 0.12), yaw=float(np.arctan2(dy, dx)))
        mesh = (np.concatenate([pole[0], arm[0]]), np.concatenate([pole[1], arm[1] + 8]))
        objects.append(obj(f"lamp_post{k}", FIRST_POST_ID + k, "pole", "metal", mesh))
    return objects


def car_objects(spec: SceneSpec) -> list[SnapshotObject]:
    out = []
    for car in spec.cars:
        for part, (v, f) in car_parts(car.body, car.length, car.width, car.height).items():
            world = rotate_z(v, car.yaw) + [car.x, car.y, car.z]
            out.append(SnapshotObject(f"car{car.instance_id}_{part}", car.instance_id, "car", PART_MATERIALS[part],
                                      world, f, car.velocity))
    return out


WEATHERED_ROLES = ("ground", "clutter")  # the lot's open upward surfaces: asphalt and kerbs


def weathered(objects: list[SnapshotObject], wetness: float, snow_cover: float) -> list[SnapshotObject]:
    """Ground and kerbs under the weather's water film / snow (their radio material changes; geometry does not)."""
    from dataclasses import replace

    from maxray_gen.radio.materials import weathered_name

    return [replace(o, material=weathered_name(o.material, wetness, snow_cover)) if o.role in WEATHERED_ROLES else o
            for o in objects]


def build_snapshot(spec: SceneSpec, weather_materials: bool = True) -> SceneSnapshot:
    """The scene's geometry (lot, cars, people, cyclists and drones at ``spec.time_s``) as a validated snapshot (camera =
    basestation pose); with ``weather_materials``
    wet or snowy weather changes the ground's and kerbs' radio materials."""
    static = static_objects()
    if weather_materials:
        static = weathered(static, spec.weather.wetness, spec.weather.snow_cover)
    t = spec.time_s
    movers = person_objects(spec.people, t) + cyclist_objects(spec.cyclists, t) + drone_objects(spec.drones, t)
    return SceneSnapshot(tuple(static + car_objects(spec) + movers), spec.basestation, spec.basestation).validate()
