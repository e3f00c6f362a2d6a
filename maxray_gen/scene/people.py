"""Walking and standing people: their parameters (`PersonSpec`), how the lot samples them, and their meshes.

Body: 16 segments (pelvis, thorax, neck, head, upper arms, forearms, hands, thighs, shanks, feet) as rounded tubes
between the joints of :mod:`maxray_gen.scene.gait` (Boulic-Thalmann walk), limbs cut into two pieces, each piece
with its own velocity, so one mesh serves camera, lidar and radar and every piece's echo carries its own Doppler.
Tube girths are fractions of the height (adult anthropometric means: hip breadth ~0.2 H, chest depth ~0.13 H,
thigh ~0.095 H, ...). Radio material: skin (``skin``; textiles are nearly transparent at 60 GHz, so the radar
sees the skin under thin clothes), shoes ``rubber``.

Sizes (docs/scenarios.md): adults' heights ~ N(1.754, 0.076) m (men) and N(1.617, 0.071) m (women), the US
adult means of NHANES 2015-2018 (Fryar et al. 2021); children 5-12 years, 1.10-1.52 m (CDC growth charts' medians
over that age range). Comfortable walking speed: adults N(1.34, 0.15) m/s (Bohannon & Andrews 2011, meta-analysis
of 20-59 year olds), children N(1.15, 0.15) m/s, both clipped to 0.7-1.9 m/s; the cadence follows from speed and leg
length through the gait model (about 100-120 steps per minute for adults).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from maxray_gen.geometry import oriented_rectangle
from maxray_gen.primitives import rotate_z
from maxray_gen.scene.body_mesh import Tube, tube_pieces
from maxray_gen.scene.gait import NECK, RV_MAX, SHANK, THIGH, Walker
from maxray_gen.snapshot import SnapshotObject

FIRST_PERSON_ID = 300
# camera colours (linear RGB): skin tones from light to dark, and clothing
SKIN_TONES = ((0.80, 0.62, 0.52), (0.70, 0.50, 0.38), (0.55, 0.37, 0.26), (0.38, 0.24, 0.16), (0.22, 0.13, 0.09))
CLOTHES = ((0.02, 0.02, 0.025), (0.6, 0.6, 0.62), (0.05, 0.08, 0.25), (0.35, 0.04, 0.04), (0.08, 0.2, 0.08),
           (0.5, 0.35, 0.15), (0.7, 0.6, 0.1), (0.15, 0.15, 0.17), (0.02, 0.05, 0.12), (0.8, 0.8, 0.8))
TOP_PARTS = ("thorax", "upper_arm")  # drawn in the top's colour; pelvis, thighs and shanks in the bottom's
PERSON_FOOTPRINT_M = (0.6, 0.6)  # ground rectangle kept clear of cars when placing someone


class StraightMotion:
    """Mixin of specs with ``x``, ``y``, ``z``, ``yaw`` and ``speed_mps``: moving straight along the heading."""

    @property
    def velocity(self) -> np.ndarray:
        """Mean velocity, m/s, world frame."""
        return np.array([self.speed_mps * math.cos(self.yaw), self.speed_mps * math.sin(self.yaw), 0.0])

    def position(self, time_s: float) -> np.ndarray:
        """Ground point under the body's mean position at ``time_s``."""
        return np.array([self.x, self.y, self.z]) + self.velocity * time_s


@dataclass(frozen=True)
class PersonSpec(StraightMotion):
    """One person at t = 0: ground position (x, y), heading ``yaw`` (radians from +x), ``height_m``,
    ``speed_mps`` (0: standing), gait phase at t = 0 and ``kind`` (``adult`` or ``child``)."""

    instance_id: int
    x: float
    y: float
    yaw: float
    height_m: float
    speed_mps: float
    phase0: float
    kind: str = "adult"
    z: float = 0.0
    skin: tuple[float, float, float] = (0.62, 0.43, 0.33)  # linear RGB, for the camera only
    top: tuple[float, float, float] = (0.2, 0.2, 0.25)
    bottom: tuple[float, float, float] = (0.1, 0.1, 0.15)

    @property
    def walker(self) -> Walker:
        return Walker(self.height_m, self.speed_mps, self.phase0)

    def footprint(self, time_s: float = 0.0) -> np.ndarray:
        p = self.position(time_s)
        return oriented_rectangle(p[0], p[1], *PERSON_FOOTPRINT_M, self.yaw)


