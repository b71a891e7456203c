"""Release day: 90% public pages and JSON, 10% analyst writes, against `tiptiers serve` on SQLite and PostgreSQL.

For each backend: a fresh database with the bundled history, the cable 08TOKYO1528 and an analyst with an API token;
`tiptiers serve` on loopback; a second process drives it with --clients threads (keep-alive HTTP/1.1) for --seconds.
Writes are POST /api/v1/evidence, each with a unique marker; a write counts as acknowledged when the server answered
201. Afterwards the database is read directly: every acknowledged write must be there, exactly once.
Prints requests/s, p50/p99 latency for reads and writes, errors (5xx, refused connections, timeouts), lost writes.

    .venv/bin/python bench/load.py [--seconds 60] [--clients 8] [--backend sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import HOST, free_port, wait_up  # bench/serve.py: the loopback helpers

TIPTIERS = str(Path(sys.executable).with_name("tiptiers"))
FIXTURE = Path("/work/shared/fixtures/cables/08TOKYO1528.txt")
POSTGRES_URL = os.environ.get("TIPTIERS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
READS = [
    "/", "/years/2008", "/countries/JPN", "/countries/CHN", "/map/2008", "/narratives/JPN/2008", "/movements/2008",
    "/search?q=trafficking", "/cables/08TOKYO1528", "/api/v1/years", "/api/v1/years/2008/placements",
    "/api/v1/countries/JPN/placements", "/api/v1/countries/JPN/timeline", "/api/v1/map/2008.json",
    "/api/v1/narratives/JPN/2008.json", "/api/v1/search?q=disappointed", "/api/v1/cables/08TOKYO1528",
    "/api/v1/data/placements.csv?year=2008", "/api/v1/methodology?year=2008",
]
WRITE_SHARE = 0.10


def prepare(backend: str, workdir: Path) -> tuple[str, str, Any]:
    """A fresh database: (url, the analyst's token, a cleanup function)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from tiptiers.sources.cable_files import iter_cable_inputs
    from tiptiers.store import migrate, users
    from tiptiers.store.cables import ingest
    from tiptiers.store.db import make_engine, session_factory, transaction
    from tiptiers.store.placements import load_bundled

    cleanup: Any = lambda: None  # noqa: E731
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'load.db'}"
    else:
        schema = f"load_{uuid.uuid4().hex[:10]}"
        admin = create_engine(POSTGRES_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)

        def cleanup() -> None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

    engine = make_engine(url)
    migrate.upgrade(engine)
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        load_bundled(session)
        users.create_user(session, "loadanalyst", "analyst", "correct horse battery staple", actor="bench")
        token, _ = users.create_api_token(session, "loadanalyst", label="load", actor="bench")
    if FIXTURE.exists():
        ingest(sessions, iter_cable_inputs([FIXTURE]))
    engine.dispose()
    return url, token, cleanup


def drive(base: str, token: str, seconds: float, clients: int, out: Any) -> None:
    """The load generator (runs in its own process): sends results back through `out`."""
    import httpx

    lock = threading.Lock()
    reads: list[float] = []
    by_path: dict[str, list[float]] = {}
    writes: list[float] = []
    errors: list[str] = []
    acknowledged: list[str] = []
    stop = time.monotonic() + seconds

    def client_loop(seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=base, timeout=30) as http:
            while time.monotonic() < stop:
                write = rng.random() < WRITE_SHARE
                marker = f"LOADMARK{uuid.uuid4().hex}"
                started = time.perf_counter()
                try:
                    if write:
                        r = http.post("/api/v1/evidence", headers={"Authorization": f"Bearer {token}"}, json={
                            "iso3": rng.choice(["JPN", "CHN", "THA", "MYS"]), "year": 2015,
                            "criteria": ["criterion_1"], "statement": f"Load test claim {marker}.",
                            "source_type": "ngo", "source_name": "Load bench"})
                    else:
                        r = http.get(rng.choice(READS), headers={"accept": "text/html"})
                    elapsed = time.perf_counter() - started
                    with lock:
                        if r.status_code >= 500 or (write and r.status_code != 201) or (not write and r.status_code
                                                                                        >= 400):
                            errors.append(f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text[:120]}")
                        elif write:
                            writes.append(elapsed)
                            acknowledged.append(marker)
                        else:
                            reads.append(elapsed)
                            by_path.setdefault(r.request.url.path, []).append(elapsed)
                except httpx.HTTPError as exc:
                    with lock:
                        errors.append(f"{'POST' if write else 'GET'}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put({"reads": reads, "writes": writes, "errors": errors, "acknowledged": acknowledged, "by_path": by_path})


def stored_markers(url: str) -> list[str]:
    from sqlalchemy import select

    from tiptiers.store.db import make_engine, session_factory
    from tiptiers.store.evidence import Evidence

    engine = make_engine(url)
    with session_factory(engine)() as session:
        statements = list(session.scalars(select(Evidence.statement).where(Evidence.source_name == "Load bench")))
    engine.dispose()
    return [s.removeprefix("Load test claim ").removesuffix(".") for s in statements]


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) >= 2 else float("nan")


def run(backend: str, seconds: float, clients: int) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        url, token, cleanup = prepare(backend, Path(tmp))
        port = free_port()
        env = {**os.environ, "TIPTIERS_DATABASE_URL": url}
        server = subprocess.Popen([TIPTIERS, "serve", "--host", HOST, "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            base = f"http://{HOST}:{port}"
            wait_up(f"{base}/api/v1/years", server)
            queue: Any = multiprocessing.get_context("spawn").Queue()
            loader = multiprocessing.get_context("spawn").Process(target=drive,
                                                                   args=(base, token, seconds, clients, queue))
            started = time.perf_counter()
            loader.start()
            result = queue.get(timeout=seconds + 300)
            loader.join(60)
            elapsed = time.perf_counter() - started
        finally:
            server.terminate()
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
        acknowledged = result["acknowledged"]
        stored = stored_markers(url)
        lost = sorted(set(acknowledged) - set(stored))
        duplicated = len(stored) - len(set(stored))
        cleanup()
    total = len(result["reads"]) + len(result["writes"])
    print(f"== {backend}: {seconds:.0f} s, {clients} clients, {WRITE_SHARE:.0%} writes")
    print(f"  requests: {total} answered ({total / elapsed:.0f}/s), reads {len(result['reads'])}, "
          f"writes {len(result['writes'])}")
    print(f"  latency reads:  p50 {p(result['reads'], 50):.1f} ms, p99 {p(result['reads'], 99):.1f} ms")
    print(f"  latency writes: p50 {p(result['writes'], 50):.1f} ms, p99 {p(result['writes'], 99):.1f} ms")
    slowest = sorted(result["by_path"].items(), key=lambda kv: -max(kv[1]))[:3]
    print("  slowest reads: " + ", ".join(f"{path} (max {max(t) * 1000:.0f} ms, median "
                                          f"{statistics.median(t) * 1000:.0f} ms)" for path, t in slowest))
    print(f"  errors: {len(result['errors'])}")
    for line in sorted(set(result["errors"]))[:10]:
        print(f"    {line}")
    print(f"  writes acknowledged: {len(acknowledged)}, stored: {len(stored)}, lost: {len(lost)}, "
          f"stored twice: {duplicated}")
    return not result["errors"] and not lost and not duplicated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60, help="how long to drive each backend (default 60)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent keep-alive clients (default 8)")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    ok = all([run(b, args.seconds, args.clients) for b in backends])
    print("target met: zero errors, zero lost writes" if ok else "TARGET MISSED: see errors and lost writes above")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
