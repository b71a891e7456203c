"""The analyses as pydantic models: the JSON of the CLI's --json and of the web API (one shape for both)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from tiptiers.analysis.dominance import DominanceAudit, DominanceSummary, Scored
from tiptiers.analysis.ordinal import OrdinalFit
from tiptiers.analysis.robustness import TierOdds
from tiptiers.tiers import Tier


class ScoredView(BaseModel):
    iso3: str
    name: str
    tier: Tier
    scores: list[float | None]


class PairView(BaseModel):
    better: ScoredView = Field(description="At least as good on every score, better on one, yet in a worse tier")
    worse: ScoredView = Field(description="Scores dominated by `better`'s, yet in a better tier")
    tier_gap: int


class ConsistencyView(BaseModel):
    year: int
    indicator: str
    labels: list[str]
    countries: int = Field(description="Placed countries considered (special cases are not ranked)")
    comparable: int = Field(description="Of which with every score present")
    excluded_pairs: int = Field(description="Pairs not compared because a score is missing on either side")
    missing: list[ScoredView] = Field(description="Countries with a missing score")
    assessing_country: str
    assessing_note: str
    undetermined: list[str] = Field(default_factory=list, description="Assessments without a determination")
    pairs: list[PairView]


class YearSummaryView(BaseModel):
    year: int
    pairs: int
    countries: int
    comparable: int
    excluded_pairs: int


class CountryTallyView(BaseModel):
    iso3: str
    name: str
    pairs: int
    held_higher: int = Field(description="Pairs where it scores at least as well yet sits in the worse tier")
    held_lower: int = Field(description="Pairs where it scores worse yet sits in the better tier")
    years: list[int]


class ConsistencySummaryView(BaseModel):
    indicator: str
    total_pairs: int
    years: list[YearSummaryView]
    countries: list[CountryTallyView]


class ResidualView(BaseModel):
    iso3: str
    name: str
    tier: Tier
    predicted: Tier
    expected_rank: float
    gap: float = Field(description="Observed minus expected tier rank: > 0 placed worse than the index predicts")
    probabilities: dict[str, float]


class OrdinalView(BaseModel):
    year: int
    indicator: str
    labels: list[str]
    n: int
    excluded: int = Field(description="Placed countries with a missing score, not in the fit")
    tiers: list[Tier]
    coefficients: dict[str, float] = Field(description="Ordered logit coefficients (negative: higher score, "
                                                       "better tier)")
    pseudo_r2: float = Field(description="McFadden's pseudo R2")
    accuracy: float = Field(description="Share of countries whose most probable tier is their tier")
    baseline: float = Field(description="Share in the most common tier (always guessing it)")
    converged: bool
    furthest: list[ResidualView]


class OddsView(BaseModel):
    iso3: str
    name: str
    source: str = Field(description="assessment (stored ratings) or 3p (ratings derived from the 3P index)")
    placed: Tier | None = Field(description="The published placement that year")
    base: Tier = Field(description="The tier the rules give to the inputs as they are")
    modal: Tier
    stability: float = Field(description="Probability of keeping the base tier")
    probabilities: dict[str, float] = Field(description="Tier value -> probability")


class RobustnessView(BaseModel):
    run_id: int | None
    year: int
    methodology: str
    parameters: dict[str, Any]
    bounds: dict[str, list[Any]]
    sources: dict[str, Any]
    seconds: float
    created_at: str | None
    countries: list[OddsView]


def scored_view(s: Scored) -> ScoredView:
    return ScoredView(iso3=s.iso3, name=s.name, tier=s.tier, scores=list(s.scores))


def consistency_view(audit: DominanceAudit, assessing: str, note: str, undetermined: list[str]) -> ConsistencyView:
    return ConsistencyView(
        year=audit.year, indicator=audit.indicator, labels=list(audit.labels), countries=audit.countries,
        comparable=audit.comparable, excluded_pairs=audit.excluded_pairs,
        missing=[scored_view(s) for s in audit.missing], assessing_country=assessing, assessing_note=note,
        undetermined=undetermined,
        pairs=[PairView(better=scored_view(p.better), worse=scored_view(p.worse), tier_gap=p.tier_gap)
               for p in audit.pairs])


def summary_view(s: DominanceSummary) -> ConsistencySummaryView:
    return ConsistencySummaryView(
        indicator=s.indicator, total_pairs=s.total_pairs,
        years=[YearSummaryView(**vars(y)) for y in s.years],
        countries=[CountryTallyView(iso3=c.iso3, name=c.name, pairs=c.pairs, held_higher=c.held_higher,
                                    held_lower=c.held_lower, years=list(c.years)) for c in s.countries])


def ordinal_view(f: OrdinalFit, top: int = 10) -> OrdinalView:
    return OrdinalView(
        year=f.year, indicator=f.indicator, labels=list(f.labels), n=f.n, excluded=f.excluded, tiers=list(f.tiers),
        coefficients=f.coefficients, pseudo_r2=f.pseudo_r2, accuracy=f.accuracy, baseline=f.baseline,
        converged=f.converged,
        furthest=[ResidualView(iso3=r.country.iso3, name=r.country.name, tier=r.country.tier, predicted=r.predicted,
                               expected_rank=r.expected_rank, gap=r.gap,
                               probabilities={t.value: p for t, p in r.probabilities.items()})
                  for r in f.furthest(top)])


def odds_view(o: TierOdds, name: str, source: str, placed: Tier | None) -> OddsView:
    return OddsView(iso3=o.iso3, name=name, source=source, placed=placed, base=o.base, modal=o.modal,
                    stability=o.stability, probabilities={t.value: p for t, p in o.probabilities.items()})
