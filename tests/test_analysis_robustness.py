"""The Monte Carlo (numpy) against a plain-Python reference, its reproducibility, and the pure dominance audit."""

from __future__ import annotations

import numpy as np
import pytest

from tiptiers.analysis.dominance import Scored, dominance_audit
from tiptiers.analysis.naive import naive_tier_counts
from tiptiers.analysis.robustness import Parameters, bernoulli_positions, simulate, tier_counts, with_evidence
from tiptiers.analysis.threep import ThreePScores, derived_assessment
from tiptiers.analysis.vectorised import TIERS, encode
from tiptiers.engine import HistoryEntry, determine, methodology_for_year
from tiptiers.tiers import Tier

YEAR = 2013
PROFILES = [(5, 5, 5), (5, 2, 4), (3, 2, 3), (4, 4, 4), (4, 3, 3), (2, 2, 2), (5, 4, 4), (1, 1, 2)]


def _countries(year: int = YEAR):
    m = methodology_for_year(year)
    scores = [ThreePScores(f"X{chr(65 + i)}X", year, *p, previous_total=15 if i % 3 == 0 else None)
              for i, p in enumerate(PROFILES)]
    assessments = [derived_assessment(s, m) for s in scores]
    # two earlier Watch List years for the first countries: the automatic downgrade engages in 2013
    histories = {a.iso3: [HistoryEntry(year=y, tier=Tier.WATCH_LIST) for y in (2011, 2012)] for a in assessments[:4]}
    return m, assessments, histories


def _uncertain(evidence: bool):
    m, assessments, histories = _countries()
    enc = encode(assessments, m, YEAR, histories)
    rng = np.random.default_rng(5)
    if not evidence:
        return m, with_evidence(enc)
    return m, with_evidence(enc, rng.integers(0, 3, enc.ranks.shape), rng.integers(0, 2, enc.ranks.shape))


def test_derived_ratings_follow_the_documented_mapping():
    m = methodology_for_year(2008)
    japan = derived_assessment(ThreePScores("JPN", 2008, 5, 2, 4), m)
    levels = japan.level_of()
    assert (levels["criterion_1"], levels["criterion_2"], levels["criterion_3"]) == ("full", "partial", "substantial")
    assert levels["standard_1"] == "full" and levels["standard_4"] == "substantial"  # the mean, 3.67, rounds to 4
    assert levels["criterion_4"] == "substantial"  # mean 3.67 rounds to 4
    assert determine(japan, [], m, 2008).tier == Tier.TIER_2
    top = derived_assessment(ThreePScores("SWE", 2008, 5, 5, 5), m)
    assert determine(top, [], m, 2008).tier == Tier.TIER_1
    assert derived_assessment(ThreePScores("HKG", 2008, 3, 2, 3), m).level_of()["criterion_1"] == "substantial"
    fell = derived_assessment(ThreePScores("XXA", 2008, 4, 4, 4, previous_total=13), m)
    assert not fell.increasing_efforts_shown and determine(fell, [], m, 2008).tier == Tier.WATCH_LIST
    with pytest.raises(ValueError, match="missing"):
        derived_assessment(ThreePScores("XXA", 2008, 4, None, 4), m)


def test_without_uncertainty_every_draw_gives_the_engine_tier():
    m, assessments, histories = _countries()
    _, u = _uncertain(evidence=False)
    result = simulate(m, u, YEAR, Parameters(draws=50, seed=1, p_evidence=0, q_rating=0, vary_thresholds=False))
    expected = [determine(a, histories.get(a.iso3, []), m, YEAR).tier for a in assessments]
    assert [c.base for c in result.countries] == expected
    assert [c.modal for c in result.countries] == expected
    assert all(c.stability == 1.0 for c in result.countries)
    assert len(set(expected)) >= 3  # the profiles reach several tiers, the downgrade included


@pytest.mark.parametrize("evidence", [False, True])
def test_numpy_and_plain_python_agree(evidence):
    m, u = _uncertain(evidence)
    params = Parameters(draws=4000, seed=3, p_evidence=0.3, q_rating=0.2)
    fast = tier_counts(m, u, params) / params.draws
    slow = np.array(naive_tier_counts(m, u, params)) / params.draws
    # different random streams: compare within sampling error (4000 draws: sd <= 0.008 per cell)
    assert np.abs(fast - slow).max() < 0.04
    assert np.allclose(fast.sum(axis=1), 1)
    assert (fast.max(axis=1) < 1).any()  # the uncertainty moves some tiers


def test_seeded_and_reproducible():
    m, u = _uncertain(evidence=True)
    params = Parameters(draws=1500, seed=11)
    a, b = tier_counts(m, u, params), tier_counts(m, u, params)
    other = tier_counts(m, u, Parameters(draws=1500, seed=12))
    assert (a == b).all() and not (a == other).all()


def test_bernoulli_positions_have_the_right_rate():
    rng = np.random.default_rng(0)
    hits = bernoulli_positions(rng, 1_000_000, 0.05)
    assert len(set(hits.tolist())) == hits.size and hits.min() >= 0 and hits.max() < 1_000_000
    assert abs(hits.size / 1_000_000 - 0.05) < 0.002  # sd 0.0002
    assert bernoulli_positions(rng, 10, 0).size == 0 and bernoulli_positions(rng, 10, 1).size == 10


@pytest.mark.parametrize(("field", "value"), [("draws", 0), ("p_evidence", 1.5), ("q_rating", -0.1), ("seed", -1)])
def test_parameters_name_the_bad_field(field, value):
    with pytest.raises(ValueError, match=field):
        Parameters(**{field: value})


def test_dominance_excludes_missing_scores_and_special_cases():
    rows = [Scored("AAA", "A", Tier.TIER_2, (5, 2, 4)), Scored("BBB", "B", Tier.TIER_1, (3, 2, 3)),
            Scored("CCC", "C", Tier.TIER_3, (5, None, 5)), Scored("DDD", "D", Tier.TIER_2, (3, 2, 3)),
            Scored("EEE", "E", Tier.SPECIAL, (5, 5, 5))]
    audit = dominance_audit(2008, "3p", ("p1", "p2", "p3"), rows)
    assert [(p.better.iso3, p.worse.iso3) for p in audit.pairs] == [("AAA", "BBB")]  # D ties B: no pair
    assert audit.countries == 4 and audit.comparable == 3 and audit.excluded_pairs == 3
    assert [r.iso3 for r in audit.missing] == ["CCC"]
    assert TIERS == (Tier.TIER_1, Tier.TIER_2, Tier.WATCH_LIST, Tier.TIER_3)
