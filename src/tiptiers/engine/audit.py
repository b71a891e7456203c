"""Replay the automatic-downgrade rules over a placement history: who engaged them, year by year. Pure."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from tiptiers.engine.model import HistoryEntry
from tiptiers.engine.rules import check_downgrade
from tiptiers.methodology import Methodology, methodology_for_year
from tiptiers.tiers import Tier

WAIVER = "waiver"  # a third (or later) consecutive Watch List year: only a waiver allows it
DOWNGRADE = "automatic_downgrade"  # Tier 3 after the Watch List years the law allows
FORBIDDEN = "forbidden"  # a Watch List year the rule in force does not allow, waiver or not


@dataclass(frozen=True)
class AuditEvent:
    iso3: str
    year: int
    tier: Tier
    kind: str
    watch_list_years: tuple[int, ...]  # the earlier consecutive Watch List years counted
    waiver_years: tuple[int, ...]  # for a downgrade: the years it was waived before
    text: str

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tier"] = self.tier.value
        data["watch_list_years"] = list(self.watch_list_years)
        data["waiver_years"] = list(self.waiver_years)
        return data


def _span(years: Iterable[int]) -> str:
    ys = list(years)
    return f"{ys[0]}-{ys[-1]}" if len(ys) > 1 else str(ys[0]) if ys else "none"


def audit_history(
    histories: Mapping[str, Iterable[HistoryEntry]],
    methodology: Callable[[int], Methodology] = methodology_for_year,
) -> list[AuditEvent]:
    """Every country-year whose placement engaged the downgrade rules in force, ordered by year then country."""
    events: list[AuditEvent] = []
    for iso3, entries in histories.items():
        tiers: dict[int, Tier] = {}
        for entry in sorted(entries, key=lambda h: h.year):
            rules = methodology(entry.year).rules
            check = check_downgrade(tiers, entry.year, rules)
            tiers[entry.year] = entry.tier
            if not check.engaged or entry.tier not in (Tier.WATCH_LIST, Tier.TIER_3):
                continue
            allowed = rules.consecutive_watch_list_years or 0
            streak = check.streak_years
            waived = streak[allowed:]
            if entry.tier == Tier.TIER_3:
                why = (f"after Watch List {_span(streak)} and waivers in {', '.join(map(str, waived))}"
                       + (" (waivers exhausted)" if check.waivers_exhausted else "") if waived else
                       f"after Watch List {_span(streak)}, not waived (the rule, or a judgement on the merits)")
                if check.post_downgrade_limit:
                    why = f"Watch List {_span(streak)} after a downgrade; at most "
                    why += f"{rules.post_downgrade_max_watch_list_years} year allowed"
                events.append(AuditEvent(iso3, entry.year, entry.tier, DOWNGRADE, streak, waived,
                                         f"automatic downgrade to Tier 3 {why}"))
            elif check.downgrade:
                reason = ("the post-downgrade limit" if check.post_downgrade_limit else
                          f"only {rules.max_waiver_years} waiver years are allowed")
                events.append(AuditEvent(iso3, entry.year, entry.tier, FORBIDDEN, streak, waived,
                                         f"Watch List year {check.watch_list_year} in a row: forbidden ({reason})"))
            else:
                events.append(AuditEvent(iso3, entry.year, entry.tier, WAIVER, streak, waived,
                                         f"Watch List year {check.watch_list_year} in a row (after {_span(streak)}): "
                                         f"waiver {check.waiver_number} of {rules.max_waiver_years}"))
    return sorted(events, key=lambda e: (e.year, e.iso3))
