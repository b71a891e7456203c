"""axe-core (WCAG 2.1 A and AA) over every page a browser opens, public and staff, in Debian's Chromium, on a site
in its populated states: the bundled history, a draft with ratings and evidence sent to the government, the
government's answers (a dispute and a comment), a questionnaire, an NGO's shadow report, cables, notices, a public
call for information, the activity log.

axe-core is the copy that the PyPI package axe-playwright-python bundles (a test extra); nothing is fetched at run
time. The pages are enumerated from the app's routes: a page route with no entry in PAGES fails
`test_every_page_route_is_checked`, so a new page is checked as soon as it exists.

KNOWN_FAILURES lists pages that still fail, with the rules they break, so that the suite is red for anything new
while they are being fixed. A page leaves the list when it passes: a page on the list that has no violation fails
too (remove its line). The end state is an empty list.
  Run it:  .venv/bin/pytest tests/test_accessibility.py -q      (one page: -k workspace)
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from playwright.sync_api import Browser

import conftest
import test_cables_corpus as corpus
from tiptiers.sources.cables import parse_cable
from tiptiers.store import call
from tiptiers.store.cables import ParsedCable, store_cables
from tiptiers.store.db import transaction
from tiptiers.store.placements import load_bundled
from tiptiers.store.publication import utcnow
from tiptiers.store.users import create_api_token, create_user
from tiptiers.web import routes
from tiptiers.web.app import create_app

pytestmark = pytest.mark.browser

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PASSWORD = "correct horse battery staple"
ACCOUNTS = {"root": ("admin", None), "ana": ("analyst", None), "rev": ("reviewer", None),
            "jpn-liaison": ("liaison", "JPN"), "ngo": ("ngo", None)}
DRAFT = 2026
PUBLISHED = 2013
ERROR_PAGE = "/countries/Japn"  # a 404 with its "did you mean"

# (route path, who looks, the URL): every HTML page, as each kind of visitor who may open it sees it.
PAGES: list[tuple[str, str | None, str]] = [
    ("/", None, "/"),
    ("/years/{year}", None, f"/years/{PUBLISHED}"),
    ("/countries/{iso3}", None, "/countries/JPN"),
    ("/countries/{iso3}/cables", None, "/countries/JPN/cables"),
    ("/countries/{iso3}/{year}", None, f"/countries/JPN/{PUBLISHED}"),
    ("/countries/{iso3}/{year}", "ana", f"/countries/JPN/{DRAFT}"),
    ("/map/{year}", None, f"/map/{PUBLISHED}"),
    ("/movements/{year}", None, f"/movements/{PUBLISHED}"),
    ("/movements/{year}", None, f"/movements/{PUBLISHED}?direction=down&to=3"),
    ("/narratives/{iso3}/{year}", None, f"/narratives/JPN/{PUBLISHED}"),
    ("/narratives/{iso3}/{year}/edit", "ana", f"/narratives/JPN/{DRAFT}/edit"),
    ("/narratives/{iso3}/{year}/in/{language}", None, f"/narratives/JPN/{PUBLISHED}/in/ar"),  # right to left
    ("/compare", None, "/compare"),
    ("/compare", None, "/compare?c=JPN&c=KOR&c=USA"),
    ("/data", None, "/data"),
    ("/search", None, "/search"),
    ("/search", None, "/search?q=labor"),
    ("/cables/{reference_id}", None, "/cables/08TOKYO1528"),
    ("/calendar/{year}", None, f"/calendar/{DRAFT}"),
    ("/calendar/{year}", "ana", f"/calendar/{DRAFT}"),
    ("/analysis/consistency", None, "/analysis/consistency"),
    ("/analysis/consistency/{year}", None, f"/analysis/consistency/{PUBLISHED}"),
    ("/analysis/model/{year}", None, f"/analysis/model/{PUBLISHED}"),
    ("/analysis/robustness/{year}", None, f"/analysis/robustness/{PUBLISHED}?draws=200"),
    ("/call", None, "/call"),
    ("/call/confirm/{token}", None, "/call/confirm/{call_token}"),
    ("/login", None, "/login"),
    ("/about/{name}", None, "/about/methodology"),
    ("/about/{name}", None, "/about/data"),
    ("(error)", None, ERROR_PAGE),
    ("/work", "ana", "/work"),
    ("/work", "root", f"/work?year={DRAFT}"),
    ("/workspace/{iso3}/{year}", "ana", f"/workspace/JPN/{DRAFT}"),
    ("/workspace/{iso3}/{year}", "rev", f"/workspace/JPN/{DRAFT}"),  # read only
    ("/workspace/{iso3}/{year}/send", "ana", f"/workspace/JPN/{DRAFT}/send"),
    ("/admin/import", "root", "/admin/import"),
    ("/review/{iso3}/{year}", "jpn-liaison", f"/review/JPN/{DRAFT}"),
    ("/review/{iso3}/{year}", "ana", f"/review/JPN/{DRAFT}"),
    ("/review/{iso3}/{year}/questionnaire", "jpn-liaison", f"/review/JPN/{DRAFT}/questionnaire"),
    ("/reviews", "ana", "/reviews"),
    ("/submissions", "ngo", "/submissions"),
    ("/submissions", "ana", "/submissions"),
    ("/submissions/new", "ngo", "/submissions/new"),
    ("/notices", "jpn-liaison", "/notices"),
    ("/admin/users", "root", "/admin/users"),
    ("/admin/activity", "root", "/admin/activity"),
]
# Routes a browser opens that are not HTML pages, or only redirect to one that is checked above.
NOT_PAGES = {"/map", "/calendar", "/movements", "/countries/{iso3}/{year}/determination", "/logout",
             "/workspace"}  # /workspace?iso3=&year=: the "start a draft" form's redirect
NOT_PAGE_SUFFIXES = (".png", ".svg", ".pdf", ".ics", ".css", ".csv", ".json", ".zip")

# (who, URL) -> the rules it still breaks. Staff pages being fixed under issue 15 (the `staff` engineer).
KNOWN_FAILURES: dict[tuple[str | None, str], set[str]] = {}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    patch = pytest.MonkeyPatch()
    patch.setenv("TIPTIERS_SMTP_URL", "smtp://127.0.0.1:9")  # the call for information is open (nothing is sent)
    db = conftest.TestDatabase("sqlite", tmp_path_factory)
    tokens = {}
    with transaction(db.sessions) as session:
        load_bundled(session)
        for name, (role, country) in ACCOUNTS.items():
            create_user(session, name, role, PASSWORD, country=country,
                        organisation="Polaris Project" if role == "ngo" else None)
            tokens[name] = create_api_token(session, name)[0]
    with transaction(db.sessions) as session:
        store_cables(session, [ParsedCable.of(parse_cable(t), t, "test")
                               for t in (corpus.original(), corpus.cooperative(), corpus.neutral())])
    with transaction(db.sessions) as session:
        _row, call_token = call.submit(session, **_CALL_FORM, now=utcnow())
    app = create_app(db.url)
    _populate(app, tokens)
    with conftest.serve_app(app) as url:
        yield {"url": url, "tokens": tokens, "call_token": call_token}
    db.drop()
    patch.undo()


_CALL_FORM = {"email": "reader@example.org", "sender": "A. Reader", "source_type": "academic", "country": "Japan",
              "statement": "Workers recruited abroad had their passports taken by their employer.",
              "criteria": ["criterion_1"], "source_url": "https://example.org/report"}


def _ok(response: Any, *status: int) -> Any:
    assert response.status_code in (status or (200, 201)), response.text
    return response.json()


def _populate(app: Any, tokens: dict[str, str]) -> None:
    """Japan's draft of DRAFT with evidence and ratings, sent; the liaison's dispute, comment and questionnaire;
    an NGO's shadow report. Through the API, as the people would."""
    def client(name: str) -> TestClient:
        c = TestClient(app)
        c.headers["Authorization"] = f"Bearer {tokens[name]}"
        return c

    ana, jpn, ngo = client("ana"), client("jpn-liaison"), client("ngo")
    claims = [_ok(ana.post("/api/v1/evidence", json={
        "iso3": "JPN", "year": DRAFT, "criteria": criteria, "statement": text, "source_type": "ngo",
        "source_name": "Polaris Project", "source_date": "2026-01-10"}))["id"] for criteria, text in (
        (["criterion_1", "standard_1"], "Japanese law does not criminalise labour recruitment through fraud."),
        (["criterion_2"], "Shelters for victims of labour trafficking are few and far from the cities."),
        (["criterion_3"], "The government ran a public campaign against forced labour."))]
    ratings = [{"criterion": c, "level": level, "evidence": ev} for c, level, ev in (
        ("standard_1", "partial", [claims[0]]), ("criterion_1", "partial", [claims[0]]),
        ("criterion_2", "not_met", [claims[1]]), ("criterion_3", "substantial", [claims[2]]))]
    _ok(ana.put(f"/api/v1/assessments/JPN/{DRAFT}", json={"ratings": ratings, "narrative": "Japan's draft."}))
    _ok(ana.post(f"/api/v1/reviews/JPN/{DRAFT}/requests", json={"questionnaire": True}))
    _ok(jpn.post(f"/api/v1/reviews/JPN/{DRAFT}/claims/{claims[0]}/responses", json={
        "kind": "dispute", "text": "This is false.",
        "counter_evidence": "Penal Code article 226-2 covers recruitment by deception."}))
    comment = _ok(jpn.post(f"/api/v1/reviews/JPN/{DRAFT}/claims/{claims[1]}/responses", json={
        "kind": "comment", "text": "Se abrieron dos refugios nuevos en 2025.", "language": "es"}))
    _ok(ana.post(f"/api/v1/reviews/JPN/{DRAFT}/translations", json={  # shown beside it, marked as the office's
        "text_kind": "response", "text_id": str(comment["id"]), "language": "en",
        "text": "Two new shelters opened in 2025."}))
    _ok(ana.post(f"/api/v1/narratives/JPN/{PUBLISHED}", json={"markdown": "# اليابان\n\nترجمة السرد.",
                                                               "language": "ar"}))
    _ok(jpn.put(f"/api/v1/questionnaires/JPN/{DRAFT}", json={"answers": {"laws": "Penal Code art. 226-2"}}))
    _ok(ngo.post("/api/v1/submissions", json={"iso3": "JPN", "year": DRAFT, "claims": [
        {"statement": "Technical intern trainees paid below the minimum wage.", "criteria": ["criterion_1"],
         "source_date": "2025-12-01", "source_url": "https://example.org/report"}]}))


