"""Notices: who is told what, queued as jobs (tiptiers.store.jobs) and sent by e-mail (tiptiers.notify.mail).

`notify(session, user, kind, context, link)` in the transaction of the change it tells about records the notice
(subject, text and HTML rendered from the kind's templates) and queues its job; a user who switched the kind off,
or has no e-mail address, gets the record (shown at /notices) and no job. The `notice.send` job sends it once;
without SMTP settings it waits in the queue. `sweep_reminders` queues the reminders 14 and 3 days before a reply
deadline, each once (the job's key).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, sessionmaker

from tiptiers.countries import country_name
from tiptiers.notify import mail
from tiptiers.store import activity, jobs
from tiptiers.store.db import transaction
from tiptiers.store.models import Base
from tiptiers.store.users import User, utcnow
from tiptiers.web.i18n import N_  # the kinds' words, translated on the notices page

KINDS = {  # kind -> what the user switches on or off
    "draft_sent": N_("a draft report is sent to me for comments"),
    "final_sent": N_("a final report is sent to me for final comments"),
    "reminder": N_("a reply deadline is 14 or 3 days away"),
    "dispute_resolved": N_("an analyst answers a dispute of mine"),
    "claim_state": N_("a claim of my organisation's shadow report changes state"),
    "dispute_received": N_("a government disputes a claim (staff)"),
    "review_completed": N_("a government completes its review (staff)"),
}
REMINDER_DAYS = (14, 3)
SEND_TASK = "notice.send"


class NoticeError(ValueError):
    """Bad input; the message starts with the field at fault."""


class Notice(Base):
    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    key: Mapped[str | None] = mapped_column(String(300), unique=True)
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(500))
    address: Mapped[str | None] = mapped_column(String(320))
    state: Mapped[str] = mapped_column(String(12))  # queued | sent | off | no_address | failed
    job_id: Mapped[int | None] = mapped_column(Integer)  # its sending job (on PostgreSQL a Procrastinate job)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship(lazy="joined")

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "user": self.user.name, "kind": self.kind, "subject": self.subject,
                "link": self.link, "address": self.address, "state": self.state,
                "created_at": self.created_at.isoformat(),
                "sent_at": self.sent_at.isoformat() if self.sent_at else None}


class NoticePreference(Base):
    __tablename__ = "notice_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)


def enabled_kinds(session: Session, user: User) -> dict[str, bool]:
    """Every kind, on unless the user switched it off."""
    off = {p.kind: p.enabled for p in session.scalars(select(NoticePreference).where(
        NoticePreference.user_id == user.id))}
    return {kind: off.get(kind, True) for kind in KINDS}


def set_preference(session: Session, user: User, kind: str, enabled: bool, actor: str) -> None:
    if kind not in KINDS:
        raise NoticeError(f"kind: {kind!r} is not a notice; notices: {', '.join(KINDS)}")
    row = session.get(NoticePreference, (user.id, kind))
    before = row.enabled if row else True
    if row is None:
        session.add(NoticePreference(user_id=user.id, kind=kind, enabled=enabled))
    else:
        row.enabled = enabled
    session.flush()
    activity.record(session, actor, "notice.preference", f"user:{user.name}", {kind: before}, {kind: enabled})


def notify(session: Session, user: User, kind: str, context: dict[str, Any], path: str, *,
           key: str | None = None) -> Notice | None:
    """Record (and queue, unless switched off or without an address) a notice to `user` with a link to `path`.
    None when a notice with this `key` exists already: each is told once."""
    if kind not in KINDS:
        raise NoticeError(f"kind: {kind!r} is not a notice")
    if key is not None and session.scalar(select(Notice.id).where(Notice.key == key)) is not None:
        return None
    link = mail.base_url() + path
    subject, text, html = mail.render(kind, {**context, "link": link, "user": user.name,
                                             "settings_link": mail.base_url() + "/notices"},
                                      lang=user.language or "en")  # the recipient's, never the actor's
    if not enabled_kinds(session, user)[kind]:
        state = "off"
    elif not user.email or not user.active:
        state = "no_address"
    else:
        state = "queued"
    notice = Notice(user_id=user.id, kind=kind, key=key, subject=subject[:300], body_text=text, body_html=html,
                    link=link[:500], address=user.email, state=state, created_at=utcnow())
    session.add(notice)
    session.flush()
    if state == "queued":
        job = jobs.enqueue(session, SEND_TASK, {"notice": notice.id}, key=f"notice:{notice.id}")
        notice.job_id = job.id if job else None
    activity.record(session, "system", "notice.queue", f"user:{user.name}", None,
                    {"notice": notice.id, "kind": kind, "state": state, "subject": notice.subject})
    return notice


def notify_all(session: Session, users: Sequence[User], kind: str, context: dict[str, Any], path: str, *,
               key: str | None = None) -> list[Notice]:
    """The same notice to several users (a country's liaisons, the analysts); `key` is made per user."""
    made = [notify(session, u, kind, context, path, key=f"{key}:{u.id}" if key else None) for u in users]
    return [n for n in made if n is not None]


def liaisons(session: Session, iso3: str) -> list[User]:
    return list(session.scalars(select(User).where(User.role == "liaison", User.country_iso3 == iso3.upper(),
                                                   User.active.is_(True)).order_by(User.id)))


def analysts(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.role.in_(("analyst", "admin")), User.active.is_(True))
                                .order_by(User.id)))


