"""Parametric car meshes (numpy): body with wheel arches, cabin, glass, tyres, rims, mirrors, bumpers, plates, lights.

Car frame: origin on the ground under the car's centre, heading +x (front at x = +length/2), y to the left, z up.
Every part is a closed, outward-facing mesh; parts overlap where real panels meet (the cabin sits on the body, the
underbody fills the space between the wheel houses), so a ray from outside always hits the outermost surface.
The camera and the radar get the same triangles.

Triangle budget: about 49k per car (body ~27k, bumpers ~11k, wheels ~5k), set by the radar engine: body facets of
at most 5 cm whose normals turn by at most 6 deg (see _superellipse_ring), so a 60 GHz physical-optics return finds a
facet near the specular direction at every aspect; wheels, rims, mirrors, plates and lights are the scattering
centres a real car's echo is made of (wheel houses, rims, plates, mirrors, lamp reflectors, bumper corners).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from maxray_gen.scene.surfaces import (Mesh, cuboid, ellipsoid, grid_normals, lathe, loft, merge, plan_normals,
                                       rounded_rect, slab, sweep)

# part -> (radio material, visual material). Visual "paint" takes the car's colour.
PARTS: dict[str, tuple[str, str]] = {
    "body": ("car_paint", "paint"),
    "cabin": ("car_paint", "paint"),
    "underbody": ("car_paint", "underbody"),
    "windscreen": ("car_glass", "glass"),
    "rear_window": ("car_glass", "glass"),
    "side_windows": ("car_glass", "glass"),
    "mirrors": ("car_paint", "paint"),
    "bumper_front": ("car_paint", "paint"),
    "bumper_rear": ("car_paint", "paint"),
    "plate_front": ("metal", "plate"),
    "grille": ("metal", "grille"),  # chromed / black plastic slats; the radar sees the radiator behind them
    "plate_rear": ("metal", "plate"),
    "headlights": ("metal", "headlight"),  # polycarbonate lens over a metallised reflector: the radar sees the metal
    "taillights": ("metal", "taillight"),
    "tyres": ("rubber", "rubber"),
    "rims": ("metal", "rim"),
}
PART_MATERIALS = {name: radio for name, (radio, _) in PARTS.items()}
PART_VISUAL = {name: visual for name, (_, visual) in PARTS.items()}


@dataclass(frozen=True)
class Shape:
    """Side-view proportions of a body type (fractions of length from the front, or of height)."""
    clearance: float  # m
    wheel_radius: float  # m
    wheelbase: float  # fraction of length
    nose: float  # bonnet height at the front, fraction of height
    belt: float  # belt line (window sill), fraction of height
    cabin: tuple[float, float, float, float]  # windscreen base, roof front, roof rear, rear-window base
    tail: float  # body top at the very rear, fraction of height
    bumper_z: float  # bumper centre height, m


SHAPES: dict[str, Shape] = {
    "sedan": Shape(0.15, 0.32, 0.60, 0.50, 0.63, (0.30, 0.45, 0.70, 0.84), 0.60, 0.42),
    "hatchback": Shape(0.15, 0.31, 0.62, 0.52, 0.63, (0.29, 0.45, 0.86, 0.97), 0.62, 0.42),
    "estate": Shape(0.15, 0.32, 0.60, 0.50, 0.62, (0.30, 0.45, 0.90, 0.98), 0.62, 0.43),
    "suv": Shape(0.20, 0.36, 0.60, 0.56, 0.60, (0.30, 0.44, 0.88, 0.98), 0.60, 0.52),
    "van": Shape(0.18, 0.33, 0.62, 0.48, 0.50, (0.13, 0.30, 0.93, 0.99), 0.52, 0.45),
}

BODY_STEP_DEG, BODY_FACET_M = 6.0, 0.05  # body cross-sections: facets turn <= 6 deg and are <= 5 cm
TYRE_SEGMENTS = 28
BUMPER_OUT = 0.052  # bumpers' outer faces ahead of the body's nose and tail


def _superellipse_ring(step_deg: float, exponent: float, scale: tuple[float, float] = (1.0, 1.0),
                       max_facet_m: float = np.inf) -> np.ndarray:
    """Unit ring (y, z) of |y|^q + |z|^q = 1 (q = 2 / exponent), starting at the bottom, with facets whose normals
    turn by at most ``step_deg`` and which are at most ``max_facet_m`` long once scaled by ``scale`` (half width,
    half height). Facets are centred on the axes, so the side, roof and floor each face straight out.

    Both limits are radar needs: a flat facet of size D reflects within +-lambda / 2D of its normal, so on a curved
    panel neighbouring facets must be a few cm (about the Fresnel zone sqrt(lambda rho / 2)) and turn in small
    steps, or some elevations and aspects see no facet near the specular direction (a vertex on the door's
    widest line tilted both neighbours by half a step and hid the car's broadside)."""
    q = 2.0 / exponent
    psi = np.linspace(0, np.pi / 2, 4001)
    a, b = np.cos(psi) ** (1 / (q - 1)), np.sin(psi) ** (1 / (q - 1))
    norm = (a ** q + b ** q) ** (1 / q)
    y, z = a / norm, b / norm
    ds = np.hypot(np.diff(y) * scale[0], np.diff(z) * scale[1])
    cost = np.concatenate([[0], np.cumsum(np.maximum(np.diff(psi) / np.radians(step_deg), ds / max_facet_m))])
    n = max(1, int(round(cost[-1])))
    at = (np.arange(n) + 0.5) * cost[-1] / n
    quad = np.stack([np.interp(at, cost, y), np.interp(at, cost, z)], 1)  # first quadrant, side -> top
    return np.concatenate([quad[::-1] * [1, -1],  # bottom -> +y side (z < 0)
                           quad,  # +y side -> top
                           quad[::-1] * [-1, 1],  # top -> -y side
                           quad * [-1, -1]])  # -y side -> bottom


def _cabin_ring() -> np.ndarray:
    """Unit ring (y, z) of the cabin: rounded rectangle, straight sides and roof subdivided for the windows."""
    loop = rounded_rect(1.0, 1.0, 0.35, per_corner=5)
    out = []
    for k in range(len(loop)):  # subdivide long edges
        a, b = loop[k], loop[(k + 1) % len(loop)]
        m = max(1, int(np.ceil(np.linalg.norm(b - a) / 0.22)))
        out += [a + (b - a) * i / m for i in range(m)]
    out = np.array(out)
    start = int(np.argmin(np.abs(out[:, 0]) + (out[:, 1] > -0.99) * 10))  # bottom centre
    return np.roll(out, -start, axis=0)


def _sections(length: float, arches: list[float], radius: float, n: int = 40, step_deg: float = 2.5) -> np.ndarray:
    """Section positions u in [0, 1] (0 = front): cosine spaced, dense across the wheel arches, and round the
    nose and tail at equal steps of the plan outline's normal direction (a flat facet reflects only within
    +-lambda / 2 size of its normal, so facet normals must turn in small, even steps)."""
    u = list(0.5 - 0.5 * np.cos(np.linspace(0, np.pi, n)))
    for xc in arches:
        uc = 0.5 - xc / length
        u += list(uc + np.linspace(-1.08, 1.08, 23) * radius / length)
    fine = np.linspace(0, 0.3, 3000)
    for ends in (fine, 1 - fine):
        w = _half_width(ends, length, 2.0)
        angle = np.degrees(np.arctan2(np.abs(np.gradient(w, fine * length)), 1.0))  # 90 at the tip, 0 on the side
        level = np.floor(angle / step_deg)
        u += list(ends[np.flatnonzero(np.diff(level) != 0)])
    u = np.unique(np.round(np.clip(u, 0, 1), 5))
    keep = [u[0]]
    for x in u[1:]:
        if x - keep[-1] > 0.002:
            keep.append(x)
    keep[-1] = 1.0
    return np.array(keep)


def _half_width(u: np.ndarray, length: float, width: float, front_d: float = 0.7, rear_d: float = 0.5,
                p: float = 2.4) -> np.ndarray:
    """Plan-view half width: superelliptic nose and tail (blunt, radius ~ 1.5 m at the centre), slight side bulge."""
    d = u * length
    e = (1 - u) * length
    w = np.ones_like(u)
    for dist, dc in ((d, front_d), (e, rear_d)):
        m = dist < dc
        w[m] = np.minimum(w[m], (1 - (1 - dist[m] / dc) ** p) ** (1 / p))
    return np.maximum(width / 2 * w * (1 - 0.025 * (2 * u - 1) ** 2), 0.012)


def car_parts(body: str, length: float, width: float, height: float) -> dict[str, Mesh]:
    """Every part of a car of body type ``body`` and overall size (metres, without mirrors), in the car frame."""
    sh = SHAPES[body]
    length = length - 2 * BUMPER_OUT  # the stated length is overall, bumpers included
    r = sh.wheel_radius
    xw = sh.wheelbase * length / 2
    arches = [xw, -xw]
    arch_r = r + 0.045
    belt = sh.belt * height
    u = _sections(length, arches, arch_r)
    xs = length / 2 - u * length
    w = _half_width(u, length, width)
    end = np.minimum(u, 1 - u) * length
    # body top (bonnet -> belt -> boot / tail), bottom (clearance, raised at the overhangs and the arches)
    c0, r0, r1, c1 = sh.cabin
    top = np.interp(u, [0, 0.04, c0, c1, 0.97, 1], [sh.nose * height - 0.04, sh.nose * height, belt, belt,
                                                    sh.tail * height, sh.tail * height - 0.04])
    bot = sh.clearance + 0.1 * np.clip(1 - end / 0.35, 0, 1) ** 2
    for xc in arches:
        dx = xs - xc
        inside = np.abs(dx) < arch_r
        bot[inside] = np.maximum(bot[inside], r + np.sqrt(arch_r ** 2 - dx[inside] ** 2))
    shrink = 0.72 + 0.28 * np.sqrt(np.clip(end / 0.2, 0, 1))  # ends rounded in elevation
    mid, half = (top + bot) / 2, (top - bot) / 2
    ring = _superellipse_ring(BODY_STEP_DEG, 0.5, (width / 2, float(np.median(half))), BODY_FACET_M)
    nr = len(ring)
    rings = np.stack([np.stack([np.full(nr, x), wi * ring[:, 0],
                                m + h * sk * ring[:, 1]], 1) for x, wi, m, h, sk in zip(xs, w, mid, half, shrink)])
    parts: dict[str, Mesh] = {"body": loft(rings)}

    # underbody: fills the space between the wheel houses (their inner walls)
    tw = 0.2 if body in ("sedan", "hatchback", "estate") else 0.23
    inner = width / 2 - tw - 0.07
    uu = np.linspace(0.08, 0.92, 12)
    ux = length / 2 - uu * length
    ub = _superellipse_ring(22.5, 0.2)
    lo, hi = sh.clearance + 0.02, 2 * r + 0.12
    parts["underbody"] = loft(np.stack([np.stack([np.full(len(ub), x), inner * ub[:, 0], (lo + hi) / 2 + (hi - lo) / 2 * ub[:, 1]],
                                                 1) for x in ux]))

    # cabin: from the windscreen base to the rear-window base, narrower at the roof (tumblehome), roof at height
    cu = np.unique(np.concatenate([np.linspace(c0, r0, 12), np.linspace(r0, r1, 14), np.linspace(r1, c1, 10)]))
    cx = length / 2 - cu * length
    rise = np.clip(np.minimum((cu - c0) / (r0 - c0), (c1 - cu) / (c1 - r1)), 0, 1)
    roof = belt + 0.03 + (height - 0.02 - belt - 0.03) * np.sin(rise * np.pi / 2) ** 0.8
    clo = np.full_like(cu, belt - 0.06)
    cw = _half_width(cu, length, width) * 0.93
    cring = _cabin_ring()
    k = len(cring)
    crings = []
    for x, wi, lo_, hi_ in zip(cx, cw, clo, roof):
        zc, hz = (lo_ + hi_) / 2, (hi_ - lo_) / 2
        yn, zn = cring[:, 0], cring[:, 1]
        taper = 1 - 0.22 * np.clip((zn + 0.4) / 1.4, 0, 1) ** 1.5
        crings.append(np.stack([np.full(k, x), wi * yn * taper, zc + hz * zn + 0.02 * (1 - yn ** 2) * (zn > 0)], 1))
    crings = np.stack(crings)
    parts["cabin"] = loft(crings)

    # glass: thin slabs lying on cabin patches, proud of the paint (pillars are the gaps between them)
    normals = -grid_normals(crings)
    centre = crings.mean(1, keepdims=True)
    if np.einsum("ijk,ijk->", normals, crings - centre) < 0:
        normals = -normals
    yn, zn = cring[:, 0], cring[:, 1]
    i0, i1, i2, i3 = (int(np.argmin(np.abs(cu - v))) for v in (c0, r0, r1, c1))

    def patch(i_a, i_b, cols):
        cols = np.asarray(cols)
        return slab(crings[i_a:i_b + 1][:, cols], normals[i_a:i_b + 1][:, cols], 0.008, 0.002)

    def run(mask):
        idx = np.flatnonzero(mask)
        return idx if len(idx) and np.all(np.diff(idx) == 1) else None

    upper = run((zn > -0.1) & (np.abs(yn) < 0.8))
    parts["windscreen"] = patch(i0 + 1, i1, upper)
    parts["rear_window"] = patch(i2, i3 - 1, upper)
    mid_b = (i1 + i2) // 2
    sides = []
    for sign in (1, -1):
        cols = run((yn * sign > 0.9) & (zn > -0.35) & (zn < 0.7))
        sides += [patch(i0 + 3, mid_b - 1, cols), patch(mid_b + 1, i3 - 2, cols)]
    parts["side_windows"] = merge(*sides)

    # mirrors on the doors just behind the A-pillar
    xm = length / 2 - (c0 + 0.02) * length
    wm = float(_half_width(np.array([c0 + 0.02]), length, width)[0])
    parts["mirrors"] = merge(*[ellipsoid((xm - 0.05, s * (wm + 0.04), belt + 0.07), (0.09, 0.08, 0.06), 8, 16, 0.2)
                               for s in (1, -1)])

    # bumpers: rounded bands swept along the plan outline around each end
    # the bumper's section is curved in elevation too (a flat 24 cm face reflects only within +-0.6 deg)
    prof = _superellipse_ring(12.0, 0.6, (0.04, 0.15), BODY_FACET_M) * [0.04, 0.15] + [0, sh.bumper_z]

    def outline(front: bool, reach: float = 0.8) -> tuple[np.ndarray, np.ndarray]:
        m = (u * length < reach) if front else ((1 - u) * length < reach)
        uu_ = u[m][::-1] if front else u[m]
        wu = _half_width(uu_, length, width)
        xs_ = length / 2 - uu_ * length
        right = np.stack([xs_, -wu], 1)
        left = np.stack([xs_, wu], 1)[::-1]
        c = np.concatenate([right, left[1:]]) if front else np.concatenate([right[::-1], left[::-1][1:]])
        return c, plan_normals(c, np.zeros(2))

    for name, front in (("bumper_front", True), ("bumper_rear", False)):
        c, n = outline(front)
        # 1.2 cm proud of the body at the nose and tail (5.2 cm outer face), flush with its sides
        c = c + n * (-0.04 + 0.052 * np.abs(n[:, :1]))
        parts[name] = sweep(c, n, prof)
    # EU plates 520 x 110 mm on the bumpers' outer faces
    x_face = length / 2 + 0.012 + 0.04 - 0.004
    parts["plate_front"] = cuboid((x_face, 0, sh.bumper_z - 0.08), (0.008, 0.52, 0.11))
    # front grille above the plate: an egg-crate of slats in front of a back plate (open cells are small corner
    # reflectors; behind a real grille sit the radiator and the crash beam)
    gx, gz, gy = x_face - 0.032, sh.bumper_z + 0.065, 0.36  # slats end flush with the plate
    slats = [cuboid((gx, 0, gz), (0.012, 2 * gy + 0.02, 0.13))]
    slats += [cuboid((gx + 0.02, y, gz), (0.03, 0.005, 0.13)) for y in np.linspace(-gy, gy, 19)]
    slats += [cuboid((gx + 0.02, 0, z), (0.03, 2 * gy, 0.005)) for z in gz + np.array([-0.0625, -0.021, 0.021, 0.0625])]
    # corner air intakes (fog-lamp housings) low in the front bumper's corners, facing out along its normal
    fine = np.linspace(0, 0.5, 2000)
    wf = _half_width(fine, length, width)
    for side in (1, -1):
        k = int(np.argmax(wf >= 0.7 * width / 2))
        slope = np.gradient(wf, fine * length)[k]
        yaw = side * (np.pi / 2 - np.arctan2(1.0, slope))  # the outline's normal, turned from +x
        local = [cuboid((-0.012, 0, 0), (0.012, 0.2, 0.09))]
        local += [cuboid((0.005, yy, 0), (0.03, 0.005, 0.09)) for yy in np.linspace(-0.1, 0.1, 6)]
        local += [cuboid((0.005, 0, zz), (0.03, 0.2, 0.005)) for zz in (-0.045, 0.0, 0.045)]
        v, f = merge(*local)
        c, s_ = np.cos(yaw), np.sin(yaw)
        v = np.stack([c * v[:, 0] - s_ * v[:, 1], s_ * v[:, 0] + c * v[:, 1], v[:, 2]], 1)
        ox = length / 2 - fine[k] * length + BUMPER_OUT * np.cos(yaw) - 0.03 * np.cos(yaw)
        oy = side * wf[k] + BUMPER_OUT * np.sin(yaw) * 0.3
        slats.append((v + [ox, oy, sh.bumper_z - 0.06], f))
    parts["grille"] = merge(*slats)
    parts["plate_rear"] = cuboid((-x_face, 0, sh.bumper_z + 0.02), (0.008, 0.52, 0.11))

    # lamps at the corners: headlights above the front bumper, tail lights at the top of the rear
    def on_outline(y: float, front: bool) -> float:
        grid = np.linspace(0, 0.5, 400)
        wu = _half_width(grid if front else 1 - grid, length, width)
        d = grid[int(np.argmax(wu >= abs(y)))] * length
        return length / 2 - d if front else -(length / 2 - d)

    lamps = {"headlights": (True, sh.bumper_z + 0.2, (0.06, 0.17, 0.05)),
             "taillights": (False, min(belt - 0.1, sh.tail * height - 0.12), (0.05, 0.14, 0.05))}
    for name, (front, z, half) in lamps.items():
        items = []
        for s in (1, -1):
            y = s * 0.36 * width
            items.append(ellipsoid((on_outline(y, front), y, z), half, 8, 16, 0.3))
        parts[name] = merge(*items)

    # tyres (revolved rounded section) and rims (dished disc with spokes)
    rim_r = 0.62 * r
    tyre_prof = rounded_rect((r - rim_r) / 2, tw / 2, 0.05, per_corner=4) + [(r + rim_r) / 2, 0]
    tyres, rims = [], []
    for xc in arches:
        for s in (1, -1):
            yc = s * (width / 2 - tw / 2 - 0.03)
            tyres.append(lathe(tyre_prof, TYRE_SEGMENTS, (xc, yc, r)))
            a_out = tw / 2 - 0.015
            # hub, dished face recessed 6 cm behind the lip, cylindrical barrel wall: a ring-shaped corner
            rp = np.array([(0, a_out - 0.02), (0.06, a_out - 0.02), (0.08, a_out - 0.06), (rim_r - 0.02, a_out - 0.06),
                           (rim_r - 0.02, a_out - 0.005), (rim_r + 0.004, a_out), (rim_r + 0.004, -a_out), (0, -a_out)])
            rp[:, 1] *= s
            if s < 0:
                rp = rp[::-1]
            rims.append(lathe(rp, TYRE_SEGMENTS, (xc, yc, r)))
            for k in range(5):
                ang = 2 * np.pi * k / 5
                v, f = cuboid((0, 0, 0), (rim_r - 0.07, 0.03, 0.04))
                v = v + [(rim_r - 0.07) / 2 + 0.06, 0, 0]
                c_, s_ = np.cos(ang), np.sin(ang)
                v = np.stack([c_ * v[:, 0] - s_ * v[:, 2], v[:, 1], s_ * v[:, 0] + c_ * v[:, 2]], 1)
                rims.append((v + [xc, yc + s * (a_out - 0.045), r], f))
    parts["tyres"] = merge(*tyres)
    parts["rims"] = merge(*rims)
    return parts
