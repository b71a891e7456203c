"""The calendar on the web: the page, its JSON twin and the iCalendar feed, for the public and for staff."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar as ICalendar

import conftest
from tiptiers.store.db import transaction
from tiptiers.store.evidence import add_evidence
from tiptiers.store.reviews import send_request
from tiptiers.store.users import create_api_token, create_user
from tiptiers.web.app import create_app
from tiptiers.web.routes.cycle import current_report_year


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[dict[str, Any]]:
    db = conftest.TestDatabase("sqlite", tmp_path_factory).load_bundled()
    with transaction(db.sessions) as session:
        create_user(session, "ana", "analyst", "correct horse battery staple")
        create_user(session, "tanaka", "liaison", "correct horse battery staple", country="JPN")
        tokens = {n: create_api_token(session, n)[0] for n in ("ana", "tanaka")}
        add_evidence(session, iso3="JPN", year=2027, criteria=["criterion_1"], statement="A claim.",
                     source_type="ngo", source_name="Polaris Project", entered_by="ana")
        send_request(session, "JPN", 2027, "ana", sent_at=datetime(2026, 11, 2, 9), deadline=date(2027, 1, 5))
    yield {"app": create_app(db.url), "tokens": tokens}
    db.drop()


def client(site, name=None) -> TestClient:
    c = TestClient(site["app"], raise_server_exceptions=False)
    if name:
        c.headers["Authorization"] = f"Bearer {site['tokens'][name]}"
    return c


def test_the_page_shows_the_law_and_how_late(site):
    page = client(site).get("/calendar/2025", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "done 2025-09-29, 91 days late" in page.text
    assert "22 U.S.C. 7107(c)-(d)" in page.text and "Not verified:" in page.text
    assert '<link rel="alternate" type="application/json" href="/api/v1/calendar/2025">' in page.text
    assert "91 days late" in client(site).get("/api/v1/calendar/2025").json()["steps"][3]["summary"]


def test_a_planned_year_needs_no_records_and_far_years_are_404(site):
    data = client(site).get("/api/v1/calendar/2028").json()
    assert {s["key"]: s["due"] for s in data["steps"]}["report_due"] == "2028-06-30"
    far = client(site).get(f"/api/v1/calendar/{date.today().year + 11}")
    assert far.status_code == 404 and "outside the years the calendar covers" in far.json()["error"]["detail"]
    assert client(site).get("/api/v1/calendar/99999999999999999999").status_code in (404, 422)
    bad = client(site).get("/api/v1/calendar/2028?windows=draft=9x")
    assert bad.status_code == 422 and "draft=9x" in bad.json()["error"]["detail"]
    greta = client(site).get("/calendar/2028?windows=greta", headers={"accept": "text/html"})
    assert "Warning: the reply windows (greta" in greta.text


def test_who_was_sent_what_is_for_staff(site):
    public = {s["key"]: s for s in client(site).get("/api/v1/calendar/2027").json()["steps"]}
    staff = {s["key"]: s for s in client(site, "ana").get("/api/v1/calendar/2027").json()["steps"]}
    liaison = {s["key"]: s for s in client(site, "tanaka").get("/api/v1/calendar/2027").json()["steps"]}
    assert staff["draft_sent"]["done_on"] == "2026-11-02" and staff["draft_sent"]["note"] == "sent to 1 government"
    assert staff["draft_comments_due"]["due"] == "2027-01-05"
    for view in (public, liaison):
        assert view["draft_sent"]["done_on"] is None and view["draft_sent"]["note"] is None


def test_the_ics_feed_has_one_event_per_step(site):
    response = client(site).get("/calendar/2028.ics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    feed = ICalendar.from_ical(response.content)
    events = {str(e["uid"]): e for e in feed.walk("VEVENT")}
    steps = client(site).get("/api/v1/calendar/2028").json()["steps"]
    assert len(events) == len(steps)
    t3 = events["2028-tier3_determinations@tiptiers"]
    assert t3.decoded("dtstart") == date(2028, 8, 14) and t3.decoded("dtend") == date(2028, 9, 29)
    assert "7107(c)-(d)" in str(t3["description"])


def test_calendar_goes_to_the_report_being_prepared(site):
    response = client(site).get("/calendar", follow_redirects=False)
    assert response.status_code == 302 and response.headers["location"] == f"/calendar/{current_report_year()}"
    assert current_report_year(date(2026, 6, 30)) == 2026 and current_report_year(date(2026, 7, 1)) == 2027


def test_the_first_calendar_links_to_no_year_before_it(site):
    """/calendar/2001 linked to /calendar/2000, a 404 (found by the static export in the user-install smoke run)."""
    page = client(site).get("/calendar/2001", headers={"accept": "text/html"}).text
    assert 'href="/calendar/2000"' not in page and 'href="/calendar/2002"' in page
    assert client(site).get("/calendar/2000", headers={"accept": "text/html"}).status_code == 404
