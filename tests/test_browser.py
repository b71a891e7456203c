"""A real browser: Debian's headless Chromium, driven by Playwright, against the app on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conftest import serve_app
from tiptiers.web.app import create_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(loaded_sqlite) -> Iterator[str]:
    with serve_app(create_app(loaded_sqlite.url)) as url:
        yield url


def test_country_page_draws_the_chart_and_the_watch_list_year(browser, base_url):
    page = browser.new_page()
    page.goto(f"{base_url}/countries/JPN")
    chart = page.locator("svg.tier-chart")
    chart.wait_for()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100  # drawn, not just present
    assert page.locator("svg.tier-chart circle.point").count() == 23  # 2001-2015 and 2018-2025
    watch_list_point = page.locator('svg.tier-chart circle[data-year="2004"]')
    assert watch_list_point.get_attribute("data-tier") == "2WL"
    row = page.locator('table.placements tr[data-year="2004"]')
    assert row.inner_text().split() == ["2004", "Tier", "2", "Watch", "List"]
    page.close()


def test_clicking_a_year_reaches_that_year(browser, base_url):
    page = browser.new_page()
    page.goto(f"{base_url}/countries/JPN")
    page.click('table.placements tr[data-year="2008"] a')
    page.wait_for_url(f"{base_url}/years/2008")
    assert page.locator("h1").inner_text() == "TIP Report 2008"
    assert page.locator("#tier-1").get_by_text("Hong Kong").is_visible()
    page.close()
