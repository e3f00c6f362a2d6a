"""The `maxray` command line. Every user-caused error becomes one line on stderr and exit code 2.

One module per command group, each listing its commands and groups in ``COMMANDS``; the commands parse options
and call library functions.
"""

from __future__ import annotations

import sys
import warnings

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


from maxray_gen.cli import data, detect, learn, radio, scene, tools, view  # noqa: E402

for _module in (tools, radio, scene, data, learn, detect, view):
    for _command in _module.COMMANDS:
        main.add_command(_command)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
