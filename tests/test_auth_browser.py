"""Logging in and out in a real browser (Debian's headless Chromium via Playwright), under the app's CSP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conftest import TestDatabase, serve_app
from tiptiers.store import users as store
from tiptiers.store.db import transaction
from tiptiers.web.app import create_app

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = TestDatabase("sqlite", tmp_path_factory)
    with transaction(db.sessions) as session:
        store.create_user(session, "ann", "admin", PASSWORD, actor="test")
        store.create_user(session, "tanaka", "liaison", PASSWORD, "JPN", actor="test")
    with serve_app(create_app(db.url)) as url:
        yield url
    db.drop()



def test_an_admin_logs_in_reads_the_activity_log_and_logs_out(browser, base_url):
    context = browser.new_context()
    page = context.new_page()
    csp_errors: list[str] = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)

    page.goto(f"{base_url}/admin/activity")
    page.wait_for_url(f"{base_url}/login?next=%2Fadmin%2Factivity")
    page.fill("#login-name", "ann")
    page.fill("#login-password", "not the password")
    page.click("form.login button[type=submit]")
    assert page.locator("#login-error").inner_text() == "Wrong name or password."

    page.fill("#login-password", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_url(f"{base_url}/admin/activity")
    assert page.locator("#current-user").inner_text() == "ann (administrator)"
    assert page.locator("table.activity tr[data-seq]").count() == 3  # two accounts and this login
    newest = page.locator("table.activity tbody tr").first.locator("td")
    assert [newest.nth(i).inner_text() for i in (2, 3, 4)] == ["ann", "session.login", "user:ann"]
    cookie = next(c for c in context.cookies() if c["name"] == "tiptiers_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert page.evaluate("document.cookie").find("tiptiers_session") == -1  # no script can read it
    assert page.evaluate("getComputedStyle(document.querySelector('header.site .account')).marginLeft") != "0px"

    page.click("form.logout button")
    page.wait_for_url(f"{base_url}/")
    assert page.locator("#login-link").is_visible()
    assert page.locator("#current-user").count() == 0
    page.goto(f"{base_url}/admin/activity")
    page.wait_for_url(f"{base_url}/login?next=%2Fadmin%2Factivity")
    assert csp_errors == []
    context.close()


def test_a_liaison_is_refused_the_activity_log(browser, base_url):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base_url}/login")
    page.fill("#login-name", "tanaka")
    page.fill("#login-password", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_url(f"{base_url}/work")  # no draft was sent to Japan here: the page says so
    assert "No draft of Japan's report has been sent to you yet" in page.locator("main").inner_text()
    assert page.locator("#current-user").inner_text() == "tanaka (government liaison, Japan)"
    assert page.locator("header.site a[href='/admin/activity']").count() == 0
    response = page.goto(f"{base_url}/admin/activity")
    assert response is not None and response.status == 403
    context.close()
