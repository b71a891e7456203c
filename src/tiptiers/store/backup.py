"""Backups that restore on either backend: a zip of one JSON-lines file per table, with a manifest.

The snapshot is consistent: SQLite is copied first with its online backup API, PostgreSQL is read in one
REPEATABLE READ transaction. Derived data is left out and rebuilt on restore (the SQLite FTS5 index and
PostgreSQL's tsvector column are made again from the search documents by `search.reindex`). A restore runs in one
transaction: it either loads every row and checks every count, or stores nothing.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, Table, create_engine, func, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tiptiers import __version__
from tiptiers.store import activity, migrate, search

FORMAT = "tiptiers-backup/1"
SKIPPED_TABLES = {"alembic_version"}


class BackupError(RuntimeError):
    pass


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    tables: dict[str, int]

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return {"base64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, Decimal):
        return str(value)
    return value


def _decode(value: Any, python_type: type | None) -> Any:
    if value is None:
        return None
    if isinstance(value, dict) and set(value) == {"base64"}:
        return base64.b64decode(value["base64"])
    if python_type is datetime and isinstance(value, str):
        return datetime.fromisoformat(value)
    if python_type is date and isinstance(value, str):
        return date.fromisoformat(value)
    if python_type is Decimal and isinstance(value, str):
        return Decimal(value)
    return value


def _python_type(column: Any) -> type | None:
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


def _derived_sqlite_tables(connection: Connection) -> set[str]:
    """Virtual tables (the FTS5 index) and their shadow tables: rebuilt from the base tables."""
    names = connection.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'"
    ).scalars().all()
    all_tables = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'").scalars().all()
    return {t for t in all_tables for v in names if t == v or t.startswith(f"{v}_")}


def _data_tables(connection: Connection) -> list[Table]:
    """The tables whose rows are the data, parents before children, writable columns only."""
    metadata = MetaData()
    skip = set(SKIPPED_TABLES)
    if connection.dialect.name == "sqlite":
        skip |= _derived_sqlite_tables(connection)
        metadata.reflect(connection, only=lambda name, _meta: name not in skip and not name.startswith("sqlite_"))
    else:  # the job queue (Procrastinate's tables, job_notes) is work in flight, not data; SQLite has no such tables
        metadata.reflect(connection, only=lambda name, _meta: name not in skip and not name.startswith("procrastinate_")
                         and name != "job_notes")
    return list(metadata.sorted_tables)


DERIVED_COLUMNS = {("search_documents", "tsv")}  # PostgreSQL's search index, rebuilt on restore


def _writable_columns(table: Table) -> list[Any]:
    return [c for c in table.columns if c.computed is None and (table.name, c.name) not in DERIVED_COLUMNS]


def _schema_heads(connection: Connection) -> list[str]:
    from alembic.runtime.migration import MigrationContext  # loaded only here: every command imports this module

    return sorted(MigrationContext.configure(connection).get_current_heads())


def _dump_rows(connection: Connection, table: Table) -> Iterator[dict[str, Any]]:
    columns = _writable_columns(table)
    order = list(table.primary_key.columns) or columns
    for row in connection.execute(select(*columns).order_by(*order)).mappings():
        yield {k: _encode(v) for k, v in row.items()}


def _snapshot_rows(connection: Connection) -> tuple[list[str], dict[str, list[dict[str, Any]]]]:
    heads = _schema_heads(connection)
    return heads, {t.name: list(_dump_rows(connection, t)) for t in _data_tables(connection)}


def snapshot(engine: Engine) -> tuple[list[str], dict[str, list[dict[str, Any]]]]:
    """Every data table's rows (encoded as in a backup), from one consistent view of the database."""
    if engine.dialect.name == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "snapshot.db"
            source = sqlite3.connect(make_url(engine.url).database or ":memory:")
            target = sqlite3.connect(copy)
            try:
                source.backup(target)
            finally:
                source.close()
                target.close()
            copy_engine = create_engine(f"sqlite:///{copy}")
            try:
                with copy_engine.connect() as connection:
                    return _snapshot_rows(connection)
            finally:
                copy_engine.dispose()
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection, connection.begin():
        return _snapshot_rows(connection)


