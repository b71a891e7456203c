"""The coverage states and the three-state Watch List streak, pure: a partial year is never taken for "not on the
Watch List", a waiver is a record with its own coverage."""

from tiptiers.coverage import Presence, WaiverCoverage, WatchListState, YearCoverage
from tiptiers.engine.audit import DOWNGRADE, INCONSISTENCY, UNDECIDED, WAIVER, WaiverRecords, audit_history
from tiptiers.engine.model import HistoryEntry
from tiptiers.engine.rules import check_downgrade
from tiptiers.methodology import methodology_for_year
from tiptiers.tiers import Tier

WL, T2, T3 = Tier.WATCH_LIST, Tier.TIER_2, Tier.TIER_3
WATCH_LIST_AND_TIER_3 = YearCoverage(2024, frozenset({WL, T3, Tier.SPECIAL}))
COMPLETE = YearCoverage(2009, frozenset(Tier), official_count=173)


def rules(year: int):
    return methodology_for_year(year).rules


def test_a_year_says_not_ranked_only_when_every_list_is_in_the_sources():
    assert COMPLETE.complete and COMPLETE.presence("FRA", None) == Presence.NOT_RANKED
    assert not WATCH_LIST_AND_TIER_3.complete
    assert WATCH_LIST_AND_TIER_3.presence("FRA", None) == Presence.NOT_IN_SOURCES
    assert WATCH_LIST_AND_TIER_3.presence("FRA", Tier.SPECIAL) == Presence.PLACED
    assert WATCH_LIST_AND_TIER_3.absent_means("FRA") == "not in the sources we have: Tier 1 and Tier 2, or not ranked"
    with_gap = YearCoverage(2020, frozenset(Tier), gaps={"KIR": "missing from the copy"})
    assert not with_gap.complete and with_gap.presence("KIR", None) == Presence.NOT_IN_SOURCES


def test_a_full_watch_list_says_an_absent_country_was_not_on_it_and_a_partial_one_does_not():
    assert WATCH_LIST_AND_TIER_3.watch_list("FRA", None) == WatchListState.OFF
    assert WATCH_LIST_AND_TIER_3.watch_list("FRA", WL) == WatchListState.ON
    assert YearCoverage(2017).watch_list("FRA", None) == WatchListState.UNKNOWN
    gap = YearCoverage(2020, frozenset(Tier), gaps={"KIR": "missing"})
    assert gap.watch_list("KIR", None) == WatchListState.UNKNOWN and gap.watch_list("FIJ", None) == WatchListState.OFF


def test_a_streak_that_crosses_a_year_not_in_the_sources_cannot_be_decided():
    # Watch List 2018, 2019; 2017 not in the sources: 2020 is year 3 (a waiver) or more (beyond the one waiver)
    check = check_downgrade({2016: T2, 2017: None, 2018: WL, 2019: WL}, 2020, rules(2020))
    assert not check.decided and check.unknown_year == 2017 and check.cannot_tell == "cannot tell: 2017 not in " \
                                                                                      "the sources"
    assert check.streak_years == (2018, 2019) and check.watch_list_year == 3
    # the old rule read the missing year as "not on the Watch List" and answered "waiver 1 of 1" with certainty
    known = check_downgrade({2016: T2, 2017: T2, 2018: WL, 2019: WL}, 2020, rules(2020))
    assert known.decided and known.waiver_number == 1 and not known.waivers_exhausted


def test_an_unknown_year_that_cannot_change_the_answer_leaves_it_decided():
    # already beyond every waiver on the years on record: a longer streak changes nothing
    check = check_downgrade({2015: None, 2016: WL, 2017: WL, 2018: WL, 2019: WL}, 2020, rules(2020))
    assert check.decided and check.waivers_exhausted
    # a year known off the Watch List before the unknown one bounds the streak: 2013 off, 2014 unknown, 2015 WL
    bounded = check_downgrade({2013: T2, 2014: None, 2015: WL}, 2016, rules(2016))
    assert not bounded.decided  # 2016 is year 2 or 3: no waiver, or the first
    short = check_downgrade({2013: T2, 2014: None}, 2015, rules(2015))
    assert short.decided and not short.engaged  # year 1 or 2: the rule does not engage either way


def test_the_audit_names_an_inconsistency_only_where_the_waivers_are_on_record_in_full():
    histories = {"AAA": [HistoryEntry(year=y, tier=WL) for y in (2020, 2021, 2022)],
                 "BBB": [HistoryEntry(year=y, tier=WL) for y in (2019, 2020, 2021)],
                 "CCC": [HistoryEntry(year=y, tier=WL) for y in (2020, 2021, 2022)]}
    waivers = WaiverRecords({("CCC", 2022): "2022 memorandum"},
                            {2021: WaiverCoverage.PARTIAL, 2022: WaiverCoverage.COMPLETE},
                            {2022: "the 2022 memorandum (public page copy)"})
    sources = {("AAA", 2022): "Factbook 2022"}
    events = {(e.iso3, e.year): e for e in audit_history(histories, waivers=waivers, sources=sources)}
    inconsistent = events[("AAA", 2022)]
    assert inconsistent.kind == INCONSISTENCY and "no waiver for it in the 2022 memorandum" in inconsistent.text
    assert inconsistent.sources == ("Factbook 2022", "waivers of 2022: the 2022 memorandum (public page copy)")
    partial = events[("BBB", 2021)]
    assert partial.kind == WAIVER and "the 2021 waivers are known only in part" in partial.text  # not an inconsistency
    assert events[("CCC", 2022)].kind == WAIVER and events[("CCC", 2022)].sources == ("2022 memorandum",)


def test_the_audit_reports_a_sequence_through_a_missing_year_as_undecided_not_as_a_rule():
    histories = {"AAA": [HistoryEntry(year=2017, tier=None), HistoryEntry(year=2018, tier=WL),
                         HistoryEntry(year=2019, tier=WL), HistoryEntry(year=2020, tier=T3)],
                 "BBB": [HistoryEntry(year=2017, tier=None), HistoryEntry(year=2018, tier=WL),
                         HistoryEntry(year=2019, tier=WL)]}
    events = {(e.iso3, e.year): e for e in audit_history(histories)}
    undecided = events[("BBB", 2019)]
    assert undecided.kind == UNDECIDED and "cannot tell: 2017 not in the sources" in undecided.text
    assert events[("AAA", 2020)].kind == DOWNGRADE  # a downgrade whatever 2017 was: only the waiver count is unknown
