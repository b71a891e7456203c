"""The analysis pages in Debian's headless Chromium: the scatter is drawn, clicking a point filters the pairs,
the robustness bars have widths proportional to the probabilities."""

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
    total = page.locator("#pairs tbody tr").count()
    assert total > 100
    page.click('svg#scatter circle[data-iso3="JPN"]')
    visible = page.locator("#pairs tbody tr:visible")
    assert 0 < visible.count() < total
    texts = visible.all_inner_texts()
    assert all("Japan" in t for t in texts) and any("Hong Kong" in t for t in texts)
    assert page.locator('svg#scatter circle.selected').get_attribute("data-iso3") == "JPN"
    page.click("#show-all")
    assert page.locator("#pairs tbody tr:visible").count() == total
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
    page.keyboard.press("Enter")
    texts = page.locator("#pairs tbody tr:visible").all_inner_texts()
    assert texts and all("Hong Kong" in t for t in texts) and any("Japan" in t for t in texts)
    page.close()
