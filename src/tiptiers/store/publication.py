"""Publication: when each report year goes public (the embargo), and the country narratives with dated versions.

- A report year is public from the `publish_at` (naive UTC) of its `Publication` row, and never without one. Someone
  publishes a year prepared here (`tiptiers publish`); imported history (the bundled 2001-2015, an `import
  placements` of a past report) is recorded as published on June 1 of its year, as the TIP Report comes out each
  June, when it is imported, unless the year has drafts, reviews or assessments here. So a draft of a year whose
  June 1 has passed (entered in December, say) is never public until someone publishes the year.
- Narratives are stored as versions, never overwritten. The version that stands at the publication time is the
  frozen, published text; a later version is a correction: it needs a note and shows what changed.

Every function works in the caller's session; wrap calls in `tiptiers.store.db.transaction`. Bad input raises
`PublicationError` whose message starts with the field at fault.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from tiptiers.countries import country_table
from tiptiers.report_years import check_report_year, history_releases
from tiptiers.review import VerificationState
from tiptiers.store import activity
from tiptiers.store.assessments import Assessment, assessing_country_gap
from tiptiers.store.evidence import Evidence
from tiptiers.store.models import Base, Placement
from tiptiers.store.reviews import ClaimResponse, ResponseAttachment, ReviewRequestRow, publish_gate
from tiptiers.store.texts import check_language

MAX_NARRATIVE = 200_000
ORIGINAL_LANGUAGE = "en"  # the office writes its narratives in English; other languages are translations


class PublicationError(ValueError):
    """Bad input; the message starts with the name of the field at fault."""


class Publication(Base):
    """A report year's release: public from `publish_at`; the narratives standing then are frozen."""

    __tablename__ = "publications"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    publish_at: Mapped[datetime] = mapped_column(DateTime)
    scheduled_by: Mapped[str] = mapped_column(String(100))
    scheduled_at: Mapped[datetime] = mapped_column(DateTime)
    note: Mapped[str] = mapped_column(Text, default="")


class NarrativeVersion(Base):
    """One dated version of a country-year narrative (Markdown) in one language: the original in English, or a
    translation, each numbered on its own. Versions after publication are corrections."""

    __tablename__ = "narrative_versions"
    __table_args__ = (UniqueConstraint("iso3", "year", "language", "version", name="uq_narrative_versions_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    language: Mapped[str] = mapped_column(String(35), default=ORIGINAL_LANGUAGE)  # BCP 47
    version: Mapped[int] = mapped_column(Integer)
    markdown: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)


def utcnow() -> datetime:
    """Naive UTC, the same on SQLite and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


HISTORY = "history"  # `scheduled_by` of a year published by importing its placements (the June 1 rule)


def history_publication_time(year: int) -> datetime:
    """When the TIP Report of a year came out, for imported history: the day recorded in data/report_releases.csv,
    else June 1 of the report year (the report comes out each June)."""
    released = history_releases().get(year)
    return datetime(released.year, released.month, released.day) if released else datetime(year, 6, 1)


@dataclass(frozen=True)
class Schedule:
    """Every year's publication time, read once (one query): what the embargo checks, per request or per page."""

    scheduled: dict[int, datetime]

    def published_at(self, year: int) -> datetime | None:
        return self.scheduled.get(year)

    def is_public(self, year: int, now: datetime) -> bool:
        at = self.scheduled.get(year)
        return at is not None and now >= at

    def public_years(self, years: Iterable[int], now: datetime) -> list[int]:
        return sorted(y for y in set(years) if self.is_public(y, now))


def schedule(session: Session) -> Schedule:
    return Schedule({p.year: p.publish_at for p in session.scalars(select(Publication))})


def publication_time(session: Session, year: int) -> datetime | None:
    """None: the year is not scheduled, so not public."""
    row = session.get(Publication, year)
    return row.publish_at if row else None


def is_public(session: Session, year: int, now: datetime | None = None) -> bool:
    at = publication_time(session, year)
    return at is not None and (now or utcnow()) >= at


def public_years(session: Session, years: Iterable[int], now: datetime | None = None) -> list[int]:
    """The given years that the public may see now, in order."""
    return schedule(session).public_years(years, now or utcnow())


def in_preparation(session: Session, year: int) -> bool:
    """The year has drafts (evidence), reviews or assessments here: only publishing it makes it public."""
    return any(session.scalar(select(column).where(column == year).limit(1)) is not None
               for column in (Evidence.year, Assessment.year, ReviewRequestRow.year))


def record_history(session: Session, years: Iterable[int], now: datetime | None = None) -> list[int]:
    """The June 1 rule, for imported history only: each year whose report has come out (its recorded release day,
    else June 1), with no publication yet and not in preparation here, is recorded as published then (by `HISTORY`).
    The years recorded."""
    now = now or utcnow()
    known = schedule(session).scheduled
    recorded = []
    for year in sorted(set(years)):
        at = history_publication_time(year)
        if year in known or at > now or in_preparation(session, year):
            continue
        session.add(Publication(year=year, publish_at=at, scheduled_by=HISTORY, scheduled_at=now,
                                note="imported history: the day the TIP Report came out"))
        recorded.append(year)
    session.flush()
    if recorded:
        span = str(recorded[0]) if len(recorded) == 1 else f"{recorded[0]}-{recorded[-1]}"
        activity.record(session, HISTORY, "publication.history", f"publication:{span}", None,
                        {"years": recorded, "rule": "the day the TIP Report came out (else June 1)"})
    return recorded


def publication_times(session: Session) -> dict[int, datetime]:
    """The publication time of every scheduled year."""
    return schedule(session).scheduled


def next_publication(session: Session, after: datetime) -> datetime | None:
    """The first publication time later than `after`: when what the public may see next changes by itself, with
    nobody writing anything."""
    return min((t for t in publication_times(session).values() if t > after), default=None)


def published_between(session: Session, after: datetime, until: datetime) -> list[int]:
    """The years whose publication time is in (after, until]."""
    return sorted(y for y, t in publication_times(session).items() if after < t <= until)


def fingerprint(session: Session, iso3: str | None, year: int) -> tuple[Any, ...]:
    """Changes whenever a country-year's (or with `iso3=None` the whole year's) narrative versions or the year's
    publication change (one query): what a cache of published pages checks before reusing one."""
    scope = [NarrativeVersion.year == year] + ([NarrativeVersion.iso3 == iso3] if iso3 else [])
    versions = (select(func.count(NarrativeVersion.id), func.max(NarrativeVersion.id)).where(*scope).subquery())
    query = select(versions.c[0], versions.c[1], select(Publication.publish_at).where(Publication.year == year)
                   .scalar_subquery())
    row = session.execute(query).one()
    return tuple(row)


@dataclass(frozen=True)
class GateReport:
    """What publishing a year consulted: per country the review gate's reasons, and the analysis gap warning."""

    blocked: dict[str, list[str]]
    warnings: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"blocked": self.blocked, "warnings": self.warnings}


