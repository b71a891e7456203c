"""The SQLite database and backups hold password hashes, token digests and the session signing key: they are
created readable by their owner only (0600), whatever the umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from typer.testing import CliRunner

from tiptiers.cli import app
from tiptiers.store import migrate
from tiptiers.store.backup import backup
from tiptiers.store.db import make_engine


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_and_its_wal_are_owner_only(tmp_path):
    old = os.umask(0o022)  # the usual umask, which made them 0644
    try:
        engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'tiptiers.db'}")
        migrate.upgrade(engine)
        with engine.connect() as conn:  # WAL and shared-memory files exist while a connection is open
            conn.exec_driver_sql("SELECT 1 FROM alembic_version").all()
            made = sorted(tmp_path.joinpath("var").iterdir())
            assert [p.name for p in made] == ["tiptiers.db", "tiptiers.db-shm", "tiptiers.db-wal"]
            assert {p.name: _mode(p) for p in made} == dict.fromkeys((p.name for p in made), 0o600)
        engine.dispose()
    finally:
        os.umask(old)


def test_an_existing_database_keeps_the_mode_its_owner_gave_it(tmp_path):
    path = tmp_path / "shared.db"
    path.touch(mode=0o640)
    path.chmod(0o640)
    migrate.upgrade(make_engine(f"sqlite:///{path}"))
    assert _mode(path) == 0o640


def test_init_and_backup_from_the_command_line_write_owner_only_files(tmp_path, monkeypatch):
    old = os.umask(0o022)
    try:
        monkeypatch.setenv("TIPTIERS_DATABASE_URL", f"sqlite:///{tmp_path / 'tiptiers.db'}")
        runner = CliRunner()
        assert runner.invoke(app, ["init"]).exit_code == 0
        assert _mode(tmp_path / "tiptiers.db") == 0o600
        result = runner.invoke(app, ["backup", str(tmp_path / "backups" / "b.zip")])
        assert result.exit_code == 0, result.output
        assert _mode(tmp_path / "backups" / "b.zip") == 0o600
        backup(make_engine(f"sqlite:///{tmp_path / 'tiptiers.db'}"), tmp_path / "b.zip")  # again, over an old one
        backup(make_engine(f"sqlite:///{tmp_path / 'tiptiers.db'}"), tmp_path / "b.zip")
        assert _mode(tmp_path / "b.zip") == 0o600
    finally:
        os.umask(old)
