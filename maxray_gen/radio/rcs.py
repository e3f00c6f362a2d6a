"""Monostatic radar cross-section of meshes and canonical shapes through the radar tracer, and the closed forms.

The RCS at range R (object reference point at R from the radar) is the one a radar there measures:
sigma = (4 pi)^3 R^4 |sum of path gains|^2 / lambda^2, which is the far-field RCS when R is large and the
near-field "apparent" RCS at the radar's ranges. Aspect 0 means the shape's reference face looks at the radar;
the aspect turns the shape about the vertical axis through its centre (positive counter-clockwise from above).
Canonical shapes are PEC ("metal"). Closed forms: radar_scattering reference sheet, sec. 4.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import fresnel

from maxray_gen.errors import ConfigError
from maxray_gen.geometry import Pose
from maxray_gen.primitives import Mesh, rotate_z
from maxray_gen.snapshot import ROLES, SceneSnapshot, SnapshotObject

SHAPES = ("sphere", "plate", "cylinder", "dihedral", "trihedral", "car", "person", "cyclist", "drone")
# 3GPP TR 38.901 Rel-19 sec. 7.9 mean RCS (dBsm) of the target classes the shapes stand for
TR38901_MEAN_DBSM = {"car": 11.25, "person": -1.37, "drone": -12.81}


# ---- canonical meshes (reference face towards -y, i.e. towards a radar on the -y side) -----------------------
def sphere_mesh(radius: float, facet_m: float | None = None) -> Mesh:
    """A UV sphere centred at the origin, poles on z; facets about ``facet_m`` (default radius / 100, well below the
    sphere's Fresnel zone sqrt(lambda a / 2) at mm-wave)."""
    facet = facet_m or radius / 100
    n_lon = max(int(np.ceil(2 * np.pi * radius / facet)), 8)
    n_lat = max(n_lon // 2, 4)
    lat = np.linspace(-np.pi / 2, np.pi / 2, n_lat + 1)[1:-1]
    lon = np.linspace(0, 2 * np.pi, n_lon, endpoint=False)
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    v = radius * np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], -1).reshape(-1, 3)
    v = np.concatenate([v, [[0, 0, -radius], [0, 0, radius]]])
    rings = n_lat - 1
    i = np.arange(rings - 1)[:, None] * n_lon
    j = np.arange(n_lon)[None, :]
    p, q = i + j, i + (j + 1) % n_lon
    f = np.concatenate([np.stack([p, q, q + n_lon], -1).reshape(-1, 3), np.stack([p, q + n_lon, p + n_lon], -1).reshape(-1, 3)])
    south, north, top = len(v) - 2, len(v) - 1, (rings - 1) * n_lon
    jj = np.arange(n_lon)
    caps = np.concatenate([np.stack([np.full(n_lon, south), (jj + 1) % n_lon, jj], 1),
                           np.stack([np.full(n_lon, north), top + jj, top + (jj + 1) % n_lon], 1)])
    return v, np.concatenate([f, caps])


def plate_mesh(side: float, cells: int = 1) -> Mesh:
    """A square plate of ``side`` in the x-z plane, normal -y, centred at the origin (two-sided)."""
    xs = np.linspace(-side / 2, side / 2, cells + 1)
    gx, gz = np.meshgrid(xs, xs, indexing="ij")
    v = np.stack([gx.ravel(), np.zeros(gx.size), gz.ravel()], axis=1)
    i = np.arange(cells)[:, None] * (cells + 1) + np.arange(cells)[None, :]
    a, b, c, d = i, i + (cells + 1), i + (cells + 2), i + 1
    f = np.concatenate([np.stack([a, c, b], -1).reshape(-1, 3), np.stack([a, d, c], -1).reshape(-1, 3)])
    return v, f


