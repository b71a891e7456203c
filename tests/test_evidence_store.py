"""Evidence, attachments, assessments and the right of reply in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tiptiers.store.activity import ActivityEntry
from tiptiers.store.assessments import RatingIn, rating_views, save_assessment
from tiptiers.store.attachments import Attachment, store_attachment
from tiptiers.store.checks import EvidenceError, NotFound
from tiptiers.store.db import transaction
from tiptiers.store.evidence import Evidence, EvidenceTransition, add_evidence, get_evidence, list_evidence, set_state
from tiptiers.store.placements import sync_countries
from tiptiers.store.questionnaires import questionnaire, save_answers
from tiptiers.store.reviews import (
    claims,
    complete_review,
    publish_gate,
    published_claims,
    record_gate_override,
    request_counts,
    resolve_dispute,
    respond,
    review_status,
    send_request,
)

NGO_CLAIM = "Japanese law does not criminalise the recruitment of labourers through fraud."
LAW = "Article 226-2 of the Penal Code (as amended in 2005) punishes the buying and selling of persons, " \
      "including recruitment by deception"


@pytest.fixture
def db(fresh_db):
    with transaction(fresh_db.sessions) as session:
        sync_countries(session)
    return fresh_db


def _ngo_claim(session, iso3="JPN", year=2026, statement=NGO_CLAIM, source="Polaris Project") -> Evidence:
    return add_evidence(session, iso3=iso3, year=year, criteria=["criterion_1"], statement=statement,
                        source_type="ngo", source_name=source, entered_by="ana", source_date=date(2026, 1, 10))


def test_evidence_starts_unverified_and_every_transition_is_recorded(db):
    with transaction(db.sessions) as s:
        claim = _ngo_claim(s)
        other = _ngo_claim(s, statement="ILO: recruitment fees charged to technical interns", source="ILO")
        set_state(s, claim.id, "corroborated", "ana", "ILO report", corroborated_by=other.id)
        set_state(s, other.id, "withdrawn", "ana", "misattributed")
    with db.sessions() as s:
        row = get_evidence(s, claim.id)
        assert (row.state, row.corroborated_by_id) == ("corroborated", other.id)
        steps = [(t.from_state, t.to_state, t.actor) for t in row.transitions]
        assert steps == [(None, "unverified", "ana"), ("unverified", "corroborated", "ana")]
        assert [e.id for e in list_evidence(s, "JPN", 2026, state="withdrawn")] == [other.id]


@pytest.mark.parametrize(("change", "field"), [
    ({"iso3": "XXX"}, "iso3"),
    ({"year": 1999}, "year"),
    ({"criteria": []}, "criteria"),
    ({"statement": "  "}, "statement"),
    ({"source_type": "blog"}, "source_type"),
    ({"source_url": "javascript:alert(1)"}, "source_url"),
    ({"attachment_sha256": "0" * 64}, "attachment"),
])
def test_bad_evidence_names_the_field_and_stores_nothing(db, change, field):
    fields = {"iso3": "JPN", "year": 2026, "criteria": ["criterion_1"], "statement": NGO_CLAIM, "source_type": "ngo",
              "source_name": "Polaris", "entered_by": "ana", **change}
    with pytest.raises(EvidenceError, match=f"^{field}"), transaction(db.sessions) as s:
        add_evidence(s, **fields)
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Evidence)) == 0
        assert s.scalar(select(func.count()).select_from(EvidenceTransition)) == 0


def test_corroboration_must_be_independent_and_withdrawn_is_final(db):
    with transaction(db.sessions) as s:
        a, b = _ngo_claim(s), _ngo_claim(s, statement="the same NGO again")
    with pytest.raises(EvidenceError, match="same source"), transaction(db.sessions) as s:
        set_state(s, a.id, "corroborated", "ana", corroborated_by=b.id)
    with pytest.raises(EvidenceError, match="liaison"), transaction(db.sessions) as s:
        set_state(s, a.id, "confirmed_by_government", "ana")
    with transaction(db.sessions) as s:
        set_state(s, a.id, "withdrawn", "ana", "source retracted")
    with pytest.raises(EvidenceError, match="withdrawn is final"), transaction(db.sessions) as s:
        set_state(s, a.id, "corroborated", "ana", corroborated_by=b.id)


def test_the_same_file_is_stored_once(db):
    content = b"%PDF-1.4 Penal Code article 226-2"
    with transaction(db.sessions) as s:
        first = store_attachment(s, "penal-code.pdf", content, "application/pdf")
        second = store_attachment(s, "copy.pdf", content, "application/pdf")
        e = add_evidence(s, iso3="JPN", year=2026, criteria=["criterion_1"], statement=LAW,
                         source_type="government", source_name="MOJ", entered_by="ana",
                         attachment_sha256=first.sha256)
    assert first.sha256 == second.sha256
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Attachment)) == 1
        assert get_evidence(s, e.id).attachment.content == content


def test_ratings_cite_evidence_of_the_country_year_and_are_flagged_when_unverified(db):
    with transaction(db.sessions) as s:
        jpn = _ngo_claim(s)
        chn = _ngo_claim(s, iso3="CHN")
        ilo = _ngo_claim(s, statement="ILO finds forced labour among technical interns", source="ILO")
    with pytest.raises(EvidenceError, match=r"^ratings\[0\]\.evidence: no evidence #\d+ for JPN"), \
            transaction(db.sessions) as s:
        save_assessment(s, "JPN", 2026, [RatingIn("criterion_1", "partial", [chn.id])], "ana")
    with pytest.raises(EvidenceError, match=r"^ratings\[1\]\.level"), transaction(db.sessions) as s:
        save_assessment(s, "JPN", 2026, [RatingIn("criterion_1", "partial", [jpn.id]),
                                         RatingIn("criterion_2", "great", [jpn.id])], "ana")
    with transaction(db.sessions) as s:
        saved = save_assessment(s, "JPN", 2026, [RatingIn("criterion_1", "partial", [jpn.id]),
                                                 RatingIn("criterion_2", "full", [jpn.id, ilo.id])], "ana", "draft")
        assert [f.flag.code if f.flag else None for f in rating_views(saved)] == ["unverified_only", "unverified_only"]
        set_state(s, ilo.id, "corroborated", "ana", corroborated_by=jpn.id)
    with db.sessions() as s:
        from tiptiers.store.assessments import get_assessment
        views = rating_views(get_assessment(s, "JPN", 2026))
        assert [v.flag.code if v.flag else None for v in views] == ["unverified_only", None]


def test_the_seed_cable_story_through_the_store(db):
    """08TOKYO1528: an NGO claim about Japanese law, disputed citing the law, corrected; Japan's comment printed."""
    with transaction(db.sessions) as s:
        claim = _ngo_claim(s)
        assert publish_gate(s, "JPN", 2026) == ["the draft has not been sent to the government for review"]
        request = send_request(s, "JPN", 2026, "ana")
        assert request.deadline == request.sent_at.date() + timedelta(days=28)  # the default window: four weeks
    with db.sessions() as s:
        [reason] = publish_gate(s, "JPN", 2026)
        assert "review is open until" in reason
    with transaction(db.sessions) as s:
        dispute = respond(s, "JPN", 2026, claim.id, "dispute", "This is completely false.", "jpn-liaison",
                          counter_evidence=LAW)
    with db.sessions() as s:
        assert get_evidence(s, claim.id).state == "disputed_by_government"
        reasons = publish_gate(s, "JPN", 2026)
        assert any(r.startswith(f"dispute #{dispute.id} on claim #{claim.id} is open") for r in reasons)
    with transaction(db.sessions) as s:
        resolve_dispute(s, dispute.id, "accepted", "ana", reason="the Penal Code says so",
                        corrected_statement="Japanese law criminalises recruitment by fraud (Penal Code art. 226-2), "
                                            "but few cases of labour trafficking are prosecuted.")
        complete_review(s, "JPN", 2026, "jpn-liaison")
    with db.sessions() as s:
        assert publish_gate(s, "JPN", 2026) == []
        [published] = published_claims(s, "JPN", 2026)
        assert published.statement.startswith("Japanese law criminalises recruitment by fraud")
        assert published.original_statement == NGO_CLAIM
        assert published.state.value == "confirmed_by_government"
        [d] = published.disputes
        assert d.text == "This is completely false." and d.counter_evidence == LAW
        assert d.resolution is not None and d.resolution.outcome.value == "accepted"


