"""Notices by e-mail on the job interface, with a real SMTP conversation (aiosmtpd, started here) on both
backends: the notice reaches the address, a reminder is sent once, a failure is retried, a switched-off notice is
never sent, nothing is sent twice, and without SMTP settings the notice waits in the queue."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, text, update

from tiptiers.store import jobs, notices
from tiptiers.store.db import transaction
from tiptiers.store.evidence import add_evidence
from tiptiers.store.reviews import send_request
from tiptiers.store.users import create_user, require_user

PASSWORD = "correct horse battery staple"


@pytest.fixture
def db(fresh_db):
    fresh_db.load_bundled()
    with transaction(fresh_db.sessions) as session:
        create_user(session, "tanaka", "liaison", PASSWORD, country="JPN", email="tanaka@mofa.example")
        create_user(session, "ana", "analyst", PASSWORD, email="ana@tiptiers.example")
    return fresh_db


def draft_notice(db, key=None):
    with transaction(db.sessions) as session:
        return notices.notify(session, require_user(session, "tanaka"), "draft_sent",
                              {"country": "Japan", "year": 2027, "deadline": "2027-05-30"}, "/review/JPN/2027",
                              key=key)


def state(db, notice_id):
    with db.sessions() as session:
        return session.get(notices.Notice, notice_id).state


def job_of(db, notice_id):
    with db.sessions() as session:
        return session.get(notices.Notice, notice_id).job_id


def run_now(db, notice_id):
    with transaction(db.sessions) as session:
        jobs.requeue(session, job_of(db, notice_id))


def worker_died_running(db, job_id):
    """As the queue finds a job whose worker was killed: running, its worker silent for an hour."""
    with transaction(db.sessions) as session:
        if db.backend == "sqlite":
            session.execute(update(jobs.JobRow).where(jobs.JobRow.id == job_id).values(
                state="running", locked_at=jobs.utcnow() - timedelta(hours=1)))
            return
        worker = session.execute(text("INSERT INTO procrastinate_workers (last_heartbeat) "
                                      "VALUES (now() - interval '1 hour') RETURNING id")).scalar_one()
        session.execute(text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = :w WHERE id = :id"),
                        {"w": worker, "id": job_id})


def test_the_draft_notice_reaches_the_liaison_text_and_html_with_the_link(db, smtp):
    notice = draft_notice(db)
    report = jobs.run_due(db.sessions)
    assert report.done == 1 and report.failed == 0
    assert len(smtp.messages) == 1
    rcpt, message = smtp.messages[0]
    assert rcpt == ["tanaka@mofa.example"]
    assert message["Subject"] == "The draft report on Japan for 2027 is ready for your comments"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "by 2027-05-30" in text and "https://tiptiers.example/review/JPN/2027" in text
    assert '<a href="https://tiptiers.example/review/JPN/2027">' in html
    assert state(db, notice.id) == "sent"
    assert jobs.run_due(db.sessions).done == 0 and len(smtp.messages) == 1  # never twice


def test_a_failure_is_retried_then_sent_once(db, smtp):
    smtp.refuse = 1
    notice = draft_notice(db)
    first = jobs.run_due(db.sessions)
    assert (first.done, first.retried) == (0, 1) and "451" in first.errors[0]
    assert state(db, notice.id) == "queued" and not smtp.messages
    assert jobs.run_due(db.sessions).done == 0  # not before its back-off
    with db.sessions() as session:
        waiting = jobs.get_job(session, job_of(db, notice.id))
        assert waiting.state == "queued" and waiting.run_at > jobs.utcnow() + timedelta(seconds=20)
    run_now(db, notice.id)  # its back-off over
    later = jobs.run_due(db.sessions)
    assert later.done == 1 and len(smtp.messages) == 1 and state(db, notice.id) == "sent"
    with db.sessions() as session:
        job = jobs.get_job(session, job_of(db, notice.id))
        assert (job.state, job.attempts, job.last_error) == ("done", 2, None)


def test_a_notice_sent_again_after_its_recording_failed_carries_the_same_message_id(db, smtp, monkeypatch):
    """The server accepted the message, then recording it as sent failed (the database went away): the job is
    retried and the message sent again; SMTP cannot make the two one step, so the repeat has the same Message-ID,
    which mail clients show once."""
    notice = draft_notice(db)
    real = notices.activity.record

    def lost(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(notices.activity, "record", lost)
    first = jobs.run_due(db.sessions)
    assert (first.done, first.retried) == (0, 1) and len(smtp.messages) == 1
    assert state(db, notice.id) == "queued"
    monkeypatch.setattr(notices.activity, "record", real)
    run_now(db, notice.id)
    assert jobs.run_due(db.sessions).done == 1 and state(db, notice.id) == "sent"
    [(_, once), (_, again)] = smtp.messages
    assert once["Message-ID"] == again["Message-ID"] and once["Message-ID"].endswith("@tiptiers>")
    other = draft_notice(db, key="another")
    jobs.run_due(db.sessions)
    assert state(db, other.id) == "sent" and smtp.messages[-1][1]["Message-ID"] != once["Message-ID"]


def test_after_max_attempts_the_job_fails_with_its_error(db, smtp):
    smtp.refuse = 99
    notice = draft_notice(db)
    for _ in range(4):
        assert jobs.run_due(db.sessions).retried == 1
        run_now(db, notice.id)
    report = jobs.run_due(db.sessions)  # the fifth attempt, the last
    assert report.failed == 1 and not smtp.messages
    with db.sessions() as session:
        failed = jobs.list_jobs(session, "failed")
        assert len(failed) == 1 and "451" in failed[0].last_error


def test_nothing_is_sent_for_a_switched_off_notice(db, smtp):
    with transaction(db.sessions) as session:
        notices.set_preference(session, require_user(session, "tanaka"), "draft_sent", False, "tanaka")
    notice = draft_notice(db)
    assert notice.state == "off" and notice.job_id is None
    assert jobs.run_due(db.sessions).done == 0 and not smtp.messages
    with db.sessions() as session:
        assert notices.enabled_kinds(session, require_user(session, "tanaka"))["draft_sent"] is False
        assert [n.subject for n in notices.notices_for(session, require_user(session, "tanaka"))] == [notice.subject]


def test_a_reminder_is_sent_once(db, smtp):
    today = date.today()
    with transaction(db.sessions) as session:
        add_evidence(session, iso3="JPN", year=2027, criteria=["criterion_1"], statement="A claim.",
                     source_type="ngo", source_name="Polaris Project", entered_by="ana")
        send_request(session, "JPN", 2027, "ana", sent_at=datetime.now() - timedelta(days=20),
                     deadline=today + timedelta(days=14))
    for _ in range(3):  # the worker sweeps every round
        notices.sweep(db.sessions)
        jobs.run_due(db.sessions)
    assert [m["Subject"] for _, m in smtp.messages] == [  # the draft's own notice, then one reminder
        "The draft report on Japan for 2027 is ready for your comments",
        "14 days left to comment on the draft on Japan (2027)"]
    assert notices.sweep(db.sessions) == 0
    # eleven days later the 3-day reminder goes, once too
    for _ in range(2):
        with transaction(db.sessions) as session:
            notices.sweep_reminders(session, today=today + timedelta(days=11))
        jobs.run_due(db.sessions)
    assert [m["Subject"] for _, m in smtp.messages][-1] == "3 days left to comment on the draft on Japan (2027)"
    assert len(smtp.messages) == 3


def test_two_workers_at_once_send_it_once(db, smtp):
    for i in range(6):
        draft_notice(db, key=f"k{i}")
    reports: list = []
    threads = [threading.Thread(target=lambda w=w: reports.append(jobs.run_due(db.sessions, worker=w)))
               for w in ("a", "b", "c")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.done for r in reports) == 6
    assert len(smtp.messages) == 6


def test_without_smtp_settings_notices_wait_in_the_queue(db, monkeypatch):
    monkeypatch.delenv("TIPTIERS_SMTP_URL", raising=False)
    notice = draft_notice(db)
    report = jobs.run_due(db.sessions)
    assert (report.done, report.waiting) == (0, 1) and state(db, notice.id) == "queued"
    assert draft_notice(db, key="once") is not None and draft_notice(db, key="once") is None
    with db.sessions() as session:
        assert session.scalars(select(notices.Notice).where(notices.Notice.key == "once")).one()


def test_no_address_is_recorded_not_queued(db):
    with transaction(db.sessions) as session:
        create_user(session, "kim", "liaison", PASSWORD, country="KOR")
        notice = notices.notify(session, require_user(session, "kim"), "draft_sent",
                                {"country": "Korea", "year": 2027, "deadline": "2027-05-30"}, "/review/KOR/2027")
    assert notice.state == "no_address" and notice.job_id is None


def test_a_job_whose_worker_died_is_failed_not_run_again(db, smtp):
    notice = draft_notice(db)
    worker_died_running(db, job_of(db, notice.id))
    assert jobs.run_due(db.sessions).done == 0 and not smtp.messages
    with transaction(db.sessions) as session:
        job = jobs.list_jobs(session, "failed")[0]
        assert "may have run" in job.last_error
        jobs.requeue(session, job.id)  # staff judged it safe
    assert jobs.run_due(db.sessions).done == 1 and len(smtp.messages) == 1
