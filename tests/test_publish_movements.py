"""Changes in YEAR: the pure logic (groups, reasons in words, filters, flows) and the pages on the bundled history
(grouped sections, the filtered JSON twin and CSV, the flow chart and its downloads)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tiptiers.coverage import ALL_TIERS, YearCoverage
from tiptiers.publish import movements as moves
from tiptiers.tiers import Tier
from tiptiers.web.app import create_app

HISTORY = {
    "AAA": {2010: "2WL", 2011: "2WL", 2012: "3"},  # the automatic downgrade after two Watch List years
    "BBB": {2011: "2", 2012: "2WL"},
    "CCC": {2011: "3", 2012: "2"},
    "DDD": {2012: "1"},  # absent in 2011
    "EEE": {2011: "1", 2012: "1"},
    "FFF": {2011: "2", 2012: "3"},  # straight to Tier 3, no Watch List
    "GGG": {2011: "3", 2012: "special"},
}
NAMES = {k: f"Country {k}" for k in HISTORY}


def rows(previous: YearCoverage | None) -> dict[str, moves.Movement]:
    return {m.iso3: m for m in moves.movements(HISTORY, NAMES, 2012, previous)}


def test_absent_the_year_before_is_new_only_when_that_year_is_complete():
    assert rows(YearCoverage(2011, frozenset(ALL_TIERS)))["DDD"].movement == "new"
    partial = rows(YearCoverage(2011, frozenset({Tier.WATCH_LIST, Tier.TIER_3})))["DDD"]
    assert (partial.movement, partial.group, partial.previous_year) == ("unknown", "unknown",
                                                                        "not in the sources we have")
    assert "2011 placement is not in the sources" in partial.reason
    assert rows(None)["DDD"].movement == "unknown"  # no statement of coverage: nothing known complete


def test_groups_put_tier_3_first_and_say_why_in_words():
    by = rows(YearCoverage(2011, frozenset(ALL_TIERS)))
    assert {k: by[k].group for k in by} == {"AAA": "tier_3", "BBB": "down", "CCC": "up", "DDD": "new",
                                            "EEE": "same", "FFF": "tier_3", "GGG": "special"}
    assert by["AAA"].automatic_downgrade
    assert by["AAA"].reason.startswith("Tier 3 by the automatic downgrade, after 2 years in a row on the Watch List "
                                       "(2010-2011)")
    assert by["FFF"].reason == moves.NOT_ASSESSED
    ordered = [g for g, _title, _rows in moves.grouped(by.values())]
    assert ordered == ["tier_3", "down", "up", "new", "special", "same"]
    assert moves.summary(by.values())["into_tier_3"] == 2


def test_decisive_criteria_in_words_join_the_reason():
    by = {m.iso3: m for m in moves.movements(HISTORY, NAMES, 2012, None,
                                             decisive={"FFF": "Decisive in the assessment: Criminal law."})}
    assert by["FFF"].reason == "Decisive in the assessment: Criminal law."


def test_filters_by_tier_and_direction_and_refuse_bad_values_by_name():
    all_rows = list(rows(YearCoverage(2011, frozenset(ALL_TIERS))).values())
    to, direction = moves.parse_filters("3", "down")
    assert sorted(m.iso3 for m in moves.filtered(all_rows, to, direction)) == ["AAA", "FFF"]
    assert sorted(m.iso3 for m in moves.filtered(all_rows, None, "down")) == ["AAA", "BBB", "FFF"]
    assert moves.parse_filters("", None) == (None, None)
    with pytest.raises(ValueError, match=r"^to: '4' is not a tier"):
        moves.parse_filters("4", None)
    with pytest.raises(ValueError, match=r"^direction: 'sideways' is not one of down, up"):
        moves.parse_filters(None, "sideways")


def test_flows_count_each_pair_with_new_and_unknown_sources():
    flows = moves.flows(rows(None).values())
    assert flows[("2WL", "3")] == 1 and flows[("2", "3")] == 1 and flows[("unknown", "1")] == 1


# --- the pages, on the bundled history ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(loaded_sqlite) -> Iterator[TestClient]:
    yield TestClient(create_app(loaded_sqlite.url))


def test_2013_page_leads_with_tier_3_and_collapses_the_unchanged(client):
    html = client.get("/movements/2013").text
    assert html.index('id="group-tier_3"') < html.index('id="group-down"') < html.index('id="group-up"')
    assert "<details><summary><h2>Unchanged" in html
    assert 'data-iso3="RUS"' in html and "Tier 3 by the automatic downgrade" in html
    assert '<svg class="flow-chart"' in html and 'href="/movements/2013/flows.svg"' in html


def test_filters_are_honoured_by_the_json_twin_and_the_csv(client):
    data = client.get("/api/v1/movements/2013.json?to=3&direction=down").json()
    assert data["filters"] == {"to": "3", "direction": "down"}
    assert data["movements"] and all(m["tier"] == "3" and m["group"] == "tier_3" for m in data["movements"])
    assert data["csv"] == "/movements/2013.csv?to=3&direction=down"
    got = client.get(data["csv"])
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert 'filename="tiptiers-movements-2013-down-to-3.csv"' in got.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(got.text)))
    assert sorted(r["iso3"] for r in table) == sorted(m["iso3"] for m in data["movements"])
    assert {"reason", "group", "previous_year"} <= set(table[0])
    assert client.get("/movements/2015.csv").status_code == 200  # was a 422 JSON error


def test_a_bad_filter_is_a_422_naming_it(client):
    got = client.get("/api/v1/movements/2013.json?direction=sideways")
    assert got.status_code == 422 and got.json()["error"]["detail"].startswith("direction: ")
    page = client.get("/movements/2013?to=9", headers={"Accept": "text/html"})
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")


def test_flow_chart_downloads_are_svg_and_png(client):
    svg = client.get("/movements/2013/flows.svg?to=3")
    assert svg.headers["content-type"].startswith("image/svg+xml") and svg.text.startswith("<?xml")
    assert "<pattern" in svg.text and 'data-to="3"' in svg.text and 'data-to="1"' not in svg.text
    png = client.get("/movements/2013/flows.png")
    assert png.headers["content-type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_partial_previous_year_says_previous_year_unknown_not_new(client):
    data = client.get("/api/v1/movements/2017.json?direction=unknown").json()
    assert data["summary"]["unknown"] > 0 and data["summary"]["unknown"] == len(data["movements"])
    assert all(m["previous_year"] == "not in the sources we have" for m in data["movements"])


def test_the_home_page_leads_to_the_changes(client):
    html = client.get("/").text
    assert 'id="changes-callout"' in html and 'href="/movements/2025"' in html
    assert 'href="/movements/2025?to=3"' in html


def test_a_correction_of_an_earlier_year_reaches_the_cached_changes_page(tmp_path_factory):
    """The page cache keeps /movements/2013 until a change it shows: a corrected 2011 placement changes the Watch
    List streak the 2013 audit counts, so the page (and its twin) must be rendered again."""
    from conftest import TestDatabase
    from tiptiers.sources.placements import parse_placements
    from tiptiers.store.db import transaction
    from tiptiers.store.placements import import_placements

    db = TestDatabase("sqlite", tmp_path_factory).load_bundled()
    try:
        client = TestClient(create_app(db.url))
        before = client.get("/api/v1/movements/2013.json").json()
        russia = next(m for m in before["movements"] if m["iso3"] == "RUS")
        assert russia["automatic_downgrade"]
        assert 'data-iso3="RUS"' in client.get("/movements/2013").text  # now cached
        with transaction(db.sessions) as s:  # Russia 2011 corrected to Tier 2: the streak is 2012 alone
            import_placements(s, parse_placements("iso3,year,tier\nRUS,2011,2\n", source="fix.csv"),
                              source="fix.csv", actor="ana", correction="a test correction")
        after = client.get("/api/v1/movements/2013.json").json()
        assert not next(m for m in after["movements"] if m["iso3"] == "RUS")["automatic_downgrade"]
    finally:
        db.drop()