def body_tubes(h: float) -> list[Tube]:
    """The 16 segments of a body of height ``h`` (thorax first: the instance's bulk velocity)."""
    t = [Tube("thorax", "waist", "neck", (0.19 * h, 0.20 * h), (0.125 * h, 0.12 * h), "skin", 1, 70, 0.2),
         Tube("pelvis", "pelvis", "waist", (0.20 * h, 0.19 * h), (0.13 * h, 0.125 * h), "skin", 1, 70, 0.3,
              (0.06 * h, 0.0)),
         Tube("neck", "neck", "neck_top", (0.065 * h, 0.06 * h), (0.065 * h, 0.06 * h), "skin", 1, 40, 0.1),
         Tube("head", "neck_top", "head_top", (0.09 * h, 0.085 * h), (0.11 * h, 0.10 * h), "skin", 1, 60, 0.5)]
    for s in ("r", "l"):
        t += [Tube(f"{s}_upper_arm", f"{s}_shoulder", f"{s}_elbow", (0.055 * h, 0.045 * h), (0.055 * h, 0.045 * h),
                   "skin", 2, 50, 0.2),
              Tube(f"{s}_forearm", f"{s}_elbow", f"{s}_wrist", (0.045 * h, 0.035 * h), (0.045 * h, 0.035 * h),
                   "skin", 2, 50, 0.15),
              Tube(f"{s}_hand", f"{s}_wrist", f"{s}_hand", (0.05 * h, 0.04 * h), (0.02 * h, 0.02 * h), "skin", 1, 40,
                   0.4),
              Tube(f"{s}_thigh", f"{s}_hip", f"{s}_knee", (0.095 * h, 0.062 * h), (0.095 * h, 0.062 * h), "skin", 2,
                   50, 0.15),
              Tube(f"{s}_shank", f"{s}_knee", f"{s}_ankle", (0.062 * h, 0.042 * h), (0.062 * h, 0.042 * h),
                   "skin", 2, 50, 0.15),
              Tube(f"{s}_foot", f"{s}_heel_axis", f"{s}_toe_axis", (0.055 * h, 0.05 * h), (0.05 * h, 0.035 * h), "rubber", 1,
                   40, 0.15)]
    return t


RADIO_MATERIALS = tuple(sorted({t.material for t in body_tubes(1.0)}))  # what a body is made of, for the radar
WorldPiece = tuple[str, str, np.ndarray, np.ndarray, np.ndarray]  # name, material, world vertices, faces, velocity


def body_pieces(h: float, joints: dict[str, np.ndarray], velocities: dict[str, np.ndarray], yaw: float,
                origin: np.ndarray) -> list[WorldPiece]:
    """The body of height ``h`` on ``joints`` (body frame, 3-vectors; heel and toe on the sole) moving at
    ``velocities``, turned by ``yaw`` and placed at ``origin``: walking people and cyclists' riders alike."""
    j, v = dict(joints), dict(velocities)
    j["neck_top"] = j["neck"] + [0, 0, NECK * h]
    v["neck_top"] = v["neck"]
    for side in ("r", "l"):  # the foot tube's axis runs half its depth above the sole (heel and toe points)
        u = j[f"{side}_toe"] - j[f"{side}_heel"]
        n = np.array([0.0, 0.0, 1.0]) - u * u[2] / float(u @ u)
        n /= np.linalg.norm(n)
        j[f"{side}_heel_axis"], j[f"{side}_toe_axis"] = j[f"{side}_heel"] + 0.025 * h * n, j[f"{side}_toe"] + 0.0175 * h * n
        v[f"{side}_heel_axis"], v[f"{side}_toe_axis"] = v[f"{side}_heel"], v[f"{side}_toe"]
    out = []
    for tube in body_tubes(h):
        ref = np.array([0.0, 0.0, 1.0]) if tube.name.endswith("foot") else np.array([1.0, 0.0, 0.0])
        for p in tube_pieces(tube, j[tube.proximal], j[tube.distal], v[tube.proximal], v[tube.distal], ref):
            out.append((p.name, p.material, rotate_z(p.vertices, yaw) + origin, p.faces,
                        rotate_z(p.velocity[None], yaw)[0]))
    return out


