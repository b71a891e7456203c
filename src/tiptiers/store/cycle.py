"""The cycle's own records, and what happened in a report year's cycle for the calendar (tiptiers.engine.calendar).

Records (every write logged in the activity log, bad input refused with the field named):
- `Tier3Determination`: for a Tier 3 government of a year, the President's determination under 22 U.S.C. 7107(d)
  (which paragraph, in whole or for programmes, when, signed by whom), due 45 to 90 days after the report;
- `YearListEntry`: a government on a year's policy-or-pattern list or Child Soldiers Prevention Act list;
- `InterimAssessment`: for a country on the previous year's Watch List, the interim record due February 1.
The public sees them once the year is published; the calendar counts them.

Calendar facts: the public sees the law's dates and the published steps; staff also see the right of reply as it
went (when the drafts went out and to how many governments).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from tiptiers.countries import UnknownCountry, country_name, country_table
from tiptiers.engine.calendar import Calendar, Facts, compute_calendar
from tiptiers.report_years import check_report_year, history_releases
from tiptiers.review.model import RequestKind
from tiptiers.review.windows import ReplyWindows
from tiptiers.store import activity
from tiptiers.store.evidence import Evidence
from tiptiers.store.models import Base, Placement
from tiptiers.store.publication import Publication, is_public, utcnow
from tiptiers.store.reviews import ReviewRequestRow

PARAGRAPHS = {  # 22 U.S.C. 7107(d)
    "d1": "(d)(1) withhold non-humanitarian, non-trade-related assistance (and vote against multilateral loans)",
    "d2": "(d)(2) already under multiple, broad-based restrictions on assistance for human rights abuses",
    "d3": "(d)(3) the government has since come into compliance or makes significant efforts",
    "d4": "(d)(4) assistance continued in the national interest (waiver)",
    "d5": "(d)(5) waiver to avoid significant adverse effects on vulnerable populations",
}
WAIVERS = ("d4", "d5")  # may be in whole or for programmes, projects or activities ((d)(5)(A))
LISTS = {"policy_or_pattern": "Governments with a policy or pattern of trafficking (state-sponsored trafficking)",
         "child_soldiers": "Child Soldiers Prevention Act list"}
TIER3_WINDOW = (45, 90)  # days after the report: 22 U.S.C. 7107(c); the calendar's law says the same


class CycleError(ValueError):
    """Bad input; the message starts with the field at fault."""


class Tier3Determination(Base):
    __tablename__ = "tier3_determinations"
    __table_args__ = (UniqueConstraint("iso3", "year", name="uq_tier3_determinations_iso3_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"))
    year: Mapped[int] = mapped_column(Integer, index=True)
    paragraph: Mapped[str] = mapped_column(String(2))
    scope: Mapped[str] = mapped_column(String(12))  # whole | programmes
    programmes: Mapped[str] = mapped_column(Text)
    determined_on: Mapped[date] = mapped_column(Date)
    signed_by: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)

    def as_dict(self, window: tuple[date, date] | None = None) -> dict[str, Any]:
        timing = None
        if window is not None:
            timing = ("early" if self.determined_on < window[0] else "late" if self.determined_on > window[1]
                      else "in time")
        return {"iso3": self.iso3, "country": country_name(self.iso3), "year": self.year, "paragraph": self.paragraph,
                "determination": PARAGRAPHS[self.paragraph], "scope": self.scope,
                "programmes": self.programmes or None, "determined_on": self.determined_on.isoformat(),
                "signed_by": self.signed_by, "note": self.note or None, "timing": timing,
                "window": [window[0].isoformat(), window[1].isoformat()] if window else None}


class YearListEntry(Base):
    __tablename__ = "year_list_entries"
    __table_args__ = (UniqueConstraint("year", "list", "iso3", name="uq_year_list_entries"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    list: Mapped[str] = mapped_column(String(20))
    iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"))
    note: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)

    def as_dict(self) -> dict[str, Any]:
        return {"year": self.year, "list": self.list, "iso3": self.iso3, "country": country_name(self.iso3),
                "note": self.note or None}


class InterimAssessment(Base):
    __tablename__ = "interim_assessments"
    __table_args__ = (UniqueConstraint("iso3", "year", name="uq_interim_assessments_iso3_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"))
    year: Mapped[int] = mapped_column(Integer, index=True)  # the report year whose February 1 it is due
    progress: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    evidence_ids: Mapped[str] = mapped_column(Text)  # JSON list
    author: Mapped[str] = mapped_column(String(100))
    sent_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    @property
    def evidence(self) -> list[int]:
        return [int(i) for i in json.loads(self.evidence_ids)]

    def as_dict(self) -> dict[str, Any]:
        return {"iso3": self.iso3, "country": country_name(self.iso3), "year": self.year, "progress": self.progress,
                "summary": self.summary, "evidence_ids": self.evidence, "author": self.author,
                "sent_on": self.sent_on.isoformat() if self.sent_on else None}


def _country_year(iso3: str, year: int) -> tuple[str, int]:
    try:
        found = country_table().resolve(iso3)
    except UnknownCountry as exc:
        raise CycleError(f"iso3: {exc}") from None
    try:
        return found.iso3, check_report_year(int(year))
    except ValueError as exc:
        raise CycleError(f"year: {exc}") from None


def _text(field: str, value: str | None, limit: int, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise CycleError(f"{field}: required")
    if len(text) > limit:
        raise CycleError(f"{field}: {len(text)} characters, at most {limit}")
    if "\x00" in text:
        raise CycleError(f"{field}: must not contain a NUL character")
    return text


def tier(session: Session, iso3: str, year: int) -> str | None:
    return session.scalar(select(Placement.tier).where(Placement.iso3 == iso3, Placement.year == year))


def tier3_window(session: Session, year: int) -> tuple[date, date] | None:
    """45 to 90 days after the report's release; None before it is out."""
    released = released_on(session, year)
    if released is None:
        return None
    return released + timedelta(days=TIER3_WINDOW[0]), released + timedelta(days=TIER3_WINDOW[1])


