"""Where random cars go: parking slots and driving lanes, and the sampler that fills them.

The built-in lot (maxray_gen.scene.spec) and user scenarios (slots and lanes tagged in a .blend) share this sampler,
so occupancy (``scene.min_cars``/``max_cars``), nose-in share, jitter and moving cars behave the same in both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from maxray_gen.geometry import oriented_rectangle
from maxray_gen.scene.cars import sample_body
from maxray_gen.scene.config import SceneConfig

NOSE_IN_SHARE = 0.7  # cars parked facing the slot's heading (nose to the lane in the built-in lot)
LANE_OFFSET_M = 1.4  # right-hand traffic: a driving car keeps this far right of the lane's centre line
MOVING_MARGIN_M = 0.5  # a driving car keeps this gap to every other car's footprint


@dataclass(frozen=True)
class Slot:
    """A parking slot: centre on the ground (world metres) and the heading (radians from +x towards +y) a car
    parked the usual way points its nose along."""

    x: float
    y: float
    z: float
    yaw: float
    name: str = ""


@dataclass(frozen=True)
class Lane:
    """A straight two-way lane: centre, direction (radians) and length; cars drive on the right-hand half."""

    x: float
    y: float
    z: float
    yaw: float
    length: float = 20.0
    name: str = ""


@dataclass(frozen=True)
class CarSpec:
    instance_id: int
    body: str
    length: float
    width: float
    height: float
    colour_name: str
    colour: tuple[float, float, float]
    x: float
    y: float
    yaw: float  # heading, radians from +x towards +y
    speed: float = 0.0  # along the heading, m/s (0: parked)
    slot: int = -1  # index of its slot when parked (0..19 in the built-in lot), -1 when driving
    z: float = 0.0  # ground height under the car (user scenarios' slots and lanes)

    @property
    def velocity(self) -> np.ndarray:
        return np.array([self.speed * math.cos(self.yaw), self.speed * math.sin(self.yaw), 0.0])

    def footprint(self) -> np.ndarray:
        """Corners (4, 2) of the car's oriented ground rectangle."""
        return oriented_rectangle(self.x, self.y, self.length, self.width, self.yaw)


def obb_overlap(a: np.ndarray, b: np.ndarray, margin: float = 0.0) -> bool:
    """Separating-axis test of two convex quadrilaterals (4, 2); ``margin`` grows the gap required."""
    for poly in (a, b):
        for i in range(4):
            edge = poly[(i + 1) % 4] - poly[i]
            axis = np.array([-edge[1], edge[0]]) / np.linalg.norm(edge)
            pa, pb = a @ axis, b @ axis
            if pa.max() + margin < pb.min() or pb.max() + margin < pa.min():
                return False
    return True


def fill(rng_layout: np.random.Generator, rng_cars: np.random.Generator, cfg: SceneConfig,
         slots: tuple[Slot, ...], lanes: tuple[Lane, ...], first_id: int):
    """Random cars (CarSpec) for ``slots`` and ``lanes``: between ``min_cars`` and ``max_cars`` parked (room kept
    for ``min_moving_cars``; at most one per slot), then 0..``max_moving_cars`` driving on the lanes without
    overlapping any car. Which slots: ``rng_layout``; bodies, colours, jitter and motion: ``rng_cars``."""
    hi = min(cfg.max_cars - cfg.min_moving_cars, len(slots))
    n = int(rng_layout.integers(min(cfg.min_cars, hi), hi + 1)) if slots else 0
    chosen = np.sort(rng_layout.choice(len(slots), size=n, replace=False)) if n else []
    cars: list[CarSpec] = []
    for k, index in enumerate(chosen):
        s = slots[int(index)]
        body, length, width, height, cname, rgb = sample_body(rng_cars)
        jitter = rng_cars.normal(0.0, cfg.slot_jitter_m / 2, 2).clip(-cfg.slot_jitter_m, cfg.slot_jitter_m)
        nose_in = rng_cars.random() < NOSE_IN_SHARE
        yaw = s.yaw + (0.0 if nose_in else math.pi) + math.radians(rng_cars.normal(0, cfg.yaw_noise_deg))
        cars.append(CarSpec(first_id + k, body, length, width, height, cname, rgb,
                            s.x + float(jitter[0]), s.y + float(jitter[1]), float(yaw), 0.0, int(index), s.z))
    if not lanes:
        return tuple(cars)
    n_moving = min(int(rng_cars.integers(cfg.min_moving_cars, cfg.max_moving_cars + 1)), cfg.max_cars - len(cars))
    for _ in range(n_moving):
        body, length, width, height, cname, rgb = sample_body(rng_cars)
        direction = 1 if rng_cars.random() < 0.5 else -1
        lane = lanes[int(rng_cars.integers(len(lanes)))] if len(lanes) > 1 else lanes[0]
        speed = float(rng_cars.uniform(*cfg.moving_speed_mps))
        side = -LANE_OFFSET_M * direction  # along the lane's left normal
        yaw = lane.yaw if direction > 0 else lane.yaw + math.pi
        for _ in range(30):  # rejection sampling against every car placed so far
            t = float(rng_cars.uniform(-lane.length / 2, lane.length / 2))
            x = lane.x + t * math.cos(lane.yaw) + side * -math.sin(lane.yaw)
            y = lane.y + t * math.sin(lane.yaw) + side * math.cos(lane.yaw)
            cand = CarSpec(first_id + len(cars), body, length, width, height, cname, rgb, x, y, yaw, speed, -1, lane.z)
            if not any(obb_overlap(cand.footprint(), c.footprint(), MOVING_MARGIN_M) for c in cars):
                cars.append(cand)
                break
    return tuple(cars)
