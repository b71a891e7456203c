"""A real browser on the cable page, the search page and the country timeline (Debian's headless Chromium)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import test_cables_corpus as corpus
from conftest import TestDatabase as Database
from conftest import serve_app
from tiptiers.sources.cables import parse_cable
from tiptiers.store.cables import ParsedCable, store_cables
from tiptiers.store.db import transaction
from tiptiers.web.app import create_app

pytestmark = pytest.mark.browser


def served(tmp_path_factory, texts: list[str]) -> Iterator[str]:
    """The site over the bundled history and these cables."""
    db = Database("sqlite", tmp_path_factory).load_bundled()
    with transaction(db.sessions) as s:
        store_cables(s, [ParsedCable.of(parse_cable(t), t, "test") for t in texts])
    with serve_app(create_app(db.url)) as url:
        yield url
    db.drop()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory) -> Iterator[str]:
    yield from served(tmp_path_factory, [corpus.original(), corpus.cooperative()])



def test_choosing_a_reaction_code_highlights_its_sentences(browser, base_url):
    page = browser.new_page()
    page.goto(f"{base_url}/cables/08TOKYO1528")
    assert page.locator(".sentence.highlight").count() == 0
    page.click('button.code[data-code="harming_relations"]')
    highlighted = page.locator(".sentence.highlight")
    highlighted.first.wait_for()
    texts = highlighted.all_inner_texts()
    assert any("whether to continue cooperation" in t for t in texts)
    assert all("DCM replied" not in t for t in texts)
    assert page.locator('button.code[data-code="harming_relations"]').get_attribute("aria-pressed") == "true"
    page.click('button.code[data-code="disappointment"]')  # another code replaces the highlight
    assert all("disappoint" in t.lower() for t in page.locator(".sentence.highlight").all_inner_texts())
    page.close()


def test_search_filters_submit_on_change_and_results_link_to_the_cable(browser, base_url):
    page = browser.new_page()
    page.goto(f"{base_url}/search")
    page.fill("#q", "report")
    page.press("#q", "Enter")
    page.wait_for_selector("#count")
    assert page.locator("#count").inner_text().startswith("2 found")
    page.select_option('select[name="reaction"]', "appreciation")  # no button press: the page's script submits
    page.wait_for_url("**reaction=appreciation**")
    assert page.locator("#count").inner_text().startswith("1 found")
    page.click("li.hit .title a")
    page.wait_for_url(f"{base_url}/cables/08MANILA1702")
    assert "PHILIPPINES WELCOMES 2008 TIP REPORT" in page.locator("p.subject").inner_text()
    page.close()


def test_country_timeline_lists_the_cable_after_its_report_year(browser, base_url):
    page = browser.new_page()
    page.goto(f"{base_url}/countries/JPN")
    events = page.locator("ol.timeline li")
    events.first.wait_for()
    kinds = [(e.get_attribute("data-kind"), e.get_attribute("data-year")) for e in events.all()]
    assert kinds.index(("placement", "2008")) < kinds.index(("cable", "2008")) < kinds.index(("placement", "2009"))
    page.click('ol.timeline li[data-kind="cable"] a')
    page.wait_for_url(f"{base_url}/cables/08TOKYO1528")
    page.close()


@pytest.fixture(scope="module")
def many_url(tmp_path_factory) -> Iterator[str]:
    """Japan with 61 cables (08TOKYO1528 and 60 others like it, one in three UNCLASSIFIED): more than a page."""
    texts = [corpus.original()] + [
        corpus.at_station("TOKYO", "AMEMBASSY TOKYO", "JA", "RUEHKO", serial=2000 + k) if k % 3 else
        corpus.classified(f"UNCLAS TOKYO {2000 + k:06d}", "U", "ZNR UUUUU").replace("#1528", f"#{2000 + k}")
        for k in range(60)]
    yield from served(tmp_path_factory, texts)


def test_a_countrys_cables_page_by_page_and_filtered(browser, many_url):
    page = browser.new_page()
    page.goto(f"{many_url}/countries/JPN")
    page.click('a[href="/countries/JPN/cables"]')
    page.wait_for_selector("#count")
    assert page.locator("#count").inner_text().startswith("61 cables, showing 1-50")
    assert page.locator("tr.cable").count() == 50
    page.click('a[rel="next"]')
    page.wait_for_url("**offset=50**")
    assert page.locator("#count").inner_text().startswith("61 cables, showing 51-61")
    assert page.locator("tr.cable").count() == 11 and page.locator('a[rel="next"]').count() == 0
    page.select_option('select[name="classification"]', "UNCLASSIFIED")  # the page's script submits the form
    page.wait_for_url("**classification=UNCLASSIFIED**")
    assert page.locator("#count").inner_text().startswith("20 cables, showing 1-20")
    assert set(page.locator("tr.cable td:nth-child(4)").all_inner_texts()) == {"unclassified"}
    page.fill('input[name="tag"]', "KWMN")
    page.press('input[name="tag"]', "Enter")
    page.wait_for_url("**tag=KWMN**")
    assert page.locator("#count").inner_text().startswith("20 cables")
    page.click("tr.cable td a")
    page.wait_for_url(f"{many_url}/cables/08TOKYO*")
    page.close()
