"""The law as data: dated values, the criteria of each year, and a second methodology with no engine change."""

from __future__ import annotations

from datetime import date

import pytest

from tiptiers.engine import AssessmentInput, Rating, determine
from tiptiers.methodology import MethodologyError, available, load_methodology, methodology_for_year


@pytest.mark.parametrize(("year", "criteria", "watch_list", "downgrade", "waivers"), [
    (2001, 7, False, False, None), (2004, 10, True, False, None), (2008, 11, True, False, None),
    (2009, 12, True, True, 2), (2019, 12, True, True, 1),
])
def test_the_law_in_force_each_report_year(year, criteria, watch_list, downgrade, waivers):
    m = methodology_for_year(year)
    assert len(m.criteria) == criteria and len(m.standards) == 4
    assert (m.rules.watch_list, m.rules.automatic_downgrade, m.rules.max_waiver_years) == (
        watch_list, downgrade, waivers)


def test_values_take_effect_on_their_date_and_every_parameter_cites_the_statute():
    assert not load_methodology("tvpa", date(2008, 12, 22)).rules.automatic_downgrade
    assert load_methodology("tvpa", date(2008, 12, 23)).rules.automatic_downgrade
    m = methodology_for_year(2020)
    assert all(p.reference for p in m.parameters) and all(i.reference for i in m.items)
    assert {p.name for p in m.parameters if p.methodology_choice} >= {"significant_efforts_min_share"}
    assert m.item("criterion_9") is not None and m.item("criterion_9").since == date(2008, 12, 23)


def test_a_second_methodology_is_only_yaml():
    assert {"tvpa", "three_p"} <= set(available())
    m = methodology_for_year(2010, "three_p")
    ratings = [Rating(criterion=i.id, level="substantial") for i in m.items]
    a = AssessmentInput(iso3="JPN", year=2010, methodology="three_p", ratings=ratings, increasing_efforts_shown=False)
    d = determine(a, [], m, 2010)
    assert d.methodology == "three_p" and d.tier == "2"  # no Watch List in this methodology
    with pytest.raises(MethodologyError, match="unknown methodology"):
        load_methodology("nope")
