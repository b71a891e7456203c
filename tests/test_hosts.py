"""Two app hosts and a worker behind nginx on one PostgreSQL (tests/cluster.py starts them as deploy/ configures
them): any host serves any request and nothing is kept on a host; an edit through one host is served by the other;
a publication makes its report PDF once, by the queue, and both hosts serve it; a host killed under load loses no
write and nginx sends its traffic to the other."""

from __future__ import annotations

import gzip
import http.client
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cluster import Cluster
from tiptiers.sources.placements import parse_placements
from tiptiers.store import jobs
from tiptiers.store.db import transaction
from tiptiers.store.placements import import_placements
from tiptiers.store.publication import NarrativeVersion, utcnow
from tiptiers.store.users import create_api_token, create_user

PASSWORD = "correct horse battery staple"
WRITERS = ("JPN", "KOR", "CHN", "THA")


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Cluster, str]]:
    from conftest import TestDatabase

    db = TestDatabase("postgresql", tmp_path_factory).load_bundled()
    rows = "iso3,year,tier\n" + "".join(f"{c},2027,2\n{c},2026,2\n" for c in WRITERS)
    with transaction(db.sessions) as session:
        import_placements(session, parse_placements(rows, source="hosts.csv"), source="hosts.csv")
        create_user(session, "ana", "admin", PASSWORD)
        token, _ = create_api_token(session, "ana")
    try:
        with Cluster(db.url, tmp_path_factory.mktemp("hosts"), serve_args=("--access-log",)) as cluster:
            yield db, cluster, token
    finally:
        db.drop()