@jobs.handler(SEND_TASK, ready=mail.smtp_configured)
def _send(sessions: sessionmaker[Session], payload: dict[str, Any]) -> None:
    settings = mail.smtp_settings()
    assert settings is not None  # ready() said so
    with sessions() as session:
        notice = session.get(Notice, int(payload["notice"]))
        if notice is None or notice.state != "queued" or not notice.address:
            return  # deleted with its user, or already sent: nothing to do
        address, subject, text, html = notice.address, notice.subject, notice.body_text, notice.body_html
        sent_as = mail.message_id("notice", notice.id, notice.created_at.isoformat())
    mail.send(settings, address, subject, text, html, sent_as)
    with transaction(sessions) as session:
        sent = session.get_one(Notice, int(payload["notice"]))
        sent.state, sent.sent_at = "sent", utcnow()
        activity.record(session, "system", "notice.sent", f"user:{sent.user.name}", None,
                        {"notice": sent.id, "to": address})


def notices_for(session: Session, user: User | None = None, limit: int = 200) -> list[Notice]:
    """A user's notices (every notice with `user=None`: the queue as staff see it), newest first."""
    query = select(Notice).order_by(Notice.id.desc()).limit(limit)
    if user is not None:
        query = query.where(Notice.user_id == user.id)
    return list(session.scalars(query))


def reminder_context(iso3: str, year: int, stage: str, deadline: date, days: int) -> dict[str, Any]:
    return {"country": country_name(iso3), "year": year, "stage": stage, "deadline": deadline.isoformat(),
            "days": days}


def sweep_reminders(session: Session, today: date | None = None) -> int:
    """Queue the reminders due today: 14 and 3 days before each open request's deadline, to the country's
    liaisons; each once (a request sent with fewer days left gets only the reminders still ahead of it)."""
    from tiptiers.store.reviews import ReviewRequestRow  # the review store, read only

    today = today or utcnow().date()
    made = 0
    rows = session.scalars(select(ReviewRequestRow).where(ReviewRequestRow.completed_at.is_(None),
                                                          ReviewRequestRow.deadline >= today))
    for request in rows:
        left = (request.deadline - today).days
        given = (request.deadline - request.sent_at.date()).days
        due = [n for n in REMINDER_DAYS if left <= n < given]
        if not due:
            continue
        days = min(due)  # the nearest one only: a late sweep does not send the 14-day one at 3 days
        context = reminder_context(request.iso3, request.year, request.domain().label,
                                   request.deadline, left)
        made += len(notify_all(session, liaisons(session, request.iso3), "reminder", context,
                               f"/review/{request.iso3}/{request.year}", key=f"reminder:{request.id}:{days}"))
    return made


def sweep(sessions: sessionmaker[Session]) -> int:
    """What the worker does before each round: queue the reminders due (one transaction)."""
    with transaction(sessions) as session:
        return sweep_reminders(session)


MAIL_TASK = "mail.send"


def queue_mail(session: Session, to: str, kind: str, context: dict[str, Any], path: str, *,
               key: str | None = None) -> jobs.Job | None:
    """An e-mail to an address without an account (a sender of the public call), rendered now, sent by the worker."""
    link = mail.base_url() + path
    subject, text, html = mail.render(kind, {**context, "link": link})
    return jobs.enqueue(session, MAIL_TASK, {"to": to, "subject": subject, "text": text, "html": html}, key=key)


@jobs.handler(MAIL_TASK, ready=mail.smtp_configured)
def _send_mail(sessions: sessionmaker[Session], payload: dict[str, Any]) -> None:
    settings = mail.smtp_settings()
    assert settings is not None
    mail.send(settings, payload["to"], payload["subject"], payload["text"], payload["html"],
              mail.message_id("mail", payload["to"], payload["subject"], payload["text"]))
