"""The review pages in Debian's headless Chromium: the liaison answers a claim, the analyst records evidence and
resolves the dispute, through the forms and their script (review.js), which talks to the API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from conftest import serve_app
from test_review_web import CORRECTED, LAW, NGO_CLAIM, PASSWORD, site  # noqa: F401  (the `site` fixture)
from tiptiers.store.db import transaction
from tiptiers.store.evidence import add_evidence
from tiptiers.store.reviews import send_request

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(site) -> Iterator[str]:  # noqa: F811
    with serve_app(site["app"]) as url:
        yield url


def _page(browser: Browser, site, name: str) -> Page:  # noqa: F811
    """An API client's way in: a bearer token on every request (needs no CSRF token)."""
    context = browser.new_context(extra_http_headers={"Authorization": f"Bearer {site['tokens'][name]}"})
    return context.new_page()


def _log_in(browser: Browser, base_url: str, name: str, then: str) -> Page:
    """A person's way in: the login form, a session cookie, and the CSRF token the script sends from the page."""
    page = browser.new_context().new_page()
    page.goto(f"{base_url}/login?next={then}")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form.login button")
    assert page.url == f"{base_url}{then}", page.url
    return page


def _draft_with_claim(site, year: int) -> int:  # noqa: F811
    """Japan's draft of `year`, holding the NGO's claim, sent to the liaison; the claim's id."""
    with transaction(site["db"].sessions) as s:
        claim_id = add_evidence(s, iso3="JPN", year=year, criteria=["criterion_1"], statement=NGO_CLAIM,
                                source_type="ngo", source_name="an NGO", entered_by="ana").id
    with transaction(site["db"].sessions) as s:
        send_request(s, "JPN", year, "ana")
    return claim_id


def test_liaison_disputes_and_analyst_accepts_in_the_browser(browser, base_url, site):  # noqa: F811
    claim_id = _draft_with_claim(site, 2025)

    liaison = _log_in(browser, base_url, "jpn-liaison", "/review/JPN/2025")
    form = liaison.locator(f"#claim-{claim_id} form.respond")
    form.locator("input[value=dispute]").check()
    form.locator("textarea[name=text]").fill("Completely false.")
    form.locator("button").click()
    error = form.locator("output.form-error")
    error.wait_for()
    liaison.wait_for_function("el => el.textContent.length > 0", arg=error.element_handle())
    assert error.inner_text().startswith("counter_evidence:")  # the API's message, naming the field
    form.locator("textarea[name=counter_evidence]").fill(LAW)
    with liaison.expect_navigation():
        form.locator("button").click()
    reply = liaison.locator(f"#claim-{claim_id} .reply-dispute")
    assert "Completely false." in reply.inner_text() and LAW in reply.inner_text()
    assert "awaits an analyst" in liaison.locator(f"#claim-{claim_id}").inner_text()

    analyst = _page(browser, site, "ana")
    analyst.goto(f"{base_url}/workspace/JPN/2025")
    assert f"on claim #{claim_id} is open" in analyst.locator("ul.blocking").inner_text()
    resolve = analyst.locator(f"#claim-{claim_id} form[data-api*='/resolution']").last
    resolve.locator("textarea[name=corrected_statement]").fill(CORRECTED)
    with analyst.expect_navigation():
        resolve.locator("button").click()
    assert CORRECTED in analyst.locator("ol.claims").inner_text()

    liaison.reload()
    text = liaison.locator(f"#claim-{claim_id}").inner_text()
    assert CORRECTED in text and "Dispute accepted: the claim was corrected." in text


def test_liaison_attaches_a_copy_of_the_law_to_a_dispute_in_the_browser(browser, base_url, site,  # noqa: F811
                                                                         tmp_path):
    claim_id = _draft_with_claim(site, 2024)
    copy = tmp_path / "penal-code-article-226-2.txt"
    copy.write_text("Article 226-2 (buying and selling of persons) ...")

    liaison = _log_in(browser, base_url, "jpn-liaison", "/review/JPN/2024")
    form = liaison.locator(f"#claim-{claim_id} form.respond")
    form.locator("input[value=dispute]").check()
    form.locator("textarea[name=text]").fill("Our law criminalises it.")
    form.locator("textarea[name=counter_evidence]").fill(LAW)
    form.locator("input[type=file]").set_input_files(str(copy))
    with liaison.expect_navigation():
        form.locator("button").click()
    link = liaison.locator(f"#claim-{claim_id} .reply-file a")
    assert link.inner_text() == "penal-code-article-226-2.txt"
    assert "not for publication" in liaison.locator(f"#claim-{claim_id} .reply-file").inner_text()
    with liaison.expect_download() as download:
        link.click()
    assert download.value.path().read_bytes() == copy.read_bytes()  # the liaison gets its own file back

    analyst = _page(browser, site, "ana")
    analyst.goto(f"{base_url}/workspace/JPN/2024")
    assert "penal-code-article-226-2.txt" in analyst.locator(f"#claim-{claim_id} .reply-file").inner_text()
