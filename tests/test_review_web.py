"""The right of reply on the web and the API, with real accounts and their bearer tokens.

(1) The whole cycle on the story of 08TOKYO1528, through the API and the pages a person uses.
(2) The Japanese liaison can neither read nor change another country's draft through ANY route of this feature:
    the routes are enumerated from the routers themselves, so a route added later is covered too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import func, select

import conftest
from tiptiers.store.db import transaction
from tiptiers.store.evidence import Evidence
from tiptiers.store.placements import load_bundled
from tiptiers.store.reviews import ClaimResponse, ReviewRequestRow, published_claims
from tiptiers.store.users import create_api_token, create_user
from tiptiers.web.app import create_app
from tiptiers.web.deps import templates
from tiptiers.web.routes import review
from tiptiers.web.routes.review import claim_out

NGO_CLAIM = "Japanese law does not criminalise the recruitment of labourers through fraud."
CORRECTED = ("Japanese law criminalises recruitment through fraud (Penal Code art. 226-2), but no labour "
             "trafficking case was prosecuted under it.")
LAW = "Penal Code article 226-2 (buying and selling of persons), in force since 2005, covers recruitment by deception"
JAPAN_SAYS = "The report's language about Japanese law not criminalizing labor recruiting through fraud is false."
CHINA_SECRET = "An NGO reports forced labour in a Chinese province (draft, not for other governments)."

PASSWORD = "correct horse battery staple"
ACCOUNTS = {"root": ("admin", None), "ana": ("analyst", None), "rev": ("reviewer", None),
            "jpn-liaison": ("liaison", "JPN"), "chn-liaison": ("liaison", "CHN")}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[dict[str, Any]]:
    """The bundled history on SQLite (the store tests cover PostgreSQL), the app, and one token per account."""
    db = conftest.TestDatabase("sqlite", tmp_path_factory)
    with transaction(db.sessions) as session:
        load_bundled(session)
    tokens = {}
    with transaction(db.sessions) as session:
        for name, (role, country) in ACCOUNTS.items():
            create_user(session, name, role, PASSWORD, country=country)
            tokens[name] = create_api_token(session, name)[0]
    yield {"db": db, "app": create_app(db.url), "tokens": tokens}
    db.drop()


def as_user(site: dict[str, Any], name: str | None) -> TestClient:
    client = TestClient(site["app"], raise_server_exceptions=False)
    if name:
        client.headers["Authorization"] = f"Bearer {site['tokens'][name]}"
    return client


def ok(response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_1_the_seed_cable_story_from_ngo_claim_to_published_correction(site):
    ana, jpn = as_user(site, "ana"), as_user(site, "jpn-liaison")
    claim = ok(ana.post("/api/v1/evidence", json={
        "iso3": "JPN", "year": 2026, "criteria": ["criterion_1", "standard_1"], "statement": NGO_CLAIM,
        "source_type": "ngo", "source_name": "an NGO", "source_date": "2026-01-10"}), 201)
    assert claim["state"] == "unverified"
    ws = ok(ana.put("/api/v1/assessments/JPN/2026", json={"ratings": [
        {"criterion": "standard_1", "level": "partial", "evidence": [claim["id"]]}], "narrative": "Draft."}))
    assert ws["ratings"][0]["flag"]["code"] == "unverified_only"
    page = ana.get("/workspace/JPN/2026", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "rests only on unverified evidence" in page.text
    assert "the draft has not been sent" in ws["status"]["blocking"][0]

    assert jpn.get("/api/v1/reviews/JPN/2026").status_code == 404  # nothing sent yet: nothing to see
    sent = ok(ana.post("/api/v1/reviews/JPN/2026/requests", json={}), 201)
    draft = ok(jpn.get("/api/v1/reviews/JPN/2026"))
    assert draft["open"] and draft["request"]["deadline"] == sent["deadline"] and draft["requests_this_year"] == 1
    assert [c["statement"] for c in draft["claims"]] == [NGO_CLAIM]
    html = jpn.get("/review/JPN/2026", headers={"Accept": "text/html"}).text
    assert NGO_CLAIM in html and f'data-api="/api/v1/reviews/JPN/2026/claims/{claim["id"]}/responses"' in html

    bad = jpn.post(f"/api/v1/reviews/JPN/2026/claims/{claim['id']}/responses", json={"kind": "dispute",
                                                                                      "text": JAPAN_SAYS})
    assert bad.status_code == 422 and bad.json()["error"]["detail"].startswith("counter_evidence:")
    dispute = ok(jpn.post(f"/api/v1/reviews/JPN/2026/claims/{claim['id']}/responses", json={
        "kind": "dispute", "text": JAPAN_SAYS, "counter_evidence": LAW}), 201)
    status = ok(ana.get("/api/v1/reviews/JPN/2026/gate"))
    assert status["open_disputes"] == 1 and any(r.startswith(f"dispute #{dispute['id']}") for r in status["blocking"])

    assert ana.post(f"/api/v1/disputes/{dispute['id']}/resolution",
                    json={"outcome": "maintained"}).json()["error"]["detail"].startswith("reason:")
    resolved = ok(ana.post(f"/api/v1/disputes/{dispute['id']}/resolution",
                           json={"outcome": "accepted", "corrected_statement": CORRECTED}))
    assert resolved["resolution"]["outcome"] == "accepted"
    ok(jpn.post("/api/v1/reviews/JPN/2026/complete"))
    assert ok(ana.get("/api/v1/reviews/JPN/2026/gate"))["blocking"] == []

    with site["db"].sessions() as session:
        [published] = published_claims(session, "JPN", 2026)
    assert (published.statement, published.original_statement) == (CORRECTED, NGO_CLAIM)
    [reply] = published.comments
    assert (reply.text, reply.counter_evidence, reply.author) == (JAPAN_SAYS, LAW, "jpn-liaison")
    printed = templates.get_template("_review_claims.html").render(claims=[claim_out(published)])
    said = str(escape(JAPAN_SAYS))  # the government's words, HTML-escaped like anything typed in
    assert CORRECTED in printed and said in printed and LAW in printed
    assert printed.index(CORRECTED) < printed.index(said)  # the reply is printed beside its claim
    assert "Dispute accepted: the claim was corrected." in printed
    after = ok(ana.get("/api/v1/evidence/" + str(claim["id"])))
    assert [t["to_state"] for t in after["transitions"]] == ["unverified", "disputed_by_government",
                                                             "confirmed_by_government"]


def _chinese_draft(site) -> dict[str, int]:
    ana, cn = as_user(site, "ana"), as_user(site, "chn-liaison")
    claim = ok(ana.post("/api/v1/evidence", json={"iso3": "CHN", "year": 2026, "criteria": ["criterion_1"],
                                                  "statement": CHINA_SECRET, "source_type": "ngo",
                                                  "source_name": "an NGO"}), 201)
    ok(ana.post("/api/v1/reviews/CHN/2026/requests", json={}), 201)
    dispute = ok(cn.post(f"/api/v1/reviews/CHN/2026/claims/{claim['id']}/responses",
                         json={"kind": "dispute", "text": "no", "counter_evidence": "a law"}), 201)
    return {"evidence_id": claim["id"], "dispute_id": dispute["id"]}


def _fill(path: str, ids: dict[str, int]) -> str:
    values = {"iso3": "CHN", "year": "2026", "sha256": "0" * 64, **{k: str(v) for k, v in ids.items()}}
    return re.sub(r"{(\w+)}", lambda m: values[m.group(1)], path)


# A valid body for every write route, so that each request reaches the permission check (an invalid body would
# be refused with a 422 before it). A new write route without an entry here fails test 2: it must be listed.
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/evidence"): {"iso3": "CHN", "year": 2026, "criteria": ["criterion_1"], "statement": "x",
                                   "source_type": "ngo", "source_name": "x"},
    ("POST", "/api/v1/evidence/{evidence_id}/state"): {"state": "withdrawn", "reason": "x"},
    ("POST", "/api/v1/attachments"): None,
    ("PUT", "/api/v1/assessments/{iso3}/{year}"): {"ratings": []},
    ("POST", "/api/v1/reviews/{iso3}/{year}/requests"): {},
    ("POST", "/api/v1/reviews/{iso3}/{year}/claims/{evidence_id}/responses"): {"kind": "comment", "text": "x"},
    ("POST", "/api/v1/reviews/{iso3}/{year}/complete"): None,
    ("POST", "/api/v1/reviews/{iso3}/{year}/final-comments"): {"text": "x"},
    ("PUT", "/api/v1/questionnaires/{iso3}/{year}"): {"answers": {"laws": "x"}},
    ("POST", "/api/v1/disputes/{dispute_id}/resolution"): {"outcome": "accepted", "withdraw": True},
    ("POST", "/api/v1/reviews/{iso3}/{year}/gate-override"): {"reason": "x"},
    ("POST", "/api/v1/reviews/{iso3}/{year}/translations"): {"text_kind": "response", "text_id": "1",
                                                             "language": "fr", "text": "x"},
    ("POST", "/workspace/{iso3}/{year}"): None,  # the rating editor without script (a form)
    ("POST", "/workspace/{iso3}/{year}/send"): None,  # the confirmed send (a form)
}


def test_2_the_japanese_liaison_cannot_read_or_change_another_countrys_draft(site):
    ids = _chinese_draft(site)
    jpn = as_user(site, "jpn-liaison")
    with site["db"].sessions() as session:
        before = [session.scalar(select(func.count()).select_from(t)) for t in (Evidence, ClaimResponse,
                                                                                   ReviewRequestRow)]
    routes = [r for router in (review.api, review.pages) for r in router.routes if isinstance(r, APIRoute)]
    assert len(routes) >= 20
    tried = []
    for route in routes:
        for method in route.methods:
            path = _fill(route.path, ids)
            if method != "GET":
                assert (method, route.path) in BODIES, f"list a valid body for {method} {route.path} in BODIES"
            if path.endswith("/attachments") and method == "POST":
                # an upload names no country: a liaison may send a file (to attach to its own country's answers);
                # the draft counts below show it changed nothing of China's
                response = jpn.post(path, files={"file": ("x.txt", b"x")})
                assert response.status_code == 201, response.text
                continue
            else:
                response = jpn.request(method, path, json=BODIES.get((method, route.path)),
                                       headers={} if path.startswith("/api/") else {"Accept": "text/html"})
            tried.append((method, path, response.status_code))
            assert response.status_code in (403, 404), (method, path, response.status_code, response.text[:200])
            assert CHINA_SECRET not in response.text
            assert "CHN" not in response.text or "no review of CHN 2026" in response.text or \
                response.status_code == 403, (method, path, response.text[:300])
    with site["db"].sessions() as session:
        after = [session.scalar(select(func.count()).select_from(t)) for t in (Evidence, ClaimResponse,
                                                                                  ReviewRequestRow)]
    assert after == before
    # the same liaison does reach its own country's draft: the refusals above are about the country, not a bug
    assert jpn.get("/api/v1/questionnaires/JPN/2026").status_code == 200
    # a country that does not exist and another's draft answer alike: existence does not leak
    assert jpn.get("/api/v1/reviews/CHN/2026").json() == {"error": {"status": 404, "detail": "no review of CHN 2026"}}
    assert jpn.get("/api/v1/reviews/NZL/2026").json() == {"error": {"status": 404, "detail": "no review of NZL 2026"}}
    assert {m for m, _, _ in tried} >= {"GET", "POST", "PUT"}


def test_roles(site):
    anonymous, rev, ana, root = (as_user(site, n) for n in (None, "rev", "ana", "root"))
    assert anonymous.get("/api/v1/workspace/JPN/2026").status_code == 401
    to_login = anonymous.get("/review/JPN/2026", headers={"Accept": "text/html"}, follow_redirects=False)
    assert to_login.status_code in (302, 303) and to_login.headers["location"].startswith("/login")
    refused_page = as_user(site, "jpn-liaison").get("/workspace/JPN/2026", headers={"Accept": "text/html"})
    assert refused_page.status_code == 403 and "<h1>" in refused_page.text and "workspace" in refused_page.text
    assert anonymous.post("/api/v1/evidence", json={}).status_code in (401, 403)
    assert rev.get("/api/v1/workspace/JPN/2026").status_code == 200
    refused = rev.post("/api/v1/evidence", json=BODIES[("POST", "/api/v1/evidence")] | {"iso3": "JPN"})
    assert refused.status_code == 403 and "reviewer" in refused.json()["error"]["detail"]
    assert ana.post("/api/v1/reviews/JPN/2026/gate-override", json={"reason": "x"}).status_code == 403
    assert ana.post("/api/v1/reviews/JPN/2026/claims/1/responses", json={"kind": "comment", "text": "x"}
                    ).status_code == 403  # only the government answers its draft
    ok(ana.post("/api/v1/evidence", json={"iso3": "NZL", "year": 2026, "criteria": ["criterion_2"],
                                          "statement": "s", "source_type": "media", "source_name": "m"}), 201)
    blocked = ok(ana.get("/api/v1/reviews/NZL/2026/gate"))["blocking"]
    assert blocked and ok(root.post("/api/v1/reviews/NZL/2026/gate-override",
                                    json={"reason": "published by decision of the board"}))["blocking"] == []


@pytest.mark.parametrize(("method", "path", "body", "status", "field"), [
    ("POST", "/api/v1/evidence", {"iso3": "JPN", "year": 2026, "criteria": ["criterion_1"], "statement": "s",
                                  "source_type": "ngo", "source_name": "n", "source_url": "javascript:x"},
     422, "source_url"),
    ("POST", "/api/v1/evidence", {"iso3": "ZZZ", "year": 2026, "criteria": ["criterion_1"], "statement": "s",
                                  "source_type": "ngo", "source_name": "n"}, 422, "iso3"),
    ("POST", "/api/v1/evidence", {"iso3": "JPN", "year": 2026, "criteria": ["criterion_1"], "statement": "s",
                                  "source_type": "blog", "source_name": "n"}, 422, "source_type"),
    ("PUT", "/api/v1/assessments/JPN/2026", {"ratings": [{"criterion": "criterion_1", "level": "full",
                                                          "evidence": [99999]}]}, 422, "ratings[0].evidence"),
    ("POST", "/api/v1/evidence/99999/state", {"state": "withdrawn", "reason": "x"}, 404, None),
    ("POST", "/api/v1/disputes/99999/resolution", {"outcome": "accepted", "withdraw": True}, 404, None),
    ("GET", "/api/v1/workspace/XXX/2026", None, 404, None),
    ("GET", "/api/v1/workspace/JPN/1999", None, 404, "year"),  # a path that names no report year: no such page
    ("GET", "/api/v1/workspace/JPN/twenty", None, 404, "year"),
    ("GET", "/api/v1/attachments/nothing", None, 404, None),
    ("GET", "/api/v1/evidence?year=18446744073709551616", None, 422, "year"),
    ("GET", "/api/v1/reviews?year=18446744073709551616", None, 422, "year"),
    ("GET", "/reviews?year=18446744073709551616", None, 422, "year"),
    ("GET", "/api/v1/reviews/JPN/18446744073709551616/gate", None, 404, "year"),
])
def test_bad_requests_are_4xx_naming_the_field_never_500(site, method, path, body, status, field):
    response = as_user(site, "ana").request(method, path, json=body)
    assert response.status_code == status, response.text
    if field:
        assert field in response.text


def test_1b_the_published_narrative_prints_the_corrected_claim_beside_japans_comment(site):
    """The same story on the year it happened (2008, a published report year): the public page shows the claim as
    corrected and the government's words beside it, with no account at all."""
    from tiptiers.store.evidence import add_evidence
    from tiptiers.store.reviews import resolve_dispute, respond, send_request

    with transaction(site["db"].sessions) as s:
        claim = add_evidence(s, iso3="JPN", year=2008, criteria=["criterion_1"], statement=NGO_CLAIM,
                             source_type="ngo", source_name="an NGO", entered_by="ana")
    with transaction(site["db"].sessions) as s:
        send_request(s, "JPN", 2008, "ana")
        dispute = respond(s, "JPN", 2008, claim.id, "dispute", JAPAN_SAYS, "jpn-liaison", counter_evidence=LAW)
        resolve_dispute(s, dispute.id, "accepted", "ana", corrected_statement=CORRECTED)
    page = as_user(site, None).get("/narratives/JPN/2008", headers={"Accept": "text/html"})
    assert page.status_code == 200, page.text[:300]
    assert CORRECTED in page.text and str(escape(JAPAN_SAYS)) in page.text
    # the uncorrected claim appears only as what was corrected, never as a statement of fact
    assert page.text.count(NGO_CLAIM) == page.text.count(f"Corrected from: {NGO_CLAIM}")
