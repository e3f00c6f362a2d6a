"""Walking-person kinematics: the Boulic-Thalmann global walking model and forward kinematics of a 16-segment body.

Model: R. Boulic, N. Magnenat-Thalmann, D. Thalmann, "A global human walking model with real-time kinematic
personification", The Visual Computer 6, 344-358 (1990), as used for radar micro-Doppler by V. C. Chen ("The
Micro-Doppler Effect in Radar", Artech House 2011, ch. 5). The walk is normalised by the leg length
Ht = thigh + shank: relative velocity RV = V / Ht, relative cycle length RLc = 1.346 sqrt(RV), cycle duration
Dc = RLc / RV seconds (one stride: two steps), support duration 0.752 Dc - 0.143. Joint angle trajectories are the
paper's control points (appendices A-D) over the normalised cycle, interpolated by a periodic monotone cubic;
three gait regimes (RV < 0.5, < 1.3, <= 3) change them. The cycle starts at the right heel strike; the left side
runs half a cycle later.

Segment lengths are fractions of the body height (Winter, "Biomechanics and Motor Control of Human Movement",
table 4.1, the proportions Boulic and Chen use). Body frame: x forward, y left, z up, origin on the ground below
the pelvis at t = 0. Everything is numpy and vectorised over time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.interpolate import PchipInterpolator

# fractions of the body height H (Winter table 4.1)
HEAD, NECK, TORSO, SHOULDER_HALF, HIP_HALF = 0.130, 0.052, 0.288, 0.259 / 2, 0.191 / 2
THIGH, SHANK, FOOT, UPPER_ARM, FOREARM, HAND = 0.245, 0.246, 0.143, 0.186, 0.146, 0.108
ANKLE_HEIGHT = 0.039
RV_MAX = 3.0  # the model's range of relative velocity
JOINTS = ("pelvis", "neck", "head_top", "r_hip", "l_hip", "r_knee", "l_knee", "r_ankle", "l_ankle", "r_toe", "l_toe",
          "r_heel", "l_heel", "r_shoulder", "l_shoulder", "r_elbow", "l_elbow", "r_wrist", "l_wrist", "r_hand",
          "l_hand", "waist")


def regime(rv: float) -> str:
    """Boulic's gait regime: 'a' (RV < 0.5), 'b' (< 1.3) or 'c' (<= 3)."""
    if not 0 < rv <= RV_MAX:
        raise ValueError(f"relative velocity {rv:.3g} outside the walking model's (0, {RV_MAX}] (speed / leg length)")
    return "a" if rv < 0.5 else "b" if rv < 1.3 else "c"


def _periodic(x, y):
    x, y = np.asarray(x, float), np.asarray(y, float)
    return PchipInterpolator(np.concatenate([x - 1, x, x + 1]), np.tile(y, 3))


