"""Fixtures shared by every test. Store tests run on SQLite and on PostgreSQL, never skipped.

PostgreSQL: $TIPTIERS_TEST_POSTGRES_URL (set by `make test`, which starts a server if none runs), else the
server of the development and CI machines on 127.0.0.1:5432. Each test database is a private schema, so
tests may run side by side. On SQLite, each is a copy of a file migrated once per test process.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tiptiers.store import migrate
from tiptiers.store.db import make_engine, session_factory, transaction
from tiptiers.store.placements import load_bundled

POSTGRES_URL = os.environ.get("TIPTIERS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]


def _postgres_schema_url(schema: str) -> str:
    url = make_url(POSTGRES_URL)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


_sqlite_template: list[Any] = []  # this process's migrated, empty SQLite file, made once


# The whole-report PDF is laid out by a niced child process (publish/reportpdf.py), so that a server comes first; in
# a test run the other test processes are what it would step back for, and the tests waiting on it took minutes.
os.environ.setdefault("TIPTIERS_REPORT_NICE", "0")


def _migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A copy of a file migrated once per test process: copying is a hundredth of migrating. (On PostgreSQL a
    database copied from a template is as quick, but dropping one waits for a checkpoint: the schemas stay.)"""
    if not _sqlite_template:
        path = tmp_path_factory.mktemp("template") / "tiptiers.db"
        engine = make_engine(f"sqlite:///{path}")
        migrate.upgrade(engine)
        with engine.connect() as conn:  # everything in the main file, so that a copy of it alone is whole
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        _sqlite_template.append(path)
    copy = tmp_path_factory.mktemp("db") / "tiptiers.db"
    shutil.copyfile(_sqlite_template[0], copy)
    return copy


class TestDatabase:
    """A new, migrated database; `url` is what TIPTIERS_DATABASE_URL would hold."""

    __test__ = False  # a helper, not a test class

    def __init__(self, backend: str, tmp_path_factory: pytest.TempPathFactory):
        self.backend = backend
        self.schema = f"t_{uuid.uuid4().hex[:12]}"
        if backend == "sqlite":
            self.url = f"sqlite:///{_migrated_sqlite_file(tmp_path_factory)}"
            self.engine = make_engine(self.url)
        else:
            admin = create_engine(POSTGRES_URL)
            try:
                with admin.begin() as conn:
                    conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
            except Exception as exc:  # pragma: no cover - the message is the point
                pytest.fail(f"PostgreSQL not reachable at {POSTGRES_URL} ({exc}); run `make test`")
            finally:
                admin.dispose()
            self.url = _postgres_schema_url(self.schema)
            self.engine = make_engine(self.url)
            migrate.upgrade(self.engine)
        self.sessions = session_factory(self.engine)

    def load_bundled(self) -> TestDatabase:
        with transaction(self.sessions) as session:
            load_bundled(session)
        return self

    def drop(self) -> None:
        self.engine.dispose()
        if self.backend == "postgresql":
            admin = create_engine(POSTGRES_URL)
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{self.schema}" CASCADE'))
            admin.dispose()


@pytest.fixture(params=BACKENDS)
def fresh_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    """An empty, migrated database on each backend; the test may write to it."""
    db = TestDatabase(request.param, tmp_path_factory)
    yield db
    db.drop()


@pytest.fixture(scope="session", params=BACKENDS)
def loaded_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    """The bundled history on each backend, shared by the session: read only."""
    db = TestDatabase(request.param, tmp_path_factory).load_bundled()
    yield db
    db.drop()


@pytest.fixture(scope="session")
def loaded_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    """The bundled history on SQLite only, for tests of things other than the store (CLI output, browser)."""
    db = TestDatabase("sqlite", tmp_path_factory).load_bundled()
    yield db
    db.drop()


@pytest.fixture
def make_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], TestDatabase]]:
    """Make extra empty databases on a named backend ("sqlite" or "postgresql"), dropped after the test."""
    made: list[TestDatabase] = []

    def make(backend: str) -> TestDatabase:
        made.append(TestDatabase(backend, tmp_path_factory))
        return made[-1]

    yield make
    for db in made:
        db.drop()


CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling out on a machine with no network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextmanager
def serve_app(app: Any) -> Iterator[str]:
    """Serve an ASGI app on a free loopback port in a thread for the browser tests; yield its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("the app did not start within 10 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium, driven by Playwright."""
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Inbox:
    """An SMTP server's handler (aiosmtpd): keeps every message; refuses the next `refuse` ones with a temporary
    error (451), as a busy server does."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.refuse = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd calls it so
        from email import message_from_bytes, policy

        with self.lock:
            if self.refuse:
                self.refuse -= 1
                return "451 4.3.0 try again later"
            self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    """A real SMTP server on a free loopback port, and TIPTIERS_SMTP_URL pointing at it."""
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("TIPTIERS_SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv("TIPTIERS_BASE_URL", "https://tiptiers.example")
    yield inbox
    controller.stop()


class ConnectionsPerRequest:
    """The most pooled connections one request of `app` held at once (`peaks`: path -> peak). A request that holds
    one while it waits for another is how 50 logged-in visitors took the whole pool and stalled the server (issue 13
    item 1): every route must get by with one. Install before the app's first request."""

    __test__ = False

    def __init__(self, app: Any):
        from contextvars import ContextVar

        from sqlalchemy import event

        self.peaks: dict[str, int] = {}
        current: ContextVar[list[Any] | None] = ContextVar("tiptiers_request_connections", default=None)
        engine = app.state.sessions.kw["bind"]

        def checkout(*_: Any) -> None:
            held = current.get()
            if held is not None:
                held[1] += 1
                self.peaks[held[0]] = max(self.peaks.get(held[0], 0), held[1])

        def checkin(*_: Any) -> None:
            held = current.get()
            if held is not None:
                held[1] -= 1

        event.listen(engine, "checkout", checkout)
        event.listen(engine, "checkin", checkin)
        event.listen(engine, "detach", checkin)  # the page cache's change check keeps one of its own

        def outermost(inner: Any) -> Any:
            async def counted(scope: Any, receive: Any, send: Any) -> None:
                if scope["type"] != "http":
                    return await inner(scope, receive, send)
                token = current.set([f"{scope['method']} {scope['path']}", 0])  # the worker threads see it too
                try:
                    await inner(scope, receive, send)
                finally:
                    current.reset(token)
            return counted

        app.add_middleware(outermost)

    def over_one(self) -> dict[str, int]:
        return {path: peak for path, peak in self.peaks.items() if peak > 1}
