"""What governments write keeps its language; the office adds translations (one per language, a replacement
logged); narratives have versions per language. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tiptiers.store import activity
from tiptiers.store.checks import EvidenceError, NotFound
from tiptiers.store.db import transaction
from tiptiers.store.evidence import add_evidence
from tiptiers.store.publication import (
    PublicationError,
    narrative_languages,
    narrative_versions,
    public_narrative,
    save_narrative,
    schedule_publication,
)
from tiptiers.store.questionnaires import answer_texts, save_answers
from tiptiers.store.reviews import (
    add_final_comment,
    claims,
    complete_review,
    final_comment_translations,
    final_comments,
    resolve_dispute,
    respond,
    send_request,
)
from tiptiers.store.texts import TextTranslation, check_language, language_name, translate

SPANISH = "La ley de 2005 tipifica la contratación fraudulenta."
ARABIC = "القانون يجرم الاتجار بالبشر منذ عام 2005."


@pytest.mark.parametrize(("given", "canonical"), [
    ("es", "es"), ("ES", "es"), ("spa", "es"), ("pt-br", "pt-BR"), ("zh-hant", "zh-Hant"), ("sr-Cyrl-RS", "sr-Cyrl-RS"),
    ("es-419", "es-419"), ("es_MX", "es-MX"), ("ar", "ar"), ("haw", "haw")])
def test_language_tags_are_checked_against_the_iso_lists_and_written_canonically(given, canonical):
    assert check_language("language", given) == canonical


@pytest.mark.parametrize("bad", ["", "xx", "english", "e", "es-Xxxx", "es-QQ", "es-999", "en-US-x-private"])
def test_an_unknown_language_tag_is_refused_naming_the_field(bad):
    with pytest.raises(EvidenceError, match=r"^language: "):
        check_language("language", bad)


def test_language_names_read_in_english():
    assert language_name("es") == "Spanish"
    assert language_name("ar") == "Arabic"
    assert language_name("pt-BR") == "Portuguese (BR)"


@pytest.fixture
def draft(fresh_db):
    """Japan's 2027 draft sent, with one claim."""
    db = fresh_db.load_bundled()
    with transaction(db.sessions) as s:
        claim = add_evidence(s, iso3="JPN", year=2027, criteria=["criterion_1"], statement="A claim.",
                             source_type="ngo", source_name="An NGO", entered_by="ana").id
        send_request(s, "JPN", 2027, "ana", sent_at=datetime(2027, 4, 1, 9))
    return db, claim


def _count(db, model) -> int:
    with db.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_a_dispute_keeps_its_language_and_the_office_adds_one_translation_per_language(draft):
    db, claim = draft
    with transaction(db.sessions) as s:
        dispute = respond(s, "JPN", 2027, claim, "dispute", SPANISH, "tanaka", counter_evidence="Código Penal 226",
                          today=date(2027, 4, 5), language="es").id
        comment = respond(s, "JPN", 2027, claim, "comment", ARABIC, "tanaka", today=date(2027, 4, 5),
                          language="ar").id
    with transaction(db.sessions) as s:
        translate(s, "JPN", 2027, "response", str(dispute), "en", "The 2005 law criminalises fraudulent hiring.",
                  "ana")
    with db.sessions() as s:
        [c] = claims(s, "JPN", 2027)
        by_id = {k.id: k for k in c.comments}
        assert by_id[dispute].language == "es" and by_id[comment].language == "ar"
        [t] = by_id[dispute].translations
        assert (t.language, t.text, t.translator) == ("en", "The 2005 law criminalises fraudulent hiring.", "ana")
        assert c.disputes[0].language == "es" and c.disputes[0].translations == (t,)
        assert by_id[comment].translations == ()
        entry = activity.entries(s, action="translation.", limit=1)[0]
        assert entry.action == "translation.add" and activity.scope(entry) == ("JPN", 2027)
    # a second English translation replaces the first; the log keeps the first
    with transaction(db.sessions) as s:
        translate(s, "JPN", 2027, "response", str(dispute), "en", "Since 2005 the law punishes fraudulent hiring.",
                  "ana")
    with db.sessions() as s:
        [t] = claims(s, "JPN", 2027)[0].comments[0].translations
        assert t.text == "Since 2005 the law punishes fraudulent hiring."
        entry = activity.entries(s, action="translation.", limit=1)[0]
        assert entry.action == "translation.replace"
        assert entry.before["text"] == "The 2005 law criminalises fraudulent hiring."
    assert _count(db, TextTranslation) == 1
    # the analysts resolve it as usual
    with transaction(db.sessions) as s:
        resolve_dispute(s, dispute, "maintained", "ana", reason="Two NGOs report it.")


