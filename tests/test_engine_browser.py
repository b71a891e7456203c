"""The what-if form in a real browser: changing a rating re-determines through the API, without a reload."""

from __future__ import annotations

import pytest

from test_browser import base_url  # noqa: F401  (fixture: the app on loopback; `browser` is in conftest)

pytestmark = pytest.mark.browser


def test_what_if_re_determines_without_reload(browser, base_url):  # noqa: F811
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    page.goto(f"{base_url}/countries/JPN")
    page.click('table.placements tr[data-year="2008"] a.explain')
    page.wait_for_url(f"{base_url}/countries/JPN/2008")
    assert page.locator("#placement").inner_text() == "TIP Report 2008: Tier 2"
    assert page.locator("#det-tier").get_attribute("data-tier") == "2"
    page.evaluate("window.__same_document = true")

    for i in range(1, 5):  # every standard fully met: Tier 1
        page.select_option(f"#r-standard_{i}", "full")
    page.wait_for_selector('#det-tier[data-tier="1"]')
    assert "fully complies" in page.locator("ol.reasons").inner_text()
    assert page.locator(".path-up").count() == 0

    page.uncheck("input[name=increasing_efforts_shown]")  # no effect at Tier 1
    page.select_option("#r-standard_2", "partial")  # back below Tier 1, and no increasing efforts: Watch List
    page.wait_for_selector('#det-tier[data-tier="2WL"]')
    assert "No evidence of increasing efforts over 2007: Watch List." in page.locator("ol.reasons").inner_text()
    assert "increasing efforts shown: yes" in page.locator(".path-up").inner_text()

    page.select_option("#r-criterion_1", "not_met")  # a core criterion not met: no significant efforts
    page.wait_for_selector('#det-tier[data-tier="3"]')
    assert page.evaluate("window.__same_document") is True  # never reloaded
    assert "Updated: Tier 3." in page.locator("#whatif-status").inner_text()
    assert errors == []
    page.close()
