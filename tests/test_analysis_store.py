"""The analyses over the store, on SQLite and PostgreSQL: dominance audit, ordered logit, stored robustness runs,
and the assessing country held to the same standard."""

from __future__ import annotations

from itertools import combinations

import pytest
from sqlalchemy import select

from tiptiers.analysis.ordinal import FitError
from tiptiers.analysis.robustness import Parameters
from tiptiers.engine import methodology_for_year
from tiptiers.store.analysis import (
    AnalysisError,
    consistency,
    consistency_summary,
    get_run,
    latest_run,
    ordinal,
    run_robustness,
    run_view,
    three_p_rows,
)
from tiptiers.store.assessments import RatingIn, assessing_country_gap, save_assessment
from tiptiers.store.db import transaction
from tiptiers.store.evidence import add_evidence
from tiptiers.store.models import Placement, ThreePScore
from tiptiers.tiers import Tier


def test_2008_finds_japan_against_hong_kong(loaded_db):
    with loaded_db.sessions() as s:
        audit = consistency(s, 2008).audit
    pair = next(p for p in audit.pairs if p.better.iso3 == "JPN" and p.worse.iso3 == "HKG")
    assert pair.better.scores == (5, 2, 4) and pair.better.tier == Tier.TIER_2
    assert pair.worse.scores == (3, 2, 3) and pair.worse.tier == Tier.TIER_1


def test_the_pairs_are_exactly_the_dominance_violations_of_the_raw_tables(loaded_db):
    with loaded_db.sessions() as s:
        audit = consistency(s, 2005).audit
        placed = {p.iso3: Tier(p.tier) for p in s.scalars(select(Placement).where(Placement.year == 2005))}
        scores = {t.iso3: (t.prosecution, t.protection, t.prevention)
                  for t in s.scalars(select(ThreePScore).where(ThreePScore.year == 2005))}
    full = {i: scores[i] for i in placed if i in scores and None not in scores[i]}
    expected = set()
    for a, b in combinations(sorted(full), 2):
        for x, y in ((a, b), (b, a)):
            if (all(u >= v for u, v in zip(full[x], full[y], strict=True)) and full[x] != full[y]
                    and placed[x].rank > placed[y].rank):
                expected.add((x, y))
    assert {(p.better.iso3, p.worse.iso3) for p in audit.pairs} == expected
    missing = len(placed) - len(full)
    assert audit.comparable == len(full) and len(audit.missing) == missing > 0
    assert audit.excluded_pairs == len(placed) * (len(placed) - 1) // 2 - len(full) * (len(full) - 1) // 2


def test_all_years_summary_adds_up(loaded_db):
    with loaded_db.sessions() as s:
        summary = consistency_summary(s, top=5)
        one_year = len(consistency(s, 2008).audit.pairs)
    by_year = {y.year: y.pairs for y in summary.years}
    assert by_year[2008] == one_year and summary.total_pairs == sum(by_year.values())
    assert len(summary.countries) == 5
    assert [c.pairs for c in summary.countries] == sorted((c.pairs for c in summary.countries), reverse=True)
    assert all(c.pairs == c.held_higher + c.held_lower for c in summary.countries)


def test_the_audit_says_the_assessing_country_is_missing(loaded_db):
    with loaded_db.sessions() as s:
        c = consistency(s, 2008, assessing="USA")
        japan = consistency(s, 2008, assessing="JPN")
    assert "USA" in c.assessing_note and "not in this audit" in c.assessing_note
    assert "like every other country" in japan.assessing_note


def test_unknown_indicator_is_refused(loaded_db):
    with loaded_db.sessions() as s, pytest.raises(AnalysisError, match="indicator"):
        consistency(s, 2008, indicator="gdp")


def test_ordered_logit_fit_on_2008(loaded_db):
    with loaded_db.sessions() as s:
        fit = ordinal(s, 2008)
        placed = len(three_p_rows(s, 2008))
    assert fit.n + fit.excluded == placed
    assert 0 < fit.pseudo_r2 < 1 and fit.converged
    assert all(v < 0 for v in fit.coefficients.values())  # higher scores, better (lower-ranked) tier
    gaps = [abs(r.gap) for r in fit.residuals]
    assert gaps == sorted(gaps, reverse=True)
    assert all(abs(sum(r.probabilities.values()) - 1) < 1e-9 for r in fit.residuals)
    with pytest.raises(FitError, match="2014"):
        ordinal(s, 2014)  # one country with every score


