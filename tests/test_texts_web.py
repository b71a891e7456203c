"""Governments' texts in their languages and the office's translations, through the API and the pages: who may do
what, bad input, and what the public sees once (and only once) the year is published."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

import conftest
from tiptiers.store.db import transaction
from tiptiers.store.models import Placement
from tiptiers.store.publication import schedule_publication, utcnow
from tiptiers.store.reviews import ClaimResponse
from tiptiers.store.texts import TextTranslation
from tiptiers.store.users import create_api_token, create_user
from tiptiers.web.app import create_app

PASSWORD = "correct horse battery staple"
ACCOUNTS = {"root": ("admin", None), "ana": ("analyst", None), "rev": ("reviewer", None),
            "jpn": ("liaison", "JPN")}
SPANISH = "La ley de 2005 tipifica la contratación fraudulenta."
ENGLISH = "The 2005 law criminalises fraudulent recruitment."
ARABIC = "القانون يجرم الاتجار بالبشر منذ عام 2005."


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[dict[str, Any]]:
    db = conftest.TestDatabase("sqlite", tmp_path_factory).load_bundled()
    tokens = {}
    with transaction(db.sessions) as s:
        for name, (role, country) in ACCOUNTS.items():
            create_user(s, name, role, PASSWORD, country=country)
            tokens[name] = create_api_token(s, name)[0]
        s.add(Placement(iso3="JPN", year=2027, tier="2", source="test"))
    app = create_app(db.url)
    clients = {}
    for name, token in tokens.items():
        clients[name] = TestClient(app, raise_server_exceptions=False, headers={"Authorization": f"Bearer {token}"})
    clients["public"] = TestClient(app, raise_server_exceptions=False)
    ana = clients["ana"]
    claim = ok(ana.post("/api/v1/evidence", json={
        "iso3": "JPN", "year": 2027, "criteria": ["criterion_1"], "source_type": "ngo", "source_name": "an NGO",
        "statement": "Japanese law does not criminalise labour recruitment through fraud."}), 201)["id"]
    ok(ana.post("/api/v1/reviews/JPN/2027/requests", json={}), 201)
    yield {"db": db, "app": app, "claim": claim, **clients}
    db.drop()


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def error(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    return body["error"]["detail"] if "error" in body else body["detail"]


def count(site: dict[str, Any], model: Any) -> int:
    with site["db"].sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_1_a_dispute_in_spanish_its_translation_and_the_published_page(site):
    jpn, ana, public = site["jpn"], site["ana"], site["public"]
    url = f"/api/v1/reviews/JPN/2027/claims/{site['claim']}/responses"
    # a bad language tag: refused naming the field, nothing stored
    before = count(site, ClaimResponse)
    assert error(jpn.post(url, json={"kind": "dispute", "text": SPANISH, "counter_evidence": "Código Penal 226",
                                     "language": "espanol"}), 422).startswith("language: 'espanol' is not a known")
    assert count(site, ClaimResponse) == before
    dispute = ok(jpn.post(url, json={"kind": "dispute", "text": SPANISH, "counter_evidence": "Código Penal 226",
                                     "language": "es"}), 201)
    assert dispute["language"] == "es" and dispute["translations"] == []
    comment = ok(jpn.post(url, json={"kind": "comment", "text": ARABIC, "language": "ar"}), 201)
    english = ok(jpn.post(url, json={"kind": "comment", "text": "No language given."}), 201)
    assert (comment["language"], english["language"]) == ("ar", "en")

    tr = "/api/v1/reviews/JPN/2027/translations"
    body = {"text_kind": "response", "text_id": str(dispute["id"]), "language": "en", "text": ENGLISH}
    # who may translate: admin and analyst; not the liaison, not a reviewer, not the public
    for who, status in (("jpn", 403), ("rev", 403), ("public", 401)):
        assert site[who].post(tr, json=body).status_code == status
    assert error(ana.post(tr, json=body | {"text": "  "}), 422) == "text: must not be empty"
    assert error(ana.post(tr, json=body | {"language": "xx"}), 422).startswith("language: 'xx' is not a known")
    assert error(ana.post(tr, json=body | {"text_kind": "poem"}), 422).startswith("text_kind: 'poem' is not one of")
    assert error(ana.post(tr, json=body | {"text_id": "999999"}), 404).startswith("no response '999999'")
    assert count(site, TextTranslation) == 0
    saved = ok(ana.post(tr, json=body), 201)
    assert (saved["language"], saved["language_name"], saved["translator"]) == ("en", "English", "ana")

    draft = ok(ana.get("/api/v1/reviews/JPN/2027"))
    [claim] = draft["claims"]
    by_id = {r["id"]: r for r in claim["responses"]}
    assert by_id[dispute["id"]]["translations"][0]["text"] == ENGLISH
    assert claim["disputes"][0]["language"] == "es" and claim["disputes"][0]["translations"][0]["text"] == ENGLISH
    # the liaison sees the office's translation of its own words on its draft
    assert ok(jpn.get("/api/v1/reviews/JPN/2027"))["claims"][0]["disputes"][0]["translations"][0]["text"] == ENGLISH

    # the staff pages show the words with their language, and the translation marked as the office's
    page = ana.get("/review/JPN/2027", headers={"Accept": "text/html"}).text
    assert re.search(r'<[^>]+lang="es"[^>]+dir="auto"[^>]*>' + re.escape(SPANISH), page) or \
        re.search(r'<[^>]+dir="auto"[^>]+lang="es"[^>]*>' + re.escape(SPANISH), page)
    assert "Translation (English) by the office" in page and ENGLISH in page
    assert 'lang="ar"' in page
    workspace = ana.get("/workspace/JPN/2027", headers={"Accept": "text/html"}).text
    assert 'lang="es"' in workspace and ENGLISH in workspace

    # under embargo the public sees nothing of it, nor of the narrative's translation
    ok(site["root"].post("/api/v1/narratives/JPN/2027", json={"markdown": "# Japón\n\nBorrador.", "language": "es"}))
    for path in ("/api/v1/narratives/JPN/2027.json", "/narratives/JPN/2027", "/api/v1/narratives/JPN/2027/es.json",
                 "/narratives/JPN/2027/in/es"):
        assert public.get(path).status_code == 404, path

    # the analysts resolve, the government completes, the year is published
    ok(ana.post(f"/api/v1/disputes/{dispute['id']}/resolution", json={"outcome": "maintained",
                                                                      "reason": "Two NGOs report it."}))
    ok(jpn.post("/api/v1/reviews/JPN/2027/complete"))
    ok(ana.post("/api/v1/reviews/JPN/2027/requests", json={"stage": "final"}), 201)
    final = ok(jpn.post("/api/v1/reviews/JPN/2027/final-comments", json={"text": "Le Japon remercie le bureau.",
                                                                          "language": "fr"}), 201)
    assert final["language"] == "fr"
    ok(ana.post(tr, json={"text_kind": "final_comment", "text_id": str(final["id"]), "language": "en",
                          "text": "Japan thanks the office."}), 201)
    assert ok(jpn.get("/api/v1/reviews/JPN/2027"))["final_comments"][0]["translations"][0]["text"] == \
        "Japan thanks the office."
    staff_page = ana.get("/review/JPN/2027", headers={"Accept": "text/html"}).text
    assert 'name="text_kind" value="final_comment"' in staff_page and 'lang="fr"' in staff_page
    with transaction(site["db"].sessions) as s:
        now = utcnow()
        schedule_publication(s, 2027, now - timedelta(seconds=1), "root", now=now, ignore_gate=True)
    published = ok(public.get("/api/v1/narratives/JPN/2027.json"))
    comments = {c["text"]: c for c in published["claims"][0]["comments"]}
    assert comments[SPANISH]["language"] == "es"
    assert [(t["language"], t["text"], t["translator"]) for t in comments[SPANISH]["translations"]] == [
        ("en", ENGLISH, "ana")]
    assert comments[ARABIC]["language"] == "ar" and comments[ARABIC]["translations"] == []
    html = public.get("/narratives/JPN/2027").text
    assert SPANISH in html and ENGLISH in html and "Translation (English) by the office" in html
    assert 'dir="auto"' in html and 'lang="ar"' in html
    assert "Borrador." in public.get("/narratives/JPN/2027/in/es").text
    [published_final] = published["final_comments"]
    assert published_final["language"] == "fr" and published_final["translations"][0]["text"] == \
        "Japan thanks the office."
    assert "Japan thanks the office." in html
    # a translation added after publication shows at once (the page cache follows the activity log)
    ok(ana.post(tr, json=body | {"language": "fr", "text": "La loi de 2005 réprime le recrutement frauduleux."}), 201)
    assert "La loi de 2005 réprime le recrutement frauduleux." in public.get("/narratives/JPN/2027").text
    assert "Translation (French) by the office" in public.get("/narratives/JPN/2027").text


def test_2_narrative_translations_per_language_offered_on_the_public_page(site):
    root, public = site["root"], site["public"]
    # 2008 is published: the first Spanish version needs no note, a later one does
    saved = ok(root.post("/api/v1/narratives/JPN/2008", json={"markdown": "# Japón\n\nLa traducción.",
                                                               "language": "es"}))
    assert (saved["version"], saved["language"], saved["correction"]) == (1, "es", False)
    assert error(root.post("/api/v1/narratives/JPN/2008", json={"markdown": "# Japón\n\nOtra.", "language": "es"}),
                 422).startswith("note: ")
    assert error(root.post("/api/v1/narratives/JPN/2008", json={"markdown": "# X", "language": "zz"}),
                 422).startswith("language: 'zz'")
    assert site["jpn"].post("/api/v1/narratives/JPN/2008", json={"markdown": "# X", "language": "es"}
                            ).status_code == 403
    data = ok(public.get("/api/v1/narratives/JPN/2008.json"))
    assert (data["language"], data["languages"]) == ("en", ["en", "es"])
    spanish = ok(public.get("/api/v1/narratives/JPN/2008/es.json"))
    assert spanish["language"] == "es" and "La traducción." in spanish["markdown"]
    assert error(public.get("/api/v1/narratives/JPN/2008/fr.json"), 404).startswith("language: ")
    page = public.get("/narratives/JPN/2008").text
    assert 'href="/narratives/JPN/2008/in/es"' in page and 'hreflang="es"' in page
    translated = public.get("/narratives/JPN/2008/in/es").text
    assert "La traducción." in translated and 'lang="es"' in translated and 'aria-current="true"' in translated
    assert public.get("/narratives/JPN/2008/in/fr").status_code == 404
    # the editor's form edits a translation: it starts from that translation, and saving shows it
    edit = root.get("/narratives/JPN/2008/edit?language=es").text
    assert '<option value="es" lang="es" selected>' in edit and "La traducción." in edit
    assert "# Japan" in root.get("/narratives/JPN/2008/edit?language=fr").text  # a new one starts from English
    saved = root.post("/narratives/JPN/2008/edit", data={"markdown": "# Japón\n\nLa traducción, revisada.",
                                                         "note": "Revisada.", "language": "es"},
                      follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/narratives/JPN/2008/in/es"
    assert "La traducción, revisada." in public.get("/narratives/JPN/2008/in/es").text


def test_3_questionnaire_answers_and_final_comments_carry_their_language(site):
    jpn, ana = site["jpn"], site["ana"]
    assert error(jpn.put("/api/v1/questionnaires/JPN/2027", json={"answers": {"laws": "Una ley."},
                                                                 "language": "nope"}), 422).startswith("language: ")
    items = ok(jpn.put("/api/v1/questionnaires/JPN/2027", json={"answers": {"laws": "Una ley de 2026."},
                                                               "language": "es"}))["items"]
    assert {i["id"]: i["language"] for i in items}["laws"] == "es"
    ok(ana.post("/api/v1/reviews/JPN/2027/translations", json={"text_kind": "answer", "text_id": "laws",
                                                               "language": "en", "text": "A law of 2026."}), 201)
    laws = {i["id"]: i for i in ok(ana.get("/api/v1/questionnaires/JPN/2027"))["items"]}["laws"]
    assert [t["text"] for t in laws["translations"]] == ["A law of 2026."]
    page = ana.get("/review/JPN/2027/questionnaire", headers={"Accept": "text/html"}).text
    assert 'lang="es"' in page and "Translation (English) by the office" in page and "A law of 2026." in page
    assert 'name="text_kind" value="answer"' in page  # staff add translations here
    liaison = jpn.get("/review/JPN/2027/questionnaire", headers={"Accept": "text/html"}).text
    assert '<select name="language" id="answers-language">' in liaison and "text_kind" not in liaison
    assert '<option value="en" lang="en" selected>English</option>' in liaison  # the page's language by default
