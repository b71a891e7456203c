"""`tiptiers calendar`, as a user types it, and the facts the store gives it (both backends)."""

import json
from datetime import date, datetime

from typer.testing import CliRunner

from tiptiers.cli import app
from tiptiers.review.windows import PRESETS
from tiptiers.store.cycle import year_calendar
from tiptiers.store.db import transaction
from tiptiers.store.evidence import add_evidence
from tiptiers.store.models import Placement
from tiptiers.store.publication import schedule_publication
from tiptiers.store.reviews import send_request

runner = CliRunner()


def run(db_url, *args, **env):
    return runner.invoke(app, list(args), env={"TIPTIERS_DATABASE_URL": db_url, **env})


def test_calendar_2025_shows_the_report_91_days_late(loaded_sqlite):
    result = run(loaded_sqlite.url, "calendar", "2025")
    assert result.exit_code == 0, result.output
    assert "Annual report due to Congress: done 2025-09-29, 91 days late" in result.output
    assert "22 U.S.C. 7107(b)(1)" in result.output
    data = json.loads(run(loaded_sqlite.url, "calendar", "2013", "--json").output)
    due = {s["key"]: s for s in data["steps"]}["report_due"]
    assert (due["due"], due["done_on"], due["days_late"]) == ("2013-06-01", "2013-06-19", 18)
    assert data["reporting_period"] == {"start": "2012-04-01", "end": "2013-03-31"}


def test_calendar_needs_no_database_and_warns_of_windows_that_cannot_fit(tmp_path):
    url = f"sqlite:///{tmp_path / 'none.db'}"
    result = run(url, "calendar", "2027", "--windows", "greta")
    assert result.exit_code == 0, result.output
    assert "the law's dates only" in result.output
    assert "Warning: the reply windows (greta" in result.output
    assert "cannot fit" not in run(url, "calendar", "2027").output


def test_calendar_refuses_what_it_cannot_compute(tmp_path):
    url = f"sqlite:///{tmp_path / 'none.db'}"
    result = run(url, "calendar", "1999")
    assert result.exit_code == 2 and "YEAR: year 1999 is outside the years the calendar covers" in result.output
    result = run(url, "calendar", "2027", "--windows", "draft=2y")
    assert result.exit_code == 2 and "--windows: reply windows: 'draft=2y'" in result.output
    result = run(url, "calendar", "2027", TIPTIERS_REPLY_WINDOWS="bogus")
    assert result.exit_code == 2 and "TIPTIERS_REPLY_WINDOWS" in result.output


def test_store_facts_public_and_staff(fresh_db):
    fresh_db.load_bundled()
    with transaction(fresh_db.sessions) as session:
        add_evidence(session, iso3="JPN", year=2027, criteria=["criterion_1"], statement="A claim.",
                     source_type="ngo", source_name="Polaris Project", entered_by="ana")
        send_request(session, "JPN", 2027, "ana", sent_at=datetime(2027, 4, 20, 9))
        session.add(Placement(iso3="JPN", year=2027, tier="2", source="test"))
        session.flush()
        schedule_publication(session, 2027, datetime(2027, 7, 2, 12), "ann", now=datetime(2027, 5, 1), ignore_gate=True)
    now = datetime(2027, 7, 10)
    with fresh_db.sessions() as session:
        staff = year_calendar(session, 2027, PRESETS["tip"], staff=True, now=now)
        public = year_calendar(session, 2027, PRESETS["tip"], staff=False, now=now)
        before = year_calendar(session, 2027, PRESETS["tip"], staff=False, now=datetime(2027, 7, 1))
    assert staff.step("draft_sent").done_on == date(2027, 4, 20)
    assert staff.step("draft_sent").note == "sent to 1 government"
    assert staff.step("draft_comments_due").due == date(2027, 5, 18)  # the request's own deadline (four weeks)
    assert public.step("draft_sent").done_on is None and public.step("draft_sent").note == ""
    assert public.step("report_due").summary == "done 2027-07-02, 2 days late"
    assert before.step("report_due").done_on is None  # not out yet: nothing said about it


def test_users_get_an_email_address_and_notices_are_listed(tmp_path):
    url = f"sqlite:///{tmp_path / 'n.db'}"
    assert run(url, "init").exit_code == 0
    made = runner.invoke(app, ["users", "add", "tanaka", "--role", "liaison", "--country", "JPN", "--email",
                               "tanaka@mofa.example", "--password-stdin"], input="correct horse battery staple\n",
                         env={"TIPTIERS_DATABASE_URL": url})
    assert made.exit_code == 0, made.output
    bad = run(url, "users", "email", "tanaka", "not an address")
    assert bad.exit_code == 2 and "email: 'not an address' is not an e-mail address" in bad.output
    assert run(url, "notify", "off", "tanaka", "reminder").exit_code == 0
    assert run(url, "notify", "off", "tanaka", "nope").exit_code == 2
    assert "no notices" in run(url, "notify", "list").output
    result = run(url, "notify", "run", "--json")
    assert result.exit_code == 0 and "TIPTIERS_SMTP_URL is not set" in result.output
