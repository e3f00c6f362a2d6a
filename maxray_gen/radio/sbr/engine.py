"""The SBR+PO radar engine: SceneSnapshot -> PathSet (launch, bounce + PO radiation, merge, ground clutter)."""

from __future__ import annotations

import time

import numpy as np

from maxray_gen.constants import SPEED_OF_LIGHT
from maxray_gen.geometry import Pose, sensor_angles
from maxray_gen.radar.config import RadarConfig
from maxray_gen.radar.paths import PathSet
from maxray_gen.radio.config import TraceConfig
from maxray_gen.radio.drjit_setup import import_mitsuba
from maxray_gen.radio.sbr.beams import beam_returns
from maxray_gen.radio.sbr.bounce import BeamHits, Contributions, trace_tubes
from maxray_gen.radio.sbr.clutter import ground_clutter
from maxray_gen.radio.sbr.facets import View, first_bounce
from maxray_gen.radio.sbr.launch import TubeGrid, tube_grid
from maxray_gen.radio.sbr.merge import MergeCells, merge
from maxray_gen.radio.sbr.scene import EngineScene
from maxray_gen.snapshot import SceneSnapshot

ENGINE_VERSION = "sbr-po 2.0"
ENGINE_HISTORY = {
    "sbr-po 1.0": "PO sampled by the ray tubes at every bounce (until 2026-12-06)",
    "sbr-po 2.0 facet": "first bounce: PO integrated in closed form over every lit facet; later bounces by the tubes",
    "sbr-po 2.0 facet+beam": "first bounce per facet; later bounces in closed form over each chain's lit polygon",
    "sbr-po 2.0 tube": "PO sampled by the ray tubes at every bounce (trace.po_integration: tube, the 1.0 engine)",
}


def engine_version(trace: TraceConfig) -> str:
    """What a shard records: the version and how the PO integral is evaluated (a key of ``ENGINE_HISTORY``)."""
    if trace.po_integration == "facet" and trace.later_bounces == "beam":
        return f"{ENGINE_VERSION} facet+beam"
    return f"{ENGINE_VERSION} {trace.po_integration}"


# a facet radiates from its centroid: split it until its extent is below this fraction of the range resolution and
# of the beamwidth (then it is one point to the radar)
FACET_EXTENT = 0.5
AZIMUTH_MARGIN_DEG = 6.0  # launch a little beyond the heatmap's field of view (sidelobes of objects just outside)


