"""Overrides and waivers: the records the tier engine applies. Models and repository functions."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    CompoundSelect,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from tiptiers.coverage import WaiverCoverage, WatchListState, YearCoverage, unknown_year
from tiptiers.engine.audit import WaiverRecords
from tiptiers.engine.model import HistoryEntry, Override, Waiver
from tiptiers.report_years import FIRST_REPORT_YEAR
from tiptiers.store import activity
from tiptiers.store.models import Base, Country, Placement
from tiptiers.tiers import Tier


class EngineRecordError(ValueError):
    """A record that cannot be stored; the message names the field."""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class OverrideRecord(Base):
    """A tier other than the computed one, with its written justification and author."""

    __tablename__ = "engine_overrides"
    __table_args__ = (
        UniqueConstraint("iso3", "year", name="uq_engine_overrides_iso3_year"),
        CheckConstraint("tier IN ('1', '2', '2WL', '3', 'special')", name="ck_engine_overrides_tier"),
        CheckConstraint("length(trim(justification)) > 0", name="ck_engine_overrides_justified"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    tier: Mapped[str] = mapped_column(String(7))
    justification: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)

    def to_model(self) -> Override:
        return Override(iso3=self.iso3, year=self.year, tier=Tier(self.tier), justification=self.justification,
                        author=self.author)


class WaiverRecord(Base):
    """A waiver of the automatic downgrade for one country-year."""

    __tablename__ = "engine_waivers"
    __table_args__ = (
        UniqueConstraint("iso3", "year", name="uq_engine_waivers_iso3_year"),
        CheckConstraint("length(trim(justification)) > 0", name="ck_engine_waivers_justified"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    justification: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)
    source: Mapped[str | None] = mapped_column(Text)  # the memorandum (or other record) the waiver comes from
    origin: Mapped[str] = mapped_column(String(10), default="user")  # bundled (tiptiers' history) | user

    def to_model(self) -> Waiver:
        return Waiver(iso3=self.iso3, year=self.year, justification=self.justification, source=self.source)


def _require_country(session: Session, iso3: str) -> None:
    if session.get(Country, iso3) is None:
        raise EngineRecordError(f"iso3: unknown country {iso3!r} (run `tiptiers init` to load the country table)")


def add_override(session: Session, override: Override, replace: bool = False, actor: str | None = None) -> Override:
    """Store an override in the caller's transaction, with its activity-log entry (by `actor`, else its author).
    One per country-year; `replace` to correct it."""
    _require_country(session, override.iso3)
    row = session.scalar(select(OverrideRecord).where(OverrideRecord.iso3 == override.iso3,
                                                      OverrideRecord.year == override.year))
    if row is not None and not replace:
        raise EngineRecordError(f"year: {override.iso3} {override.year} already has an override "
                                f"({Tier(row.tier).label}, by {row.author}); replace it explicitly")
    before = _override_state(row) if row is not None else None
    if row is None:
        row = OverrideRecord(iso3=override.iso3, year=override.year)
        session.add(row)
    row.tier, row.justification, row.author = override.tier.value, override.justification, override.author
    row.created_at = _now()
    session.flush()
    activity.record(session, actor or override.author, "override.replace" if before else "override.add",
                    f"override:{row.iso3}/{row.year}", before, _override_state(row))
    return row.to_model()


def _override_state(row: OverrideRecord) -> dict[str, Any]:
    return {"iso3": row.iso3, "year": row.year, "tier": row.tier, "justification": row.justification,
            "author": row.author}


def add_waiver(session: Session, waiver: Waiver, replace: bool = False, actor: str = "system") -> Waiver:
    """Store a waiver in the caller's transaction, with its activity-log entry. One per country-year."""
    _require_country(session, waiver.iso3)
    row = session.scalar(select(WaiverRecord).where(WaiverRecord.iso3 == waiver.iso3, WaiverRecord.year == waiver.year))
    if row is not None and not replace:
        raise EngineRecordError(f"year: {waiver.iso3} {waiver.year} already has a waiver; replace it explicitly")
    before = {"justification": row.justification, "source": row.source, "origin": row.origin} if row else None
    if row is None:
        row = WaiverRecord(iso3=waiver.iso3, year=waiver.year)
        session.add(row)
    row.justification = waiver.justification
    row.source, row.origin = waiver.source, "user"
    row.created_at = _now()
    session.flush()
    activity.record(session, actor, "waiver.replace" if before else "waiver.add", f"waiver:{row.iso3}/{row.year}",
                    before, {"iso3": row.iso3, "year": row.year, "justification": row.justification,
                             "source": row.source})
    return row.to_model()


def list_overrides(session: Session, year: int | None = None, iso3: str | None = None) -> list[Override]:
    query = select(OverrideRecord).order_by(OverrideRecord.year, OverrideRecord.iso3)
    if year is not None:
        query = query.where(OverrideRecord.year == year)
    if iso3 is not None:
        query = query.where(OverrideRecord.iso3 == iso3)
    return [r.to_model() for r in session.scalars(query)]


