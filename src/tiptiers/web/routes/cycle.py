"""The annual cycle's calendar: `/calendar/{year}`, its JSON twin `/api/v1/calendar/{year}` and an iCalendar feed.

Any year the law covers, past or planned (no records needed). The public sees the law's dates and the published
steps; staff also see how the right of reply went (when the drafts went out, to how many governments).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from icalendar import Calendar as ICalendar
from icalendar import Event
from sqlalchemy.orm import Session

from tiptiers.engine.calendar import Calendar
from tiptiers.report_years import FIRST_REPORT_YEAR, last_planned_year
from tiptiers.review.windows import parse_windows, windows_from_environment
from tiptiers.store.cycle import burden, year_calendar
from tiptiers.store.users import STAFF_ROLES, User
from tiptiers.web import i18n, i18n_texts
from tiptiers.web.auth import require_roles
from tiptiers.web.deps import PlannedYear, ReportYearQuery, SessionDep, Visibility, Visible, templates
from tiptiers.web.pagecache import public

api = APIRouter(prefix="/api/v1", tags=["cycle"])
pages = APIRouter(include_in_schema=False)
# The calendar an anonymous visitor sees is the same for all of them, but it moves with the date (what is late)
# and shows one thing of a year in preparation (whether its drafts went out), whose changes drop no cached page:
# kept a minute at most.
CALENDAR_CACHE = public(keep_for=60)


def current_report_year(today: date | None = None) -> int:
    """The report being prepared: this year's until its June 30 deadline, next year's after."""
    today = today or date.today()
    return today.year if today <= date(today.year, 6, 30) else today.year + 1


def _calendar(session: Session, year: int, visible: Visibility, windows: str | None = None) -> Calendar:
    try:
        chosen = parse_windows(windows) if windows else windows_from_environment()
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return year_calendar(session, year, chosen, staff=visible.staff)


@api.get("/calendar/{year}", dependencies=CALENDAR_CACHE,
         summary="The dated steps of a report year's cycle, with what is done and how late")
def api_calendar(year: PlannedYear, session: SessionDep, visible: Visible,
                 windows: str | None = None) -> dict[str, Any]:
    """`windows`: a preset (`tip`, `greta`) or custom windows (`draft=6w,final=3w`) to plan with instead of the
    project's setting."""
    return _calendar(session, year, visible, windows).as_dict()


def ics(cal: Calendar) -> bytes:
    """One all-day event per step (a window or period spans its days), its reference and status in the text, in
    the request's language (the feed's address takes `?lang=` as a page does: a calendar program sends no cookie)."""
    feed = ICalendar()
    feed.add("prodid", "-//tiptiers//annual cycle//EN")
    feed.add("version", "2.0")
    feed.add("x-wr-calname", i18n.gettext(i18n_texts.ICS_NAME) % {"year": cal.year})
    for step in cal.steps:
        summary, description = i18n_texts.ics_texts(step, cal)  # in the language asked for (?lang=, as a page)
        event = Event()
        event.add("uid", f"{cal.year}-{step.key}@tiptiers")
        event.add("dtstamp", cal.today)
        event.add("summary", summary)
        event.add("dtstart", step.start or step.due)
        event.add("dtend", step.due + timedelta(days=1))  # exclusive: the last day is included
        event.add("description", description)
        feed.add_component(event)
    return feed.to_ical()


StaffUser = Annotated[User, Depends(require_roles(*STAFF_ROLES))]


@api.get("/burden", summary="The reporting burden per government and year (staff; published years: open data)")
def api_burden(session: SessionDep, user: StaffUser, year: ReportYearQuery = None) -> list[dict[str, Any]]:
    """Requests, questions (questionnaire questions and each draft's claims to answer) and deadlines sent."""
    return burden(session, year)


@pages.get("/calendar")
def calendar_now() -> RedirectResponse:
    return RedirectResponse(f"/calendar/{current_report_year()}", status_code=302)


@pages.get("/calendar/{year}.ics", dependencies=CALENDAR_CACHE)
def calendar_ics(year: PlannedYear, session: SessionDep, visible: Visible) -> Response:
    return Response(ics(_calendar(session, year, visible)), media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="tiptiers-{year}.ics"'})


@pages.get("/calendar/{year}", dependencies=CALENDAR_CACHE, response_class=HTMLResponse)
def calendar_page(year: PlannedYear, request: Request, session: SessionDep, visible: Visible,
                  windows: str | None = None) -> Response:
    cal = _calendar(session, year, visible, windows)
    return templates.TemplateResponse(request, "calendar.html", {
        "cal": cal, "first_year": FIRST_REPORT_YEAR, "last_year": last_planned_year(),
        "json_url": f"/api/v1/calendar/{year}"})
