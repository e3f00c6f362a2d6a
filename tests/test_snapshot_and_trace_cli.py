"""Snapshots on disk, the shipped test scene, `maxray trace`, materials and engine selection."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from maxray_gen.cli import main
from maxray_gen.errors import ConfigError, DataError
from maxray_gen.primitives import parking_lot, radio_test_lot
from maxray_gen.radar.paths import PathSet
from maxray_gen.radio.materials import MATERIALS, material
from maxray_gen.snapshot import SceneSnapshot

ROOT = Path(__file__).resolve().parents[1]


def test_snapshot_round_trip_and_hash(tmp_path):
    snap = parking_lot(np.random.default_rng(3), 5)
    snap.save(tmp_path / "s.npz")
    back = SceneSnapshot.load(tmp_path / "s.npz")
    assert back.geometry_hash() == snap.geometry_hash()
    assert [o.name for o in back.objects] == [o.name for o in snap.objects]
    assert np.array_equal(back.by_id(100).vertices, snap.by_id(100).vertices)
    assert parking_lot(np.random.default_rng(3), 5).geometry_hash() == snap.geometry_hash()  # deterministic
    assert parking_lot(np.random.default_rng(4), 5).geometry_hash() != snap.geometry_hash()


def test_snapshot_file_errors(tmp_path):
    (tmp_path / "bad.npz").write_bytes(b"nope")
    with pytest.raises(DataError, match="bad.npz: not a readable scene snapshot"):
        SceneSnapshot.load(tmp_path / "bad.npz")
    PathSet.empty().save(tmp_path / "paths.npz")
    with pytest.raises(DataError, match="not a scene snapshot"):
        SceneSnapshot.load(tmp_path / "paths.npz")


def test_shipped_test_scene_is_current():
    shipped = SceneSnapshot.load(ROOT / "maxray_gen" / "presets" / "scenes" / "radio_test_lot.npz")
    fresh = radio_test_lot()
    # Same objects and geometry (to rounding: numpy versions differ in the last bit of trig functions).
    assert [(o.name, o.instance_id, o.material) for o in shipped.objects] == \
        [(o.name, o.instance_id, o.material) for o in fresh.objects]
    for a, b in zip(shipped.objects, fresh.objects):
        assert np.array_equal(a.faces, b.faces) and np.allclose(a.vertices, b.vertices, atol=1e-9)
    assert {o.role for o in shipped.objects} >= {"car", "ground", "pole", "clutter"}


def test_every_default_material_works_at_60ghz_or_says_why():
    ok = {n for n, m in MATERIALS.items() if m.f_min_ghz <= 60 <= m.f_max_ghz}
    assert {"car_paint", "car_glass", "asphalt", "concrete", "metal", "glass", "rubber"} <= ok
    for name in set(MATERIALS) - ok:
        with pytest.raises(ConfigError, match=f"'{name}' is defined for"):
            material(name).properties(60e9)


def test_trace_command_end_to_end(tmp_path):
    out, png = tmp_path / "paths.npz", tmp_path / "map.png"
    res = CliRunner().invoke(main, ["trace", str(ROOT / "maxray_gen" / "presets" / "scenes" / "radio_test_lot.npz"), "--out", str(out),
                                    "--png", str(png)])
    assert res.exit_code == 0, res.output
    paths = PathSet.load(out)
    assert len(paths) > 100
    assert {101, 102, 103} <= set(np.unique(paths.objects[:, 0]))
    # The approaching car (car_mid, 2 m/s towards the radar) shows a positive Doppler.
    mid = paths.select(paths.touches(102) & (paths.objects[:, 1] == -1))
    assert np.median(mid.doppler_hz) > 0
    assert png.stat().st_size > 20_000
    res = CliRunner().invoke(main, ["radar", "heatmap", str(out), "--png", str(tmp_path / "h.png")])
    assert res.exit_code == 0, res.output


def test_trace_command_bad_inputs(tmp_path):
    snap = SceneSnapshot.load(ROOT / "maxray_gen" / "presets" / "scenes" / "radio_test_lot.npz")
    bad = snap.replace_objects([*snap.objects[:-1], snap.objects[-1].__class__(
        "crate", 12, "clutter", "brick", snap.objects[-1].vertices, snap.objects[-1].faces)])
    bad.save(tmp_path / "brick.npz")
    res = CliRunner().invoke(main, ["trace", str(tmp_path / "brick.npz"), "--out", str(tmp_path / "p.npz")])
    assert res.exit_code == 2 and "'brick' is defined for 1-40 GHz" in res.stderr
    assert not (tmp_path / "p.npz").exists()
    res = CliRunner().invoke(main, ["trace", str(tmp_path / "none.npz"), "--out", str(tmp_path / "p.npz")])
    assert res.exit_code == 2 and "none.npz: file not found" in res.stderr
    cfg = tmp_path / "c.yaml"
    cfg.write_text("trace:\n  tx_offset_m: [0, 0, 0]\n")
    res = CliRunner().invoke(main, ["trace", str(ROOT / "maxray_gen" / "presets" / "scenes" / "radio_test_lot.npz"), "--out",
                                    str(tmp_path / "p.npz"), "--config", str(cfg)])
    assert res.exit_code == 2 and "trace.tx_offset_m" in res.stderr and "co-located" in res.stderr


def test_trace_command_refuses_meshes_physical_optics_cannot_trace(tmp_path):
    snap = SceneSnapshot.load(ROOT / "maxray_gen" / "presets" / "scenes" / "radio_test_lot.npz")
    car = snap.objects[1]
    cases = {"open": (car.faces[:-5], "open edge"), "inward": (car.faces[:, ::-1], "inward-facing"),
             "flipped": (np.concatenate([car.faces[:1, ::-1], car.faces[1:]]), "flipped normals")}
    for name, (faces, message) in cases.items():
        bad = snap.replace_objects([*snap.objects[:1], car.__class__(car.name, car.instance_id, car.role, car.material,
                                                                     car.vertices, faces), *snap.objects[2:]])
        bad.save(tmp_path / f"{name}.npz")
        out = tmp_path / f"{name}-paths.npz"
        res = CliRunner().invoke(main, ["trace", str(tmp_path / f"{name}.npz"), "--out", str(out)])
        assert res.exit_code == 2, res.output
        assert f"'{car.name}'" in res.stderr and message in res.stderr and res.stderr.count("\n") == 1
        assert not out.exists()


def test_variant_override_and_missing_cuda():
    code = ("from maxray_gen.radio.drjit_setup import import_mitsuba\n"
            "from maxray_gen.errors import DependencyError\n"
            "mi = import_mitsuba('llvm_ad_mono_polarized'); print(mi.variant())\n"
            "import os\n"
            "if not os.path.exists('/dev/nvidiactl'):\n"
            "    try:\n        import_mitsuba('cuda_ad_mono_polarized')\n"
            "    except DependencyError as e:\n        print('CLEAN', e)\n"
            "else:\n    print('CLEAN gpu present')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("llvm_ad_mono_polarized") and "CLEAN" in proc.stdout


def test_snapshot_info_command():
    res = CliRunner().invoke(main, ["snapshot", "info", str(ROOT / "maxray_gen" / "presets" / "scenes" / "radio_test_lot.npz")])
    assert res.exit_code == 0 and "car_mid" in res.output and "5,832 triangles" in res.output
