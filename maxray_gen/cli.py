"""The `maxray` command line. Every user-caused error becomes one line on stderr and exit code 2."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import click

from maxray_gen import __version__
from maxray_gen.errors import MaxrayError


class MaxrayGroup(click.Group):
    """Turns MaxrayError into 'error: ...' with exit code 2, and config warnings into 'warning: ...'."""

    def invoke(self, ctx: click.Context):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                return super().invoke(ctx)
            except MaxrayError as exc:
                click.echo(f"error: {exc}", err=True)
                ctx.exit(exc.exit_code)
            finally:
                for w in caught:
                    if issubclass(w.category, UserWarning) and w.category.__module__.startswith("maxray_gen"):
                        click.echo(f"warning: {w.message}", err=True)


@click.group(cls=MaxrayGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="maxray")
def main() -> None:
    """MaxRay-Gen: synthetic radio-visual datasets (scenes, radar ray tracing, OFDM radar heatmaps)."""


config_option = click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                             default=None, help="YAML configuration (defaults when omitted).")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--no-probe", is_flag=True, help="Skip importing Mitsuba/Dr.Jit and torch in a child process.")
def doctor(as_json: bool, no_probe: bool) -> None:
    """Report Python, bpy, Mitsuba/Dr.Jit (variant, LLVM or CUDA), torch and GPUs, with fixes for what is missing."""
    from maxray_gen.doctor import report_json, run_checks

    checks = run_checks(probe_engines=not no_probe)
    if as_json:
        click.echo(report_json(checks))
        return
    from rich.console import Console
    from rich.table import Table

    colours = {"ok": "green", "missing": "red", "problem": "red", "info": "cyan"}
    table = Table(title=f"maxray doctor (maxray-gen {__version__})")
    for col in ("component", "status", "detail", "to fix"):
        table.add_column(col, overflow="fold")
    for c in checks:
        table.add_row(c.component, f"[{colours[c.status]}]{c.status}[/]", c.detail, c.fix)
    Console().print(table)


@main.group()
def config() -> None:
    """Inspect and validate configuration files."""


@config.command("show")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
def config_show(path: Path | None) -> None:
    """Validate PATH (or the defaults) and print the fully resolved configuration as YAML."""
    import yaml

    from maxray_gen.config import load_config

    cfg = load_config(path)
    click.echo(yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False), nl=False)


@config.command("presets")
def config_presets() -> None:
    """The shipped presets (generate --preset, reproduce --preset) and scenes, with their files."""
    from maxray_gen import presets

    for kind, flag in (("generate", "maxray generate --preset"), ("reproduce", "maxray reproduce --preset"),
                       ("scene", "maxray scene preview --config")):
        for name in presets.names(kind):
            path = presets.KINDS[kind] / f"{name}.yaml"
            click.echo(f"{flag} {path}" if kind == "scene" else f"{flag} {name}    # {path}")


@main.group()
def radar() -> None:
    """The OFDM radar model: parameters, demo heatmaps, heatmaps of path lists."""


@radar.command("info")
@config_option
def radar_info(config_path: Path | None) -> None:
    """Print the radar parameters' derived quantities (resolutions, ambiguities, gains)."""
    from maxray_gen.config import load_config

    cfg = load_config(config_path).radar
    for key, value in cfg.summary().items():
        click.echo(f"{key:30s} {value:.6g}" if isinstance(value, float) else f"{key:30s} {value}")


def _heatmaps_to_png(paths, cfg, seed: int, noise: bool, png: Path, truth: dict | None, title: str):
    from maxray_gen.radar.processing import heatmaps
    from maxray_gen.seeding import rng_for
    from maxray_gen.viz.radar_plots import plot_heatmaps

    hm = heatmaps(paths, cfg, rng_for(seed, "radar_noise"), products=("range_azimuth", "range_doppler"), noise=noise)
    plot_heatmaps(hm, png, truth=truth, title=title)
    return hm


