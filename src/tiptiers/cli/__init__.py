"""The tiptiers command line: every job the web app does, scriptable. `tiptiers --help` lists them."""

from __future__ import annotations

import typer

from tiptiers.cli import analysis as analysis_cli
from tiptiers.cli import cables, cycle, notify, placements, queue, review, setup
from tiptiers.cli import engine as engine_cli
from tiptiers.cli import publish as publish_cli
from tiptiers.cli import users as users_cli

app = typer.Typer(
    name="tiptiers",
    help="Assess governments' anti-trafficking efforts, place them in tiers and explain why.\n\n"
    "Start with `tiptiers init`, then `tiptiers serve` or `tiptiers history Japan`.",
    no_args_is_help=True,
    add_completion=False,
)
setup.register(app)
placements.register(app)
review.register(app)
cables.register(app)
engine_cli.register(app)
users_cli.register(app)
analysis_cli.register(app)
publish_cli.register(app)
cycle.register(app)
notify.register(app)
queue.register(app)


def main() -> None:
    app()
