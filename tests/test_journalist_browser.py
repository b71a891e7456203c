"""Release day in Debian's Chromium: a journalist goes from the home page to "Changes in 2025", filters the
downgrades into Tier 3, reads why, sees the chart, and downloads the CSV of exactly the rows shown. And the 2024 map
tells the countries not in the sources from those not ranked, each with its legend entry (issue 12)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest

from conftest import serve_app
from tiptiers.web.app import create_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(loaded_sqlite) -> Iterator[str]:
    with serve_app(create_app(loaded_sqlite.url)) as url:
        yield url


def test_journalist_from_the_home_page_to_the_filtered_csv(browser, base_url, tmp_path):
    page = browser.new_page(accept_downloads=True)
    page.goto(f"{base_url}/")
    page.get_by_role("link", name="Changes in 2025").click()
    page.wait_for_url(f"{base_url}/movements/2025")
    assert page.locator("h1").inner_text().startswith("Changes in the 2025 report")
    chart = page.locator("figure.flow-figure svg.flow-chart")
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100  # drawn, not just present
    page.get_by_label("Movement").select_option("down")
    page.get_by_label("Now on").select_option("3")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"{base_url}/movements/2025?direction=down&to=3")
    shown = page.locator("table.movements tbody tr")
    assert shown.count() > 0
    iso3s = sorted(shown.nth(i).get_attribute("data-iso3") or "" for i in range(shown.count()))
    reasons = [shown.nth(i).locator("td.reason").inner_text() for i in range(shown.count())]
    assert all(len(r) > 20 for r in reasons)  # a reason in words for every row
    assert page.locator("table.movements[data-group='tier_3']").count() == 1
    assert page.locator("table.movements[data-group='up']").count() == 0
    with page.expect_download() as info:
        page.click("#movements-csv")
    target = tmp_path / "changes.csv"
    info.value.save_as(target)
    assert info.value.suggested_filename == "tiptiers-movements-2025-down-to-3.csv"
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert sorted(r["iso3"] for r in rows) == iso3s
    assert {r["tier"] for r in rows} == {"3"} and all(r["reason"] for r in rows)
    with page.expect_download() as png:
        page.click("#flows-png")
    assert png.value.suggested_filename == "tiptiers-movements-2025-down-to-3.png"
    page.close()


def _absent_fills(page, year: int) -> dict[str, str]:
    """data-absent -> the fill of the countries in that state, on the map of `year`."""
    return page.evaluate("""() => {
        const out = {};
        document.querySelectorAll('svg.world-map g.country[data-absent]').forEach(g => {
            const why = g.getAttribute('data-absent');
            if (why) out[why] = g.getAttribute('fill');
        });
        return out;
    }""")


def test_2024_map_tells_not_in_the_sources_from_not_ranked_with_a_legend_entry_each(browser, base_url):
    page = browser.new_page()
    page.goto(f"{base_url}/map/2024")
    page.locator("svg.world-map").wait_for()
    partial = _absent_fills(page, 2024)
    assert list(partial) == ["not_in_sources"]  # 2024 gives Tier 1 and 2 in part: nobody is known unranked
    greenland = page.locator("svg.world-map #c-GRL")
    assert greenland.get_attribute("data-absent") == "not_in_sources"
    assert "not in the sources we have in 2024" in (greenland.locator("title").text_content() or "")
    for key in ("state-not_ranked", "state-not_in_sources"):
        entry = page.locator(f"svg.world-map g.legend-entry[data-key='{key}']")
        assert entry.count() == 1 and entry.bounding_box() is not None
        assert page.locator(f"#map-legend li[data-key='{key}']").is_visible()
    assert "Not in the sources we have" in page.locator("#map-legend").inner_text()
    page.goto(f"{base_url}/map/2015")  # a complete year: the same country is not ranked, drawn otherwise
    complete = _absent_fills(page, 2015)
    assert page.locator("svg.world-map #c-GRL").get_attribute("data-absent") == "not_ranked"
    assert complete["not_ranked"] != partial["not_in_sources"]
    page.close()


def test_the_what_if_names_the_decisive_criteria_by_title_as_it_redraws(browser, base_url):
    page = browser.new_page()
    page.goto(f"{base_url}/countries/JPN/2013")
    before = page.locator("#determination").inner_text()
    page.select_option("#r-criterion_1", "not_met")
    page.wait_for_function("(before) => document.querySelector('#determination').innerText !== before", arg=before)
    decisive = page.locator("#determination p.decisive").inner_text()
    assert "criterion_" not in decisive and "standard_" not in decisive
    assert "Criterion 1: Prosecution" in decisive or "Standard 1:" in decisive
    page.close()