@pytest.fixture(scope="module")
def axe_script() -> str:
    return resources.files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")


def _violations(browser: Browser, site: dict[str, Any], axe_script: str, who: str | None, url: str,
                width: int = 1280) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {site['tokens'][who]}"} if who else {}
    context = browser.new_context(extra_http_headers=headers, viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        response = page.goto(site["url"] + url.replace("{call_token}", site["call_token"]))
        assert response is not None and response.status == (404 if url == ERROR_PAGE else 200), (url, response.status)
        page.wait_for_load_state("load")
        if who and width < 500:  # a staff page on a phone: wide tables scroll in their box, the page does not
            assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{url} is wider than {width} px"
        page.evaluate(axe_script)
        result = page.evaluate("opts => axe.run(document, opts)",
                               {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]})
        return list(result["violations"])
    finally:
        context.close()


def _describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        nodes = v["nodes"]
        lines.append(f"{v['id']} ({v['impact']}, {len(nodes)}): {v['help']}; e.g. "
                     + " | ".join(" ".join(n["target"]) if isinstance(n["target"], list) else str(n["target"])
                                  for n in nodes[:3]))
    return "\n  ".join(lines)


@pytest.mark.parametrize(("route", "who", "url"), PAGES, ids=[f"{w or 'public'} {u}" for _r, w, u in PAGES])
def test_no_wcag_21_aa_violation(browser, site, axe_script, route, who, url):
    found = _violations(browser, site, axe_script, who, url)
    rules = {v["id"] for v in found}
    known = KNOWN_FAILURES.get((who, url))
    if known is not None:
        assert rules, f"{url} as {who or 'the public'} passes now: remove it from KNOWN_FAILURES"
        new = rules - known
        assert not new, f"{url} as {who or 'the public'} breaks more rules than listed:\n  " + _describe(
            [v for v in found if v["id"] in new])
        return
    assert not found, f"{url} as {who or 'the public'}:\n  " + _describe(found)


