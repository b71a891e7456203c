"""Benchmark the cost of accounts and the activity log.

    .venv/bin/python bench/auth.py                     # a throwaway SQLite database
    .venv/bin/python bench/auth.py postgresql+psycopg://postgres@127.0.0.1:5432/test   # a PostgreSQL database

Prints (1) the argon2 cost of one login check, (2) activity-log appends per second, one per transaction as the
features call it, (3) the time to verify the whole hash chain, per 1,000 entries, and (4) the median latency
of GET /api/v1/session anonymous, with a session cookie, and with a bearer token, through the ASGI app: the
per-request cost of knowing who is asking.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tiptiers.store import activity, migrate
from tiptiers.store import users as store
from tiptiers.store.db import make_engine, session_factory, transaction
from tiptiers.web.app import create_app

PASSWORD = "correct horse battery staple"
APPENDS = 2000


def _database(url: str | None, tmp: Path) -> tuple[str, str | None]:
    if not url:
        return f"sqlite:///{tmp / 'bench.db'}", None
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with create_engine(url).begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    return make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False), schema


def _median_ms(client: TestClient, path: str, n: int = 300, **kwargs: object) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(path, **kwargs)  # type: ignore[arg-type]
        times.append(time.perf_counter() - start)
        assert response.status_code == 200
    return statistics.median(times) * 1000


def main(url: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db_url, schema = _database(url, Path(tmp))
        engine = make_engine(db_url)
        migrate.upgrade(engine)
        factory = session_factory(engine)
        backend = engine.dialect.name
        try:
            with transaction(factory) as session:
                start = time.perf_counter()
                store.create_user(session, "ann", "admin", PASSWORD, actor="bench")
                hash_ms = (time.perf_counter() - start) * 1000
            checks = []
            for _ in range(10):
                with transaction(factory) as session:
                    start = time.perf_counter()
                    assert store.authenticate(session, "ann", PASSWORD) is not None
                    checks.append(time.perf_counter() - start)
            print(f"[{backend}] argon2: create_user {hash_ms:.0f} ms, authenticate median "
                  f"{statistics.median(checks) * 1000:.0f} ms")

            start = time.perf_counter()
            for i in range(APPENDS):
                with transaction(factory) as session:
                    activity.record(session, "bench", "bench.append", f"item:{i}", {"n": i}, {"n": i + 1})
            elapsed = time.perf_counter() - start
            print(f"[{backend}] activity.record: {APPENDS / elapsed:.0f} appends/s, one transaction each")

            with factory() as session:
                start = time.perf_counter()
                problems = activity.verify(session)
                elapsed = time.perf_counter() - start
                entries = activity.count(session)
            assert problems == []
            print(f"[{backend}] activity.verify: {entries} entries in {elapsed * 1000:.0f} ms "
                  f"({elapsed * 1000 / entries * 1000:.0f} ms per 1,000)")

            with transaction(factory) as session:
                token, _ = store.create_api_token(session, "ann", "bench", actor="bench")
            anonymous = TestClient(create_app(db_url))
            browser = TestClient(create_app(db_url))
            browser.post("/api/v1/session", json={"name": "ann", "password": PASSWORD}).raise_for_status()
            anon_ms = _median_ms(anonymous, "/api/v1/session")
            cookie_ms = _median_ms(browser, "/api/v1/session")
            bearer_ms = _median_ms(anonymous, "/api/v1/session", headers={"Authorization": f"Bearer {token}"})
            print(f"[{backend}] GET /api/v1/session median: anonymous {anon_ms:.2f} ms, session cookie "
                  f"{cookie_ms:.2f} ms, bearer token {bearer_ms:.2f} ms")
        finally:
            engine.dispose()
            if schema and url:
                with create_engine(url).begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database_url", nargs="?", help="a PostgreSQL URL; default: a throwaway SQLite database")
    main(parser.parse_args().database_url)
