"""Repository for countries, placements (with their provenance and corrections), each year's coverage, and the 3P
index.

Who owns a row decides who may change it. The bundled history owns the rows it loaded (`origin` "bundled") and
only while nobody changed them: `init` adds what is missing, updates its own rows, and reports (never applies) a
newer bundled value that differs from a row someone imported or corrected. A published placement changes only as
a dated correction (who, why, the previous value), which every page that shows the placement shows too; an import
that would change one silently is refused and says how to make the correction.

Each import run, the bundled load included, writes one activity-log entry (when it changed anything).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager

from tiptiers.countries import country_table
from tiptiers.coverage import WaiverCoverage, YearCoverage, unknown_year
from tiptiers.sources.history import Bundle, read_bundle
from tiptiers.sources.placements import PlacementRow
from tiptiers.sources.report_lists import ReportLists
from tiptiers.sources.three_p import parse_three_p
from tiptiers.store import activity
from tiptiers.store import publication as pubstore
from tiptiers.store.engine import WaiverRecord
from tiptiers.store.models import Country, Placement, PlacementCorrection, ThreePScore, YearCoverageRecord
from tiptiers.tiers import TIER_ORDER, Tier

BUNDLED_THREE_P = "cho_3p_index_2000_2014.csv"
BUNDLED = "bundled"
IMPORTED = "import"
CORRECTED = "correction"


class ImportRefused(ValueError):
    """An import that would store something it must not; nothing of it is stored. The message says what to do."""


@dataclass(frozen=True)
class ImportResult:
    added: int = 0
    updated: int = 0  # provenance refreshed, or an unpublished placement changed
    unchanged: int = 0
    corrected: int = 0  # published placements changed by a dated correction

    def __str__(self) -> str:
        text = f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged"
        return text + (f", {self.corrected} corrected" if self.corrected else "")


@dataclass(frozen=True)
class BundleReport:
    """What `init` did with the bundled history."""

    version: str
    placements: ImportResult
    waivers_added: int = 0
    coverage_years: int = 0  # coverage records added or updated
    not_applied: list[str] = field(default_factory=list)  # bundled values that differ from someone's change

    @property
    def changed(self) -> bool:
        p = self.placements
        return bool(p.added or p.updated or p.corrected or self.waivers_added or self.coverage_years)

    def __str__(self) -> str:
        text = f"{self.placements}" + (f"; {self.waivers_added} waivers added" if self.waivers_added else "")
        return text + (f"; {len(self.not_applied)} bundled value(s) not applied" if self.not_applied else "")


def sync_countries(session: Session) -> None:
    existing = {c.iso3: c for c in session.scalars(select(Country))}
    for c in country_table():
        row = existing.get(c.iso3)
        if row is None:
            session.add(Country(iso3=c.iso3, name=c.name, iso_status=c.iso_status, iso_numeric=c.iso_numeric))
        else:
            row.name, row.iso_status, row.iso_numeric = c.name, c.iso_status, c.iso_numeric
    session.flush()


# --- corrections ------------------------------------------------------------------------------------------


def _is_public(session: Session, year: int) -> bool:
    return pubstore.is_public(session, year)


def _now() -> datetime:
    return pubstore.utcnow()


def _correct(session: Session, placement: Placement, row: PlacementRow, source: str, reason: str,
             author: str, origin: str = CORRECTED) -> PlacementCorrection:
    correction = PlacementCorrection(iso3=placement.iso3, year=placement.year, previous_tier=placement.tier,
                                     previous_source=placement.source, tier=row.tier.value, source=source,
                                     reason=reason, author=author, at=_now())
    session.add(correction)
    _set(placement, row, source)
    placement.origin = origin
    return correction


def _set(placement: Placement, row: PlacementRow, source: str) -> None:
    placement.tier, placement.source = row.tier.value, source
    placement.method, placement.evidence = row.method, row.evidence
    placement.country_name = row.country_name or placement.country_name


def placement_corrections(session: Session, iso3: str | None = None,
                          year: int | None = None) -> list[PlacementCorrection]:
    query = select(PlacementCorrection).order_by(PlacementCorrection.year, PlacementCorrection.iso3,
                                                 PlacementCorrection.at, PlacementCorrection.id)
    if iso3 is not None:
        query = query.where(PlacementCorrection.iso3 == iso3)
    if year is not None:
        query = query.where(PlacementCorrection.year == year)
    return list(session.scalars(query))


def correction_dict(c: PlacementCorrection) -> dict[str, Any]:
    return {"iso3": c.iso3, "year": c.year, "at": c.at.isoformat(timespec="seconds"), "author": c.author,
            "reason": c.reason, "previous_tier": c.previous_tier, "previous_source": c.previous_source,
            "tier": c.tier, "source": c.source}


# --- imports ----------------------------------------------------------------------------------------------


def _refusal(changes: list[tuple[Placement, PlacementRow]], how: str) -> ImportRefused:
    shown = "\n".join(f"  {p.iso3} {p.year}: published as {Tier(p.tier).label} ({p.source}); the file says "
                      f"{r.tier.label}" for p, r in changes[:20])
    more = f"\n  ... and {len(changes) - 20} more" if len(changes) > 20 else ""
    return ImportRefused(
        f"{len(changes)} published placement(s) would change, nothing imported:\n{shown}{more}\n"
        f"A published placement changes only as a dated correction, shown wherever it is shown: {how}")


def import_placements(session: Session, rows: list[PlacementRow], source: str, actor: str = "cli",
                      correction: str | None = None) -> ImportResult:
    """Store rows in the caller's transaction, as one import run with one activity-log entry.

    Same tier: left alone. New country-year: added. A different tier for a year not yet published: changed. A
    different tier for a published year: refused (ImportRefused, nothing stored) unless `correction`
    gives the reason, which makes each such change a dated correction by `actor`.
    """
    result, corrections = _store_rows(session, rows, source, actor, correction)
    pubstore.record_history(session, {row.year for row in rows})  # a past year imported here is history
    if result.added or result.updated or result.corrected:
        years = sorted({r.year for r in rows})
        activity.record(session, actor, "placements.import", f"placements:{_span(years)}", None,
                        {"source": source, "rows": len(rows), "added": result.added, "updated": result.updated,
                         "unchanged": result.unchanged, "corrected": result.corrected, "corrections": corrections})
    return result


def _store_rows(session: Session, rows: list[PlacementRow], source: str, actor: str,
                correction: str | None) -> tuple[ImportResult, list[dict[str, Any]]]:
    existing = {(p.iso3, p.year): p for p in session.scalars(select(Placement))}
    public: dict[int, bool] = {}

    def published(year: int) -> bool:
        if year not in public:
            public[year] = _is_public(session, year)
        return public[year]

    changes = [(existing[(r.iso3, r.year)], r) for r in rows if (r.iso3, r.year) in existing
               and existing[(r.iso3, r.year)].tier != r.tier.value and published(r.year)]
    if changes and not (correction and correction.strip()):
        raise _refusal(changes, "run the same import with --correction \"why\" (and --as NAME), or correct one "
                                "placement with a one-line file the same way")
    added = updated = unchanged = corrected = 0
    corrections: list[dict[str, Any]] = []
    for row in rows:
        row_source = row.source or source
        placement = existing.get((row.iso3, row.year))
        if placement is None:
            placement = Placement(iso3=row.iso3, year=row.year, origin=IMPORTED, country_name=row.country_name)
            _set(placement, row, row_source)
            session.add(placement)
            existing[(row.iso3, row.year)] = placement
            added += 1
        elif placement.tier == row.tier.value:
            unchanged += 1
        elif published(row.year):
            corrections.append(correction_dict(_correct(session, placement, row, row_source,
                                                        (correction or "").strip(), actor)))
            corrected += 1
        else:
            _set(placement, row, row_source)
            placement.origin = IMPORTED
            updated += 1
    session.flush()
    return ImportResult(added, updated, unchanged, corrected), corrections


def _span(years: list[int]) -> str:
    if not years:
        return "none"
    return str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"


def import_report_lists(session: Session, lists: ReportLists, year: int, source: str, actor: str,
                        complete: bool = False, published_on: datetime | None = None,
                        correction: str | None = None) -> ImportResult:
    """A report's lists, as published: its placements, the coverage its headings say, and its publication.

    `complete` states that the file is the whole report (a country on no list was not ranked). A year not yet
    public needs `published_on` and must hold no drafts (they would become public with it).
    """
    if not source.strip():
        raise ImportRefused("source: say where the lists come from, e.g. --source \"2026 TIP Report, June "
                                   "2026\"")
    held = session.scalar(select(func.count()).select_from(Placement).where(Placement.year == year))
    published = bool(held) and _is_public(session, year)  # a year holding no placement has published nothing
    if published:
        if published_on is not None and published_on != pubstore.publication_time(session, year):
            raise ImportRefused(f"published_on: report year {year} is already public since "
                                       f"{pubstore.publication_time(session, year):%Y-%m-%d}; drop --published-on")
    else:
        if published_on is None:
            raise ImportRefused(f"published_on: report year {year} is not published yet; say when the "
                                       "report came out with --published-on YYYY-MM-DD")
        if pubstore.in_preparation(session, year):
            who = ", ".join(pubstore.assessed_countries(session, year)) or "reviews"
            raise ImportRefused(f"year: report year {year} holds drafts in progress (evidence, assessments or "
                                f"reviews: {who}); importing the report's lists would make them public. Publish "
                                "the year with `tiptiers publish`, or remove the drafts, first.")
    listed = {c.iso3 for c in lists.countries}
    # A list given in full must hold every country the database places on that tier in that year.
    missing = [p for p in session.scalars(select(Placement).where(Placement.year == year))
               if Tier(p.tier) in lists.headings and p.iso3 not in listed]
    if missing:
        shown = ", ".join(f"{p.iso3} ({Tier(p.tier).label}, {p.source})" for p in missing[:10])
        raise ImportRefused(f"lists: the file's lists leave out {len(missing)} country(ies) placed on those "
                                   f"tiers in {year}: {shown}; add them to the file, or correct them first")
    rows = [PlacementRow(c.iso3, year, c.tier, c.line, None, "listed", None, c.name) for c in lists.countries]
    result, corrections = _store_rows(session, rows, source.strip(), actor, correction)
    coverage = _coverage_after(session, year, lists, complete, source.strip(), actor)
    if not published and published_on is not None:
        pubstore.schedule_publication(session, year, published_on, actor, note=f"report lists imported: {source}")
    activity.record(session, actor, "placements.import_lists", f"placements:{year}", None,
                    {"source": source, "year": year, "lists": [t.value for t in TIER_ORDER if t in lists.headings],
                     "complete": complete, "published_on": published_on.isoformat() if published_on else None,
                     "countries": len(rows), "result": str(result), "corrections": corrections,
                     "coverage": coverage.as_dict()})
    return result


def _coverage_after(session: Session, year: int, lists: ReportLists, complete: bool, source: str,
                    actor: str) -> YearCoverage:
    before = year_coverage(session, year)
    full = frozenset(Tier) if complete else before.full_tiers | lists.headings
    gaps = {} if complete else {k: v for k, v in before.gaps.items() if k not in {c.iso3 for c in lists.countries}}
    after = YearCoverage(year=year, full_tiers=full, gaps=gaps, waivers=before.waivers,
                         official_count=len(lists.countries) if complete else before.official_count,
                         official_source=source if complete else before.official_source,
                         note=f"Lists imported from {source} by {actor}" + (" (the whole report)" if complete else ""),
                         source=f"import lists: {source}")
    save_coverage(session, after, IMPORTED)
    return after


# --- coverage ---------------------------------------------------------------------------------------------


def _coverage_of(row: YearCoverageRecord) -> YearCoverage:
    return YearCoverage(
        year=row.year, full_tiers=frozenset(Tier(t) for t in row.full_tiers.split(",") if t),
        gaps=json.loads(row.gaps_json or "{}"), waivers=WaiverCoverage(row.waivers), official_count=row.official_count,
        official_source=row.official_source or "", note=row.note, source=row.source)


def _coverage_values(c: YearCoverage) -> dict[str, Any]:
    return {"full_tiers": ",".join(t.value for t in TIER_ORDER if t in c.full_tiers),
            "gaps_json": json.dumps(dict(sorted(c.gaps.items())), ensure_ascii=False), "waivers": c.waivers.value,
            "official_count": c.official_count, "official_source": c.official_source or None, "note": c.note,
            "source": c.source}


def save_coverage(session: Session, coverage: YearCoverage, origin: str) -> bool:
    """Store a year's coverage; True when it changed."""
    row = session.get(YearCoverageRecord, coverage.year)
    values = _coverage_values(coverage)
    if row is not None and all(getattr(row, k) == v for k, v in values.items()) and row.origin == origin:
        return False
    if row is None:
        row = YearCoverageRecord(year=coverage.year)
        session.add(row)
    for k, v in values.items():
        setattr(row, k, v)
    row.origin = origin
    session.flush()
    return True


