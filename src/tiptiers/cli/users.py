"""Accounts and the activity log: `tiptiers users ...` and `tiptiers log ...`."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TypeVar

import typer
from sqlalchemy.orm import Session

from tiptiers.cli.common import fail, open_store, print_json
from tiptiers.store import activity
from tiptiers.store import users as store
from tiptiers.store.db import transaction

users_app = typer.Typer(
    help="Accounts: admin, analyst, reviewer, liaison (a government's contact, bound to one country), and ngo (an "
    "organisation that submits shadow reports).\n\n"
    "Example: `tiptiers users add tanaka --role liaison --country JPN`, "
    "`tiptiers users add polaris --role ngo --organisation \"Polaris Project\"`.",
    no_args_is_help=True,
)
log_app = typer.Typer(help="The activity log: every change, who made it, before and after; tamper-evident.",
                      no_args_is_help=True)

T = TypeVar("T")
Role = Enum("Role", {r: r for r in store.ROLES}, type=str)  # type: ignore[misc]
ACTOR_HELP = "Who does this, for the activity log (default: cli:<your login>)."


def _actor(name: str | None) -> str:
    return name or f"cli:{getpass.getuser()}"


def _write(job: Callable[[Session], T]) -> T:
    """One change in one transaction; bad input is a clear error (exit 2) and nothing is stored."""
    try:
        with transaction(open_store()) as session:
            return job(session)
    except store.UserError as exc:
        fail(str(exc), 2)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            fail("password: nothing on standard input", 2)
        return line.rstrip("\r\n")
    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return str(password)


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="Login name, no spaces, e.g. tanaka or j.doe@example.org."),
    role: Role = typer.Option(..., "--role", "-r", help="What the account may do; a liaison needs --country, an "
                                                       "ngo account --organisation."),
    country: str | None = typer.Option(None, "--country", "-c",
                                       help="For a liaison only (required then): their country, JPN or Japan."),
    organisation: str | None = typer.Option(None, "--organisation", "-o",
                                            help="For an ngo account only (required then): the organisation its "
                                                 "claims are published under, e.g. 'Polaris Project'."),
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="Read the password from the first line of standard input "
                                             f"(at least {store.PASSWORD_MIN} characters) instead of prompting."),
    email: str | None = typer.Option(None, "--email", "-e", help="Where notices go (drafts sent, reminders, "
                                     "disputes answered), e.g. tanaka@mofa.go.jp; without it they show at /notices."),
    actor: str | None = typer.Option(None, "--as", help=ACTOR_HELP),
) -> None:
    """Create an account. The password is asked for twice (or read with --password-stdin) and stored as argon2."""
    password = _read_password(password_stdin)
    user = _write(lambda s: store.create_user(s, name, role.value, password, country, actor=_actor(actor),
                                              organisation=organisation, email=email))
    bound = user.country_iso3 or user.organisation
    typer.echo(f"Created {user.name} ({user.role}{', ' + bound if bound else ''}).")


@users_app.command("email")
def users_email(name: str = typer.Argument(..., help="The account."),
                address: str = typer.Argument(..., help="Its e-mail address; '' removes it."),
                actor: str | None = typer.Option(None, "--as", help=ACTOR_HELP)) -> None:
    """Set (or remove) the e-mail address an account's notices go to."""
    user = _write(lambda s: store.set_email(s, name, address, actor=_actor(actor)))
    typer.echo(f"{user.name}: notices go to {user.email}." if user.email else f"{user.name}: no e-mail address.")