def cylinder_mesh(radius: float, length: float, segments: int | None = None) -> Mesh:
    """A closed cylinder, axis z, centred at the origin (broadside to a horizontal radar)."""
    n = segments or max(int(np.ceil(2 * np.pi * radius / (radius / 40))), 16)
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ring = np.stack([radius * np.cos(a), radius * np.sin(a)], 1)
    bottom = np.column_stack([ring, np.full(n, -length / 2)])
    top = np.column_stack([ring, np.full(n, length / 2)])
    v = np.concatenate([bottom, top, [[0, 0, -length / 2], [0, 0, length / 2]]])
    j = np.arange(n)
    k = (j + 1) % n
    f = np.concatenate([np.stack([j, k, k + n], 1), np.stack([j, k + n, j + n], 1),
                        np.stack([np.full(n, 2 * n), k, j], 1), np.stack([np.full(n, 2 * n + 1), j + n, k + n], 1)])
    return v, f


def dihedral_mesh(width: float, height: float) -> Mesh:
    """A 90 deg dihedral: two ``width`` x ``height`` plates on a vertical fold through the origin, opening
    towards -y (the radar) with its bisector on the y axis."""
    d1 = np.array([-1.0, -1.0, 0.0]) / np.sqrt(2)
    d2 = np.array([1.0, -1.0, 0.0]) / np.sqrt(2)
    h = np.array([0, 0, height / 2])
    v = np.array([-h, width * d1 - h, width * d1 + h, h, width * d2 - h, width * d2 + h])
    return v, np.array([[0, 1, 2], [0, 2, 3], [0, 3, 5], [0, 5, 4]])


def trihedral_mesh(edge: float) -> Mesh:
    """A triangular trihedral (three right isosceles triangles of leg ``edge``) with its apex at the origin and its
    symmetry axis on -y (towards the radar)."""
    axes = np.eye(3)
    target = np.array([0.0, -1.0, 0.0])
    sym = np.ones(3) / np.sqrt(3)
    rot = _rotation_between(sym, target)
    e = (axes @ rot.T) * edge
    v = np.array([[0, 0, 0], e[0], e[1], e[2]])
    return v, np.array([[0, 1, 2], [0, 2, 3], [0, 3, 1]])


def _rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    v, c = np.cross(a, b), float(np.dot(a, b))
    vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + vx + vx @ vx / (1 + c)


# ---- closed forms (PEC, monostatic, co-polar) ------------------------------------------------------------------
def fresnel_integral(side: float, range_m: float, wavelength_m: float) -> complex:
    """I(s) = int_{-s/2}^{s/2} exp(-j k x^2 / R) dx (paraxial two-way phase of a point source at R)."""
    k = 2 * np.pi / wavelength_m
    beta = np.sqrt(2 * k / (np.pi * range_m))
    s_int, c_int = fresnel(side * beta / 2)
    return 2 * (c_int - 1j * s_int) / beta


def plate_rcs_near(side: float, range_m: float, wavelength_m: float) -> float:
    """Square PEC plate at normal incidence under a point source at ``range_m``: 4 pi |I(s)|^4 / lambda^2."""
    return float(4 * np.pi * abs(fresnel_integral(side, range_m, wavelength_m)) ** 4 / wavelength_m ** 2)


def plate_rcs_far(side: float, wavelength_m: float, aspect_rad: float = 0.0) -> float:
    """4 pi A^2 / lambda^2 cos^2 t sinc^2(k a sin t) (a = side / 2), about an edge-parallel axis."""
    k = 2 * np.pi / wavelength_m
    x = k * side * np.sin(aspect_rad)  # two-way phase across the half-width a = side / 2: 2 k a sin t
    sinc = np.sinc(x / np.pi)
    return float(4 * np.pi * side ** 4 / wavelength_m ** 2 * np.cos(aspect_rad) ** 2 * sinc ** 2)


