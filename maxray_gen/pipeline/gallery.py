"""The scene gallery: one lot under every lighting and weather, and every car body type (`maxray scene gallery`,
docs/scenarios.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from maxray_gen.config import Config


def render_gallery(base: Config, seed: int, out_dir: Path, report: Callable[[str], None] = print) -> list[Path]:
    """The same lot in day, dusk, night, rain, fog and snow (one PNG each), the night's boxes by photometric
    visibility (night-boxes.png), one close-up per car body type (cars-<type>.png) and people, a cyclist and a drone
    by day and night (movers-day.png, movers-night.png) into ``out_dir``; each
    picture is reported as it is written. Returns the files."""
    import matplotlib.image

    from maxray_gen.scene.cars import BODY_TYPES
    from maxray_gen.scene.gallery import body_type_scene, movers_scene
    from maxray_gen.scene.lot import build_snapshot
    from maxray_gen.pipeline.visual_stage import SceneRenderer
    from maxray_gen.scene.spec import sample_scene
    from maxray_gen.seeding import rng_for
    from maxray_gen.viz.scene_plots import plot_boxes_picture

    conditions = [("day", "clear"), ("dusk", "clear"), ("night", "clear"), ("day", "rain"), ("day", "fog"),
                  ("day", "snow")]
    renderer, written = None, []
    for lighting, weather in conditions:
        scene_cfg = base.scene.model_copy(update={"lighting": {lighting: 1.0}, "weather": {weather: 1.0}})
        cfg = base.model_copy(update={"scene": scene_cfg})
        if renderer is None:
            renderer = SceneRenderer(cfg)
        renderer.cfg = cfg
        name = lighting if weather == "clear" else weather
        sample = renderer.sample(seed, 0, rgb_path=out_dir / f"{name}.png")
        matplotlib.image.imsave(out_dir / f"{name}.png", sample.rgb)
        written.append(out_dir / f"{name}.png")
        report(f"{name}: {out_dir / f'{name}.png'} ({sample.timings.get('render', 0):.1f} s render)")
        if name == "night":
            path = plot_boxes_picture(sample, out_dir / "night-boxes.png", base.camera.min_visibility,
                                      f"seed {seed}, night: boxes by photometric visibility (threshold "
                                      f"{base.camera.min_visibility:g}); red dotted = labelled but too dark to see")
            report(f"night boxes: {path}")
            written.append(path)
    day = base.scene.model_copy(update={"lighting": {"day": 1.0}, "weather": {"clear": 1.0}})
    spec0 = sample_scene(day, base.camera, seed, 0)
    for bt in BODY_TYPES:
        spec = body_type_scene(spec0, bt.name)
        renderer.blender.realise(spec, build_snapshot(spec), rng_for(seed, 0, "render"))
        path = out_dir / f"cars-{bt.name}.png"
        matplotlib.image.imsave(path, renderer.blender.render_rgb(path))
        report(f"{bt.name}: {path}")
        written.append(path)
    for lighting in ("day", "night"):  # people, a cyclist and a drone up close
        lit = base.scene.model_copy(update={"lighting": {lighting: 1.0}, "weather": {"clear": 1.0}})
        spec = movers_scene(sample_scene(lit, base.camera, seed, 0))
        renderer.blender.realise(spec, build_snapshot(spec), rng_for(seed, 0, "render"))
        path = out_dir / f"movers-{lighting}.png"
        matplotlib.image.imsave(path, renderer.blender.render_rgb(path))
        report(f"people, cyclist and drone ({lighting}): {path}")
        written.append(path)
    return written