@radar.command("rcs")
@click.option("--shape", type=click.Choice(["sphere", "plate", "cylinder", "dihedral", "trihedral", "car", "mesh"]),
              required=True, help="A canonical PEC shape, a car body of the project's car models, or a mesh file.")
@click.option("--size", type=float, default=0.1, show_default=True,
              help="Radius (sphere, cylinder), side (plate), plate width (dihedral), edge (trihedral) [m].")
@click.option("--size2", type=float, default=None, help="Cylinder length / dihedral height [m] (default 1 m / size).")
@click.option("--body", default="sedan", show_default=True, help="Car body type for --shape car.")
@click.option("--mesh", "mesh_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A scene snapshot (.npz) whose objects form the target, for --shape mesh.")
@click.option("--range", "range_m", type=float, default=15.0, show_default=True, help="Range of the centre [m].")
@click.option("--far-field", is_flag=True, help="Draw the far-field closed form (the RCS is measured at --range).")
@click.option("--aspects", default="0:360:2", show_default=True, help="Aspect angles in degrees: start:stop:step or a,b,c.")
@config_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Folder for rcs.png + rcs.csv.")
def radar_rcs(shape, size, size2, body, mesh_file, range_m, far_field, aspects, config_path, out) -> None:
    """Monostatic RCS versus aspect through the radar tracer, with the closed form beside canonical shapes."""
    import numpy as np
    from tqdm import tqdm

    from maxray_gen.config import load_config
    from maxray_gen.radio import rcs
    from maxray_gen.viz.radar_plots import plot_rcs

    if range_m <= 0:
        raise MaxrayError(f"--range: {range_m:g} m must be positive")
    try:
        if ":" in aspects:
            a0, a1, st = (float(x) for x in aspects.split(":"))
            deg = np.arange(a0, a1, st)
        else:
            deg = np.array([float(x) for x in aspects.split(",")])
    except ValueError:
        raise MaxrayError(f"--aspects: {aspects!r} is not start:stop:step or a comma-separated list of degrees") from None
    if len(deg) == 0:
        raise MaxrayError(f"--aspects: {aspects!r} gives no angles")
    if shape == "mesh" and mesh_file is None:
        raise MaxrayError("--mesh: --shape mesh needs a snapshot file (.npz)")
    cfg = load_config(config_path)
    tracer = rcs.rcs_tracer(cfg.radar, cfg.trace, range_m)
    if shape == "mesh":
        from maxray_gen.snapshot import SceneSnapshot

        snap = SceneSnapshot.load(mesh_file)
    bar = tqdm(total=len(deg), desc="rcs", unit="aspect", leave=False)
    if shape == "mesh":
        parts, centre_z = rcs.snapshot_parts(snap)
        sw = rcs.sweep_parts(tracer, parts, centre_z, np.radians(deg), range_m, mesh_file.name, progress=bar.update)
    else:
        sw = rcs.sweep(tracer, shape, size, np.radians(deg), range_m, size2, body, far_field, progress=bar.update)
    bar.close()
    out.mkdir(parents=True, exist_ok=True)
    lines = ["aspect_deg,rcs_dbsm,closed_form_dbsm"]
    for k, d in enumerate(deg):
        cf = sw.closed_form_m2[k] if sw.closed_form_m2 is not None else np.nan
        lines.append(f"{d:g},{sw.rcs_dbsm[k]:.3f},{10 * np.log10(cf) if np.isfinite(cf) and cf > 0 else float('nan'):.3f}")
    (out / "rcs.csv").write_text("\n".join(lines) + "\n")
    anchor = 11.25 if shape == "car" else None
    plot_rcs([sw], out / "rcs.png", f"{sw.label} at {range_m:g} m, {cfg.radar.carrier_hz / 1e9:g} GHz", anchor)
    lin = sw.rcs_m2
    click.echo(f"{sw.label} at {range_m:g} m: median {10 * np.log10(np.median(lin)):.2f} dBsm, mean "
               f"{10 * np.log10(lin.mean()):.2f} dBsm, max {sw.rcs_dbsm.max():.2f} dBsm over {len(deg)} aspects")
    if sw.closed_form_m2 is not None and np.isfinite(sw.closed_form_m2[0]):
        click.echo(f"closed form at {deg[0]:g} deg: {10 * np.log10(sw.closed_form_m2[0]):.2f} dBsm; "
                   f"SBR+PO {sw.rcs_dbsm[0]:.2f} dBsm")
    click.echo(f"wrote {out / 'rcs.png'} and {out / 'rcs.csv'}")


