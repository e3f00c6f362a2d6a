"""Per-instance groundtruth in the radar frame: range, azimuth, elevation of each object's centre and bins."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from maxray_gen.radar import coordinates as rgt
from maxray_gen.radar.config import RadarConfig
from maxray_gen.snapshot import LABELLED_ROLES, SceneSnapshot


@dataclass(frozen=True)
class InstanceTruth:
    instance_id: int
    role: str
    centre: np.ndarray  # world (3,), centre of the axis-aligned bounds of all its parts
    velocity: np.ndarray
    range_m: float
    azimuth_rad: float  # sensor frame, positive right
    elevation_rad: float
    heatmap_azimuth_rad: float  # where it appears in the range-azimuth map
    range_bin: float
    azimuth_bin: float
    radial_velocity_mps: float
    in_radar_view: bool


def instance_truth(snapshot: SceneSnapshot, radar: RadarConfig, roles=LABELLED_ROLES) -> list[InstanceTruth]:
    out = []
    for iid in sorted({o.instance_id for o in snapshot.objects if o.role in roles}):
        v = snapshot.instance_vertices(iid)
        centre = (v.min(axis=0) + v.max(axis=0)) / 2
        first = snapshot.by_id(iid)
        c = rgt.world_points_to_radar(centre, snapshot.basestation, radar)
        haz = float(rgt.heatmap_azimuth(c.azimuth_rad, c.elevation_rad, radar))
        vr = float(rgt.radial_velocity(centre[None], first.velocity[None], snapshot.basestation)[0])
        out.append(InstanceTruth(iid, first.role, centre, first.velocity.copy(), float(c.range_m),
                                 float(c.azimuth_rad), float(c.elevation_rad), haz, float(c.range_bin),
                                 float(rgt.azimuth_to_bin(haz, radar)), vr, bool(c.in_view)))
    return out
