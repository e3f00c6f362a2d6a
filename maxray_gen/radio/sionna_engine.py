"""The comparison engine (``trace.engine: sionna``): the monostatic radar traced with Sionna RT's image-method +
diffuse path solver on Mitsuba 3 / Dr.Jit. The default engine is SBR + PO (:mod:`maxray_gen.radio.sbr`).

The Sionna scene is built in memory (one Mitsuba mesh per snapshot object, so each keeps its material and
velocity; paths report the instance id of the objects they touched). Re-tracing a snapshot with the same objects (names, materials, vertex and face counts) only
rewrites the vertex buffers and velocities in place. Transmitter and receiver are single isotropic elements: the
receiver sits at the array centre (the radar model's phase reference and applies the array steering itself), the
transmitter a few centimetres away (``trace.tx_offset_m``), which keeps dihedral/trihedral corner returns.

Sionna's traps handled here: diffuse reflection is enabled by default (specular-only misses curved cars), delays
are absolute (never normalised), the direct Tx->Rx coupling is not traced (``los=False``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from maxray_gen.constants import SPEED_OF_LIGHT
from maxray_gen.geometry import Pose, sensor_angles
from maxray_gen.radar.config import RadarConfig
from maxray_gen.radar.paths import PathSet
from maxray_gen.radio.config import TraceConfig
from maxray_gen.radio.drjit_setup import import_mitsuba
from maxray_gen.radio.materials import material
from maxray_gen.snapshot import SceneSnapshot

INVALID_SHAPE = 0xFFFFFFFF
_INTERACTION_CODES = {0: 0, 1: 1, 2: 2, 4: 3, 8: 4}  # Sionna bit flags -> PathSet codes


def world_direction(theta: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Unit vectors for Sionna's zenith/azimuth angles in the world frame."""
    st = np.sin(theta)
    return np.stack([st * np.cos(phi), st * np.sin(phi), np.cos(theta)], axis=-1)


@dataclass(frozen=True)
class _Layout:
    """What must match for an in-place update instead of a rebuild."""

    names: tuple[str, ...]
    materials: tuple[str, ...]
    counts: tuple[tuple[int, int], ...]


def _layout(snap: SceneSnapshot) -> _Layout:
    return _Layout(tuple(o.name for o in snap.objects), tuple(o.material for o in snap.objects),
                   tuple((len(o.vertices), len(o.faces)) for o in snap.objects))