@radar.command("demo")
@config_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("demo_output"),
              show_default=True, help="Directory for the PNG and the path list.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Noise seed.")
def radar_demo(config_path: Path | None, out_dir: Path, seed: int) -> None:
    """Heatmaps of a few synthetic point targets, groundtruth marked: writes radar_demo.png and its paths."""
    import numpy as np

    from maxray_gen.config import load_config
    from maxray_gen.radar.demo import DEMO_TARGETS, demo_paths

    cfg = load_config(config_path).radar
    paths = demo_paths(cfg)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MaxrayError(f"{out_dir}: cannot create output directory ({exc.strerror})") from None
    paths.save(out_dir / "radar_demo_paths.npz")
    truth = {"range_m": DEMO_TARGETS[:, 0], "azimuth_rad": np.radians(DEMO_TARGETS[:, 1]),
             "velocity_mps": DEMO_TARGETS[:, 2]}
    png = out_dir / "radar_demo.png"
    _heatmaps_to_png(paths, cfg, seed, True, png, truth,
                     f"{len(paths)} point targets, {cfg.carrier_hz / 1e9:g} GHz, {cfg.bandwidth_hz / 1e6:g} MHz, "
                     f"{cfg.array.rows}x{cfg.array.columns} array")
    click.echo(f"wrote {png} and {out_dir / 'radar_demo_paths.npz'}")


@radar.command("heatmap")
@click.argument("paths_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Output picture.")
@config_option
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Noise seed.")
@click.option("--no-noise", is_flag=True, help="Noise-free heatmaps.")
def radar_heatmap(paths_file: Path, png: Path, config_path: Path | None, seed: int, no_noise: bool) -> None:
    """Range-azimuth and range-Doppler maps of a saved path list (.npz) as a PNG."""
    from maxray_gen.config import load_config
    from maxray_gen.radar.paths import PathSet

    cfg = load_config(config_path).radar
    paths = PathSet.load(paths_file)
    if paths.carrier_hz is not None and abs(paths.carrier_hz - cfg.carrier_hz) > 1e-6 * cfg.carrier_hz:
        raise MaxrayError(f"{paths_file}: paths were traced at {paths.carrier_hz / 1e9:g} GHz but radar.carrier_hz is "
                          f"{cfg.carrier_hz / 1e9:g} GHz")
    _heatmaps_to_png(paths, cfg, seed, not no_noise, png, None, f"{paths_file.name}: {len(paths)} paths")
    click.echo(f"wrote {png}")


@main.command("trace")
@click.argument("snapshot_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Path list (.npz).")
@config_option
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Ray-sampling seed.")
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write range-azimuth / range-Doppler maps with the objects' centres marked.")
def trace_cmd(snapshot_file: Path, out: Path, config_path: Path | None, seed: int, png: Path | None) -> None:
    """Trace a saved scene snapshot (.npz) with the radar: writes its propagation path list."""
    import time

    import numpy as np

    from maxray_gen.config import load_config
    from maxray_gen.radar import groundtruth as gt
    from maxray_gen.radio.tracer import RadarTracer
    from maxray_gen.seeding import rng_for
    from maxray_gen.snapshot import SceneSnapshot

    cfg = load_config(config_path)
    snap = SceneSnapshot.load(snapshot_file)
    t0 = time.perf_counter()
    tracer = RadarTracer(cfg.radar, cfg.trace)
    paths = tracer.trace(snap, rng_for(seed, "trace"))
    dt = time.perf_counter() - t0
    paths.save(out)
    per_object = {o.name: int(paths.touches(o.instance_id).sum()) for o in snap.objects}
    click.echo(f"traced {snap.n_triangles:,} triangles in {dt:.2f} s ({tracer.variant}): {len(paths):,} paths -> {out}")
    click.echo("paths per object: " + ", ".join(f"{k} {v}" for k, v in per_object.items()))
    if png is not None:
        cars = [o for o in snap.objects if o.role in ("car", "target")]
        truth = None
        if cars:
            c = gt.world_points_to_radar(np.array([o.centroid() for o in cars]), snap.basestation, cfg.radar)
            truth = {"range_m": c.range_m, "azimuth_rad": gt.heatmap_azimuth(c.azimuth_rad, c.elevation_rad, cfg.radar)}
        _heatmaps_to_png(paths, cfg.radar, seed, True, png, truth, f"{snapshot_file.name}: {len(paths):,} paths")
        click.echo(f"wrote {png}")