def test_bad_input_names_the_field_and_stores_nothing(draft):
    db, claim = draft
    with pytest.raises(EvidenceError, match=r"^language: 'xx' is not a known language tag"), \
            transaction(db.sessions) as s:
        respond(s, "JPN", 2027, claim, "dispute", SPANISH, "tanaka", counter_evidence="art. 226",
                today=date(2027, 4, 5), language="xx")
    with transaction(db.sessions) as s:
        dispute = respond(s, "JPN", 2027, claim, "dispute", SPANISH, "tanaka", counter_evidence="art. 226",
                          today=date(2027, 4, 5), language="es").id
    seq = _count(db, activity.ActivityEntry)
    for kind, ref, language, text, error in [
        ("response", str(dispute), "en", "   ", EvidenceError("text: must not be empty")),
        ("response", str(dispute), "klingon", "Words.", EvidenceError("language: 'klingon' is not a known")),
        ("response", str(dispute), "es", "Palabras.", EvidenceError("language: the text is written in Spanish")),
        ("response", str(dispute + 99), "en", "Words.", NotFound("no response")),
        ("letter", str(dispute), "en", "Words.", EvidenceError("text_kind: 'letter' is not one of")),
        ("final_comment", "1", "en", "Words.", NotFound("no final comment '1' of JPN 2027")),
        ("answer", "laws", "en", "Words.", NotFound("no answer 'laws' of JPN 2027")),
    ]:
        with pytest.raises(type(error), match=str(error)), transaction(db.sessions) as s:
            translate(s, "JPN", 2027, kind, ref, language, text, "ana")
    with pytest.raises(NotFound), transaction(db.sessions) as s:  # another country's text
        translate(s, "KOR", 2027, "response", str(dispute), "en", "Words.", "ana")
    assert _count(db, TextTranslation) == 0
    assert _count(db, activity.ActivityEntry) == seq


def test_final_comments_and_questionnaire_answers_keep_their_language(draft):
    db, claim = draft
    with transaction(db.sessions) as s:
        respond(s, "JPN", 2027, claim, "confirm", "", "tanaka", today=date(2027, 4, 5))
        complete_review(s, "JPN", 2027, "tanaka", today=date(2027, 4, 5))
        send_request(s, "JPN", 2027, "ana", stage="final", sent_at=datetime(2027, 4, 6, 9))
        comment = add_final_comment(s, "JPN", 2027, "Le Japon remercie le bureau.", "tanaka",
                                    today=date(2027, 4, 7), language="fr").id
        save_answers(s, "JPN", 2027, {"laws": "Una ley de 2026.", "victims_identified": "2 000 víctimas."}, "tanaka",
                     language="es")
    with transaction(db.sessions) as s:
        translate(s, "JPN", 2027, "final_comment", str(comment), "en", "Japan thanks the office.", "ana")
        translate(s, "JPN", 2027, "answer", "laws", "en", "A law of 2026.", "ana")
        # the form sends every answer again: an unchanged one keeps its language, a changed one takes the new
        save_answers(s, "JPN", 2027, {"laws": "Una ley de 2026.", "victims_identified": "2,000 victims."}, "tanaka",
                     language="en")
    with db.sessions() as s:
        [c] = final_comments(s, "JPN", 2027)
        assert c.language == "fr" and c.as_dict()["language"] == "fr"
        [t] = final_comment_translations(s, [c])[c.id]
        assert t.text == "Japan thanks the office."
        answers = answer_texts(s, "JPN", 2027)
        assert answers["laws"][0] == "es" and [x.text for x in answers["laws"][1]] == ["A law of 2026."]
        assert answers["victims_identified"] == ("en", [])
    with pytest.raises(EvidenceError, match=r"^language: "), transaction(db.sessions) as s:
        save_answers(s, "JPN", 2027, {"laws": "Otra."}, "tanaka", language="nope")