def backup(engine: Engine, path: Path) -> BackupSummary:
    heads, tables = snapshot(engine)
    if not heads:
        raise BackupError("the database has no tiptiers schema: nothing to back up (run `tiptiers init`)")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "tiptiers_version": __version__,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "source_dialect": engine.dialect.name,
        "schema_revisions": heads,
        "tables": {},
    }
    partial.unlink(missing_ok=True)
    # Owner-only, like the database: a backup holds password hashes, token digests and the session signing key.
    with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as raw, \
            zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, rows in tables.items():
            data = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows).encode()
            archive.writestr(f"tables/{name}.jsonl", data)
            manifest["tables"][name] = {"rows": len(rows), "sha256": hashlib.sha256(data).hexdigest()}
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    partial.replace(path)  # a crash mid-write never leaves a file that looks like a finished backup
    return BackupSummary(path, {n: t["rows"] for n, t in manifest["tables"].items()})


def _read_archive(path: Path) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read("manifest.json"))
            if manifest.get("format") != FORMAT:
                raise BackupError(f"{path}: not a {FORMAT} archive (format {manifest.get('format')!r})")
            tables: dict[str, list[dict[str, Any]]] = {}
            for name, info in manifest["tables"].items():
                data = archive.read(f"tables/{name}.jsonl")
                if hashlib.sha256(data).hexdigest() != info["sha256"]:
                    raise BackupError(f"{path}: table {name} is corrupt (checksum mismatch)")
                tables[name] = [json.loads(line) for line in data.decode().splitlines() if line]
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError) as exc:
        raise BackupError(f"{path}: not a readable tiptiers backup ({exc})") from None
    return manifest, tables


# --- a server using the database ------------------------------------------------------------------------------
# A running server holds a shared lock for as long as it serves; a restore needs it exclusively, so it is refused
# while any server (any process, any host on PostgreSQL) uses the database, instead of replacing the rows, the
# sessions and the signing key under the server's feet. The operating system (a file lock on SQLite) or the
# database server (an advisory lock on PostgreSQL) drops the lock of a process killed with -9.

SERVING_KEY = "tiptiers-serving"


def _lock_file(engine: Engine) -> Path:
    return Path(make_url(engine.url).database or "tiptiers.db").with_name(
        Path(make_url(engine.url).database or "tiptiers.db").name + ".serving")


@contextmanager
def serving(engine: Engine) -> Iterator[None]:
    """Held by a server while it serves this database (the app's lifespan)."""
    if engine.dialect.name == "sqlite":
        path = _lock_file(engine)
        with os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, 0o600), "rb") as held:
            fcntl.flock(held, fcntl.LOCK_SH)
            yield
        return
    with engine.connect() as connection:  # one connection of its own, outside the pool's work, for the lock
        connection.execute(text("SELECT pg_advisory_lock_shared(hashtext(current_schema() || :k))"),
                           {"k": SERVING_KEY})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock_shared(hashtext(current_schema() || :k))"),
                               {"k": SERVING_KEY})
            connection.commit()


@contextmanager
def closing_lock(held: Any) -> Iterator[None]:
    try:
        yield
    finally:
        if held is not None:
            held.close()


SERVED = ("a server is using this database (tiptiers serve): stop every server of it first, then restore; "
          "nothing was restored")


