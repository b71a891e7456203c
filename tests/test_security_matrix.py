"""Authorization matrix: every route of the app (enumerated from the router itself) against every role (admin,
analyst, reviewer, the liaison of JPN, the liaison of CHN, an NGO, anonymous), with the status each must get, from an
explicit expectation table by path pattern. A route with no expectation fails the test: classify new routes here.

Each response body (HTML, JSON, CSV, PDF as text, search results, error messages, attachments) is searched for
secrets seeded in drafts of the embargoed next report year: Japan's draft claim and narrative, China's, Japan's
answer to a claim (with the file it attached, marked publishable), an NGO's shadow report (its own) and another
NGO's. A liaison sees their own country's drafts and nobody else's; an NGO its own submissions and no draft; the
public none. Every response also carries the security headers.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from conftest import ConnectionsPerRequest, TestDatabase
from test_fuzz_cables import FIXTURE
from tiptiers.sources.cable_files import iter_cable_inputs
from tiptiers.store import attachments, evidence, publication, reviews, submissions, users
from tiptiers.store.cables import ingest
from tiptiers.store.db import transaction
from tiptiers.web.app import create_app

PASSWORD = "correct horse battery staple"
DRAFT_YEAR = date.today().year + 1  # next June's report: published by default on June 1, so embargoed now
PUBLIC_YEAR = 2008
IDENTITIES = {  # label -> (name, role, country, organisation); None: anonymous
    "admin": ("ann", "admin", None, None),
    "analyst": ("al", "analyst", None, None),
    "reviewer": ("rae", "reviewer", None, None),
    "liaison-JPN": ("tanaka", "liaison", "JPN", None),
    "liaison-CHN": ("wang", "liaison", "CHN", None),
    "ngo": ("polaris", "ngo", None, "Polaris Project"),
    "anonymous": None,
}
SECRETS = {  # secret -> who besides staff may see it
    "JPNDRAFTCLAIMQX7731": {"liaison-JPN"}, "JPNDRAFTNARRATIVEQX8812": {"liaison-JPN"},
    "CHNDRAFTCLAIMQX4410": {"liaison-CHN"}, "CHNDRAFTNARRATIVEQX5521": {"liaison-CHN"},
    "JPNGOVANSWERQX9901": {"liaison-JPN"},  # the government's answer, unpublished
    "JPNGOVFILEQX2202": {"liaison-JPN"},  # the file it attached (publishable, but the report is not published)
    "POLARISCLAIMQX6604": {"ngo", "liaison-JPN"},  # the NGO's own claim, in Japan's draft
    "POLARISFILEQX5505": {"ngo"},  # the NGO's own upload
    "OTHERNGOCLAIMQX3303": {"liaison-CHN"},  # another NGO's claim, in China's draft
    "OTHERNGOFILEQX7707": set(),  # another NGO's upload
}


# --- who may do what ---------------------------------------------------------------------------------------------
# A rule maps an identity to "ok" (2xx/3xx other than the login redirect, or for a write anything but 401/403),
# "denied" (401/403/404 for the API, or a redirect to /login for an anonymous page), or "any" (no 5xx).

STAFF = {"admin", "analyst", "reviewer"}


def rule(ok: set[str], any_: set[str] = frozenset()) -> dict[str, str]:  # type: ignore[assignment]
    return {who: "ok" if who in ok else "any" if who in any_ else "denied" for who in IDENTITIES}


EVERYONE = rule(set(IDENTITIES))
SIGNED_IN = rule(set(IDENTITIES) - {"anonymous"})
STAFF_ONLY = rule(STAFF)
WRITERS = rule({"admin", "analyst"})
ADMIN = rule({"admin"})
JPN_DRAFT = rule(STAFF | {"liaison-JPN"})  # the path names JPN's draft
JPN_LIAISON = rule({"liaison-JPN"})  # only the government answers its draft
NGO = rule({"ngo"})  # only an NGO submits a shadow report
NGO_AND_STAFF = rule(STAFF | {"ngo"})  # an NGO reads its own submissions, staff every one
UPLOADERS = rule({"admin", "analyst", "liaison-JPN", "liaison-CHN", "ngo"})
ANY = rule(set(), set(IDENTITIES))

# The whole report as PDF renders ~190 countries (a minute, then cached): checked on the embargoed year only, where
# everybody is refused; the public year's report is the publication tests' business.
NOBODY = rule(set())
HEAVY = r"\.(pdf|png|zip)$|^/analysis/model/"

EXPECTATIONS: list[tuple[str, str, dict[str, str]]] = [  # (method, path regex, rule); first match wins
    ("GET", r"^/api/v1/openapi\.json$", EVERYONE),
    ("GET", r"^/about/", ANY),  # prose shipped with the package, the same for everyone ({name} here is an account)
    ("GET", r"^/(palette\.css|favicon\.svg)$", ANY),  # the colours and the icon, from publish/palette.py
    ("GET", r"^/$|^/years/|^/countries/\{iso3\}$|^/api/v1/years|^/api/v1/countries/\{iso3\}/(placements|timeline)$|"
            r"^/(api/v1/)?countries/\{iso3\}/cables$",
     EVERYONE),
    ("GET", r"^/(api/v1/)?cables/|^/(api/v1/)?search$", EVERYONE),
    ("GET", r"^/reports/\{year\}\.pdf$", NOBODY),
    ("GET", r"^/(api/v1/)?(map|movements|compare|data|publications)", EVERYONE),
    ("GET", r"^/(api/v1/)?narratives/\{iso3\}/\{year\}(\.json|\.pdf)?$", EVERYONE),
    ("GET", r"^/narratives/\{iso3\}/\{year\}/edit$", WRITERS),
    # a translation of a published narrative, for everyone; 404 where there is none (tests/test_texts_web.py)
    ("GET", r"^/(api/v1/)?narratives/\{iso3\}/\{year\}(/in)?/\{language\}(\.json)?$", ANY),
    ("POST", r"^/(api/v1/)?narratives/", WRITERS),
    ("PUT", r"^/api/v1/publications/", ADMIN),
    ("POST", r"^/(api/v1/)?determinations$", EVERYONE),  # the what-if: JSON, or drawn as the page draws it
    ("GET", r"^/api/v1/methodology$|^/(api/v1/)?countries/\{iso3\}/\{year\}(/determination)?$", EVERYONE),
    ("GET", r"^/api/v1/session$", ANY),
    ("POST", r"^/api/v1/session$|^/login$", ANY),
    ("DELETE", r"^/api/v1/session$", ANY),
    ("POST", r"^/logout$", ANY),
    ("GET", r"^/login$", EVERYONE),
    ("GET", r"^/(api/v1|admin)/activity", ADMIN),
    ("GET", r"^/(api/v1|admin)/users", ADMIN),
    ("POST", r"^/(api/v1|admin)/users", ADMIN),
    ("GET", r"^/admin/import$", ADMIN),  # a report's lists, pasted
    ("POST", r"^/admin/import$", ADMIN),
    ("GET", r"^/api/v1/(evidence|attachments)", STAFF_ONLY),  # the seeded file is staff's: others get a 404
    ("GET", r"^/(api/v1/)?submissions(/\{submission_id\})?$", NGO_AND_STAFF),
    ("GET", r"^/submissions/new$", NGO),
    ("POST", r"^/(api/v1/)?submissions(/new)?$", NGO),
    ("PUT", r"^/api/v1/submissions/\{submission_id\}/claims/\{evidence_id\}/note$", WRITERS),
    ("POST", r"^/api/v1/attachments$", UPLOADERS),
    ("GET", r"^/work$", SIGNED_IN),  # each account's own start: drafts, its draft, its shadow reports
    ("GET", r"^/workspace/\{iso3\}/\{year\}/send$", WRITERS),  # what the government will see, before sending
    ("POST", r"^/workspace/\{iso3\}/\{year\}(/send)?$", WRITERS),  # the rating editor without script; the send
    ("GET", r"^/workspace$", STAFF_ONLY),  # the "start a draft" form
    ("GET", r"^/(api/v1/)?workspace/", STAFF_ONLY),
    ("GET", r"^/(api/v1/)?reviews$|^/api/v1/reviews/\{iso3\}/\{year\}/gate$", STAFF_ONLY),
    ("GET", r"^/(api/v1/)?reviews?/\{iso3\}/\{year\}$|^/(api/v1/)?(questionnaires|review)/\{iso3\}/\{year\}",
     JPN_DRAFT),
    ("POST", r"^/api/v1/(evidence|attachments)|^/api/v1/reviews/\{iso3\}/\{year\}/requests$|^/api/v1/disputes/",
     WRITERS),
    ("PUT", r"^/api/v1/assessments/", WRITERS),
    ("POST", r"^/api/v1/reviews/\{iso3\}/\{year\}/(claims/|complete$)", JPN_LIAISON),
    # only Japan's liaison may send final comments; here its final report is not sent yet (a 404 for it)
    ("POST", r"^/api/v1/reviews/\{iso3\}/\{year\}/final-comments$", rule(set(), {"liaison-JPN"})),
    ("PUT", r"^/api/v1/questionnaires/", JPN_LIAISON),
    ("POST", r"^/api/v1/reviews/\{iso3\}/\{year\}/gate-override$", ADMIN),
    ("POST", r"^/api/v1/reviews/\{iso3\}/\{year\}/translations$", WRITERS),  # the office translates
    ("GET", r"^/(api/v1/)?analysis/", EVERYONE),
    ("GET", r"^/(api/v1/)?calendar", EVERYONE),  # who was sent what only for staff (test_cycle_web)
    ("GET", r"^/api/v1/burden$", STAFF_ONLY),
    ("GET", r"^/call$", EVERYONE),  # the public call: no account (test_call)
    ("POST", r"^/call$", ANY),
    ("GET", r"^/call/confirm/\{token\}$", ANY),
    ("GET", r"^/(api/v1/)?notices$", SIGNED_IN),  # each sees only their own (test_notices_web)
    ("POST", r"^/notices$", SIGNED_IN),
    ("PUT", r"^/api/v1/notices/preferences$", SIGNED_IN),
]


# --- the site ----------------------------------------------------------------------------------------------------


@dataclass
class Site:
    app: Any
    tokens: dict[str, str]
    params: dict[str, str]
    files: list[str]  # SHA-256 of the files seeded with the drafts and the NGOs' submissions
    connections: ConnectionsPerRequest


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    db = TestDatabase("sqlite", tmp_path_factory).load_bundled()
    tokens: dict[str, str] = {}
    with transaction(db.sessions) as session:
        for label, account in IDENTITIES.items():
            if account:
                name, role, country, organisation = account
                users.create_user(session, name, role, PASSWORD, country, actor="test", organisation=organisation)
                tokens[label], _ = users.create_api_token(session, name, label="matrix", actor="test")
        users.create_user(session, "temp", "analyst", PASSWORD, actor="test")  # for the deactivate routes
        users.create_user(session, "lastrada", "ngo", PASSWORD, actor="test", organisation="La Strada")
    ingest(db.sessions, iter_cable_inputs([FIXTURE]))
    ids = {}
    with transaction(db.sessions) as session:
        attachment = attachments.store_attachment(session, "ngo-report.txt", b"JPNDRAFTCLAIMQX7731 in an attachment",
                                               "text/plain")
        for iso3, secret in (("JPN", "JPNDRAFTCLAIMQX7731"), ("CHN", "CHNDRAFTCLAIMQX4410")):
            row = evidence.add_evidence(
                session, iso3=iso3, year=DRAFT_YEAR, criteria=["criterion_1"], entered_by="al",
                statement=f"An NGO reports {secret}: recruiters deceived workers about their pay.",
                source_type="ngo", source_name="An NGO",
                attachment_sha256=attachment.sha256 if iso3 == "JPN" else None)
            ids[iso3] = row.id
        shadow = {}
        for who, iso3, secret, upload in (("polaris", "JPN", "POLARISCLAIMQX6604", "POLARISFILEQX5505"),
                                          ("lastrada", "CHN", "OTHERNGOCLAIMQX3303", "OTHERNGOFILEQX7707")):
            report = submissions.submit(session, users.require_user(session, who), iso3, DRAFT_YEAR, [
                submissions.ClaimIn(f"{secret}: recruitment fees charged to workers.", ["criterion_1"],
                                    file=submissions.UploadedFile(f"{who}.txt", f"{upload} interviews".encode()))])
            shadow[who] = report
        for iso3 in ("JPN", "CHN"):
            reviews.send_request(session, iso3, DRAFT_YEAR, "al")
        for iso3, secret in (("JPN", "JPNDRAFTNARRATIVEQX8812"), ("CHN", "CHNDRAFTNARRATIVEQX5521")):
            publication.save_narrative(session, iso3, DRAFT_YEAR, f"# {iso3}\n\n{secret}: a xylograph draft.", "al")
        answer = attachments.store_attachment(session, "law.txt", b"JPNGOVFILEQX2202: Penal Code art. 226-2",
                                              "text/plain")
        attachments.note_upload(session, answer.sha256, users.require_user(session, "tanaka").id)
        dispute = reviews.respond(session, "JPN", DRAFT_YEAR, ids["JPN"], "dispute", "JPNGOVANSWERQX9901: not so.",
                                   "tanaka", counter_evidence="Penal Code article 226-2",
                                   attachment_sha256=answer.sha256, attachment_public=True)
        files = [answer.sha256] + [r.claims[0].evidence.attachment_sha256 for r in shadow.values()]
    params = {"iso3": "JPN", "year": str(DRAFT_YEAR), "reference_id": "08TOKYO1528",
              "evidence_id": str(shadow["polaris"].claims[0].evidence_id),  # in Japan's draft and in a submission
              "sha256": attachment.sha256, "dispute_id": str(getattr(dispute, "id", 1)), "table": "placements",
              "fmt": "csv", "name": "temp", "submission_id": str(shadow["polaris"].id), "token": "no-such-link",
              "language": "es"}
    app = create_app(db.url)
    yield Site(app, tokens, params, files, ConnectionsPerRequest(app))
    db.drop()


def routes(app: Any) -> list[tuple[str, str]]:
    """(method, path) of every route, through included routers (FastAPI >= 0.120 keeps them nested)."""
    found: set[tuple[str, str]] = set()

    def walk(items: list[Any]) -> None:
        for route in items:
            if hasattr(route, "effective_route_contexts"):
                for context in route.effective_route_contexts():
                    for method in getattr(context.original_route, "methods", None) or ():
                        found.add((method, context.path))
            elif hasattr(route, "methods") and route.methods:
                found.update((m, route.path) for m in route.methods)
            elif hasattr(route, "routes") and not route.path.startswith("/static"):
                walk(route.routes)

    walk(app.routes)
    # "/countries/{iso3}/{year:int}" -> "/countries/{iso3}/{year}": the convertor only narrows what matches
    return sorted((m, re.sub(r"\{(\w+):\w+\}", r"{\1}", p)) for m, p in found if m != "HEAD")


def expectation(method: str, path: str) -> dict[str, str] | None:
    for m, pattern, who in EXPECTATIONS:
        if m == method and re.search(pattern, path):
            return who
    return None


def is_page(path: str) -> bool:
    return not path.startswith("/api/")


def body_for(method: str, path: str) -> dict[str, Any]:
    """A valid request body, so that a refusal is the role's and not the body's."""
    if method == "GET":
        return {}
    bodies: list[tuple[str, dict[str, Any]]] = [
        (r"^/api/v1/narratives", {"json": {"markdown": "# Japan\n\nA new draft."}}),
        (r"^/narratives/.*/edit$", {"data": {"markdown": "# Japan\n\nA new draft."}}),
        (r"^/api/v1/publications", {"json": {"publish_at": "2099-01-01T00:00:00"}}),
        (r"^/(api/v1/)?determinations$", {"json": {"iso3": "JPN", "year": PUBLIC_YEAR, "ratings": []}}),
        (r"^/api/v1/session$|^/login$", {"json": {"name": "nobody", "password": "wrong password"}}),
        (r"^/api/v1/evidence$", {"json": {"iso3": "JPN", "year": DRAFT_YEAR, "criteria": ["criterion_1"],
                                          "statement": "Another claim.", "source_type": "ngo",
                                          "source_name": "An NGO"}}),
        (r"^/api/v1/evidence/.*/state$", {"json": {"state": "corroborated", "reason": "a second source"}}),
        (r"^/api/v1/attachments$", {"files": {"file": ("a.txt", b"an attachment", "text/plain")}}),
        (r"^/api/v1/users$", {"json": {"name": "newcomer", "role": "reviewer", "password": PASSWORD}}),
        (r"^/admin/users$", {"data": {"name": "newcomer2", "role": "reviewer", "password": PASSWORD}}),
        (r"^/api/v1/assessments", {"json": {"ratings": []}}),
        (r"/requests$", {"json": {"kind": "questionnaire"}}),
        (r"/responses$", {"json": {"kind": "comment", "text": "A comment."}}),
        (r"/complete$", {}),
        (r"/final-comments$", {"json": {"text": "Our final comments."}}),
        (r"^/api/v1/questionnaires", {"json": {"answers": {}}}),
        (r"^/api/v1/disputes", {"json": {"outcome": "maintained", "reason": "The source stands."}}),
        (r"/gate-override$", {"json": {"reason": "Publishing on schedule."}}),
        (r"/translations$", {"json": {"text_kind": "response", "text_id": "1", "language": "fr",
                                      "text": "Pas du tout (traduction du bureau)."}}),
        (r"^/api/v1/submissions$", {"json": {"iso3": "JPN", "year": DRAFT_YEAR, "claims": [
            {"statement": "Another NGO claim.", "criteria": ["criterion_2"]}]}}),
        (r"^/submissions/new$", {"data": {"iso3": "JPN", "year": str(DRAFT_YEAR), "claims": "1",
                                          "claim-0-statement": "A claim by the form.",
                                          "claim-0-criteria": "criterion_2"}}),
        (r"/note$", {"json": {"note": "Please send the source."}}),
    ]
    for pattern, body in bodies:
        if re.search(pattern, path):
            return body
    return {}


def client(site: Site, who: str) -> TestClient:
    c = TestClient(site.app, raise_server_exceptions=False, follow_redirects=False)
    if who != "anonymous":
        c.headers["Authorization"] = f"Bearer {site.tokens[who]}"
    return c


def text_of(response: Any) -> str:
    if response.headers.get("content-type", "").startswith("application/pdf"):
        out = subprocess.run(["pdftotext", "-", "-"], input=response.content, capture_output=True, timeout=60)
        return out.stdout.decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def forbidden_secrets(who: str) -> list[str]:
    if who in STAFF:
        return []
    return [s for s, allowed in SECRETS.items() if who not in allowed]


def check_headers(response: Any, where: str) -> list[str]:
    problems = []
    csp = response.headers.get("content-security-policy", "")
    script_src = re.search(r"script-src([^;]*)", csp)
    if not script_src or "unsafe-inline" in script_src.group(1) or "frame-ancestors" not in csp:
        problems.append(f"{where}: Content-Security-Policy {csp!r}")
    if response.headers.get("x-content-type-options") != "nosniff":
        problems.append(f"{where}: no X-Content-Type-Options: nosniff")
    return problems


def verdict(response: Any, method: str, path: str) -> str:
    status = response.status_code
    if status >= 500:
        return "error"
    if status in (401, 403) or (status in (302, 303, 307) and "/login" in response.headers.get("location", "")):
        return "denied"
    if status == 404:
        return "denied"  # a liaison of another country gets a 404: the draft does not exist for them
    return "ok"


# --- the tests ---------------------------------------------------------------------------------------------------


def test_every_route_is_classified(site):
    unclassified = [f"{m} {p}" for m, p in routes(site.app) if expectation(m, p) is None]
    assert not unclassified, "routes with no expectation in EXPECTATIONS (classify them): " + ", ".join(unclassified)
    assert len(routes(site.app)) > 60


@pytest.mark.parametrize("who", list(IDENTITIES))
def test_every_route_answers_each_role_as_expected_and_leaks_no_draft(site, who):
    c = client(site, who)
    failures: list[str] = []
    all_routes = routes(site.app)
    reads = [(m, p) for m, p in all_routes if m == "GET"]
    writes = [(m, p) for m, p in all_routes if m != "GET"]
    secrets = forbidden_secrets(who)
    # every read, then searches for each secret and each open-data table, then the writes
    # searches for words of the drafts (not the secrets, which the page would echo), and the open data
    extra = [f"{base}?q={q}" for base in ("/api/v1/search", "/search") for q in ("recruiters deceived", "xylograph")]
    extra += [f"/api/v1/data/{t}.{f}" for t in ("placements", "narratives", "publications", "evidence", "claims")
              for f in ("csv", "json")]
    extra += [f"/api/v1/attachments/{sha}" for sha in site.files]
    for method, path in [*reads, *writes]:
        who_rule = expectation(method, path)
        assert who_rule is not None, f"{method} {path} unclassified"
        # the status is checked on JPN's draft year, or on a published year for what everyone may read
        year = PUBLIC_YEAR if who_rule is EVERYONE else DRAFT_YEAR
        url = path.format(**{**site.params, "year": year})
        headers = {"accept": "text/html"} if is_page(path) else {}
        response = c.request(method, url, headers=headers, **body_for(method, path))
        got = verdict(response, method, path)
        want = who_rule[who]
        if got == "error" or (want != "any" and got != want):
            failures.append(f"{method} {url} as {who}: {response.status_code}, expected {want}: "
                            f"{' '.join(response.text[:160].split())}")
        failures += check_headers(response, f"{method} {url}")
        failures += [f"{method} {url} as {who} shows {s}" for s in secrets if s in text_of(response)]
        if method == "GET" and secrets and not re.search(HEAVY, path):  # every country and year, for leaks only
            variants = {path.format(**{**site.params, "iso3": iso3, "year": y})
                        for iso3 in ("JPN", "CHN") for y in (PUBLIC_YEAR, DRAFT_YEAR)} - {url}
            extra += sorted(variants)
    for url in extra:
        response = c.get(url, headers={"accept": "text/html"} if is_page(url) else {})
        if response.status_code >= 500:
            failures.append(f"GET {url} as {who}: {response.status_code}")
        body = text_of(response)
        failures += [f"GET {url} as {who} shows {s}" for s in secrets if s in body]
    failures += [f"{path} as {who} held {peak} pooled connections at once"
                 for path, peak in site.connections.over_one().items()]
    site.connections.peaks.clear()
    assert not failures, "\n".join(failures)


def test_the_secrets_are_really_there_for_those_who_may_see_them(site):
    """The leak checks above are only worth something if the seeded drafts are visible where they should be."""
    admin = client(site, "admin")
    jpn = client(site, "liaison-JPN")
    workspace = admin.get(f"/api/v1/workspace/JPN/{DRAFT_YEAR}")
    assert workspace.status_code == 200 and "JPNDRAFTCLAIMQX7731" in workspace.text
    assert "JPNDRAFTCLAIMQX7731" in jpn.get(f"/api/v1/reviews/JPN/{DRAFT_YEAR}").text
    narrative = admin.get(f"/narratives/CHN/{DRAFT_YEAR}/edit")
    assert narrative.status_code == 200 and "CHNDRAFTNARRATIVEQX5521" in narrative.text, narrative.text[:300]
    review = jpn.get(f"/review/JPN/{DRAFT_YEAR}", headers={"accept": "text/html"}).text
    assert "JPNGOVANSWERQX9901" in review and "POLARISCLAIMQX6604" in review and "law.txt" in review
    government_file, polaris_file, other_file = site.files
    assert "JPNGOVFILEQX2202" in jpn.get(f"/api/v1/attachments/{government_file}").text  # its own upload
    ngo = client(site, "ngo")
    mine = ngo.get("/api/v1/submissions").text
    assert "POLARISCLAIMQX6604" in mine and "OTHERNGOCLAIMQX3303" not in mine
    assert "POLARISFILEQX5505" in ngo.get(f"/api/v1/attachments/{polaris_file}").text
    assert "OTHERNGOCLAIMQX3303" in admin.get("/api/v1/submissions").text
    assert "OTHERNGOFILEQX7707" in admin.get(f"/api/v1/attachments/{other_file}").text


def year_spellings(year: int) -> list[str]:
    """The draft year written otherwise than its four digits, as a URL path segment (percent-encoded)."""
    fullwidth = "".join(chr(0xFF10 + int(d)) for d in str(year))
    return [f"0{year}", f"00{year}", f"+{year}", f"{year}%20", f"%20{year}", f"{year}.0", f"{year}%00", f"{year}%0A",
            f"{str(year)[:1]}_{str(year)[1:]}", quote(fullwidth), f"{year}e0", f"{year}%2E0", f"0x{year:x}"]


@pytest.mark.parametrize("who", ["anonymous", "liaison-CHN", "ngo", "admin"])
def test_a_year_spelled_otherwise_names_no_page_on_any_route(site, who):
    """Every route with a year in its path, with the embargoed year in every other spelling: 404 (or the refusal of
    a route that needs a login), never the year's data, for anyone; in a query: 422 naming `year`."""
    c = client(site, who)
    failures: list[str] = []
    with_year = [(m, p) for m, p in routes(site.app) if "{year}" in p]
    assert len(with_year) > 30
    for method, path in with_year:
        for spelling in year_spellings(DRAFT_YEAR):
            url = path.format(**{**site.params, "year": spelling})
            response = c.request(method, url, headers={"accept": "text/html"} if is_page(path) else {},
                                 **body_for(method, path))
            if response.status_code not in (401, 403, 404, 405) and not (
                    response.status_code in (302, 303) and "/login" in response.headers.get("location", "")):
                failures.append(f"{method} {url} as {who}: {response.status_code}")
            failures += [f"{method} {url} as {who} shows {s}" for s in SECRETS if s in text_of(response)]
            if response.status_code == 404 and not is_page(path):
                detail = response.json()["error"]["detail"]
                named = detail.partition("(")[2]  # the years a message lists may not include the draft year
                if not detail.startswith("year: ") or (who != "admin" and str(DRAFT_YEAR) in named):
                    failures.append(f"{method} {url} as {who}: {detail!r}")
    for query in ("/api/v1/data/placements.csv?year={}", "/api/v1/search?year={}", "/search?year={}",
                  "/api/v1/reviews?year={}", "/api/v1/evidence?year={}", "/api/v1/submissions?year={}",
                  "/api/v1/methodology?year={}"):
        for spelling in year_spellings(DRAFT_YEAR):
            response = c.get(query.format(spelling))
            if response.status_code not in (401, 403, 422) or (response.status_code == 422 and "year" not in
                                                                  response.text):
                failures.append(f"GET {query.format(spelling)} as {who}: {response.status_code} {response.text[:80]}")
    assert not failures, "\n".join(failures)


def test_the_embargoed_year_and_a_year_that_does_not_exist_get_the_same_answer(site):
    """The 404 of an embargoed year names only published years: it tells nobody that the year has data."""
    c = client(site, "anonymous")
    for path in ("/api/v1/years/{}/placements", "/api/v1/countries/JPN/{}", "/api/v1/narratives/JPN/{}.json",
                 "/api/v1/analysis/robustness/{}", "/api/v1/analysis/consistency/{}", "/api/v1/map/{}.json"):
        draft, absent = c.get(path.format(DRAFT_YEAR)), c.get(path.format(1999))
        assert draft.status_code == absent.status_code == 404, path
        assert draft.json()["error"]["detail"] == absent.json()["error"]["detail"].replace("1999", str(DRAFT_YEAR))
        assert "published years: 2001-2025" in draft.json()["error"]["detail"], draft.text
