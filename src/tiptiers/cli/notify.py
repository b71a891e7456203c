"""Notices: `tiptiers notify run` (send what is queued), `list`, `on`/`off` (a user's choice of notices)."""

from __future__ import annotations

import getpass
import time

import typer
from sqlalchemy.orm import Session, sessionmaker

from tiptiers.cli.common import EXIT_USAGE, fail, open_store, print_json
from tiptiers.notify.mail import MailSettingsError, smtp_settings
from tiptiers.store import jobs, notices
from tiptiers.store.db import transaction
from tiptiers.store.users import UserError, require_user

ACTOR_HELP = "Who makes the change, for the activity log (default: cli:LOGIN)."
notify_app = typer.Typer(help="E-mail notices: send the queue, list notices, switch a kind on or off.",
                         no_args_is_help=True)


def run_once(sessions: sessionmaker[Session]) -> jobs.RunReport:
    notices.sweep(sessions)
    return jobs.run_due(sessions, worker="cli")


@notify_app.command("run")
def notify_run(
    watch: bool = typer.Option(False, "--watch", help="Keep running, every --interval seconds, until Ctrl-C."),
    interval: float = typer.Option(10.0, "--interval", min=1.0, help="Seconds between rounds with --watch."),
    as_json: bool = typer.Option(False, "--json", help="Print what each round did as JSON."),
) -> None:
    """Queue the reminders due today and run every job due (send the queued notices); a failed send is retried
    later, a sent notice is never sent again. Needs TIPTIERS_SMTP_URL (smtp://host:port) to send anything; without
    it the notices stay queued. `tiptiers serve` does the same in the background."""
    try:
        settings = smtp_settings()
    except MailSettingsError as exc:
        fail(str(exc), EXIT_USAGE)
    if settings is None:
        typer.echo("TIPTIERS_SMTP_URL is not set: notices stay in the queue (see /notices).", err=True)
    sessions = open_store()
    while True:
        report = run_once(sessions)
        if as_json:
            print_json(report.as_dict())
        else:
            typer.echo(f"{report.done} done, {report.retried} to retry, {report.failed} failed, "
                       f"{report.waiting} waiting" + "".join(f"\n  {e}" for e in report.errors))
        if not watch:
            raise typer.Exit(1 if report.failed else 0)
        time.sleep(interval)


@notify_app.command("list")
def notify_list(
    user: str | None = typer.Option(None, "--user", "-u", help="Only this account's notices."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Notices, newest first, with their state: queued, sent, off (switched off), no_address, failed."""
    with open_store()() as session:
        try:
            found = require_user(session, user) if user else None
        except UserError as exc:
            fail(str(exc), EXIT_USAGE)
        rows = [n.as_dict() for n in notices.notices_for(session, found)]
    if as_json:
        print_json(rows)
        return
    for n in rows:
        typer.echo(f"#{n['id']} {n['created_at'][:16]} {n['state']:<10} {n['user']}: {n['subject']}")
    if not rows:
        typer.echo("no notices")


def _switch(name: str, kind: str, enabled: bool, actor: str | None) -> None:
    try:
        with transaction(open_store()) as session:
            user = require_user(session, name)
            notices.set_preference(session, user, kind, enabled, actor or f"cli:{getpass.getuser()}")
    except (UserError, notices.NoticeError) as exc:
        fail(str(exc), EXIT_USAGE)
    typer.echo(f"{name}: {notices.KINDS[kind]}: {'on' if enabled else 'off'}")


@notify_app.command("off")
def notify_off(name: str = typer.Argument(..., help="The account."),
               kind: str = typer.Argument(..., help=f"One of: {', '.join(notices.KINDS)}."),
               actor: str | None = typer.Option(None, "--as", help=ACTOR_HELP)) -> None:
    """Switch a kind of notice off for an account (it is still listed at /notices, never sent)."""
    _switch(name, kind, False, actor)


@notify_app.command("on")
def notify_on(name: str = typer.Argument(..., help="The account."),
              kind: str = typer.Argument(..., help=f"One of: {', '.join(notices.KINDS)}."),
              actor: str | None = typer.Option(None, "--as", help=ACTOR_HELP)) -> None:
    """Switch a kind of notice back on for an account."""
    _switch(name, kind, True, actor)


def register(app: typer.Typer) -> None:
    app.add_typer(notify_app, name="notify")