def test_a_dispute_is_resolved_once_and_maintained_needs_a_reason(db):
    with transaction(db.sessions) as s:
        claim = _ngo_claim(s)
        send_request(s, "JPN", 2026, "ana")
        dispute = respond(s, "JPN", 2026, claim.id, "dispute", "false", "liaison", counter_evidence=LAW)
    with pytest.raises(EvidenceError, match=r"^reason"), transaction(db.sessions) as s:
        resolve_dispute(s, dispute.id, "maintained", "ana")
    with transaction(db.sessions) as s:
        resolve_dispute(s, dispute.id, "maintained", "ana", reason="prosecutors confirm no case under 226-2")
    with pytest.raises(EvidenceError, match="already resolved"), transaction(db.sessions) as s:
        resolve_dispute(s, dispute.id, "accepted", "ana", withdraw=True)
    with db.sessions() as s:
        [c] = published_claims(s, "JPN", 2026)
        assert c.statement == NGO_CLAIM and c.state.value == "disputed_by_government"
        assert c.disputes[0].resolution.reason == "prosecutors confirm no case under 226-2"


def test_a_later_answer_replaces_the_dispute_which_then_no_longer_blocks_but_stays_on_record(db):
    with transaction(db.sessions) as s:
        claim = _ngo_claim(s)
        after = send_request(s, "JPN", 2026, "ana").deadline + timedelta(days=1)  # the review's window is over
        dispute = respond(s, "JPN", 2026, claim.id, "dispute", "false", "liaison", counter_evidence=LAW)
    with db.sessions() as s:
        assert any(f"dispute #{dispute.id}" in r for r in publish_gate(s, "JPN", 2026, after))
    with transaction(db.sessions) as s:  # a comment adds to the dispute, it does not take it back
        respond(s, "JPN", 2026, claim.id, "comment", "the minister will write", "liaison")
    with db.sessions() as s:
        assert any(f"dispute #{dispute.id}" in r for r in publish_gate(s, "JPN", 2026, after))
    with transaction(db.sessions) as s:
        confirm = respond(s, "JPN", 2026, claim.id, "confirm", "on reflection, correct", "liaison")
    with db.sessions() as s:
        assert publish_gate(s, "JPN", 2026, after) == []
        assert review_status(s, "JPN", 2026, after).open_disputes == 0
        [c] = claims(s, "JPN", 2026)
        assert c.state.value == "confirmed_by_government" and c.open_disputes == []
        assert [r.kind.value for r in c.comments] == ["dispute", "comment", "confirm"]  # the history stays
        assert c.disputes[0].superseded_by == confirm.id and c.disputes[0].resolution is None
        logged = s.scalars(select(ActivityEntry).where(ActivityEntry.action == "review.confirm")).one()
        assert logged.after["supersedes_dispute"] == dispute.id
    with pytest.raises(EvidenceError, match="replaced dispute"), transaction(db.sessions) as s:
        resolve_dispute(s, dispute.id, "maintained", "ana", reason="too late")
    with transaction(db.sessions) as s:  # disputing again opens a new dispute, which blocks again
        again = respond(s, "JPN", 2026, claim.id, "dispute", "false after all", "liaison", counter_evidence=LAW)
    with db.sessions() as s:
        reasons = publish_gate(s, "JPN", 2026, after)
        assert len(reasons) == 1 and f"dispute #{again.id}" in reasons[0]


