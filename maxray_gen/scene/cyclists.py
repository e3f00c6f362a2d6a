"""Cyclists: a bicycle (frame tubes, wheels with tyres, rims and spokes, crank and pedals) ridden by a pedalling
rider: parameters (`CyclistSpec`), kinematics and meshes.

Bicycle (metres; frame x forward, y left, z up, origin on the ground under the bottom bracket): 700c wheels of
radius 0.34 m (tyre included) 1.0 m apart, the bottom bracket 0.07 m below the axles, a 73 deg seat tube, cranks of
0.17 m; aluminium tubes (radio ``metal``), rubber tyres, 24 steel spokes per wheel. The rider's hips sit on the
saddle, whose height puts the knee at 0.96 of the straight leg at the bottom of the stroke (the usual fitting
rule); the trunk leans 40 deg forward to the handlebar, the hands on its grips (elbows bent outwards by 2-link
inverse kinematics), the feet on the pedals (knees by 2-link inverse kinematics in the sagittal plane).

Motion: the bicycle rolls at ``speed_mps`` (wheels turn at speed / radius, a point on the tyre moves at
v + omega x r: 2 v on top, 0 where it touches the ground), the cranks turn at ``cadence_rpm`` and the legs follow;
every rim arc, spoke, tyre arc and limb piece carries its own velocity. Urban cyclists ride at 3-7 m/s (about 18
km/h on average in city traffic counts) at 60-90 rpm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from maxray_gen.geometry import oriented_rectangle
from maxray_gen.primitives import rotate_z
from maxray_gen.scene.body_mesh import Tube, tube_pieces
from maxray_gen.scene.gait import ANKLE_HEIGHT, FOOT, FOREARM, HAND, HIP_HALF, NECK, SHANK, SHOULDER_HALF, THIGH, \
    TORSO, UPPER_ARM
from maxray_gen.scene.people import RADIO_MATERIALS as BODY_MATERIALS
from maxray_gen.scene.people import StraightMotion, WorldPiece, adult_height, body_pieces, camera_colours
from maxray_gen.snapshot import SnapshotObject

FIRST_CYCLIST_ID = 500
WHEEL_RADIUS_M, WHEELBASE_M, BB_DROP_M, CRANK_M, SEAT_ANGLE_DEG = 0.34, 1.0, 0.07, 0.17, 73.0
REAR_AXLE_X = -0.42
SPOKES, RIM_ARCS = 24, 16
TRUNK_LEAN_DEG = 40.0
RADIO_MATERIALS = tuple(sorted(set(BODY_MATERIALS) | {"metal", "plastic", "rubber"}))  # rider and bicycle


@dataclass(frozen=True)
class CyclistSpec(StraightMotion):
    """One cyclist at t = 0: ground point under the bottom bracket (x, y), heading ``yaw``, rider height, speed,
    cadence and crank angle at t = 0; camera colours of the rider."""

    instance_id: int
    x: float
    y: float
    yaw: float
    height_m: float
    speed_mps: float
    cadence_rpm: float
    crank0: float = 0.0
    z: float = 0.0
    skin: tuple[float, float, float] = (0.62, 0.43, 0.33)
    top: tuple[float, float, float] = (0.2, 0.2, 0.25)
    bottom: tuple[float, float, float] = (0.1, 0.1, 0.15)

    def footprint(self, time_s: float = 0.0) -> np.ndarray:
        p = self.position(time_s) + [0.08 * math.cos(self.yaw), 0.08 * math.sin(self.yaw), 0.0]
        return oriented_rectangle(p[0], p[1], 1.75, 0.6, self.yaw)

    def crank_angle(self, time_s: float) -> float:
        """Right crank angle (radians, 0 = forward, positive = downwards-forward turning as the wheels do)."""
        return self.crank0 + 2 * math.pi * self.cadence_rpm / 60.0 * time_s


def _rider_geometry(h: float) -> dict[str, np.ndarray]:
    """Fixed points of the bicycle fitted to a rider of height ``h`` (bike frame): bottom bracket, hip centre,
    handlebar grips."""
    bb = np.array([0.0, 0.0, WHEEL_RADIUS_M - BB_DROP_M])
    seat_dir = np.array([-math.cos(math.radians(SEAT_ANGLE_DEG)), 0.0, math.sin(math.radians(SEAT_ANGLE_DEG))])
    leg = (THIGH + SHANK) * h
    bottom_ankle = bb + [0.0, 0.0, -CRANK_M] + [-0.2 * FOOT * h, 0.0, ANKLE_HEIGHT * h]
    # saddle: the hip sits where the ankle at the bottom of the stroke is 0.96 of the straight leg away
    lo, hi = 0.2, 1.5
    for _ in range(60):
        mid = (lo + hi) / 2
        if np.linalg.norm(bb + mid * seat_dir - bottom_ankle) < 0.96 * leg:
            lo = mid
        else:
            hi = mid
    hip = bb + lo * seat_dir
    lean = math.radians(TRUNK_LEAN_DEG)
    neck = hip + TORSO * h * np.array([math.sin(lean), 0.0, math.cos(lean)])
    arm = (UPPER_ARM + FOREARM + HAND / 2) * h
    grip_dir = np.array([math.sin(math.radians(35.0)), 0.0, -math.cos(math.radians(35.0))])  # forward-down
    grips = neck + [0.0, 0.0, -0.03 * h] + 0.9 * arm * grip_dir
    return {"bb": bb, "hip": hip, "neck": neck, "grips": grips}


def _two_link(a: np.ndarray, b: np.ndarray, l1: float, l2: float, bend: np.ndarray) -> np.ndarray:
    """The middle joint of a two-link chain from ``a`` to ``b`` (links ``l1``, ``l2``), bent towards ``bend``."""
    d = b - a
    dist = float(np.clip(np.linalg.norm(d), 1e-6, 0.999 * (l1 + l2)))
    u = d / max(np.linalg.norm(d), 1e-9)
    along = (l1**2 - l2**2 + dist**2) / (2 * dist)
    off = math.sqrt(max(l1**2 - along**2, 0.0))
    w = bend - u * float(bend @ u)
    w /= max(np.linalg.norm(w), 1e-9)
    return a + along * u + off * w


def rider_joints(c: CyclistSpec, time_s: float, g: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """The rider's joints (bike frame, relative to the bike's position at ``time_s``); ``g``: the bicycle's fitted
    points (:func:`_rider_geometry`) when already known."""
    h = c.height_m
    g = g or _rider_geometry(h)
    j = {"pelvis": g["hip"], "neck": g["neck"], "head_top": g["neck"] + [0.0, 0.0, (NECK + 0.13) * h]}
    j["waist"] = g["hip"] + 0.35 * (g["neck"] - g["hip"])
    for s, sign, phase in (("r", -1.0, 0.0), ("l", 1.0, math.pi)):
        a = c.crank_angle(time_s) + phase
        pedal = g["bb"] + [CRANK_M * math.cos(a), sign * 0.12, -CRANK_M * math.sin(a)]
        ball = pedal + [0.0, 0.0, 0.01]
        heel = ball - [0.7 * FOOT * h, 0.0, 0.0]
        toe = ball + [0.3 * FOOT * h, 0.0, 0.0]
        ankle = heel + [0.25 * FOOT * h, 0.0, ANKLE_HEIGHT * h]
        hip = g["hip"] + [0.0, sign * HIP_HALF * h, 0.0]
        j[f"{s}_hip"], j[f"{s}_ankle"], j[f"{s}_heel"], j[f"{s}_toe"] = hip, ankle, heel, toe
        j[f"{s}_knee"] = _two_link(hip, ankle, THIGH * h, SHANK * h, np.array([1.0, 0.0, 0.3]))
        sh = g["neck"] + [0.0, sign * SHOULDER_HALF * h, -0.03 * h]
        hand = g["grips"] + [0.0, sign * 0.21, 0.0]
        j[f"{s}_shoulder"] = sh
        j[f"{s}_elbow"] = _two_link(sh, hand, UPPER_ARM * h, (FOREARM + HAND / 2) * h, np.array([0.0, 0.4 * sign, -1.0]))
        fore = hand - j[f"{s}_elbow"]
        fore /= np.linalg.norm(fore)
        j[f"{s}_wrist"] = j[f"{s}_elbow"] + FOREARM * h * fore
        j[f"{s}_hand"] = j[f"{s}_wrist"] + HAND * h * fore
    return j


def _frame_tubes(g: dict[str, np.ndarray]) -> list[tuple[str, np.ndarray, np.ndarray, float]]:
    """(name, start, end, diameter) of the frame, fork, seat post, stem and handlebar (bike frame)."""
    rear = np.array([REAR_AXLE_X, 0.0, WHEEL_RADIUS_M])
    front = np.array([REAR_AXLE_X + WHEELBASE_M, 0.0, WHEEL_RADIUS_M])
    bb = g["bb"]
    seat_top = bb + 0.8 * (g["hip"] - bb)
    head_top = g["grips"] + np.array([-0.05, 0.0, -0.08])
    head_bottom = front + 0.45 * (head_top - front)
    out = [("top_tube", seat_top, head_top, 0.03), ("down_tube", bb, head_bottom, 0.038),
           ("seat_tube", bb, seat_top, 0.03), ("seat_post", seat_top, g["hip"] - [0, 0, 0.04], 0.027),
           ("head_tube", head_bottom, head_top, 0.04), ("stem", head_top, g["grips"] + [-0.02, 0, 0], 0.03),
           ("handlebar", g["grips"] + [0, -0.23, 0], g["grips"] + [0, 0.23, 0], 0.024)]
    for s, y in (("r", -0.06), ("l", 0.06)):
        out += [(f"chain_stay_{s}", bb, rear + [0, y, 0], 0.018), (f"seat_stay_{s}", seat_top, rear + [0, y, 0], 0.016),
                (f"fork_{s}", head_bottom, front + [0, y * 0.8, 0], 0.022)]
    out.append(("saddle", g["hip"] + [-0.09, 0, -0.035], g["hip"] + [0.14, 0, -0.035], 0.07))
    return out


def bicycle_pieces(c: CyclistSpec, time_s: float, g: dict[str, np.ndarray] | None = None) -> list[WorldPiece]:
    """The bicycle's pieces (bike frame, relative to its position; velocities in the bike frame, world speed
    included); ``g`` as for :func:`rider_joints`."""
    g = g or _rider_geometry(c.height_m)
    v = np.array([c.speed_mps, 0.0, 0.0])
    out: list[Piece] = []
    fwd = np.array([1.0, 0.0, 0.0])
    for name, a, b, dia in _frame_tubes(g):
        t = Tube(name, "a", "b", (dia, dia), (dia, dia), "plastic" if name == "saddle" else "metal", 1, 16, 0.1)
        p = tube_pieces(t, a, b, v, v, fwd if abs((b - a)[0]) < 0.9 * np.linalg.norm(b - a) else
                        np.array([0.0, 0.0, 1.0]), end_rings=3)[0]
        out.append((name, p.material, p.vertices, p.faces, p.velocity))
    omega = c.speed_mps / WHEEL_RADIUS_M  # wheels roll: angular velocity about -y (forward motion)
    spin = c.speed_mps * time_s / WHEEL_RADIUS_M
    for wname, ax in (("rear", REAR_AXLE_X), ("front", REAR_AXLE_X + WHEELBASE_M)):
        hub = np.array([ax, 0.0, WHEEL_RADIUS_M])

        def point(radius: float, angle: float) -> np.ndarray:
            return hub + [radius * math.cos(angle), 0.0, radius * math.sin(angle)]

        def speed_at(p: np.ndarray) -> np.ndarray:
            r = p - hub
            return v + np.cross([0.0, -omega, 0.0], r)

        for k in range(RIM_ARCS):  # tyre and rim arcs
            a0 = -spin + 2 * math.pi * k / RIM_ARCS
            a1 = a0 + 2 * math.pi / RIM_ARCS
            for part, radius, dia, mat in (("tyre", WHEEL_RADIUS_M - 0.016, 0.032, "rubber"),
                                           ("rim", WHEEL_RADIUS_M - 0.045, 0.02, "metal")):
                p0, p1 = point(radius, a0), point(radius, a1)
                t = Tube(f"{wname}_{part}{k}", "a", "b", (dia, dia), (dia, dia), mat, 1, 10, 0.02)
                p = tube_pieces(t, p0, p1, speed_at(p0), speed_at(p1), np.array([0.0, 1.0, 0.0]), end_rings=2)[0]
                out.append((p.name, mat, p.vertices, p.faces, p.velocity))
        for k in range(SPOKES):
            a = -spin + 2 * math.pi * (k + 0.5) / SPOKES
            y = 0.03 if k % 2 else -0.03
            p0, p1 = hub + [0.0, y, 0.0], point(WHEEL_RADIUS_M - 0.05, a)
            t = Tube(f"{wname}_spoke{k}", "a", "b", (0.004, 0.004), (0.004, 0.004), "metal", 1, 6, 0.02)
            p = tube_pieces(t, p0, p1, speed_at(p0), speed_at(p1), np.array([1.0, 0.0, 0.0]), end_rings=2)[0]
            out.append((p.name, "metal", p.vertices, p.faces, p.velocity))
        hub_t = Tube(f"{wname}_hub", "a", "b", (0.035, 0.035), (0.035, 0.035), "metal", 1, 12, 0.1)
        p = tube_pieces(hub_t, hub - [0, 0.05, 0], hub + [0, 0.05, 0], v, v, fwd, end_rings=2)[0]
        out.append((p.name, "metal", p.vertices, p.faces, v))
    crank_w = 2 * math.pi * c.cadence_rpm / 60.0
    for s, sign, phase in (("r", -1.0, 0.0), ("l", 1.0, math.pi)):
        a = c.crank_angle(time_s) + phase
        arm = np.array([CRANK_M * math.cos(a), 0.0, -CRANK_M * math.sin(a)])
        tip_v = v + crank_w * np.array([-math.sin(a), 0.0, -math.cos(a)]) * CRANK_M
        base = g["bb"] + [0, sign * 0.08, 0]
        t = Tube(f"crank_{s}", "a", "b", (0.025, 0.025), (0.02, 0.02), "metal", 1, 10, 0.1)
        p = tube_pieces(t, base, base + arm, v, tip_v, fwd, end_rings=2)[0]
        out.append((p.name, "metal", p.vertices, p.faces, p.velocity))
        pedal = g["bb"] + arm + [0, sign * 0.12, 0]
        t = Tube(f"pedal_{s}", "a", "b", (0.06, 0.06), (0.02, 0.02), "plastic", 1, 8, 0.1)
        p = tube_pieces(t, pedal - [0.045, 0, 0], pedal + [0.045, 0, 0], tip_v, tip_v, np.array([0.0, 0.0, 1.0]),
                        end_rings=2)[0]
        out.append((p.name, "plastic", p.vertices, p.faces, tip_v))
    return out


def cyclist_pieces(c: CyclistSpec, time_s: float, dt: float = 1e-3) -> list[WorldPiece]:
    """(name, material, world vertices, faces, world velocity) of a cyclist at ``time_s``."""
    origin = c.position(time_s)
    g = _rider_geometry(c.height_m)
    j = rider_joints(c, time_s, g)
    ja, jb = rider_joints(c, time_s + dt, g), rider_joints(c, time_s - dt, g)
    v = {k: (ja[k] - jb[k]) / (2 * dt) + [c.speed_mps, 0.0, 0.0] for k in j}
    out = [("rider_" + n, m, vv, f, u) for n, m, vv, f, u in body_pieces(c.height_m, j, v, c.yaw, origin)]
    for n, m, vv, f, u in bicycle_pieces(c, time_s, g):
        out.append((n, m, rotate_z(vv, c.yaw) + origin, f, rotate_z(u[None], c.yaw)[0]))
    return out


def cyclist_objects(cyclists, time_s: float = 0.0) -> list[SnapshotObject]:
    """Snapshot objects (role ``cyclist``) of every cyclist at ``time_s``; the rider's thorax first."""
    out = []
    for c in cyclists:
        for name, mat, verts, faces, vel in cyclist_pieces(c, time_s):
            out.append(SnapshotObject(f"cyclist{c.instance_id}_{name}", c.instance_id, "cyclist", mat, verts, faces,
                                      vel))
    return out


def sample_cyclist(rng: np.random.Generator, instance_id: int, x: float, y: float, yaw: float,
                   speed_range: tuple[float, float]) -> CyclistSpec:
    """An adult rider (heights as people's), speed, cadence 60-90 rpm, crank angle, colours."""
    height = adult_height(rng, 1.5, 2.0)
    colours = camera_colours(rng)
    return CyclistSpec(instance_id, x, y, yaw, height, float(rng.uniform(*speed_range)), float(rng.uniform(60, 90)),
                       float(rng.uniform(0, 2 * math.pi)), 0.0, *colours)
