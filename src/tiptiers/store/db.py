"""Engines and sessions. SQLite (WAL, foreign keys on) by default; PostgreSQL via TIPTIERS_DATABASE_URL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_DATABASE_URL = "sqlite:///var/tiptiers.db"


class DatabaseNotInitialised(RuntimeError):
    def __init__(self, url: str):
        super().__init__(f"no tiptiers database at {url}: run `tiptiers init` first")


def fits_id(value: int) -> bool:
    """A number from a URL that a 64-bit integer column can hold: larger ones made the drivers raise OverflowError
    (a 500) where a look-up should simply find nothing."""
    return -2**63 <= value < 2**63


def database_url() -> str:
    return os.environ.get("TIPTIERS_DATABASE_URL") or DEFAULT_DATABASE_URL


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def is_initialised(engine: Engine) -> bool:
    return inspect(engine).has_table("alembic_version")


def require_initialised(engine: Engine) -> Engine:
    if not is_initialised(engine):
        raise DatabaseNotInitialised(engine.url.render_as_string(hide_password=True))
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll everything back on any error."""
    with factory.begin() as session:
        yield session
