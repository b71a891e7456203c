"""Fairness and robustness analyses over the store: inputs for tiptiers.analysis, and stored robustness runs.

The assessing country (default USA, or $TIPTIERS_ASSESSING_COUNTRY) is held to the same standard: it is in every
audit it has data for, and the audits say when it is missing; `store.assessments.assessing_country_gap` tells the
publish gate when it has no determination for the year under the methodology applied to the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, selectinload

from tiptiers.analysis import INDICATORS
from tiptiers.analysis.dominance import DominanceAudit, DominanceSummary, Scored, dominance_audit, summarise
from tiptiers.analysis.ordinal import OrdinalFit, fit_ordinal
from tiptiers.analysis.robustness import Parameters, Progress, RobustnessResult, TierOdds, simulate, with_evidence
from tiptiers.analysis.threep import ThreePScores, derived_assessment
from tiptiers.analysis.vectorised import TIERS, encode
from tiptiers.analysis.views import ConsistencyView, RobustnessView, consistency_view, odds_view
from tiptiers.engine.model import AssessmentInput, Rating, RatingLevel
from tiptiers.methodology import LEVEL_RANK, Methodology, methodology_for_year
from tiptiers.store import activity
from tiptiers.store.assessments import (
    Assessment,
    AssessmentRating,
    assessing_country,
    assessment_determination,
)
from tiptiers.store.engine import all_histories, list_waivers
from tiptiers.store.models import Base, Country, Placement, ThreePScore
from tiptiers.tiers import Tier

THREE_P_LABELS = ("prosecution", "protection", "prevention")
UNVERIFIED, DISPUTED = "unverified", "disputed_by_government"


class AnalysisError(ValueError):
    """Bad input to an analysis; the message names the field."""


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# --- models ----------------------------------------------------------------------------------------------------


class RobustnessRun(Base):
    __tablename__ = "robustness_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    methodology: Mapped[str] = mapped_column(String(40))
    draws: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(BigInteger)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    bounds: Mapped[dict[str, Any]] = mapped_column(JSON)
    sources: Mapped[dict[str, Any]] = mapped_column(JSON)  # counts by input source, and the countries left out
    seconds: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime]

    results: Mapped[list[RobustnessRow]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="RobustnessRow.iso3")


class RobustnessRow(Base):
    __tablename__ = "robustness_results"
    __table_args__ = (UniqueConstraint("run_id", "iso3", name="uq_robustness_results_run_iso3"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("robustness_runs.id", ondelete="CASCADE"), index=True)
    iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"))
    source: Mapped[str] = mapped_column(String(20))
    base_tier: Mapped[str] = mapped_column(String(7))
    placed_tier: Mapped[str | None] = mapped_column(String(7))
    p_tier_1: Mapped[float] = mapped_column(Float)
    p_tier_2: Mapped[float] = mapped_column(Float)
    p_watch_list: Mapped[float] = mapped_column(Float)
    p_tier_3: Mapped[float] = mapped_column(Float)

    run: Mapped[RobustnessRun] = relationship(back_populates="results")
    country: Mapped[Country] = relationship()

    def probabilities(self) -> dict[Tier, float]:
        return dict(zip(TIERS, (self.p_tier_1, self.p_tier_2, self.p_watch_list, self.p_tier_3), strict=True))


# --- inputs ----------------------------------------------------------------------------------------------------


def country_names(session: Session) -> dict[str, str]:
    return {iso3: name for iso3, name in session.execute(select(Country.iso3, Country.name))}


def placed_tiers(session: Session, year: int) -> dict[str, Tier]:
    return {iso3: Tier(t) for iso3, t in session.execute(
        select(Placement.iso3, Placement.tier).where(Placement.year == year))}


def three_p_rows(session: Session, year: int) -> list[Scored]:
    """Every country placed in `year` with its 3P scores (None where not coded, or no 3P row at all)."""
    names = country_names(session)
    scores = {s.iso3: s for s in session.scalars(select(ThreePScore).where(ThreePScore.year == year))}
    out = []
    for iso3, tier in sorted(placed_tiers(session, year).items()):
        s = scores.get(iso3)
        values = (s.prosecution, s.protection, s.prevention) if s else (None, None, None)
        out.append(Scored(iso3, names.get(iso3, iso3), tier, tuple(None if v is None else float(v) for v in values)))
    return out


def _assessments(session: Session, year: int) -> list[Assessment]:
    return list(session.scalars(
        select(Assessment).where(Assessment.year == year)
        .options(selectinload(Assessment.ratings).selectinload(AssessmentRating.evidence))))


def _assessment_input(row: Assessment) -> AssessmentInput:
    return AssessmentInput(iso3=row.iso3, year=row.year, **(row.signals or {}), ratings=[
        Rating(criterion=r.criterion, level=RatingLevel(r.level), evidence=[str(e.id) for e in r.evidence])
        for r in row.ratings])


def ratings_rows(session: Session, year: int) -> tuple[tuple[str, ...], list[Scored], list[str]]:
    """Stored assessments of `year` as rating ranks (standards, then criteria) with their determined tier.

    Returns the labels, the rows and the assessments that could not be determined (with the reason)."""
    m = methodology_for_year(year)
    names = country_names(session)
    rows, problems = [], []
    for a in _assessments(session, year):
        try:
            tier = assessment_determination(session, a).tier
        except ValueError as exc:
            problems.append(f"{a.iso3}: {exc}")
            continue
        levels = {r.criterion: r.level for r in a.ratings}
        scores = tuple(float(LEVEL_RANK[RatingLevel(levels[i])]) if i in levels else None for i in m.ids)
        rows.append(Scored(a.iso3, names.get(a.iso3, a.iso3), tier, scores))
    return m.ids, rows, problems


# --- consistency -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Consistency:
    audit: DominanceAudit
    assessing_country: str
    assessing_note: str  # how the assessing country figures in the audit
    undetermined: list[str] = field(default_factory=list)  # assessments without a determination (ratings only)


def _check_indicator(indicator: str) -> str:
    if indicator not in INDICATORS:
        raise AnalysisError(f"indicator: {indicator!r} is not one of {', '.join(INDICATORS)}")
    return indicator


def _scored(session: Session, year: int, indicator: str) -> tuple[tuple[str, ...], list[Scored], list[str]]:
    if _check_indicator(indicator) == "3p":
        return THREE_P_LABELS, three_p_rows(session, year), []
    return ratings_rows(session, year)


def _assessing_note(rows: list[Scored], iso3: str, indicator: str, year: int) -> str:
    row = next((r for r in rows if r.iso3 == iso3), None)
    what = "3P scores" if indicator == "3p" else "rating"
    if row is None:
        kind = "placement" if indicator == "3p" else "assessed determination"
        return f"{iso3} (the assessing country) has no {kind} in {year}: it is not in this audit"
    if any(s is None for s in row.scores):
        return f"{iso3} (the assessing country) is placed in {year} but a {what} is missing: not comparable"
    return f"{iso3} (the assessing country) is in the audit like every other country"


def consistency(session: Session, year: int, indicator: str = "3p", assessing: str | None = None) -> Consistency:
    labels, rows, problems = _scored(session, year, indicator)
    iso3 = (assessing or assessing_country()).upper()
    return Consistency(dominance_audit(year, indicator, labels, rows), iso3,
                       _assessing_note(rows, iso3, indicator, year), problems)


def consistency_years(session: Session, indicator: str = "3p") -> list[int]:
    """Years with placements and (for 3p) 3P scores, or (for ratings) stored assessments."""
    placed = set(session.scalars(select(Placement.year).distinct()))
    if _check_indicator(indicator) == "3p":
        years = placed & set(session.scalars(select(ThreePScore.year).distinct()))
    else:
        years = set(session.scalars(select(Assessment.year).distinct()))
    return sorted(years)


def consistency_summary(session: Session, indicator: str = "3p", top: int = 15,
                        years: list[int] | None = None) -> DominanceSummary:
    years = consistency_years(session, indicator) if years is None else years
    return summarise([consistency(session, y, indicator).audit for y in years], top)


def ordinal(session: Session, year: int, indicator: str = "3p") -> OrdinalFit:
    labels, rows, _ = _scored(session, year, indicator)
    return fit_ordinal(year, indicator, labels, rows)


# --- robustness --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RobustnessInputs:
    methodology: Methodology
    assessments: list[AssessmentInput]
    sources: list[str]  # "assessment" or "3p", per assessment
    unverified: np.ndarray  # (C, I)
    disputed: np.ndarray
    left_out: dict[str, str]  # iso3 -> why it has no input


def robustness_inputs(session: Session, year: int) -> RobustnessInputs:
    """Stored assessments where they exist (with their unverified and disputed evidence), else ratings derived
    from the 3P index (tiptiers.analysis.threep) for every country placed that year."""
    m = methodology_for_year(year)
    ids = {item_id: k for k, item_id in enumerate(m.ids)}
    inputs: list[AssessmentInput] = []
    sources: list[str] = []
    counts: list[tuple[list[int], list[int]]] = []
    left_out: dict[str, str] = {}
    for a in _assessments(session, year):
        try:
            inputs.append(_assessment_input(a))
        except ValueError as exc:
            left_out[a.iso3] = f"assessment not usable: {str(exc).splitlines()[0]}"
            continue
        u, d = [0] * len(ids), [0] * len(ids)
        for r in a.ratings:
            if r.criterion in ids:
                u[ids[r.criterion]] = sum(1 for e in r.evidence if e.state == UNVERIFIED)
                d[ids[r.criterion]] = sum(1 for e in r.evidence if e.state == DISPUTED)
        sources.append("assessment")
        counts.append((u, d))
    assessed = {a.iso3 for a in inputs} | set(left_out)
    scores = {s.iso3: s for s in session.scalars(select(ThreePScore).where(ThreePScore.year == year))}
    previous = {s.iso3: s.total for s in session.scalars(select(ThreePScore).where(ThreePScore.year == year - 1))}
    for iso3 in sorted(placed_tiers(session, year)):
        if iso3 in assessed:
            continue
        s = scores.get(iso3)
        three = ThreePScores(iso3, year, s.prosecution, s.protection, s.prevention, previous.get(iso3)) if s else None
        if three is None or not three.complete:
            left_out[iso3] = "no assessment, and the 3P index has a missing score"
            continue
        inputs.append(derived_assessment(three, m))
        sources.append("3p")
        counts.append(([0] * len(ids), [0] * len(ids)))
    shape = (len(inputs), len(ids))
    return RobustnessInputs(m, inputs, sources,
                            np.array([c[0] for c in counts], dtype=np.int16).reshape(shape),
                            np.array([c[1] for c in counts], dtype=np.int16).reshape(shape), left_out)


def compute_robustness(session: Session, year: int, params: Parameters,
                       progress: Progress | None = None) -> tuple[RobustnessInputs, RobustnessResult]:
    data = robustness_inputs(session, year)
    histories = all_histories(session)
    enc = encode(data.assessments, data.methodology, year,
                 histories={iso3: [h for h in hs if h.year < year] for iso3, hs in histories.items()},
                 waivers=list_waivers(session, year=year))
    u = with_evidence(enc, data.unverified, data.disputed)
    return data, simulate(data.methodology, u, year, params, progress)


def _assessing_in_run(data: RobustnessInputs, year: int) -> str:
    iso3 = assessing_country()
    for a, source in zip(data.assessments, data.sources, strict=True):
        if a.iso3 == iso3:
            how = "its assessment" if source == "assessment" else "ratings derived from the 3P index"
            return f"{iso3} (the assessing country) is in the run ({how})"
    why = data.left_out.get(iso3, f"no assessment and no placement in {year}")
    return f"{iso3} (the assessing country) is not in the run: {why}"


def run_robustness(session: Session, year: int, params: Parameters,
                   progress: Progress | None = None, actor: str = "system") -> RobustnessRun:
    """Compute and store a run (in the caller's transaction, with its activity-log entry): parameters, bounds, seed
    and every country's odds."""
    if year not in set(session.scalars(select(Placement.year).distinct())):
        raise AnalysisError(f"year: no placements for report year {year}")
    data, result = compute_robustness(session, year, params, progress)
    placed = placed_tiers(session, year)
    run = RobustnessRun(
        year=year, methodology=result.methodology, draws=params.draws, seed=params.seed,
        parameters=params.as_dict(), bounds=result.bounds, seconds=result.seconds, created_at=_utcnow(),
        sources={"assessment": data.sources.count("assessment"), "3p": data.sources.count("3p"),
                 "left_out": data.left_out, "assessing_country": _assessing_in_run(data, year)})
    for odds, source in zip(result.countries, data.sources, strict=True):
        p = odds.probabilities
        run.results.append(RobustnessRow(
            iso3=odds.iso3, source=source, base_tier=odds.base.value,
            placed_tier=placed[odds.iso3].value if odds.iso3 in placed else None,
            p_tier_1=p[Tier.TIER_1], p_tier_2=p[Tier.TIER_2], p_watch_list=p[Tier.WATCH_LIST],
            p_tier_3=p[Tier.TIER_3]))
    session.add(run)
    session.flush()
    activity.record(session, actor, "robustness.run", f"robustness:{year}", None,
                    {"run": run.id, "year": year, "draws": params.draws, "seed": params.seed,
                     "countries": len(run.results)})
    return run


def get_run(session: Session, run_id: int) -> RobustnessRun | None:
    return session.scalar(select(RobustnessRun).where(RobustnessRun.id == run_id)
                          .options(selectinload(RobustnessRun.results).selectinload(RobustnessRow.country)))


def latest_run(session: Session, year: int) -> RobustnessRun | None:
    run_id = session.scalar(select(RobustnessRun.id).where(RobustnessRun.year == year)
                            .order_by(RobustnessRun.id.desc()).limit(1))
    return get_run(session, run_id) if run_id is not None else None


def list_runs(session: Session, year: int | None = None) -> list[RobustnessRun]:
    query = select(RobustnessRun).order_by(RobustnessRun.id)
    if year is not None:
        query = query.where(RobustnessRun.year == year)
    return list(session.scalars(query))


def odds_of(row: RobustnessRow) -> TierOdds:
    return TierOdds(row.iso3, Tier(row.base_tier), row.probabilities())


def run_view(run: RobustnessRun) -> RobustnessView:
    """A stored run as the JSON of the CLI and the API, least stable countries first."""
    countries = [odds_view(odds_of(r), r.country.name, r.source, Tier(r.placed_tier) if r.placed_tier else None)
                 for r in run.results]
    countries.sort(key=lambda c: (c.stability, c.name))
    return RobustnessView(run_id=run.id, year=run.year, methodology=run.methodology, parameters=run.parameters,
                          bounds=run.bounds, sources=run.sources, seconds=run.seconds,
                          created_at=run.created_at.isoformat(timespec="seconds") + "Z", countries=countries)


def consistency_json(c: Consistency) -> ConsistencyView:
    return consistency_view(c.audit, c.assessing_country, c.assessing_note, c.undetermined)