def test_robustness_run_is_stored_with_its_parameters_and_reproducible(fresh_db):
    fresh_db.load_bundled()
    params = Parameters(draws=2000, seed=7, p_evidence=0.2, q_rating=0.1)
    with transaction(fresh_db.sessions) as s:
        first = run_robustness(s, 2008, params).id
        second = run_robustness(s, 2008, params).id
    with fresh_db.sessions() as s:
        a, b = run_view(get_run(s, first)), run_view(get_run(s, second))
        assert latest_run(s, 2008).id == second
    assert a.parameters == params.as_dict() and a.bounds == {"significant_efforts_min_share": [0.4, 0.6]}
    assert [c.model_dump() for c in a.countries] == [c.model_dump() for c in b.countries]
    assert a.sources["3p"] == len(a.countries) > 100
    for c in a.countries:
        assert abs(sum(c.probabilities.values()) - 1) < 1e-9
    japan = next(c for c in a.countries if c.iso3 == "JPN")
    assert japan.placed == Tier.TIER_2 and japan.base == Tier.TIER_2 and 0.5 < japan.probabilities["2"] < 1
    assert "USA" in a.sources["assessing_country"] and "not in the run" in a.sources["assessing_country"]


def test_robustness_refuses_a_year_without_placements(fresh_db):
    with transaction(fresh_db.sessions) as s, pytest.raises(AnalysisError, match="year"):
        run_robustness(s, 2008, Parameters(draws=10))


def _rate_everything(s, iso3: str, year: int, level: str, evidence: list[int]) -> None:
    m = methodology_for_year(year)
    save_assessment(s, iso3, year, [RatingIn(i, level, evidence) for i in m.ids], actor="analyst")


def test_stored_assessment_with_unverified_evidence_drives_the_run(fresh_db):
    fresh_db.load_bundled()
    with transaction(fresh_db.sessions) as s:
        e = add_evidence(s, iso3="JPN", year=2008, criteria=["criterion_1"], statement="A claim not yet verified.",
                         source_type="ngo", source_name="An NGO", entered_by="analyst")
        _rate_everything(s, "JPN", 2008, "full", [e.id])
    with transaction(fresh_db.sessions) as s:
        certain = run_view(run_robustness(s, 2008, Parameters(draws=3000, seed=1, p_evidence=0.0, q_rating=0.0)))
        shaky = run_view(run_robustness(s, 2008, Parameters(draws=3000, seed=1, p_evidence=0.5, q_rating=0.0)))
    jc = next(c for c in certain.countries if c.iso3 == "JPN")
    js = next(c for c in shaky.countries if c.iso3 == "JPN")
    assert jc.source == "assessment" and jc.base == Tier.TIER_1 and jc.probabilities["1"] == 1.0
    # every standard rests on one unverified item: wrong with 0.5, then down with 0.5 -> each stays full with 0.75
    assert js.probabilities["1"] == pytest.approx(0.75 ** 4, abs=0.03)
    assert certain.sources == {**certain.sources, "assessment": 1}


def test_assessing_country_gap_until_it_is_assessed(fresh_db):
    fresh_db.load_bundled()
    with transaction(fresh_db.sessions) as s:
        assert "USA" in assessing_country_gap(s, 2008)
        save_assessment(s, "USA", 2008, [RatingIn("standard_1", "full", [])], actor="analyst")
        reason = assessing_country_gap(s, 2008)
        assert reason is not None and "standard" in reason
        _rate_everything(s, "USA", 2008, "substantial", [])
        assert assessing_country_gap(s, 2008) is None
        assert "like every other country" in consistency(s, 2008, indicator="ratings").assessing_note


def test_ratings_indicator_finds_an_override_that_breaks_dominance(fresh_db):
    from tiptiers.engine import Override
    from tiptiers.store.engine import add_override

    fresh_db.load_bundled()
    m = methodology_for_year(2008)
    with transaction(fresh_db.sessions) as s:
        _rate_everything(s, "JPN", 2008, "substantial", [])
        levels = {i: "substantial" for i in m.ids} | {"criterion_5": "partial"}
        save_assessment(s, "KOR", 2008, [RatingIn(i, lv, []) for i, lv in levels.items()], actor="analyst")
        add_override(s, Override(iso3="KOR", year=2008, tier=Tier.TIER_1, justification="diplomacy", author="x"))
    with fresh_db.sessions() as s:
        c = consistency(s, 2008, indicator="ratings")
    assert c.audit.labels == m.ids and c.audit.comparable == 2
    [pair] = c.audit.pairs
    assert (pair.better.iso3, pair.better.tier, pair.worse.iso3, pair.worse.tier) == (
        "JPN", Tier.TIER_2, "KOR", Tier.TIER_1)
