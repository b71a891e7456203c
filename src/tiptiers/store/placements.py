"""Repository for countries, placements and the 3P index."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager

from tiptiers.countries import country_table
from tiptiers.sources.placements import PlacementRow, parse_placements
from tiptiers.sources.three_p import parse_three_p
from tiptiers.store.models import Country, Placement, ThreePScore
from tiptiers.store.publication import record_history

BUNDLED_PLACEMENTS = "tip_placements_2001_2015.csv"
BUNDLED_THREE_P = "cho_3p_index_2000_2014.csv"


@dataclass(frozen=True)
class ImportResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged"


def sync_countries(session: Session) -> None:
    existing = {c.iso3: c for c in session.scalars(select(Country))}
    for c in country_table():
        row = existing.get(c.iso3)
        if row is None:
            session.add(Country(iso3=c.iso3, name=c.name, iso_status=c.iso_status, iso_numeric=c.iso_numeric))
        else:
            row.name, row.iso_status, row.iso_numeric = c.name, c.iso_status, c.iso_numeric
    session.flush()


def import_placements(session: Session, rows: list[PlacementRow], source: str) -> ImportResult:
    """Upsert rows in the caller's transaction: same tier is left alone, a different tier is a correction. A past
    year imported here is history: published on its June 1 (publication.record_history) unless prepared here."""
    existing = {(p.iso3, p.year): p for p in session.scalars(select(Placement))}
    added = updated = unchanged = 0
    for row in rows:
        placement = existing.get((row.iso3, row.year))
        if placement is None:
            session.add(Placement(iso3=row.iso3, year=row.year, tier=row.tier.value, source=source))
            added += 1
        elif placement.tier != row.tier.value:
            placement.tier, placement.source = row.tier.value, source
            updated += 1
        else:
            unchanged += 1
    session.flush()
    record_history(session, {row.year for row in rows})
    return ImportResult(added, updated, unchanged)


def _bundled_text(name: str) -> str:
    return resources.files("tiptiers.data").joinpath(name).read_text(encoding="utf-8")


def load_bundled(session: Session) -> ImportResult:
    """Countries, the 2001-2015 placements and the 3P index shipped with tiptiers. Idempotent."""
    sync_countries(session)
    rows = parse_placements(_bundled_text(BUNDLED_PLACEMENTS), source=BUNDLED_PLACEMENTS)
    result = import_placements(session, rows, source=f"bundled:{BUNDLED_PLACEMENTS}")
    existing = {(s.iso3, s.year): s for s in session.scalars(select(ThreePScore))}
    for r in parse_three_p(_bundled_text(BUNDLED_THREE_P), source=BUNDLED_THREE_P):
        score = existing.get((r.iso3, r.year)) or ThreePScore(iso3=r.iso3, year=r.year)
        score.prosecution, score.protection, score.prevention, score.total = (
            r.prosecution, r.protection, r.prevention, r.total)
        session.add(score)
    session.flush()
    return result


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
