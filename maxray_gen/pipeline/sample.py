"""One dataset sample: scene -> Blender render + sensors -> snapshot -> radio trace -> radar heatmaps -> Sample."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from maxray_gen.config import Config
from maxray_gen.dataset.schema import LIDAR_DTYPE, Sample, empty_objects, track_ids
from maxray_gen.geometry import oriented_extent
from maxray_gen.pipeline.radar_stage import radar_stage
from maxray_gen.radar.micro_doppler import half_width_bins, object_profiles
from maxray_gen.radar.object_echoes import fill_radar_truth
from maxray_gen.radio.tracer import RadarTracer
from maxray_gen.pipeline.visual_stage import SceneRenderer, VisualSample
from maxray_gen.sensors.visibility import seen
from maxray_gen.snapshot import ROLE_CLASS


def objects_table(vs: VisualSample) -> np.ndarray:
    """Per-instance groundtruth rows (OBJECT_DTYPE), ordered by instance id."""
    boxes = {b.instance_id: b for b in vs.boxes}
    cars = {c.instance_id: c for c in vs.spec.cars} if vs.spec else {}
    movers = {m.instance_id: m.yaw for m in (*vs.spec.people, *vs.spec.drones, *vs.spec.cyclists)} if vs.spec else {}
    rows = empty_objects(len(vs.truth))
    bs = vs.snapshot.basestation.position
    for r, t in zip(rows, vs.truth):
        verts = vs.snapshot.instance_vertices(t.instance_id)
        car = cars.get(t.instance_id)
        yaw = car.yaw if car else movers.get(t.instance_id, vs.headings.get(t.instance_id, 0.0))
        if car:
            dims = (car.length, car.width, car.height)
        else:  # extents along the heading (scenario cars: their forward axis; other objects: the world axes)
            dims = oriented_extent(verts, yaw)[1]
        b = boxes.get(t.instance_id)
        nan4 = np.full(4, np.nan)
        r["instance_id"], r["class_id"], r["in_radar_view"] = t.instance_id, ROLE_CLASS[t.role], t.in_radar_view
        r["centre"], r["dimensions"], r["yaw"] = t.centre, dims, yaw
        r["velocity"], r["range_m"], r["azimuth_rad"] = t.velocity, t.range_m, t.azimuth_rad
        r["elevation_rad"], r["heatmap_azimuth_rad"] = t.elevation_rad, t.heatmap_azimuth_rad
        r["range_bin"], r["azimuth_bin"], r["radial_velocity_mps"] = t.range_bin, t.azimuth_bin, t.radial_velocity_mps
        r["nearest_range_m"] = np.linalg.norm(verts - bs, axis=1).min()
        r["visible_box"] = b.visible if b is not None and b.visible is not None else nan4
        r["amodal_box"] = b.amodal if b is not None and b.amodal is not None else nan4
        r["visible_fraction"] = b.visible_fraction if b is not None else 0.0
        r["truncated"] = b.truncated if b is not None else False
        r["camera_visibility"] = vs.visibility.get(t.instance_id, np.nan)
    return rows


def designated_target(objects: np.ndarray, visible_pixels: dict[int, int], min_visibility: float = 0.0) -> int:
    """The object the SSL methods localise: the most visible car inside the radar's view that the camera sees
    (photometric visibility >= ``min_visibility``), -1 if none. People and drones are never the target."""
    best, score = -1, 0
    ok = seen(objects["camera_visibility"], min_visibility)
    for k, o in enumerate(objects):
        px = visible_pixels.get(int(o["instance_id"]), 0)
        if o["class_id"] == 0 and o["in_radar_view"] and ok[k] and px > score:
            best, score = k, px
    return best


class SampleMaker:
    """Holds the engines (Blender session, ray tracer) of one process."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.renderer = SceneRenderer(cfg)
        self.tracer = RadarTracer(cfg.radar, cfg.trace)
        self._tmp = Path(tempfile.mkdtemp(prefix="maxray-"))

    def make(self, index: int) -> Sample:
        """Sample number ``index`` of the dataset (global index). With sequences of F frames it is frame index % F
        of layout index // F, at time frame / frame rate: the layout's streams derive from the sequence, the
        per-frame ones (rays, radar noise) from the global index."""
        seed, g = self.cfg.generate.seed, self.cfg.generate
        sequence, frame = divmod(index, g.frames_per_sequence)
        time_s = frame / g.frame_rate_hz
        vs = self.renderer.sample(seed, sequence, rgb_path=self._tmp / "rgb.png", time_s=time_s)
        t = dict(vs.timings)
        radar = radar_stage(vs.snapshot, self.cfg, seed, index, vs.spec.weather if vs.spec is not None else None,
                            self.tracer)
        t.update(radar.timings)
        paths, maps, radio_weather = radar.paths, radar.maps, radar.radio_weather
        objects = objects_table(vs)
        objects["track_id"] = track_ids(sequence, objects["instance_id"])
        fill_radar_truth(objects, paths, vs.snapshot.basestation, self.cfg.radar)
        doppler = None
        if "range_doppler" in maps:
            doppler = object_profiles(maps["range_doppler"], objects["range_bin"],
                                      half_width_bins(self.cfg.radar.range_bin_m))
        lidar = np.zeros(len(vs.lidar.points) if vs.lidar else 0, LIDAR_DTYPE)
        if vs.lidar is not None:
            lidar["xyz"], lidar["instance_id"] = vs.lidar.points, vs.lidar.instance_id
            lidar["object_type"], lidar["ring"] = vs.lidar.object_type, vs.lidar.ring
        target = designated_target(objects, {b.instance_id: b.visible_pixels for b in vs.boxes},
                                   self.cfg.camera.min_visibility)
        params = vs.spec.to_dict() if vs.spec else {}
        params.update(n_paths=len(paths), global_index=index,
                      radio_weather=radio_weather.to_dict() if radio_weather else None, sequence=sequence,
                      frame=frame, time_s=time_s)
        return Sample(rgb=vs.rgb, depth=vs.passes.depth, instance=vs.passes.instance, heatmaps=maps,
                      objects=objects, lidar=lidar, target=target, params=params, n_paths=len(paths), timings=t,
                      object_doppler=doppler,
                      sequence=sequence, frame=frame, time_s=time_s)
