"""The analysis pages in Debian's headless Chromium: the scatter is drawn, clicking a point shows that country's
pairs from every page, the robustness bars have widths proportional to the probabilities."""

from __future__ import annotations

import pytest

from test_browser import base_url  # noqa: F401  (fixture: the app on loopback; `browser` is in conftest)

pytestmark = pytest.mark.browser


def test_clicking_japan_shows_only_its_pairs(browser, base_url):  # noqa: F811
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))  # a script error
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 and "favicon" not in r.url else None)
    page.goto(f"{base_url}/analysis/consistency/2008")
    chart = page.locator("svg#scatter")
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    first_page = page.locator("#pairs tbody tr").count()
    assert first_page == 50 and "of " in page.locator("#pairs-count").inner_text()  # paged on the server
    with page.expect_navigation():
        page.click('svg#scatter circle[data-iso3="JPN"]')
    assert "country=JPN" in page.url
    texts = page.locator("#pairs tbody tr").all_inner_texts()
    assert 0 < len(texts) < first_page  # every pair of Japan's, from every page
    assert all("Japan" in t for t in texts) and any("Hong Kong" in t for t in texts)
    assert page.locator('svg#scatter circle.selected').get_attribute("data-iso3") == "JPN"
    with page.expect_navigation():
        page.click("#show-all")
    assert "country=" not in page.url and page.locator("#pairs tbody tr").count() == first_page
    assert not errors, errors
    page.close()


def test_robustness_bars_match_the_probabilities(browser, base_url):  # noqa: F811
    page = browser.new_page()
    page.goto(f"{base_url}/analysis/robustness/2008?draws=500&seed=1&q_rating=0.2")
    row = page.locator('#odds tr[data-iso3="JPN"]')
    bar = row.locator("svg.bar")
    assert bar.bounding_box()["width"] > 50
    widths = [float(w) for w in bar.locator("rect").evaluate_all("rs => rs.map(r => r.getAttribute('width'))")]
    assert abs(sum(widths) - 300) < 0.1
    data = page.request.get(f"{base_url}/api/v1/analysis/robustness/2008?draws=500&seed=1&q_rating=0.2").json()
    japan = next(c for c in data["countries"] if c["iso3"] == "JPN")
    assert sorted(round(w / 300, 3) for w in widths) == sorted(round(p, 3) for p in japan["probabilities"].values()
                                                                if p > 0)
    page.close()


def test_points_can_be_chosen_with_the_keyboard(browser, base_url):  # noqa: F811
    page = browser.new_page()
    page.goto(f"{base_url}/analysis/consistency/2008")
    page.focus('svg#scatter circle[data-iso3="HKG"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    texts = page.locator("#pairs tbody tr").all_inner_texts()
    assert texts and all("Hong Kong" in t for t in texts) and "matching" in page.locator("#pairs-count").inner_text()
    assert page.locator('svg#scatter circle.selected').get_attribute("data-iso3") == "HKG"
    page.close()
