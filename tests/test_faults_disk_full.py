"""The disk fills up under a command: one line says what failed (never a traceback with the SQL and its
parameters), and nothing of the change is stored."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from sqlalchemy import func, select

from test_faults_import import _big_placements_csv
from tiptiers import cli
from tiptiers.store import db as store_db
from tiptiers.store.models import Placement


def _count(db: Any) -> int:
    with db.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Placement)) or 0)


def test_a_full_disk_during_an_import_is_one_line_and_stores_nothing(make_db, tmp_path, monkeypatch, capsys):
    db = make_db("sqlite").load_bundled()  # SQLite's file is on this host's disk (PostgreSQL's is the server's)
    before = _count(db)
    rows = _big_placements_csv(tmp_path / "big.csv", db)
    with db.engine.connect() as conn:
        pages = int(conn.exec_driver_sql("PRAGMA page_count").scalar() or 0)
    pragmas = store_db._sqlite_pragmas

    def small_disk(dbapi_connection: Any, record: Any) -> None:  # the file may grow by 4 pages, no more
        pragmas(dbapi_connection, record)
        dbapi_connection.execute(f"PRAGMA max_page_count={pages + 4}")

    monkeypatch.setattr(store_db, "_sqlite_pragmas", small_disk)
    monkeypatch.setenv("TIPTIERS_DATABASE_URL", db.url)
    monkeypatch.setattr(sys, "argv", ["tiptiers", "import", "placements", str(tmp_path / "big.csv")])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 1
    out, err = capsys.readouterr()
    assert err.strip().splitlines() == [
        "Error: tiptiers import placements: the database is full (no space left on its disk); nothing was stored"]
    assert "Traceback" not in out + err and "INSERT" not in out + err
    assert rows > 1000 and _count(db) == before


def test_a_full_disk_writing_a_backup_is_one_line(tmp_path, monkeypatch, capsys, loaded_sqlite):
    import errno

    from tiptiers.store import backup

    def no_room(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "b.zip.partial"))

    monkeypatch.setattr(backup.zipfile, "ZipFile", no_room)
    monkeypatch.setenv("TIPTIERS_DATABASE_URL", loaded_sqlite.url)
    monkeypatch.setattr(sys, "argv", ["tiptiers", "backup", str(tmp_path / "b.zip")])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 1
    _out, err = capsys.readouterr()
    assert err.strip() == f"Error: tiptiers backup: no space left on the disk writing {tmp_path / 'b.zip.partial'}"