@main.group()
def scene() -> None:
    """Randomised parking-lot scenes and user .blend scenarios: preview, gallery, validate, export."""


def _scene_title(sample, blend: Path | None = None) -> str:
    """What the picture shows: cars counted from the exported scene (authored and slot-filled alike)."""
    sp = sample.spec
    n_cars = len({t.instance_id for t in sample.truth if t.role == "car"})
    if sp is None:
        return f"{len(sample.truth)} tagged objects, {n_cars} cars"
    where = f"{blend.name}, seed {sp.seed}" if blend is not None else f"seed {sp.seed}"
    placed = f" ({len(sp.cars)} placed in slots/lanes)" if blend is not None and sp.cars else ""
    return (f"{where}: {n_cars} cars{placed}, {sp.lighting.kind}, {sp.weather.kind}"
            f"{f' ({sp.weather.intensity:.2f})' if sp.weather.kind != 'clear' else ''}")


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
    from maxray_gen.viz.scene_plots import plot_visual_sample

    cfg = load_config(config_path)
    png = png.resolve()  # CLI paths are relative to the current directory (Blender's own are not)
    if blend is not None:  # lighting and weather randomised as in `generate`; geometry as authored
        blend = blend.resolve()
        cfg = cfg.model_copy(update={"scene": cfg.scene.model_copy(update={"blend": str(blend)})})
    png.parent.mkdir(parents=True, exist_ok=True)
    with _engine_log(png.parent, "preview") as log:
        renderer = SceneRenderer(cfg)
        sample = renderer.sample(seed, 0, rgb_path=png.with_name(png.stem + "_rgb.png"))
        plot_visual_sample(sample, png, _scene_title(sample, blend), cfg.camera.min_visibility)
    timing = ", ".join(f"{k} {v:.2f} s" for k, v in sample.timings.items())
    click.echo(f"wrote {png} ({timing})")
    _report_engine_log(log)


def _engine_log(folder: Path, command: str):
    """Blender's/Cycles' own output of this command into FOLDER/logs/<command>-<time>.log (not the terminal)."""
    import time

    from maxray_gen.native_log import native_output_to

    return native_output_to(folder / "logs" / f"{command}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.log")


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
    with _engine_log(out_dir, "gallery") as log:
        _gallery(base, seed, out_dir)
    _report_engine_log(log)


