"""Car bodies: the documented size/type/colour distribution and numpy meshes (body, glass, tyres).

Distribution (per car, independent): body type sedan 45%, hatchback 25%, SUV 22%, van 8%; length, width, height
normal around the type's mean with the standard deviations below (clipped to +-2.5 sigma), which together give the
spread of a European parking lot (lengths 3.7-5.4 m, widths 1.65-2.05 m, heights 1.35-2.05 m; cf. the paper's
fig. 6e). Colours: white 24%, black 20%, grey 18%, silver 12%, blue 10%, red 10%, green 3%, beige 3%.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Mesh = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class BodyType:
    name: str
    probability: float
    length: tuple[float, float]  # mean, std
    width: tuple[float, float]
    height: tuple[float, float]
    cabin: tuple[float, float]  # cabin start/end as fractions of length from the front
    belt: float  # belt line height as a fraction of height


BODY_TYPES = (
    BodyType("sedan", 0.45, (4.65, 0.25), (1.81, 0.05), (1.45, 0.04), (0.30, 0.78), 0.58),
    BodyType("hatchback", 0.25, (4.10, 0.20), (1.76, 0.05), (1.48, 0.04), (0.33, 0.92), 0.58),
    BodyType("suv", 0.22, (4.60, 0.20), (1.88, 0.05), (1.70, 0.06), (0.30, 0.93), 0.60),
    BodyType("van", 0.08, (5.00, 0.20), (1.96, 0.04), (1.95, 0.05), (0.16, 0.97), 0.55),
)
COLOURS = (
    ("white", 0.24, (0.85, 0.85, 0.85)), ("black", 0.20, (0.02, 0.02, 0.02)), ("grey", 0.18, (0.25, 0.26, 0.27)),
    ("silver", 0.12, (0.55, 0.56, 0.58)), ("blue", 0.10, (0.04, 0.10, 0.35)), ("red", 0.10, (0.45, 0.02, 0.02)),
    ("green", 0.03, (0.04, 0.20, 0.08)), ("beige", 0.03, (0.55, 0.47, 0.33)),
)


def sample_body(rng: np.random.Generator) -> tuple[str, float, float, float, str, tuple[float, float, float]]:
    """(body type, length, width, height, colour name, colour rgb) from the documented distribution."""
    probs = np.array([b.probability for b in BODY_TYPES])
    b = BODY_TYPES[int(rng.choice(len(BODY_TYPES), p=probs / probs.sum()))]

    def draw(mean_std):
        m, s = mean_std
        return float(m + s * np.clip(rng.standard_normal(), -2.5, 2.5))

    length, width, height = draw(b.length), draw(b.width), draw(b.height)
    cp = np.array([c[1] for c in COLOURS])
    name, _, rgb = COLOURS[int(rng.choice(len(COLOURS), p=cp / cp.sum()))]
    return b.name, length, width, height, name, rgb


def body_type(name: str) -> BodyType:
    return next(b for b in BODY_TYPES if b.name == name)


def _loft(xs, half_w, z_lo, z_hi, ring: int = 20, exponent: float = 0.25) -> Mesh:
    """Closed surface through rounded-rectangle cross-sections at ``xs`` (superellipse in y-z)."""
    t = np.linspace(0, 2 * np.pi, ring, endpoint=False)
    cy, sz = np.cos(t), np.sin(t)
    ey, ez = np.sign(cy) * np.abs(cy) ** exponent, np.sign(sz) * np.abs(sz) ** exponent
    verts = []
    for x, w, lo, hi in zip(xs, half_w, z_lo, z_hi):
        zc, hz = (lo + hi) / 2, (hi - lo) / 2
        verts.append(np.stack([np.full(ring, x), w * ey, zc + hz * ez], axis=1))
    v = np.concatenate(verts)
    s = len(xs)
    f = []
    for i in range(s - 1):
        for j in range(ring):
            a, b = i * ring + j, i * ring + (j + 1) % ring
            f += [[a, b + ring, b], [a, a + ring, b + ring]]
    front, back = len(v), len(v) + 1
    v = np.concatenate([v, [[xs[0], 0, (z_lo[0] + z_hi[0]) / 2]], [[xs[-1], 0, (z_lo[-1] + z_hi[-1]) / 2]]])
    for j in range(ring):
        f.append([front, j, (j + 1) % ring])
        last = (s - 1) * ring
        f.append([back, last + (j + 1) % ring, last + j])
    return v, np.array(f)


SECTIONS, RING, GLASS_SECTIONS, GLASS_RING, TYRE_SEGMENTS = 56, 40, 36, 32, 32


def car_parts(body: str, length: float, width: float, height: float) -> dict[str, Mesh]:
    """Meshes in the car frame (origin on the ground under the centre, heading +x, z up):
    ``body`` (paint), ``glass`` (greenhouse) and ``tyres``.

    Tessellation (~7.7k triangles per car) is chosen for the radar: neighbouring facet normals differ by a few
    degrees, so a 60 GHz physical-optics return finds a facet near the specular direction at every aspect, as on
    a real, smoothly curved panel (with 22 x 20 sections most aspects saw flat 20 cm facets at > 14 deg and
    returned nothing). The camera renders the same triangles."""
    bt = body_type(body)
    clearance = 0.17 if body in ("sedan", "hatchback") else 0.21
    belt = bt.belt * height
    s = SECTIONS
    u = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, s))  # 0 = front bumper, 1 = rear; sections dense at the ends
    xs = length / 2 - u * length
    # plan view: elliptical corners of radius ~0.45 m at the bumpers and slightly bulging sides
    rc, end_w = 0.45, 0.3
    d = np.minimum(u, 1 - u) * length
    profile = np.sqrt(1 - (np.maximum(rc - d, 0) / rc) ** 2)  # 0 at the bumper, 1 beyond the corner radius
    corner = end_w + (1 - end_w) * profile
    nose = np.interp(u, [0, 0.12, 0.25, 0.85, 1], [0.72, 0.95, 1.0, 1.0, 0.9])
    lower_w = width / 2 * corner * (1 - 0.03 * (2 * u - 1) ** 2)
    body_top = clearance + (belt - clearance) * np.minimum(nose, 1.0)
    body_bot = np.full(s, clearance)
    # bumpers rounded in elevation too (no flat end plate: a 0.6 m^2 flat tail would be a 30 dBsm mirror)
    mid, half = (body_top + body_bot) / 2, (body_top - body_bot) / 2 * (0.45 + 0.55 * profile)
    body_top, body_bot = mid + half, mid - half
    body = _loft(xs, lower_w, body_bot, body_top, ring=RING, exponent=0.3)
    # Greenhouse: from the windscreen base to the rear window, narrower at the roof (tumblehome).
    c0, c1 = bt.cabin
    cu = np.linspace(c0, c1, GLASS_SECTIONS)
    cx = length / 2 - cu * length
    ramp = np.clip(np.minimum((cu - c0) / 0.14, (c1 - cu) / 0.10), 0.05, 1.0)
    roof = belt + (height - belt) * ramp
    gw = width / 2 * 0.86 * np.ones_like(cu)
    glass = _loft(cx, gw, np.full_like(cu, belt - 0.05), roof, ring=GLASS_RING, exponent=0.35)
    # Tyres: four cylinders across the car.
    r, tw = (0.31 if body in ("sedan", "hatchback") else 0.36), 0.21
    wheelbase = 0.60 * length
    n = TYRE_SEGMENTS
    ang = np.linspace(0, 2 * np.pi, n, endpoint=False)
    verts, faces = [], []
    for sx in (-1, 1):
        for sy in (-1, 1):
            cxw, cyw = sx * wheelbase / 2, sy * (width / 2 - tw / 2 - 0.03)
            base = len(verts) * 0 + sum(len(v) for v in verts)
            ring1 = np.stack([cxw + r * np.cos(ang), np.full(n, cyw - tw / 2), r + r * np.sin(ang)], 1)
            ring2 = ring1 + [0, tw, 0]
            centre = np.array([[cxw, cyw - tw / 2, r], [cxw, cyw + tw / 2, r]])
            verts.append(np.concatenate([ring1, ring2, centre]))
            for j in range(n):
                a, b = base + j, base + (j + 1) % n
                faces += [[a, b + n, b], [a, a + n, b + n],  # outward (checked: positive volume)
                          [base + 2 * n, a, b], [base + 2 * n + 1, b + n, a + n]]
    tyres = (np.concatenate(verts), np.array(faces))
    return {"body": body, "glass": glass, "tyres": tyres}


PART_MATERIALS = {"body": "car_paint", "glass": "car_glass", "tyres": "rubber"}
