"""A site to measure, shared by bench/routes.py and bench/load.py: a fresh database on SQLite or PostgreSQL with the
bundled history, the cable 08TOKYO1528 and accounts (analysts, reviewers, liaisons, each with an API token), and
`tiptiers serve` on a loopback port, stopped afterwards. Not a benchmark itself."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import HOST, free_port, wait_up  # bench/serve.py: the loopback helpers

TIPTIERS = str(Path(sys.executable).with_name("tiptiers"))
FIXTURE = Path("/work/shared/fixtures/cables/08TOKYO1528.txt")
POSTGRES_URL = os.environ.get("TIPTIERS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "correct horse battery staple"
LIAISON_COUNTRIES = ["JPN", "CHN", "THA", "MYS", "KOR", "IND", "IDN", "PHL", "VNM", "BRA"]


@dataclass
class Site:
    backend: str
    url: str  # TIPTIERS_DATABASE_URL
    base: str = ""  # http://host:port once served
    tokens: dict[str, str] = field(default_factory=dict)  # account name -> bearer token
    roles: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # account name -> (role, country)
    pid: int = 0  # of the server, once served


def _database(backend: str, workdir: Path) -> tuple[str, object]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if backend == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}", lambda: None
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), drop


def prepare(backend: str, workdir: Path, staff: int = 1, liaisons: int = 0,
            reviewers: bool = True) -> tuple[Site, object]:
    """The database with `staff` analysts (and, `reviewers`, every third a reviewer) and `liaisons` liaisons, each
    with a token."""
    from tiptiers.sources.cable_files import iter_cable_inputs
    from tiptiers.store import migrate, users
    from tiptiers.store.cables import ingest
    from tiptiers.store.db import make_engine, session_factory, transaction
    from tiptiers.store.placements import load_bundled

    url, drop = _database(backend, workdir)
    site = Site(backend, url)
    engine = make_engine(url)
    migrate.upgrade(engine)
    sessions = session_factory(engine)
    accounts: list[tuple[str, str, str | None]] = [
        (f"staff{i}", "reviewer" if reviewers and i % 3 == 2 else "analyst", None) for i in range(staff)]
    accounts += [(f"liaison{i}", "liaison", LIAISON_COUNTRIES[i % len(LIAISON_COUNTRIES)]) for i in range(liaisons)]
    with transaction(sessions) as session:
        load_bundled(session)
        for name, role, country in accounts:
            users.create_user(session, name, role, PASSWORD, country, actor="bench")
            site.tokens[name], _ = users.create_api_token(session, name, label="bench", actor="bench")
            site.roles[name] = (role, country)
    if FIXTURE.exists():
        ingest(sessions, iter_cable_inputs([FIXTURE]))
    engine.dispose()
    return site, drop


@contextmanager
def served(backend: str, staff: int = 1, liaisons: int = 0, reviewers: bool = True, workers: int = 1
           ) -> Iterator[Site]:
    """A prepared site, served by `tiptiers serve --no-access-log --workers N` until the block ends; then dropped."""
    with tempfile.TemporaryDirectory() as tmp:
        site, drop = prepare(backend, Path(tmp), staff, liaisons, reviewers)
        port = free_port()
        env = {**os.environ, "TIPTIERS_DATABASE_URL": site.url, "TIPTIERS_REPORTS_DIR": str(Path(tmp) / "reports")}
        log_file = (Path(tmp) / "serve.log").open("wb")
        server = subprocess.Popen([TIPTIERS, "serve", "--host", HOST, "--port", str(port), "--no-access-log",
                                   "--workers", str(workers)],
                                  env=env, stdout=subprocess.DEVNULL, stderr=log_file)
        try:
            site.base = f"http://{HOST}:{port}"
            site.pid = server.pid
            wait_up(f"{site.base}/api/v1/years", server)
            yield site
        finally:
            server.terminate()
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
            log_file.close()
            log = (Path(tmp) / "serve.log").read_text(errors="replace")
            if "Traceback" in log or "TimeoutError" in log:
                print(f"  server log of {backend} has errors:\n" + "\n".join(log.splitlines()[-15:]))
            drop()  # type: ignore[operator]


def login(base: str, name: str) -> str:
    """A session cookie value for the account (POST /api/v1/session)."""
    import httpx

    response = httpx.post(f"{base}/api/v1/session", json={"name": name, "password": PASSWORD}, timeout=30)
    response.raise_for_status()
    return response.cookies["tiptiers_session"]
