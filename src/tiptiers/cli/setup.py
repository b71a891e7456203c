"""Set-up commands: init, db upgrade, backup, restore, serve."""

from __future__ import annotations

import getpass
from pathlib import Path

import typer

from tiptiers.cli.common import fail
from tiptiers.store import migrate
from tiptiers.store.backup import BackupError
from tiptiers.store.backup import backup as write_backup
from tiptiers.store.backup import restore as read_backup
from tiptiers.store.db import database_url, make_engine, session_factory, transaction
from tiptiers.store.placements import load_bundled

TRUSTED_PROXIES = "TIPTIERS_TRUSTED_PROXIES"
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)


def init() -> None:
    """Create or upgrade the database and load the bundled history (placements 2001-2025 with their sources, waivers,
    each year's coverage). Safe to run again: it adds what is missing and never undoes a change someone made (a
    newer bundled value that differs from an imported or corrected placement is reported, not applied)."""
    engine = make_engine()
    migrate.upgrade(engine)
    with transaction(session_factory(engine)) as session:
        result = load_bundled(session)
    typer.echo(f"Database ready at {database_url()}; bundled history {result.version}: {result}")
    for line in result.not_applied:
        typer.echo(f"  not applied: {line}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending schema migration (Alembic). `tiptiers init` does this too."""
    migrate.upgrade(make_engine())
    typer.echo(f"Database at {database_url()} is up to date.")


def backup(path: Path = typer.Argument(..., help="Where to write the backup (a .zip file).")) -> None:
    """Write a consistent backup of every table; it restores on SQLite or PostgreSQL."""
    try:
        summary = write_backup(make_engine(), path)
    except BackupError as exc:
        fail(str(exc))
    typer.echo(f"Backed up {summary.rows} rows from {len(summary.tables)} tables to {summary.path}")


def restore(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="A backup written by `tiptiers backup`."),
    replace: bool = typer.Option(False, "--replace", help="Overwrite a database that already holds data."),
) -> None:
    """Load a backup into the database (TIPTIERS_DATABASE_URL): all of it, or nothing."""
    try:
        summary = read_backup(make_engine(), path, replace=replace, actor=f"cli:{getpass.getuser()}")
    except BackupError as exc:
        fail(str(exc))
    typer.echo(f"Restored {summary.rows} rows into {len(summary.tables)} tables at {database_url()}")


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, max=64, help="Processes serving the same port (each keeps its own cache "
                                "of published pages); about one per core."),
    access_log: bool = typer.Option(True, help="Log every request on standard error (--no-access-log: only "
                                    "warnings and errors, faster under load)."),
    reload: bool = typer.Option(False, help="Restart when the code changes (development; one worker)."),
    jobs: bool = typer.Option(True, "--jobs/--no-jobs", help="Run the job queue (notices, whole-report PDFs) in "
                              "a thread of each process; --no-jobs leaves it to `tiptiers worker` (several hosts)."),
) -> None:
    """Serve the web app and the JSON API (http://HOST:PORT/, API under /api/v1/).

    Behind a reverse proxy, set TIPTIERS_TRUSTED_PROXIES to its addresses (e.g. 10.0.0.5 or 10.0.0.0/24,
    comma-separated): only from those is X-Forwarded-For believed (the client address that login blocks and the
    public call count by); from anyone else it is ignored. Unset, it is ignored from everyone.

    Published pages are served from memory once rendered; each year's whole-report PDF is made by the job queue
    when the year is published. Example: `tiptiers serve --host 0.0.0.0 --workers 2 --no-access-log`.
    """
    import os

    import uvicorn

    from tiptiers.web.app import RUN_JOBS

    os.environ[RUN_JOBS] = "1" if jobs else "0"  # read by serve_app in every worker process
    proxies = os.environ.get(TRUSTED_PROXIES, "").strip()
    if reload and workers > 1:
        fail("--reload: works with one worker only; drop --workers", 2)
    uvicorn.run("tiptiers.web.app:serve_app", factory=True, host=host, port=port, reload=reload, workers=workers,
                access_log=access_log, proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None,
                timeout_worker_healthcheck=60)  # 5 s by default: on a busy host a starting process was killed


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(serve)
    app.command()(backup)
    app.command()(restore)
    app.add_typer(db_app, name="db")