def cylinder_rcs_near(radius: float, length: float, range_m: float, wavelength_m: float) -> float:
    """Broadside PEC cylinder under a point source: 2 pi a |I(L)|^2 / lambda (-> 2 pi a L^2 / lambda far away)."""
    return float(2 * np.pi * radius * abs(fresnel_integral(length, range_m, wavelength_m)) ** 2 / wavelength_m)


def sphere_rcs(radius: float, range_m: float | None = None) -> float:
    """pi a^2 (far field), or under spherical incidence from a source ``range_m`` from the centre (GO: the
    specular return is a / (2 D (D + a)) with D = R - a the distance to the nearest point) referenced to the centre
    distance as every RCS here: pi a^2 (R / D)^2. (Referenced to D it reads pi a^2 (D / (D + a))^2.)"""
    if range_m is None:
        return float(np.pi * radius ** 2)
    return float(np.pi * radius ** 2 * (range_m / (range_m - radius)) ** 2)


def dihedral_rcs(width: float, height: float, wavelength_m: float) -> float:
    """90 deg dihedral at its symmetric aspect: 8 pi a^2 b^2 / lambda^2."""
    return float(8 * np.pi * width ** 2 * height ** 2 / wavelength_m ** 2)


def trihedral_rcs(edge: float, wavelength_m: float) -> float:
    """Triangular trihedral on its symmetry axis: 4 pi a^4 / (3 lambda^2)."""
    return float(4 * np.pi * edge ** 4 / (3 * wavelength_m ** 2))


# ---- measurement -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RcsSweep:
    aspect_rad: np.ndarray
    rcs_m2: np.ndarray
    closed_form_m2: np.ndarray | None
    range_m: float
    label: str

    @property
    def rcs_dbsm(self) -> np.ndarray:
        return 10 * np.log10(np.maximum(self.rcs_m2, 1e-30))


def target_snapshot(parts: list[tuple[str, Mesh]], range_m: float, aspect_rad: float, height_m: float = 0.0,
                    centre_z: float = 0.0, role: str = "target") -> SceneSnapshot:
    """The parts (material, mesh in the shape frame, reference face towards -y) turned by ``aspect_rad`` about z
    and placed with their centre ``range_m`` in front of a radar at the origin looking along +y."""
    objs = []
    for k, (mat, (v, f)) in enumerate(parts):
        vv = rotate_z(v - [0, 0, centre_z], -aspect_rad) + [0.0, range_m, 0.0]
        objs.append(SnapshotObject(f"part{k}", 1, role, mat, vv, f))
    pose = Pose.look_at([0.0, 0.0, height_m], [0.0, range_m, 0.0])
    return SceneSnapshot(tuple(objs), pose)


def rcs_tracer(radar, trace, range_m: float):
    """A tracer for measuring RCS with the dataset's own settings: lights objects out to ``range_m`` whatever the
    radar's heatmap window, without ground clutter. (With ``po_integration: facet``, the default, the first bounce
    does not depend on the tube size; the sbr-po 1.0 engine needed 1-wavelength tubes here.)"""
    from maxray_gen.radio.tracer import RadarTracer

    margin = max(trace.range_margin_m, range_m + 10.0 - radar.range_max_m)
    return RadarTracer(radar, trace.model_copy(update={"range_margin_m": margin, "ground_clutter": False}))


def monostatic_rcs(tracer, snap: SceneSnapshot, range_m: float, rng: np.random.Generator | None = None) -> float:
    """sigma = (4 pi)^3 R^4 |sum gains|^2 / lambda^2 of one trace."""
    paths = tracer.trace(snap, rng or np.random.default_rng(0))
    lam = tracer.radar.wavelength_m
    return float((4 * np.pi) ** 3 * range_m ** 4 * abs(paths.gain.sum()) ** 2 / lam ** 2)


