"""The right of reply in two stages (GRETA): the draft, then the final report with its window, final comments
published with the report; each step told by e-mail through a real SMTP server, on both backends."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tiptiers.store import jobs
from tiptiers.store.checks import EvidenceError
from tiptiers.store.db import transaction
from tiptiers.store.evidence import add_evidence, set_state
from tiptiers.store.reviews import (
    add_final_comment,
    claims,
    complete_review,
    final_comments,
    publish_gate,
    resolve_dispute,
    respond,
    send_request,
)
from tiptiers.store.users import create_user

PASSWORD = "correct horse battery staple"


@pytest.fixture
def db(fresh_db):
    fresh_db.load_bundled()
    with transaction(fresh_db.sessions) as s:
        create_user(s, "tanaka", "liaison", PASSWORD, country="JPN", email="tanaka@mofa.example")
        create_user(s, "ana", "analyst", PASSWORD, email="ana@tiptiers.example")
        create_user(s, "polaris", "ngo", PASSWORD, organisation="Polaris Project", email="desk@polaris.example")
    return fresh_db


def subjects(inbox):
    return [(rcpt[0], m["Subject"]) for rcpt, m in inbox.messages]


def test_both_stages_with_their_notices(db, smtp):
    with transaction(db.sessions) as s:
        claim = add_evidence(s, iso3="JPN", year=2027, criteria=["criterion_1"], statement="A claim.",
                             source_type="ngo", source_name="Polaris Project", entered_by="polaris").id
        send_request(s, "JPN", 2027, "ana", sent_at=datetime(2027, 4, 1, 9))  # due in four weeks: 2027-04-29
    with pytest.raises(EvidenceError, match="final: the government's comments on the draft are open until "
                                            "2027-04-29"), transaction(db.sessions) as s:
        send_request(s, "JPN", 2027, "ana", stage="final", sent_at=datetime(2027, 4, 10))
    with transaction(db.sessions) as s:
        respond(s, "JPN", 2027, claim, "dispute", "This is false.", "tanaka", counter_evidence="Article 226-2",
                today=date(2027, 4, 12))
    with pytest.raises(EvidenceError, match="final: resolve every dispute first"), transaction(db.sessions) as s:
        send_request(s, "JPN", 2027, "ana", stage="final", sent_at=datetime(2027, 5, 1))
    with transaction(db.sessions) as s:
        dispute = claims(s, "JPN", 2027)[0].disputes[0].id
        resolve_dispute(s, dispute, "maintained", "ana", reason="Two NGOs report it.")
        final = send_request(s, "JPN", 2027, "ana", stage="final", sent_at=datetime(2027, 5, 6, 9))
        assert final.deadline == date(2027, 5, 20)  # two weeks, the default final window
    assert publish_gate_on(db, date(2027, 5, 10))[-1].startswith("the government's final comments are open until "
                                                                 "2027-05-20 (final report #")
    with transaction(db.sessions) as s:
        add_final_comment(s, "JPN", 2027, "Japan regrets that its law was misread.", "tanaka",
                          today=date(2027, 5, 12))
        complete_review(s, "JPN", 2027, "tanaka", today=date(2027, 5, 12))
    with pytest.raises(EvidenceError, match="was completed"), transaction(db.sessions) as s:
        add_final_comment(s, "JPN", 2027, "More.", "tanaka", today=date(2027, 5, 13))
    assert publish_gate_on(db, date(2027, 5, 13)) == []
    with transaction(db.sessions) as s:
        set_state(s, claim, "withdrawn", "ana", reason="the source retracted it")
    jobs.run_due(db.sessions)
    sent = subjects(smtp)
    assert ("tanaka@mofa.example", "The draft report on Japan for 2027 is ready for your comments") in sent
    assert ("ana@tiptiers.example", f"Japan disputes claim #{claim} (2027)") in sent
    assert ("tanaka@mofa.example", f"Your dispute of claim #{claim} (Japan, 2027) was answered: maintained") in sent
    assert ("tanaka@mofa.example", "The final report on Japan for 2027 is ready for your final comments") in sent
    assert ("ana@tiptiers.example", "Japan completed its review of the final report (2027)") in sent
    assert ("desk@polaris.example", "A claim of your shadow report on Japan (2027) is now withdrawn") in sent
    assert len(sent) == 6  # the NGO was not told of the government's dispute
    with db.sessions() as s:
        assert [c.text for c in final_comments(s, "JPN", 2027)] == ["Japan regrets that its law was misread."]


def publish_gate_on(db, day):
    with db.sessions() as s:
        return publish_gate(s, "JPN", 2027, today=day)


def test_the_final_stage_can_be_required(db, monkeypatch):
    with transaction(db.sessions) as s:
        add_evidence(s, iso3="JPN", year=2027, criteria=["criterion_1"], statement="A claim.",
                     source_type="ngo", source_name="Polaris Project", entered_by="ana")
        send_request(s, "JPN", 2027, "ana", sent_at=datetime(2027, 4, 1, 9))
    assert publish_gate_on(db, date(2027, 5, 1)) == []
    monkeypatch.setenv("TIPTIERS_REPLY_FINAL", "required")
    assert publish_gate_on(db, date(2027, 5, 1)) == [
        "the final report has not been sent to the government for its final comments (the second stage of the "
        "right of reply)"]


def test_the_final_reports_reminder_names_the_final_report(db, smtp):
    from datetime import timedelta

    from tiptiers.store import notices

    today = date.today()
    with transaction(db.sessions) as s:
        add_evidence(s, iso3="JPN", year=2027, criteria=["criterion_1"], statement="A claim.",
                     source_type="ngo", source_name="Polaris Project", entered_by="ana")
        sent = datetime.now() - timedelta(days=40)
        send_request(s, "JPN", 2027, "ana", sent_at=sent, deadline=sent.date() + timedelta(days=10))
        send_request(s, "JPN", 2027, "ana", stage="final", sent_at=datetime.now() - timedelta(days=10),
                     deadline=today + timedelta(days=3))
    notices.sweep(db.sessions)
    jobs.run_due(db.sessions)
    assert "3 days left to comment on the final report on Japan (2027)" in [m["Subject"] for _, m in smtp.messages]