class SionnaTracer:
    """Keeps one Sionna scene alive across traces; use :meth:`trace` per sample."""

    engine = "sionna"

    def __init__(self, radar: RadarConfig, trace: TraceConfig):
        self.radar = radar
        self.cfg = trace
        self.mi = import_mitsuba(trace.variant)
        import sionna.rt as rt

        self._rt = rt
        self._solver = rt.PathSolver(deterministic=trace.deterministic)
        self._scene = None
        self._layout: _Layout | None = None
        self._state: list = []
        self._objects: list = []
        self._ids: dict[int, int] = {}
        self._instance_ids: list[int] = []

    # ---- scene management ---------------------------------------------------------------------------
    @property
    def variant(self) -> str:
        return self.mi.variant()

    def _mesh(self, name: str, vertices: np.ndarray, faces: np.ndarray):
        mi = self.mi
        mesh = mi.Mesh(name, vertex_count=len(vertices), face_count=len(faces), has_vertex_normals=False,
                       has_vertex_texcoords=False)
        params = mi.traverse(mesh)
        params["vertex_positions"] = mi.Float(np.ascontiguousarray(vertices, dtype=np.float32).ravel())
        params["faces"] = mi.UInt32(np.ascontiguousarray(faces, dtype=np.uint32).ravel())
        params.update()
        return mesh

    def _radio_material(self, name: str, cache: dict):
        if name not in cache:
            spec = material(name)
            eps, sigma = spec.properties(self.radar.carrier_hz)
            cache[name] = self._rt.RadioMaterial(
                name=f"mx-{name}", thickness=spec.thickness_m, relative_permittivity=eps, conductivity=sigma,
                scattering_coefficient=spec.scattering, scattering_pattern=spec.pattern)
        return cache[name]

    def _build(self, snap: SceneSnapshot) -> None:
        rt, mi = self._rt, self.mi
        snap.validate()
        for obj in snap.objects:  # material errors before any engine work
            material(obj.material).properties(self.radar.carrier_hz)
        scene = rt.Scene()
        scene.frequency = self.radar.carrier_hz
        cache: dict = {}
        objs = []
        for k, obj in enumerate(snap.objects):
            mesh = self._mesh(f"obj{k}", obj.vertices, obj.faces)
            objs.append(rt.SceneObject(mi_mesh=mesh, name=f"obj{k}",
                                       radio_material=self._radio_material(obj.material, cache),
                                       velocity=mi.Vector3f(*(float(x) for x in obj.velocity))))
        scene.edit(add=objs)
        scene.tx_array = rt.PlanarArray(num_rows=1, num_cols=1, pattern="iso", polarization="V")
        scene.rx_array = rt.PlanarArray(num_rows=1, num_cols=1, pattern="iso", polarization="V")
        scene.add(rt.Transmitter("tx", position=mi.Point3f(0, 0, 0)))
        scene.add(rt.Receiver("rx", position=mi.Point3f(0, 0, 1)))
        self._scene, self._objects = scene, objs
        self._ids = {int(o.object_id): snap.objects[i].instance_id for i, o in enumerate(objs)}
        self._instance_ids = [o.instance_id for o in snap.objects]
        self._layout = _layout(snap)
        self._state = [self._object_state(o) for o in snap.objects]

    @staticmethod
    def _object_state(obj) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """What the engine holds for an object: float32 vertices, faces, velocity (compared on re-trace)."""
        return np.ascontiguousarray(obj.vertices, np.float32), obj.faces, obj.velocity.copy()

    def _update(self, snap: SceneSnapshot) -> int:
        """Rewrite the changed objects' vertex buffers (one batched parameter update, one acceleration-structure
        rebuild) and velocities in place; returns how many objects changed."""
        mi = self.mi
        params = self._scene.mi_scene_params
        changed_geometry = 0
        changed = 0
        for i, (obj, so) in enumerate(zip(snap.objects, self._objects)):
            v32, faces, vel = self._object_state(obj)
            old_v, old_f, old_vel = self._state[i]
            key = f"obj{i}"
            moved = not np.array_equal(v32, old_v)
            refaced = faces is not old_f and not np.array_equal(faces, old_f)
            if moved or refaced:
                obj.validate()
                params[f"{key}.vertex_positions"] = mi.Float(v32.ravel())
                if refaced:
                    params[f"{key}.faces"] = mi.UInt32(np.ascontiguousarray(faces, np.uint32).ravel())
                changed_geometry += 1
            if not np.array_equal(vel, old_vel):
                so.velocity = mi.Vector3f(*(float(x) for x in vel))
            if moved or refaced or not np.array_equal(vel, old_vel):
                changed += 1
                self._state[i] = (v32, faces, vel)
        if changed_geometry:
            params.update()
            self._scene.scene_geometry_updated()
        return changed

    def prepare(self, snap: SceneSnapshot) -> str:
        """Make the engine scene match ``snap``: ``"built"`` (new layout), ``"updated"`` (objects moved or changed
        velocity, buffers rewritten in place) or ``"unchanged"``."""
        if self._scene is not None and _layout(snap) == self._layout and \
                [o.instance_id for o in snap.objects] == self._instance_ids:
            return "updated" if self._update(snap) else "unchanged"
        self._build(snap)
        return "built"

    def _place(self, tx_position: np.ndarray, rx_position: np.ndarray) -> None:
        mi = self.mi
        self._scene.get("tx").position = mi.Point3f(*(float(x) for x in tx_position))
        self._scene.get("rx").position = mi.Point3f(*(float(x) for x in rx_position))

    def element_positions(self, pose: Pose) -> np.ndarray:
        """World positions (rows x columns, 3) of the receive elements, row-major (see radar.array)."""
        a = self.radar.array
        lam = self.radar.wavelength_m
        r, c = np.meshgrid(np.arange(a.rows), np.arange(a.columns), indexing="ij")
        x = (c - (a.columns - 1) / 2) * a.spacing_wavelengths * lam
        y = (r - (a.rows - 1) / 2) * a.spacing_wavelengths * lam
        return pose.sensor_to_world(np.stack([x.ravel(), y.ravel(), np.zeros(x.size)], axis=1))

    def radar_positions(self, pose: Pose) -> tuple[np.ndarray, np.ndarray]:
        """(transmitter, receiver) world positions for a basestation pose: the receiver is the array centre, or
        every element (rows x columns, 3) when tracing per element."""
        tx = pose.sensor_to_world(np.asarray(self.cfg.tx_offset_m))
        return tx, (pose.position.copy() if self.cfg.synthetic_array else self.element_positions(pose))

    # ---- tracing ------------------------------------------------------------------------------------
    def solve(self, tx_position, rx_position, seed: int, los: bool = False):
        """Run Sionna's path solver from the transmitter to one receiver position; returns its ``Paths``."""
        self._place(tx_position, rx_position)
        c = self.cfg
        return self._solver(
            self._scene, max_depth=c.max_depth, max_num_paths_per_src=c.max_paths, samples_per_src=c.samples_per_src,
            synthetic_array=True, los=los, specular_reflection=c.specular_reflection,
            diffuse_reflection=c.diffuse_reflection, refraction=c.refraction, diffraction=c.diffraction, seed=seed)

    def to_pathset(self, paths, pose: Pose, filter_lengths: bool = True) -> PathSet:
        """Convert Sionna ``Paths`` (one Tx, one Rx) into a PathSet in ``pose``'s sensor frame."""
        valid = np.array(paths.valid.numpy(), dtype=bool).reshape(-1)
        a_re, a_im = paths.a
        passband = (np.asarray(a_re.numpy(), np.float64) + 1j * np.asarray(a_im.numpy(), np.float64)).reshape(-1)
        flat = lambda t: np.array(t.numpy(), dtype=np.float64).reshape(-1)  # noqa: E731 (always a copy)
        tau, doppler = flat(paths.tau), flat(paths.doppler)
        # Sionna's ``a`` is the passband coefficient; the carrier phase exp(-j 2 pi f_c tau) is part of our gain
        # (it sets how paths interfere and the phase across a per-element array).
        gain = passband * np.exp(-2j * np.pi * self.radar.carrier_hz * np.where(valid, tau, 0.0))
        th_r, ph_r, th_t, ph_t = flat(paths.theta_r), flat(paths.phi_r), flat(paths.theta_t), flat(paths.phi_t)
        n = valid.size
        depth = int(np.asarray(paths.objects.numpy()).shape[0]) if n else 0
        objects = np.asarray(paths.objects.numpy(), dtype=np.int64).reshape(depth, n).T if depth else np.zeros((n, 0))
        inter = np.asarray(paths.interactions.numpy(), dtype=np.int64).reshape(depth, n).T if depth else np.zeros((n, 0))
        keep = valid.copy()
        if filter_lengths:
            keep &= tau * SPEED_OF_LIGHT <= self.cfg.max_path_length_m
            if self.cfg.beyond_unambiguous_range == "drop":
                keep &= tau * SPEED_OF_LIGHT / 2 <= self.radar.max_unambiguous_range_m
        ids = np.full(objects.shape, -1, dtype=np.int32)
        for sid, iid in self._ids.items():
            ids[objects == sid] = iid
        unknown = (objects != INVALID_SHAPE) & (ids == -1) & (inter != 0)
        if unknown[keep].any():
            raise RuntimeError("Sionna reported an interaction with an object that is not in the snapshot")
        codes = np.zeros(inter.shape, dtype=np.int8)
        for flag, code in _INTERACTION_CODES.items():
            codes[inter == flag] = code
        az_r, el_r = sensor_angles(world_direction(th_r, ph_r), pose)
        az_t, el_t = sensor_angles(world_direction(th_t, ph_t), pose)
        # Canonical order (by delay, then Doppler, angles, objects): the engine's internal order depends on
        # whether its scene was rebuilt or updated, and the radar model's sums must not.
        k = np.flatnonzero(keep)
        k = k[np.lexsort((*ids[k].T[::-1], el_r[k], az_r[k], doppler[k], tau[k]))]
        return PathSet(gain=gain[k], delay_s=tau[k], doppler_hz=doppler[k], aoa_azimuth=az_r[k], aoa_elevation=el_r[k],
                       aod_azimuth=az_t[k], aod_elevation=el_t[k], objects=ids[k], interactions=codes[k],
                       carrier_hz=self.radar.carrier_hz)

    def trace(self, snap: SceneSnapshot, rng: np.random.Generator) -> PathSet:
        """Monostatic radar paths of a snapshot (builds or updates the engine scene as needed)."""
        self.prepare(snap)
        tx, rx = self.radar_positions(snap.basestation)
        seed = int(rng.integers(0, 2**31 - 1))
        if self.cfg.synthetic_array:
            return self.to_pathset(self.solve(tx, rx, seed), snap.basestation)
        # Per element: one solve per receive element (Sionna 2.2 loses specular paths when one scene holds
        # several receivers, measured here), the same ray seed for all of them.
        parts = []
        for k, position in enumerate(rx):
            p = self.to_pathset(self.solve(tx, position, seed), snap.basestation)
            parts.append(replace(p, element=np.full(len(p), k, np.int32)))
        return PathSet.concatenate(parts)


__all__ = ["SionnaTracer"]
