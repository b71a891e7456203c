"""NGOs' shadow reports through the API and the pages, with real accounts: an NGO submits, sees its own submissions
(never another's, never the government's unpublished answer), analysts see every claim as unverified evidence in
the workspace and write a note the NGO reads; bad input is a 4xx naming the claim and field, and stores nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

import conftest
from test_review_web import as_user, ok
from tiptiers.store import activity
from tiptiers.store.attachments import Attachment
from tiptiers.store.db import transaction
from tiptiers.store.evidence import Evidence
from tiptiers.store.placements import load_bundled
from tiptiers.store.reviews import respond, send_request
from tiptiers.store.submissions import Submission
from tiptiers.store.users import create_api_token, create_user
from tiptiers.web.app import create_app

PASSWORD = "correct horse battery staple"
YEAR = date.today().year + 1  # next June's report, in preparation
ACCOUNTS = {"ana": ("analyst", None, None), "rev": ("reviewer", None, None), "tanaka": ("liaison", "JPN", None),
            "polaris": ("ngo", None, "Polaris Project"), "lastrada": ("ngo", None, "La Strada")}
CLAIM_1 = "Recruiters deceived Vietnamese technical interns about their pay and hours."
CLAIM_2 = "No shelter in Japan accepts male victims of labour trafficking."
GOVERNMENT_SAYS = "The Ministry of Justice inspected every such recruiter in 2026 (not yet published)."


def open_site(tmp_path_factory, accounts: dict[str, tuple[str, str | None, str | None]]) -> Iterator[dict[str, Any]]:
    """The bundled history on SQLite (the store tests cover PostgreSQL), the app, and an API token per account
    (name -> role, country, organisation)."""
    db = conftest.TestDatabase("sqlite", tmp_path_factory)
    tokens = {}
    with transaction(db.sessions) as session:
        load_bundled(session)
        for name, (role, country, organisation) in accounts.items():
            create_user(session, name, role, PASSWORD, country, organisation=organisation)
            tokens[name] = create_api_token(session, name)[0]
    yield {"db": db, "app": create_app(db.url), "tokens": tokens}
    db.drop()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[dict[str, Any]]:
    yield from open_site(tmp_path_factory, ACCOUNTS)


def counts(site) -> list[int]:
    with site["db"].sessions() as s:
        return [s.scalar(select(func.count()).select_from(t)) or 0 for t in (Evidence, Submission, Attachment)] + \
            [activity.count(s)]


def claim(statement: str, *criteria: str, **more: Any) -> dict[str, Any]:
    return {"statement": statement, "criteria": list(criteria) or ["criterion_1"], **more}


def test_an_ngo_submits_and_the_claims_enter_the_analysts_workspace_as_unverified_evidence(site):
    polaris, ana, rev = as_user(site, "polaris"), as_user(site, "ana"), as_user(site, "rev")
    upload = ok(polaris.post("/api/v1/attachments",
                             files={"file": ("interns.pdf", b"%PDF interviews", "application/pdf")}), 201)
    sent = ok(polaris.post("/api/v1/submissions", json={
        "iso3": "JPN", "year": YEAR, "title": "Technical interns",
        "claims": [claim(CLAIM_1, "criterion_1", source_date="2026-02-01", source_url="https://example.org/a",
                         attachment_sha256=upload["sha256"]),
                   claim(CLAIM_2, "criterion_5")]}), 201)
    assert (sent["organisation"], sent["submitted_by"], sent["iso3"], sent["year"]) == ("Polaris Project", "polaris",
                                                                                         "JPN", YEAR)
    assert [(c["statement"], c["state"], c["position"]) for c in sent["claims"]] == [
        (CLAIM_1, "unverified", 0), (CLAIM_2, "unverified", 1)]
    assert sent["claims"][0]["attachment"]["filename"] == "interns.pdf"
    ids = [c["evidence_id"] for c in sent["claims"]]

    ws = ok(ana.get(f"/api/v1/workspace/JPN/{YEAR}"))
    records = {e["id"]: e for e in ws["evidence"]}
    assert [(records[i]["source_type"], records[i]["source_name"], records[i]["state"], records[i]["entered_by"])
            for i in ids] == [("ngo", "Polaris Project", "unverified", "polaris")] * 2
    assert {x["evidence_id"]: x["submission_id"] for x in ws["submitted"]} == {i: sent["id"] for i in ids}
    page = ana.get(f"/workspace/JPN/{YEAR}", headers={"accept": "text/html"})
    assert page.status_code == 200 and f"Shadow report <a href=\"/submissions#submission-{sent['id']}\">" in page.text
    assert ana.get(f"/api/v1/attachments/{upload['sha256']}").content == b"%PDF interviews"
    # staff see every submission; reviewers read but write no note
    assert sent["id"] in [s["id"] for s in ok(rev.get("/api/v1/submissions"))]
    assert rev.put(f"/api/v1/submissions/{sent['id']}/claims/{ids[0]}/note", json={"note": "x"}).status_code == 403
    noted = ok(ana.put(f"/api/v1/submissions/{sent['id']}/claims/{ids[0]}/note",
                       json={"note": "Please send the interview notes."}))
    assert noted["analyst_note"] == "Please send the interview notes."
    mine = ok(polaris.get(f"/api/v1/submissions/{sent['id']}"))
    assert mine["claims"][0]["analyst_note"] == "Please send the interview notes."
    with site["db"].sessions() as s:
        [entry] = activity.entries(s, actor="polaris", action="submission.add")
        assert entry.after["evidence"] == ids


def test_an_ngo_sees_its_own_submissions_only_and_never_the_governments_unpublished_answer(site):
    polaris, lastrada, tanaka = (as_user(site, n) for n in ("polaris", "lastrada", "tanaka"))
    other = ok(lastrada.post("/api/v1/submissions", json={
        "iso3": "JPN", "year": YEAR, "claims": [claim("LASTRADA-ONLY: debt bondage in fishing.")]}), 201)
    mine = ok(polaris.post("/api/v1/submissions", json={
        "iso3": "JPN", "year": YEAR, "claims": [claim("Fraudulent recruitment fees are not prosecuted.")]}), 201)
    disputed = mine["claims"][0]["evidence_id"]
    with transaction(site["db"].sessions) as s:
        send_request(s, "JPN", YEAR, "ana")
    with transaction(site["db"].sessions) as s:
        respond(s, "JPN", YEAR, disputed, "dispute", GOVERNMENT_SAYS, "tanaka", counter_evidence="Ministry records")

    assert other["id"] not in [s["id"] for s in ok(polaris.get("/api/v1/submissions"))]
    assert polaris.get(f"/api/v1/submissions/{other['id']}").status_code == 404  # as if it did not exist
    assert polaris.get("/api/v1/submissions/999999").status_code == 404
    [seen] = [c for s in ok(polaris.get("/api/v1/submissions")) for c in s["claims"] if c["evidence_id"] == disputed]
    assert seen["state"] == "unverified"  # disputed_by_government shows once the report is published
    for url in ("/submissions", f"/api/v1/submissions/{mine['id']}", "/api/v1/submissions"):
        body = polaris.get(url, headers={"accept": "text/html"} if not url.startswith("/api") else {}).text
        assert "LASTRADA-ONLY" not in body and GOVERNMENT_SAYS not in body and "disputed" not in body
    # the drafts, the workspace and the government's review stay closed to an NGO
    for url in (f"/api/v1/workspace/JPN/{YEAR}", f"/api/v1/reviews/JPN/{YEAR}", f"/api/v1/evidence/{disputed}",
                "/api/v1/evidence", f"/api/v1/questionnaires/JPN/{YEAR}"):
        response = polaris.get(url)
        assert response.status_code in (403, 404) and GOVERNMENT_SAYS not in response.text, url
    assert polaris.get(f"/api/v1/years/{YEAR}/placements").status_code == 404  # embargoed: not staff
    # the government does not read NGOs' submissions (the claims reach it in the draft)
    assert tanaka.get("/api/v1/submissions").status_code == 403
    assert tanaka.get(f"/api/v1/submissions/{mine['id']}").status_code == 403
    assert as_user(site, None).get("/api/v1/submissions").status_code == 401
    assert polaris.get("/api/v1/submissions", params={"year": "9" * 20}).status_code == 422
    assert polaris.get("/api/v1/submissions/" + "9" * 25).status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({"claims": [claim("a"), claim("b"), claim("c"), claim(" "), claim("e")]}, "claims[3].statement: must not be"),
    ({"claims": [claim("a"), claim("b"), claim("c"), claim("d", "criterion_77"), claim("e")]},
     "claims[3].criteria: criterion_77"),
    ({"claims": [claim("a"), claim("b"), claim("c"), claim("d", source_url="ftp://x"), claim("e")]},
     "claims[3].source_url"),
    ({"claims": [claim("a"), claim("b"), claim("c"), claim("d", attachment_sha256="ab" * 32), claim("e")]},
     "claims[3].attachment_sha256: no file you uploaded"),
    ({"claims": [claim("a"), claim("b"), claim("c"), {"statement": "d", "criteria": []}, claim("e")]}, "criteria"),
    ({"claims": [claim("a"), claim("b"), claim("c"), claim("d", source_date="yesterday"), claim("e")]},
     "source_date"),
    ({"claims": []}, "claims"),
    ({"iso3": "XXX", "claims": [claim("a")]}, "iso3: unknown country"),
    ({"year": 2008, "claims": [claim("a")]}, "year: the 2008 report is published"),
    ({"year": 2999, "claims": [claim("a")]}, "year:"),
])
def test_bad_input_names_the_claim_and_field_and_stores_nothing(site, body, field):
    before = counts(site)
    response = as_user(site, "polaris").post("/api/v1/submissions", json={"iso3": "JPN", "year": YEAR, **body})
    assert response.status_code == 422 and field in response.text, response.text
    assert counts(site) == before


def test_only_an_ngo_account_submits(site):
    body = {"iso3": "JPN", "year": YEAR, "claims": [claim("a")]}
    for who, status in (("ana", 403), ("tanaka", 403), ("rev", 403), (None, 401)):
        response = as_user(site, who).post("/api/v1/submissions", json=body)
        assert (response.status_code == status and "ngo" in response.text) or who is None, response.text
    assert as_user(site, "ana").get("/submissions/new", headers={"accept": "text/html"}).status_code == 403


def _form(page: str) -> dict[str, str]:
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, page[:500]
    return {"csrf_token": token.group(1)}


def _log_in(site, name: str) -> TestClient:
    client = TestClient(site["app"], raise_server_exceptions=False, follow_redirects=False)
    assert client.post("/api/v1/session", json={"name": name, "password": PASSWORD}).status_code == 200
    return client


def test_the_form_stores_a_whole_shadow_report_or_nothing(site):
    polaris = _log_in(site, "polaris")
    page = polaris.get("/submissions/new?claims=4", headers={"accept": "text/html"})
    assert page.status_code == 200 and page.text.count('class="claim-form"') == 4
    fields = {**_form(page.text), "claims": "4", "iso3": "JPN", "year": str(YEAR), "title": "By the form",
              "claim-0-statement": "Form claim one.", "claim-0-criteria": "criterion_2",
              "claim-0-source_url": "https://example.org/one",
              # block 2 left blank: skipped
              "claim-2-statement": "Form claim two.", "claim-2-source_date": "2026-04-30"}
    before = counts(site)
    refused = polaris.post("/submissions/new", data=fields, headers={"accept": "text/html"},
                           files={"claim-0-file": ("one.txt", b"form attachment one", "text/plain")})
    assert refused.status_code == 422
    assert "Claim 3, criteria: name at least one criterion" in refused.text  # the form's own numbering
    assert "Choose the files again" in refused.text and "Form claim two." in refused.text  # what was typed is kept
    assert counts(site) == before
    fields["claim-2-criteria"] = ["criterion_3", "standard_1"]  # type: ignore[assignment]
    done = polaris.post("/submissions/new", data=fields, headers={"accept": "text/html"},
                        files={"claim-0-file": ("one.txt", b"form attachment one", "text/plain")})
    assert done.status_code == 303 and done.headers["location"].startswith("/submissions#submission-"), done.text
    listed = polaris.get("/submissions", headers={"accept": "text/html"})
    assert "Form claim one." in listed.text and "Form claim two." in listed.text and "one.txt" in listed.text
    submission_id = int(done.headers["location"].rsplit("-", 1)[1])
    sent = polaris.get(f"/api/v1/submissions/{submission_id}").json()
    assert [(c["criteria"], c["source_date"]) for c in sent["claims"]] == [
        (["criterion_2"], None), (["criterion_3", "standard_1"], "2026-04-30")]
    sha = sent["claims"][0]["attachment"]["sha256"]
    assert polaris.get(f"/api/v1/attachments/{sha}").content == b"form attachment one"  # its own upload
    assert as_user(site, "lastrada").get(f"/api/v1/attachments/{sha}").status_code == 404  # not another NGO's


@pytest.mark.parametrize(("change", "message"), [
    ({"iso3": "Atlantis"}, "Country: "),
    ({"year": "next"}, "Year: "),
    ({"year": "9" * 30}, "Year: year 999"),
    ({"claims": "100000", "claim-0-statement": "A \x00 claim."}, "Claim 1, statement: must not contain a NUL"),
    ({"claim-0-source_date": "31/12/2026"}, "Claim 1, source_date: "),
    ({"claim-0-statement": ""}, "Claim 1, statement: must not be empty"),
])
def test_the_form_names_what_is_wrong(site, change, message):
    polaris = _log_in(site, "polaris")
    page = polaris.get("/submissions/new", headers={"accept": "text/html"})
    fields = {**_form(page.text), "claims": "3", "iso3": "JPN", "year": str(YEAR),
              "claim-0-statement": "A claim.", "claim-0-criteria": "criterion_2", **change}
    before = counts(site)
    refused = polaris.post("/submissions/new", data=fields, headers={"accept": "text/html"})
    assert refused.status_code == 422 and message in refused.text, refused.text[-2000:]
    assert counts(site) == before
