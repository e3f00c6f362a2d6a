"""Photometric visibility: the contrast formula on images with known luminances, a real night render (lit cars seen,
cars in an unlit lot marked), and the exports and detector evaluation that honour it."""

import dataclasses

import numpy as np
import pytest

from maxray_gen.dataset.exports import labelled, yolo_lines
from maxray_gen.dataset.schema import OBJECT_DTYPE, upgrade_objects
from maxray_gen.sensors.visibility import Y_FLOOR, photometric_visibility, relative_luminance, seen


def srgb(y: float) -> int:
    """The 8-bit sRGB code of a grey of linear luminance ``y`` (inverse of the decoder under test)."""
    v = 12.92 * y if y <= 0.0031308 else 1.055 * y ** (1 / 2.4) - 0.055
    return int(round(255 * v))


def scene(car_codes, background_code: int):
    img = np.full((60, 80, 3), background_code, np.uint8)
    inst = np.zeros((60, 80), np.int32)
    inst[20:40, 20:60] = 7
    img[20:40, 20:60] = np.asarray(car_codes, np.uint8).reshape(20, 40, 1) if np.ndim(car_codes) else car_codes
    return img, inst


def test_luminance_decoding_and_contrast_of_known_greys():
    assert relative_luminance(np.full((1, 1, 3), 255, np.uint8))[0, 0] == pytest.approx(1.0)
    assert relative_luminance(np.full((1, 1, 3), srgb(0.2), np.uint8))[0, 0] == pytest.approx(0.2, rel=0.02)
    # a uniform car of luminance 0.3 on a 0.1 background: contrast (0.3 - 0.1) / 0.1 = 2
    img, inst = scene(srgb(0.3), srgb(0.1))
    bg = relative_luminance(np.full((1, 1, 3), srgb(0.1), np.uint8))[0, 0]
    car = relative_luminance(np.full((1, 1, 3), srgb(0.3), np.uint8))[0, 0]
    assert photometric_visibility(img, inst, [7])[7] == pytest.approx((car - bg) / bg, rel=1e-9)
    # a car as bright as its surroundings on average but half light, half dark: its structure is what is seen
    codes = np.where(np.arange(800).reshape(20, 40) % 2 == 0, srgb(0.15), srgb(0.05))
    img, inst = scene(codes, srgb(0.1))
    v = photometric_visibility(img, inst, [7])[7]
    assert 0.4 < v < 0.6  # RMS deviation ~0.05 from the 0.1 surround
    # in the dark the floor takes over: 0.003 on 0.002 is a 50 % Weber contrast nobody sees
    img, inst = scene(srgb(0.003), srgb(0.002))
    v = photometric_visibility(img, inst, [7])[7]
    assert v == pytest.approx(0.001 / Y_FLOOR, rel=0.25) and v < 0.15
    assert np.isnan(photometric_visibility(img, inst, [8])[8])  # no pixels: unknown


def test_seen_treats_unknown_as_seen_and_old_rows_upgrade_to_unknown():
    assert list(seen(np.array([0.1, 0.2, np.nan]), 0.15)) == [False, True, True]
    from maxray_gen.dataset.schema import OBJECT_DTYPE_V2

    old = np.zeros(2, OBJECT_DTYPE_V2)
    old["instance_id"] = [100, 101]
    new = upgrade_objects(old)
    assert new.dtype == OBJECT_DTYPE and np.all(np.isnan(new["camera_visibility"]))
    assert list(new["instance_id"]) == [100, 101]


def _objects(visibility):
    o = np.zeros(len(visibility), OBJECT_DTYPE)
    o["visible_box"] = [[10 + 30 * k, 10, 30 + 30 * k, 30] for k in range(len(visibility))]
    o["visible_fraction"] = 1.0
    o["camera_visibility"] = visibility
    o["instance_id"] = 100 + np.arange(len(visibility))
    return o


def test_yolo_labels_skip_and_coco_marks_cars_the_camera_cannot_see(tmp_path):
    o = _objects([0.05, 0.5, np.nan])
    assert list(labelled(o, 0, 0, 0.15)) == [False, True, True]
    assert len(yolo_lines(o, 200, 100, 0, 0, 0.15)) == 2
    assert len(yolo_lines(o, 200, 100, 0, 0, 0.0)) == 3


@pytest.fixture(scope="module")
def night_pair(tmp_path_factory):
    """One night layout rendered at the default settings: the lot's lamps on and a car driving with its lights on;
    and the same lot with the lamps off and that car parked (nothing lit)."""
    from maxray_gen.config import load_config
    from maxray_gen.scene.lot import build_snapshot
    from maxray_gen.pipeline.visual_stage import SceneRenderer
    from maxray_gen.scene.spec import sample_scene
    from maxray_gen.seeding import rng_for

    cfg = load_config(None)
    cfg = cfg.model_copy(update={"scene": cfg.scene.model_copy(update={
        "lighting": {"night": 1.0}, "weather": {"clear": 1.0}, "min_cars": 14, "min_moving_cars": 1,
        "max_moving_cars": 1})})
    renderer = SceneRenderer(cfg)
    spec = sample_scene(cfg.scene, cfg.camera, 4, 0)
    out = {}
    for lamps in (True, False):
        sp = dataclasses.replace(spec, lighting=dataclasses.replace(spec.lighting, street_lights=lamps, lamps=()))
        if not lamps:
            sp = dataclasses.replace(sp, cars=tuple(dataclasses.replace(c, speed=0.0) for c in sp.cars))
        snap = build_snapshot(sp)
        renderer.blender.realise(sp, snap, rng_for(4, 0, "render"))
        image = renderer.blender.render_rgb(tmp_path_factory.mktemp("night") / "rgb.png")
        out[lamps] = renderer.sensors(snap, sp, image, 4, 0)
    return cfg, spec, out


def test_night_render_lit_cars_are_seen_and_cars_in_an_unlit_lot_are_marked(night_pair):
    cfg, spec, out = night_pair
    threshold = cfg.camera.min_visibility
    for lamps, vs in out.items():
        shown = [b.instance_id for b in vs.boxes if b.visible_pixels > 200 and b.visible_fraction > 0.5]
        assert len(shown) >= 6
        v = np.array([vs.visibility[i] for i in shown])
        if lamps:  # the lamp-lit lot (and the driving car's lights): every well-visible car stands out
            assert v.min() >= threshold, dict(zip(shown, v))
        else:  # nothing lit: the camera sees (almost) none of the cars the geometry labels
            assert np.mean(v < threshold) >= 0.8, dict(zip(shown, v))
    lit, dark = out[True], out[False]
    assert relative_luminance(lit.rgb).mean() > 3 * relative_luminance(dark.rgb).mean()


def test_exported_objects_carry_the_render_visibility(night_pair):
    from maxray_gen.pipeline.sample import designated_target, objects_table

    cfg, spec, out = night_pair
    vs = out[False]
    rows = objects_table(vs)
    for r in rows:
        assert r["camera_visibility"] == pytest.approx(vs.visibility.get(int(r["instance_id"]), np.nan), nan_ok=True)
    target = designated_target(rows, {b.instance_id: b.visible_pixels for b in vs.boxes}, cfg.camera.min_visibility)
    # the SSL target is never a car the camera cannot see: with lamps off, only the lit driving car qualifies
    seen_ids = {int(r["instance_id"]) for r in rows if r["in_radar_view"] and r["camera_visibility"] >= cfg.camera.min_visibility}
    if seen_ids:
        assert int(rows[target]["instance_id"]) in seen_ids
    else:
        assert target == -1
