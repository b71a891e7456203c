"""A liaison follows both stages of the right of reply in Debian's Chromium, from the e-mail link to the final
comments published beside the report; the e-mails come through a real SMTP server."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

import conftest
from conftest import serve_app
from tiptiers.store import jobs
from tiptiers.store.db import transaction
from tiptiers.store.models import Placement
from tiptiers.store.publication import schedule_publication, utcnow
from tiptiers.store.users import create_api_token, create_user
from tiptiers.web.app import create_app

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery staple"
FINAL_WORDS = "Japan regrets that its 2005 amendment of the Penal Code was overlooked."


def link_in(inbox, subject_start: str) -> str:
    (message,) = [m for _, m in inbox.messages if m["Subject"].startswith(subject_start)]
    return re.search(r"(http://127\.0\.0\.1:\d+/\S+)", message.get_body(("plain",)).get_content()).group(1)


def test_a_liaison_follows_both_stages_from_the_email_link_to_published_final_comments(
        tmp_path_factory, smtp, monkeypatch, browser):
    db = conftest.TestDatabase("sqlite", tmp_path_factory).load_bundled()
    with transaction(db.sessions) as s:
        create_user(s, "ana", "analyst", PASSWORD, email="ana@tiptiers.example")
        create_user(s, "tanaka", "liaison", PASSWORD, country="JPN", email="tanaka@mofa.example")
        token = create_api_token(s, "ana")[0]
        s.add(Placement(iso3="JPN", year=2027, tier="2", source="test"))
    app = create_app(db.url)
    analyst = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    with serve_app(app) as base_url:
        monkeypatch.setenv("TIPTIERS_BASE_URL", base_url)
        claim = analyst.post("/api/v1/evidence", json={
            "iso3": "JPN", "year": 2027, "criteria": ["criterion_1"], "source_type": "ngo", "source_name": "an NGO",
            "statement": "Japanese law does not criminalise labour recruitment through fraud."}).json()["id"]
        assert analyst.post("/api/v1/reviews/JPN/2027/requests", json={}).status_code == 201
        jobs.run_due(db.sessions)

        # stage 1: from the e-mail to the draft, through the login
        page = browser.new_context().new_page()
        page.goto(link_in(smtp, "The draft report on Japan"))
        assert "/login" in page.url
        page.fill("input[name=name]", "tanaka")
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("form.login button")
        assert page.url == f"{base_url}/review/JPN/2027"
        form = page.locator(f"#claim-{claim} form.respond")
        form.locator("input[value=dispute]").check()
        form.locator("textarea[name=text]").fill("This is false.")
        form.locator("textarea[name=counter_evidence]").fill("Penal Code art. 226-2")
        with page.expect_navigation():
            form.locator("button").click()
        with page.expect_navigation():
            page.get_by_role("button", name="Our review is complete").click()

        # the analyst answers the dispute and sends the final report
        dispute = analyst.get("/api/v1/reviews/JPN/2027").json()["claims"][0]["disputes"][0]["id"]
        assert analyst.post(f"/api/v1/disputes/{dispute}/resolution",
                            json={"outcome": "maintained", "reason": "Two NGOs report it."}).status_code == 200
        sent = analyst.post("/api/v1/reviews/JPN/2027/requests", json={"stage": "final"})
        assert sent.status_code == 201, sent.text
        jobs.run_due(db.sessions)

        # stage 2: from the second e-mail to the final comments
        page.goto(link_in(smtp, "The final report on Japan"))
        section = page.locator("#final-stage")
        assert "Final comments are due by" in section.inner_text()
        assert "Two NGOs report it." in page.locator(f"#claim-{claim}").inner_text()  # the resolution it carries
        section.locator("textarea[name=text]").fill(FINAL_WORDS)
        with page.expect_navigation():
            section.get_by_role("button", name="Send the final comments").click()
        assert FINAL_WORDS in page.locator("#final-stage blockquote").inner_text()
        with page.expect_navigation():
            page.get_by_role("button", name="Our final comments are complete").click()
        assert "Your final comments were completed" in page.locator("#final-stage").inner_text()

        # published: the final comments beside the report, for anyone
        with transaction(db.sessions) as s:
            now = utcnow()
            schedule_publication(s, 2027, now + timedelta(seconds=1), "ann", now=now)
        public = browser.new_context().new_page()
        page.wait_for_timeout(1500)
        public.goto(f"{base_url}/narratives/JPN/2027")
        assert FINAL_WORDS in public.locator("#final-comments").inner_text()
        assert "Two NGOs report it." in public.content()  # the resolution printed beside the claim
        jobs.run_due(db.sessions)
        subjects = [m["Subject"] for _, m in smtp.messages]
        assert subjects.count("The draft report on Japan for 2027 is ready for your comments") == 1
        assert "Japan completed its review of the final report (2027)" in subjects
    db.drop()