def record_determination(session: Session, iso3: str, year: int, paragraph: str, determined_on: date,
                         signed_by: str, actor: str, *, programmes: str = "", note: str = "") -> Tier3Determination:
    """Record (or correct) the President's determination for a Tier 3 government of a released year."""
    iso3, year = _country_year(iso3, year)
    if paragraph not in PARAGRAPHS:
        raise CycleError(f"paragraph: {paragraph!r} is not one of {', '.join(PARAGRAPHS)} (22 U.S.C. 7107(d)(1)-(5))")
    if tier(session, iso3, year) != "3":
        raise CycleError(f"iso3: {country_name(iso3)} is not on Tier 3 in {year}; determinations are for Tier 3 "
                         "governments (22 U.S.C. 7107(c))")
    released = released_on(session, year)
    if released is None:
        raise CycleError(f"year: the {year} report is not out yet; the determination follows it")
    if determined_on < released:
        raise CycleError(f"determined_on: {determined_on} is before the report came out ({released})")
    programmes = _text("programmes", programmes, 5000)
    if programmes and paragraph not in WAIVERS:
        raise CycleError("programmes: only a waiver ((d)(4) or (d)(5)) can be for programmes; "
                         f"{PARAGRAPHS[paragraph]} is in whole")
    fields = {"paragraph": paragraph, "scope": "programmes" if programmes else "whole", "programmes": programmes,
              "determined_on": determined_on, "signed_by": _text("signed_by", signed_by, 200, required=True),
              "note": _text("note", note, 5000)}
    row = session.scalar(select(Tier3Determination).where(Tier3Determination.iso3 == iso3,
                                                          Tier3Determination.year == year))
    before = row.as_dict() if row else None
    if row is None:
        row = Tier3Determination(iso3=iso3, year=year, recorded_by=actor, recorded_at=utcnow(), **fields)
        session.add(row)
    else:
        for key, value in fields.items():
            setattr(row, key, value)
        row.recorded_by, row.recorded_at = actor, utcnow()
    session.flush()
    activity.record(session, actor, "tier3.determination", f"tier3:{iso3}/{year}", before, row.as_dict())
    return row


def determinations(session: Session, year: int | None = None, iso3: str | None = None,
                   public_only: bool = False) -> list[Tier3Determination]:
    query = select(Tier3Determination).order_by(Tier3Determination.year, Tier3Determination.iso3)
    if year is not None:
        query = query.where(Tier3Determination.year == year)
    if iso3 is not None:
        query = query.where(Tier3Determination.iso3 == iso3.upper())
    rows = list(session.scalars(query))
    return [r for r in rows if is_public(session, r.year)] if public_only else rows


def tier3_countries(session: Session, year: int) -> list[str]:
    return list(session.scalars(select(Placement.iso3).where(Placement.year == year, Placement.tier == "3")
                                .order_by(Placement.iso3)))