def shape_parts(shape: str, size: float, size2: float | None, car_body: str = "sedan"
                ) -> tuple[list[tuple[str, Mesh]], float, str]:
    """(parts, centre height in the shape frame, label) of a canonical shape or a car body type."""
    if shape == "sphere":
        return [("metal", sphere_mesh(size))], 0.0, f"sphere a = {size:g} m"
    if shape == "plate":
        return [("metal", plate_mesh(size))], 0.0, f"square plate {size:g} m"
    if shape == "cylinder":
        length = size2 or 1.0
        return [("metal", cylinder_mesh(size, length))], 0.0, f"cylinder a = {size:g} m, L = {length:g} m"
    if shape == "dihedral":
        return [("metal", dihedral_mesh(size, size2 or size))], 0.0, f"dihedral {size:g} x {size2 or size:g} m"
    if shape == "trihedral":
        return [("metal", trihedral_mesh(size))], 0.0, f"triangular trihedral a = {size:g} m"
    if shape == "car":
        from maxray_gen.scene.car_model import PART_MATERIALS, car_parts
        from maxray_gen.scene.cars import BODY_TYPES

        bt = next((b for b in BODY_TYPES if b.name == car_body), None)
        if bt is None:
            raise ConfigError(f"car body {car_body!r} is unknown; choose from {', '.join(b.name for b in BODY_TYPES)}")
        parts = car_parts(bt.name, bt.length[0], bt.width[0], bt.height[0])
        # car frame heading +x; turn it so that aspect 0 shows the car's rear to the radar (heading +y, away)
        out = [(PART_MATERIALS[name], (rotate_z(v, np.pi / 2), f)) for name, (v, f) in parts.items()]
        return out, bt.height[0] / 2, f"{bt.name} {bt.length[0]:g} x {bt.width[0]:g} x {bt.height[0]:g} m"
    if shape in ("person", "cyclist", "drone"):
        return _mover_parts(shape)
    raise ConfigError(f"shape {shape!r} is unknown; choose from {', '.join(SHAPES)}")


def _mover_parts(shape: str) -> tuple[list[tuple[str, Mesh]], float, str]:
    """A standing 1.75 m person, a 1.75 m rider on a bicycle at rest, or a drone (rotors still), aspect 0 facing
    the radar on the -y side."""
    if shape == "person":
        from maxray_gen.scene.people import PersonSpec, person_pieces

        pieces, label = person_pieces(PersonSpec(1, 0.0, 0.0, -np.pi / 2, 1.75, 0.0, 0.0), 0.0), "person 1.75 m"
    elif shape == "cyclist":
        from maxray_gen.scene.cyclists import CyclistSpec, cyclist_pieces

        pieces, label = cyclist_pieces(CyclistSpec(1, 0.0, 0.0, -np.pi / 2, 1.75, 0.0, 0.0), 0.0), "cyclist 1.75 m"
    else:
        from maxray_gen.scene.drones import DroneSpec, drone_pieces

        pieces, label = drone_pieces(DroneSpec(1, 0.0, 0.0, 0.0, -np.pi / 2, (0.0, 0.0, 0.0), 100.0), 0.0), "drone"
    v = np.concatenate([p[2] for p in pieces])
    mid = (v.min(0) + v.max(0)) / 2
    parts = [(mat, (verts - [mid[0], mid[1], 0.0], faces)) for _n, mat, verts, faces, _u in pieces]
    return parts, float(mid[2]), label