def person_pieces(person: PersonSpec, time_s: float) -> list[WorldPiece]:
    """(piece name, material, world vertices, faces, world velocity) of a person at ``time_s``."""
    w = person.walker
    j = {k: v[0] for k, v in w.joints(time_s).items()}
    v = {k: u[0] for k, u in w.velocities(time_s).items()}
    # the body frame moves forward at the walking speed inside joints(); place its t = 0 origin
    return body_pieces(person.height_m, j, v, person.yaw, np.array([person.x, person.y, person.z]))


def person_objects(people, time_s: float = 0.0) -> list[SnapshotObject]:
    """Snapshot objects (role ``person``) of every person at ``time_s``."""
    out = []
    for person in people:
        for name, mat, verts, faces, vel in person_pieces(person, time_s):
            out.append(SnapshotObject(f"person{person.instance_id}_{name}", person.instance_id, "person", mat,
                                      verts, faces, vel))
    return out


def sample_person(rng: np.random.Generator, instance_id: int, x: float, y: float, yaw: float, child_share: float,
                  standing_share: float) -> PersonSpec:
    """A person's size, speed and gait phase (distributions in the module docstring)."""
    child = rng.random() < child_share
    if child:
        height = float(rng.uniform(1.10, 1.52))
        speed = float(np.clip(rng.normal(1.15, 0.15), 0.7, 1.9))
    else:
        height = adult_height(rng, 1.45, 2.05)
        speed = float(np.clip(rng.normal(1.34, 0.15), 0.7, 1.9))
    speed = min(speed, 0.95 * RV_MAX * (THIGH + SHANK) * height)  # inside the gait model's range (small children)
    if rng.random() < standing_share:
        speed = 0.0
    return PersonSpec(instance_id, x, y, yaw, height, speed, float(rng.random()), "child" if child else "adult", 0.0,
                      *camera_colours(rng))


def adult_height(rng: np.random.Generator, low: float, high: float) -> float:
    """A man's or a woman's height (equally often; the NHANES means and spreads of the module docstring)."""
    man = rng.random() < 0.5
    return float(np.clip(rng.normal(1.754, 0.076) if man else rng.normal(1.617, 0.071), low, high))


def camera_colours(rng: np.random.Generator) -> tuple[tuple[float, float, float], ...]:
    """(skin, top, bottom) colours for the camera."""
    skin, top, bottom = (int(k) for k in (rng.integers(len(SKIN_TONES)), *rng.integers(len(CLOTHES), size=2)))
    return SKIN_TONES[skin], CLOTHES[top], CLOTHES[bottom]


def camera_colour(person, piece: str) -> tuple[float, float, float]:
    """The colour a body piece shows the camera: clothing on the trunk and limbs, skin elsewhere (``person``: a
    `PersonSpec` or a cyclist's `CyclistSpec`, anything with ``skin``, ``top`` and ``bottom`` colours)."""
    part = piece.split("_", 1)[1] if piece[:2] in ("r_", "l_") else piece
    part = part.rstrip("0123456789")
    if part in TOP_PARTS:
        return person.top
    if part in ("pelvis", "thigh", "shank"):
        return person.bottom
    if part == "foot":
        return (0.02, 0.02, 0.02)
    return person.skin
