"""Properties of determine(): deterministic, monotone in the ratings, and blind to which country it is."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tiptiers.countries import country_table
from tiptiers.engine import AssessmentInput, HistoryEntry, Rating, RatingLevel, Waiver, determine, methodology_for_year
from tiptiers.methodology import LEVELS
from tiptiers.tiers import Tier

YEARS = st.integers(2001, 2026)
PLACED = st.sampled_from([Tier.TIER_1, Tier.TIER_2, Tier.WATCH_LIST, Tier.TIER_3])
ISO3 = st.sampled_from(sorted(c.iso3 for c in country_table()))


@st.composite
def cases(draw):
    year = draw(YEARS)
    m = methodology_for_year(year)
    # Levels weighted towards the thresholds (substantial for the count, partial for the core), where mistakes hide.
    near = draw(st.sampled_from([(RatingLevel.SUBSTANTIAL, RatingLevel.PARTIAL), (None, *LEVELS)]))
    ratings = [Rating(criterion=s.id, level=draw(st.sampled_from(LEVELS))) for s in m.standards]
    for c in m.criteria:
        level = draw(st.sampled_from(near))  # None: not rated
        if level is not None:
            ratings.append(Rating(criterion=c.id, level=level))
    signals = draw(st.fixed_dictionaries({k: st.booleans() for k in (
        "victims_significant_or_increasing", "proportional_action", "increasing_efforts_shown", "concrete_actions")}))
    iso3 = draw(ISO3)
    assessment = AssessmentInput(iso3=iso3, year=year, ratings=ratings, **signals)
    start = draw(st.integers(2001, year))
    history = [HistoryEntry(year=y, tier=draw(PLACED)) for y in range(start, year)]
    waived = draw(st.booleans())
    waivers = [Waiver(iso3=iso3, year=year, justification="national interest")] if waived else []
    return assessment, history, waivers


def run(assessment, history, waivers):
    return determine(assessment, history, methodology_for_year(assessment.year), assessment.year, waivers=waivers)


@settings(max_examples=150, deadline=None)
@given(cases())
def test_deterministic(case):
    assert run(*case) == run(*case)


@settings(max_examples=300, deadline=None)
@given(cases(), st.data())
def test_raising_any_rating_never_lowers_the_tier(case, data):
    assessment, history, waivers = case
    m = methodology_for_year(assessment.year)
    before = run(assessment, history, waivers)
    item = data.draw(st.sampled_from(m.ids))
    levels = assessment.level_of()
    current = levels.get(item)
    higher = [lv for lv in LEVELS if current is None or lv.rank > current.rank]
    if not higher:
        return
    raised = {**levels, item: data.draw(st.sampled_from(higher))}
    better = assessment.model_copy(update={"ratings": [Rating(criterion=k, level=v) for k, v in raised.items()]})
    after = run(better, history, waivers)
    assert after.tier.rank <= before.tier.rank, (item, levels.get(item), raised[item], before.reasons, after.reasons)


@settings(max_examples=150, deadline=None)
@given(cases(), st.one_of(st.just("USA"), ISO3))
def test_no_country_specific_branch(case, other):
    assessment, history, waivers = case
    moved = assessment.model_copy(update={"iso3": other})
    moved_waivers = [w.model_copy(update={"iso3": other}) for w in waivers]
    a, b = run(assessment, history, waivers), run(moved, history, moved_waivers)
    assert (a.tier, a.computed_tier, a.reasons, a.decisive_criteria, a.path_up) == (
        b.tier, b.computed_tier, b.reasons, b.decisive_criteria, b.path_up)


@settings(max_examples=150, deadline=None)
@given(cases())
def test_path_up_is_sufficient_for_ratings(case):
    """Applying the path's rating changes and signals never leaves the country below the path's target."""
    assessment, history, waivers = case
    d = run(assessment, history, waivers)
    if d.path_up is None:
        assert d.computed_tier == Tier.TIER_1
        return
    levels = {**assessment.level_of(), **{c.criterion: c.to_level for c in d.path_up.changes}}
    moved = assessment.model_copy(update={
        "ratings": [Rating(criterion=k, level=RatingLevel(v)) for k, v in levels.items()], **d.path_up.signals})
    after = run(moved, history, waivers if d.path_up.target_tier != Tier.WATCH_LIST else [
        Waiver(iso3=assessment.iso3, year=assessment.year, justification="waiver on the path")])
    assert after.tier.rank <= d.path_up.target_tier.rank