def set_list(session: Session, year: int, list_name: str, iso3: str, actor: str, *, note: str = "",
             on: bool = True) -> YearListEntry | None:
    """Put a government on a year's list (or take it off with `on=False`)."""
    iso3, year = _country_year(iso3, year)
    if list_name not in LISTS:
        raise CycleError(f"list: {list_name!r} is not one of {', '.join(LISTS)}")
    row = session.scalar(select(YearListEntry).where(YearListEntry.year == year, YearListEntry.list == list_name,
                                                     YearListEntry.iso3 == iso3))
    before = row.as_dict() if row else None
    if not on:
        if row is None:
            raise CycleError(f"iso3: {country_name(iso3)} is not on the {year} {list_name} list")
        session.delete(row)
        activity.record(session, actor, "year_list.remove", f"list:{list_name}/{year}/{iso3}", before, None)
        return None
    if row is None:
        row = YearListEntry(year=year, list=list_name, iso3=iso3, note="", recorded_by=actor, recorded_at=utcnow())
        session.add(row)
    row.note = _text("note", note, 5000)
    session.flush()
    activity.record(session, actor, "year_list.add", f"list:{list_name}/{year}/{iso3}", before, row.as_dict())
    return row


def year_lists(session: Session, year: int) -> dict[str, list[YearListEntry]]:
    rows = session.scalars(select(YearListEntry).where(YearListEntry.year == year).order_by(YearListEntry.iso3))
    out: dict[str, list[YearListEntry]] = {name: [] for name in LISTS}
    for row in rows:
        out[row.list].append(row)
    return out


def watch_list(session: Session, year: int) -> list[str]:
    return list(session.scalars(select(Placement.iso3).where(Placement.year == year, Placement.tier == "2WL")
                                .order_by(Placement.iso3)))


def save_interim(session: Session, iso3: str, year: int, progress: str, summary: str, evidence_ids: Sequence[int],
                 actor: str) -> InterimAssessment:
    """The interim record due February 1 of `year` for a country on the Watch List of `year - 1`."""
    iso3, year = _country_year(iso3, year)
    if tier(session, iso3, year - 1) != "2WL":
        raise CycleError(f"iso3: {country_name(iso3)} was not on the Tier 2 Watch List in {year - 1}; the interim "
                         f"assessment of February 1, {year} is for those countries (22 U.S.C. 7107(b)(2)(C))")
    cited = sorted({int(i) for i in evidence_ids})
    for evidence_id in cited:
        cited_row = session.get(Evidence, evidence_id) if 0 < evidence_id < 2**63 else None
        if cited_row is None or cited_row.iso3 != iso3:
            raise CycleError(f"evidence_ids: #{evidence_id} is not an evidence record on {country_name(iso3)}")
    fields = {"progress": _text("progress", progress, 20000, required=True),
              "summary": _text("summary", summary, 5000, required=True), "evidence_ids": json.dumps(cited)}
    row = session.scalar(select(InterimAssessment).where(InterimAssessment.iso3 == iso3,
                                                         InterimAssessment.year == year))
    before = row.as_dict() if row else None
    if row is not None and row.sent_on is not None:
        raise CycleError(f"iso3: the interim assessment of {country_name(iso3)} for {year} was sent on "
                         f"{row.sent_on}; it stands as sent")
    if row is None:
        row = InterimAssessment(iso3=iso3, year=year, author=actor, updated_at=utcnow(), **fields)
        session.add(row)
    else:
        for key, value in fields.items():
            setattr(row, key, value)
        row.author, row.updated_at = actor, utcnow()
    session.flush()
    activity.record(session, actor, "interim.save", f"interim:{iso3}/{year}", before, row.as_dict())
    return row


def send_interim(session: Session, iso3: str, year: int, actor: str, on: date | None = None) -> InterimAssessment:
    iso3, year = _country_year(iso3, year)
    row = session.scalar(select(InterimAssessment).where(InterimAssessment.iso3 == iso3,
                                                         InterimAssessment.year == year))
    if row is None:
        raise CycleError(f"iso3: no interim assessment of {country_name(iso3)} for {year} to send; save one first")
    before = row.as_dict()
    row.sent_on = on or utcnow().date()
    activity.record(session, actor, "interim.send", f"interim:{iso3}/{year}", before, row.as_dict())
    return row


