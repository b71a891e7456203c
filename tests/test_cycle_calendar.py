"""The annual cycle computed from the dated law (methodology/tvpa/cycle.yaml) against the statute's dates."""

from datetime import date

import pytest

from tiptiers.engine.calendar import Facts, compute_calendar
from tiptiers.methodology import MethodologyError
from tiptiers.methodology.cycle import _when, cycle_law
from tiptiers.report_years import check_planned_year
from tiptiers.review.windows import PRESETS, Span, parse_windows

TIP, GRETA = PRESETS["tip"], PRESETS["greta"]
TODAY = date(2026, 12, 1)


def steps(year, facts=None, windows=TIP, today=TODAY):
    cal = compute_calendar(year, windows, Facts(done=facts or {}), today=today)
    return cal, {s.key: s for s in cal.steps}


def test_2013_june_1_deadline_two_year_waivers_determinations_counted_from_the_release():
    cal, s = steps(2013, {"report_due": date(2013, 6, 19)})
    assert (s["reporting_period"].start, s["reporting_period"].due) == (date(2012, 4, 1), date(2013, 3, 31))
    assert s["reporting_period"].source == "practice"  # not yet in the statute in 2013
    assert s["interim_assessment"].due == date(2013, 2, 1)
    assert "7107(b)(2)(C)" in s["interim_assessment"].reference
    assert s["report_due"].due == date(2013, 6, 1)  # TVPA 2000 s.110(b)(1): June 1
    assert (s["report_due"].status, s["report_due"].days_late) == ("late", 18)
    assert s["waiver_justification"].due == date(2013, 7, 19)  # 30 days after the report (7107(b)(2)(E))
    assert "at most 2 consecutive years" in s["waiver_justification"].description
    t3 = s["tier3_determinations"]
    assert (t3.start, t3.due) == (date(2013, 8, 3), date(2013, 9, 17))  # 45 to 90 days after (7107(c))
    assert "child_soldiers_list" in s and "policy_or_pattern_list" not in s
    # a report that came out without this project's reply has no reply steps and no invented lateness
    assert "draft_sent" not in s and s["interim_assessment"].status == "unrecorded"
    assert cal.warnings == ()


def test_2019_statutory_period_one_year_waivers_policy_or_pattern_list():
    _, s = steps(2019, {"report_due": date(2019, 6, 20)})
    assert s["reporting_period"].source == "law" and "115-427" in s["reporting_period"].reference
    assert s["report_due"].due == date(2019, 6, 1) and s["report_due"].days_late == 19  # June 30 only from 2021
    assert "at most 1 consecutive year." in s["waiver_justification"].description
    assert s["policy_or_pattern_list"].due == date(2019, 6, 20)  # published with the report
    assert s["tier3_determinations"].start == date(2019, 8, 4)


def test_2028_planned_from_the_june_30_deadline():
    cal, s = steps(2028)
    assert s["report_due"].due == date(2028, 6, 30) and "116-283" in s["report_due"].reference
    assert s["request_for_information"].start == date(2027, 10, 1)
    assert s["interim_assessment"].due == date(2028, 2, 1)
    assert s["waiver_justification"].due == date(2028, 7, 30)
    assert (s["tier3_determinations"].start, s["tier3_determinations"].due) == (date(2028, 8, 14), date(2028, 9, 28))
    # the default windows, planned backwards: final comments due a week before June 30, two weeks for them, a week
    # to resolve disputes, four weeks for the draft
    assert s["final_comments_due"].due == date(2028, 6, 23) and s["final_sent"].due == date(2028, 6, 9)
    assert s["draft_comments_due"].due == date(2028, 6, 2) and s["draft_sent"].due == date(2028, 5, 5)
    assert all(x.status in ("upcoming", "open") for x in cal.steps) and cal.warnings == ()
    assert [x.key for x in cal.steps] == sorted((x.key for x in cal.steps),
                                                key=[x.key for x in cal.steps].index)  # stable
    dates = [x.start or x.due for x in cal.steps]
    assert dates == sorted(dates)


