"""In Debian's Chromium: a liaison disputes a claim in Spanish and comments in Arabic, an analyst adds the English
translation of the dispute, and once the year is published the public page shows the Spanish words with the English
translation beside them, marked as the office's, and the Arabic comment right to left."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect

import conftest
from conftest import serve_app
from test_review_browser import _log_in as log_in
from tiptiers.store.db import transaction
from tiptiers.store.models import Placement
from tiptiers.store.publication import schedule_publication, utcnow
from tiptiers.store.users import create_api_token, create_user
from tiptiers.web.app import create_app

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery staple"
SPANISH = "La ley de 2005 tipifica la contratación fraudulenta de trabajadores."
ENGLISH = "The 2005 law criminalises the fraudulent recruitment of workers."
ARABIC = "القانون يجرم الاتجار بالبشر منذ عام 2005."


def test_a_spanish_dispute_its_english_translation_and_an_arabic_comment_read_right(tmp_path_factory, browser):
    db = conftest.TestDatabase("sqlite", tmp_path_factory).load_bundled()
    with transaction(db.sessions) as s:
        create_user(s, "ana", "analyst", PASSWORD)
        create_user(s, "tanaka", "liaison", PASSWORD, country="JPN")
        token = create_api_token(s, "ana")[0]
        s.add(Placement(iso3="JPN", year=2027, tier="2", source="test"))
    app = create_app(db.url)
    api = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    claim = api.post("/api/v1/evidence", json={
        "iso3": "JPN", "year": 2027, "criteria": ["criterion_1"], "source_type": "ngo", "source_name": "an NGO",
        "statement": "Japanese law does not criminalise labour recruitment through fraud."}).json()["id"]
    assert api.post("/api/v1/reviews/JPN/2027/requests", json={}).status_code == 201
    with serve_app(app) as base_url:
        # the liaison disputes in Spanish, then comments in Arabic
        liaison = log_in(browser, base_url, "tanaka", "/review/JPN/2027")
        form = liaison.locator(f"#claim-{claim} form.respond")
        form.locator("input[value=dispute]").check()
        form.locator("textarea[name=text]").fill(SPANISH)
        form.locator("textarea[name=counter_evidence]").fill("Código Penal, artículo 226-2")
        form.locator("select[name=language]").select_option("es")
        with liaison.expect_navigation():
            form.locator("button").click()
        reply = liaison.locator(f"#claim-{claim} .reply-dispute .user-text").first
        assert reply.inner_text() == SPANISH and reply.get_attribute("lang") == "es"
        form = liaison.locator(f"#claim-{claim} form.respond")
        liaison.locator(f"#claim-{claim} details.change-answer summary").click()
        form.locator("textarea[name=text]").fill(ARABIC)
        form.locator("select[name=language]").select_option("ar")
        with liaison.expect_navigation():
            form.locator("button").click()

        # the analyst adds the English translation of the dispute on the review page
        analyst = log_in(browser, base_url, "ana", "/review/JPN/2027")
        dispute = analyst.locator(f"#claim-{claim} .reply-dispute")
        dispute.locator("details.translate summary").click()
        translate = dispute.locator("form.translate-form")
        assert translate.locator("select[name=language]").input_value() == "en"  # from Spanish: into English
        translate.locator("textarea[name=text]").fill("  ")
        translate.locator("button").click()
        expect(translate.locator("output.form-error")).to_have_text("text: must not be empty")  # nothing stored
        assert api.get("/api/v1/reviews/JPN/2027").json()["claims"][0]["disputes"][0]["translations"] == []
        translate.locator("textarea[name=text]").fill(ENGLISH)
        with analyst.expect_navigation():
            translate.locator("button").click()
        assert "Translation (English) by the office" in analyst.locator(f"#claim-{claim} .reply-dispute").inner_text()
        dispute_id = api.get("/api/v1/reviews/JPN/2027").json()["claims"][0]["disputes"][0]["id"]
        assert api.post(f"/api/v1/disputes/{dispute_id}/resolution",
                        json={"outcome": "maintained", "reason": "Two NGOs report it."}).status_code == 200

        # published: the public page shows the government's words with the translation beside them
        with transaction(db.sessions) as s:
            now = utcnow()
            schedule_publication(s, 2027, now + timedelta(seconds=1), "ann", now=now, ignore_gate=True)
        public = browser.new_context().new_page()
        public.wait_for_timeout(1500)
        public.goto(f"{base_url}/narratives/JPN/2027")
        cell = public.locator(f"tr[data-claim='{claim}'] td.comment")
        spanish = cell.locator(".user-text[lang=es]")
        assert spanish.inner_text() == SPANISH
        translation = cell.locator(".translation[data-translation=en]")
        assert translation.inner_text() == f"Translation (English) by the office: {ENGLISH}"
        arabic = cell.locator(".user-text[lang=ar]")
        assert arabic.inner_text() == ARABIC and arabic.get_attribute("dir") == "auto"
        assert arabic.evaluate("el => getComputedStyle(el).direction") == "rtl"
        assert spanish.evaluate("el => getComputedStyle(el).direction") == "ltr"
    db.drop()
