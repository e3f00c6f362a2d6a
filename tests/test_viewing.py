"""`maxray view` (Rerun recordings, read back with Rerun's own dataframe API), the radar map laid on the ground,
and `maxray report` (a static HTML page, opened in headless Chromium)."""

from __future__ import annotations

import html.parser
import re
import os
import shutil
import queue
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from conftest import run
from maxray_gen.dataset.reader import ShardReader
from maxray_gen.radar.config import RadarConfig
from maxray_gen.radar.ground_map import ground_map, grid_mesh
from maxray_gen.radar.coordinates import world_points_to_radar
from maxray_gen.radar.processing import heatmaps
from maxray_gen.radar.targets import point_targets
from maxray_gen.scene.spec import basestation_pose


def _samples(root: Path) -> list[dict]:
    out = []
    for p in sorted(root.glob("shard-*.h5")):
        r = ShardReader(p)
        out += [r.sample(i) for i in range(len(r))]
        r.close()
    return out


# ---- the radar map on the ground ----

def _echo_location(gm) -> np.ndarray:
    """Power-weighted centre of the ground map's cells within 3 dB of its maximum (the azimuth lobe of a 16-element
    array is ~4 bins wide at 1 dB, so its argmax alone wanders along the lobe)."""
    w = np.nan_to_num(np.where(gm.db > np.nanmax(gm.db) - 3.0, 10 ** (gm.db / 10), 0.0))
    return (gm.xyz[..., :2] * w[..., None]).sum((0, 1)) / w.sum()


@pytest.mark.parametrize("azimuth_deg, ground_range", [(25.0, 12.0), (-35.0, 20.0), (0.0, 8.0), (45.0, 25.0),
                                                       (-50.0, 28.0)])
def test_a_point_echo_lands_on_the_ground_under_its_source(azimuth_deg, ground_range):
    """A point target at (x, y, 1.5 m) through the OFDM model: the ground map's echo lies within 0.25 m of (x, y)
    when evaluated at the echo's height (measured: 0.02-0.18 m). Reading the slant range as if it came from the
    asphalt misses by 0.40-0.71 m; a mirrored azimuth axis by metres."""
    cfg = RadarConfig(noise={"model": "none"})
    pose = basestation_pose(4.5, 15.0)
    a = np.radians(azimuth_deg)
    p = np.array([ground_range * np.sin(a), ground_range * np.cos(a), 1.5])
    rc = world_points_to_radar(p, pose, cfg)
    paths = point_targets(rc.range_m, rc.azimuth_rad, rc.elevation_rad, amplitude=1e-4)
    ra = heatmaps(paths, cfg, noise=False).range_azimuth
    gm = ground_map(ra, pose, cfg, cell_m=0.1, echo_height_m=1.5)
    assert np.all(gm.xyz[..., 2] == 0.0)  # drawn on the ground
    assert np.hypot(*(_echo_location(gm) - p[:2])) < 0.25
    flat = ground_map(ra, pose, cfg, cell_m=0.1, echo_height_m=0.0)
    assert np.hypot(*(_echo_location(flat) - p[:2])) > 0.35
    if azimuth_deg:
        mirrored = ground_map(ra[:, ::-1], pose, cfg, cell_m=0.1, echo_height_m=1.5)
        assert np.hypot(*(_echo_location(mirrored) - p[:2])) > 5.0


def test_ground_map_covers_exactly_the_radar_window_and_its_mesh_keeps_valid_cells():
    cfg = RadarConfig(noise={"model": "none"})
    pose = basestation_pose(5.0, 15.0)
    ra = np.ones((len(cfg.range_axis_m), len(cfg.azimuth_axis_rad)))
    gm = ground_map(ra, pose, cfg, cell_m=0.5, echo_height_m=0.5)
    probe = gm.xyz.copy()
    probe[..., 2] = 0.5
    rc = world_points_to_radar(probe, pose, cfg)
    assert np.array_equal(gm.valid, rc.in_view)
    assert np.allclose(gm.db[gm.valid], 0.0)  # 10 log10(1)
    v, tri, vdb = grid_mesh(gm)
    assert tri.max() < len(v) and len(vdb) == len(v) and np.all(np.isfinite(vdb))
    with pytest.raises(ValueError, match="does not match the radar configuration"):
        ground_map(ra[:-1], pose, cfg)


# ---- Rerun recordings ----