@pytest.mark.parametrize(("who", "url"), [(None, "/"), (None, f"/map/{PUBLISHED}"), (None, f"/movements/{PUBLISHED}"),
                                          (None, "/compare?c=JPN&c=KOR"), ("ana", f"/workspace/JPN/{DRAFT}"),
                                          ("jpn-liaison", f"/review/JPN/{DRAFT}"), ("ana", "/work"),
                                          ("ana", f"/workspace/JPN/{DRAFT}/send"), ("root", "/admin/import")])
def test_no_violation_on_a_phone(browser, site, axe_script, who, url):
    found = _violations(browser, site, axe_script, who, url, width=390)
    assert not found, f"{url} at 390 px:\n  " + _describe(found)


def _axe(page: Any, axe_script: str) -> list[dict[str, Any]]:
    page.evaluate(axe_script)
    result = page.evaluate("opts => axe.run(document, opts)",
                           {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]})
    return list(result["violations"])


def test_staff_pages_in_the_states_a_form_leaves_them(browser, site, axe_script):
    """States no address opens: the import's preview with a name it does not know, the workspace after a live
    change has redrawn the tier, the liaison's "change your answer" unfolded."""
    context = browser.new_context(extra_http_headers={"Authorization": f"Bearer {site['tokens']['root']}"})
    try:
        page = context.new_page()
        page.goto(site["url"] + "/admin/import")
        page.fill("#imp-year", str(DRAFT + 1))
        page.fill("#imp-source", "A test paste")
        page.fill("#imp-published", f"{DRAFT + 1}-06-20")
        page.fill("#imp-text", "TIER 1\nCanada, Australa\nTIER 3\nKorea, North")
        with page.expect_navigation():
            page.click("button[value=preview]")
        assert "Australia" in page.locator("#import-errors").inner_text()
        found = _axe(page, axe_script)
        assert not found, "the import's errors:\n  " + _describe(found)
        page.fill("#imp-text", "TIER 1\nCanada, Australia\nTIER 3\nKorea, North")
        with page.expect_navigation():
            page.click("button[value=preview]")
        assert page.locator("#preview").is_visible()
        found = _axe(page, axe_script)
        assert not found, "the import's preview:\n  " + _describe(found)
    finally:
        context.close()
    for who, url, action in (("ana", f"/workspace/JPN/{DRAFT}", "select[name=level-criterion_4]"),
                             ("jpn-liaison", f"/review/JPN/{DRAFT}", "details.change-answer summary")):
        context = browser.new_context(extra_http_headers={"Authorization": f"Bearer {site['tokens'][who]}"})
        try:
            page = context.new_page()
            page.goto(site["url"] + url)
            if action.startswith("select"):
                page.select_option(action, "partial")
                page.wait_for_selector("#tier .result, #det-error")
            else:
                page.locator(action).first.click()
            found = _axe(page, axe_script)
            assert not found, f"{url} as {who} after a change:\n  " + _describe(found)
        finally:
            context.close()


def test_every_page_route_is_checked():
    checked = {route for route, _who, _url in PAGES} | NOT_PAGES
    missing = []
    for info in pkgutil.iter_modules(routes.__path__):
        module = importlib.import_module(f"{routes.__name__}.{info.name}")
        for r in getattr(module, "pages", APIRouter()).routes:
            if isinstance(r, APIRoute) and "GET" in r.methods and not r.path.endswith(NOT_PAGE_SUFFIXES) \
                    and r.path not in checked:
                missing.append(r.path)
    assert not missing, f"pages axe does not check: {missing}; add each to PAGES (or NOT_PAGES if not HTML)"