def all_coverage(session: Session) -> dict[int, YearCoverage]:
    return {r.year: _coverage_of(r) for r in session.scalars(select(YearCoverageRecord))}


def year_coverage(session: Session, year: int) -> YearCoverage:
    """What the sources give of `year` (a year with no record: nothing known to be complete)."""
    row = session.get(YearCoverageRecord, year) if 0 < year < 10_000 else None
    return _coverage_of(row) if row is not None else unknown_year(year)


def placed_counts(session: Session) -> dict[int, int]:
    return {y: n for y, n in session.execute(select(Placement.year, func.count()).group_by(Placement.year))}


# --- the bundled history ----------------------------------------------------------------------------------


def _bundled_text(name: str) -> str:
    return resources.files("tiptiers.data").joinpath(name).read_text(encoding="utf-8")


def _load_bundled_placements(session: Session, bundle: Bundle) -> tuple[ImportResult, list[str], list[dict[str, Any]]]:
    existing = {(p.iso3, p.year): p for p in session.scalars(select(Placement))}
    added = updated = unchanged = corrected = 0
    not_applied: list[str] = []
    corrections: list[dict[str, Any]] = []
    for row in bundle.placements:
        assert row.source is not None
        placement = existing.get((row.iso3, row.year))
        if placement is None:
            placement = Placement(iso3=row.iso3, year=row.year, origin=BUNDLED)
            _set(placement, row, row.source)
            session.add(placement)
            added += 1
        elif placement.origin != BUNDLED:  # someone's change: never undone
            if placement.tier != row.tier.value:
                not_applied.append(f"{row.iso3} {row.year}: {Tier(placement.tier).label} ({placement.source}) kept; "
                                   f"the bundled history {bundle.version} says {row.tier.label}")
            unchanged += 1
        elif placement.tier != row.tier.value:
            corrections.append(correction_dict(_correct(
                session, placement, row, row.source, f"the bundled history {bundle.version} corrects this placement",
                bundle.label, origin=BUNDLED)))
            corrected += 1
        elif (placement.source, placement.method, placement.evidence, placement.country_name) != (
                row.source, row.method, row.evidence, row.country_name or placement.country_name):
            _set(placement, row, row.source)
            updated += 1
        else:
            unchanged += 1
    session.flush()
    return ImportResult(added, updated, unchanged, corrected), not_applied, corrections


