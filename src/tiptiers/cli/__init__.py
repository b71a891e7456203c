"""The tiptiers command line: every job the web app does, scriptable. `tiptiers --help` lists them."""

from __future__ import annotations

import errno
import sys

import typer
from sqlalchemy.exc import OperationalError

from tiptiers.cli import analysis as analysis_cli
from tiptiers.cli import cables, cycle, notify, placements, queue, review, setup
from tiptiers.cli import engine as engine_cli
from tiptiers.cli import publish as publish_cli
from tiptiers.cli import users as users_cli
from tiptiers.store.db import DatabaseBusy, is_busy

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


def storage_failure(exc: BaseException) -> str | None:
    """One line for a failure of the disk or the database (never the SQL and its parameters); None for a bug."""
    if isinstance(exc, DatabaseBusy) or is_busy(exc):
        return str(DatabaseBusy())
    if isinstance(exc, OperationalError):
        reason = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__
        if "full" in reason:
            return "the database is full (no space left on its disk); nothing was stored"
        return f"the database failed ({reason}); nothing was stored"
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        where = f" writing {exc.filename}" if exc.filename else ""
        return f"no space left on the disk{where}"
    return None


def _command_named(argv: list[str]) -> str:
    """The command's words in the arguments (`import placements`), without its arguments and options."""
    words: list[str] = []
    command = typer.main.get_command(app)
    for arg in argv:
        found = getattr(command, "commands", {}).get(arg)
        if found is None:
            break
        words.append(arg)
        command = found
    return " ".join(words)


def main() -> None:
    try:
        app()
    except Exception as exc:
        what = storage_failure(exc)
        if what is None:
            raise
        typer.echo(f"Error: tiptiers {_command_named(sys.argv[1:])}: {what}", err=True)
        raise SystemExit(1) from None