def _table(rrd: Path, entity: str, index: str = "sample"):
    import rerun as rr

    rec = rr.dataframe.load_recording(str(rrd))
    return rec, rec.view(index=index, contents=entity).select().read_all()


def _column(table, name: str) -> list:
    matches = [c for c in table.column_names if c.endswith(":" + name)]
    assert len(matches) == 1, (name, table.column_names)
    return table.column(matches[0]).to_pylist()


def test_view_saves_a_recording_that_rerun_reads_back(tiny, tmp_path):
    pytest.importorskip("rerun")
    _, root = tiny
    rrd = tmp_path / "tiny.rrd"
    res = run(["view", str(root), "--save", str(rrd), "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "4 samples" in res.output and not list(tmp_path.glob(".*partial"))
    samples = _samples(root)
    rec, cars = _table(rrd, "/world/cars")
    assert "sample" in [c.name for c in rec.schema().index_columns()]
    assert cars.num_rows == len(samples) == 4
    assert cars.column("sample").to_pylist() == [0, 1, 2, 3]
    paths = {c.entity_path for c in rec.schema().component_columns()}
    for entity in ("/world", "/world/lot/ground", "/world/lot/building", "/world/lot/slots", "/world/camera",
                   "/world/camera/rgb", "/world/camera/rgb/boxes", "/world/camera/depth", "/world/camera/instance",
                   "/world/radar", "/world/radar/fov", "/world/radar_ground", "/world/lidar",
                   "/radar/range_azimuth", "/radar/range_azimuth/truth", "/radar/range_azimuth/echo_centroids",
                   "/radar/range_doppler", "/sample/info"):
        assert entity in paths, entity
    centres, halves, labels = (_column(cars, n) for n in ("PoseTranslation3D", "HalfSize3D", "Text"))
    for s, c, h, lab in zip(samples, centres, halves, labels):
        o = s["objects"]
        assert np.allclose(np.array(c, dtype=np.float32).reshape(-1, 3), o["centre"])
        assert np.allclose(np.array(h, dtype=np.float32).reshape(-1, 3), o["dimensions"] / 2)
        assert [x.startswith("TARGET") for x in lab] == [k == s["target"] for k in range(len(o))]
    _, lidar = _table(rrd, "/world/lidar")
    assert [len(x) for x in _column(lidar, "Position3D")] == [len(s["lidar"]) for s in samples]
    _, rgb = _table(rrd, "/world/camera/rgb")
    fmt = _column(rgb, "ImageFormat")[0][0]
    assert (fmt["width"], fmt["height"]) == (64, 48)
    assert np.array_equal(np.array(_column(rgb, "ImageBuffer")[2][0], np.uint8), samples[2]["rgb"].ravel())
    _, ra = _table(rrd, "/radar/range_azimuth")
    fmt = _column(ra, "ImageFormat")[0][0]
    assert (fmt["height"], fmt["width"]) == samples[0]["range_azimuth"].shape
    _, truth = _table(rrd, "/radar/range_azimuth/truth")
    n_r = samples[0]["range_azimuth"].shape[0]
    for s, pts in zip(samples, _column(truth, "Position2D")):
        o = s["objects"][s["objects"]["in_radar_view"]]
        expect = np.column_stack([o["azimuth_bin"] + 0.5, n_r - 0.5 - o["range_bin"]])
        assert np.allclose(np.array(pts, dtype=np.float64).reshape(-1, 2), expect, atol=1e-4)
    _, cent = _table(rrd, "/radar/range_azimuth/echo_centroids")  # schema 4: each object's echo centroid
    for s, pts in zip(samples, _column(cent, "Position2D")):
        assert len(pts) == int(np.all(np.isfinite(s["objects"]["echo_centroid"]), axis=1).sum()) > 0
    _, ground = _table(rrd, "/world/radar_ground")
    verts = _column(ground, "Position3D")
    assert all(len(v) > 1000 for v in verts)
    _, cam = _table(rrd, "/world/camera")
    for s, t in zip(samples, _column(cam, "Translation3D")):
        assert np.allclose(t[0], s["params"]["basestation"]["position"], atol=1e-5)


def test_view_of_one_sequence_has_a_frame_time_timeline(tmp_path):
    pytest.importorskip("rerun")
    pytest.importorskip("bpy")
    from test_sequences import SEQ

    cfg = tmp_path / "seq.yaml"
    cfg.write_text(SEQ.replace("samples_per_shard: 4, frames_per_sequence: 4", "samples_per_shard: 4, "
                               "frames_per_sequence: 2"))
    root = tmp_path / "ds"
    res = run(["generate", str(cfg), "--out", str(root), "--no-progress", "--no-previews"])
    assert res.exit_code == 0, res.output
    rrd = tmp_path / "seq.rrd"
    res = run(["view", str(root), "--sequence", "1", "--save", str(rrd), "--no-progress"])
    assert res.exit_code == 0, res.output
    samples = _samples(root)
    frames = [s for s in samples if s["sequence"] == 1]
    assert len(frames) == 2
    rec, cars = _table(rrd, "/world/cars", index="frame_time")
    assert {"sample", "sequence", "frame_time"} <= {c.name for c in rec.schema().index_columns()}
    times = [t.value / 1e9 if hasattr(t, "value") else t.total_seconds() for t in cars.column("frame_time")]
    assert np.allclose(times, [s["time_s"] for s in frames])
    moving = [np.array(c, dtype=np.float32).reshape(-1, 3) for c in _column(cars, "PoseTranslation3D")]
    assert np.allclose(moving[0], frames[0]["objects"]["centre"]) and np.allclose(moving[1], frames[1]["objects"]["centre"])
    assert not np.allclose(moving[0], moving[1])  # the sequence's driving cars move between frames
    res = run(["view", str(root), "--sequence", "7", "--save", str(rrd)])
    assert res.exit_code == 2 and "no sequence 7" in res.output


def test_view_bad_input_is_one_line_and_exit_2(tiny, tmp_path, monkeypatch):
    pytest.importorskip("rerun")
    _, root = tiny
    out = tmp_path / "x.rrd"
    cases = [
        (["view", str(tmp_path / "none"), "--save", str(out)], "not a dataset directory"),
        (["view", str(tmp_path), "--save", str(out)], "holds no shards"),
        (["view", str(root), "--index", "4", "--save", str(out)], "sample index 4 out of range (dataset has 4 samples"),
        (["view", str(root), "--index", "1", "--all", "--save", str(out)], "--all"),
        (["view", str(root), "--save", str(out), "--serve"], "--save and --serve"),
        (["view", str(root), "--save", str(tmp_path / "x.txt")], "ends in .rrd"),
    ]
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    cases.append((["view", str(root), "--index", "0"], "no display"))
    for args, message in cases:
        res = run(args)
        assert res.exit_code == 2, (args, res.output)
        assert message in res.output and res.output.count("\n") == 1 and res.output.startswith("error: "), res.output
    assert not out.exists() and not list(tmp_path.glob("*.rrd"))
    monkeypatch.setitem(sys.modules, "rerun", None)  # as if the view extra were not installed
    res = run(["view", str(root), "--save", str(out)])
    assert res.exit_code == 2 and "pip install 'maxray-gen[view]'" in res.output and res.output.count("\n") == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_view_serve_answers_with_the_web_viewer_on_localhost(tiny):
    pytest.importorskip("rerun")
    _, root = tiny
    web, ws = _free_port(), _free_port()
    proc = subprocess.Popen([sys.executable, "-u", "-m", "maxray_gen", "view", str(root), "--index", "0", "--serve",
                             "--web-port", str(web), "--ws-port", str(ws), "--no-progress"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue = queue.Queue()  # read in a thread: a server that never prints must fail, not hang
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()
    try:
        url, seen, deadline = f"http://localhost:{web}/?url=ws://localhost:{ws}", [], time.time() + 90
        while time.time() < deadline and not any(url in x for x in seen):  # printed once it listens
            try:
                seen.append(lines.get(timeout=1))
            except queue.Empty:
                if proc.poll() is not None:
                    break
        assert any(url in x for x in seen), f"no URL printed within 90 s: {''.join(seen)[-500:]} ({proc.poll()})"
        page = urllib.request.urlopen(f"http://127.0.0.1:{web}/", timeout=10).read().decode()
        assert "Rerun" in page
        with socket.create_connection(("127.0.0.1", ws), timeout=5):
            pass  # the data server the page connects to
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


# ---- the HTML report ----

class _Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tiles, self.srcs, self.hrefs = 0, [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and "tile" in (a.get("class") or ""):
            self.tiles += 1
        if tag in ("img", "script", "link") and a.get("src"):
            self.srcs.append(a["src"])
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    if os.environ.get("CI"):
        pytest.fail("Chromium is missing on CI (scripts/setup.sh --dev installs Debian's chromium)")
    pytest.skip("Chromium is not installed (apt-get install chromium)")


def test_report_page_lists_every_sample_with_assets_beside_it(tiny, tmp_path):
    _, root = tiny
    out = tmp_path / "report"
    res = run(["report", str(root), "--out", str(out), "--no-progress"])
    assert res.exit_code == 0, res.output
    page = _Page()
    text = (out / "index.html").read_text()
    page.feed(text)
    assert page.tiles == 4
    assert "http://" not in text and "https://" not in text  # nothing from a network
    from PIL import Image

    for ref in page.srcs + [h for h in page.hrefs if h.endswith(".png")]:
        f = out / ref
        assert f.is_file(), ref
        with Image.open(f) as im:
            assert im.size[0] > 50
    assert len([s for s in page.srcs if s.startswith("thumbs/")]) == 4
    assert len([s for s in page.srcs if s.startswith("figures/")]) == 4
    assert (root / "report").exists() is False
    # a second run replaces its own report; a folder that is not one is refused, untouched
    assert run(["report", str(root), "--out", str(out), "--no-progress"]).exit_code == 0
    other = tmp_path / "mine"
    other.mkdir()
    (other / "keep.txt").write_text("x")
    res = run(["report", str(root), "--out", str(other)])
    assert res.exit_code == 2 and "is not a maxray report" in res.output
    assert [p.name for p in other.iterdir()] == ["keep.txt"]
    res = run(["report", str(tmp_path / "none")])
    assert res.exit_code == 2 and "not a dataset directory" in res.output


def test_an_interrupted_report_leaves_nothing_half_written(tiny, tmp_path, monkeypatch):
    from maxray_gen.viz import dataset_report

    _, root = tiny

    def broken(*_a, **_k):
        raise RuntimeError("interrupted")

    monkeypatch.setattr(dataset_report, "_figures", broken)
    with pytest.raises(RuntimeError):
        dataset_report.write_report(root, tmp_path / "report", progress=False)
    assert list(tmp_path.iterdir()) == []


def test_report_opens_in_headless_chromium_with_every_image_loaded(tiny, tmp_path):
    chromium = _chromium()
    _, root = tiny
    page = dataset_report_page = tmp_path / "report" / "index.html"
    assert run(["report", str(root), "--out", str(page.parent), "--no-progress"]).exit_code == 0
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,1400", "--hide-scrollbars"]
    url = dataset_report_page.resolve().as_uri()
    dom = subprocess.run([chromium, *flags, "--virtual-time-budget=5000", "--dump-dom", url], capture_output=True,
                         text=True, timeout=120).stdout
    import re

    body = re.search(r"<body[^>]*>", dom).group(0)
    loaded = int(re.search(r'data-images-loaded="(\d+)"', body).group(1))
    total = int(re.search(r'data-images="(\d+)"', body).group(1))
    assert total == 8 and loaded == total, body  # 4 thumbnails + 4 figures, all decoded
    assert dom.count('class="tile') == 4 and 'id="shown">4<' in dom
    shot = tmp_path / "report.png"
    subprocess.run([chromium, *flags, f"--screenshot={shot}", url], capture_output=True, timeout=120)
    from PIL import Image

    with Image.open(shot) as im:
        px = np.asarray(im.convert("RGB"), dtype=np.float64)
    assert px.shape[:2] == (1400, 1400)
    assert px.std() > 20  # a page with figures and thumbnails, not a blank or error page


def test_report_of_a_large_dataset_tiles_an_evenly_spaced_subset_and_counts_every_sample(tiny, tmp_path):
    from maxray_gen.viz.dataset_report import shown_indices

    assert shown_indices(4, None).tolist() == [0, 1, 2, 3] and shown_indices(4, 9).tolist() == [0, 1, 2, 3]
    assert shown_indices(30000, 500)[[0, -1]].tolist() == [0, 29999] and len(shown_indices(30000, 500)) == 500
    _, root = tiny
    out = tmp_path / "report"
    res = run(["report", str(root), "--out", str(out), "--max-samples", "2", "--no-progress"])
    assert res.exit_code == 0, res.output
    text = (out / "index.html").read_text()
    assert re.findall(r'data-index="(\d+)"', text) == ["0", "3"]
    assert sorted(p.name for p in (out / "thumbs").iterdir()) == ["sample-00000.jpg", "sample-00003.jpg"]
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["sample-00000.png", "sample-00003.png"]
    assert "4 samples in 2 shards" in text and "tiles for 2 of the 4 samples" in text