def test_the_first_reports_had_only_the_report():
    _, s = steps(2001, {"report_due": date(2001, 7, 12)})
    assert set(s) == {"reporting_period", "report_due"}
    assert s["report_due"].days_late == 41
    _, s = steps(2004, {"report_due": date(2004, 6, 14)})
    assert "tier3_determinations" in s and "interim_assessment" not in s  # the first Watch List is the 2004 report's
    assert "interim_assessment" in steps(2005, {"report_due": date(2005, 6, 3)})[1]


def test_a_report_published_september_29_is_91_days_late():
    _, s = steps(2025, {"report_due": date(2025, 9, 29)})
    assert s["report_due"].summary == "done 2025-09-29, 91 days late"
    assert s["tier3_determinations"].start == date(2025, 11, 13)  # counted from the real release


def test_greta_windows_cannot_fit_between_march_31_and_june_30():
    cal, s = steps(2027, windows=GRETA)
    assert s["draft_sent"].due == date(2027, 3, 16) and s["draft_sent"].due < date(2027, 3, 31)
    assert len(cal.warnings) == 1 and "15 days before the reporting period ends" in cal.warnings[0]
    assert steps(2027)[0].warnings == ()


def test_a_draft_sent_too_late_runs_forwards_and_warns():
    cal, s = steps(2027, {"draft_sent": date(2027, 6, 1)}, today=date(2027, 6, 2))
    assert s["draft_sent"].status == "late" and s["draft_sent"].days_late == 27
    assert s["final_comments_due"].due == date(2027, 7, 20)  # June 1 + 4 weeks + 1 + 2
    assert "27 days after 2027-06-23" in cal.warnings[0]


def test_overdue_steps_say_how_late():
    _, s = steps(2027, today=date(2027, 2, 11))
    assert (s["interim_assessment"].status, s["interim_assessment"].days_late) == ("overdue", 10)
    _, s = steps(2027, {"interim_assessment": date(2027, 1, 30)}, today=date(2027, 2, 11))
    assert s["interim_assessment"].summary == "done 2027-01-30"


def test_every_version_of_the_law_names_a_reference():
    for year in range(2001, 2030):
        for rule in cycle_law(year):
            assert rule.reference, (year, rule.key)
            assert rule.practice or "U.S.C." in rule.reference, (year, rule.key)


def test_bad_law_is_refused_naming_the_step():
    with pytest.raises(MethodologyError, match="x: '13-01' is not a day"):
        _when("x", {"day": "13-01"}, set())
    with pytest.raises(MethodologyError, match="unknown step 'nope'"):
        _when("x", {"after": "nope", "days": 3}, {"report_due"})
    with pytest.raises(MethodologyError, match="either `days` or both"):
        _when("x", {"after": "report_due", "min_days": 3}, {"report_due"})


def test_planned_years_and_window_settings():
    assert check_planned_year(2036, today=TODAY) == 2036
    with pytest.raises(ValueError, match="2001-2036"):
        check_planned_year(2037, today=TODAY)
    with pytest.raises(ValueError, match="2001-2036"):
        check_planned_year(2000, today=TODAY)
    custom = parse_windows("draft=6w, final=3w,resolution=3d")
    assert (custom.draft, custom.final, custom.resolution) == (Span(days=42), Span(days=21), Span(days=3))
    assert parse_windows("") == TIP and parse_windows("GRETA") == GRETA
    with pytest.raises(ValueError, match="'draft=6x'"):
        parse_windows("draft=6x")
    assert Span(months=1).before(date(2027, 3, 31)) == date(2027, 2, 28)


def test_a_comment_window_ends_rather_than_falls_overdue():
    _, s = steps(2027, {"draft_sent": date(2027, 4, 2)}, today=date(2027, 6, 1))
    assert s["draft_comments_due"].status == "ended" and s["draft_comments_due"].days_late == 0
    assert s["final_sent"].status == "overdue"  # the office's step: the final report should have gone by May 13
