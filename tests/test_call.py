"""The public call for information, with a real SMTP server: confirmation link, unverified evidence, receipt,
limits; closed without SMTP settings and outside the request window."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

import conftest
from tiptiers.store import call, jobs
from tiptiers.store.db import transaction
from tiptiers.store.evidence import get_evidence

OPEN = datetime(2026, 12, 1, 10)  # in the 2027 report's request window (2026-10-01 to 2027-02-01)
FORM = {"email": "ada@example.org", "sender": "Ada Researcher", "source_type": "academic", "country": "Japan",
        "statement": "Labour inspectors found 12 trainees whose passports were held by their employer.",
        "criteria": ["criterion_1"], "source_url": "https://example.org/report"}


@pytest.fixture
def db(fresh_db):
    return fresh_db.load_bundled()


def link(inbox, index=-1):
    body = inbox.messages[index][1].get_body(("plain",)).get_content()
    return re.search(r"https://tiptiers\.example(/call/confirm/\S+)", body).group(1)


def test_confirmed_information_becomes_unverified_evidence_with_a_receipt(db, smtp):
    with transaction(db.sessions) as session:
        row, token = call.submit(session, **FORM, file_name="report.pdf", file_content=b"%PDF-1.4 ...",
                                 client="10.0.0.1", now=OPEN)
    assert row.year == 2027 and row.iso3 == "JPN" and row.evidence_id is None
    jobs.run_due(db.sessions)
    rcpt, confirmation = smtp.messages[0]
    assert rcpt == ["ada@example.org"] and confirmation["Subject"] == "Please confirm your information on Japan (2027)"
    assert link(smtp) == f"/call/confirm/{token}"
    with transaction(db.sessions) as session:
        confirmed = call.confirm(session, token, now=OPEN + timedelta(hours=1))
        evidence = get_evidence(session, confirmed.evidence_id)
        assert (evidence.state, evidence.source_type, evidence.source_name) == ("unverified", "academic",
                                                                                "Ada Researcher")
        assert evidence.attachment_sha256 and evidence.source_url == "https://example.org/report"
    with transaction(db.sessions) as session:  # the link opened twice: one record
        assert call.confirm(session, token).evidence_id == confirmed.evidence_id
    jobs.run_due(db.sessions)
    assert smtp.messages[-1][1]["Subject"] == "Your information on Japan (2027) was received"
    assert f"claim #{confirmed.evidence_id}" in smtp.messages[-1][1].get_body(("plain",)).get_content()
    assert len(smtp.messages) == 2


def test_limits_and_bad_input(db, smtp):
    for i in range(call.PER_ADDRESS_PER_HOUR):
        with transaction(db.sessions) as session:
            call.submit(session, **FORM, client=f"10.0.0.{i}", now=OPEN)
    with pytest.raises(call.CallError, match="at most 3 submissions an hour from one address"), \
            transaction(db.sessions) as session:
        call.submit(session, **FORM, client="10.0.0.9", now=OPEN)
    for field, value, message in (("email", "nope", "email:"), ("country", "Atlantis", "country:"),
                                  ("criteria", [], "criteria: choose at least one"),
                                  ("source_type", "embassy_reporting", "source_type:"),
                                  ("source_url", "javascript:alert(1)", "source_url: must start with"),
                                  ("statement", " ", "statement: required")):
        with pytest.raises(call.CallError, match=message), transaction(db.sessions) as session:
            call.submit(session, **(FORM | {field: value, "email": "bob@example.org"} if field != "email"
                                    else FORM | {field: value}), now=OPEN)
    with pytest.raises(call.CallError, match=r"file: \d+ bytes, at most"), transaction(db.sessions) as session:
        call.submit(session, **(FORM | {"email": "eve@example.org"}), file_name="big.bin",
                    file_content=b"x" * (call.MAX_FILE_BYTES + 1), now=OPEN)
    with db.sessions() as session:
        assert session.query(call.PublicSubmission).count() == 3


def test_an_expired_link_records_nothing(db, smtp):
    with transaction(db.sessions) as session:
        _, token = call.submit(session, **FORM, now=OPEN)
    with pytest.raises(LookupError, match="expired"), transaction(db.sessions) as session:
        call.confirm(session, token, now=OPEN + timedelta(hours=49))
    with pytest.raises(LookupError, match="no submission waits"), transaction(db.sessions) as session:
        call.confirm(session, "not-a-token")


def test_closed_without_smtp_and_outside_the_window(db, smtp, monkeypatch):
    with pytest.raises(call.CallClosed, match="the next opens 2027-10-01 for the 2028 report"), \
            transaction(db.sessions) as session:
        call.submit(session, **FORM, now=datetime(2027, 3, 1))
    monkeypatch.delenv("TIPTIERS_SMTP_URL")
    with pytest.raises(call.CallClosed, match="TIPTIERS_SMTP_URL is not set"), transaction(db.sessions) as session:
        call.submit(session, **FORM, now=OPEN)


def test_the_form_from_sending_to_the_link(tmp_path_factory, smtp, monkeypatch):
    monkeypatch.setattr(call, "utcnow", lambda: OPEN)
    db = conftest.TestDatabase("sqlite", tmp_path_factory).load_bundled()
    client = TestClient(create_app_for(db))
    html = {"accept": "text/html"}
    page = client.get("/call", headers=html)
    assert page.status_code == 200 and 'id="call-form"' in page.text and "Until 2027-02-01" in page.text
    data = {k: v for k, v in FORM.items() if k != "criteria"} | {"country": "JPN", "criteria": "criterion_1"}
    bad = client.post("/call", data=data | {"email": "nope"}, headers=html)
    assert bad.status_code == 422 and "email: &#39;nope&#39; is not an e-mail address" in bad.text
    sent = client.post("/call", data=data, files={"file": ("law.txt", b"Article 1", "text/plain")}, headers=html)
    assert sent.status_code == 200 and "We sent a link to ada@example.org" in sent.text
    jobs.run_due(db.sessions)
    confirmed = client.get(link(smtp), headers=html)
    assert confirmed.status_code == 200 and "recorded as unverified evidence" in confirmed.text
    assert client.get("/call/confirm/nope", headers=html).status_code == 404
    monkeypatch.delenv("TIPTIERS_SMTP_URL")
    assert "sends no e-mail" in client.get("/call", headers=html).text
    db.drop()


def create_app_for(db):
    from tiptiers.web.app import create_app

    return create_app(db.url)
