"""The public call for information: anyone may send written information (with a file) during the request window of
the law's calendar, without an account.

A submission waits until its sender opens the confirmation link sent by e-mail (48 hours); it then becomes
unverified evidence with the sender as its source, and the sender gets a receipt. Without SMTP settings the call is
closed (nobody could confirm). Limits: per address and per client, a few submissions an hour; the statement's
length and the file's size.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from tiptiers.countries import UnknownCountry, country_name, country_table
from tiptiers.engine.calendar import compute_calendar
from tiptiers.methodology import methodology_for_year
from tiptiers.notify.mail import smtp_configured
from tiptiers.review.model import SourceType
from tiptiers.review.windows import PRESETS
from tiptiers.store import activity, notices
from tiptiers.store.attachments import store_attachment
from tiptiers.store.checks import EvidenceError
from tiptiers.store.evidence import add_evidence
from tiptiers.store.models import Base
from tiptiers.store.users import check_email, utcnow

CONFIRM_WITHIN = timedelta(hours=48)
PER_ADDRESS_PER_HOUR = 3
PER_CLIENT_PER_HOUR = 10
MAX_STATEMENT = 10_000
MAX_FILE_BYTES = 10 * 1024 * 1024
SENDER_TYPES = tuple(t.value for t in SourceType if t not in (SourceType.EMBASSY_REPORTING, SourceType.COURT_RECORD))


class CallError(ValueError):
    """The form cannot be accepted; the message starts with the field at fault."""


class CallClosed(CallError):
    """The call is not open now; the message says why and when it is."""


class PublicSubmission(Base):
    __tablename__ = "public_submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    sender: Mapped[str] = mapped_column(String(200))
    source_type: Mapped[str] = mapped_column(String(30))
    iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"))
    year: Mapped[int] = mapped_column(Integer)
    statement: Mapped[str] = mapped_column(Text)
    criteria: Mapped[str] = mapped_column(Text)  # JSON list of the criteria it bears on
    source_url: Mapped[str] = mapped_column(String(500))
    attachment_sha256: Mapped[str | None] = mapped_column(ForeignKey("attachments.sha256"))
    client: Mapped[str] = mapped_column(String(100), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"))


@dataclass(frozen=True)
class CallWindow:
    year: int  # the report the information is for
    opens: date
    closes: date


def call_window(today: date | None = None) -> CallWindow | None:
    """The request window (the law's calendar) open today, if any; else None."""
    today = today or utcnow().date()
    for year in (today.year, today.year + 1):
        step = compute_calendar(year, PRESETS["tip"], today=today).step("request_for_information")
        if step is not None and step.start is not None and step.start <= today <= step.due:
            return CallWindow(year, step.start, step.due)
    return None


def next_window(today: date | None = None) -> CallWindow | None:
    today = today or utcnow().date()
    for year in (today.year, today.year + 1, today.year + 2):
        step = compute_calendar(year, PRESETS["tip"], today=today).step("request_for_information")
        if step is not None and step.start is not None and step.start > today:
            return CallWindow(year, step.start, step.due)
    return None


def check_open(today: date | None = None) -> CallWindow:
    """The open window, or CallClosed saying why."""
    if not smtp_configured():
        raise CallClosed("the call is closed: this installation sends no e-mail (TIPTIERS_SMTP_URL is not set), so "
                         "a sender could not confirm their address")
    window = call_window(today)
    if window is None:
        upcoming = next_window(today)
        when = f"; the next opens {upcoming.opens} for the {upcoming.year} report" if upcoming else ""
        raise CallClosed(f"the call is closed: no request for information is open today{when}")
    return window


def _field(name: str, value: str, limit: int, required: bool = True) -> str:
    text = " ".join((value or "").split()) if name != "statement" else (value or "").strip()
    if required and not text:
        raise CallError(f"{name}: required")
    if len(text) > limit:
        raise CallError(f"{name}: {len(text)} characters, at most {limit}")
    if "\x00" in text:
        raise CallError(f"{name}: must not contain a NUL character")
    return text


def submit(session: Session, *, email: str, sender: str, source_type: str, country: str, statement: str,
           criteria: Sequence[str], source_url: str = "", file_name: str = "", file_content: bytes = b"",
           client: str = "unknown", now: datetime | None = None) -> tuple[PublicSubmission, str]:
    """Keep a submission until confirmed and queue the confirmation e-mail; (the submission, the token)."""
    now = now or utcnow()
    window = check_open(now.date())
    try:
        address = check_email(email)
    except ValueError as exc:
        raise CallError(str(exc)) from None
    if address is None:
        raise CallError("email: required, to confirm the information is yours")
    try:
        iso3 = country_table().resolve(country).iso3
    except UnknownCountry as exc:
        raise CallError(f"country: {exc}") from None
    if source_type not in SENDER_TYPES:
        raise CallError(f"source_type: {source_type!r} is not one of {', '.join(SENDER_TYPES)}")
    known = {i.id for i in methodology_for_year(window.year).items}
    chosen = [c for c in dict.fromkeys(criteria) if c]
    if not chosen or set(chosen) - known:
        raise CallError(f"criteria: choose at least one of the standards and criteria of {window.year}"
                        + (f"; unknown: {', '.join(sorted(set(chosen) - known))}" if set(chosen) - known else ""))
    url = _field("source_url", source_url, 500, required=False)
    if url and not url.startswith(("https://", "http://")):
        raise CallError("source_url: must start with https:// or http://")
    if len(file_content) > MAX_FILE_BYTES:
        raise CallError(f"file: {len(file_content)} bytes, at most {MAX_FILE_BYTES} ({MAX_FILE_BYTES // 2**20} MiB)")
    hour_ago = now - timedelta(hours=1)
    for column, value, limit in ((PublicSubmission.email, address, PER_ADDRESS_PER_HOUR),
                                 (PublicSubmission.client, client[:100], PER_CLIENT_PER_HOUR)):
        recent = session.scalar(select(func.count()).select_from(PublicSubmission).where(
            column == value, PublicSubmission.created_at > hour_ago))
        if int(recent or 0) >= limit:
            source = "address" if column is PublicSubmission.email else "computer"
            raise CallError(f"email: at most {limit} submissions an hour from one {source}; please try again later")
    sha = None
    if file_content:
        try:
            sha = store_attachment(session, _field("file", file_name or "attachment", 255), file_content,
                                   actor="public call").sha256
        except EvidenceError as exc:
            raise CallError(str(exc)) from None
    token = secrets.token_urlsafe(32)
    row = PublicSubmission(token_sha256=hashlib.sha256(token.encode()).hexdigest(), email=address,
                           sender=_field("sender", sender, 200), source_type=source_type, iso3=iso3,
                           year=window.year, statement=_field("statement", statement, MAX_STATEMENT),
                           criteria=json.dumps(chosen),
                           source_url=url, attachment_sha256=sha, client=client[:100], created_at=now)
    session.add(row)
    session.flush()
    notices.queue_mail(session, address, "call_confirm", {"country": country_name(iso3), "year": window.year},
                       f"/call/confirm/{token}", key=f"call-confirm:{row.id}")
    activity.record(session, "public call", "call.submit", f"call:{row.id}", None,
                    {"iso3": iso3, "year": window.year, "sender": row.sender, "file": sha})
    return row, token


def confirm(session: Session, token: str, now: datetime | None = None) -> PublicSubmission:
    """The sender opened the link: the information becomes unverified evidence, and a receipt is queued."""
    now = now or utcnow()
    row = session.scalar(select(PublicSubmission).where(
        PublicSubmission.token_sha256 == hashlib.sha256(token.encode()).hexdigest()))
    if row is None:
        raise LookupError("token: no submission waits for this link (it may have been confirmed already)")
    if row.confirmed_at is not None:
        return row
    if now - row.created_at > CONFIRM_WITHIN:
        raise LookupError("token: this link was valid for 48 hours and has expired; please send the information again")
    evidence = add_evidence(session, iso3=row.iso3, year=row.year, criteria=json.loads(row.criteria),
                            statement=row.statement,
                            source_type=row.source_type, source_name=row.sender, entered_by="public call",
                            source_url=row.source_url, attachment_sha256=row.attachment_sha256)
    row.confirmed_at, row.evidence_id = now, evidence.id
    notices.queue_mail(session, row.email, "call_receipt", {
        "country": country_name(row.iso3), "year": row.year, "received": now.date().isoformat(),
        "claim": evidence.id, "sender": row.sender}, "/call", key=f"call-receipt:{row.id}")
    activity.record(session, "public call", "call.confirm", f"call:{row.id}", None, {"evidence": evidence.id})
    return row
