"""A real browser: Debian's headless Chromium, driven by Playwright, against the app on loopback."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from playwright.sync_api import Browser, sync_playwright

from tiptiers.web.app import create_app

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling out on a machine with no network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def base_url(loaded_sqlite) -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(loaded_sqlite.url), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("the app did not start within 10 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_country_page_draws_the_chart_and_the_watch_list_year(browser, base_url):
    page = browser.new_page()
    page.goto(f"{base_url}/countries/JPN")
    chart = page.locator("svg.tier-chart")
    chart.wait_for()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100  # drawn, not just present
    assert page.locator("svg.tier-chart circle.point").count() == 15
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