def closed_form(shape: str, size: float, size2: float | None, range_m: float | None, wavelength_m: float,
                aspect_rad: np.ndarray) -> np.ndarray | None:
    """The closed form beside a canonical shape (at its reference aspect for corner reflectors)."""
    a = np.asarray(aspect_rad, dtype=np.float64)
    if shape == "sphere":
        return np.full(a.shape, sphere_rcs(size, range_m))
    if shape == "plate":
        if range_m is None:
            return np.array([plate_rcs_far(size, wavelength_m, t) for t in a])
        near = plate_rcs_near(size, range_m, wavelength_m)
        return np.array([near * plate_rcs_far(size, wavelength_m, t) / plate_rcs_far(size, wavelength_m, 0.0) for t in a])
    if shape == "cylinder":
        length = size2 or 1.0
        if range_m is None:
            return np.full(a.shape, 2 * np.pi * size * length ** 2 / wavelength_m)
        return np.full(a.shape, cylinder_rcs_near(size, length, range_m, wavelength_m))
    if shape == "dihedral":
        return np.where(np.abs(a) < 1e-9, dihedral_rcs(size, size2 or size, wavelength_m), np.nan)
    if shape == "trihedral":
        return np.where(np.abs(a) < 1e-9, trihedral_rcs(size, wavelength_m), np.nan)
    return None


def snapshot_parts(snap: SceneSnapshot) -> tuple[list[tuple[str, Mesh]], float]:
    """A snapshot's objects as parts centred horizontally on their bounding box, and that box's centre height."""
    v = np.concatenate([o.vertices for o in snap.objects])
    mid = (v.min(0) + v.max(0)) / 2
    return [(o.material, (o.vertices - [mid[0], mid[1], 0.0], o.faces)) for o in snap.objects], float(mid[2])


def sweep_parts(tracer, parts: list[tuple[str, Mesh]], centre_z: float, aspects_rad: np.ndarray, range_m: float,
                label: str, role: str = "target", closed_form_m2: np.ndarray | None = None, progress=None) -> RcsSweep:
    """RCS of ``parts`` (see :func:`target_snapshot`) versus aspect at ``range_m``."""
    values = []
    for a in aspects_rad:
        values.append(monostatic_rcs(tracer, target_snapshot(parts, range_m, float(a), 0.0, centre_z, role), range_m))
        if progress is not None:
            progress()
    return RcsSweep(np.asarray(aspects_rad, np.float64), np.array(values), closed_form_m2, range_m, label)


def sweep(tracer, shape: str, size: float, aspects_rad: np.ndarray, range_m: float, size2: float | None = None,
          car_body: str = "sedan", far_field: bool = False, progress=None) -> RcsSweep:
    """RCS of ``shape`` versus aspect at ``range_m`` (``far_field``: the closed form's far-field limit is drawn)."""
    parts, zc, label = shape_parts(shape, size, size2, car_body)
    cf = closed_form(shape, size, size2, None if far_field else range_m, tracer.radar.wavelength_m, aspects_rad)
    return sweep_parts(tracer, parts, zc, aspects_rad, range_m, label, shape if shape in ROLES else "target", cf,
                       progress)


def parse_aspects(text: str) -> np.ndarray:
    """Aspect angles in degrees from ``start:stop:step`` or ``a,b,c`` (one clear line naming --aspects otherwise)."""
    try:
        if ":" in text:
            a0, a1, st = (float(x) for x in text.split(":"))
            deg = np.arange(a0, a1, st)
        else:
            deg = np.array([float(x) for x in text.split(",")])
    except ValueError:
        raise ConfigError(f"--aspects: {text!r} is not start:stop:step or a comma-separated list of degrees") from None
    if len(deg) == 0:
        raise ConfigError(f"--aspects: {text!r} gives no angles")
    return deg


def write_csv(sw: RcsSweep, deg: np.ndarray, path: Path) -> Path:
    """The sweep as CSV: aspect_deg, rcs_dbsm, closed_form_dbsm (NaN where there is none)."""
    lines = ["aspect_deg,rcs_dbsm,closed_form_dbsm"]
    for k, d in enumerate(deg):
        cf = sw.closed_form_m2[k] if sw.closed_form_m2 is not None else np.nan
        lines.append(f"{d:g},{sw.rcs_dbsm[k]:.3f},{10 * np.log10(cf) if np.isfinite(cf) and cf > 0 else float('nan'):.3f}")
    Path(path).write_text("\n".join(lines) + "\n")
    return Path(path)

