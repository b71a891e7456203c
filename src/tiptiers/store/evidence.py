"""Evidence: claims about a government's efforts, each with its source and its verification state.

Every function works in the caller's session; wrap calls in `tiptiers.store.db.transaction` so that a change and its
activity-log entry commit together, or not at all. Bad input raises `EvidenceError` naming the field; a missing
record raises `NotFound` (both from `tiptiers.store.checks`). Which state may follow which is the pure rule of
`tiptiers.review`. The government confirms or disputes a claim through its reply (`tiptiers.store.reviews`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from tiptiers.countries import country_name
from tiptiers.methodology import methodology_for_year
from tiptiers.methodology.loader import MethodologyError
from tiptiers.review import InvalidTransition, SourceType, VerificationState, check_independent, check_transition
from tiptiers.store import activity, search
from tiptiers.store.attachments import Attachment
from tiptiers.store.checks import (
    EvidenceError,
    NotFound,
    check_country_year,
    check_enum,
    check_text,
    check_url,
    get_row,
    sql_in,
    utcnow,
)
from tiptiers.store.models import Base


class Evidence(Base):
    """A claim about a government's efforts, with its source and verification state."""

    __tablename__ = "evidence"
    __table_args__ = (
        CheckConstraint(sql_in("state", [s.value for s in VerificationState]), name="ck_evidence_state"),
        CheckConstraint(sql_in("source_type", [s.value for s in SourceType]), name="ck_evidence_source_type"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    criteria: Mapped[list[str]] = mapped_column(JSON)
    statement: Mapped[str] = mapped_column(Text)
    original_statement: Mapped[str | None] = mapped_column(Text)  # before an accepted correction
    source_type: Mapped[str] = mapped_column(String(30))
    source_name: Mapped[str] = mapped_column(String(200))
    source_date: Mapped[date | None] = mapped_column(Date)
    source_url: Mapped[str] = mapped_column(String(500), default="")
    attachment_sha256: Mapped[str | None] = mapped_column(ForeignKey("attachments.sha256"))
    corroborated_by_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"))
    state: Mapped[str] = mapped_column(String(30), default=VerificationState.UNVERIFIED.value)
    entered_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    transitions: Mapped[list[EvidenceTransition]] = relationship(order_by="EvidenceTransition.id")
    attachment: Mapped[Attachment | None] = relationship()

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "iso3": self.iso3, "year": self.year, "criteria": list(self.criteria),
            "statement": self.statement, "original_statement": self.original_statement,
            "source_type": self.source_type, "source_name": self.source_name,
            "source_date": self.source_date.isoformat() if self.source_date else None,
            "source_url": self.source_url, "attachment_sha256": self.attachment_sha256,
            "corroborated_by": self.corroborated_by_id, "state": self.state, "entered_by": self.entered_by,
            "created_at": self.created_at.isoformat(timespec="seconds"),
        }


class EvidenceTransition(Base):
    """Every change of an evidence record's verification state, with who and why."""

    __tablename__ = "evidence_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime)


def known_criteria(year: int) -> set[str]:
    """The standard and criterion ids of the methodology in force for the report year."""
    try:
        return set(methodology_for_year(year).ids)
    except MethodologyError as exc:
        raise EvidenceError(f"year: {exc}") from None


def _criteria(values: Sequence[str], year: int) -> list[str]:
    criteria = [c.strip() for c in values if c and c.strip()]
    if not criteria:
        raise EvidenceError("criteria: name at least one criterion the evidence bears on, e.g. criterion_1")
    known = known_criteria(year)
    unknown = sorted(set(criteria) - known)
    if unknown:
        raise EvidenceError(f"criteria: {', '.join(unknown)} not in force in {year}; known: {', '.join(sorted(known))}")
    return list(dict.fromkeys(criteria))


def add_evidence(
    session: Session,
    *,
    iso3: str,
    year: int,
    criteria: Sequence[str],
    statement: str,
    source_type: str,
    source_name: str,
    entered_by: str,
    source_date: date | None = None,
    source_url: str = "",
    attachment_sha256: str | None = None,
) -> Evidence:
    iso3, year = check_country_year(iso3, year)
    if attachment_sha256 and session.get(Attachment, attachment_sha256) is None:
        raise EvidenceError(f"attachment: no stored file with SHA-256 {attachment_sha256}")
    now = utcnow()
    row = Evidence(
        iso3=iso3, year=year, criteria=_criteria(criteria, year), statement=check_text("statement", statement, 20_000),
        source_type=check_enum("source_type", SourceType, source_type).value,
        source_name=check_text("source_name", source_name, 200), source_date=source_date,
        source_url=check_url("source_url", source_url), attachment_sha256=attachment_sha256,
        state=VerificationState.UNVERIFIED.value, entered_by=entered_by, created_at=now, updated_at=now,
    )
    session.add(row)
    session.flush()
    session.add(EvidenceTransition(evidence_id=row.id, from_state=None, to_state=row.state, actor=entered_by,
                                   reason="entered", at=now))
    activity.record(session, entered_by, "evidence.add", f"evidence:{row.id}", None, row.as_dict())
    index_evidence(session, row)
    return row


def index_evidence(session: Session, row: Evidence) -> None:
    """Make the statement findable by the full-text search (withdrawn statements are taken out)."""
    if row.state == VerificationState.WITHDRAWN.value:
        search.remove_document(session, "evidence", str(row.id))
        return
    search.index_document(session, "evidence", str(row.id), f"{row.source_name}: {row.statement[:80]}",
                          row.statement, iso3=row.iso3, year=row.year, tags=list(row.criteria))


def get_evidence(session: Session, evidence_id: int) -> Evidence:
    row = get_row(session, Evidence, evidence_id)
    if row is None:
        raise NotFound(f"no evidence #{evidence_id}")
    return row


def list_evidence(session: Session, iso3: str | None = None, year: int | None = None,
                  state: str | None = None) -> list[Evidence]:
    query = select(Evidence).order_by(Evidence.iso3, Evidence.year, Evidence.id)
    if iso3:
        query = query.where(Evidence.iso3 == iso3.upper())
    if year:
        query = query.where(Evidence.year == year)
    if state:
        query = query.where(Evidence.state == check_enum("state", VerificationState, state).value)
    return list(session.scalars(query))


def move_state(session: Session, row: Evidence, target: VerificationState, actor: str, reason: str,
               corroborated_by: int | None = None) -> None:
    """Change the verification state if the rules allow it, with its transition row and log entry.

    The one place a state changes: an analyst's `set_state`, and the replies and resolutions of the review."""
    current = VerificationState(row.state)
    if current is target:
        return
    try:
        check_transition(current, target, evidence_id=row.id, corroborated_by=corroborated_by)
        if corroborated_by is not None:
            other = get_evidence(session, corroborated_by)
            check_independent(row.source_name, other.source_name, VerificationState(other.state))
    except (InvalidTransition, NotFound) as exc:
        raise EvidenceError(str(exc) if isinstance(exc, InvalidTransition) else f"corroborated_by: {exc}") from None
    before = row.as_dict()
    row.state, row.updated_at = target.value, utcnow()
    if corroborated_by is not None:
        row.corroborated_by_id = corroborated_by
    session.add(EvidenceTransition(evidence_id=row.id, from_state=current.value, to_state=target.value, actor=actor,
                                   reason=reason, at=row.updated_at))
    session.flush()
    if target is VerificationState.WITHDRAWN:
        index_evidence(session, row)
    activity.record(session, actor, f"evidence.{target.value}", f"evidence:{row.id}", before, row.as_dict())
    _tell_the_ngo(session, row, target)


# What an NGO may learn before publication: its claim corroborated or withdrawn by the analysts (the government's
# confirmation or dispute shows on its submissions only once the report is published).
NGO_TOLD = (VerificationState.CORROBORATED, VerificationState.WITHDRAWN)


def _tell_the_ngo(session: Session, row: Evidence, target: VerificationState) -> None:
    from tiptiers.store import notices
    from tiptiers.store.users import User

    if target not in NGO_TOLD:
        return
    account = session.scalar(select(User).where(User.name == row.entered_by, User.role == "ngo"))
    if account is not None:
        notices.notify(session, account, "claim_state", {"country": country_name(row.iso3), "year": row.year,
                                                          "claim": row.id, "state": target.value.replace("_", " ")},
                       "/submissions", key=f"claim-state:{row.id}:{target.value}")


def set_state(session: Session, evidence_id: int, state: str, actor: str, reason: str = "",
              corroborated_by: int | None = None) -> Evidence:
    """An analyst's change of verification state: corroborate (with the independent record) or withdraw.

    Confirmation and dispute by the government come only through its liaison's responses (`reviews.respond`)."""
    target = check_enum("state", VerificationState, state)
    if target in (VerificationState.CONFIRMED, VerificationState.DISPUTED):
        raise EvidenceError(f"state: {target} is recorded only by the government's liaison through a review")
    row = get_evidence(session, evidence_id)
    if target is VerificationState.WITHDRAWN:
        check_text("reason", reason, 5000)
    move_state(session, row, target, actor, reason, corroborated_by)
    return row
