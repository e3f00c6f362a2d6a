"""A dataset as a Rerun recording: the world in 3-D (lot, cars' boxes, target, camera and radar poses, lidar, the
radar map laid on the ground), the camera's images with boxes, and the radar's maps with groundtruth, per sample
on a ``sample`` timeline (and ``frame_time`` for sequences). Rerun (``rerun-sdk``) is the optional ``view`` extra.

Entity tree (``docs/viewing.md``)::

    world                     lot structure (static), z up
    world/cars, world/target  oriented 3-D boxes, labelled class / id / visibility / speed; the target in red
    world/camera              pose + pinhole; rgb, rgb/boxes, rgb/amodal, depth, instance under it
    world/radar               pose; fov (range window x azimuth field of view in the array's plane)
    world/radar_ground        the range-azimuth map in dB on the ground (a coloured mesh)
    world/lidar               points coloured by object type
    radar/range_azimuth       the map as an image (range up, azimuth right) with groundtruth markers
    radar/range_doppler       likewise, velocity right
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from maxray_gen.dataset.inspect import shard_paths
from maxray_gen.dataset.reader import ShardReader
from maxray_gen.dataset.schema import CLASSES, object_counts
from maxray_gen.errors import ConfigError, DataError, DependencyError
from maxray_gen.geometry import Pose, oriented_rectangle
from maxray_gen.radar.config import RadarConfig
from maxray_gen.radar.ground_map import ground_map, grid_mesh
from maxray_gen.sensors.visibility import seen
from maxray_gen.viz.rerun_layout import blueprint, fov_outline
from maxray_gen.viz.thumbnails import db_rgb
from maxray_gen.radar.coordinates import azimuth_to_bin, range_to_bin, velocity_to_bin
from maxray_gen.snapshot import ROLES

DYNAMIC_RANGE_DB = 35.0  # colour scale of the maps: the strongest return down to 35 dB below it
TARGET_RGB = (230, 30, 30)
CAR_RGB = (60, 200, 90)
DARK_RGB = (150, 150, 150)  # cars the camera cannot see (photometric visibility below the threshold)
AMODAL_RGB = (255, 165, 0)
LIDAR_CLASSES = tuple(ROLES) + ("weather",)  # lidar object_type codes; -1 (rain/snow returns) -> "weather"
LIDAR_RGB = ((255, 127, 14), (127, 127, 127), (140, 86, 75), (188, 189, 34), (148, 103, 189), (214, 39, 40),
             (44, 160, 44), (227, 119, 194), (31, 119, 180), (255, 215, 0), (23, 190, 207))  # ROLES, then weather
assert len(LIDAR_RGB) == len(LIDAR_CLASSES)


def import_rerun():
    """The ``rerun`` module, or one clear line saying how to install it."""
    try:
        import rerun
        import rerun.blueprint  # noqa: F401
    except ImportError as exc:
        raise DependencyError("Rerun is not installed (maxray view needs it): pip install 'maxray-gen[view]' "
                              f"(rerun-sdk 0.22, the newest that works with the numpy 1.x that bpy needs) [{exc}]") from None
    return rerun


@dataclass(frozen=True)
class SampleRef:
    """Where one dataset sample lives: global index, shard reader, index within it, and its sequence fields."""

    index: int
    reader: ShardReader
    local: int
    sequence: int
    frame: int
    time_s: float


def dataset_samples(root: str | Path) -> list[SampleRef]:
    """Every sample of a dataset in shard order (readers opened lazily)."""
    out, n = [], 0
    for p in shard_paths(root):
        r = ShardReader(p)
        seq = r.sequences
        for k in range(len(r)):
            out.append(SampleRef(n, r, k, int(seq["sequence"][k]), int(seq["frame"][k]), float(seq["time_s"][k])))
            n += 1
    return out


def select_samples(root: str | Path, index: int | None = None, sequence: int | None = None) -> list[SampleRef]:
    """The samples to show: one (``index``), one sequence's frames in order (``sequence``), or all."""
    if index is not None and sequence is not None:
        raise ConfigError("--index and --sequence: give one of them (or --all)")
    refs = dataset_samples(root)
    if index is not None:
        if not 0 <= index < len(refs):
            raise DataError(f"{root}: sample index {index} out of range (dataset has {len(refs)} samples, "
                            f"0..{len(refs) - 1})")
        return [refs[index]]
    if sequence is not None:
        chosen = sorted((r for r in refs if r.sequence == sequence), key=lambda r: r.frame)
        if not chosen:
            seqs = sorted({r.sequence for r in refs})
            raise DataError(f"{root}: no sequence {sequence} (the dataset's sequences: {seqs[0]}..{seqs[-1]}, "
                            f"{len(seqs)} in all)")
        return chosen
    return refs


