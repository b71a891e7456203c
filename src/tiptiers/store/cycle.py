"""What happened in a report year's cycle, read from the records, for the calendar (tiptiers.engine.calendar).

The public sees the law's dates and the published steps (the report's release); staff also see the right of reply as
it went (when the drafts went out and to how many governments).
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from functools import lru_cache
from importlib import resources

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tiptiers.engine.calendar import Calendar, Facts, compute_calendar
from tiptiers.review.model import RequestKind
from tiptiers.review.windows import ReplyWindows
from tiptiers.store.evidence import ReviewRequestRow
from tiptiers.store.publication import Publication, utcnow


@lru_cache(maxsize=1)
def history_releases() -> dict[int, date]:
    """The day each bundled report came out (data/report_releases.csv)."""
    text = resources.files("tiptiers.data").joinpath("report_releases.csv").read_text(encoding="utf-8")
    return {int(row["year"]): date.fromisoformat(row["released"]) for row in csv.DictReader(text.splitlines())}


def released_on(session: Session, year: int, now: datetime | None = None) -> date | None:
    """The day the year's report came out, once it has: its publication time here, else the history's date."""
    now = now or utcnow()
    row = session.get(Publication, year)
    if row is not None:
        return row.publish_at.date() if row.publish_at <= now else None
    released = history_releases().get(year)
    return released if released is not None and released <= now.date() else None


def calendar_facts(session: Session, year: int, *, staff: bool, now: datetime | None = None) -> Facts:
    now = now or utcnow()
    done: dict[str, date] = {}
    notes: dict[str, str] = {}
    released = released_on(session, year, now)
    if released is not None:
        done["report_due"] = released
    drafts = session.execute(
        select(func.min(ReviewRequestRow.sent_at), func.max(ReviewRequestRow.deadline),
               func.count(func.distinct(ReviewRequestRow.iso3)))
        .where(ReviewRequestRow.year == year, ReviewRequestRow.kind == RequestKind.DRAFT.value)).one()
    if staff and drafts[0] is not None:
        done["draft_sent"] = drafts[0].date()
        done["draft_deadline"] = drafts[1]
        notes["draft_sent"] = f"sent to {drafts[2]} government{'s' * (drafts[2] != 1)}"
    return Facts(done=done, notes=notes, reply_here=drafts[0] is not None)


def year_calendar(session: Session, year: int, windows: ReplyWindows, *, staff: bool,
                  now: datetime | None = None) -> Calendar:
    now = now or utcnow()
    return compute_calendar(year, windows, calendar_facts(session, year, staff=staff, now=now), today=now.date())
