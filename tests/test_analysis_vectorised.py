"""The numpy evaluator gives the tier of engine.determine, on random ratings, signals, histories and waivers."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tiptiers.analysis.vectorised import encode, evaluate_encoded, needed_for_share
from tiptiers.engine import (
    AssessmentInput,
    HistoryEntry,
    Rating,
    RatingLevel,
    Waiver,
    determine,
    methodology_for_year,
)
from tiptiers.methodology import LEVELS
from tiptiers.tiers import Tier

# Weighted towards the Watch List and towards significant efforts, where the automatic downgrade engages.
PLACED = st.sampled_from([Tier.TIER_1, Tier.TIER_2, Tier.WATCH_LIST, Tier.WATCH_LIST, Tier.WATCH_LIST, Tier.TIER_3])
CRITERION_LEVELS = (None, *LEVELS, RatingLevel.SUBSTANTIAL, RatingLevel.SUBSTANTIAL, RatingLevel.FULL)
SIGNALS = ("victims_significant_or_increasing", "proportional_action", "increasing_efforts_shown", "concrete_actions")


@st.composite
def country_year(draw, year: int, iso3: str):
    m = methodology_for_year(year)
    ratings = [Rating(criterion=s.id, level=draw(st.sampled_from(LEVELS))) for s in m.standards]
    for c in m.criteria:
        level = draw(st.sampled_from(CRITERION_LEVELS))  # None: not rated
        if level is not None:
            ratings.append(Rating(criterion=c.id, level=level))
    signals = draw(st.fixed_dictionaries({k: st.booleans() for k in SIGNALS}))
    a = AssessmentInput(iso3=iso3, year=year, ratings=ratings, **signals)
    start = draw(st.integers(2001, year))
    history = [HistoryEntry(year=y, tier=draw(PLACED)) for y in range(start, year)]
    waivers = [Waiver(iso3=iso3, year=year, justification="national interest")] if draw(st.booleans()) else []
    return a, history, waivers


@st.composite
def years_of_countries(draw):
    year = draw(st.one_of(st.integers(2001, 2026), st.integers(2011, 2026)))
    n = draw(st.integers(1, 8))
    return year, [draw(country_year(year, f"X{chr(65 + i)}A")) for i in range(n)]


@settings(max_examples=200, deadline=None)
@given(years_of_countries())
def test_evaluator_equals_engine(case):
    year, rows = case
    m = methodology_for_year(year)
    enc = encode([a for a, _, _ in rows], m, year, histories={a.iso3: h for a, h, _ in rows},
                 waivers=[w for _, _, ws in rows for w in ws])
    expected = [determine(a, h, m, year, waivers=w).tier for a, h, w in rows]
    assert evaluate_encoded(m, enc) == expected


@settings(max_examples=100, deadline=None)
@given(st.integers(2001, 2026), st.floats(0.0, 1.0))
def test_needed_count_rounds_like_the_methodology(year, share):
    m = methodology_for_year(year)
    varied = replace(m, rules=replace(m.rules, significant_efforts_min_share=share))
    assert int(needed_for_share(m, np.array([share]))[0]) == varied.significant_efforts_min_count
