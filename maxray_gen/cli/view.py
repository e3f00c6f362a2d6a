"""`maxray view` (a dataset in Rerun) and `maxray report` (a static HTML page of a dataset)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from maxray_gen.errors import ConfigError

ROOT = click.argument("root", type=click.Path(file_okay=False, path_type=Path))


@click.command("view")
@ROOT
@click.option("--index", type=click.IntRange(min=0), default=None, help="One sample (its number in the dataset).")
@click.option("--sequence", type=click.IntRange(min=0), default=None, help="One sequence, frame by frame.")
@click.option("--all", "all_samples", is_flag=True, help="Every sample (the default without --index/--sequence).")
@click.option("--save", "save", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write a Rerun recording (OUT.rrd; open it with `rerun OUT.rrd`).")
@click.option("--serve", is_flag=True, help="Serve Rerun's web viewer on localhost until Ctrl-C.")
@click.option("--web-port", type=click.IntRange(1, 65535), default=9090, show_default=True)
@click.option("--ws-port", type=click.IntRange(1, 65535), default=9877, show_default=True)
@click.option("--no-progress", is_flag=True)
def view_cmd(root: Path, index: int | None, sequence: int | None, all_samples: bool, save: Path | None, serve: bool,
             web_port: int, ws_port: int, no_progress: bool) -> None:
    """A dataset in Rerun: the lot, cars' 3-D boxes, camera and radar poses, lidar and the radar map on the ground
    in 3-D; the camera's images with boxes; range-azimuth and range-Doppler maps with groundtruth. Without --save or
    --serve, opens the native viewer (needs a display)."""
    from maxray_gen.viz import rerun_view

    if all_samples and (index is not None or sequence is not None):
        raise ConfigError("--all: give --all, --index or --sequence, not several")
    if save is not None and serve:
        raise ConfigError("--save and --serve: give one of them")
    rerun_view.import_rerun()  # a missing extra is reported before the dataset is read
    refs = rerun_view.select_samples(root, index, sequence)
    progress = not no_progress
    if save is not None:
        path = rerun_view.save_recording(root, refs, save, progress)
        click.echo(f"wrote {path} ({len(refs)} samples, {path.stat().st_size / 1e6:.1f} MB); open it with: rerun {path}")
    elif serve:
        rerun_view.serve_recording(root, refs, web_port, ws_port, progress=progress, on_ready=lambda url: click.echo(
            f"serving {len(refs)} samples: open {url} (Ctrl-C to stop)"))
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    else:
        rerun_view.spawn_viewer(root, refs, progress)
        click.echo(f"sent {len(refs)} samples to the Rerun viewer")


@click.command("report")
@ROOT
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Report folder (default: ROOT/report).")
@click.option("--max-samples", type=click.IntRange(min=1), default=500, show_default=True,
              help="Tiles (thumbnail + full preview) for at most this many samples, evenly spaced; the figures "
                   "cover every sample.")
@click.option("--all-samples", is_flag=True, help="A tile for every sample, however many.")
@click.option("--no-progress", is_flag=True)
def report_cmd(root: Path, out: Path | None, max_samples: int, all_samples: bool, no_progress: bool) -> None:
    """A static HTML page of a dataset (no server needed): figures, and every sample's thumbnail (RGB with boxes |
    radar map) opening its full preview."""
    from maxray_gen.viz.dataset_report import write_report

    page = write_report(root, out, progress=not no_progress, max_samples=None if all_samples else max_samples)
    click.echo(f"wrote {page}; open it in a browser")


COMMANDS = (view_cmd, report_cmd)  # what `maxray` registers from this module