def assessed_countries(session: Session, year: int) -> list[str]:
    """Countries with an assessment or evidence for the year: the ones the review gate applies to."""
    found: set[str] = set()
    for table in (Assessment, Evidence):
        found.update(session.scalars(select(table.iso3).where(table.year == year)))
    return sorted(found)


def consult_gates(session: Session, year: int) -> GateReport:
    """The review gate (`reviews.publish_gate`) of each assessed country, and the analysis warning
    (`assessments.assessing_country_gap`, printed, not blocking)."""
    blocked: dict[str, list[str]] = {}
    for iso3 in assessed_countries(session, year):
        reasons = publish_gate(session, iso3, year)
        if reasons:
            blocked[iso3] = reasons
    gap = assessing_country_gap(session, year)
    return GateReport(blocked, [gap] if gap else [])


def attachment_is_public(session: Session, sha256: str, now: datetime | None = None) -> bool:
    """True when a government marked this file publishable on a reply to a claim of a published report (a claim
    not withdrawn: the report prints no reply to a withdrawn claim)."""
    years = session.scalars(
        select(Evidence.year).distinct()
        .join(ClaimResponse, ClaimResponse.evidence_id == Evidence.id)
        .join(ResponseAttachment, ResponseAttachment.response_id == ClaimResponse.id)
        .where(ResponseAttachment.sha256 == sha256.lower(), ResponseAttachment.public.is_(True),
               Evidence.state != VerificationState.WITHDRAWN.value))
    return any(is_public(session, year, now) for year in years)


def schedule_publication(session: Session, year: int, publish_at: datetime, actor: str, note: str = "",
                         now: datetime | None = None, ignore_gate: bool = False) -> tuple[Publication, GateReport]:
    """Set (or move) the year's publication time. A year already public cannot be moved: it is frozen."""
    now = now or utcnow()
    try:
        check_report_year(year)
    except ValueError as exc:
        raise PublicationError(f"year: {exc}") from None
    if session.scalar(select(func.count()).select_from(Placement).where(Placement.year == year)) == 0:
        raise PublicationError(f"year: no placements for report year {year}; import them before publishing")
    if publish_at.tzinfo is not None:
        publish_at = publish_at.astimezone(UTC).replace(tzinfo=None)
    if is_public(session, year, now) and publish_at != publication_time(session, year):
        raise PublicationError(f"publish_at: report year {year} was published on {publication_time(session, year)} "
                               "UTC and is frozen; publish corrections as new narrative versions")
    report = consult_gates(session, year)
    if report.blocked and not ignore_gate:
        detail = "; ".join(f"{iso3}: {', '.join(r)}" for iso3, r in sorted(report.blocked.items()))
        raise PublicationError(f"gate: {len(report.blocked)} country-year(s) may not be published yet: {detail}")
    row = session.get(Publication, year)
    before = {"publish_at": row.publish_at.isoformat(), "scheduled_by": row.scheduled_by} if row else None
    if row is None:
        row = Publication(year=year)
        session.add(row)
    row.publish_at, row.scheduled_by, row.scheduled_at, row.note = publish_at, actor, now, note
    session.flush()
    activity.record(session, actor, "publication.schedule", f"publication:{year}", before,
                    {"year": year, "publish_at": publish_at.isoformat(), "note": note,
                     "gate_ignored": sorted(report.blocked) if ignore_gate else []})
    return row, report


