"""Small quadcopters (the 3GPP TR 38.901 Rel-19 "UAV small" class, 0.3 x 0.4 x 0.2 m): parameters, sampling, meshes.

Geometry (metres, drone frame x forward, y left, z up, origin at the body centre): a plastic body shell 0.14 x 0.09
x 0.06, four carbon-fibre arms (conducting at mm-wave: radio material ``metal``) to rotor hubs at (+-0.09, +-0.125),
metal motors, a metal camera gimbal, two plastic landing skids 0.12 below the body centre, and four rotors of ``blades``
plastic blades (radius 0.065 m, chord 0.014 m, pitch 12 deg) 0.035 m above the body: the whole drone spans
about 0.31 x 0.38 x 0.17 m. Each blade is cut into three radial pieces, each moving at v + omega x r of its own centre,
so the radar sees the blades' Doppler up to 5/6 of the tip speed and their flashes: a blade row perpendicular to
the line of sight returns strongly, ``blades`` times per revolution for an even blade count.

Rotors turn at ``rotor_hz`` revolutions per second (diagonal pairs in opposite senses); the default range 80-120
rev/s (4,800-7,200 rpm) is typical of small quadcopters' propellers in hover and slow flight.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from maxray_gen.primitives import box
from maxray_gen.scene.body_mesh import Tube, tube_pieces
from maxray_gen.scene.people import WorldPiece
from maxray_gen.snapshot import SnapshotObject

FIRST_DRONE_ID = 400
ROTOR_HUBS = ((0.09, 0.125), (-0.09, -0.125), (0.09, -0.125), (-0.09, 0.125))  # CCW, CCW, CW, CW (diagonals)
ROTOR_SENSE = (1, 1, -1, -1)
ROTOR_RADIUS_M, BLADE_CHORD_M, BLADE_THICKNESS_M, BLADE_PITCH_DEG, HUB_RADIUS_M = 0.065, 0.014, 0.002, 12.0, 0.008
ROTOR_Z_M = 0.035  # blade plane above the body centre
BLADE_PIECES = 3
RADIO_MATERIALS = ("metal", "plastic")


@dataclass(frozen=True)
class DroneSpec:
    """One drone at t = 0: body centre (x, y, z), heading ``yaw``, velocity (m/s, world), rotor rate (rev/s),
    blades per rotor and the rotors' angles at t = 0 (radians)."""

    instance_id: int
    x: float
    y: float
    z: float
    yaw: float
    velocity: tuple[float, float, float]
    rotor_hz: float
    blades: int = 2
    rotor_phase: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)

    def position(self, time_s: float) -> np.ndarray:
        return np.array([self.x, self.y, self.z]) + np.asarray(self.velocity) * time_s

    def blade_angles(self, rotor: int, time_s: float) -> np.ndarray:
        """Angles (radians, drone frame) of rotor ``rotor``'s blades at ``time_s``."""
        a = self.rotor_phase[rotor] + ROTOR_SENSE[rotor] * 2 * math.pi * self.rotor_hz * time_s
        return a + 2 * math.pi * np.arange(self.blades) / self.blades


