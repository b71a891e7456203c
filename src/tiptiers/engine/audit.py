"""Replay the automatic-downgrade rules over a placement history: who engaged them, year by year. Pure.

Histories come from the store with each year's coverage applied (`tiptiers.engine.rules`): a year that is not in
the sources is None, so a sequence that crosses it is reported as undecided, never guessed. Waivers are records
with their own coverage: a Watch List year past the limit with no waiver on record is an inconsistency only when
the year's waivers are on record in full; otherwise it cannot be told.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from tiptiers.coverage import WaiverCoverage
from tiptiers.engine.model import HistoryEntry
from tiptiers.engine.rules import check_downgrade
from tiptiers.methodology import Methodology, methodology_for_year
from tiptiers.tiers import Tier

WAIVER = "waiver"  # a Watch List year past the limit, with a waiver on record (or one the placement implies)
DOWNGRADE = "automatic_downgrade"  # Tier 3 after the Watch List years the law allows
FORBIDDEN = "forbidden"  # a Watch List year the rule in force does not allow, waiver or not
INCONSISTENCY = "inconsistency"  # the placements and the waivers on record disagree: for a person to check
UNDECIDED = "undecided"  # the answer depends on a year or a waiver list that is not in the sources
KINDS = (WAIVER, DOWNGRADE, FORBIDDEN, INCONSISTENCY, UNDECIDED)


@dataclass(frozen=True)
class AuditEvent:
    iso3: str
    year: int
    tier: Tier | None  # None: the country's placement that year is not in the sources
    kind: str
    watch_list_years: tuple[int, ...]  # the earlier consecutive Watch List years counted
    waiver_years: tuple[int, ...]  # for a downgrade: the years it was waived before
    text: str
    sources: tuple[str, ...] = ()  # where the placement and the waiver (or the waiver list) come from

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tier"] = self.tier.value if self.tier else None
        data["watch_list_years"] = list(self.watch_list_years)
        data["waiver_years"] = list(self.waiver_years)
        data["sources"] = list(self.sources)
        return data


@dataclass(frozen=True)
class WaiverRecords:
    """The waivers on record: per country-year the waiver's source, and per year how complete the list is."""

    sources: Mapping[tuple[str, int], str]
    coverage: Mapping[int, WaiverCoverage]
    list_sources: Mapping[int, str] = field(default_factory=dict)  # per year, where the list of waivers comes from

    def has(self, iso3: str, year: int) -> bool:
        return (iso3, year) in self.sources

    def year_coverage(self, year: int) -> WaiverCoverage:
        return self.coverage.get(year, WaiverCoverage.NONE)


NO_WAIVER_RECORDS = WaiverRecords({}, {})


def _span(years: Iterable[int]) -> str:
    ys = list(years)
    return f"{ys[0]}-{ys[-1]}" if len(ys) > 1 else str(ys[0]) if ys else "none"


def _waiver_gap(waivers: WaiverRecords, year: int) -> str:
    if waivers.year_coverage(year) == WaiverCoverage.PARTIAL:
        return f"the {year} waivers are known only in part"
    return f"no waiver memorandum of {year} is in the sources"


def audit_history(
    histories: Mapping[str, Iterable[HistoryEntry]],
    methodology: Callable[[int], Methodology] = methodology_for_year,
    waivers: WaiverRecords = NO_WAIVER_RECORDS,
    sources: Mapping[tuple[str, int], str] | None = None,
) -> list[AuditEvent]:
    """Every country-year whose placement engaged the downgrade rules in force, or whose waiver is on record,
    ordered by year then country. `sources` names where each placement comes from (for the events to cite)."""
    sources = sources or {}
    waived_by_country: dict[str, set[int]] = {}
    for iso3, year in waivers.sources:
        waived_by_country.setdefault(iso3, set()).add(year)
    events: list[AuditEvent] = []
    for iso3 in sorted(set(histories) | set(waived_by_country)):
        placed = {h.year: h.tier for h in histories.get(iso3, ())}
        waived = waived_by_country.get(iso3, set())
        tiers: dict[int, Tier | None] = {}
        for year in sorted(set(placed) | waived):
            tier = placed.get(year)
            rules = methodology(year).rules
            check = check_downgrade(tiers, year, rules)
            tiers[year] = tier
            event = _event(iso3, year, tier, check, rules, waivers, sources, year in waived)
            if event is not None:
                events.append(event)
    return sorted(events, key=lambda e: (e.year, e.iso3))