def _refuse_if_served(connection: Connection, engine: Engine) -> Any:
    """Take the serving lock exclusively for the restore, or refuse. Returns what holds it (closed by the caller)."""
    if connection.dialect.name == "sqlite":
        held = os.fdopen(os.open(_lock_file(engine), os.O_RDWR | os.O_CREAT, 0o600), "rb")
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            held.close()
            raise BackupError(SERVED) from None
        return held
    taken = connection.scalar(text("SELECT pg_try_advisory_xact_lock(hashtext(current_schema() || :k))"),
                              {"k": SERVING_KEY})  # released when the restore's transaction ends
    if not taken:
        raise BackupError(SERVED)
    return None


def restore(engine: Engine, path: Path, replace: bool = False, actor: str = "system") -> BackupSummary:
    """Load a backup into this database (created or upgraded first). Refuses a non-empty one unless `replace`.
    The restored activity log gets one entry more, in the same transaction: this restore, by `actor`."""
    manifest, rows_by_table = _read_archive(path)
    migrate.upgrade(engine)
    with engine.begin() as connection, closing_lock(_refuse_if_served(connection, engine)):
        heads = _schema_heads(connection)
        if heads != sorted(manifest["schema_revisions"]):
            raise BackupError(
                f"{path} has schema revisions {manifest['schema_revisions']}, this tiptiers has {heads}: "
                "restore with the tiptiers version that made the backup, then upgrade"
            )
        tables = _data_tables(connection)
        missing = set(rows_by_table) - {t.name for t in tables}
        if missing:
            raise BackupError(f"{path} has tables this database does not: {sorted(missing)}")
        nonempty = [t.name for t in tables if connection.scalar(select(func.count()).select_from(t))]
        if nonempty and not replace:
            raise BackupError(f"the database is not empty ({', '.join(nonempty)}); restore with --replace to overwrite")
        for table in reversed(tables):
            connection.execute(table.delete())
        for table in tables:
            rows = rows_by_table.get(table.name, [])
            if not rows:
                continue
            types = {c.name: _python_type(c) for c in _writable_columns(table)}
            decoded = [{k: _decode(v, types.get(k)) for k, v in r.items()} for r in rows]
            _insert(connection, table, decoded)
        for table in tables:
            count = connection.scalar(select(func.count()).select_from(table))
            expected = manifest["tables"].get(table.name, {"rows": 0})["rows"]
            if count != expected:
                raise BackupError(f"restore of {table.name} gave {count} rows, the backup has {expected}")
        search.reindex(connection)
        if connection.dialect.name == "postgresql":
            _reset_sequences(connection, tables)
        with Session(bind=connection) as session:  # joins this transaction: committed with the rows, or not at all
            activity.record(session, actor, "backup.restore", f"backup:{path.name}", None,
                            {"file": str(path), "created_at": manifest.get("created_at"), "replaced": bool(nonempty),
                             "rows": sum(t["rows"] for t in manifest["tables"].values())})
    return BackupSummary(path, {n: t["rows"] for n, t in manifest["tables"].items()})


def _insert(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert the rows; a column referring to its own table (evidence corroborated by a later record) is filled
    in afterwards, once every row it may point to is there: constraints are checked row by row."""
    own = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
    if not own:
        connection.execute(insert(table), rows)
        return
    connection.execute(insert(table), [{**r, **dict.fromkeys(own)} for r in rows])
    keys = [c.name for c in table.primary_key.columns]
    for r in rows:
        values = {c: r[c] for c in own if r.get(c) is not None}
        if values:
            connection.execute(update(table).where(*(table.c[k] == r[k] for k in keys)).values(values))


def _reset_sequences(connection: Connection, tables: list[Table]) -> None:
    """Rows came with their ids: move each serial sequence past the largest, or the next insert collides."""
    for table in tables:
        for column in table.primary_key.columns:
            sequence = connection.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                         {"t": table.name, "c": column.name})
            if sequence:
                largest = f'SELECT COALESCE(MAX("{column.name}"), 0) + 1 FROM "{table.name}"'
                connection.execute(text(f"SELECT setval(:s, ({largest}), false)"), {"s": sequence})
