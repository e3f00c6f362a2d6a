"""`maxray scene preview|gallery|save-blend|validate|export`."""

from __future__ import annotations

from pathlib import Path

import click

from maxray_gen.errors import MaxrayError
from maxray_gen.cli.common import config_option, engine_log, report_engine_log


@click.group()
def scene() -> None:
    """Randomised parking-lot scenes and user .blend scenarios: preview, gallery, validate, export."""


@scene.command("preview")
@config_option
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--blend", "blend", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Preview a tagged user scenario instead of the randomised lot.")
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path), required=True)
def scene_preview(config_path: Path | None, seed: int, blend: Path | None, png: Path) -> None:
    """Build, render and save a picture: RGB with boxes, depth, instance ids, lidar bird's-eye view."""
    from maxray_gen.config import load_config
    from maxray_gen.pipeline.visual_stage import SceneRenderer
    from maxray_gen.viz.scene_plots import plot_visual_sample, visual_sample_title

    cfg = load_config(config_path)
    png = png.resolve()  # CLI paths are relative to the current directory (Blender's own are not)
    if blend is not None:  # lighting and weather randomised as in `generate`; geometry as authored
        blend = blend.resolve()
        cfg = cfg.model_copy(update={"scene": cfg.scene.model_copy(update={"blend": str(blend)})})
    png.parent.mkdir(parents=True, exist_ok=True)
    with engine_log(png.parent, "preview") as log:
        renderer = SceneRenderer(cfg)
        sample = renderer.sample(seed, 0, rgb_path=png.with_name(png.stem + "_rgb.png"))
        plot_visual_sample(sample, png, visual_sample_title(sample, blend), cfg.camera.min_visibility)
    timing = ", ".join(f"{k} {v:.2f} s" for k, v in sample.timings.items())
    click.echo(f"wrote {png} ({timing})")
    report_engine_log(log)


@scene.command("gallery")
@config_option
@click.option("--seed", type=click.IntRange(min=0), default=7, show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True)
def scene_gallery(config_path: Path | None, seed: int, out_dir: Path) -> None:
    """Render the same lot in day, dusk, night, rain, fog and snow (one PNG each), one close-up per car body type
    (cars-<type>.png) and the night with its boxes marked by photometric visibility (night-boxes.png) into OUT."""
    from maxray_gen.config import load_config

    base = load_config(config_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    with engine_log(out_dir, "gallery") as log:
        from maxray_gen.pipeline.gallery import render_gallery

        render_gallery(base, seed, out_dir, report=click.echo)
    report_engine_log(log)


@scene.command("save-blend")
@config_option
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Output .blend file.")
def scene_save_blend(config_path: Path | None, seed: int, out: Path) -> None:
    """Build a randomised lot and save it as a tagged .blend scenario to edit in Blender."""
    from maxray_gen.config import load_config
    from maxray_gen.pipeline.visual_stage import save_lot_blend

    cfg = load_config(config_path)
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with engine_log(out.parent, "save-blend") as log:
        save_lot_blend(cfg, seed, out)
    click.echo(f"wrote {out}")
    report_engine_log(log)


@scene.command("validate")
@click.argument("blend", type=click.Path(dir_okay=False, path_type=Path))
def scene_validate(blend: Path) -> None:
    """List what a .blend scenario is missing (tags, basestation, materials); exit 2 when it cannot be used."""
    import tempfile

    from maxray_gen.native_log import native_output_to

    with native_output_to(Path(tempfile.gettempdir()) / "maxray-validate.log"):
        from maxray_gen.blender import scenario

        scenario.load_blend(blend)
        issues = scenario.problems()
        if issues:
            raise MaxrayError(f"{blend}: " + "; ".join(issues))
        found = scenario.findings()
        sc = scenario.export_scenario(str(blend))
    snap = sc.snapshot
    cars = len({o.instance_id for o in snap.objects if o.role == "car"})
    click.echo(f"{blend}: ok, {len(snap.objects)} tagged objects ({cars} cars), {snap.n_triangles:,} triangles, "
               f"{len(sc.slots)} parking slots, {len(sc.lanes)} lanes")
    for line in found:
        click.echo(f"  note: {line}")


@scene.command("export")
@click.argument("blend", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Snapshot (.npz).")
def scene_export(blend: Path, out: Path) -> None:
    """Export a tagged .blend scenario as a scene snapshot that `maxray trace` can use."""
    out = out.resolve()
    with engine_log(out.parent, "export") as log:
        from maxray_gen.blender import scenario

        scenario.load_blend(blend)
        scenario.export_snapshot(str(blend)).save(out)
    click.echo(f"wrote {out}")
    report_engine_log(log)


COMMANDS = (scene,)  # what `maxray` registers from this module