def _event(iso3: str, year: int, tier: Tier | None, check: Any, rules: Any, waivers: WaiverRecords,
           sources: Mapping[tuple[str, int], str], has_waiver: bool) -> AuditEvent | None:
    allowed = rules.consecutive_watch_list_years or 0
    streak = check.streak_years
    waived_before = tuple(y for y in streak[allowed:])
    placement_source = sources.get((iso3, year), "")
    waiver_source = waivers.sources.get((iso3, year), "")
    cited = tuple(s for s in (placement_source, waiver_source) if s)

    def make(kind: str, text: str, cite: tuple[str, ...] = cited) -> AuditEvent:
        return AuditEvent(iso3, year, tier, kind, streak, waived_before, text, cite)

    if has_waiver and tier != Tier.WATCH_LIST:  # every waiver year is reported, and a waiver needs a Watch List year
        where = "not in the sources" if tier is None else tier.label
        if tier is None:
            return make(WAIVER, f"waiver on record ({waiver_source}); the placement of {year} is not in the sources "
                                "(a waiver keeps a country on the Watch List)")
        return make(INCONSISTENCY, f"waiver on record but placed on {where}: for a person to check")
    if tier == Tier.TIER_3 and (check.engaged or not check.decided):
        if not check.engaged:
            return make(UNDECIDED, f"Tier 3 after Watch List {_span(streak)}: {check.cannot_tell} (an automatic "
                                   "downgrade if the streak was longer)")
        # Decided as a downgrade even when the streak may be longer: a longer one only uses up more waivers.
        earlier = f" (and perhaps earlier: {check.unknown_year} not in the sources)" if not check.decided else ""
        if check.post_downgrade_limit:
            why = (f": Watch List {_span(streak)} after a downgrade; at most "
                   f"{rules.post_downgrade_max_watch_list_years} year allowed")
        elif waived_before:
            why = (f" after Watch List {_span(streak)}{earlier} and waivers in {', '.join(map(str, waived_before))}"
                   + (" (waivers exhausted)" if check.waivers_exhausted else ""))
        else:
            why = f" after Watch List {_span(streak)}{earlier}, not waived (the rule, or a judgement on the merits)"
        return make(DOWNGRADE, f"automatic downgrade to Tier 3{why}")
    if tier != Tier.WATCH_LIST:
        return None
    if has_waiver:
        if check.engaged and check.downgrade and check.decided:
            reason = ("the post-downgrade limit" if check.post_downgrade_limit else
                      f"only {rules.max_waiver_years} waiver years are allowed")
            return make(FORBIDDEN, f"Watch List year {check.watch_list_year} in a row with a waiver on record: "
                                   f"forbidden ({reason}); for a person to check")
        if not check.engaged and check.decided:
            return make(INCONSISTENCY, f"waiver on record, but the placements show only Watch List year "
                                       f"{check.watch_list_year} in a row (after {_span(streak)}): for a person "
                                       "to check")
        if not check.decided:
            before = f"Watch List {_span(streak)} before it" if streak else "no Watch List year before it on record"
            return make(WAIVER, f"waiver on record; {before}, {check.unknown_year} not in the sources (a waiver "
                                f"means at least Watch List year {allowed + 1} in a row)")
        return make(WAIVER, f"Watch List year {check.watch_list_year} in a row (after {_span(streak)}): waiver "
                            f"{check.waiver_number} of {rules.max_waiver_years}, on record")
    if not check.decided:
        return make(UNDECIDED, f"Watch List after {_span(streak)}: {check.cannot_tell} (a waiver year, or an "
                               f"automatic downgrade, if the streak was longer)")
    if not check.engaged:
        return None
    if check.downgrade:
        reason = ("the post-downgrade limit" if check.post_downgrade_limit else
                  f"only {rules.max_waiver_years} waiver years are allowed")
        return make(FORBIDDEN, f"Watch List year {check.watch_list_year} in a row: forbidden ({reason})")
    coverage = waivers.year_coverage(year)
    if coverage == WaiverCoverage.COMPLETE:
        return make(INCONSISTENCY, f"Watch List year {check.watch_list_year} in a row (after {_span(streak)}) and "
                                   f"no waiver for it in the {year} memorandum: for a person to check",
                    cited + ((f"waivers of {year}: {waivers.list_sources[year]}",) if year in waivers.list_sources
                             else ()))
    return make(WAIVER, f"Watch List year {check.watch_list_year} in a row (after {_span(streak)}): waiver "
                        f"{check.waiver_number} of {rules.max_waiver_years}, implied by the placement; cannot tell "
                        f"whether it is on record: {_waiver_gap(waivers, year)}")