class SbrTracer:
    """Keeps one engine scene alive across traces (poses/velocities update in place); :meth:`trace` per sample."""

    engine = "sbr"

    def __init__(self, radar: RadarConfig, trace: TraceConfig):
        self.radar = radar
        self.cfg = trace
        self.mi = import_mitsuba(trace.variant)
        self.scene = EngineScene(self.mi, radar.carrier_hz)
        self.last_stats: dict[str, float] = {}

    @property
    def version(self) -> str:
        return engine_version(self.cfg)

    @property
    def variant(self) -> str:
        return self.mi.variant()

    @property
    def spacing_m(self) -> float:
        """Tube spacing at an object's far side (``trace.ray_spacing_m`` or 4 wavelengths: 2 cm at 60 GHz)."""
        s = self.cfg.ray_spacing_m
        return 4.0 * self.radar.wavelength_m if s == "auto" else float(s)

    def prepare(self, snap: SceneSnapshot) -> str:
        """``"built"``, ``"updated"`` (in place) or ``"unchanged"``."""
        return self.scene.prepare(snap)

    def radar_positions(self, pose: Pose) -> tuple[np.ndarray, np.ndarray]:
        """(transmitter, receiver) world positions: both at the array centre, the radar model's phase reference.

        Physical optics has no trouble with exactly co-located antennas (``trace.tx_offset_m`` is for the Sionna
        engine's image-method corner paths); an offset would also shift near-field returns: 2.8 cm changes a 1 m
        plate's apparent RCS at 15 m by 1 dB (the Fresnel edge terms move)."""
        return pose.position.copy(), pose.position.copy()

    def tubes(self, snap: SceneSnapshot) -> TubeGrid:
        """The launch tubes for ``snap`` (see :mod:`maxray_gen.radio.sbr.launch`)."""
        r, c = self.radar, self.cfg
        return tube_grid(snap, snap.basestation, self.spacing_m, r.range_max_m + c.range_margin_m,
                         np.radians(r.azimuth_fov_deg + AZIMUTH_MARGIN_DEG), np.radians(c.elevation_limit_deg),
                         cell_deg=c.launch_cell_deg, max_tubes=c.max_rays, structure_spacing_m=c.structure_spacing_m)

    def merge_cells(self) -> MergeCells:
        """``trace.merge_fraction`` of the two-way length resolution c / B and of the array's beamwidths."""
        r, f = self.radar, self.cfg.merge_fraction
        a = r.array
        el = 0.886 / (a.rows * a.spacing_wavelengths) if a.rows > 1 else np.pi
        return MergeCells(SPEED_OF_LIGHT / r.bandwidth_hz * f, np.radians(r.azimuth_beamwidth_deg) * f, el * f)

    def min_power(self, strongest: float) -> float:
        """Merged paths weaker than this are dropped: ``trace.prune_db`` below what the radar can detect at its
        noise floor after the full processing gain (or below the strongest path without noise)."""
        floor = self.radar.noise_variance / self.radar.processing_gain
        if floor <= 0:
            return strongest * 10 ** (-120 / 10)
        return floor * 10 ** (-self.cfg.prune_db / 10)

    def trace(self, snap: SceneSnapshot, rng: np.random.Generator) -> PathSet:
        """Monostatic radar paths of a snapshot."""
        t0 = time.perf_counter()
        self.prepare(snap)
        es = self.scene
        pose = snap.basestation
        tx, rx = self.radar_positions(pose)
        up = -pose.rotation[:, 1]
        tubes = self.tubes(snap)
        lam = self.radar.wavelength_m
        facet = self.cfg.po_integration == "facet"
        parts = []
        if facet:
            r = self.radar
            view = View(tx, rx, pose, min(r.range_max_m + self.cfg.range_margin_m, self.cfg.max_path_length_m / 2),
                        np.radians(r.azimuth_fov_deg + AZIMUTH_MARGIN_DEG), np.radians(self.cfg.elevation_limit_deg),
                        r.range_resolution_m * FACET_EXTENT, np.radians(r.azimuth_beamwidth_deg) * FACET_EXTENT)
            parts.append(first_bounce(es, view, up, lam, self.cfg.max_facet_m,
                                      ground_direct=not self.cfg.ground_clutter, depth=self.cfg.max_depth))
        if not facet or self.cfg.max_depth > 1:
            hits: list[BeamHits] | None = [] if facet and self.cfg.later_bounces == "beam" else None
            parts.append(trace_tubes(es, tubes, tx, rx, up, lam, self.cfg.max_depth,
                                     ground_direct=not self.cfg.ground_clutter,
                                     max_length_m=self.cfg.max_path_length_m, first_bounce=not facet, beams=hits))
            if hits:
                parts.append(beam_returns(es, hits, view, up, 2 * np.pi / lam, lam, self.cfg.max_depth))
        contrib = Contributions.concatenate(parts, self.cfg.max_depth)
        strongest = float(np.max(np.abs(contrib.amplitude)) ** 2) if len(contrib.amplitude) else 0.0
        arr_az, arr_el = sensor_angles(contrib.point - rx, pose)
        m = merge(contrib, lam, arr_az, arr_el, self.merge_cells(), self.min_power(strongest))
        az_t, el_t = m["aod"][:, 0], m["aod"][:, 1]
        parts = [self._pathset(m["gain"], m["delay_s"], -m["dldt"] / lam, m["point"], rx, pose, m["objects"],
                               np.where(m["objects"] >= 0, 1, 0), az_t, el_t)]
        n_clutter = 0
        if self.cfg.ground_clutter:
            r = self.radar
            # patches from one range resolution before the window: nearer ground (r^-4 bright under the mast)
            # would only leak into the window through range sidelobes, which a real front end gates out
            g = ground_clutter(es, tx, rx, pose.rotation, lam, max(r.range_min_m - r.range_resolution_m, 0.0),
                               r.range_max_m + self.cfg.range_margin_m,
                               np.radians(r.azimuth_fov_deg + AZIMUTH_MARGIN_DEG),
                               np.radians(self.cfg.elevation_limit_deg), self.cfg.clutter_patch_m, rng)
            n_clutter = len(g["gain"])
            if n_clutter:
                az, el = sensor_angles(g["point"] - tx, pose)
                parts.append(self._pathset(g["gain"], g["delay_s"], np.zeros(n_clutter), g["point"], rx, pose,
                                           g["objects"][:, None], np.full((n_clutter, 1), 2), az, el))
        paths = PathSet.concatenate(parts)
        keep = paths.path_length_m <= self.cfg.max_path_length_m
        if self.cfg.beyond_unambiguous_range == "drop":
            keep &= paths.range_m <= self.radar.max_unambiguous_range_m
        paths = paths.select(keep)
        used = int(np.max(np.nonzero((paths.objects >= 0).any(axis=0))[0], initial=-1)) + 1
        paths = PathSet(paths.gain, paths.delay_s, paths.doppler_hz, paths.aoa_azimuth, paths.aoa_elevation,
                        paths.aod_azimuth, paths.aod_elevation, paths.objects[:, :max(used, 1)],
                        paths.interactions[:, :max(used, 1)], paths.carrier_hz)
        order = np.lexsort((*paths.objects.T[::-1], paths.aoa_elevation, paths.aoa_azimuth, paths.doppler_hz,
                            paths.delay_s))
        self.last_stats = dict(tubes=len(tubes), hits=len(contrib.amplitude), paths=len(paths),
                               clutter_paths=n_clutter, seconds=time.perf_counter() - t0)
        return paths.select(order)

    def _pathset(self, gain, delay, doppler, point, rx, pose, objects, interactions, az_t, el_t) -> PathSet:
        ids = np.where(objects >= 0, self.scene.instance_ids[np.maximum(objects, 0)], -1)
        az_r, el_r = sensor_angles(point - rx, pose)
        return PathSet(gain=gain, delay_s=delay, doppler_hz=doppler, aoa_azimuth=az_r, aoa_elevation=el_r,
                       aod_azimuth=az_t, aod_elevation=el_t, objects=ids, interactions=interactions.astype(np.int8),
                       carrier_hz=self.radar.carrier_hz)
