"""The whole-report PDF is made at publication (CLI, the server's background child), stored, and never made while a
visitor waits: 503 with Retry-After until the first one exists, the last one while a newer one is made."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tiptiers.cli import app as cli
from tiptiers.publish import reportpdf
from tiptiers.sources.placements import parse_placements
from tiptiers.store import publication as pub
from tiptiers.store.db import transaction
from tiptiers.store.placements import import_placements, sync_countries
from tiptiers.web.app import create_app
from tiptiers.web.routes import publish as routes

ROWS = "iso3,year,tier\nJPN,2014,2\nJPN,2015,2\nKOR,2015,1\nCHN,2015,2WL\nJPN,2027,3\n"


@pytest.fixture
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from conftest import TestDatabase

    database = TestDatabase("sqlite", tmp_path_factory)
    with transaction(database.sessions) as s:
        sync_countries(s)
        import_placements(s, parse_placements(ROWS, source="small.csv"), source="small.csv")
    yield database
    database.drop()


def pdf_text(data: bytes) -> str:
    out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True, timeout=60)
    return " ".join(out.stdout.decode().split())


def wait_for_report(client: TestClient, url: str, seconds: float = 180) -> bytes:
    """Ask as a visitor would, honouring Retry-After (shortened), until the report is there."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        response = client.get(url)
        if response.status_code == 200:
            return response.content
        assert response.status_code == 503, response.text
        time.sleep(0.5)
    pytest.fail(f"{url} was not made within {seconds} s")


def test_a_visitor_never_waits_for_the_report_it_is_made_in_the_background(db):
    client = TestClient(create_app(db.url))
    first = client.get("/reports/2015.pdf")
    assert first.status_code == 503 and int(first.headers["retry-after"]) > 0
    assert "being made" in first.json()["error"]["detail"]
    page = client.get("/reports/2015.pdf", headers={"accept": "text/html"})
    assert page.status_code == 503 and page.headers["retry-after"] and "being made" in page.text
    body = wait_for_report(client, "/reports/2015.pdf")
    assert body[:5] == b"%PDF-"
    text = pdf_text(body)
    assert "Trafficking in Persons Report 2015" in text and "Korea" in text and "Tier 2 Watch List" in text
    assert client.get("/reports/2027.pdf").status_code == 404  # embargoed: neither made nor served


def test_after_a_correction_the_last_report_is_served_while_the_new_one_is_made(db):
    directory = reportpdf.reports_dir(db.url)
    made = reportpdf.build(db.sessions, directory, 2015)
    assert made is not None and made.path.is_file()
    unchanged = reportpdf.build(db.sessions, directory, 2015)  # nothing changed: checked, not laid out again
    assert unchanged is not None and unchanged.built_at == made.built_at and unchanged.digest == made.digest
    client = TestClient(create_app(db.url))
    before = client.get("/reports/2015.pdf")
    assert before.status_code == 200 and "Corrected figure" not in pdf_text(before.content)
    with transaction(db.sessions) as s:
        pub.save_narrative(s, "JPN", 2015, "# Japan\n\nCorrected figure: 12 convictions.", "ana", note="figure")
    during = client.get("/reports/2015.pdf")
    assert during.status_code == 200  # the last one, at once, while the child makes the new one
    deadline = time.monotonic() + 180
    while "Corrected figure" not in pdf_text(client.get("/reports/2015.pdf").content):
        assert time.monotonic() < deadline, "the corrected report was not made"
        time.sleep(0.5)


def test_publish_makes_the_report_pdf_once_the_year_is_public(db, monkeypatch, tmp_path):
    monkeypatch.setenv("TIPTIERS_DATABASE_URL", db.url)
    monkeypatch.setenv("TIPTIERS_REPORTS_DIR", str(tmp_path / "reports"))
    runner = CliRunner()
    scheduled = runner.invoke(cli, ["publish", "2027", "--at", "2027-06-20T14:00", "--json"])
    assert scheduled.exit_code == 0, scheduled.output
    assert '"report_pdf"' not in scheduled.stdout and not (tmp_path / "reports" / "report-2027.pdf").exists()
    published = runner.invoke(cli, ["publish", "2015"])
    assert published.exit_code == 0, published.output
    assert "Whole report:" in published.stdout
    stored = reportpdf.stored(tmp_path / "reports", 2015)
    assert stored is not None and "Trafficking in Persons Report 2015" in pdf_text(stored.path.read_bytes())
    served = TestClient(create_app(db.url)).get("/reports/2015.pdf")
    assert served.status_code == 200 and served.content == stored.path.read_bytes()


def test_the_server_starts_the_report_when_a_publication_time_passes(db, monkeypatch):
    started: list[int] = []
    now = [datetime(2027, 6, 20, 13, 59)]
    with transaction(db.sessions) as s:
        pub.schedule_publication(s, 2027, datetime(2027, 6, 20, 14, 0), "admin", now=datetime(2026, 11, 1))
    monkeypatch.setattr(pub, "utcnow", lambda: now[0])
    monkeypatch.setattr(reportpdf, "start_build", lambda url, year: started.append(year) or True)
    app = create_app(db.url)

    async def run() -> None:
        watcher = asyncio.create_task(routes.build_reports_when_published(app, every=0.01))
        await asyncio.sleep(0.1)
        assert started == []  # before the time nothing is made
        now[0] += timedelta(minutes=2)
        for _ in range(300):
            if started:
                break
            await asyncio.sleep(0.01)
        watcher.cancel()

    asyncio.run(run())
    assert started == [2027]


def test_a_second_builder_leaves_it_to_the_first(db, tmp_path: Path):
    directory = tmp_path / "reports"
    directory.mkdir()
    with reportpdf.claim(directory, 2015) as held:
        assert held and reportpdf.building(directory, 2015)
        assert reportpdf.build(db.sessions, directory, 2015) is None
    assert not reportpdf.building(directory, 2015)