def _country(iso3: str) -> str:
    country = country_table().get(iso3.upper())
    if country is None:
        raise PublicationError(f"iso3: unknown country {iso3!r}")
    return country.iso3


def narrative_versions(session: Session, iso3: str, year: int,
                       language: str = ORIGINAL_LANGUAGE) -> list[NarrativeVersion]:
    """The versions of the narrative in one language (the original English by default), oldest first."""
    return list(session.scalars(select(NarrativeVersion)
                                .where(NarrativeVersion.iso3 == iso3.upper(), NarrativeVersion.year == year,
                                       NarrativeVersion.language == language)
                                .order_by(NarrativeVersion.version)))


def narrative_languages(session: Session, iso3: str, year: int) -> list[str]:
    """The languages the country-year's narrative has versions in: English (the original, always offered: the
    generated text stands until one is saved) first, then the translations by tag."""
    found = set(session.scalars(select(NarrativeVersion.language).distinct().where(
        NarrativeVersion.iso3 == iso3.upper(), NarrativeVersion.year == year)))
    return [ORIGINAL_LANGUAGE, *sorted(found - {ORIGINAL_LANGUAGE})]


def _language(language: str) -> str:
    try:
        return check_language("language", language)
    except ValueError as exc:
        raise PublicationError(str(exc)) from None


def save_narrative(session: Session, iso3: str, year: int, markdown: str, author: str, note: str = "",
                   now: datetime | None = None, language: str = ORIGINAL_LANGUAGE) -> NarrativeVersion:
    """Store a new version. After the year's publication it is a correction and needs a `note` saying why.

    `language` other than English stores a version of that translation, numbered on its own; the first version
    of a translation made after publication is no correction (there was nothing in that language to correct)."""
    now = now or utcnow()
    iso3 = _country(iso3)
    try:
        check_report_year(year)
    except ValueError as exc:
        raise PublicationError(f"year: {exc}") from None
    language = _language(language)
    if not markdown.strip():
        raise PublicationError("markdown: the narrative is empty")
    if len(markdown) > MAX_NARRATIVE:
        raise PublicationError(f"markdown: longer than {MAX_NARRATIVE} characters")
    if "\x00" in markdown:
        raise PublicationError("markdown: contains a NUL character")
    if not author.strip():
        raise PublicationError("author: required")
    versions = narrative_versions(session, iso3, year, language)
    correction = is_public(session, year, now) and (language == ORIGINAL_LANGUAGE or bool(versions))
    if correction and not note.strip():
        raise PublicationError(f"note: report year {year} is published; a correction needs a note saying what "
                               "changed and why")
    if versions and versions[-1].markdown == markdown:
        raise PublicationError("markdown: identical to the current version")
    row = NarrativeVersion(iso3=iso3, year=year, language=language,
                           version=(versions[-1].version + 1) if versions else 1,
                           markdown=markdown, author=author.strip(), note=note.strip(), created_at=now)
    session.add(row)
    session.flush()
    activity.record(session, row.author, "narrative.correct" if row.note and correction
                    else "narrative.edit", f"narrative:{iso3}/{year}",
                    {"version": versions[-1].version, "language": language} if versions else None,
                    {"version": row.version, "language": language, "note": row.note, "characters": len(markdown)})
    return row


@dataclass(frozen=True)
class PublicNarrative:
    """What the public sees of a country-year's stored narrative in one language: the frozen text and the dated
    corrections."""

    frozen: NarrativeVersion | None  # the version standing at publication time (None: the generated text)
    corrections: list[NarrativeVersion]
    language: str = ORIGINAL_LANGUAGE

    @property
    def current(self) -> NarrativeVersion | None:
        return self.corrections[-1] if self.corrections else self.frozen


def public_narrative(session: Session, iso3: str, year: int, now: datetime | None = None,
                     language: str = ORIGINAL_LANGUAGE) -> PublicNarrative | None:
    """None while the year is under embargo, or when there is no version in that translation. A translation first
    written after publication stands as first written; its later versions are its corrections."""
    published = publication_time(session, year)
    if published is None or (now or utcnow()) < published:
        return None
    versions = narrative_versions(session, iso3, year, language)
    frozen = [v for v in versions if v.created_at <= published]
    if language == ORIGINAL_LANGUAGE:
        return PublicNarrative(frozen[-1] if frozen else None, [v for v in versions if v.created_at > published])
    if not versions:
        return None
    standing = frozen[-1] if frozen else versions[0]
    return PublicNarrative(standing, [v for v in versions if v.version > standing.version], language)
