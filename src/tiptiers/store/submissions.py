"""Shadow reports: an NGO account submits claims about a country's efforts for a report year in preparation.

Each claim becomes an evidence record (source type `ngo`, source name the account's organisation, `unverified`,
entered by the account), so it takes the path of every other claim: analysts verify or corroborate it, and the
government answers it in its review of the draft. A submission is stored whole or not at all: the caller's
transaction is rolled back on the first bad claim, and the error names it (`claims[3].statement: ...`).

What the submitting NGO is shown of its claims stays clear of the government's unpublished answers: the statement
as it submitted it (not as a dispute corrected it), and, until the report is published, the verification state the
claim had before the government confirmed or disputed it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, selectinload

from tiptiers.review import SourceType, VerificationState
from tiptiers.store import activity
from tiptiers.store.attachments import check_upload, note_upload, store_attachment
from tiptiers.store.checks import EvidenceError, NotFound, check_country_year, check_text, get_row, utcnow
from tiptiers.store.db import fits_id
from tiptiers.store.evidence import Evidence, add_evidence
from tiptiers.store.models import Base
from tiptiers.store.publication import is_public, public_years
from tiptiers.store.users import User

MAX_CLAIMS = 200
GOVERNMENT_STATES = frozenset({VerificationState.CONFIRMED.value, VerificationState.DISPUTED.value})


class Submission(Base):
    """One shadow report: who sent it, for which organisation, country and report year."""

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organisation: Mapped[str] = mapped_column(String(200))
    iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)

    user: Mapped[User] = relationship()
    claims: Mapped[list[SubmissionClaim]] = relationship(back_populates="submission",
                                                          order_by="SubmissionClaim.position")


class SubmissionClaim(Base):
    """A claim of a submission: the evidence record it became, and the analysts' note to the submitter."""

    __tablename__ = "submission_claims"

    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 0-based, as the claims were sent
    analyst_note: Mapped[str] = mapped_column(Text, default="")
    note_by: Mapped[str | None] = mapped_column(String(100))
    note_at: Mapped[datetime | None] = mapped_column(DateTime)

    submission: Mapped[Submission] = relationship(back_populates="claims")
    evidence: Mapped[Evidence] = relationship()


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content: bytes
    media_type: str = "application/octet-stream"


@dataclass(frozen=True)
class ClaimIn:
    statement: str
    criteria: Sequence[str]
    source_date: date | None = None
    source_url: str = ""
    attachment_sha256: str | None = None  # a file this account uploaded before (the API)
    file: UploadedFile | None = None  # or the file itself (the web form)


def _published(session: Session, year: int) -> bool:
    return is_public(session, year)


def submit(session: Session, user: User, iso3: str, year: int, claims: Sequence[ClaimIn],
           title: str = "") -> Submission:
    """Store a shadow report of an NGO account: every claim becomes unverified evidence, or nothing is stored
    (the caller's transaction is rolled back on the EvidenceError, which names the claim and its field)."""
    if user.role != "ngo" or not user.organisation:
        raise EvidenceError(f"user: shadow reports are submitted by ngo accounts; {user.name} is {user.role}")
    iso3, year = check_country_year(iso3, year)
    if _published(session, year):
        raise EvidenceError(f"year: the {year} report is published; a shadow report is for a report in "
                            "preparation, e.g. next year's")
    if not claims:
        raise EvidenceError("claims: a shadow report needs at least one claim")
    if len(claims) > MAX_CLAIMS:
        raise EvidenceError(f"claims: {len(claims)} claims, at most {MAX_CLAIMS} in one submission")
    row = Submission(user_id=user.id, organisation=user.organisation, iso3=iso3, year=year,
                     title=check_text("title", title, 300, required=False), created_at=utcnow())
    session.add(row)
    session.flush()
    for i, claim in enumerate(claims):
        try:
            sha = check_upload(session, "attachment_sha256", claim.attachment_sha256, user.id)
            if claim.file is not None:
                stored = store_attachment(session, claim.file.filename, claim.file.content, claim.file.media_type,
                                          user.name)
                note_upload(session, stored.sha256, user.id)
                sha = stored.sha256
            evidence = add_evidence(
                session, iso3=iso3, year=year, criteria=claim.criteria, statement=claim.statement,
                source_type=SourceType.NGO.value, source_name=user.organisation, entered_by=user.name,
                source_date=claim.source_date, source_url=claim.source_url, attachment_sha256=sha)
        except EvidenceError as exc:
            raise EvidenceError(f"claims[{i}].{exc}") from None
        session.add(SubmissionClaim(evidence_id=evidence.id, submission_id=row.id, position=i))
    session.flush()
    activity.record(session, user.name, "submission.add", f"submission:{row.id}", None, {
        "organisation": row.organisation, "iso3": iso3, "year": year, "title": row.title,
        "evidence": [c.evidence_id for c in row.claims]})
    return row


