"""Heavy concurrent writes on SQLite: every writer waits its turn (never "database is locked" for a unit of work that
read before it wrote), and a lock held by someone else for longer than a writer waits is a 503 with Retry-After,
nothing stored, never a 500; the CLI says so in one line."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from conftest import TestDatabase
from tiptiers.store import activity, users
from tiptiers.store import db as store_db
from tiptiers.store.db import DatabaseBusy, make_engine, session_factory, transaction
from tiptiers.store.evidence import Evidence
from tiptiers.web.app import create_app
from tiptiers.web.auth import CSRF_HEADER

PASSWORD = "correct horse battery staple"
EVIDENCE = {"iso3": "JPN", "year": 2026, "criteria": ["criterion_1"], "statement": "Shelters opened.",
            "source_type": "ngo", "source_name": "Polaris"}


def test_many_writers_that_read_first_all_commit_and_the_chain_verifies(tmp_path_factory):
    db = TestDatabase("sqlite", tmp_path_factory)
    threads, per_thread = 12, 8
    errors: list[str] = []
    start = threading.Barrier(threads)

    def writer(n: int) -> None:
        factory = session_factory(make_engine(db.url))  # a process's own engine, as several hosts would have
        start.wait()
        for i in range(per_thread):
            try:
                with transaction(factory) as session:
                    seen = activity.count(session)  # read first: a deferred transaction's snapshot is now fixed
                    activity.record(session, f"writer{n}", "test.write", f"test:{n}/{i}", None, {"saw": seen})
            except Exception as exc:  # what a request would have turned into a 500
                errors.append(f"{type(exc).__name__}: {exc}"[:200])
        factory.kw["bind"].dispose()

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    with db.sessions() as session:
        assert activity.count(session) == threads * per_thread
        assert activity.verify(session) == []
    db.drop()


@pytest.fixture
def site(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_MS", 300)  # a writer gives up after 0.3 s (5 s in production)
    db = TestDatabase("sqlite", tmp_path_factory).load_bundled()
    with transaction(db.sessions) as session:
        users.create_user(session, "ann", "admin", PASSWORD, actor="test")
    yield db, create_app(db.url)
    db.drop()


def _hold_write_lock(url: str) -> sqlite3.Connection:
    held = sqlite3.connect(make_url(url).database, isolation_level=None)
    held.execute("BEGIN IMMEDIATE")  # another process in the middle of a long write
    return held


def test_a_write_blocked_past_the_wait_is_a_503_with_retry_after_and_stores_nothing(site):
    db, app = site
    c = TestClient(app, raise_server_exceptions=False)
    r = c.post("/api/v1/session", json={"name": "ann", "password": PASSWORD})
    headers = {CSRF_HEADER: r.json()["csrf_token"]}
    held = _hold_write_lock(db.url)
    try:
        r = c.post("/api/v1/evidence", json=EVIDENCE, headers=headers)
        assert r.status_code == 503, r.text
        assert int(r.headers["retry-after"]) >= 1
        assert r.json()["error"]["status"] == 503 and "try again" in r.json()["error"]["detail"]
    finally:
        held.rollback()
        held.close()
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Evidence)) == 0
    r = c.post("/api/v1/evidence", json=EVIDENCE, headers=headers)  # the retry the client was told to make
    assert r.status_code == 201, r.text


def test_a_login_blocked_past_the_wait_is_a_503_too(site):
    db, app = site
    c = TestClient(app, raise_server_exceptions=False)
    held = _hold_write_lock(db.url)
    try:
        r = c.post("/api/v1/session", json={"name": "ann", "password": PASSWORD})
    finally:
        held.rollback()
        held.close()
    assert r.status_code == 503 and r.headers["retry-after"], r.text


def test_the_store_says_busy_in_words(site):
    db, _app = site
    held = _hold_write_lock(db.url)
    try:
        with pytest.raises(DatabaseBusy, match="try again"), transaction(session_factory(make_engine(db.url))) as s:
            activity.record(s, "test", "test.write", "test:1", None, None)
    finally:
        held.rollback()
        held.close()
