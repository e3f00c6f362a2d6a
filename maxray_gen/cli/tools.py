"""`maxray doctor`, `maxray config show|presets`, `maxray addon build`."""

from __future__ import annotations

from pathlib import Path

import click

from maxray_gen import __version__


@click.command()
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


@click.group()
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


@click.group()
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


COMMANDS = (doctor, config, addon)  # what `maxray` registers from this module
