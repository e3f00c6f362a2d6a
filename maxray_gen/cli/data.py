"""`maxray generate|status|verify|inspect|preview|export|import`: making and reading datasets."""

from __future__ import annotations

from pathlib import Path

import click

from maxray_gen.errors import MaxrayError
from maxray_gen.cli.common import engine_log, report_engine_log


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


@click.command("generate")
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
    with engine_log(out, "engines") as log:
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
    report_engine_log(log)


@click.command("status")
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


@click.command("verify")
@click.argument("root", type=click.Path(file_okay=False, path_type=Path))
def verify_cmd(root: Path) -> None:
    """Check every shard (schema, HDF5 checksums, counts, NaNs, manifest hashes); exit 2 on any damage."""
    from maxray_gen.dataset.inspect import verify_dataset

    n, problems = verify_dataset(root)
    if problems:
        raise MaxrayError(f"{root}: {len(problems)} damaged shard(s): " + "; ".join(problems))
    click.echo(f"{root}: ok, {n} samples verified")


@click.command("inspect")
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


@click.command("preview")
@click.argument("root", type=click.Path(file_okay=False, path_type=Path))
@click.option("--index", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--sequence", type=click.IntRange(min=0), default=None,
              help="A sequence: its micro-Doppler spectrograms (with --png) and/or its animation (with --gif).")
@click.option("--gif", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Animated GIF of a sequence: image with boxes and track ids, radar maps, frame by frame.")
@click.option("--fps", type=click.FloatRange(min=0, min_open=True), default=None,
              help="GIF frame rate (default: the sequence's).")
def preview_cmd(root: Path, index: int, png: Path | None, sequence: int | None, gif: Path | None,
                fps: float | None) -> None:
    """One sample as a picture (--png): RGB with boxes, depth, lidar by type, radar heatmap with groundtruth; or
    a sequence (--sequence S): its objects' micro-Doppler spectrograms (--png) and/or an animation (--gif)."""
    from maxray_gen.dataset.inspect import locate
    from maxray_gen.errors import ConfigError
    from maxray_gen.viz.dataset_plots import plot_sample

    if gif is not None and sequence is None:
        raise ConfigError("--gif needs --sequence")
    if sequence is not None:
        if gif is None and png is None:
            raise ConfigError("--sequence needs --png (spectrograms) and/or --gif (an animation)")
        if gif is not None:
            from maxray_gen.viz.sequence_gif import sequence_gif

            path, n = sequence_gif(root, sequence, gif, fps)
            click.echo(f"wrote {path} ({n} frames)")
        if png is not None:
            from maxray_gen.viz.micro_doppler_plots import sequence_spectrogram_png

            path, n = sequence_spectrogram_png(root, sequence, png)
            click.echo(f"wrote {path} ({n} spectrograms)")
        return
    if png is None:
        raise ConfigError("--png (one sample) or --sequence with --png/--gif is required")
    reader, k = locate(root, index)
    plot_sample(reader.sample(k), reader.axes, png, f"{root.name} sample {index}")
    click.echo(f"wrote {png}")


@click.command("export")
@click.argument("kind", type=click.Choice(["yolo", "coco", "cruw"]))
@click.argument("root", type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output folder (yolo, cruw) or file (coco).")
def export_cmd(kind: str, root: Path, out: Path) -> None:
    """Export a dataset: YOLO or COCO image labels, or CRUW-style radar frames and labels."""
    from maxray_gen.dataset import exports

    fn = {"yolo": exports.export_yolo, "coco": exports.export_coco, "cruw": exports.export_cruw}[kind]
    click.echo(f"wrote {fn(root, out)}")


@click.group("import")
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


COMMANDS = (generate_cmd, status_cmd, verify_cmd, inspect_cmd, preview_cmd, export_cmd, import_group)  # what `maxray` registers from this module
