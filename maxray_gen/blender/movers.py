"""Placing people, cyclists and drones in an open Blender scene (the add-on's "Add person / cyclist / drone"): one
of the lot sampler's draws, posed at the 3D cursor, as tagged mesh objects (role, radio material, instance id and
each piece's velocity) that the scenario loader reads back like any tagged object."""

from __future__ import annotations

import math

import bpy
import numpy as np

from maxray_gen.errors import DataError

KINDS = ("person", "cyclist", "drone")


def add_mover(kind: str, location=(0.0, 0.0, 0.0), heading_deg: float = 90.0, seed: int = 0,
              walking: bool = True) -> list:
    """Add a ``kind`` at ``location`` (a drone: its body centre, at least 1 m up) facing ``heading_deg`` (from +x
    towards +y), drawn from ``seed``; returns the new objects. People stand when ``walking`` is false."""
    from dataclasses import replace

    from maxray_gen.blender.build import sync_objects
    from maxray_gen.config import Config
    from maxray_gen.scene.cyclists import FIRST_CYCLIST_ID, cyclist_objects, sample_cyclist
    from maxray_gen.scene.drones import FIRST_DRONE_ID, drone_objects, sample_drone
    from maxray_gen.scene.people import FIRST_PERSON_ID, person_objects, sample_person
    from maxray_gen.scene.spec import sample_scene
    from maxray_gen.seeding import rng_for
    from maxray_gen.snapshot import SceneSnapshot

    if kind not in KINDS:
        raise DataError(f"unknown kind {kind!r}; choose from {', '.join(KINDS)}")
    x, y, z = (float(v) for v in location)
    yaw = math.radians(heading_deg)
    taken = [int(o.get("maxray_instance_id", 0)) for o in bpy.data.objects]
    first = {"person": FIRST_PERSON_ID, "cyclist": FIRST_CYCLIST_ID, "drone": FIRST_DRONE_ID}[kind]
    iid = max([first] + [t + 1 for t in taken if first <= t < first + 100])  # each kind its own id range
    rng = rng_for(seed, iid, "addon_" + kind)
    cfg = Config()
    spec = sample_scene(cfg.scene.model_copy(update={"max_cars": 0, "min_moving_cars": 0, "max_moving_cars": 0}),
                        cfg.camera, seed)
    if kind == "person":
        p = sample_person(rng, iid, x, y, yaw, 0.0, 0.0 if walking else 1.0)
        spec, objs = replace(spec, people=(replace(p, z=z),)), person_objects([replace(p, z=z)])
    elif kind == "cyclist":
        c = replace(sample_cyclist(rng, iid, x, y, yaw, cfg.scene.cyclist_speed_mps), z=z)
        spec, objs = replace(spec, cyclists=(c,)), cyclist_objects([c])
    else:
        if z < 1.0:
            raise DataError(f"a drone flies: put the 3D cursor at least 1 m above the ground (it is at z = {z:g} m)")
        d = replace(sample_drone(rng, iid, x, y, (z, z), cfg.scene.drone_rotor_hz, 1.0, (0.0, 0.0)), yaw=yaw)
        spec, objs = replace(spec, drones=(d,)), drone_objects([d])
    before = set(bpy.data.objects)
    sync_objects({}, spec, SceneSnapshot(tuple(objs), spec.basestation))
    return sorted((o for o in bpy.data.objects if o not in before), key=lambda o: o.name)


def mover_summary(objects) -> dict[str, float]:
    """Instance id, piece count and the fastest piece's speed of objects made by :func:`add_mover`."""
    speeds = [float(np.linalg.norm(list(o["maxray_velocity"]))) for o in objects]
    return {"instance_id": int(objects[0]["maxray_instance_id"]), "pieces": len(objects),
            "max_speed_mps": max(speeds) if speeds else 0.0}
