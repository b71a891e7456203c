"""kill -9 of a real server (`tiptiers serve`) in the middle of dispute resolutions and of a publication: after a
restart each change is stored whole with its activity-log entry, or not at all, and the log's chain verifies. And a
restore into the database a running server uses is refused (the server holds it), until the server stops.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from cluster import TIPTIERS, free_port, wait_http
from conftest import TestDatabase
from tiptiers.sources.placements import PlacementRow
from tiptiers.store import activity, backup, reviews, users
from tiptiers.store.db import transaction
from tiptiers.store.evidence import add_evidence
from tiptiers.store.placements import import_placements
from tiptiers.store.publication import Publication
from tiptiers.tiers import Tier

PASSWORD = "correct horse battery staple"
YEAR = 2027
DISPUTES = 24


@contextmanager
def server(db: TestDatabase, folder: Path) -> Iterator[subprocess.Popen[bytes]]:
    port = free_port()
    log = (folder / f"server-{port}.log").open("wb")
    process = subprocess.Popen([TIPTIERS, "serve", "--port", str(port), "--no-jobs", "--no-access-log"],
                               env={**os.environ, "TIPTIERS_DATABASE_URL": db.url}, stdout=log, stderr=log,
                               start_new_session=True)
    process.url = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
    try:
        wait_http(process.url + "/api/v1/years", process)  # type: ignore[attr-defined]
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(20)
        log.close()


def call(url: str, method: str, token: str, body: dict[str, Any]) -> int:
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0  # the server died under it: no answer


def _prepare(db: TestDatabase) -> tuple[str, list[int]]:
    """An analyst's token and DISPUTES disputes of Japan's draft, waiting for resolution."""
    with transaction(db.sessions) as session:
        users.create_user(session, "ann", "admin", PASSWORD, actor="test")
        users.create_user(session, "tanaka", "liaison", PASSWORD, country="JPN", actor="test")
        token = users.create_api_token(session, "ann", "test")[0]
        claims = [add_evidence(session, iso3="JPN", year=YEAR, criteria=["criterion_1"], statement=f"Claim {i}.",
                               source_type="ngo", source_name="Polaris", entered_by="ann").id
                  for i in range(DISPUTES)]
        reviews.send_request(session, "JPN", YEAR, "ann")
        disputes = [reviews.respond(session, "JPN", YEAR, c, "dispute", "Not so.", "tanaka",
                                    counter_evidence="A report").id for c in claims]
        import_placements(session, [PlacementRow("KOR", 2026, Tier.TIER_1, 1)], source="test", actor="test")
    return token, disputes


def _consistent(db: TestDatabase) -> tuple[set[int], list[str]]:
    """The disputes stored as resolved, and every disagreement between the resolutions and the log."""
    with db.sessions() as session:
        problems = [str(p) for p in activity.verify(session)]
        resolved = {r.response_id for r in session.scalars(select(reviews.DisputeResolution))}
        logged = [int(e.subject.removeprefix("dispute:")) for e in activity.entries(session, action="dispute.",
                                                                                     limit=1000)]
    if sorted(logged) != sorted(resolved):
        problems.append(f"resolutions {sorted(resolved)} but log entries for {sorted(logged)}")
    return resolved, problems


@pytest.fixture
def db(fresh_db: TestDatabase) -> TestDatabase:
    return fresh_db.load_bundled()


def test_kill_9_during_dispute_resolutions_stores_each_whole_or_not_at_all(db, tmp_path):
    token, disputes = _prepare(db)
    answers: dict[int, int] = {}
    with server(db, tmp_path) as first:
        def resolve(dispute: int) -> None:
            answers[dispute] = call(f"{first.url}/api/v1/disputes/{dispute}/resolution", "POST", token,  # type: ignore[attr-defined]
                                    {"outcome": "accepted", "corrected_statement": f"Corrected {dispute}."})

        threads = [threading.Thread(target=resolve, args=(d,)) for d in disputes]
        for t in threads:
            t.start()
        while not any(s == 200 for s in answers.values()):  # some are done, the rest in flight
            time.sleep(0.005)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
        for t in threads:
            t.join(40)
    resolved, problems = _consistent(db)
    assert not problems, problems
    ok = {d for d, s in answers.items() if s == 200}
    assert ok <= resolved, f"answered 200 and lost: {sorted(ok - resolved)}"
    assert resolved and set(disputes) - resolved, "the kill came before or after every resolution: no test"
    with server(db, tmp_path) as second:  # after a restart the rest resolve, once each
        for d in disputes:
            status = call(f"{second.url}/api/v1/disputes/{d}/resolution", "POST", token,  # type: ignore[attr-defined]
                          {"outcome": "maintained", "reason": "Stands."})
            assert status == (422 if d in resolved else 200), (d, status)
    resolved, problems = _consistent(db)
    assert not problems and resolved == set(disputes)


def test_kill_9_mid_publication_leaves_the_publication_as_it_was(db, tmp_path):
    """The server is stopped dead inside the publication's transaction: on PostgreSQL after it has written the
    publication row and waits for the log's head (held here); on SQLite while it waits for the write lock."""
    token, _ = _prepare(db)
    with db.sessions() as session:
        before = session.get(Publication, 2026)
        was = (before.publish_at, before.scheduled_by) if before else None
        count = activity.count(session)
    holder: Any
    if db.backend == "postgresql":
        holder = db.engine.connect()
        holder.execute(text("SELECT seq FROM activity_head WHERE id = 1 FOR UPDATE"))
    else:
        holder = sqlite3.connect(make_url(db.url).database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    try:
        with server(db, tmp_path) as first:
            answer: list[int] = []
            put = threading.Thread(target=lambda: answer.append(call(
                f"{first.url}/api/v1/publications/2026", "PUT", token,  # type: ignore[attr-defined]
                {"publish_at": "2026-06-01T00:00:00", "note": "confirmed"})))
            put.start()
            _wait_until_blocked(db, holder, answer)
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(10)
            put.join(40)
            assert answer in ([0], [503]), answer  # no answer (or SQLite gave up waiting): not a 2xx
    finally:
        holder.rollback()
        holder.close()
    with db.sessions() as session:
        after = session.get(Publication, 2026)
        assert ((after.publish_at, after.scheduled_by) if after else None) == was
        assert activity.count(session) == count and activity.verify(session) == []
    with server(db, tmp_path) as second:
        assert call(f"{second.url}/api/v1/publications/2026", "PUT", token,  # type: ignore[attr-defined]
                    {"publish_at": "2026-06-01T00:00:00", "note": "confirmed"}) == 200
    with db.sessions() as session:
        assert session.get(Publication, 2026).scheduled_by == "ann"
        assert activity.entries(session, limit=1)[0].action == "publication.schedule"
        assert activity.verify(session) == []


def _wait_until_blocked(db: TestDatabase, holder: Any, answer: list[int], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert not answer, f"the publication was answered {answer} before it could be stopped"
        if db.backend == "postgresql":
            with db.engine.connect() as probe:  # not the holder's: a transaction sees one snapshot of the activity
                waiting = probe.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid() "
                    "AND query ILIKE '%activity_head%'")).scalar()
            if waiting:
                return
        else:
            time.sleep(1)  # the request is in flight and waits at BEGIN IMMEDIATE (the wait is 5 s)
            return
        time.sleep(0.05)
    raise AssertionError("the server never reached the publication's write")


