"""The job queue as operators meet it, on both backends: `tiptiers worker` processes (two at once run each job once,
SIGTERM stops them cleanly), `tiptiers queue list` and `tiptiers queue retry`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tiptiers.cli import app as cli
from tiptiers.store import jobs, notices
from tiptiers.store.db import transaction
from tiptiers.store.users import create_user, require_user

PASSWORD = "correct horse battery staple"


@pytest.fixture
def db(fresh_db):
    fresh_db.load_bundled()
    with transaction(fresh_db.sessions) as session:
        create_user(session, "tanaka", "liaison", PASSWORD, country="JPN", email="tanaka@mofa.example")
    return fresh_db


def queue_notices(db, n: int) -> list[int]:
    with transaction(db.sessions) as session:
        user = require_user(session, "tanaka")
        made = [notices.notify(session, user, "draft_sent", {"country": "Japan", "year": 2027,
                                                              "deadline": "2027-05-30"}, "/review/JPN/2027",
                               key=f"n{i}") for i in range(n)]
        return [m.id for m in made if m is not None]


def start_worker(db, name: str) -> subprocess.Popen[bytes]:
    tiptiers = Path(sys.executable).parent / "tiptiers"
    env = {**os.environ, "TIPTIERS_DATABASE_URL": db.url}
    return subprocess.Popen([str(tiptiers), "worker", "--name", name], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def test_two_worker_processes_send_each_notice_once_and_stop_on_sigterm(db, smtp):
    ids = queue_notices(db, 12)
    workers = [start_worker(db, "a"), start_worker(db, "b")]
    try:
        deadline = time.monotonic() + 120
        while len(smtp.messages) < len(ids):
            assert time.monotonic() < deadline, f"only {len(smtp.messages)} of {len(ids)} sent"
            assert all(w.poll() is None for w in workers), workers[0].stderr.read().decode()  # type: ignore[union-attr]
            time.sleep(0.3)
        time.sleep(2)  # time for a second sending, were there one
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        codes = [w.wait(30) for w in workers]
    assert codes == [0, 0]
    assert len(smtp.messages) == len(ids)
    with db.sessions() as session:
        assert {session.get(notices.Notice, i).state for i in ids} == {"sent"}
        done = jobs.list_jobs(session, "done")
    assert len(done) == len(ids) and all(j.attempts == 1 for j in done)


def test_queue_lists_a_failed_job_with_its_error_and_retries_it(db, smtp, monkeypatch):
    monkeypatch.setenv("TIPTIERS_DATABASE_URL", db.url)
    smtp.refuse = 99
    [notice_id] = queue_notices(db, 1)
    with db.sessions() as session:
        job_id = session.get(notices.Notice, notice_id).job_id
    for _ in range(5):
        jobs.run_due(db.sessions)
        with transaction(db.sessions) as session:
            if jobs.get_job(session, job_id).state == "queued":
                jobs.requeue(session, job_id)  # its back-off over
    runner = CliRunner()
    listed = runner.invoke(cli, ["queue", "list", "--state", "failed", "--json"])
    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.stdout)
    assert row["id"] == job_id and row["task"] == "notice.send" and row["attempts"] == 5 and "451" in row["last_error"]
    shown = runner.invoke(cli, ["queue", "list"])
    assert f"#{job_id}" in shown.stdout and "failed" in shown.stdout and "451" in shown.stdout

    smtp.refuse = 0
    retried = runner.invoke(cli, ["queue", "retry", str(job_id)])
    assert retried.exit_code == 0 and "1 job(s) queued" in retried.stdout
    assert jobs.run_due(db.sessions).done == 1 and len(smtp.messages) == 1
    with db.sessions() as session:
        assert session.get(notices.Notice, notice_id).state == "sent"
    again = runner.invoke(cli, ["queue", "retry", str(job_id)])  # done now: nothing to retry
    assert again.exit_code == 2 and f"no failed or queued job #{job_id}" in again.output


def test_queue_refuses_bad_input_by_name(db, monkeypatch):
    monkeypatch.setenv("TIPTIERS_DATABASE_URL", db.url)
    runner = CliRunner()
    bad_state = runner.invoke(cli, ["queue", "list", "--state", "stuck"])
    assert bad_state.exit_code == 2 and "--state: 'stuck'" in bad_state.output
    nothing = runner.invoke(cli, ["queue", "retry"])
    assert nothing.exit_code == 2 and "--all-failed" in nothing.output
    assert runner.invoke(cli, ["queue", "list"]).stdout.strip() == "no jobs"


def test_serve_with_two_worker_processes_on_sqlite_sends_each_notice_once(make_db, smtp, tmp_path):
    db = make_db("sqlite")
    db.load_bundled()
    with transaction(db.sessions) as session:
        create_user(session, "tanaka", "liaison", PASSWORD, country="JPN", email="tanaka@mofa.example")
    ids = queue_notices(db, 10)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tiptiers = Path(sys.executable).parent / "tiptiers"
    server = subprocess.Popen([str(tiptiers), "serve", "--port", str(port), "--workers", "2", "--no-access-log"],
                              env={**os.environ, "TIPTIERS_DATABASE_URL": db.url}, cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while len(smtp.messages) < len(ids):
            assert time.monotonic() < deadline and server.poll() is None, f"{len(smtp.messages)} of {len(ids)} sent"
            time.sleep(0.3)
        time.sleep(6)  # a round of each worker process more: a second sending would show now
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    assert len(smtp.messages) == len(ids)
    with db.sessions() as session:
        assert {j.attempts for j in jobs.list_jobs(session, "done")} == {1}
