"""Year-over-year movements: up, down, new, same, and the automatic-downgrade rule's verdict where it engaged
(a downgrade to Tier 3, or a waiver keeping a country on the Watch List). Pure: placements in, rows out.

The downgrade verdict is the engine's `audit_history` (the logic of `tiptiers audit-history`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from tiptiers.engine.audit import AuditEvent, audit_history
from tiptiers.engine.model import HistoryEntry
from tiptiers.tiers import Tier

MOVEMENTS = ("up", "down", "same", "new")


@dataclass(frozen=True)
class Movement:
    iso3: str
    country: str
    year: int
    previous_tier: str | None
    tier: str
    movement: str  # up | down | same | new (no placement the year before); special cases count as "same" rank
    automatic_downgrade: bool  # Tier 3 because the Watch List years ran out
    waiver: bool  # kept on the Watch List by a waiver of the automatic downgrade
    rule: str = ""  # the engine's audit of the downgrade rule that year, in words ("" when it did not engage)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _audit(history: Mapping[str, Mapping[int, str]], year: int) -> dict[str, AuditEvent]:
    """The engine's `audit_history` events of `year` by country."""
    histories = {iso3: [HistoryEntry(year=y, tier=Tier(t)) for y, t in by_year.items() if y <= year]
                 for iso3, by_year in history.items() if year in by_year}
    return {e.iso3: e for e in audit_history(histories) if e.year == year}


def _direction(before: Tier | None, now: Tier) -> str:
    if before is None:
        return "new"
    if Tier.SPECIAL in (before, now) or before.rank == now.rank:
        return "same"
    return "up" if now.rank < before.rank else "down"


def movements(history: Mapping[str, Mapping[int, str]], names: Mapping[str, str], year: int) -> list[Movement]:
    """Every country placed in `year`, compared with its placement of `year - 1`, ordered by country name."""
    events = _audit(history, year)
    rows = []
    for iso3, by_year in history.items():
        if year not in by_year:
            continue
        now, before = Tier(by_year[year]), (Tier(by_year[year - 1]) if year - 1 in by_year else None)
        event = events.get(iso3)
        kind = event.kind if event else ""
        rows.append(Movement(
            iso3, names.get(iso3, iso3), year, before.value if before else None, now.value, _direction(before, now),
            kind == "automatic_downgrade", kind == "waiver",
            event.text if event else ""))
    return sorted(rows, key=lambda m: m.country)


def summary(rows: list[Movement]) -> dict[str, int]:
    counts = {m: 0 for m in MOVEMENTS}
    for r in rows:
        counts[r.movement] += 1
    counts["automatic_downgrades"] = sum(1 for r in rows if r.automatic_downgrade)
    counts["waivers"] = sum(1 for r in rows if r.waiver)
    return counts