def _gallery(base, seed: int, out_dir: Path) -> None:
    import matplotlib.image

    from maxray_gen.scene.cars import BODY_TYPES
    from maxray_gen.scene.gallery import body_type_scene
    from maxray_gen.scene.lot import build_snapshot
    from maxray_gen.pipeline.visual_stage import SceneRenderer
    from maxray_gen.scene.spec import sample_scene
    from maxray_gen.seeding import rng_for
    from maxray_gen.viz.scene_plots import plot_boxes_picture

    conditions = [("day", "clear"), ("dusk", "clear"), ("night", "clear"), ("day", "rain"), ("day", "fog"),
                  ("day", "snow")]
    renderer = None
    for lighting, weather in conditions:
        scene_cfg = base.scene.model_copy(update={"lighting": {lighting: 1.0}, "weather": {weather: 1.0}})
        cfg = base.model_copy(update={"scene": scene_cfg})
        if renderer is None:
            renderer = SceneRenderer(cfg)
        renderer.cfg = cfg
        name = lighting if weather == "clear" else weather
        sample = renderer.sample(seed, 0, rgb_path=out_dir / f"{name}.png")
        matplotlib.image.imsave(out_dir / f"{name}.png", sample.rgb)
        click.echo(f"{name}: {out_dir / f'{name}.png'} ({sample.timings.get('render', 0):.1f} s render)")
        if name == "night":
            path = plot_boxes_picture(sample, out_dir / "night-boxes.png", base.camera.min_visibility,
                                      f"seed {seed}, night: boxes by photometric visibility (threshold "
                                      f"{base.camera.min_visibility:g}); red dotted = labelled but too dark to see")
            click.echo(f"night boxes: {path}")
    day = base.scene.model_copy(update={"lighting": {"day": 1.0}, "weather": {"clear": 1.0}})
    spec0 = sample_scene(day, base.camera, seed, 0)
    for bt in BODY_TYPES:
        spec = body_type_scene(spec0, bt.name)
        renderer.blender.realise(spec, build_snapshot(spec), rng_for(seed, 0, "render"))
        path = out_dir / f"cars-{bt.name}.png"
        matplotlib.image.imsave(path, renderer.blender.render_rgb(path))
        click.echo(f"{bt.name}: {path}")


@scene.command("save-blend")
@config_option
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Output .blend file.")
def scene_save_blend(config_path: Path | None, seed: int, out: Path) -> None:
    """Build a randomised lot and save it as a tagged .blend scenario to edit in Blender."""
    from maxray_gen.config import load_config
    from maxray_gen.scene.lot import build_snapshot
    from maxray_gen.scene.spec import sample_scene
    from maxray_gen.seeding import rng_for

    cfg = load_config(config_path)
    spec = sample_scene(cfg.scene, cfg.camera, seed)
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with _engine_log(out.parent, "save-blend") as log:
        from maxray_gen.blender.build import BlenderScene

        bl = BlenderScene(cfg.camera, cfg.render)
        # dry radio materials: a scenario's weather is drawn per sample, not baked into the file
        bl.realise(spec, build_snapshot(spec, weather_materials=False), rng_for(seed, 0, "render"))
        bl.save_blend(out)
    click.echo(f"wrote {out}")
    _report_engine_log(log)


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
    with _engine_log(out.parent, "export") as log:
        from maxray_gen.blender import scenario

        scenario.load_blend(blend)
        scenario.export_snapshot(str(blend)).save(out)
    click.echo(f"wrote {out}")
    _report_engine_log(log)


def _generate_config(config_path: Path | None, preset: str | None, overrides: dict):
    from maxray_gen.config import Config, load_config
    from maxray_gen.errors import ConfigError
    from maxray_gen.schema import parse

    if config_path is not None and preset is not None:
        raise ConfigError("give either CONFIG or --preset, not both")
    if preset is not None:
        from maxray_gen.presets import preset_path

        config_path = preset_path(preset)
    cfg = load_config(config_path)
    if overrides:
        d = cfg.model_dump(mode="json")
        d["generate"].update(overrides)
        cfg = parse(Config, d, "command line")
    return cfg


