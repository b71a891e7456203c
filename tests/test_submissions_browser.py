"""In Debian's headless Chromium: an NGO logs in, submits a two-claim shadow report (one claim with a file) through
the form, finds it on its submissions page; an analyst logs in and finds both claims in the country-year's workspace
as unverified evidence of the organisation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conftest import serve_app
from test_review_browser import _log_in
from test_submissions_web import YEAR, site  # noqa: F401  (the `site` fixture)

pytestmark = pytest.mark.browser

FIRST = "Recruitment agencies charged Nepali workers fees of three months' pay (browser)."
SECOND = "Labour inspectors visited no fishing vessel in the reporting period (browser)."


@pytest.fixture(scope="module")
def base_url(site) -> Iterator[str]:  # noqa: F811
    with serve_app(site["app"]) as url:
        yield url


def test_an_ngo_submits_a_two_claim_shadow_report_and_an_analyst_sees_it_unverified(browser, base_url, site,  # noqa: F811
                                                                                      tmp_path):
    report = tmp_path / "fishing-interviews.txt"
    report.write_text("Interviews with twelve crew members, March 2026.")
    ngo = _log_in(browser, base_url, "polaris", "/submissions")
    with ngo.expect_navigation():
        ngo.click("#new-submission")
    ngo.select_option("select[name=iso3]", "JPN")
    ngo.fill("input[name=year]", str(YEAR))
    ngo.fill("input[name=title]", "Recruitment and fishing")
    first, second = ngo.locator("#claim-0"), ngo.locator("#claim-1")
    first.locator("textarea").fill(FIRST)
    first.locator("select").select_option(["criterion_1", "standard_1"])
    first.locator("input[type=date]").fill("2026-03-15")
    first.locator("input[type=url]").fill("https://example.org/fees")
    second.locator("textarea").fill(SECOND)
    second.locator("input[type=file]").set_input_files(str(report))
    with ngo.expect_navigation():
        ngo.click("#submission-form button[type=submit]")
    error = ngo.locator("#submission-error")
    assert error.inner_text().startswith("Claim 2, criteria:")  # the second claim names no criterion
    assert "Choose the files again" in error.inner_text()
    assert ngo.locator("#claim-0 textarea").input_value() == FIRST  # what was typed is still there
    ngo.locator("#claim-1 select").select_option(["criterion_8"])
    ngo.locator("#claim-1 input[type=file]").set_input_files(str(report))
    with ngo.expect_navigation():
        ngo.click("#submission-form button[type=submit]")
    assert "/submissions#submission-" in ngo.url, ngo.url
    submission = ngo.locator("section.submission").first
    assert FIRST in submission.inner_text() and SECOND in submission.inner_text()
    assert submission.locator("td.state").all_inner_texts() == ["unverified", "unverified"]
    assert submission.locator("a[download]").inner_text() == "fishing-interviews.txt"

    analyst = _log_in(browser, base_url, "ana", f"/workspace/JPN/{YEAR}")
    rows = {r.locator("td").nth(1).inner_text().split("\n")[0]: r
            for r in analyst.locator("table.evidence tbody tr").all()}
    for statement in (FIRST, SECOND):
        row = rows[statement]
        assert row.locator("td.state").inner_text() == "unverified"
        assert "Polaris Project" in row.inner_text() and "Shadow report #" in row.inner_text()
    # the analyst's note reaches the NGO
    note = rows[SECOND].locator("form.note")
    note.locator("input[name=note]").fill("Which vessels? Please send their names.")
    with analyst.expect_navigation():
        note.locator("button").click()
    ngo.reload()
    assert "Which vessels? Please send their names." in ngo.locator("section.submission").first.inner_text()
