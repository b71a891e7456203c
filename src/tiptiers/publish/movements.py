"""Year-over-year movements: up, down, new, same, and the automatic-downgrade rule's verdict where it engaged
(a downgrade to Tier 3, or a waiver keeping a country on the Watch List). Pure: placements in, rows out.

The downgrade verdict reuses the engine's `check_downgrade` and the methodology of the year when those modules are
present; without them the two columns are left empty (None), never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

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
    automatic_downgrade: bool | None  # Tier 3 because the Watch List years ran out (None: rule not available)
    waiver: bool | None  # kept on the Watch List by a waiver of the automatic downgrade

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _downgrade_check(history: Mapping[int, Tier], year: int) -> Any:
    try:
        from tiptiers.engine.rules import check_downgrade
        from tiptiers.methodology import methodology_for_year
    except ImportError:
        return None
    return check_downgrade(history, year, methodology_for_year(year).rules)


def _direction(before: Tier | None, now: Tier) -> str:
    if before is None:
        return "new"
    if Tier.SPECIAL in (before, now) or before.rank == now.rank:
        return "same"
    return "up" if now.rank < before.rank else "down"


def movements(history: Mapping[str, Mapping[int, str]], names: Mapping[str, str], year: int) -> list[Movement]:
    """Every country placed in `year`, compared with its placement of `year - 1`, ordered by country name."""
    rows = []
    for iso3, by_year in history.items():
        if year not in by_year:
            continue
        tiers = {y: Tier(t) for y, t in by_year.items() if y < year}
        now, before = Tier(by_year[year]), tiers.get(year - 1)
        downgrade: bool | None = None
        waiver: bool | None = None
        if _downgrade_check({}, year) is not None:  # the rule is available
            check: Any = _downgrade_check(tiers, year) if now in (Tier.WATCH_LIST, Tier.TIER_3) else None
            engaged = bool(check and check.engaged)
            downgrade = bool(engaged and now is Tier.TIER_3 and before is Tier.WATCH_LIST and check.downgrade)
            waiver = bool(engaged and now is Tier.WATCH_LIST and check.waivable)
        rows.append(Movement(iso3, names.get(iso3, iso3), year, before.value if before else None, now.value,
                             _direction(before, now), downgrade, waiver))
    return sorted(rows, key=lambda m: m.country)


def summary(rows: list[Movement]) -> dict[str, int]:
    counts = {m: 0 for m in MOVEMENTS}
    for r in rows:
        counts[r.movement] += 1
    counts["automatic_downgrades"] = sum(1 for r in rows if r.automatic_downgrade)
    counts["waivers"] = sum(1 for r in rows if r.waiver)
    return counts
