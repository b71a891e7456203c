"""The staff's tasks end to end in Debian's headless Chromium, from the public home page, without typing an address:
the analyst logs in, starts Japan's draft, records evidence, rates every criterion (each change saved at once, the
tier redrawn live, the Watch List signals giving Tier 2 Watch List) and sends the draft after seeing what the
government will see; the liaison logs in, lands on Korea's draft, answers a claim and changes the answer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Request

import conftest
from tiptiers.methodology import methodology_for_year
from tiptiers.store.db import transaction
from tiptiers.store.evidence import add_evidence
from tiptiers.store.placements import load_bundled
from tiptiers.store.reviews import send_request
from tiptiers.store.users import create_user

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
YEAR = 2026
CLAIM = "Labour recruiters charge Korean workers' fees that bind them to their employers."


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[dict[str, Any]]:
    from tiptiers.web.app import create_app

    db = conftest.TestDatabase("sqlite", tmp_path_factory)
    with transaction(db.sessions) as s:
        load_bundled(s)
        create_user(s, "ana", "analyst", PASSWORD)
        create_user(s, "kim", "liaison", PASSWORD, country="KOR")
    with transaction(db.sessions) as s:
        claim = add_evidence(s, iso3="KOR", year=YEAR, criteria=["criterion_3"], statement=CLAIM, source_type="ngo",
                             source_name="An NGO", entered_by="ana").id
    with transaction(db.sessions) as s:
        send_request(s, "KOR", YEAR, "ana")
    with conftest.serve_app(create_app(db.url)) as url:
        yield {"url": url, "claim": claim}
    db.drop()


def log_in_from_home(browser: Browser, url: str, name: str) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(url + "/")
    page.click("#login-link")
    page.fill("#login-name", name)
    page.fill("#login-password", PASSWORD)
    with page.expect_navigation():
        page.click("form.login button[type=submit]")
    return page


def test_the_analyst_from_login_to_a_sent_draft(browser, site):
    page = log_in_from_home(browser, site["url"], "ana")
    assert page.url == site["url"] + "/work"
    assert page.locator("h1").inner_text() == f"Drafts of the {YEAR} report"
    page.select_option("#start-country", label="Japan")
    with page.expect_navigation():
        page.click("#start-draft button")
    assert page.url == f"{site['url']}/workspace/JPN/{YEAR}"

    form = page.locator("#add-evidence")  # open by itself: the draft holds no evidence yet
    form.locator("textarea[name=statement]").fill("Technical interns pay brokers fees that bind them.")
    form.locator("input[name=criteria][value=criterion_1]").check()
    form.locator("input[name=source_name]").fill("Polaris Project")
    with page.expect_navigation():
        form.locator("button").click()
    evidence_id = int(page.locator("tr[data-evidence]").first.get_attribute("data-evidence") or 0)

    saves: list[Request] = []
    page.on("request", lambda r: saves.append(r) if r.method == "PUT" and "/api/v1/assessments/" in r.url else None)
    items = methodology_for_year(YEAR).items
    for n, item in enumerate(items, start=1):
        page.select_option(f"select[name=level-{item.id}]", "substantial")
        if n == 4:  # the minimum standards rated: the engine has a tier to show
            page.wait_for_selector("#det-tier")
    page.wait_for_function("() => document.getElementById('det-tier')?.dataset.tier === '2'")
    assert "Tier 2" in page.locator("#tier").inner_text() and "The way up" in page.locator("#tier").inner_text()
    picker = page.locator("fieldset[data-criterion=criterion_1] details.evidence-pick")
    picker.locator("summary").click()
    picker.locator(f"input[value='{evidence_id}']").check()
    page.locator("input[name=signal-increasing_efforts_shown]").uncheck()
    page.wait_for_function("() => document.getElementById('det-tier')?.dataset.tier === '2WL'")
    page.wait_for_function("() => document.getElementById('save-status').textContent.startsWith('Saved')")
    assert 1 <= len(saves) <= len(items) + 2  # one save per change at most, never a reload
    assert "Tier 2 Watch List" in page.locator("#tier").inner_text()

    page.reload()  # what was saved is what the page shows
    assert page.locator("select[name=level-criterion_12]").input_value() == "substantial"
    assert page.locator(f"fieldset[data-criterion=criterion_1] input[value='{evidence_id}']").is_checked()
    assert not page.locator("input[name=signal-increasing_efforts_shown]").is_checked()
    assert page.locator("#det-tier").get_attribute("data-tier") == "2WL"

    with page.expect_navigation():
        page.click("#send-link")
    main = page.locator("main").inner_text()
    assert "what the government's liaison will see" in main
    assert "Technical interns pay brokers fees" in main and "Tier 2 Watch List" in main
    with page.expect_navigation():
        page.click("#confirm-send button[type=submit]")
    assert page.url.startswith(f"{site['url']}/workspace/JPN/{YEAR}?sent=1")
    assert "The draft was sent to the government of Japan" in page.locator("#sent-notice").inner_text()
    assert page.locator("[data-count=requests]").inner_text() == "1"


def test_the_liaison_from_login_to_a_changed_answer(browser, site):
    page = log_in_from_home(browser, site["url"], "kim")
    assert page.url == f"{site['url']}/review/KOR/{YEAR}"
    assert re.fullmatch(r"0 of 1 claim answered, deadline in \d+ days\.", page.locator("#progress").inner_text())
    claim = page.locator(f"#claim-{site['claim']}")
    assert "Criterion 3: Prevention" in claim.inner_text()
    claim.locator("textarea[name=text]").fill("A law against recruitment fees passed in 2025.")
    with page.expect_navigation():
        claim.locator("form.respond button").click()
    assert page.locator("#progress").inner_text().startswith("1 of 1 claim answered")
    claim = page.locator(f"#claim-{site['claim']}")
    assert "A law against recruitment fees passed in 2025." in claim.locator(".reply").inner_text()
    assert not claim.locator("form.respond").is_visible()  # folded under "Change your answer"
    claim.locator("details.change-answer summary").click()
    claim.locator("input[name=kind][value=confirm]").check()
    with page.expect_navigation():
        claim.locator("form.respond button").click()
    text = page.locator(f"#claim-{site['claim']}").inner_text()
    assert "Earlier answer" in text and "Latest answer" in text and "The government confirms" in text


def test_without_javascript_one_button_saves_every_rating(browser, site):
    """Progressive enhancement: with the script off, the editor is a plain form that saves all at once."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site["url"] + "/login")
    page.fill("#login-name", "ana")
    page.fill("#login-password", PASSWORD)
    with page.expect_navigation():
        page.click("form.login button[type=submit]")
    page.goto(f"{site['url']}/workspace/KOR/{YEAR}")
    for item in methodology_for_year(YEAR).items:
        page.select_option(f"select[name=level-{item.id}]", "full")
    with page.expect_navigation():
        page.click("#rating-editor button[type=submit]")
    assert page.url.startswith(f"{site['url']}/workspace/KOR/{YEAR}")
    assert page.locator("#det-tier").get_attribute("data-tier") == "1"
    assert page.locator("select[name=level-criterion_9]").input_value() == "full"
    context.close()
