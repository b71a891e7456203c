"""How complete the record of a report year is, and what that says of a country the record does not name. Pure.

The public record after 2015 is partial: some years give every list, some only the Watch List and Tier 3. So a
country with no placement in a year is one of two things, and they must never be confused:

- not ranked: every list of the year is in the sources (the year is complete) and the country is on none;
- not in the sources: some list is missing, so the country may be on it.

For the automatic downgrade the question is narrower: was the country on the Watch List? A year whose Watch List
is given in full answers it for every country (on it, or known not on it) even when Tier 1 and Tier 2 are not;
otherwise an absent country's Watch List year is unknown, and a rule that counts it cannot decide.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tiptiers.tiers import TIER_ORDER, Tier

ALL_TIERS = frozenset(TIER_ORDER)


class Presence(StrEnum):
    """What the record says of one country in one year."""

    PLACED = "placed"  # the sources give its tier (a special case is one)
    NOT_RANKED = "not_ranked"  # every list of the year is in the sources and the country is on none
    NOT_IN_SOURCES = "not_in_sources"  # a list of the year is missing: the country may be on it

    @property
    def label(self) -> str:
        return PRESENCE_LABELS[self]


PRESENCE_LABELS = {
    Presence.PLACED: "placed",
    Presence.NOT_RANKED: "not ranked this year",
    Presence.NOT_IN_SOURCES: "not in the sources we have",
}


class WatchListState(StrEnum):
    """A year of a country's Watch List streak."""

    ON = "on"  # placed on the Watch List
    OFF = "off"  # placed on another tier, or absent from a year whose Watch List is given in full
    UNKNOWN = "unknown"  # absent from a year whose Watch List is not in the sources in full


class WaiverCoverage(StrEnum):
    """How much of a year's waivers of the automatic downgrade is on record."""

    COMPLETE = "complete"  # the year's memorandum in full: a waiver not on record was not granted
    PARTIAL = "partial"  # part of it
    NONE = "none"  # no memorandum in the sources

    @property
    def label(self) -> str:
        return {"complete": "complete", "partial": "known only in part", "none": "not in the sources"}[self.value]


def tier_list(tiers: Iterable[Tier]) -> str:
    """Tiers in report order, in words: 'Tier 2 Watch List, Tier 3 and special cases'."""
    names = [("special cases" if t == Tier.SPECIAL else t.label) for t in TIER_ORDER if t in set(tiers)]
    if not names:
        return "none"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


@dataclass(frozen=True)
class YearCoverage:
    """What the sources give of one report year."""

    year: int
    full_tiers: frozenset[Tier] = frozenset()  # the lists given in full
    gaps: Mapping[str, str] = field(default_factory=dict)  # iso3 -> why: missing although the lists are full
    waivers: WaiverCoverage = WaiverCoverage.NONE
    official_count: int | None = None  # how many countries the report placed, where a source says so
    official_source: str = ""
    note: str = ""
    source: str = ""  # where this statement of coverage comes from

    @property
    def complete(self) -> bool:
        """Every country not placed this year was not ranked."""
        return self.full_tiers == ALL_TIERS and not self.gaps

    @property
    def missing_tiers(self) -> frozenset[Tier]:
        return ALL_TIERS - self.full_tiers

    def presence(self, iso3: str, tier: Tier | None) -> Presence:
        if tier is not None:
            return Presence.PLACED
        return Presence.NOT_RANKED if self.complete else Presence.NOT_IN_SOURCES

    def watch_list(self, iso3: str, tier: Tier | None) -> WatchListState:
        if tier is not None:
            return WatchListState.ON if tier == Tier.WATCH_LIST else WatchListState.OFF
        if Tier.WATCH_LIST in self.full_tiers and iso3 not in self.gaps:
            return WatchListState.OFF
        return WatchListState.UNKNOWN

    def absent_means(self, iso3: str) -> str:
        """In words, what the record says of a country with no placement this year."""
        if self.complete:
            return "not ranked this year"
        if iso3 in self.gaps:
            return f"not in the sources we have ({self.gaps[iso3]})"
        possible = tier_list(self.missing_tiers)
        if self.full_tiers:
            return f"not in the sources we have: {possible}, or not ranked"
        return "not in the sources we have"

    def summary(self, placed: int) -> str:
        """One line for a year page: complete, or which lists the sources give."""
        count = f"{placed} countries placed" + (f" (the report placed {self.official_count})"
                                                 if self.official_count is not None else "")
        if self.complete:
            return f"Complete: every list of the report is in the sources; {count}."
        if not self.full_tiers:
            return f"Partial: no list of the report is known to be complete; {count}."
        return f"Partial: {tier_list(self.full_tiers)} in full, {tier_list(self.missing_tiers)} in part; {count}."

    def as_dict(self, placed: int | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "year": self.year,
            "complete": self.complete,
            "full_tiers": [t.value for t in TIER_ORDER if t in self.full_tiers],
            "partial_tiers": [t.value for t in TIER_ORDER if t not in self.full_tiers],
            "gaps": dict(sorted(self.gaps.items())),
            "official_count": self.official_count,
            "official_source": self.official_source or None,
            "waivers": self.waivers.value,
            "note": self.note,
            "source": self.source,
        }
        if placed is not None:
            data["placed"] = placed
            data["summary"] = self.summary(placed)
        return data


def unknown_year(year: int) -> YearCoverage:
    """A year no coverage is recorded for: nothing is known to be complete."""
    return YearCoverage(year=year, note="no statement of coverage is recorded for this year")


def watch_list_states(coverage: Mapping[int, YearCoverage], iso3: str, tiers: Mapping[int, Tier],
                      years: Iterable[int]) -> dict[int, WatchListState]:
    """The Watch List state of `iso3` in each of `years`, from its placements and each year's coverage."""
    return {y: (coverage.get(y) or unknown_year(y)).watch_list(iso3, tiers.get(y)) for y in years}