def _query() -> Any:
    return select(Submission).options(
        selectinload(Submission.claims).selectinload(SubmissionClaim.evidence).selectinload(Evidence.transitions),
        selectinload(Submission.claims).selectinload(SubmissionClaim.evidence).selectinload(Evidence.attachment),
        selectinload(Submission.user))


def list_submissions(session: Session, user_id: int | None = None, iso3: str | None = None,
                     year: int | None = None) -> list[Submission]:
    """Newest first; one account's only with `user_id`."""
    query = _query().order_by(Submission.created_at.desc(), Submission.id.desc())
    if user_id is not None:
        query = query.where(Submission.user_id == user_id)
    if iso3:
        query = query.where(Submission.iso3 == iso3.upper())
    if year:
        query = query.where(Submission.year == year)
    return list(session.scalars(query))


def get_submission(session: Session, submission_id: int) -> Submission:
    row = session.scalar(_query().where(Submission.id == submission_id)) if fits_id(submission_id) else None
    if row is None:
        raise NotFound(f"no submission #{submission_id}")
    return row


def set_note(session: Session, submission_id: int, evidence_id: int, note: str, actor: str) -> SubmissionClaim:
    """The analysts' note to the submitting NGO about one of its claims (empty: no note)."""
    claim = get_row(session, SubmissionClaim, evidence_id)
    if claim is None or claim.submission_id != submission_id:
        raise NotFound(f"no claim #{evidence_id} in submission #{submission_id}")
    before = {"note": claim.analyst_note}
    claim.analyst_note = check_text("note", note, 5000, required=False)
    claim.note_by, claim.note_at = actor, utcnow()
    session.flush()
    activity.record(session, actor, "submission.note", f"submission:{submission_id}/evidence:{evidence_id}", before,
            {"note": claim.analyst_note})
    return claim


def notes_for(session: Session, evidence_ids: Sequence[int]) -> dict[int, SubmissionClaim]:
    """The submission claim (with its submission) of each evidence record that came from a shadow report."""
    rows = session.scalars(select(SubmissionClaim).where(SubmissionClaim.evidence_id.in_(list(evidence_ids)))
                           .options(selectinload(SubmissionClaim.submission).selectinload(Submission.user)))
    return {r.evidence_id: r for r in rows}


def submitter_state(evidence: Evidence, published: bool) -> str:
    """The verification state the submitting NGO is shown: the real one once the report is published; before,
    the government's confirmation or dispute (its unpublished answer) shows as the state the claim had before it."""
    if published or evidence.state not in GOVERNMENT_STATES:
        return evidence.state
    earlier = [t.to_state for t in evidence.transitions if t.to_state not in GOVERNMENT_STATES]
    return earlier[-1] if earlier else VerificationState.UNVERIFIED.value


def published_years(session: Session, years: Sequence[int]) -> set[int]:
    return set(public_years(session, years))