def shard_config(reader: ShardReader) -> dict:
    """The resolved configuration a shard was generated with; one clear line when it has none."""
    if not reader.config:
        raise DataError(f"{reader.path}: shard has no readable config attribute")
    return reader.config


def _pose(params: dict, where: str) -> Pose:
    bs = params.get("basestation")
    if bs is None:
        raise DataError(f"{where}: no basestation pose in the sample's params (a stand-in or imported dataset has "
                        "no world frame to draw; `maxray report` still shows it)")
    return Pose(bs["position"], bs["rotation"])


def _f32(x) -> np.ndarray:
    """A fresh, aligned float32 copy: fields of the shards' structured arrays are strided, unaligned views, which
    Rerun's Arrow import refuses (it aborts the process)."""
    return np.array(x, dtype=np.float32, order="C", copy=True)


def _car_labels(objs: np.ndarray, target: int, dark: np.ndarray) -> list[str]:
    out = []
    for k, o in enumerate(objs):
        cls = CLASSES[int(o["class_id"])] if 0 <= int(o["class_id"]) < len(CLASSES) else str(int(o["class_id"]))
        speed = float(np.linalg.norm(o["velocity"]))
        moving = f" {speed:.1f} m/s" if speed > 0.05 else ""
        out.append(f"{'TARGET ' if k == target else ''}{cls} {int(o['instance_id'])} {o['visible_fraction']:.0%}"
                   f"{' dark' if dark[k] else ''}{moving}")
    return out