def _load_bundled_waivers(session: Session, bundle: Bundle) -> int:
    existing = {(w.iso3, w.year): w for w in session.scalars(select(WaiverRecord))}
    added = 0
    for w in bundle.waivers:
        row = existing.get((w.iso3, w.year))
        if row is None:
            session.add(WaiverRecord(iso3=w.iso3, year=w.year, justification=w.justification, source=w.source,
                                     origin=BUNDLED, created_at=_now()))
            added += 1
        elif row.origin == BUNDLED and (row.justification, row.source) != (w.justification, w.source):
            row.justification, row.source = w.justification, w.source
    session.flush()
    return added


def load_bundled(session: Session, actor: str | None = None) -> BundleReport:
    """Countries, the bundled placements, waivers and coverage, and the 3P index. Idempotent; never undoes a change
    someone made (see the module docstring)."""
    sync_countries(session)
    bundle = read_bundle()
    result, not_applied, corrections = _load_bundled_placements(session, bundle)
    pubstore.record_history(session, {row.year for row in bundle.placements})
    waivers = _load_bundled_waivers(session, bundle)
    coverage_changed = 0
    for year, coverage in sorted(bundle.coverage.items()):
        row = session.get(YearCoverageRecord, year)
        if row is None or row.origin == BUNDLED:
            coverage_changed += save_coverage(session, coverage, BUNDLED)
    existing = {(s.iso3, s.year): s for s in session.scalars(select(ThreePScore))}
    for r in parse_three_p(_bundled_text(BUNDLED_THREE_P), source=BUNDLED_THREE_P):
        score = existing.get((r.iso3, r.year)) or ThreePScore(iso3=r.iso3, year=r.year)
        score.prosecution, score.protection, score.prevention, score.total = (
            r.prosecution, r.protection, r.prevention, r.total)
        session.add(score)
    session.flush()
    report = BundleReport(bundle.version, result, waivers, coverage_changed, not_applied)
    if report.changed:
        activity.record(session, actor or bundle.label, "history.load", f"history:{bundle.version}", None,
                        {"version": bundle.version, "date": bundle.date.isoformat(), "placements": str(result),
                         "waivers_added": waivers, "coverage_years": coverage_changed, "corrections": corrections,
                         "not_applied": not_applied})
    return report


# --- reading ----------------------------------------------------------------------------------------------


def country_history(session: Session, iso3: str) -> list[Placement]:
    return list(session.scalars(select(Placement).where(Placement.iso3 == iso3).order_by(Placement.year)))


def year_placements(session: Session, year: int) -> list[Placement]:
    query = (
        select(Placement)
        .join(Country)
        .options(contains_eager(Placement.country))
        .where(Placement.year == year)
        .order_by(Country.name)
    )
    return list(session.scalars(query))


def tier_counts(session: Session) -> dict[int, dict[str, int]]:
    """{year: {tier: number of countries}} for every report year, in one query."""
    counts: dict[int, dict[str, int]] = {}
    for year, tier, n in session.execute(
            select(Placement.year, Placement.tier, func.count()).group_by(Placement.year, Placement.tier)):
        counts.setdefault(year, {})[tier] = n
    return counts


def report_years(session: Session) -> list[int]:
    return list(session.scalars(select(Placement.year).distinct().order_by(Placement.year)))


def latest_year(session: Session) -> int | None:
    return session.scalar(select(func.max(Placement.year)))


def get_country(session: Session, iso3: str) -> Country | None:
    return session.get(Country, iso3)
