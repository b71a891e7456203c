"""Acceptance, in Debian's headless Chromium: the 2008 map -> click Japan -> its 2008 narrative -> download the PDF;
the PDF (pdftotext) has the tier, the reasons and the government's comment. Japan 2008 is seeded with an assessment,
a claim and the government's comment through the review colleague's store."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import timedelta

import pytest

from conftest import serve_app
from tiptiers.methodology import methodology_for_year
from tiptiers.store import assessments, evidence, reviews
from tiptiers.store.db import transaction
from tiptiers.web.app import create_app

COMMENT = "The Government of Japan enacted a new law against trafficking and convicted 12 traffickers in 2007."

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from conftest import TestDatabase

    db = TestDatabase("sqlite", tmp_path_factory).load_bundled()
    with transaction(db.sessions) as s:
        claim = evidence.add_evidence(
            s, iso3="JPN", year=2008, criteria=["criterion_1"], source_type="embassy_reporting",
            source_name="Embassy Tokyo", statement="Japan convicted few traffickers and did not criminalise labour "
                                                  "trafficking.", entered_by="analyst")
        levels = {"criterion_1": "partial", "criterion_2": "partial"}
        ratings = [assessments.RatingIn(i, levels.get(i, "substantial"), [claim.id] if i == "criterion_1" else [])
                   for i in methodology_for_year(2008).ids]
        assessments.save_assessment(s, "JPN", 2008, ratings, actor="analyst",
                                 narrative="Japan is a destination country for women trafficked for sexual "
                                           "exploitation.")
        reviews.send_request(s, "JPN", 2008, actor="analyst", sent_at=claim.created_at + timedelta(seconds=1))
        reviews.respond(s, "JPN", 2008, claim.id, "comment", COMMENT, author="liaison.jpn")
    with serve_app(create_app(db.url)) as url:
        yield url
    db.drop()


def test_map_click_japan_narrative_pdf_has_tier_reasons_and_comment(browser, base_url, tmp_path):
    page = browser.new_page(accept_downloads=True)
    page.goto(f"{base_url}/map/2008")
    japan = page.locator("svg.world-map #c-JPN")
    japan.wait_for()
    box = japan.bounding_box()
    assert box is not None and box["width"] > 5  # drawn, not just present
    japan.hover()
    assert page.locator("#map-info").inner_text() == "Japan: Tier 2"  # worldmap.js answered the hover
    japan.click()
    page.wait_for_url(f"{base_url}/narratives/JPN/2008")
    assert page.locator("#narrative-tier").inner_text() == "Tier 2"
    assert page.locator("article.narrative h2", has_text="Reasons").count() == 1
    assert COMMENT in page.locator("table.claims td.comment").inner_text()
    with page.expect_download() as info:
        page.click("a.pdf")
    target = tmp_path / "japan-2008.pdf"
    info.value.save_as(target)
    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = " ".join(text.split())
    assert "Tier: Tier 2" in flat
    assert "Reasons" in flat and "Prosecution" in flat
    reasons = page.evaluate("fetch('/api/v1/narratives/JPN/2008.json').then(r => r.json())")["reasons"]
    assert reasons and " ".join(reasons[0]["text"].split())[:40] in flat  # the engine's first reason is printed
    assert " ".join(COMMENT.split()) in flat
    page.close()
