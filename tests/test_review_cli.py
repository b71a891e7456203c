"""`tiptiers evidence ...` and `tiptiers review ...` as a user types them, on a fresh SQLite store."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import conftest
from tiptiers.cli import app
from tiptiers.store.db import transaction
from tiptiers.store.placements import sync_countries

runner = CliRunner()
CLAIM = "Japanese law does not criminalise labour recruitment through fraud."


@pytest.fixture
def url(tmp_path_factory):
    """A fresh SQLite store with the country table: the CLI's own code; the store tests cover PostgreSQL."""
    db = conftest.TestDatabase("sqlite", tmp_path_factory)
    with transaction(db.sessions) as session:
        sync_countries(session)
    yield db.url
    db.drop()


def run(url, *args):
    return runner.invoke(app, list(args), env={"TIPTIERS_DATABASE_URL": url})


def test_evidence_add_list_and_the_review_cycle(url, tmp_path):
    law = tmp_path / "penal-code-226-2.txt"
    law.write_text("Article 226-2: buying and selling of persons ...")
    added = run(url, "evidence", "add", "Japan", "2026", "-c", "criterion_1", "--source-type", "ngo",
                "--source", "Polaris Project", "-s", CLAIM, "--source-date", "2026-01-10", "--json", "--as", "ana")
    assert added.exit_code == 0, added.output
    claim = json.loads(added.output)
    assert (claim["iso3"], claim["state"], claim["entered_by"]) == ("JPN", "unverified", "ana")
    again = run(url, "evidence", "add", "JPN", "2026", "-c", "criterion_1", "--source-type", "government",
                "--source", "MOJ", "-s", "The Penal Code", "--file", str(law), "--json")
    twice = run(url, "evidence", "add", "JPN", "2026", "-c", "criterion_1", "--source-type", "government",
                "--source", "MOJ", "-s", "The Penal Code, again", "--file", str(law), "--json")
    assert json.loads(again.output)["attachment_sha256"] == json.loads(twice.output)["attachment_sha256"]

    listed = json.loads(run(url, "evidence", "list", "JPN", "--year", "2026", "--json").output)
    assert listed[0]["statement"] == CLAIM and len(listed) == 3

    sent = run(url, "review", "send", "JPN", "2026")
    assert sent.exit_code == 0 and "answers due by" in sent.output
    disputed = run(url, "review", "respond", "JPN", "2026", str(claim["id"]), "dispute", "--text", "completely false",
                   "--counter-evidence", "Penal Code art. 226-2", "--as", "jpn-liaison")
    assert disputed.exit_code == 0, disputed.output
    [status] = json.loads(run(url, "review", "status", "--year", "2026", "--json").output)
    assert status["requests_sent"] == 1 and status["open_disputes"] == 1
    assert any(r.startswith("dispute #") for r in status["blocking"])
    plain = run(url, "review", "status")
    assert "requests this year: 1" in plain.output and "blocks publication: dispute #" in plain.output

    [first] = [c for c in json.loads(run(url, "review", "claims", "JPN", "2026", "--json").output)
               if c["id"] == claim["id"]]
    dispute_id = first["disputes"][0]["id"]
    refused = run(url, "review", "resolve", str(dispute_id), "maintained")
    assert refused.exit_code == 2 and "reason: a maintained claim needs a written reason" in refused.output
    fixed = run(url, "review", "resolve", str(dispute_id), "accepted", "--corrected",
                "Japanese law criminalises recruitment by fraud (Penal Code art. 226-2).")
    assert fixed.exit_code == 0, fixed.output
    [first] = [c for c in json.loads(run(url, "review", "claims", "JPN", "2026", "--json").output)
               if c["id"] == claim["id"]]
    assert first["original_statement"] == CLAIM and first["state"] == "confirmed_by_government"
    assert first["responses"][0]["text"] == "completely false"


def test_bad_input_names_the_field_and_stores_nothing(url):
    bad = run(url, "evidence", "add", "JPN", "2026", "-c", "criterion_1", "--source-type", "ngo", "--source", "X",
              "-s", CLAIM, "--url", "ftp://x")
    assert bad.exit_code == 2 and "source_url" in bad.output
    assert json.loads(run(url, "evidence", "list", "--json").output) == []
    unknown = run(url, "evidence", "add", "Atlantis", "2026", "-c", "c", "--source-type", "ngo", "--source", "X",
                  "-s", "x")
    assert unknown.exit_code == 2 and "unknown country" in unknown.output
    nothing = run(url, "review", "send", "JPN", "2026")
    assert nothing.exit_code == 2 and "no evidence recorded for JPN 2026" in nothing.output


CABLE = "/work/shared/fixtures/cables/08TOKYO1528.txt"


def test_a_cable_becomes_the_governments_dispute_of_the_claim_it_answers(url):
    """08TOKYO1528: Shimbo calls the report's language on Japanese law 'completely false'."""
    for statement in (CLAIM, "Japan identified few victims of forced labour among technical interns."):
        added = run(url, "evidence", "add", "JPN", "2008", "-c", "criterion_1", "--source-type", "ngo", "--source",
                    "an NGO", "-s", statement)
        assert added.exit_code == 0, added.output
    closed = run(url, "review", "dispute-from-cable", CABLE)
    assert closed.exit_code == 1 and "no draft of JPN 2008 has been sent" in closed.output
    assert run(url, "review", "send", "JPN", "2008").exit_code == 0
    result = run(url, "review", "dispute-from-cable", CABLE, "--as", "embassy-tokyo")
    assert result.exit_code == 0, result.output
    assert "of claim #1 (JPN 2008) recorded from 08TOKYO1528 ¶3" in result.output
    claims = {c["id"]: c for c in json.loads(run(url, "review", "claims", "JPN", "2008", "--json").output)}
    assert claims[1]["state"] == "disputed_by_government" and claims[2]["state"] == "unverified"
    [response] = claims[1]["responses"]
    assert response["kind"] == "dispute" and '"completely false,"' in response["text"]
    assert response["text"].startswith("Shimbo, as reported in 08TOKYO1528 ¶3")