def call(url: str, method: str = "GET", body: dict[str, Any] | None = None, token: str | None = None,
         headers: dict[str, str] | None = None, timeout: float = 30) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None,
                                     headers={**({"Content-Type": "application/json"} if body is not None else {}),
                                              **({"Authorization": f"Bearer {token}"} if token else {}),
                                              **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(), {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), {k.lower(): v for k, v in exc.headers.items()}


def test_an_edit_through_one_host_is_served_changed_by_the_other_within_a_second(hosts):
    _db, cluster, token = hosts
    one, other = cluster.apps_running()[:2]
    page = "/narratives/JPN/2015"
    for _ in range(2):  # the other host has it in its page cache
        status, _, _ = call(other.url + page)
        assert status == 200
    marker = f"Corrected through host one {uuid.uuid4().hex[:8]}"
    status, _, _ = call(one.url + "/api/v1/narratives/JPN/2015", "POST",
                        {"markdown": f"# Japan\n\n{marker}.", "note": "figure corrected"}, token)
    assert status == 200
    saved = time.monotonic()
    while marker.encode() not in call(other.url + page)[1]:
        assert time.monotonic() - saved < 1.0, "the other host still served the old page after a second"
        time.sleep(0.02)
    assert marker.encode() in call(cluster.url + page)[1] and marker.encode() in call(cluster.url + page)[1]


def test_a_publication_makes_its_report_once_and_every_host_serves_it(hosts):
    db, cluster, token = hosts
    one, other = cluster.apps_running()[:2]
    at = (utcnow() + timedelta(seconds=1)).isoformat()
    status, body, _ = call(one.url + "/api/v1/publications/2027", "PUT", {"publish_at": at}, token)
    assert status == 200, body
    deadline = time.monotonic() + 240
    while True:
        with db.sessions() as session:
            made = [j for j in jobs.list_jobs(session) if j.task == "report.pdf"]
        if made and made[0].state in ("done", "failed"):
            break
        assert time.monotonic() < deadline, f"the report job did not run: {made}"
        time.sleep(0.5)
    assert [(j.state, j.attempts) for j in made] == [("done", 1)]  # one job, run once
    served = [call(h.url + "/reports/2027.pdf") for h in (one, other)] + [call(cluster.url + "/reports/2027.pdf")]
    assert {s for s, _, _ in served} == {200}
    assert served[0][1][:5] == b"%PDF-" and served[0][1] == served[1][1] == served[2][1]
    with db.sessions() as session:
        assert [j.task for j in jobs.list_jobs(session) if j.task == "report.pdf"] == ["report.pdf"]  # none more
    for process in cluster.processes:  # nothing of it on any host
        kept = [p for p in process.folder.rglob("*") if p.is_file() and (p.suffix == ".pdf" or "report" in p.name)]
        assert kept == [], f"{process.name} keeps {kept}"
    assert not (Path.cwd() / "var").exists() or not list((Path.cwd() / "var").glob("reports-*"))


def test_nginx_serves_the_static_files_itself_compressed(hosts):
    _db, cluster, _token = hosts
    status, body, headers = call(cluster.url + "/static/tiptiers.css", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip" and headers["server"].startswith("nginx")
    assert "max-age=3600" in headers["cache-control"]
    assert b"{" in gzip.decompress(body)
    assert "x-content-type-options" not in headers  # the app, which adds it, never saw the request


def seen_as(cluster: Cluster, url: str, forged: str) -> str:
    """The client address the app logged for a request from 127.0.0.3 that claims to come from `forged`."""
    parsed = urllib.parse.urlsplit(url)
    probe = uuid.uuid4().hex
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10,
                                            source_address=("127.0.0.3", 0))
    connection.request("GET", f"/api/v1/years?probe={probe}", headers={"X-Forwarded-For": forged})
    assert connection.getresponse().status == 200
    connection.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for log in cluster.root.glob("host*.log"):
            for line in log.read_text(errors="replace").splitlines():
                if probe in line:
                    return line.split(" - ", 1)[0].split()[-1].rsplit(":", 1)[0]
        time.sleep(0.1)
    raise AssertionError(f"no host logged {probe}")


def test_the_app_sees_the_client_address_nginx_saw_and_nobody_can_forge_it(hosts):
    _db, cluster, _token = hosts
    assert seen_as(cluster, cluster.url, "6.6.6.6") == "127.0.0.3"  # nginx replaced the forged header
    direct = cluster.apps_running()[0].url
    assert seen_as(cluster, direct, "6.6.6.6") == "127.0.0.3"  # not from a trusted proxy: the header is ignored


def test_killing_a_host_under_load_loses_no_write_and_nginx_uses_the_other(hosts):
    db, cluster, token = hosts
    victim = cluster.apps_running()[0]
    results: list[tuple[str, int, float]] = []  # marker (or "" for a read), status, time
    stop = threading.Event()
    lock = threading.Lock()

    def writer(iso3: str) -> None:
        while not stop.is_set():
            marker = uuid.uuid4().hex
            status, _, _ = call(cluster.url + f"/api/v1/narratives/{iso3}/2026", "POST",
                                {"markdown": f"# {iso3}\n\nDraft {marker}.", "note": "draft"}, token, timeout=20)
            with lock:
                results.append((marker, status, time.monotonic()))

    def reader() -> None:
        while not stop.is_set():
            status, _, _ = call(cluster.url + "/countries/JPN", timeout=20)
            with lock:
                results.append(("", status, time.monotonic()))

    threads = [threading.Thread(target=writer, args=(c,)) for c in WRITERS] + \
              [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    time.sleep(3)
    killed_at = time.monotonic()
    cluster.kill(victim)
    time.sleep(5)
    stop.set()
    for t in threads:
        t.join(30)
    with db.sessions() as session:
        stored = [m for (m,) in session.execute(select(NarrativeVersion.markdown).where(NarrativeVersion.year == 2026))]
    counts: dict[str, int] = {}
    for text in stored:
        marker = text.rsplit(" ", 1)[-1].rstrip(".")
        counts[marker] = counts.get(marker, 0) + 1
    writes = [(m, s) for m, s, _ in results if m]
    lost = [m for m, s in writes if 200 <= s < 300 and counts.get(m) != 1]
    assert lost == [], f"answered 2xx and not stored once: {lost}"
    assert all(n == 1 for n in counts.values()), "a write stored twice: nginx retried a POST"
    assert not set(counts) - {m for m, _ in writes}, "stored, never asked"
    failed = [(m, s) for m, s, _ in results if not 200 <= s < 300]
    assert len(failed) <= len(threads), f"more errors than requests in flight at the kill: {failed}"
    after = [s for _, s, t in results if t > killed_at + 1]
    assert after and all(200 <= s < 300 for s in after), "nginx did not send the traffic to the other host"
    assert sum(1 for m, s in writes if 200 <= s < 300) > 10
