"""Backup and restore: a round trip on each backend and across them gives back every row of every table."""

from __future__ import annotations

import zipfile

import pytest
from typer.testing import CliRunner

from tiptiers.cli import app
from tiptiers.store.backup import BackupError, backup, restore, snapshot

runner = CliRunner()
BUNDLED_ROWS = 2251 + 954  # data/tip_history.yaml: the 2001-2015 file and the 2009-2025 one


@pytest.fixture
def populated(fresh_db, tmp_path):
    fresh_db.load_bundled()
    csv_file = tmp_path / "p.csv"
    csv_file.write_text("iso3,year,tier\nJPN,2016,2\nXKX,2026,2WL\n")
    result = runner.invoke(app, ["import", "placements", str(csv_file)], env={"TIPTIERS_DATABASE_URL": fresh_db.url})
    assert result.exit_code == 0, result.output
    return fresh_db


@pytest.mark.parametrize("target_backend", ["sqlite", "postgresql"])
def test_round_trip_restores_every_row_of_every_table(populated, target_backend, tmp_path, make_db):
    archive = tmp_path / "backup.zip"
    summary = backup(populated.engine, archive)
    assert summary.tables["placements"] == BUNDLED_ROWS + 2

    target = make_db(target_backend)
    restore(target.engine, archive)
    source_heads, source_rows = snapshot(populated.engine)
    target_heads, target_rows = snapshot(target.engine)
    assert target_heads == source_heads
    assert set(target_rows) == set(source_rows)
    for table, rows in source_rows.items():
        if table not in ("activity_log", "activity_head"):
            assert target_rows[table] == rows, f"table {table} differs after restore"
    # the log is the backup's and one entry more, the restore itself, chained on
    assert target_rows["activity_log"][:-1] == source_rows["activity_log"]
    assert target_rows["activity_log"][-1]["action"] == "backup.restore"
    assert target_rows["activity_log"][-1]["prev_hash"] == source_rows["activity_log"][-1]["hash"]
    # ids were restored, so the next insert must not collide with them
    csv_file = tmp_path / "next.csv"
    csv_file.write_text("iso3,year,tier\nCHN,2016,3\n")
    result = runner.invoke(app, ["import", "placements", str(csv_file)], env={"TIPTIERS_DATABASE_URL": target.url})
    assert result.exit_code == 0, result.output


def test_restore_refuses_a_database_with_data_unless_replace(populated, tmp_path):
    archive = tmp_path / "backup.zip"
    backup(populated.engine, archive)
    with pytest.raises(BackupError, match="not empty"):
        restore(populated.engine, archive)
    restore(populated.engine, archive, replace=True)
    assert len(snapshot(populated.engine)[1]["placements"]) == BUNDLED_ROWS + 2


def test_a_corrupt_backup_is_refused_and_nothing_is_stored(populated, tmp_path, make_db):
    archive = tmp_path / "backup.zip"
    backup(populated.engine, archive)
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(tampered, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "tables/placements.jsonl":
                data = data.replace(b'"2WL"', b'"3"', 1)
            dst.writestr(item, data)
    target = make_db("sqlite")
    with pytest.raises(BackupError, match="placements is corrupt"):
        restore(target.engine, tampered)
    assert all(not rows for rows in snapshot(target.engine)[1].values())


def test_cli_backup_and_restore(populated, tmp_path, make_db):
    archive = tmp_path / "cli-backup.zip"
    result = runner.invoke(app, ["backup", str(archive)], env={"TIPTIERS_DATABASE_URL": populated.url})
    assert result.exit_code == 0 and "Backed up" in result.output
    target = make_db("sqlite")
    result = runner.invoke(app, ["restore", str(archive)], env={"TIPTIERS_DATABASE_URL": target.url})
    assert result.exit_code == 0, result.output
    again = runner.invoke(app, ["restore", str(archive)], env={"TIPTIERS_DATABASE_URL": target.url})
    assert again.exit_code == 1 and "--replace" in again.output


@pytest.mark.parametrize("target_backend", ["sqlite", "postgresql"])
def test_a_row_referring_to_a_later_row_of_its_table_round_trips(fresh_db, target_backend, tmp_path, make_db):
    """Evidence #1 corroborated by #2: restored in id order, #1 would point to a row not yet there (the smoke run of
    a user install found restore failing with a FOREIGN KEY error, and printing a traceback)."""
    from tiptiers.store.db import transaction
    from tiptiers.store.evidence import add_evidence, set_state

    fresh_db.load_bundled()
    with transaction(fresh_db.sessions) as s:
        first, second = (add_evidence(s, iso3="JPN", year=2016, criteria=["criterion_1"], statement=text,
                                      source_type=kind, source_name=name, entered_by="analyst")
                         for text, kind, name in (("Recruiters charged fees.", "ngo", "An NGO"),
                                                  ("Inspectors found the fees.", "media", "A newspaper")))
        set_state(s, first.id, "corroborated", "analyst", corroborated_by=second.id)
    archive = tmp_path / "backup.zip"
    backup(fresh_db.engine, archive)
    target = make_db(target_backend)
    restore(target.engine, archive)
    assert snapshot(target.engine)[1]["evidence"] == snapshot(fresh_db.engine)[1]["evidence"]
    assert [r["corroborated_by_id"] for r in snapshot(target.engine)[1]["evidence"]] == [2, None]