class DatasetRecorder:
    """Logs samples of one dataset into a Rerun recording stream (static parts once, then per sample)."""

    def __init__(self, rec, cfg: dict):
        self.rr = import_rerun()
        self.rec = rec
        self.cfg = cfg
        self.radar = RadarConfig(**cfg["radar"])
        self.min_visibility = float(cfg.get("camera", {}).get("min_visibility", 0.15))
        self.builtin_lot = cfg.get("scene", {}).get("blend") is None

    def log(self, path: str, *archetypes, static: bool = False) -> None:
        """Log strictly: a value Rerun cannot take raises instead of being dropped with a warning."""
        self.rec.log(path, *archetypes, static=static, strict=True)

    # ---- static ----
    def log_static(self) -> None:
        rr = self.rr
        self.log("world", rr.ViewCoordinates.RIGHT_HAND_Z_UP, static=True)
        self.log("world/lidar", rr.AnnotationContext([(i, name, LIDAR_RGB[i]) for i, name in enumerate(LIDAR_CLASSES)]),
                static=True)
        self.log("world/cars", rr.AnnotationContext([(i, name) for i, name in enumerate(CLASSES)]), static=True)
        if self.builtin_lot:
            self._log_lot()

    def _log_lot(self) -> None:
        from maxray_gen.scene.lot import static_objects
        from maxray_gen.scene.spec import SLOT_DEPTH, SLOT_WIDTH, lot_slots

        rr = self.rr
        shades = {"ground": (70, 70, 75), "clutter": (170, 170, 160), "building": (150, 130, 115), "pole": (90, 90, 90)}
        for o in static_objects(ground_cells=1):
            z_off = -0.02 if o.role == "ground" else 0.0  # under the radar map laid on the ground
            self.log(f"world/lot/{o.name}", rr.Mesh3D(vertex_positions=_f32(o.vertices + [0, 0, z_off]),
                                                    triangle_indices=np.ascontiguousarray(o.faces, np.uint32),
                                                    albedo_factor=shades.get(o.role, (120, 120, 120))), static=True)
        strips = []
        for s in lot_slots():
            xy = oriented_rectangle(s.x, s.y, SLOT_DEPTH, SLOT_WIDTH, s.yaw)[[0, 1, 2, 3, 0]]  # closed outline
            strips.append(_f32(np.column_stack([xy, np.full(len(xy), 0.01)])))
        self.log("world/lot/slots", rr.LineStrips3D(strips, colors=(235, 235, 235), radii=0.03), static=True)

    # ---- per sample ----
    def log_sample(self, ref: SampleRef, multi_frame: bool) -> None:
        rr = self.rr
        s = ref.reader.sample(ref.local)
        self.rec.set_time_sequence("sample", ref.index)
        if multi_frame:
            self.rec.set_time_sequence("sequence", ref.sequence)
            self.rec.set_time_seconds("frame_time", ref.time_s)
        pose = _pose(s["params"], f"{ref.reader.path} sample {ref.local}")
        self._log_world(s, pose)
        self._log_camera(s, pose)
        self._log_lidar(s)
        self._log_radar(s, pose, ref.reader.axes)
        p = s["params"]
        self.log("sample/info", rr.TextDocument(
            f"sample {ref.index} (shard {ref.reader.path.name}, #{ref.local}), sequence {ref.sequence} frame "
            f"{ref.frame} t {ref.time_s:.3f} s\n{object_counts(s['objects']['class_id'])}, lighting {p.get('lighting', {}).get('kind')}, "
            f"weather {p.get('weather', {}).get('kind')}, {p.get('n_paths', 0):,} radar paths"))

    def _log_world(self, s: dict, pose: Pose) -> None:
        rr = self.rr
        objs, target = s["objects"], s["target"]
        half = _f32(objs["dimensions"]) / 2
        rot = [rr.RotationAxisAngle(axis=(0, 0, 1), radians=float(y)) for y in objs["yaw"]]
        dark = ~seen(objs["camera_visibility"], self.min_visibility)
        colours = np.array([TARGET_RGB if k == target else (DARK_RGB if dark[k] else CAR_RGB)
                            for k in range(len(objs))], dtype=np.uint8).reshape(-1, 3)
        self.log("world/cars", rr.Boxes3D(centers=_f32(objs["centre"]), half_sizes=half, rotation_axis_angles=rot,
                                         colors=colours, labels=_car_labels(objs, target, dark),
                                         class_ids=np.ascontiguousarray(objs["class_id"], np.uint16), radii=0.03))
        if target >= 0:
            t = objs[target]
            self.log("world/target", rr.Boxes3D(centers=_f32([t["centre"]]), half_sizes=_f32([t["dimensions"] / 2 + 0.15]),
                                               rotation_axis_angles=[rr.RotationAxisAngle(axis=(0, 0, 1),
                                                                                          radians=float(t["yaw"]))],
                                               colors=[TARGET_RGB], radii=0.06))
        else:
            self.log("world/target", rr.Clear(recursive=False))

    def _log_camera(self, s: dict, pose: Pose) -> None:
        rr = self.rr
        h, w = s["rgb"].shape[:2]
        fov = np.radians(float(self.cfg["camera"]["horizontal_fov_deg"]))
        focal = w / 2 / np.tan(fov / 2)
        self.log("world/camera", rr.Transform3D(translation=_f32(pose.position), mat3x3=_f32(pose.rotation)))
        self.log("world/camera", rr.Pinhole(focal_length=float(focal), width=w, height=h, camera_xyz=rr.ViewCoordinates.RDF,
                                           image_plane_distance=1.0))
        self.log("world/camera/rgb", rr.Image(np.ascontiguousarray(s["rgb"])))
        d = s["depth"]
        self.log("world/camera/depth", rr.DepthImage(np.where(np.isfinite(d), d, 0.0).astype(np.float32), meter=1.0))
        self.log("world/camera/instance", rr.SegmentationImage(np.ascontiguousarray(s["instance"], np.uint16)))
        objs, target = s["objects"], s["target"]
        boxed = np.all(np.isfinite(objs["visible_box"]), axis=1)
        dark = ~seen(objs["camera_visibility"], self.min_visibility)
        idx = np.nonzero(boxed)[0]
        colours = np.array([TARGET_RGB if k == target else (DARK_RGB if dark[k] else CAR_RGB) for k in idx],
                           dtype=np.uint8).reshape(-1, 3)
        labels = [f"{'target ' if k == target else ''}{int(objs[k]['instance_id'])}{' dark' if dark[k] else ''}"
                  for k in idx]
        self.log("world/camera/rgb/boxes", rr.Boxes2D(array=_f32(objs["visible_box"][idx]).reshape(-1, 4),
                                                    array_format=rr.Box2DFormat.XYXY, colors=colours, labels=labels,
                                                    class_ids=np.ascontiguousarray(objs["class_id"][idx], np.uint16)))
        am = np.all(np.isfinite(objs["amodal_box"]), axis=1) & (objs["visible_fraction"] < 0.98)
        self.log("world/camera/rgb/amodal", rr.Boxes2D(array=_f32(objs["amodal_box"][am]).reshape(-1, 4),
                                                     array_format=rr.Box2DFormat.XYXY, colors=AMODAL_RGB,
                                                     radii=0.5))

    def _log_lidar(self, s: dict) -> None:
        lid = s["lidar"]
        codes = lid["object_type"].astype(np.int64)
        codes = np.where(codes < 0, len(LIDAR_CLASSES) - 1, codes).astype(np.uint16)
        self.log("world/lidar", self.rr.Points3D(_f32(lid["xyz"]), class_ids=codes, radii=0.04))

    def _log_radar(self, s: dict, pose: Pose, axes: dict) -> None:
        rr, cfg = self.rr, self.radar
        self.log("world/radar", rr.Transform3D(translation=_f32(pose.position), mat3x3=_f32(pose.rotation)))
        self.log("world/radar/fov", rr.LineStrips3D([_f32(x) for x in fov_outline(cfg)], colors=(255, 255, 0), radii=0.03))
        objs, target = s["objects"], s["target"]
        inview = objs["in_radar_view"]
        if "range_azimuth" in s:
            ra = s["range_azimuth"]
            db = 10 * np.log10(np.maximum(ra, 1e-30))
            top = float(db.max())
            gm = ground_map(ra, pose, cfg, dynamic_range_db=DYNAMIC_RANGE_DB)
            v, tri, vdb = grid_mesh(gm)
            self.log("world/radar_ground", rr.Mesh3D(vertex_positions=_f32(v + [0, 0, 0.02]), triangle_indices=np.ascontiguousarray(tri),
                                                    vertex_colors=db_rgb(vdb, top, DYNAMIC_RANGE_DB)))
            n_r = ra.shape[0]
            self.log("radar/range_azimuth", rr.Image(db_rgb(db, top, DYNAMIC_RANGE_DB)[::-1]))
            pts = np.column_stack([objs["azimuth_bin"] + 0.5, n_r - 0.5 - objs["range_bin"]])
            self._markers("radar/range_azimuth/truth", pts, inview, objs, target)
            self._echo_centroids(objs, n_r)
        if "range_doppler" in s:
            rd = s["range_doppler"]
            db = 10 * np.log10(np.maximum(rd, 1e-30))
            self.log("radar/range_doppler", rr.Image(db_rgb(db, float(db.max()), DYNAMIC_RANGE_DB)[::-1]))
            vb = velocity_to_bin(objs["radial_velocity_mps"].astype(np.float64), cfg)
            pts = np.column_stack([vb + 0.5, rd.shape[0] - 0.5 - objs["range_bin"]])
            self._markers("radar/range_doppler/truth", pts, inview, objs, target)

    def _echo_centroids(self, objs: np.ndarray, n_r: int) -> None:
        """Each object's radar echo centroid (schema 4 shards) as a yellow point on the range-azimuth image."""
        c = objs["echo_centroid"].astype(np.float64)
        ok = np.all(np.isfinite(c), axis=1)
        if not ok.any():
            self.log("radar/range_azimuth/echo_centroids", self.rr.Clear(recursive=False))
            return
        rows = range_to_bin(c[ok, 0], self.radar)
        cols = azimuth_to_bin(c[ok, 1], self.radar)
        self.log("radar/range_azimuth/echo_centroids", self.rr.Points2D(
            _f32(np.column_stack([cols + 0.5, n_r - 0.5 - rows])), colors=(255, 230, 0), radii=1.0,
            labels=[f"echo {int(i)}" for i in objs["instance_id"][ok]]))

    def _markers(self, path: str, pts: np.ndarray, inview: np.ndarray, objs: np.ndarray, target: int) -> None:
        idx = np.nonzero(inview)[0]
        colours = np.array([TARGET_RGB if k == target else (255, 255, 255) for k in idx], dtype=np.uint8).reshape(-1, 3)
        self.log(path, self.rr.Points2D(_f32(pts[idx]).reshape(-1, 2), colors=colours, radii=1.5,
                                            labels=[str(int(objs[k]["instance_id"])) for k in idx]))