@dataclass(frozen=True)
class GaitCurves:
    """The joint-angle trajectories (degrees) and translations (fractions of Ht) of one relative velocity."""

    rv: float

    @property
    def duty(self) -> float:
        """Relative duration of support (foot on the ground) in the cycle."""
        dc = 1.346 * np.sqrt(self.rv) / self.rv
        return (0.752 * dc - 0.143) / dc

    def translations(self, p: np.ndarray) -> np.ndarray:
        """(N, 3) forward, lateral, vertical offsets of the spine origin (fractions of Ht) at cycle phases p."""
        rv, g = self.rv, regime(self.rv)
        av = 0.015 * rv
        al = -0.128 * rv**2 + 0.128 * rv if g == "a" else -0.032
        aa = -0.084 * rv**2 + 0.084 * rv if g == "a" else -0.021
        phia = 0.625 - self.duty
        return np.stack([aa * np.sin(2 * np.pi * (2 * p + 2 * phia)), al * np.sin(2 * np.pi * (p - 0.1)),
                         -av + av * np.sin(2 * np.pi * (2 * p - 0.35))], -1)

    def pelvis(self, p: np.ndarray) -> np.ndarray:
        """(N, 3) pelvis tilt (forward/back), list (left/right) and torsion, degrees."""
        rv, g = self.rv, regime(self.rv)
        a1 = -8 * rv**2 + 8 * rv if g == "a" else 2.0
        tilt = -a1 + a1 * np.sin(2 * np.pi * (2 * p - 0.1))
        a2 = 0.01 * rv
        q = np.mod(p, 1.0)
        lst = np.select([q < 0.15, q < 0.5, q < 0.65],
                        [-a2 + a2 * np.cos(2 * np.pi * 10 * q / 3), -a2 - a2 * np.cos(2 * np.pi * 10 * (q - 0.15) / 7),
                         a2 - a2 * np.cos(2 * np.pi * 10 * (q - 0.5) / 3)],
                        a2 + a2 * np.cos(2 * np.pi * 10 * (q - 0.65) / 7))
        return np.stack([tilt, lst, -4 * rv * np.cos(2 * np.pi * p)], -1)

    def hip(self, p: np.ndarray) -> np.ndarray:
        """Hip flexion (degrees, positive: thigh forward) at cycle phases ``p`` (right side; left at p + 0.5)."""
        return _curve(self.rv, "hip")(np.mod(p, 1.0))

    def knee(self, p: np.ndarray) -> np.ndarray:
        """Knee flexion (degrees, positive: shank back)."""
        return _curve(self.rv, "knee")(np.mod(p, 1.0))

    def ankle(self, p: np.ndarray) -> np.ndarray:
        """Ankle flexion (degrees, positive: toes up)."""
        return _curve(self.rv, "ankle")(np.mod(p, 1.0))

    def thorax(self, p: np.ndarray) -> np.ndarray:
        """Thorax torsion about the vertical (degrees)."""
        return _curve(self.rv, "thorax")(np.mod(p, 1.0))

    def elbow(self, p: np.ndarray) -> np.ndarray:
        """Elbow flexion (degrees, positive: forearm forward)."""
        return _curve(self.rv, "elbow")(np.mod(p, 1.0))

    def shoulder(self, p: np.ndarray) -> np.ndarray:
        """Shoulder flexion (degrees, positive: arm forward; the right arm swings against the right leg)."""
        ash = 9.88 * self.rv
        return 3 - ash / 2 - ash * np.cos(2 * np.pi * p)


@lru_cache(maxsize=256)
def _curve(rv: float, joint: str) -> PchipInterpolator:
    """Boulic's control points of one joint (appendices C-D) for relative velocity ``rv``."""
    g = regime(rv)
    c = (rv - 1.3) / 1.7  # position inside regime 'c'
    b = (rv - 0.5) / 0.8  # position inside regime 'b'
    duty = GaitCurves(rv).duty
    if joint == "hip":
        x = {"a": (-0.1, 0.5, 0.9), "b": (-0.1, 0.5, 0.9), "c": (0.2 * c - 0.1, 0.5, 0.9)}[g]
        y = {"a": (50 * rv, -30 * rv, 50 * rv), "b": (25, -15, 25), "c": (5 * c + 25, -15, 6 * c + 25)}[g]
        if np.isclose(x[0] + 1, x[2]):  # the first and last points coincide over the period
            x, y = x[:2], y[:2]
        return _periodic(x, y)
    if joint == "knee":
        x = (0.17, 0.4, 0.75, 1.0) if g != "c" else (-0.05 * c + 0.17, 0.4, -0.05 * c + 0.75, -0.03 * c + 1.0)
        y = {"a": (3, 3, 140 * rv, 3), "b": (3, 3, 70, 3), "c": (22 * c + 3, 3, -5 * c + 70, 3 * c + 3)}[g]
        return _periodic(x, y)
    if joint == "ankle":
        x = (0.0, 0.08, 0.5 if g != "c" else -0.1 * c + 0.5, duty, 0.85)
        y = {"a": (-3, -30 * rv - 3, 22 * rv - 3, -34 * rv - 3, -3), "b": (-3, -18, 8, -20, -3),
             "c": (5 * c - 3, 4 * c - 18, -3 * c + 8, -8 * c - 20, 5 * c - 3)}[g]
        return _periodic(x, y)
    if joint == "thorax":
        return _periodic((0.1, 0.4, 0.6, 0.9), (4 / 3 * rv, -4.5 / 3 * rv, -4 / 3 * rv, 4.5 / 3 * rv))
    if joint == "elbow":
        x = {"a": (0.05, 0.5, 0.9), "b": (0.05, 0.01 * b + 0.5, 0.9), "c": (0.05, 0.04 * c + 0.51, -0.1 * c + 0.9)}[g]
        y = {"a": (6 * rv + 3, 34 * rv + 3, 10 * rv + 3), "b": (8 * b + 6, 24 * b + 20, 9 * b + 8),
             "c": (-6 * c + 14, 26 * c + 44, -6 * c + 17)}[g]
        return _periodic(x, y)
    raise KeyError(joint)


