"""Dominance audit: country A at least as good as B on every score, strictly better on one, yet in a worse tier.

Scores are "higher is better" (3P index 1-5, rating ranks 0-3). A country with any missing score is not
comparable: every pair it is part of is excluded, and the audit says how many were.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from tiptiers.tiers import Tier


@dataclass(frozen=True)
class Scored:
    """One country in one year: its tier and its scores (None = not coded)."""

    iso3: str
    name: str
    tier: Tier
    scores: tuple[float | None, ...]


@dataclass(frozen=True)
class DominancePair:
    """`better` has scores at least as good on every indicator and better on one, yet a worse tier than `worse`."""

    better: Scored
    worse: Scored

    @property
    def tier_gap(self) -> int:
        return self.better.tier.rank - self.worse.tier.rank


@dataclass(frozen=True)
class DominanceAudit:
    year: int
    indicator: str
    labels: tuple[str, ...]
    pairs: list[DominancePair]
    countries: int  # placed countries considered (special cases excluded)
    comparable: int  # of which with every score present
    excluded_pairs: int  # pairs with a missing score on either side
    missing: list[Scored] = field(default_factory=list)  # placed countries with a missing score

    def counts(self) -> Counter[str]:
        """How many violating pairs each country is in (either side)."""
        c: Counter[str] = Counter()
        for p in self.pairs:
            c[p.better.iso3] += 1
            c[p.worse.iso3] += 1
        return c


def dominance_audit(year: int, indicator: str, labels: Sequence[str], rows: Sequence[Scored]) -> DominanceAudit:
    """Every violating pair among `rows`, worst tier gap first, then by name. Special cases are not ranked."""
    k = len(labels)
    ranked = [r for r in rows if r.tier != Tier.SPECIAL]
    for r in ranked:
        if len(r.scores) != k:
            raise ValueError(f"{r.iso3}: {len(r.scores)} scores, expected {k} ({', '.join(labels)})")
    complete = [r for r in ranked if all(s is not None for s in r.scores)]
    missing = [r for r in ranked if any(s is None for s in r.scores)]
    n, m = len(ranked), len(complete)
    excluded = n * (n - 1) // 2 - m * (m - 1) // 2
    pairs: list[DominancePair] = []
    if m >= 2:
        s = np.array([[float(v) for v in r.scores if v is not None] for r in complete])
        rank = np.array([r.tier.rank for r in complete])
        ge = (s[:, None, :] >= s[None, :, :]).all(axis=2)
        gt = (s[:, None, :] > s[None, :, :]).any(axis=2)
        worse_tier = rank[:, None] > rank[None, :]
        for a, b in zip(*np.nonzero(ge & gt & worse_tier), strict=True):
            pairs.append(DominancePair(complete[int(a)], complete[int(b)]))
    pairs.sort(key=lambda p: (-p.tier_gap, p.better.name, p.worse.name))
    return DominanceAudit(year=year, indicator=indicator, labels=tuple(labels), pairs=pairs, countries=n,
                          comparable=m, excluded_pairs=excluded, missing=missing)


@dataclass(frozen=True)
class YearSummary:
    year: int
    pairs: int
    countries: int
    comparable: int
    excluded_pairs: int


@dataclass(frozen=True)
class CountryTally:
    iso3: str
    name: str
    pairs: int  # violating pairs the country is in, all years
    held_higher: int  # ... as the better-scored country in the worse tier
    held_lower: int  # ... as the worse-scored country in the better tier
    years: tuple[int, ...]


@dataclass(frozen=True)
class DominanceSummary:
    indicator: str
    years: list[YearSummary]
    countries: list[CountryTally]  # most pairs first

    @property
    def total_pairs(self) -> int:
        return sum(y.pairs for y in self.years)


def summarise(audits: Sequence[DominanceAudit], top: int = 15) -> DominanceSummary:
    """Pairs per year, and the countries in the most pairs over all the years."""
    tallies: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    years: dict[str, set[int]] = {}
    for a in audits:
        for p in a.pairs:
            for side, r in ((0, p.better), (1, p.worse)):
                t = tallies.setdefault(r.iso3, [0, 0])
                t[side] += 1
                names[r.iso3] = r.name
                years.setdefault(r.iso3, set()).add(a.year)
    countries = sorted(
        (CountryTally(iso3, names[iso3], t[0] + t[1], t[0], t[1], tuple(sorted(years[iso3])))
         for iso3, t in tallies.items()),
        key=lambda c: (-c.pairs, c.name))
    return DominanceSummary(
        indicator=audits[0].indicator if audits else "",
        years=[YearSummary(a.year, len(a.pairs), a.countries, a.comparable, a.excluded_pairs) for a in audits],
        countries=countries[:top])
