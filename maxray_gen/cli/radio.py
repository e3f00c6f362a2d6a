"""`maxray radar info|rcs|demo|heatmap`, `maxray trace`, `maxray snapshot info|test-lot`."""

from __future__ import annotations

from pathlib import Path

import click

from maxray_gen.errors import MaxrayError
from maxray_gen.cli.common import config_option


@click.group()
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


@radar.command("rcs")
@click.option("--shape", type=click.Choice(["sphere", "plate", "cylinder", "dihedral", "trihedral", "car", "person",
                                            "cyclist", "drone", "mesh"]), required=True,
              help="A canonical PEC shape, a car body of the project's car models, a standing person, a cyclist, "
                   "a drone, or a mesh file.")
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
    deg = rcs.parse_aspects(aspects)
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
    rcs.write_csv(sw, deg, out / "rcs.csv")
    anchor = rcs.TR38901_MEAN_DBSM.get(shape)
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
    from maxray_gen.viz.radar_plots import plot_path_heatmaps

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
    plot_path_heatmaps(paths, cfg, seed, True, png, truth,
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
    from maxray_gen.viz.radar_plots import plot_path_heatmaps

    cfg = load_config(config_path).radar
    paths = PathSet.load(paths_file)
    if paths.carrier_hz is not None and abs(paths.carrier_hz - cfg.carrier_hz) > 1e-6 * cfg.carrier_hz:
        raise MaxrayError(f"{paths_file}: paths were traced at {paths.carrier_hz / 1e9:g} GHz but radar.carrier_hz is "
                          f"{cfg.carrier_hz / 1e9:g} GHz")
    plot_path_heatmaps(paths, cfg, seed, not no_noise, png, None, f"{paths_file.name}: {len(paths)} paths")
    click.echo(f"wrote {png}")


@click.command("trace")
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
    from maxray_gen.radar import coordinates as gt
    from maxray_gen.radio.tracer import RadarTracer
    from maxray_gen.seeding import rng_for
    from maxray_gen.snapshot import SceneSnapshot
    from maxray_gen.viz.radar_plots import plot_path_heatmaps

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
        plot_path_heatmaps(paths, cfg.radar, seed, True, png, truth, f"{snapshot_file.name}: {len(paths):,} paths")
        click.echo(f"wrote {png}")


@click.group()
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
    from maxray_gen.primitives import radio_test_lot

    radio_test_lot().save(out)
    click.echo(f"wrote {out}")


COMMANDS = (radar, trace_cmd, snapshot)  # what `maxray` registers from this module