def _multi_frame(refs: list[SampleRef]) -> bool:
    """Whether the samples are frames of sequences (then the sequence and frame-time timelines are logged)."""
    return any(r.frame > 0 for r in refs)


def _stream(root: str | Path):
    """A new recording stream for the dataset at ``root``."""
    return import_rerun().new_recording(application_id="maxray", recording_id=Path(root).resolve().name)


def record(root: str | Path, refs: list[SampleRef], rec, progress: bool = True) -> int:
    """Log ``refs`` of the dataset at ``root`` into the recording stream ``rec``; returns the samples logged."""
    if not refs:
        return 0
    cfg = shard_config(refs[0].reader)
    recorder = DatasetRecorder(rec, cfg)
    recorder.log_static()
    multi = _multi_frame(refs)
    it: Iterator[SampleRef] = iter(refs)
    if progress and len(refs) > 1:
        from rich.progress import track

        it = track(refs, description="recording", transient=True)
    for ref in it:
        recorder.log_sample(ref, multi)
    return len(refs)


def save_recording(root: str | Path, refs: list[SampleRef], out: str | Path, progress: bool = True) -> Path:
    """Write the samples as an ``.rrd`` file (atomically: a partial file never takes the name ``out``)."""
    out = Path(out)
    if out.suffix != ".rrd":
        raise ConfigError(f"--save: {out}: a Rerun recording file ends in .rrd")
    if not out.parent.exists():
        raise ConfigError(f"--save: {out.parent}: folder does not exist")
    tmp = out.with_name(f".{out.name}.{os.getpid()}.partial")
    rec = _stream(root)
    try:
        rec.save(tmp, default_blueprint=blueprint(_multi_frame(refs)))
        record(root, refs, rec, progress)
        rec.flush(blocking=True)
        rec.disconnect()
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def serve_recording(root: str | Path, refs: list[SampleRef], web_port: int, ws_port: int,
                    open_browser: bool = False, progress: bool = True, on_ready=None):
    """Serve the samples to Rerun's web viewer on localhost (http://localhost:WEB_PORT/?url=ws://localhost:WS_PORT);
    ``on_ready(url)`` is called once the servers listen, before the samples stream in. Returns the stream, which
    keeps serving until the process ends."""
    rec = _stream(root)
    # the blueprint goes in after the server is up: building it (an in-memory blueprint stream) before serve_web
    # made rerun-sdk 0.22's serve deadlock about one start in six (rerun-io/rerun#8417: logging before serve)
    rec.serve(open_browser=open_browser, web_port=web_port, ws_port=ws_port)
    rec.send_blueprint(blueprint(_multi_frame(refs)), make_active=True, make_default=True)
    if on_ready is not None:
        on_ready(f"http://localhost:{web_port}/?url=ws://localhost:{ws_port}")
    record(root, refs, rec, progress)
    rec.flush(blocking=True)
    return rec


def spawn_viewer(root: str | Path, refs: list[SampleRef], progress: bool = True) -> None:
    """Stream the samples to a native Rerun viewer started on this machine's display."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise ConfigError("no display to open the Rerun viewer on: use --save OUT.rrd (open it with `rerun OUT.rrd` "
                          "elsewhere) or --serve (web viewer on localhost)")
    rec = _stream(root)
    rec.spawn(default_blueprint=blueprint(_multi_frame(refs)))
    record(root, refs, rec, progress)
    rec.flush(blocking=True)