@users_app.command("list")
def users_list(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """Every account, its role, country (liaisons) or organisation (ngo accounts) and whether it is active."""
    with open_store()() as session:
        rows = [{**u.describe(), "created_at": u.created_at.isoformat(timespec="seconds")}
                for u in store.list_users(session)]
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo("No accounts yet: `tiptiers users add NAME --role admin` creates the first.")
        return
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        state = "" if r["active"] else "  (deactivated)"
        bound = r["country"] or r["organisation"] or "-"
        typer.echo(f"{r['name']:<{width}}  {r['role']:<8}  {bound}{state}")


@users_app.command("token")
def users_token(
    name: str = typer.Argument(..., help="The account the token acts as."),
    label: str = typer.Option("cli", "--label", help="What the token is for, kept with it (e.g. 'ingest job')."),
    actor: str | None = typer.Option(None, "--as", help=ACTOR_HELP),
) -> None:
    """Make an API token: send it as `Authorization: Bearer <token>`. It is shown once; keep it secret."""
    token, _row = _write(lambda s: store.create_api_token(s, name, label, actor=_actor(actor)))
    typer.echo(token)


@users_app.command("tokens")
def users_tokens(name: str = typer.Argument(..., help="The account."),
                 as_json: bool = typer.Option(False, "--json", help="Print JSON instead of lines.")) -> None:
    """An account's API tokens: id, label, when made, whether revoked (the tokens themselves are never kept)."""
    rows = _write(lambda s: [{"id": t.id, "label": t.label, "created_at": t.created_at.isoformat(timespec="seconds"),
                              "revoked_at": t.revoked_at.isoformat(timespec="seconds") if t.revoked_at else None}
                             for t in store.list_tokens(s, name)])
    if as_json:
        print_json(rows)
        return
    for r in rows:
        state = f"revoked {r['revoked_at']}" if r["revoked_at"] else "active"
        typer.echo(f"{r['id']:>5}  {r['created_at']}  {state:<28}  {r['label']}")
    if not rows:
        typer.echo(f"{name} has no API tokens.")


@users_app.command("revoke-token")
def users_revoke_token(token_id: int = typer.Argument(..., help="The token's id, from `tiptiers users tokens NAME`."),
                       actor: str | None = typer.Option(None, "--as", help=ACTOR_HELP)) -> None:
    """Revoke one API token at once; the account and its other tokens keep working."""
    _write(lambda s: store.revoke_token(s, token_id, actor=_actor(actor)))
    typer.echo(f"Revoked API token {token_id}.")


@users_app.command("deactivate")
def users_deactivate(name: str = typer.Argument(..., help="The account to switch off."),
                     actor: str | None = typer.Option(None, "--as", help=ACTOR_HELP)) -> None:
    """Switch an account off: it can no longer log in, its sessions end and its API tokens are revoked."""
    _write(lambda s: store.set_active(s, name, False, actor=_actor(actor)))
    typer.echo(f"Deactivated {name}.")


@users_app.command("password")
def users_password(name: str = typer.Argument(..., help="The account."),
                   password_stdin: bool = typer.Option(False, "--password-stdin", help="Read it from stdin."),
                   actor: str | None = typer.Option(None, "--as", help=ACTOR_HELP)) -> None:
    """Set a new password; the account's sessions and API tokens end."""
    password = _read_password(password_stdin)
    _write(lambda s: store.set_password(s, name, password, actor=_actor(actor)))
    typer.echo(f"Password of {name} changed.")


@log_app.command("show")
def log_show(
    limit: int = typer.Option(50, "--limit", "-n", min=1, max=1000, help="How many entries, newest first."),
    actor: str | None = typer.Option(None, "--actor", help="Only this actor (a user name, or cli:LOGIN)."),
    action: str | None = typer.Option(None, "--action", help="Only actions starting with this, e.g. evidence."),
    subject: str | None = typer.Option(None, "--subject", help="Only subjects starting with this, e.g. user:"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (with before/after) instead of lines."),
) -> None:
    """The latest changes: number, time (UTC), who, what, subject."""
    with open_store()() as session:
        rows = [e.as_dict() for e in activity.entries(session, actor=actor, action=action, subject=subject,
                                                       limit=limit)]
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo("The activity log is empty." if not (actor or action or subject) else "No entry matches.")
    for r in rows:
        typer.echo(f"{r['seq']:>6}  {r['at'][:19]}  {r['actor']}  {r['action']}  {r['subject']}")


@log_app.command("head")
def log_head(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text.")) -> None:
    """The number and hash of the last entry: keep it outside the database (a release note, an e-mail, a file in
    git). `tiptiers log verify --anchor` later proves the log was not rewritten up to that entry.

    Example: `tiptiers log head >> anchors.txt` after each publication, then `tiptiers log verify --anchors
    anchors.txt`.
    """
    with open_store()() as session:
        last = activity.head(session)
    if as_json:
        print_json({"seq": last.seq, "hash": last.hash} if last else None)
    elif last is None:
        typer.echo("The activity log is empty: nothing to anchor yet.", err=True)
    else:
        typer.echo(f"{last.seq} {last.hash}")


def _anchors(given: list[str], path: Path | None) -> list[activity.Anchor]:
    lines = [(f"--anchor {text}", text) for text in given]
    if path is not None:
        try:
            content = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"--anchors: cannot read {path}: {exc}", 2)
        lines += [(f"{path}, line {n}", line) for n, line in enumerate(content.splitlines(), 1)
                  if line.strip() and not line.lstrip().startswith("#")]
    anchors = []
    for where, text in lines:
        try:
            anchors.append(activity.Anchor.parse(text))
        except ValueError as exc:
            fail(f"{where}: {exc}", 2)
    return anchors


@log_app.command("verify")
def log_verify(
    anchor: list[str] = typer.Option([], "--anchor", help="SEQ:HASH of an entry, as `tiptiers log head` printed "
                                                          "it and you kept it elsewhere (repeatable)."),
    anchors_file: Path | None = typer.Option(None, "--anchors", help="A file of anchors, one `SEQ HASH` a line "
                                                                      "(the output of `tiptiers log head`)."),
) -> None:
    """Check the hash chain: exit 1 and name each entry that was edited or deleted since it was written. With
    anchors, also prove that nobody rewrote the log (and its hashes) up to each anchored entry."""
    kept = _anchors(anchor, anchors_file)
    with open_store()() as session:
        total = activity.count(session)
        with typer.progressbar(length=total, label="Checking the activity log", file=sys.stderr) as bar:
            problems = activity.verify(session, progress=bar.update, anchors=kept)
    if problems:
        for problem in problems:
            typer.echo(f"TAMPERED: {problem}", err=True)
        raise typer.Exit(1)
    anchored = f"; {len(kept)} anchor(s) match" if kept else ""
    typer.echo(f"The activity log is intact ({total} entries, hash chain verified{anchored}).")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(log_app, name="log")
