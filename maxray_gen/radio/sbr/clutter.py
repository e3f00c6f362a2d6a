"""Ground backscatter from a calibrated statistical model instead of physical optics over flat ground facets.

PO over a flat ground returns only spurious facet- and window-edge terms to a monostatic radar; real asphalt
backscatters diffusely through its texture. The ground inside the radar's range window and field of view is cut
into patches of ``patch_m`` x ``patch_m`` (positions jittered within each patch), each a point scatterer with
a complex Gaussian amplitude (Rayleigh magnitude, uniform phase) drawn from the sample's generator, of mean RCS
sigma0(psi) A, with the constant-gamma law sigma0 = gamma sin(psi) (psi the grazing angle, gamma per radio
material, see :mod:`maxray_gen.radio.materials`). A patch counts only where a ray from the transmitter reaches
it on a ground-role object: cars and walls shadow the ground behind them.
"""

from __future__ import annotations

import numpy as np

from maxray_gen.constants import SPEED_OF_LIGHT
from maxray_gen.radio.sbr.launch import ground_level
from maxray_gen.radio.sbr.scene import EngineScene


def patch_grid(bs: np.ndarray, boresight: np.ndarray, zg: float, r_min: float, r_max: float, half_fov: float,
               patch_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ground patch centres (P, 3) on z = zg over slant ranges r_min..r_max and azimuths +-half_fov around the
    horizontal boresight, with their along-range and across-range sizes (P,) [m]."""
    h = bs[2] - zg
    g_min = np.sqrt(max(r_min ** 2 - h ** 2, 0.0))
    g_max = np.sqrt(max(r_max ** 2 - h ** 2, 0.0))
    if g_max <= g_min:
        return np.zeros((0, 3)), np.zeros(0), np.zeros(0)
    heading = np.arctan2(boresight[1], boresight[0])
    rings = np.arange(g_min + patch_m / 2, g_max, patch_m)
    pts, da = [], []
    for g in rings:
        n = max(int(np.ceil(2 * half_fov * g / patch_m)), 1)
        phi = heading + (np.arange(n) + 0.5) * (2 * half_fov / n) - half_fov
        pts.append(np.stack([bs[0] + g * np.cos(phi), bs[1] + g * np.sin(phi), np.full(n, zg)], axis=1))
        da.append(np.full(n, 2 * half_fov * g / n))
    centres = np.concatenate(pts)
    return centres, np.full(len(centres), patch_m), np.concatenate(da)


def ground_clutter(es: EngineScene, tx: np.ndarray, rx: np.ndarray, rotation: np.ndarray, wavelength_m: float,
                   r_min: float, r_max: float, half_fov: float, el_limit: float, patch_m: float,
                   rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Patch scatterers as path arrays: gain (carrier phase included), delay_s, point, objects (snapshot index).
    Only patches inside the launch's field of view (sensor azimuth +-half_fov, elevation +-el_limit) count, like
    the ray tubes: the ground right under a basestation is outside its antennas' view."""
    boresight = rotation[:, 2]
    mi = es.mi
    snap = es.snapshot
    empty = dict(gain=np.zeros(0, np.complex128), delay_s=np.zeros(0), point=np.zeros((0, 3)),
                 objects=np.zeros(0, np.int64))
    zg = ground_level(snap)
    if zg is None:
        return empty
    centres, d_rng, d_az = patch_grid(rx, boresight, zg, r_min, r_max, half_fov, patch_m)
    if len(centres) == 0:
        return empty
    jitter = rng.uniform(-0.5, 0.5, size=(len(centres), 2))
    amp = (rng.standard_normal(len(centres)) + 1j * rng.standard_normal(len(centres))) / np.sqrt(2)
    radial = centres[:, :2] - rx[:2]
    radial /= np.linalg.norm(radial, axis=1, keepdims=True)
    across = np.stack([-radial[:, 1], radial[:, 0]], axis=1)
    pts = centres.copy()
    pts[:, :2] += radial * (jitter[:, :1] * d_rng[:, None]) + across * (jitter[:, 1:] * d_az[:, None])
    d = pts - tx
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    local = d @ rotation
    in_view = (np.abs(np.arctan2(-local[:, 1], np.hypot(local[:, 0], local[:, 2]))) <= el_limit) & \
              (np.abs(np.arctan2(local[:, 0], local[:, 2])) <= half_fov) & (local[:, 2] > 0)
    ray = mi.Ray3f(mi.Point3f(*(float(x) for x in tx)),
                   mi.Vector3f(*(mi.Float(np.ascontiguousarray(d[:, i], np.float32)) for i in range(3))))
    si = es.scene.ray_intersect(ray, ray_flags=mi.RayFlags.Minimal, coherent=True)
    valid = np.asarray(si.is_valid().numpy(), bool)
    tri = np.asarray(si.prim_index.numpy(), np.int64)
    t = np.asarray(si.t.numpy(), np.float64)
    obj = np.where(valid, es.tri_obj_np[np.where(valid, tri, 0)], -1)
    hit = valid & es.is_ground_np[np.maximum(obj, 0)] & (obj >= 0) & in_view
    if not hit.any():
        return empty
    p = tx + d[hit] * t[hit, None]
    sin_psi = np.abs(np.einsum("ij,ij->i", d[hit], es.normals_np[tri[hit]]))
    sigma = 10 ** (es.materials.gamma_db[obj[hit]] / 10) * sin_psi * d_rng[hit] * d_az[hit]
    r_t = t[hit]
    r_r = np.linalg.norm(rx - p, axis=1)
    k = 2 * np.pi / wavelength_m
    length = r_t + r_r
    # the radar equation for a point scatterer of RCS sigma: |a|^2 = lambda^2 sigma / ((4 pi)^3 r_t^2 r_r^2)
    gain = (wavelength_m / (4 * np.pi) ** 1.5) * np.sqrt(sigma) * amp[hit] / (r_t * r_r) * \
        np.exp(-1j * ((k * length) % (2 * np.pi)))
    keep = (length / 2 >= r_min) & (length / 2 <= r_max)
    return dict(gain=gain[keep], delay_s=length[keep] / SPEED_OF_LIGHT, point=p[keep], objects=obj[hit][keep])