@main.command("generate")
@click.argument("config_path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--preset", default=None, help="A shipped preset (demo, maxray_parking_lot, ...; `maxray config presets` lists them).")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--shards", type=click.IntRange(min=1), default=None)
@click.option("--samples-per-shard", type=click.IntRange(min=1), default=None)
@click.option("--seed", type=click.IntRange(min=0), default=None)
@click.option("--shard-ids", default=None, help="Comma-separated shard ids to (re)generate, e.g. 3,4.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Local processes.")
@click.option("--no-progress", is_flag=True)
@click.option("--no-previews", is_flag=True, help="Skip previews and the datasheet (worker processes).")
@click.option("--render-threads", type=click.IntRange(min=0), default=None, hidden=True)
@click.option("--executor", type=click.Choice(["local", "slurm", "ray"]), default="local", show_default=True)
@click.option("--partition", default=None, help="SLURM partition.")
@click.option("--account", default=None, help="SLURM account.")
@click.option("--time-limit", default="04:00:00", show_default=True, help="SLURM time limit per array task.")
@click.option("--cpus-per-task", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--gpus-per-task", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--array-parallelism", type=click.IntRange(min=1), default=None, help="SLURM: max concurrent tasks.")
@click.option("--ray-address", default=None, help="Ray cluster address (default: start a local one).")
@click.option("--retries", type=click.IntRange(min=0), default=2, show_default=True,
              help="Resubmissions of failed or pre-empted shards.")
@click.option("--shards-per-task", type=click.IntRange(min=1), default=1, show_default=True,
              help="SLURM/Ray: shards run by one task (amortises process start-up for small shards).")
@click.option("--dry-run", is_flag=True, help="SLURM: write and print the sbatch script, submit nothing.")
@click.option("--no-wait", is_flag=True, help="SLURM: submit and return (follow with `maxray status DIR`).")
def generate_cmd(config_path, preset, out, shards, samples_per_shard, seed, shard_ids, workers, no_progress,
                 no_previews, render_threads, executor, partition, account, time_limit, cpus_per_task,
                 gpus_per_task, array_parallelism, ray_address, retries, shards_per_task, dry_run, no_wait) -> None:
    """Generate a dataset: scenes, renders, lidar, radar heatmaps and groundtruth into HDF5 shards (resumable)."""
    from maxray_gen.errors import ConfigError
    from maxray_gen.pipeline.generate import describe_dataset, generate, prepare_output

    overrides = {k: v for k, v in dict(shards=shards, samples_per_shard=samples_per_shard, seed=seed,
                                        workers=workers).items() if v is not None}
    cfg = _generate_config(config_path, preset, overrides)
    if render_threads is not None:
        cfg = cfg.model_copy(update={"render": cfg.render.model_copy(update={"threads": render_threads})})
    ids = None
    if shard_ids:
        try:
            ids = [int(x) for x in shard_ids.split(",") if x.strip()]
        except ValueError:
            raise ConfigError(f"--shard-ids: expected comma-separated integers, got {shard_ids!r}") from None
    from maxray_gen.pipeline.executors import FarmOptions

    farm = FarmOptions(partition=partition, account=account, time_limit=time_limit, cpus_per_task=cpus_per_task,
                       gpus_per_task=gpus_per_task, array_parallelism=array_parallelism, retries=retries,
                       shards_per_task=shards_per_task,
                       ray_address=ray_address, wait=not no_wait, dry_run=dry_run)
    if (dry_run or no_wait) and executor != "slurm":
        raise ConfigError("--dry-run and --no-wait apply to --executor slurm only")
    prepare_output(cfg, out)  # refuses a foreign OUT before anything (the log included) is written there
    with _engine_log(out, "engines") as log:
        res = generate(cfg, out, ids, progress=not no_progress, executor=executor, farm=farm)
        if not (dry_run or no_wait) and res["manifest"]["samples_done"] and not no_previews:
            previews = describe_dataset(cfg, out)
    fr = res.get("farm") or {}
    if dry_run:
        click.echo(fr.get("text", ""), nl=False)
        click.echo(f"# written to {fr.get('script')}; submit with: sbatch {fr.get('script')}")
        return
    if no_wait:
        click.echo(f"submitted {fr.get('jobs')}; follow with: maxray status {out}")
        return
    st = res["stages_s"]
    total = sum(st.values())
    click.echo(f"generated shards {res['generated_shards']} ({res['samples']} samples, {res['wall_s']:.1f} s, "
               f"{res['samples_per_s']:.3f} samples/s); skipped (already done) {res['skipped_shards']}")
    if total > 0:
        click.echo("time per stage: " + ", ".join(f"{k} {v:.1f} s ({100 * v / total:.0f}%)" for k, v in st.items()))
    done = res["manifest"]["samples_done"]
    if done and not no_previews:
        click.echo(f"{done} samples in {out}; previews: {len(previews['previews'])} PNGs in {out / 'previews'}; "
                   f"datasheet: {out / 'DATASHEET.md'}")
    _report_engine_log(log)