def test_a_restore_into_a_database_a_server_uses_is_refused(db, tmp_path):
    _prepare(db)
    archive = tmp_path / "backup.zip"
    backup.backup(db.engine, archive)
    with db.sessions() as session:
        count = activity.count(session)
    with server(db, tmp_path):
        done = subprocess.run([TIPTIERS, "restore", str(archive), "--replace"], capture_output=True, text=True,
                              env={**os.environ, "TIPTIERS_DATABASE_URL": db.url}, timeout=120)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "a server is using this database" in done.stderr and "Traceback" not in done.stderr
    with db.sessions() as session:
        assert activity.count(session) == count  # nothing restored, nothing logged
    summary = backup.restore(db.engine, archive, replace=True, actor="test")  # the server stopped: allowed
    assert summary.rows > 0
    with db.sessions() as session:
        assert activity.entries(session, limit=1)[0].action == "backup.restore"
        assert activity.verify(session) == []


def test_a_restore_after_a_server_was_killed_is_allowed(db, tmp_path):
    archive = tmp_path / "backup.zip"
    backup.backup(db.engine, archive)
    with server(db, tmp_path) as served:
        os.killpg(served.pid, signal.SIGKILL)
        served.wait(10)
    assert backup.restore(db.engine, archive, replace=True).rows > 0  # the dead server's lock went with it
