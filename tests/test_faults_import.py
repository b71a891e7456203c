"""kill -9 in the middle of an import, then import again: nothing half-written, nothing duplicated."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import OperationalError

from tiptiers.countries import country_table
from tiptiers.store.models import Placement

TIPTIERS = str(Path(sys.executable).with_name("tiptiers"))


def _big_placements_csv(path: Path, db) -> int:
    """Every country-year of 2016-2026 not yet placed: thousands of new rows, so the import takes a while (a
    different tier for a placed, published year would be refused: a published placement changes only as a
    correction)."""
    countries = [c.iso3 for c in country_table()]
    with db.sessions() as session:
        placed = {(iso3, year) for iso3, year in session.execute(select(Placement.iso3, Placement.year))}
    lines = ["iso3,year,tier"] + [f"{iso3},{year},2" for year in range(2016, 2027) for iso3 in countries
                                  if (iso3, year) not in placed]
    path.write_text("\n".join(lines) + "\n")
    return len(lines) - 1


def _write_transaction_open(db) -> bool:
    """True while another process holds an uncommitted write on the database."""
    if db.backend == "sqlite":
        probe = create_engine(db.url, connect_args={"timeout": 0})
        try:
            with probe.connect() as conn:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                conn.exec_driver_sql("ROLLBACK")
            return False
        except OperationalError:  # "database is locked": the importer is mid-transaction
            return True
        finally:
            probe.dispose()
    with db.engine.connect() as conn:
        query = text("SELECT count(*) FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
                     " AND query ILIKE '%placements%'")
        return bool(conn.execute(query).scalar())


def _placement_count(db) -> int:
    with db.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Placement)) or 0)


def test_kill_during_import_stores_nothing_and_a_rerun_completes(fresh_db, tmp_path):
    db = fresh_db.load_bundled()
    before = _placement_count(db)
    rows = _big_placements_csv(tmp_path / "big.csv", db)
    env = {**os.environ, "TIPTIERS_DATABASE_URL": db.url}
    command = [TIPTIERS, "import", "placements", str(tmp_path / "big.csv")]

    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not _write_transaction_open(db):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("the import finished before it could be caught mid-transaction")
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    assert process.returncode == -signal.SIGKILL

    assert _placement_count(db) == before  # not one row of the killed import
    if db.backend == "sqlite":
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{rows} added" in rerun.stdout
    assert _placement_count(db) == before + rows
