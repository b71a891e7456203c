"""Engines and sessions. SQLite (WAL, foreign keys on) by default; PostgreSQL via TIPTIERS_DATABASE_URL."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tiptiers.store import activity  # noqa: F401 - its session events refuse a commit of unlogged changes

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


BUSY_TIMEOUT_MS = 5000  # how long a SQLite writer waits for another's lock (SQLite retries with backoff meanwhile)


class DatabaseBusy(RuntimeError):
    """The database stayed locked by other writers for longer than a writer waits: try again shortly."""

    retry_after = 2  # seconds, for a 503's Retry-After

    def __init__(self) -> None:
        super().__init__("the database is busy with other changes; nothing was stored, try again in a few seconds")


def is_busy(exc: BaseException) -> bool:
    """SQLite's "database is locked" (or "is busy"), raised once its wait for the lock ran out."""
    text = str(getattr(exc, "orig", exc))
    return isinstance(exc, OperationalError | sqlite3.OperationalError) and (
        "database is locked" in text or "database is busy" in text)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()




def create_private(path: Path) -> None:
    """Create the file (and its folder) readable by its owner only, unless it exists: the database holds password
    hashes, token digests and the session signing key. SQLite gives its -wal and -shm files the same mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def make_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            create_private(Path(parsed.database))
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


NOTIFY_CHANNEL = "tiptiers_activity"  # PostgreSQL: each activity-log entry is announced here (migration 0018)


@contextmanager
def listen(engine: Engine, channel: str) -> Iterator[Any]:
    """A PostgreSQL connection of its own (outside the pool, in autocommit) that LISTENs on `channel`."""
    pooled = engine.raw_connection()
    connection: Any = pooled.driver_connection
    pooled.detach()
    try:
        connection.autocommit = True
        connection.execute(f'LISTEN "{channel}"')
        yield connection
    finally:
        connection.close()


def notices(connection: Any, timeout: float) -> int:
    """Wait up to `timeout` seconds for notices on a `listen` connection; how many came (all taken at once)."""
    count = 0
    for _ in connection.notifies(timeout=timeout, stop_after=1):
        count += 1
    for _ in connection.notifies(timeout=0):  # the rest of a burst: one catch-up for all
        count += 1
    return count


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work that writes: commit on success, roll everything back on any error. On SQLite a lock
    other writers hold for longer than BUSY_TIMEOUT_MS raises DatabaseBusy (nothing
    stored), which the web app answers 503 with Retry-After and the CLI in one line."""
    try:
        with factory.begin() as session:
            yield session
    except OperationalError as exc:
        if is_busy(exc):
            raise DatabaseBusy() from exc
        raise
