"""What the command modules share: the --config option and the engines' log files."""

from __future__ import annotations

from pathlib import Path

import click

config_option = click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                             default=None, help="YAML configuration (defaults when omitted).")


def engine_log(folder: Path, command: str):
    """Blender's/Cycles' own output of this command into FOLDER/logs/<command>-<time>.log (not the terminal)."""
    import time

    from maxray_gen.native_log import native_output_to

    return native_output_to(folder / "logs" / f"{command}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.log")


def report_engine_log(log) -> None:
    """One line naming the engines' log file, and the warnings in it that matter (each once)."""
    if log.warnings:
        click.echo(f"Blender/Cycles/Dr.Jit warnings (full output in {log.path}):", err=True)
        for line in log.warnings:
            click.echo(f"  {line}", err=True)
    elif log.path.exists() and log.path.stat().st_size:
        click.echo(f"engine output (Blender, Cycles, Dr.Jit): {log.path}")