def test_responses_need_an_open_request_of_that_country(db):
    with transaction(db.sessions) as s:
        jpn, chn = _ngo_claim(s), _ngo_claim(s, iso3="CHN")
    with pytest.raises(NotFound, match="no draft of JPN 2026"), transaction(db.sessions) as s:
        respond(s, "JPN", 2026, jpn.id, "comment", "hello", "liaison")
    with transaction(db.sessions) as s:
        deadline = send_request(s, "JPN", 2026, "ana").deadline
    with pytest.raises(NotFound, match=f"no claim #{chn.id}"), transaction(db.sessions) as s:
        respond(s, "JPN", 2026, chn.id, "confirm", "", "liaison")
    with pytest.raises(EvidenceError, match=r"^counter_evidence"), transaction(db.sessions) as s:
        respond(s, "JPN", 2026, jpn.id, "dispute", "false", "liaison")
    with pytest.raises(EvidenceError, match=f"closed on {deadline}"), transaction(db.sessions) as s:
        respond(s, "JPN", 2026, jpn.id, "comment", "late", "liaison", today=deadline + timedelta(days=1))
    with db.sessions() as s:
        assert [c.comments for c in claims(s, "JPN", 2026)] == [()]


def test_admin_override_and_request_counts(db):
    with transaction(db.sessions) as s:
        _ngo_claim(s)
        send_request(s, "JPN", 2026, "ana", kind="questionnaire")
        send_request(s, "JPN", 2026, "ana")
        send_request(s, "JPN", 2025, "ana", kind="questionnaire", sent_at=datetime(2025, 1, 2))
    with db.sessions() as s:
        assert request_counts(s) == {("JPN", 2026): 2, ("JPN", 2025): 1}
        assert publish_gate(s, "JPN", 2026) != []
    with pytest.raises(EvidenceError, match=r"^reason"), transaction(db.sessions) as s:
        record_gate_override(s, "JPN", 2026, " ", "root")
    with transaction(db.sessions) as s:
        record_gate_override(s, "JPN", 2026, "the government answered by note verbale", "root")
    with db.sessions() as s:
        assert publish_gate(s, "JPN", 2026) == []
        status = review_status(s, "JPN", 2026)
        assert status.requests_sent == 2 and status.override is not None and status.blocking == []