def list_waivers(session: Session, year: int | None = None, iso3: str | None = None) -> list[Waiver]:
    query = select(WaiverRecord).order_by(WaiverRecord.year, WaiverRecord.iso3)
    if year is not None:
        query = query.where(WaiverRecord.year == year)
    if iso3 is not None:
        query = query.where(WaiverRecord.iso3 == iso3)
    return [r.to_model() for r in session.scalars(query)]


def get_override(session: Session, iso3: str, year: int) -> Override | None:
    found = list_overrides(session, year=year, iso3=iso3)
    return found[0] if found else None


def _with_coverage(iso3: str, placed: dict[int, Tier], until: int, coverage: dict[int, YearCoverage]) -> list[
        HistoryEntry]:
    """A country's placements as engine history, with every year up to `until` (excluded) whose Watch List state is
    unknown, from the year's coverage, as an entry without a tier. A year absent from the result was known not to
    be a Watch List year."""
    entries = [HistoryEntry(year=y, tier=t) for y, t in placed.items() if y < until]
    for y in range(FIRST_REPORT_YEAR, until):
        if y not in placed and (coverage.get(y) or unknown_year(y)).watch_list(iso3, None) == WatchListState.UNKNOWN:
            entries.append(HistoryEntry(year=y, tier=None))
    return sorted(entries, key=lambda h: h.year)


def _coverage(session: Session) -> dict[int, YearCoverage]:
    from tiptiers.store.placements import all_coverage

    return all_coverage(session)


def placement_history(session: Session, iso3: str, before: int | None = None) -> list[HistoryEntry]:
    """A country's published placements as engine history (special cases included as such), and the years before
    `before` (or the last year on record) that are not in the sources, without a tier."""
    placed = {y: Tier(t) for y, t in session.execute(select(Placement.year, Placement.tier)
                                                     .where(Placement.iso3 == iso3))}
    until = before if before is not None else (session.scalar(select(func.max(Placement.year))) or 0) + 1
    return _with_coverage(iso3, placed, until, _coverage(session))


@lru_cache(maxsize=4)
def _inputs_query(history: bool, records: bool) -> CompoundSelect | None:
    """The statement of `engine_inputs`, built once (bound parameters :iso3 and :year)."""
    iso3, year, text = bindparam("iso3", type_=String), bindparam("year", type_=Integer), cast(null(), String)
    parts: list[Any] = []  # Select of five columns
    if history:
        parts.append(select(literal_column("'p'"), Placement.year, Placement.tier, text, text)
                     .where(Placement.iso3 == iso3, Placement.year < year))
    if records:
        parts.append(select(literal_column("'w'"), WaiverRecord.year, text, WaiverRecord.justification, text)
                     .where(WaiverRecord.iso3 == iso3, WaiverRecord.year == year))
        parts.append(select(literal_column("'o'"), OverrideRecord.year, OverrideRecord.tier,
                            OverrideRecord.justification, OverrideRecord.author)
                     .where(OverrideRecord.iso3 == iso3, OverrideRecord.year == year))
    return union_all(*parts) if parts else None


def engine_inputs(session: Session, iso3: str, year: int, history: bool = True,
                  records: bool = True) -> tuple[list[HistoryEntry], list[Waiver], Override | None]:
    """In one query: the placements before `year` (if `history`), and the waiver and override of the country-year
    (if `records`). What a what-if determination needs of the store."""
    placed: list[HistoryEntry] = []
    waivers: list[Waiver] = []
    override: Override | None = None
    query = _inputs_query(history, records)
    if query is None:
        return placed, waivers, override
    tiers: dict[int, Tier] = {}
    for kind, row_year, tier, justification, author in session.execute(query, {"iso3": iso3, "year": year}):
        if kind == "p":
            tiers[row_year] = Tier(tier)
        elif kind == "w":
            waivers.append(Waiver(iso3=iso3, year=row_year, justification=justification))
        else:
            override = Override(iso3=iso3, year=row_year, tier=Tier(tier), justification=justification, author=author)
    if history:
        placed = _with_coverage(iso3, tiers, year, _coverage(session))
    return placed, waivers, override


def all_histories(session: Session) -> dict[str, list[HistoryEntry]]:
    """Every placed country's history up to the last year on record, with the years not in the sources."""
    placed: dict[str, dict[int, Tier]] = defaultdict(dict)
    for iso3, year, tier in session.execute(select(Placement.iso3, Placement.year, Placement.tier)):
        placed[iso3][year] = Tier(tier)
    if not placed:
        return {}
    until = max(max(years) for years in placed.values()) + 1
    coverage = _coverage(session)
    return {iso3: _with_coverage(iso3, years, until, coverage) for iso3, years in sorted(placed.items())}


def waiver_records(session: Session) -> WaiverRecords:
    """The waivers on record with their sources, and how complete each year's list of waivers is, for the audit."""
    coverage = _coverage(session)
    sources = {(w.iso3, w.year): (w.source or f"waiver record: {w.justification}")
               for w in session.scalars(select(WaiverRecord))}
    return WaiverRecords(sources, {y: c.waivers for y, c in coverage.items()},
                         {y: c.source for y, c in coverage.items() if c.waivers != WaiverCoverage.NONE})


def placement_sources(session: Session) -> dict[tuple[str, int], str]:
    return {(iso3, year): source for iso3, year, source in
            session.execute(select(Placement.iso3, Placement.year, Placement.source))}
