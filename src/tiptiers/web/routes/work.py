"""Where each account starts after logging in (/work): an analyst's drafts of the year by status and what waits on
them, with a "start a draft" form; a liaison's draft; an NGO's shadow reports. Staff only see country-years here, a
liaison is sent to its own country's latest draft (or told none was sent), so nothing of another country shows."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from tiptiers.countries import country_table
from tiptiers.store import checks, publication, reviews
from tiptiers.store.users import STAFF_ROLES, User
from tiptiers.web.auth import CurrentUser
from tiptiers.web.deps import ReportYearQuery, SessionDep, country_or_404, templates
from tiptiers.web.i18n import N_, format_date, ngettext
from tiptiers.web.i18n import gettext as _

api = APIRouter(prefix="/api/v1", tags=["evidence and review"])  # the JSON twin is GET /api/v1/reviews
pages = APIRouter(include_in_schema=False)
WRITERS = ("admin", "analyst")
# --- where each account starts: its own work ---------------------------------------------------------------------


def work_year(session: Session) -> int:
    """The report year staff work on unless they pick another: the latest year with drafts that is not public yet,
    else the first of this year and next that is not public."""
    now = checks.utcnow()
    this = now.year
    preparing = [y for y in (this + 1, this) if publication.in_preparation(session, y)
                 and not publication.is_public(session, y, now)]
    if preparing:
        return preparing[0]
    return next((y for y in (this, this + 1) if not publication.is_public(session, y, now)), this + 1)


def _draft_group(s: reviews.ReviewStatus, today: date) -> str:
    if s.requests_sent == 0:
        return "not_sent"
    if s.completed_at is None and s.deadline is not None and s.deadline >= today:
        return "with_government"
    return "answered"


def _tasks(s: reviews.ReviewStatus, today: date) -> list[str]:
    """What a draft waits on from the analysts, in short words (the publish gate's full reasons are in the table)."""
    tasks = []
    if s.open_disputes:
        tasks.append(ngettext("%(n)s dispute to resolve", "%(n)s disputes to resolve", s.open_disputes)
                     % {"n": s.open_disputes})
    unseen = sum(1 for reason in s.blocking if "has not seen it" in reason)
    if unseen:
        tasks.append(ngettext("%(n)s claim the government has not seen: send the draft again",
                              "%(n)s claims the government has not seen: send the draft again", unseen) % {"n": unseen})
    if s.completed_at is not None:
        tasks.append(_("the government completed its review on %(on)s") % {"on": format_date(s.completed_at)})
    elif s.deadline is not None and s.deadline < today:
        tasks.append(_("the government's deadline passed on %(on)s") % {"on": format_date(s.deadline)})
    return tasks


DRAFT_GROUPS = {"not_sent": N_("Not sent to the government yet"), "with_government": N_("With the government"),
                "answered": N_("Answered, or the deadline has passed")}


def _liaison_start(session: Session, user: User) -> str | None:
    """The liaison's latest draft under review, if any government request was sent to their country."""
    year = reviews.latest_draft_year(session, user.country_iso3 or "")
    return f"/review/{user.country_iso3}/{year}" if year else None


@pages.get("/work", response_class=HTMLResponse)
def work_page(request: Request, session: SessionDep, user: CurrentUser, year: ReportYearQuery = None) -> Response:
    """Where an account lands after logging in: an analyst's drafts of the year by status and what waits on them,
    a liaison's draft, an NGO's shadow reports."""
    if user.role == "ngo":
        return RedirectResponse("/submissions", status_code=303)
    if user.role == "liaison":
        start = _liaison_start(session, user)
        if start:
            return RedirectResponse(start, status_code=303)
        return templates.TemplateResponse(request, "work.html", {"user": user, "liaison": True, "json_url": None})
    year = year or work_year(session)
    today = checks.utcnow().date()
    statuses = {s.iso3: s for s in reviews.review_statuses(session, year)}
    for iso3 in publication.assessed_countries(session, year):  # an assessment without evidence is a draft too
        statuses.setdefault(iso3, reviews.review_status(session, iso3, year))
    names = country_table()
    rows = sorted(statuses.values(), key=lambda s: names.by_iso3[s.iso3].name if s.iso3 in names.by_iso3 else s.iso3)
    groups: dict[str, list[reviews.ReviewStatus]] = {g: [] for g in DRAFT_GROUPS}
    for s in rows:
        groups[_draft_group(s, today)].append(s)
    waiting = [(s, tasks) for s in rows if (tasks := _tasks(s, today))]
    return templates.TemplateResponse(request, "work.html", {
        "user": user, "liaison": False, "year": year, "groups": groups, "group_titles": DRAFT_GROUPS,
        "waiting": waiting, "countries": list(names), "can_write": user.role in WRITERS, "today": today,
        "json_url": f"/api/v1/reviews?year={year}"})


@pages.get("/workspace")
def workspace_start(user: CurrentUser, iso3: str = "", year: ReportYearQuery = None) -> Response:
    """The "start a draft" form: a country and a year to the workspace's address."""
    if user.role not in STAFF_ROLES:
        raise HTTPException(403, f"the analysts' workspace is for {', '.join(STAFF_ROLES)}; you are {user.role}")
    if not iso3 or year is None:
        return RedirectResponse("/work", status_code=303)
    return RedirectResponse(f"/workspace/{country_or_404(iso3).iso3}/{year}", status_code=303)