def test_a_translation_of_an_answer_changed_since_is_marked_stale(draft):
    db, _ = draft
    with transaction(db.sessions) as s:
        save_answers(s, "JPN", 2027, {"laws": "Una ley de 2026."}, "tanaka", language="es")
    with transaction(db.sessions) as s:
        translate(s, "JPN", 2027, "answer", "laws", "en", "A law of 2026.", "ana")
        save_answers(s, "JPN", 2027, {"laws": "Dos leyes de 2026."}, "tanaka", language="es")
    from tiptiers.store.reviews import translations_of

    with db.sessions() as s:
        _, rows = answer_texts(s, "JPN", 2027)["laws"]
        assert [t.stale for t in translations_of(rows, "Dos leyes de 2026.")] == [True]


def test_existing_texts_are_english(draft):
    db, claim = draft
    with transaction(db.sessions) as s:
        respond(s, "JPN", 2027, claim, "comment", "A comment.", "tanaka", today=date(2027, 4, 5))
    with db.sessions() as s:
        assert claims(s, "JPN", 2027)[0].comments[0].language == "en"


def test_narratives_have_versions_per_language_and_the_public_sees_published_ones_only(fresh_db):
    db = fresh_db.load_bundled()
    now = datetime(2026, 12, 1, 12)
    with transaction(db.sessions) as s:
        save_narrative(s, "JPN", 2008, "# Japan\n\nThe original.", "ana", note="Stored.", now=now)
    with transaction(db.sessions) as s:
        v1 = save_narrative(s, "JPN", 2008, "# Japón\n\nLa traducción.", "ana", now=now, language="es")
        assert (v1.version, v1.language) == (1, "es")  # a first translation after publication needs no note
    with pytest.raises(PublicationError, match=r"^note: "), transaction(db.sessions) as s:
        save_narrative(s, "JPN", 2008, "# Japón\n\nOtra.", "ana", now=now, language="es")
    with transaction(db.sessions) as s:
        save_narrative(s, "JPN", 2008, "# Japón\n\nLa traducción corregida.", "ana", note="Una errata.",
                       now=now + timedelta(minutes=1), language="es")
    with pytest.raises(PublicationError, match=r"^language: "), transaction(db.sessions) as s:
        save_narrative(s, "JPN", 2008, "# X", "ana", note="x", now=now, language="zz")
    with db.sessions() as s:
        assert narrative_languages(s, "JPN", 2008) == ["en", "es"]
        assert [v.version for v in narrative_versions(s, "JPN", 2008)] == [1]
        assert [v.version for v in narrative_versions(s, "JPN", 2008, "es")] == [1, 2]
        public = public_narrative(s, "JPN", 2008, now + timedelta(hours=1), language="es")
        assert public is not None and public.current is not None
        assert public.current.markdown.endswith("corregida.") and [v.version for v in public.corrections] == [2]
        assert public_narrative(s, "JPN", 2008, now, language="fr") is None
    # a year in preparation: no translation shows before publication
    with transaction(db.sessions) as s:
        save_narrative(s, "JPN", 2027, "# Japón 2027", "ana", now=now, language="es")
        add_evidence(s, iso3="JPN", year=2027, criteria=["criterion_1"], statement="A claim.", source_type="ngo",
                     source_name="An NGO", entered_by="ana")
    with db.sessions() as s:
        assert public_narrative(s, "JPN", 2027, now, language="es") is None
    with transaction(db.sessions) as s:
        from tiptiers.store.models import Placement

        s.add(Placement(iso3="JPN", year=2027, tier="2", source="test"))
        s.flush()
        activity.record(s, "test", "placements.import", "placements:2027", None, {"rows": 1})
        schedule_publication(s, 2027, now + timedelta(hours=1), "ann", now=now, ignore_gate=True)
    with db.sessions() as s:
        assert public_narrative(s, "JPN", 2027, now + timedelta(hours=2), language="es") is not None