def _report_engine_log(log) -> None:
    """One line naming the engines' log file, and the warnings in it that matter (each once)."""
    if log.warnings:
        click.echo(f"Blender/Cycles/Dr.Jit warnings (full output in {log.path}):", err=True)
        for line in log.warnings:
            click.echo(f"  {line}", err=True)
    elif log.path.exists() and log.path.stat().st_size:
        click.echo(f"engine output (Blender, Cycles, Dr.Jit): {log.path}")


@main.command("status")
@click.argument("root", type=click.Path(file_okay=False, path_type=Path))
def status_cmd(root: Path) -> None:
    """Shards done / running / failed / missing, samples/s and ETA (works while a job runs, any engine)."""
    from maxray_gen.pipeline.status import dataset_status

    s = dataset_status(root)
    click.echo(f"{root}: {s['done']}/{s['planned']} shards done, {s['running']} running, {s['failed']} failed, "
               f"{s['missing']} missing; {s['samples_done']} samples"
               + (f", {s['samples_per_s']:.3f} samples/s, ETA {s['eta_s'] / 60:.1f} min" if s["samples_per_s"] else ""))
    if s["failed_shards"]:
        click.echo(f"failed shards: {s['failed_shards']} (run the same generate command again to resubmit them)")


@main.command("verify")
@click.argument("root", type=click.Path(file_okay=False, path_type=Path))
def verify_cmd(root: Path) -> None:
    """Check every shard (schema, HDF5 checksums, counts, NaNs, manifest hashes); exit 2 on any damage."""
    from maxray_gen.dataset.inspect import verify_dataset

    n, problems = verify_dataset(root)
    if problems:
        raise MaxrayError(f"{root}: {len(problems)} damaged shard(s): " + "; ".join(problems))
    click.echo(f"{root}: ok, {n} samples verified")


@main.command("inspect")
@click.argument("root", type=click.Path(file_okay=False, path_type=Path))
def inspect_cmd(root: Path) -> None:
    """Summary of a dataset: samples, conditions, car counts, radar coverage, sizes."""
    from rich.console import Console
    from rich.table import Table

    from maxray_gen.dataset.inspect import summary

    s = summary(root)
    t = Table(title=f"dataset {root}")
    t.add_column("quantity")
    t.add_column("value", overflow="fold")
    for k, v in s.items():
        t.add_row(k, f"{v:.1f}" if isinstance(v, float) else str(v))
    Console().print(t)