def _rot_z(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _rot_x(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


@lru_cache(maxsize=1)
def _frame_parts() -> tuple[tuple[str, str, np.ndarray, np.ndarray], ...]:
    """(name, material, vertices, faces) of the rigid frame in the drone frame (the same for every drone: built
    once; callers place copies)."""
    parts = [("body", "plastic", *box((0, 0, 0), (0.14, 0.09, 0.06))),
             ("gimbal", "metal", *box((0.06, 0, -0.045), (0.035, 0.035, 0.03))),
             ("skid_l", "plastic", *box((0, 0.05, -0.12), (0.16, 0.008, 0.01))),
             ("skid_r", "plastic", *box((0, -0.05, -0.12), (0.16, 0.008, 0.01))),
             ("legs", "plastic", *box((0, 0, -0.0775), (0.01, 0.1, 0.085)))]
    for k, (hx, hy) in enumerate(ROTOR_HUBS):
        length = math.hypot(hx, hy)
        parts.append((f"arm{k}", "metal", *box((hx / 2, hy / 2, 0.0), (length, 0.012, 0.012), math.atan2(hy, hx))))
        motor = Tube(f"motor{k}", "a", "b", (0.028, 0.028), (0.028, 0.028), "metal", 1, 40, 0.1)
        p = tube_pieces(motor, np.array([hx, hy, 0.0]), np.array([hx, hy, ROTOR_Z_M - 0.003]), np.zeros(3),
                        np.zeros(3), np.array([1.0, 0.0, 0.0]), end_rings=4)[0]
        parts.append((p.name, "metal", p.vertices, p.faces))
    for _name, _mat, verts, faces in parts:  # shared by every drone: read-only
        verts.flags.writeable = faces.flags.writeable = False
    return tuple(parts)


def _chord(r: float) -> float:
    """Blade chord at radius ``r``: tapering to 70 % at the tip."""
    return BLADE_CHORD_M * (1.0 - 0.3 * (r - HUB_RADIUS_M) / (ROTOR_RADIUS_M - HUB_RADIUS_M))


def blade_piece(r0: float, r1: float, root: bool, tip: bool) -> tuple[np.ndarray, np.ndarray]:
    """The blade's surface between radii ``r0`` and ``r1`` (along x; chord along y, thickness along z): four
    faces around, closed only at the blade's own root and tip (the cuts between pieces are not surfaces)."""
    t = BLADE_THICKNESS_M / 2
    ring = lambda r: [(r, sy * _chord(r) / 2, sz * t) for sy, sz in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
    v = np.array(ring(r0) + ring(r1), np.float64)
    f = []
    for i in range(4):
        j = (i + 1) % 4
        f += [(i, j, 4 + j), (i, 4 + j, 4 + i)]
    if root:
        f += [(0, 3, 2), (0, 2, 1)]
    if tip:
        f += [(4, 5, 6), (4, 6, 7)]
    return v, np.array(f, np.int64)


def drone_pieces(d: DroneSpec, time_s: float) -> list[WorldPiece]:
    """(name, material, world vertices, faces, world velocity) of a drone at ``time_s``."""
    r_world = _rot_z(d.yaw)
    centre = d.position(time_s)
    v = np.asarray(d.velocity, np.float64)
    out = [(name, mat, verts @ r_world.T + centre, faces, v) for name, mat, verts, faces in _frame_parts()]
    omega = 2 * math.pi * d.rotor_hz
    edges = np.linspace(HUB_RADIUS_M, ROTOR_RADIUS_M, BLADE_PIECES + 1)
    for k, (hx, hy) in enumerate(ROTOR_HUBS):
        hub = np.array([hx, hy, ROTOR_Z_M])
        w = np.array([0.0, 0.0, ROTOR_SENSE[k] * omega])  # angular velocity, drone frame
        for b, ang in enumerate(d.blade_angles(k, time_s)):
            # pitch: the leading edge up, i.e. turned about the blade's radial axis against the sense of rotation
            r_blade = _rot_z(float(ang)) @ _rot_x(-ROTOR_SENSE[k] * math.radians(BLADE_PITCH_DEG))
            for p in range(BLADE_PIECES):
                r0, r1 = edges[p], edges[p + 1]
                verts, faces = blade_piece(r0, r1, p == 0, p == BLADE_PIECES - 1)
                local = verts @ r_blade.T + hub
                c = r_blade @ np.array([(r0 + r1) / 2, 0.0, 0.0]) + hub
                vel = v + r_world @ np.cross(w, c - hub)
                out.append((f"rotor{k}_blade{b}_{p}", "plastic", local @ r_world.T + centre, faces, vel))
    return out


def drone_objects(drones, time_s: float = 0.0) -> list[SnapshotObject]:
    """Snapshot objects (role ``drone``) of every drone at ``time_s``; the body first (its velocity: the drone's)."""
    out = []
    for d in drones:
        for name, mat, verts, faces, vel in drone_pieces(d, time_s):
            out.append(SnapshotObject(f"drone{d.instance_id}_{name}", d.instance_id, "drone", mat, verts, faces, vel))
    return out


def sample_drone(rng: np.random.Generator, instance_id: int, x: float, y: float, height_range: tuple[float, float],
                 rotor_hz: tuple[float, float], hover_share: float, speed_range: tuple[float, float]) -> DroneSpec:
    """A drone over (x, y): height, heading, hovering or flying level at a drawn speed, rotor rate and phases."""
    z = float(rng.uniform(*height_range))
    yaw = float(rng.uniform(-math.pi, math.pi))
    speed = 0.0 if rng.random() < hover_share else float(rng.uniform(*speed_range))
    vel = (speed * math.cos(yaw), speed * math.sin(yaw), 0.0)
    phases = tuple(float(a) for a in rng.uniform(0, 2 * math.pi, 4))
    return DroneSpec(instance_id, x, y, z, yaw, vel, float(rng.uniform(*rotor_hz)), 2, phases)