def test_questionnaire_is_prefilled_with_last_years_answers(db):
    with transaction(db.sessions) as s:
        save_answers(s, "JPN", 2025, {"laws": "Penal Code art. 226-2", "demand": "campaigns"}, "liaison")
    with pytest.raises(EvidenceError, match=r"^answers: unknown question bogus"), transaction(db.sessions) as s:
        save_answers(s, "JPN", 2026, {"laws": "x", "bogus": "y"}, "liaison")
    with transaction(db.sessions) as s:
        items, from_year = questionnaire(s, "JPN", 2026)
        assert from_year == 2025
        assert {i.id: i.answer for i in items}["laws"] == "Penal Code art. 226-2"
        save_answers(s, "JPN", 2026, {"demand": "a new campaign"}, "liaison")
    with db.sessions() as s:
        items, _ = questionnaire(s, "JPN", 2026)
        by_id = {i.id: i for i in items}
        assert (by_id["demand"].answer, by_id["demand"].origin) == ("a new campaign", "this_year")
        assert by_id["laws"].origin == "last_year"


def test_saved_ratings_go_through_the_engine(db):
    from tiptiers.methodology import methodology_for_year
    from tiptiers.store.assessments import assessment_determination

    with transaction(db.sessions) as s:
        claim = _ngo_claim(s)
        with pytest.raises(EvidenceError, match=r"^ratings: criterion_99 not in force in 2026"):
            save_assessment(s, "JPN", 2026, [RatingIn("criterion_99", "full", [claim.id])], "ana")
        with pytest.raises(EvidenceError, match=r"^signals: unknown loud"):
            save_assessment(s, "JPN", 2026, [], "ana", signals={"loud": True})
        partial = save_assessment(s, "JPN", 2026, [RatingIn("standard_1", "full", [claim.id])], "ana")
        with pytest.raises(ValueError, match=r"^ratings: missing standard standard_2"):
            assessment_determination(s, partial)
        everything = [RatingIn(i, "full", [claim.id]) for i in methodology_for_year(2026).ids]
        full = save_assessment(s, "JPN", 2026, everything, "ana")
        assert assessment_determination(s, full).tier.value == "1"
        weak = [RatingIn(i, "not_met", [claim.id]) for i in methodology_for_year(2026).ids]
        assert assessment_determination(s, save_assessment(s, "JPN", 2026, weak, "ana")).tier.value == "3"


def test_every_change_is_in_the_activity_log_and_a_refused_one_leaves_no_entry(db):
    from tiptiers.store import activity

    with transaction(db.sessions) as s:
        claim = _ngo_claim(s)
        send_request(s, "JPN", 2026, "ana")
        dispute = respond(s, "JPN", 2026, claim.id, "dispute", "false", "jpn-liaison", counter_evidence=LAW)
        resolve_dispute(s, dispute.id, "accepted", "ana", corrected_statement="corrected")
    with pytest.raises(EvidenceError), transaction(db.sessions) as s:
        set_state(s, claim.id, "withdrawn", "ana")  # no reason: refused, nothing logged
    with db.sessions() as s:
        log = list(reversed(activity.entries(s)))
        assert [(e.actor, e.action) for e in log] == [
            ("ana", "evidence.add"), ("ana", "review.send_draft"), ("jpn-liaison", "evidence.disputed_by_government"),
            ("jpn-liaison", "review.dispute"), ("ana", "evidence.correct"), ("ana", "evidence.confirmed_by_government"),
            ("ana", "dispute.accepted")]
        correction = next(e for e in log if e.action == "evidence.correct")
        assert (correction.before["statement"], correction.after["statement"]) == (NGO_CLAIM, "corrected")
        assert activity.verify(s) == []
