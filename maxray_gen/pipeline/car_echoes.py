"""Car echoes of the shipped lot without Blender: the same scene sampler, geometry, camera labels (ray-cast
instance pass, visible fractions) and radar as ``maxray generate``, only no RGB render. Used by
``scripts/car_echoes.py`` and the tests to check that cars stand out in the radar maps."""

from __future__ import annotations

import numpy as np

from maxray_gen.config import Config
from maxray_gen.radar.echoes import car_echoes
from maxray_gen.radar.processing import heatmaps


def lot_objects_table(snapshot, cfg: Config):
    """Per-car rows with the OBJECT_DTYPE fields car_echoes() reads (in view, ranges, azimuth, visible fraction)."""
    from maxray_gen.sensors.boxes import instance_boxes
    from maxray_gen.sensors.camera import Intrinsics, render_passes
    from maxray_gen.sensors.groundtruth import instance_truth
    from maxray_gen.sensors.raycast import RayCaster

    intr = Intrinsics.from_config(cfg.camera)
    caster = RayCaster(snapshot)
    passes = render_passes(snapshot, intr, caster)
    boxes = {b.instance_id: b for b in instance_boxes(snapshot, passes, intr, caster=caster)}
    dtype = np.dtype([("instance_id", np.int64), ("in_radar_view", bool), ("range_m", np.float64),
                      ("nearest_range_m", np.float64), ("heatmap_azimuth_rad", np.float64),
                      ("visible_fraction", np.float64)])
    truth = instance_truth(snapshot, cfg.radar, roles=("car", "target"))  # cars only (not people or drones)
    rows = np.zeros(len(truth), dtype)
    for r, t in zip(rows, truth):
        v = snapshot.instance_vertices(t.instance_id)
        b = boxes.get(t.instance_id)
        r["instance_id"], r["in_radar_view"], r["range_m"] = t.instance_id, t.in_radar_view, t.range_m
        r["nearest_range_m"] = np.linalg.norm(v - snapshot.basestation.position, axis=1).min()
        r["heatmap_azimuth_rad"] = t.heatmap_azimuth_rad
        r["visible_fraction"] = b.visible_fraction if b is not None else 0.0
    return rows


def lot_car_echoes(cfg: Config, seed: int, index: int = 0, tracer=None) -> list[dict]:
    """car_echoes() rows of sample ``index`` of the lot ``cfg`` describes (weather materials applied), through
    the dataset's radar stage."""
    from maxray_gen.pipeline.radar_stage import radar_stage
    from maxray_gen.scene.lot import build_snapshot
    from maxray_gen.scene.spec import sample_scene

    spec = sample_scene(cfg.scene, cfg.camera, seed, index)
    snap = build_snapshot(spec, cfg.trace.weather_materials)
    res = radar_stage(snap, cfg, seed, index, spec.weather, tracer, products=("range_azimuth",))
    paths, ra = res.paths, res.maps["range_azimuth"]
    table = lot_objects_table(snap, cfg)
    own = {}
    for row in table:
        mine = paths.touches(int(row["instance_id"]))
        if row["in_radar_view"] and row["visible_fraction"] >= 0.5 and mine.any():
            own[int(row["instance_id"])] = heatmaps(paths.select(mine), cfg.radar, None, noise=False).range_azimuth
    return car_echoes(ra, cfg.radar.range_axis_m, cfg.radar.azimuth_axis_rad, table, cfg.radar, own_maps=own)
