"""The whole-report PDF is made at publication (CLI, the job queue), stored in the database, and never made while a
visitor waits: 503 with Retry-After until the first one exists, the last one while a newer one is made."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tiptiers.cli import app as cli
from tiptiers.publish import reportpdf
from tiptiers.sources.placements import parse_placements
from tiptiers.store import jobs
from tiptiers.store import publication as pub
from tiptiers.store.db import transaction
from tiptiers.store.placements import import_placements, sync_countries
from tiptiers.web.app import create_app

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
    with TestClient(create_app(db.url, run_jobs=True)) as client:  # the worker thread of `tiptiers serve`
        visit_while_it_is_made(client)


def visit_while_it_is_made(client: TestClient) -> None:
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
    made = reportpdf.build(db.sessions, 2015)
    unchanged = reportpdf.build(db.sessions, 2015)  # nothing changed: checked, not laid out again
    assert unchanged.built_at == made.built_at and unchanged.digest == made.digest
    with TestClient(create_app(db.url, run_jobs=True)) as client:
        before = client.get("/reports/2015.pdf")
        assert before.status_code == 200 and "Corrected figure" not in pdf_text(before.content)
        with transaction(db.sessions) as s:
            pub.save_narrative(s, "JPN", 2015, "# Japan\n\nCorrected figure: 12 convictions.", "ana", note="figure")
        during = client.get("/reports/2015.pdf")
        assert during.status_code == 200  # the last one, at once, while the queue makes the new one
        deadline = time.monotonic() + 180
        while "Corrected figure" not in pdf_text(client.get("/reports/2015.pdf").content):
            assert time.monotonic() < deadline, "the corrected report was not made"
            time.sleep(0.5)


def test_publish_makes_the_report_pdf_once_the_year_is_public(db, monkeypatch):
    monkeypatch.setenv("TIPTIERS_DATABASE_URL", db.url)
    runner = CliRunner()
    scheduled = runner.invoke(cli, ["publish", "2027", "--at", "2027-06-20T14:00", "--json"])
    assert scheduled.exit_code == 0, scheduled.output
    assert '"report_pdf"' not in scheduled.stdout
    published = runner.invoke(cli, ["publish", "2015"])
    assert published.exit_code == 0, published.output
    assert "Whole report: /reports/2015.pdf" in published.stdout
    with db.sessions() as session:
        assert reportpdf.stored(session, 2027) is None
        body = reportpdf.content(session, 2015)
    assert body is not None and "Trafficking in Persons Report 2015" in pdf_text(body)
    served = TestClient(create_app(db.url)).get("/reports/2015.pdf")
    assert served.status_code == 200 and served.content == body


def test_the_queue_makes_the_report_when_the_publication_time_comes(db, monkeypatch):
    monkeypatch.setenv("TIPTIERS_DATABASE_URL", db.url)
    at = pub.utcnow() + timedelta(seconds=3)
    scheduled = CliRunner().invoke(cli, ["publish", "2027", "--at", at.isoformat()])
    assert scheduled.exit_code == 0, scheduled.output
    with db.sessions() as session:
        [job] = jobs.list_jobs(session, "queued")
    assert job.task == reportpdf.BUILD_TASK and job.run_at == at
    assert jobs.run_due(db.sessions).done == 0  # before the time nothing is made
    time.sleep(max(0.0, (at - pub.utcnow()).total_seconds()) + 0.2)
    assert jobs.run_due(db.sessions).done == 1
    with db.sessions() as session:
        assert reportpdf.stored(session, 2027) is not None
        assert "Trafficking in Persons Report 2027" in pdf_text(reportpdf.content(session, 2027) or b"")


def test_hosts_that_find_the_same_stale_report_queue_one_job(db):
    made = reportpdf.build(db.sessions, 2015)
    with db.sessions() as session:
        current = reportpdf.fingerprint(session, 2015)
    assert not reportpdf.queue_if_stale(db.sessions, 2015, made, current, made.checked_at)
    later = made.checked_at + timedelta(hours=2)  # the hourly check is due
    for _host in range(3):
        assert reportpdf.queue_if_stale(db.sessions, 2015, made, current, later)
    with db.sessions() as session:
        assert len(jobs.list_jobs(session, "queued")) == 1


def test_the_report_comes_in_the_language_asked_for_each_made_by_the_queue(db):
    """One stored report per language: a Spanish reader gets the Spanish one (made in the background as the
    English one is), the English one is left as it was."""
    english = reportpdf.build(db.sessions, 2015)
    with TestClient(create_app(db.url, run_jobs=True)) as client:
        first = client.get("/reports/2015.pdf?lang=es")
        assert first.status_code == 503 and int(first.headers["retry-after"]) > 0  # not the English one instead
        spanish = pdf_text(wait_for_report(client, "/reports/2015.pdf"))  # the cookie keeps Spanish
        assert "Informe sobre la trata de personas 2015" in spanish and "Corea del Sur" in spanish
        assert "Nivel 2 – lista de vigilancia" in spanish and "Generado por tiptiers" in spanish
        client.cookies.clear()
        assert "Trafficking in Persons Report 2015" in pdf_text(client.get("/reports/2015.pdf").content)
    with db.sessions() as session:
        assert reportpdf.stored(session, 2015).digest == english.digest
        assert reportpdf.stored(session, 2015, "es") is not None and reportpdf.stored(session, 2015, "fr") is None