def interim_assessments(session: Session, year: int, public_only: bool = False) -> list[InterimAssessment]:
    """A year's interim records; the public sees the sent ones once the year is published."""
    rows = list(session.scalars(select(InterimAssessment).where(InterimAssessment.year == year)
                                .order_by(InterimAssessment.iso3)))
    if public_only:
        return [r for r in rows if r.sent_on is not None] if is_public(session, year) else []
    return rows


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
    stages = {stage: session.execute(
        select(func.min(ReviewRequestRow.sent_at), func.max(ReviewRequestRow.deadline),
               func.count(func.distinct(ReviewRequestRow.iso3)))
        .where(ReviewRequestRow.year == year, ReviewRequestRow.kind == RequestKind.DRAFT.value,
               ReviewRequestRow.stage == stage)).one() for stage in ("draft", "final")}
    _record_facts(session, year, staff, done, notes)
    for stage, (first, last_deadline, governments) in stages.items():
        if staff and first is not None:
            done[f"{stage}_sent"] = first.date()
            done[f"{stage}_deadline"] = last_deadline
            notes[f"{stage}_sent"] = f"sent to {governments} government{'s' * (governments != 1)}"
    drafts = stages["draft"]
    return Facts(done=done, notes=notes, reply_here=drafts[0] is not None)


def _record_facts(session: Session, year: int, staff: bool, done: dict[str, date], notes: dict[str, str]) -> None:
    """The records' steps: done when every government they concern has one (the last one's day)."""
    public = staff or is_public(session, year)
    if not public:
        return
    wanted = tier3_countries(session, year)
    made = {d.iso3: d.determined_on for d in determinations(session, year)}
    if made:
        notes["tier3_determinations"] = f"{len(set(made) & set(wanted))} of {len(wanted)} Tier 3 governments"
        if wanted and set(wanted) <= set(made):
            done["tier3_determinations"] = max(made.values())
    watch = watch_list(session, year - 1)
    sent = {r.iso3: r.sent_on for r in interim_assessments(session, year) if r.sent_on is not None}
    if sent:
        notes["interim_assessment"] = (f"{len(set(sent) & set(watch))} of {len(watch)} Watch List countries of "
                                       f"{year - 1}")
        if watch and set(watch) <= set(sent):
            done["interim_assessment"] = max(d for d in sent.values() if d is not None)
    released = done.get("report_due")
    for name, entries in year_lists(session, year).items():
        if entries and released is not None:
            done[f"{name}_list"] = released
            notes[f"{name}_list"] = ", ".join(country_name(e.iso3) for e in entries)


def year_calendar(session: Session, year: int, windows: ReplyWindows, *, staff: bool,
                  now: datetime | None = None) -> Calendar:
    now = now or utcnow()
    return compute_calendar(year, windows, calendar_facts(session, year, staff=staff, now=now), today=now.date())


def burden(session: Session, year: int | None = None, iso3: str | None = None) -> list[dict[str, Any]]:
    """What each government was asked, per report year: requests (drafts, final reports, questionnaires), the
    questions those carried (questionnaire questions and the claims of the drafts to answer), and the deadlines set.
    Last year's answers are pre-filled in the questionnaire, so a repeated question costs a confirmation."""
    from tiptiers.review.questionnaire import QUESTIONS

    query = select(ReviewRequestRow).order_by(ReviewRequestRow.iso3, ReviewRequestRow.year, ReviewRequestRow.id)
    if year is not None:
        query = query.where(ReviewRequestRow.year == year)
    if iso3 is not None:
        query = query.where(ReviewRequestRow.iso3 == iso3.upper())
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    live = select(Evidence.iso3, Evidence.year, func.count()).where(Evidence.state != "withdrawn").group_by(
        Evidence.iso3, Evidence.year)
    if year is not None:
        live = live.where(Evidence.year == year)
    claims = {(i, y): int(n) for i, y, n in session.execute(live)}
    for r in session.scalars(query):
        entry = rows.setdefault((r.iso3, r.year), {
            "iso3": r.iso3, "country": country_name(r.iso3), "year": r.year, "requests": 0, "drafts": 0,
            "questionnaires": 0, "questions": 0, "deadlines": set()})
        entry["requests"] += 1
        entry["deadlines"].add(r.deadline)
        if r.kind == RequestKind.QUESTIONNAIRE.value:
            entry["questionnaires"] += 1
            entry["questions"] += len(QUESTIONS)
        else:
            entry["drafts"] += 1
    out = []
    for key, entry in sorted(rows.items()):
        entry["claims_to_answer"] = claims.get(key, 0)
        entry["questions"] += entry["claims_to_answer"] * entry["drafts"]
        entry["deadlines"] = len(entry["deadlines"])
        out.append(entry)
    return out