def _rz(a):
    c, s = np.cos(a), np.sin(a)
    z, o = np.zeros_like(a), np.ones_like(a)
    return np.stack([np.stack([c, -s, z], -1), np.stack([s, c, z], -1), np.stack([z, z, o], -1)], -2)


def _rx(a):
    c, s = np.cos(a), np.sin(a)
    z, o = np.zeros_like(a), np.ones_like(a)
    return np.stack([np.stack([o, z, z], -1), np.stack([z, c, -s], -1), np.stack([z, s, c], -1)], -2)


def _ry(a):
    c, s = np.cos(a), np.sin(a)
    z, o = np.zeros_like(a), np.ones_like(a)
    return np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1), np.stack([-s, z, c], -1)], -2)


def _limb(beta_deg):
    """(N, 3) unit vector in the sagittal plane, ``beta`` degrees forward from straight down."""
    b = np.radians(beta_deg)
    return np.stack([np.sin(b), np.zeros_like(b), -np.cos(b)], -1)


def _apply(r, v):
    return np.einsum("nij,nj->ni", r, v)


@dataclass(frozen=True)
class Walker:
    """One person's walk: ``height_m``, ``speed_mps`` (0: standing) and ``phase0`` (cycle phase at t = 0)."""

    height_m: float
    speed_mps: float
    phase0: float = 0.0

    @property
    def leg_length_m(self) -> float:
        return (THIGH + SHANK) * self.height_m

    @property
    def rv(self) -> float:
        return self.speed_mps / self.leg_length_m

    @property
    def cycle_s(self) -> float:
        """Duration of one gait cycle (a stride: two steps); inf when standing."""
        return np.inf if self.speed_mps <= 0 else 1.346 * np.sqrt(self.rv) / self.rv

    @property
    def cadence_steps_per_min(self) -> float:
        return 0.0 if self.speed_mps <= 0 else 120.0 / self.cycle_s

    def phase(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, np.float64)
        return np.full(t.shape, self.phase0) if self.speed_mps <= 0 else self.phase0 + t / self.cycle_s

    def joints(self, t) -> dict[str, np.ndarray]:
        """Joint positions (N, 3) in the body frame at times ``t`` (s); ``*_heel`` and ``*_toe`` are points of the
        sole, the lowest of them over the cycle on z = 0."""
        t = np.atleast_1d(np.asarray(t, np.float64))
        j = self._joints(t)
        lift = self._ground_offset()
        return {k: v - [0.0, 0.0, lift] for k, v in j.items()}

    def velocities(self, t, dt: float = 1e-3) -> dict[str, np.ndarray]:
        """Joint velocities (N, 3), m/s, by a central difference over ``dt``."""
        t = np.atleast_1d(np.asarray(t, np.float64))
        a, b = self._joints(t + dt), self._joints(t - dt)
        return {k: (a[k] - b[k]) / (2 * dt) for k in a}

    @lru_cache(maxsize=4)
    def _ground_offset(self) -> float:
        t = np.linspace(0.0, 1.0, 97) * (self.cycle_s if np.isfinite(self.cycle_s) else 1.0)
        j = self._joints(t)
        return float(min(j[k][:, 2].min() for k in ("r_toe", "l_toe", "r_heel", "l_heel")))

    def _joints(self, t: np.ndarray) -> dict[str, np.ndarray]:
        h, ht = self.height_m, self.leg_length_m
        n = len(t)
        zero = np.zeros(n)
        if self.speed_mps > 0:
            g = GaitCurves(self.rv)
            p = self.phase(t)
            trans, pelvis = g.translations(p) * ht, np.radians(g.pelvis(p))
            side = {"r": p, "l": p + 0.5}
            hip = {s: g.hip(q) for s, q in side.items()}
            knee = {s: g.knee(q) for s, q in side.items()}
            ankle = {s: g.ankle(q) for s, q in side.items()}
            shoulder = {s: g.shoulder(q) for s, q in side.items()}
            elbow = {s: g.elbow(q) for s, q in side.items()}
            thorax = np.radians(g.thorax(p))
        else:  # standing: legs straight, arms hanging, a slight elbow bend
            trans, pelvis, thorax = np.zeros((n, 3)), np.zeros((n, 3)), zero
            hip = knee = ankle = shoulder = {"r": zero, "l": zero}
            elbow = {"r": zero + 10.0, "l": zero + 10.0}
        origin = trans + np.stack([self.speed_mps * t, zero, zero + ht], -1)
        r_pelvis = _rz(pelvis[:, 2]) @ _rx(pelvis[:, 1]) @ _ry(pelvis[:, 0])
        r_torso = _rz(thorax)
        out = {"pelvis": origin, "waist": origin + [0, 0, 0.35 * TORSO * h]}
        out["neck"] = origin + _apply(r_torso, np.tile([0, 0, TORSO * h], (n, 1)))
        out["head_top"] = out["neck"] + [0, 0, (NECK + HEAD) * h]
        r_legs = _rz(pelvis[:, 2])
        for s, sign in (("r", -1.0), ("l", 1.0)):
            hip_pt = origin + _apply(r_pelvis, np.tile([0, sign * HIP_HALF * h, 0], (n, 1)))
            thigh_dir = _apply(r_legs, _limb(hip[s]))
            shank_dir = _apply(r_legs, _limb(hip[s] - knee[s]))
            foot_dir = _apply(r_legs, _limb(hip[s] - knee[s] + 90.0 + ankle[s]))
            out[f"{s}_hip"] = hip_pt
            out[f"{s}_knee"] = hip_pt + THIGH * h * thigh_dir
            out[f"{s}_ankle"] = out[f"{s}_knee"] + SHANK * h * shank_dir
            # the sole under heel and toe: 25 % of the foot's length behind the ankle, the rest ahead, the ankle
            # 0.039 H above the sole (Winter)
            sole = _apply(r_legs, _limb(hip[s] - knee[s] + 180.0 + ankle[s])) * (-ANKLE_HEIGHT * h)
            out[f"{s}_heel"] = out[f"{s}_ankle"] - 0.25 * FOOT * h * foot_dir + sole
            out[f"{s}_toe"] = out[f"{s}_ankle"] + 0.75 * FOOT * h * foot_dir + sole
            sh = out["neck"] + _apply(r_torso, np.tile([0, sign * SHOULDER_HALF * h, -0.03 * h], (n, 1)))
            arm_dir = _apply(r_torso, _limb(shoulder[s]) * [1, 0, 1] + [0, sign * 0.05, 0])
            fore_dir = _apply(r_torso, _limb(shoulder[s] + elbow[s]))
            out[f"{s}_shoulder"] = sh
            out[f"{s}_elbow"] = sh + UPPER_ARM * h * arm_dir / np.linalg.norm(arm_dir, axis=1, keepdims=True)
            out[f"{s}_wrist"] = out[f"{s}_elbow"] + FOREARM * h * fore_dir
            out[f"{s}_hand"] = out[f"{s}_wrist"] + HAND * h * fore_dir
        return out