@main.command("preview")
@click.argument("root", type=click.Path(file_okay=False, path_type=Path))
@click.option("--index", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--sequence", type=click.IntRange(min=0), default=None, help="Animate this sequence (with --gif).")
@click.option("--gif", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Animated GIF of a sequence: image with boxes and track ids, radar maps, frame by frame.")
@click.option("--fps", type=click.FloatRange(min=0, min_open=True), default=None,
              help="GIF frame rate (default: the sequence's).")
def preview_cmd(root: Path, index: int, png: Path | None, sequence: int | None, gif: Path | None,
                fps: float | None) -> None:
    """One sample as a picture (--png): RGB with boxes, depth, lidar by type, radar heatmap with groundtruth; or
    a whole sequence as an animation (--sequence S --gif OUT.gif)."""
    from maxray_gen.dataset.inspect import locate
    from maxray_gen.errors import ConfigError
    from maxray_gen.viz.dataset_plots import plot_sample

    if (sequence is None) != (gif is None):
        raise ConfigError("--sequence and --gif go together")
    if gif is not None:
        from maxray_gen.viz.sequence_gif import sequence_gif

        path, n = sequence_gif(root, sequence, gif, fps)
        click.echo(f"wrote {path} ({n} frames)")
        if png is None:
            return
    if png is None:
        raise ConfigError("--png (one sample) or --sequence with --gif (an animation) is required")
    reader, k = locate(root, index)
    plot_sample(reader.sample(k), reader.axes, png, f"{root.name} sample {index}")
    click.echo(f"wrote {png}")


@main.command("export")
@click.argument("kind", type=click.Choice(["yolo", "coco", "cruw"]))
@click.argument("root", type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output folder (yolo, cruw) or file (coco).")
def export_cmd(kind: str, root: Path, out: Path) -> None:
    """Export a dataset: YOLO or COCO image labels, or CRUW-style radar frames and labels."""
    from maxray_gen.dataset import exports

    fn = {"yolo": exports.export_yolo, "coco": exports.export_coco, "cruw": exports.export_cruw}[kind]
    click.echo(f"wrote {fn(root, out)}")


@main.group("import")
def import_group() -> None:
    """Bring real datasets into the shard schema."""


@import_group.command("cruw")
@click.argument("src", type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--samples-per-shard", type=click.IntRange(min=1), default=100, show_default=True)
def import_cruw_cmd(src: Path, out: Path, samples_per_shard: int) -> None:
    """Convert CRUW sequences (camera frames, radar RA maps, labels) with the paper's table-4 preprocessing."""
    from maxray_gen.dataset.cruw_import import import_cruw

    n = import_cruw(src, out, samples_per_shard)
    click.echo(f"imported {n} frames into {out}")


@main.group()
def snapshot() -> None:
    """Scene snapshots: the geometry both sensors see, as .npz files."""


@snapshot.command("info")
@click.argument("snapshot_file", type=click.Path(dir_okay=False, path_type=Path))
def snapshot_info(snapshot_file: Path) -> None:
    """List a snapshot's objects (role, material, triangles, velocity) and validate it."""
    from maxray_gen.snapshot import SceneSnapshot

    snap = SceneSnapshot.load(snapshot_file).validate()
    click.echo(f"{snapshot_file}: {len(snap.objects)} objects, {snap.n_triangles:,} triangles, "
               f"basestation at {snap.basestation.position.round(2).tolist()}")
    for o in snap.objects:
        click.echo(f"  {o.instance_id:>5d}  {o.name:16s} {o.role:10s} {o.material:14s} {len(o.faces):>8,d} tris  "
                   f"v={o.velocity.round(2).tolist()}")


@snapshot.command("test-lot")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def snapshot_test_lot(out: Path) -> None:
    """Write the small procedural radio test scene (three cars, a pole, a crate on concrete) to OUT."""
    from maxray_gen.meshes import radio_test_lot

    radio_test_lot().save(out)
    click.echo(f"wrote {out}")


@main.group()
def addon() -> None:
    """The Blender add-on (blender_addon/): build the installable extension zip."""


@addon.command("build")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("dist/maxray_gen-addon.zip"),
              show_default=True)
@click.option("--wheels", type=click.Choice(["none", "self", "all"]), default="none", show_default=True,
              help="none: maxray_gen comes from the add-on's 'Python packages' preference; self: bundle its own "
                   "wheel; all: also its dependencies (downloaded from PyPI for --platform).")
@click.option("--platform", type=click.Choice(["linux-x64"]), default="linux-x64", show_default=True)
def addon_build(out: Path, wheels: str, platform: str) -> None:
    """Build the Blender extension (install: Edit > Preferences > Get Extensions > Install from Disk)."""
    from maxray_gen.addon_build import build_addon

    path = build_addon(out, wheels, platform)
    click.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


from maxray_gen.learn.cli import register as _register_learning  # noqa: E402

_register_learning(main)

from maxray_gen.detect.cli import register as _register_detection  # noqa: E402

_register_detection(main)

from maxray_gen.viz.cli import register as _register_viewing  # noqa: E402

_register_viewing(main)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
