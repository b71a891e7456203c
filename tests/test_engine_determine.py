"""The tier engine: tiers, reasons, the Watch List, the automatic downgrade, waivers, overrides, path up."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tiptiers.engine import (
    AssessmentInput,
    HistoryEntry,
    Override,
    Rating,
    RatingLevel,
    Waiver,
    determine,
    methodology_for_year,
)
from tiptiers.tiers import Tier


def ratings(standards: str = "partial", criteria: dict[int, str] | None = None, year: int = 2013) -> list[Rating]:
    """The four standards at one level, and the given criteria that are in force in `year`."""
    out = [Rating(criterion=f"standard_{i}", level=RatingLevel(standards)) for i in range(1, 5)]
    in_force = methodology_for_year(year).ids
    for number, level in (criteria or {}).items():
        if f"criterion_{number}" in in_force:
            out.append(Rating(criterion=f"criterion_{number}", level=RatingLevel(level)))
    return out


def significant(year: int = 2013) -> dict[int, str]:
    """Criteria 1-7 (in force since 2000) substantially met: significant efforts in every year."""
    return {i: "substantial" for i in range(1, 8)}


def assess(year: int = 2013, iso3: str = "CHN", **kw) -> AssessmentInput:
    std = kw.pop("standards", "partial")
    crit = kw.pop("criteria", significant(year))
    return AssessmentInput(iso3=iso3, year=year, ratings=ratings(std, crit, year), **kw)


def wl_history(*years: int) -> list[HistoryEntry]:
    return [HistoryEntry(year=y, tier=Tier.WATCH_LIST) for y in years]


def run(a: AssessmentInput, history=(), **kw):
    return determine(a, history, methodology_for_year(a.year), a.year, **kw)


def test_all_standards_full_is_tier_1_without_path_up():
    d = run(assess(standards="full"))
    assert d.tier == d.computed_tier == Tier.TIER_1
    assert d.path_up is None
    assert d.reasons[0].rule == "tier_1" and "fully complies" in d.reasons[0].text


def test_significant_efforts_is_tier_2_and_path_up_is_the_standards_short_of_full():
    d = run(assess())
    assert d.tier == Tier.TIER_2
    assert "7 of 12 criteria at least substantially met (6 needed)" in d.reasons[1].text
    assert d.path_up is not None and d.path_up.target_tier == Tier.TIER_1
    assert {c.criterion for c in d.path_up.changes} == {f"standard_{i}" for i in range(1, 5)}


def test_core_criterion_below_partial_means_no_significant_efforts():
    crit = {**significant(), 2: "not_met"} | {8: "substantial", 9: "substantial"}
    d = run(assess(criteria=crit))
    assert d.tier == Tier.TIER_3
    assert "Core criterion 2 below partial" in d.reasons[1].text
    assert d.path_up is not None and [c.criterion for c in d.path_up.changes] == ["criterion_2"]
    assert d.decisive_criteria == ["criterion_2"]


def test_path_up_from_tier_3_is_the_fewest_changes_and_reaches_the_target():
    a = assess(criteria={1: "partial", 2: "partial", 3: "partial", 4: "partial", 5: "not_met"})
    d = run(a)
    assert d.tier == Tier.TIER_3 and d.path_up is not None
    assert len(d.path_up.changes) == 6  # 6 of 12 needed, none met yet
    raised = {c.criterion: c.to_level for c in d.path_up.changes}
    new = [r if r.criterion not in raised else Rating(criterion=r.criterion, level=raised[r.criterion])
           for r in a.ratings]
    new += [Rating(criterion=k, level=v) for k, v in raised.items() if k not in {r.criterion for r in a.ratings}]
    after = run(a.model_copy(update={"ratings": new}))
    assert after.tier == d.path_up.target_tier == Tier.TIER_2


def test_no_increasing_efforts_is_watch_list_from_2004_only():
    assert run(assess(year=2004, increasing_efforts_shown=False)).tier == Tier.WATCH_LIST
    assert run(assess(year=2003, increasing_efforts_shown=False)).tier == Tier.TIER_2


def test_commitments_instead_of_concrete_actions_is_watch_list():
    d = run(assess(concrete_actions=False))
    assert d.tier == Tier.WATCH_LIST
    assert d.reasons[-1].rule == "watch_list.commitments"
    assert d.path_up is not None and d.path_up.signals == {"concrete_actions": True}


def test_victims_test_from_2019_is_offset_by_proportional_action():
    assert run(assess(year=2018, victims_significant_or_increasing=True, proportional_action=True)).tier == "2WL"
    assert run(assess(year=2020, victims_significant_or_increasing=True, proportional_action=True)).tier == "2"
    assert run(assess(year=2020, victims_significant_or_increasing=True)).tier == "2WL"


def test_third_watch_list_year_is_downgraded_unless_waived():
    a = assess(year=2011, increasing_efforts_shown=False)
    d = run(a, wl_history(2009, 2010))
    assert d.tier == d.computed_tier == Tier.TIER_3
    assert "Watch List in 2009, 2010" in d.reasons[-1].text and "unless waived" in d.reasons[-1].text
    waived = run(a, wl_history(2009, 2010), waivers=[Waiver(iso3="CHN", year=2011, justification="national interest")])
    assert waived.tier == Tier.WATCH_LIST and waived.computed_tier == Tier.TIER_3 and waived.waiver_applied
    assert not run(a, wl_history(2009, 2010), waivers=[Waiver(iso3="RUS", year=2011, justification="x")]).waiver_applied


def test_watch_list_years_before_2009_do_not_count():
    assert run(assess(year=2010, increasing_efforts_shown=False), wl_history(2007, 2008, 2009)).tier == "2WL"


def test_fifth_year_cannot_be_waived_under_2008_text_but_fourth_can():
    a4 = assess(year=2012, increasing_efforts_shown=False)
    w4 = [Waiver(iso3="CHN", year=2012, justification="second waiver")]
    assert run(a4, wl_history(2009, 2010, 2011), waivers=w4).tier == Tier.WATCH_LIST
    a5 = assess(year=2013, increasing_efforts_shown=False)
    w5 = [Waiver(iso3="CHN", year=2013, justification="third waiver")]
    d = run(a5, wl_history(2009, 2010, 2011, 2012), waivers=w5)
    assert d.tier == Tier.TIER_3 and not d.waiver_applied
    assert d.reasons[-1].rule == "automatic_downgrade.waivers_exhausted"


def test_after_2019_one_waiver_year_only_and_one_watch_list_year_after_a_downgrade():
    a = assess(year=2021, increasing_efforts_shown=False)
    w = [Waiver(iso3="CHN", year=2021, justification="j")]
    assert run(a, wl_history(2018, 2019, 2020), waivers=w).tier == Tier.TIER_3  # 4th year: no second waiver
    assert run(a, wl_history(2019, 2020), waivers=w).tier == Tier.WATCH_LIST  # 3rd year: one waiver
    after_downgrade = [*wl_history(2016, 2017), HistoryEntry(year=2018, tier=Tier.TIER_3), *wl_history(2019, 2020)]
    d = run(a, after_downgrade, waivers=w)
    assert d.tier == Tier.TIER_3 and d.reasons[-1].rule == "automatic_downgrade.post_downgrade_limit"
    assert run(assess(year=2020, increasing_efforts_shown=False), after_downgrade[:3]).tier == "2WL"


def test_override_changes_the_tier_only_with_a_logged_reason():
    o = Override(iso3="CHN", year=2013, tier=Tier.TIER_3, justification="evidence of state-sponsored forced labour",
                 author="analyst")
    d = run(assess(), override=o)
    assert d.computed_tier == Tier.TIER_2 and d.tier == Tier.TIER_3 and d.override == o
    assert d.reasons[-1].rule == "override" and "state-sponsored" in d.reasons[-1].text
    with pytest.raises(ValidationError, match="justification"):
        Override(iso3="CHN", year=2013, tier=Tier.TIER_3, justification="  ", author="analyst")
    with pytest.raises(ValueError, match="override"):
        run(assess(), override=o.model_copy(update={"year": 2012}))


@pytest.mark.parametrize(
    ("year", "ratings_", "field", "message"),
    [
        (2013, [{"criterion": "criterion_13", "level": "full"}], "ratings", "unknown criterion 'criterion_13'"),
        (2013, [{"criterion": "standard_1", "level": "full"}], "ratings", "missing standard standard_2"),
        (2000, [], "year", "before the first TIP Report"),
        (2004, [{"criterion": f"standard_{i}", "level": "full"} for i in range(1, 5)]
         + [{"criterion": "criterion_12", "level": "full"}], "ratings", "not yet in force in the 2004 report"),
        (2013, [{"criterion": "standard_1", "level": "great"}], "ratings", "not_met"),
    ],
)
def test_bad_input_names_the_field(year, ratings_, field, message):
    with pytest.raises(ValidationError) as info:
        AssessmentInput(iso3="JPN", year=year, ratings=ratings_)
    errors = info.value.errors()
    assert errors[0]["loc"][0] == field
    assert message in str(info.value)


def test_the_law_of_the_year_is_cited():
    assert run(assess(year=2005)).law_date == "2003-12-19"
    assert run(assess(year=2013)).law_date == "2008-12-23"
    assert run(assess(year=2007)).counts["criteria"] == 11
