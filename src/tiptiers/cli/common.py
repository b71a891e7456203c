"""What every command shares: the store, country lookup, and data output (--json, --csv)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any, NoReturn

import typer
from sqlalchemy.orm import Session, sessionmaker

from tiptiers.countries import Country, UnknownCountry, country_table
from tiptiers.store.db import DatabaseNotInitialised, make_engine, require_initialised, session_factory

EXIT_USAGE = 2


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def open_store() -> sessionmaker[Session]:
    """The session factory of an initialised database, or a clear message to run `tiptiers init`."""
    try:
        return session_factory(require_initialised(make_engine()))
    except DatabaseNotInitialised as exc:
        fail(str(exc))


def resolve_country(query: str) -> Country:
    try:
        return country_table().resolve(query)
    except UnknownCountry as exc:
        fail(str(exc), EXIT_USAGE)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def print_csv(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
    writer = csv.DictWriter(sys.stdout, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
