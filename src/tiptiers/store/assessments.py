"""Assessments: the analysts' ratings of one country-year, each citing evidence records, and the draft narrative.

Saving is optimistic: an editor names the version it started from, and a save over someone else's newer version
raises `EditConflict` and stores nothing. The tier the ratings lead to is the engine's (`assessment_determination`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, selectinload
from sqlalchemy.orm.exc import StaleDataError

from tiptiers.analysis import DEFAULT_ASSESSING_COUNTRY
from tiptiers.engine import AssessmentInput, Determination, Rating, RatingLevel, determine
from tiptiers.methodology import methodology_for_year
from tiptiers.review import RatingFlag, VerificationState, rating_flag
from tiptiers.store import activity
from tiptiers.store.checks import EvidenceError, check_country_year, check_text, get_row, sql_in, utcnow
from tiptiers.store.engine import get_override, list_waivers, placement_history
from tiptiers.store.evidence import Evidence, known_criteria
from tiptiers.store.models import Base

RATING_LEVELS = tuple(level.value for level in RatingLevel)
WATCH_LIST_SIGNALS = frozenset(AssessmentInput.model_fields) - {"iso3", "year", "methodology", "ratings"}


class EditConflict(ValueError):
    """A save based on a version of the record that someone else has since replaced."""


class Assessment(Base):
    """The analysts' ratings of one country-year, each citing evidence records, and the draft narrative."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("iso3", "year", name="uq_assessments_iso3_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    narrative: Mapped[str] = mapped_column(Text, default="")
    signals: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the engine's Watch List signals
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    # Optimistic locking: each save bumps it, and an UPDATE of a version someone else already replaced matches no row.
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it from the class)

    ratings: Mapped[list[AssessmentRating]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", order_by="AssessmentRating.id")


class AssessmentRating(Base):
    __tablename__ = "assessment_ratings"
    __table_args__ = (
        UniqueConstraint("assessment_id", "criterion", name="uq_assessment_ratings_criterion"),
        CheckConstraint(sql_in("level", RATING_LEVELS), name="ck_assessment_ratings_level"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    criterion: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")

    assessment: Mapped[Assessment] = relationship(back_populates="ratings")
    evidence: Mapped[list[Evidence]] = relationship(secondary="rating_evidence", order_by="Evidence.id")


class RatingEvidence(Base):
    __tablename__ = "rating_evidence"

    rating_id: Mapped[int] = mapped_column(ForeignKey("assessment_ratings.id", ondelete="CASCADE"), primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), primary_key=True)


@dataclass(frozen=True)
class RatingIn:
    criterion: str
    level: str
    evidence: Sequence[int]
    note: str = ""


@dataclass(frozen=True)
class RatingView:
    criterion: str
    level: str
    note: str
    evidence: list[dict[str, Any]]  # id, state, statement
    flag: RatingFlag | None


def save_assessment(session: Session, iso3: str, year: int, ratings: Sequence[RatingIn], actor: str,
                    narrative: str = "", signals: Mapping[str, Any] | None = None,
                    expected_version: int | None = None) -> Assessment:
    """Replace the country-year's ratings; every cited evidence id must be a record of that country and year.

    `expected_version` is the version the editor started from (0 for a new assessment): if someone saved since,
    EditConflict is raised and nothing is stored, so no analyst's work silently overwrites another's."""
    iso3, year = check_country_year(iso3, year)
    seen: set[str] = set()
    rows = []
    for i, r in enumerate(ratings):
        criterion = check_text(f"ratings[{i}].criterion", r.criterion, 40)
        if criterion in seen:
            raise EvidenceError(f"ratings[{i}].criterion: {criterion} is rated twice")
        seen.add(criterion)
        if r.level not in RATING_LEVELS:
            raise EvidenceError(f"ratings[{i}].level: {r.level!r} is not one of {', '.join(RATING_LEVELS)}")
        cited = []
        for eid in dict.fromkeys(r.evidence):
            ev = get_row(session, Evidence, eid)
            if ev is None or (ev.iso3, ev.year) != (iso3, year):
                raise EvidenceError(f"ratings[{i}].evidence: no evidence #{eid} for {iso3} {year}")
            cited.append(ev)
        rows.append((criterion, r.level, r.note, cited))
    unknown = sorted(seen - known_criteria(year))
    if unknown:
        raise EvidenceError(f"ratings: {', '.join(unknown)} not in force in {year}")
    bad_signals = sorted(set(signals or {}) - WATCH_LIST_SIGNALS)
    if bad_signals:
        known = ", ".join(sorted(WATCH_LIST_SIGNALS))
        raise EvidenceError(f"signals: unknown {', '.join(bad_signals)}; known: {known}")
    if any(not isinstance(v, bool) for v in (signals or {}).values()):
        raise EvidenceError("signals: every value must be true or false")
    assessment = session.scalar(select(Assessment).where(Assessment.iso3 == iso3, Assessment.year == year))
    current = assessment.version if assessment else 0
    if expected_version is not None and expected_version != current:
        by = f" by {assessment.updated_by} at {assessment.updated_at:%Y-%m-%d %H:%M} UTC" if assessment else ""
        raise EditConflict(f"version: the assessment of {iso3} {year} was saved{by} (version {current}) after "
                           f"version {expected_version}, which you edited; reload it and apply your changes again")
    before = _assessment_dict(assessment) if assessment else None
    if assessment is None:
        assessment = Assessment(iso3=iso3, year=year)
        session.add(assessment)
    assessment.narrative = check_text("narrative", narrative, 100_000, required=False)
    assessment.signals = dict(signals or {})
    assessment.updated_by, assessment.updated_at = actor, utcnow()
    assessment.ratings.clear()
    try:
        session.flush()
    except StaleDataError:  # saved by someone else between our read and this write
        raise EditConflict(f"version: the assessment of {iso3} {year} was saved by someone else while you edited "
                           "it; reload it and apply your changes again") from None
    for criterion, level, note, cited in rows:
        assessment.ratings.append(AssessmentRating(criterion=criterion, level=level, note=note, evidence=cited))
    session.flush()
    activity.record(session, actor, "assessment.save", f"assessment:{iso3}/{year}", before,
                    _assessment_dict(assessment))
    return assessment


def _assessment_dict(a: Assessment) -> dict[str, Any]:
    return {"iso3": a.iso3, "year": a.year, "narrative": a.narrative, "signals": a.signals,
            "ratings": [{"criterion": r.criterion, "level": r.level, "note": r.note,
                         "evidence": [e.id for e in r.evidence]} for r in a.ratings]}


def get_assessment(session: Session, iso3: str, year: int) -> Assessment | None:
    return session.scalar(
        select(Assessment).where(Assessment.iso3 == iso3.upper(), Assessment.year == year)
        .options(selectinload(Assessment.ratings).selectinload(AssessmentRating.evidence)))


def assessment_determination(session: Session, assessment: Assessment) -> Determination:
    """The engine's determination for the saved ratings, with the stored placements of earlier years as history.

    Raises ValueError naming the field when the ratings are not enough (e.g. a minimum standard not rated)."""
    iso3, year = assessment.iso3, assessment.year
    history = placement_history(session, iso3, before=year)
    try:
        data = AssessmentInput(iso3=assessment.iso3, year=assessment.year, **assessment.signals, ratings=[
            Rating(criterion=r.criterion, level=RatingLevel(r.level), evidence=[str(e.id) for e in r.evidence],
                   note=r.note) for r in assessment.ratings])
    except ValidationError as exc:
        first = exc.errors()[0]
        where, message = ".".join(str(p) for p in first["loc"]), first["msg"].removeprefix("Value error, ")
        raise ValueError(message if not where or message.startswith(where) else f"{where}: {message}") from None
    return determine(data, history, methodology_for_year(year), year,
                     waivers=list_waivers(session, year=year, iso3=iso3), override=get_override(session, iso3, year))


def rating_views(assessment: Assessment | None) -> list[RatingView]:
    """Each rating with its cited evidence and a flag when it rests only on unverified evidence."""
    if assessment is None:
        return []
    return [
        RatingView(r.criterion, r.level, r.note,
                   [{"id": e.id, "state": e.state, "statement": e.statement} for e in r.evidence],
                   rating_flag([VerificationState(e.state) for e in r.evidence]))
        for r in assessment.ratings
    ]


# --- the assessing country: held to the same standard ------------------------------------------------------------


def assessing_country() -> str:
    """The country that makes the report (default USA, or $TIPTIERS_ASSESSING_COUNTRY): assessed like every other."""
    return (os.environ.get("TIPTIERS_ASSESSING_COUNTRY") or DEFAULT_ASSESSING_COUNTRY).strip().upper()


def assessing_country_gap(session: Session, year: int, iso3: str | None = None) -> str | None:
    """Why the report year may not be published as "one standard for everyone": the assessing country has no
    determination for `year` under the methodology applied to the other countries; None when it has one."""
    iso3 = (iso3 or assessing_country()).upper()
    m = methodology_for_year(year)
    row = get_assessment(session, iso3, year)
    if row is None:
        return (f"{iso3} (the assessing country) has no assessment for {year}: assess it under {m.name} like every "
                "other country before publishing")
    try:
        assessment_determination(session, row)
    except ValueError as exc:
        return f"{iso3} (the assessing country) has no determination for {year} under {m.name}: {exc}"
    return None
