"""Evidence, attachments, assessments and the right of reply: models and repository functions.

Every function works in the caller's session; wrap calls in `tiptiers.store.db.transaction` so that a change and its
activity-log entry commit together, or not at all. Bad input raises `EvidenceError` whose message starts with the
name of the field at fault; a missing record raises `NotFound`. The rules themselves (which state may follow which,
what blocks publication) are the pure functions of `tiptiers.review`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, selectinload
from sqlalchemy.orm.exc import StaleDataError

import tiptiers.store.users  # noqa: F401  (the users table, which attachment_uploads references)
from tiptiers.countries import country_table
from tiptiers.engine import AssessmentInput, Determination, Rating, RatingLevel, determine
from tiptiers.methodology import methodology_for_year
from tiptiers.methodology.loader import MethodologyError
from tiptiers.report_years import check_report_year
from tiptiers.review import (
    AttachedFile,
    Claim,
    ClaimComment,
    Dispute,
    GateOverride,
    InvalidTransition,
    Outcome,
    QuestionnaireItem,
    RatingFlag,
    RequestKind,
    Resolution,
    ResponseKind,
    ReviewRequest,
    SourceType,
    VerificationState,
    check_answers,
    check_independent,
    check_resolution,
    check_transition,
    default_deadline,
    gate_reasons,
    prefill,
    rating_flag,
)
from tiptiers.store import activity, search
from tiptiers.store.db import fits_id
from tiptiers.store.engine import get_override, list_waivers, placement_history
from tiptiers.store.models import Base

E = TypeVar("E", SourceType, VerificationState, ResponseKind, Outcome, RequestKind)
M = TypeVar("M", bound=Base)
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
RATING_LEVELS = tuple(level.value for level in RatingLevel)
WATCH_LIST_SIGNALS = frozenset(AssessmentInput.model_fields) - {"iso3", "year", "methodology", "ratings"}


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def utcnow() -> datetime:
    """Naive UTC, the same on SQLite and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


class EditConflict(ValueError):
    """A save based on a version of the record that someone else has since replaced."""


class EvidenceError(ValueError):
    """Bad input; the message starts with the field at fault."""


class NotFound(LookupError):
    pass


class Attachment(Base):
    """A file, stored once however often it is attached: the key is its SHA-256."""

    __tablename__ = "attachments"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Evidence(Base):
    """A claim about a government's efforts, with its source and verification state."""

    __tablename__ = "evidence"
    __table_args__ = (
        CheckConstraint(_in("state", [s.value for s in VerificationState]), name="ck_evidence_state"),
        CheckConstraint(_in("source_type", [s.value for s in SourceType]), name="ck_evidence_source_type"),
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


class Assessment(Base):
    """The analysts' ratings of one country-year, each citing evidence records, and the draft narrative."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("iso3", "year", name="uq_assessments_iso3_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    narrative: Mapped[str] = mapped_column(Text, default="")
    signals: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the engine's Watch List signals
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    # Optimistic locking: each save bumps it, and an UPDATE of a version someone else already replaced matches no row.
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it from the class)

    ratings: Mapped[list[AssessmentRating]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", order_by="AssessmentRating.id")


class AssessmentRating(Base):
    __tablename__ = "assessment_ratings"
    __table_args__ = (
        UniqueConstraint("assessment_id", "criterion", name="uq_assessment_ratings_criterion"),
        CheckConstraint(_in("level", RATING_LEVELS), name="ck_assessment_ratings_level"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    criterion: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")

    assessment: Mapped[Assessment] = relationship(back_populates="ratings")
    evidence: Mapped[list[Evidence]] = relationship(secondary="rating_evidence", order_by="Evidence.id")


class RatingEvidence(Base):
    __tablename__ = "rating_evidence"

    rating_id: Mapped[int] = mapped_column(ForeignKey("assessment_ratings.id", ondelete="CASCADE"), primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), primary_key=True)


class ReviewRequestRow(Base):
    """A draft or questionnaire sent to a government; the rows are also the count of requests per year."""

    __tablename__ = "review_requests"
    __table_args__ = (CheckConstraint(_in("kind", [k.value for k in RequestKind]), name="ck_review_requests_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(20))
    sent_at: Mapped[datetime] = mapped_column(DateTime)
    deadline: Mapped[date] = mapped_column(Date)
    sent_by: Mapped[str] = mapped_column(String(100))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    completed_by: Mapped[str | None] = mapped_column(String(100))

    def domain(self) -> ReviewRequest:
        return ReviewRequest(self.id, self.iso3, self.year, RequestKind(self.kind), self.sent_at, self.deadline,
                             self.sent_by, self.completed_at)


class ClaimResponse(Base):
    """A liaison's confirmation, comment or dispute of one claim of a draft."""

    __tablename__ = "claim_responses"
    __table_args__ = (CheckConstraint(_in("kind", [k.value for k in ResponseKind]), name="ck_claim_responses_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("review_requests.id"), index=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    counter_evidence: Mapped[str] = mapped_column(Text, default="")
    counter_source_url: Mapped[str] = mapped_column(String(500), default="")
    author: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime)

    resolution: Mapped[DisputeResolution | None] = relationship(back_populates="response")
    evidence: Mapped[Evidence] = relationship()
    attached: Mapped[ResponseAttachment | None] = relationship()


class ResponseAttachment(Base):
    """The file a liaison attached to a dispute or comment, and whether the government lets the public have it."""

    __tablename__ = "response_attachments"

    response_id: Mapped[int] = mapped_column(ForeignKey("claim_responses.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("attachments.sha256"), index=True)
    public: Mapped[bool] = mapped_column(Boolean, default=False)

    attachment: Mapped[Attachment] = relationship()


class AttachmentUpload(Base):
    """Who uploaded which file (through the API or a form). An account outside the staff may cite, and download,
    only files it uploaded itself: having sent the bytes, it learns nothing by naming their SHA-256."""

    __tablename__ = "attachment_uploads"

    sha256: Mapped[str] = mapped_column(ForeignKey("attachments.sha256"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    at: Mapped[datetime] = mapped_column(DateTime)


class DisputeResolution(Base):
    __tablename__ = "dispute_resolutions"
    __table_args__ = (CheckConstraint(_in("outcome", [o.value for o in Outcome]), name="ck_dispute_outcome"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("claim_responses.id"), unique=True)
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    corrected_statement: Mapped[str | None] = mapped_column(Text)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    resolved_by: Mapped[str] = mapped_column(String(100))
    resolved_at: Mapped[datetime] = mapped_column(DateTime)

    response: Mapped[ClaimResponse] = relationship(back_populates="resolution")


class GateOverrideRow(Base):
    """An administrator's written reason to publish a country-year despite what blocks it."""

    __tablename__ = "publish_gate_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    admin: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime)


class QuestionnaireAnswers(Base):
    __tablename__ = "questionnaire_answers"
    __table_args__ = (UniqueConstraint("iso3", "year", name="uq_questionnaire_iso3_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict[str, str]] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(DateTime)


# --- validation helpers ---------------------------------------------------------------------------------------


def check_country_year(iso3: str, year: int) -> tuple[str, int]:
    """The canonical ISO code and the year, or EvidenceError naming `iso3` or `year`."""
    country = country_table().get(iso3.upper()) if isinstance(iso3, str) else None
    if country is None:
        raise EvidenceError(f"iso3: unknown country {iso3!r}; use an ISO 3166-1 alpha-3 code such as JPN")
    try:
        return country.iso3, check_report_year(int(year))
    except ValueError as exc:
        raise EvidenceError(f"year: {exc}") from None


def _text(field: str, value: str | None, limit: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise EvidenceError(f"{field}: must not be empty")
    if "\x00" in value:  # PostgreSQL text cannot hold it: bad input, not a server error
        raise EvidenceError(f"{field}: must not contain a NUL character")
    if len(value) > limit:
        raise EvidenceError(f"{field}: {len(value)} characters, at most {limit}")
    return value


def _url(field: str, value: str | None) -> str:
    value = _text(field, value, 500, required=False)
    if value and not value.lower().startswith(("http://", "https://")):
        raise EvidenceError(f"{field}: {value!r} is not an http(s) link")
    return value


def _enum(field: str, kind: type[E], value: str) -> E:
    try:
        return kind(value)
    except ValueError:
        raise EvidenceError(f"{field}: {value!r} is not one of {', '.join(k.value for k in kind)}") from None


def _record(session: Session, actor: str, action: str, subject: str,
            before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
    """The activity log entry of a change, in the change's own transaction."""
    activity.record(session, actor, action, subject, before, after)


# --- attachments and evidence ----------------------------------------------------------------------------------


def store_attachment(session: Session, filename: str, content: bytes, media_type: str = "application/octet-stream",
                     actor: str = "system") -> Attachment:
    """Keep a file once: the same bytes attached twice are the same row."""
    if not content:
        raise EvidenceError("file: the attachment is empty")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise EvidenceError(f"file: {len(content)} bytes, at most {MAX_ATTACHMENT_BYTES}")
    sha = hashlib.sha256(content).hexdigest()
    existing = session.get(Attachment, sha)
    if existing is not None:
        return existing
    row = Attachment(sha256=sha, filename=_text("filename", filename, 255), media_type=media_type[:100],
                     size=len(content), content=content, created_at=utcnow())
    try:
        with session.begin_nested():  # the same file uploaded at the same moment by someone else: keep theirs
            session.add(row)
    except IntegrityError:
        return attachment_content(session, sha)
    _record(session, actor, "attachment.add", f"attachment:{sha}", None,
            {"filename": row.filename, "size": row.size, "media_type": row.media_type})
    return row


def attachment_content(session: Session, sha256: str) -> Attachment:
    row = session.get(Attachment, sha256.lower())
    if row is None:
        raise NotFound(f"no attachment {sha256}")
    return row


def note_upload(session: Session, sha256: str, user_id: int) -> None:
    """Remember that this account sent these bytes (once, however often it sends them)."""
    activity.insert_if_absent(session, AttachmentUpload, {"sha256": sha256, "user_id": user_id, "at": utcnow()})


def uploaded_by(session: Session, sha256: str, user_id: int) -> bool:
    return session.get(AttachmentUpload, (sha256.lower(), user_id)) is not None


def check_upload(session: Session, field: str, sha256: str | None, user_id: int) -> str | None:
    """The SHA-256 of a file this account uploaded itself, or EvidenceError naming `field`. Naming a file someone
    else uploaded is refused the same way as naming none that exists, so it tells nothing about other files."""
    if not sha256:
        return None
    sha = sha256.strip().lower()
    if not uploaded_by(session, sha, user_id):
        raise EvidenceError(f"{field}: no file you uploaded has SHA-256 {sha256[:64]!r}; upload it first "
                            "(POST /api/v1/attachments)")
    return sha


def attachment_is_public(session: Session, sha256: str, now: datetime | None = None) -> bool:
    """True when a government marked this file publishable on a reply to a claim of a published report (a claim
    not withdrawn: the report prints no reply to a withdrawn claim)."""
    from tiptiers.store.publication import is_public  # publication reads this module: import when needed

    years = session.scalars(
        select(Evidence.year).distinct()
        .join(ClaimResponse, ClaimResponse.evidence_id == Evidence.id)
        .join(ResponseAttachment, ResponseAttachment.response_id == ClaimResponse.id)
        .where(ResponseAttachment.sha256 == sha256.lower(), ResponseAttachment.public.is_(True),
               Evidence.state != VerificationState.WITHDRAWN.value))
    return any(is_public(session, year, now) for year in years)


def _known_criteria(year: int) -> set[str]:
    """The standard and criterion ids of the methodology in force for the report year."""
    try:
        return set(methodology_for_year(year).ids)
    except MethodologyError as exc:
        raise EvidenceError(f"year: {exc}") from None


def _criteria(values: Sequence[str], year: int) -> list[str]:
    criteria = [c.strip() for c in values if c and c.strip()]
    if not criteria:
        raise EvidenceError("criteria: name at least one criterion the evidence bears on, e.g. criterion_1")
    known = _known_criteria(year)
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
        iso3=iso3, year=year, criteria=_criteria(criteria, year), statement=_text("statement", statement, 20_000),
        source_type=_enum("source_type", SourceType, source_type).value,
        source_name=_text("source_name", source_name, 200), source_date=source_date,
        source_url=_url("source_url", source_url), attachment_sha256=attachment_sha256,
        state=VerificationState.UNVERIFIED.value, entered_by=entered_by, created_at=now, updated_at=now,
    )
    session.add(row)
    session.flush()
    session.add(EvidenceTransition(evidence_id=row.id, from_state=None, to_state=row.state, actor=entered_by,
                                   reason="entered", at=now))
    _record(session, entered_by, "evidence.add", f"evidence:{row.id}", None, row.as_dict())
    _index(session, row)
    return row


def _index(session: Session, row: Evidence) -> None:
    """Make the statement findable by the full-text search (withdrawn statements are taken out)."""
    if row.state == VerificationState.WITHDRAWN.value:
        search.remove_document(session, "evidence", str(row.id))
        return
    search.index_document(session, "evidence", str(row.id), f"{row.source_name}: {row.statement[:80]}",
                          row.statement, iso3=row.iso3, year=row.year, tags=list(row.criteria))


def _by_id(session: Session, model: type[M], row_id: int) -> M | None:
    """session.get, with ids beyond a 64-bit integer (from a URL) not found instead of a driver OverflowError."""
    return session.get(model, row_id) if fits_id(row_id) else None


def get_evidence(session: Session, evidence_id: int) -> Evidence:
    row = _by_id(session, Evidence, evidence_id)
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
        query = query.where(Evidence.state == _enum("state", VerificationState, state).value)
    return list(session.scalars(query))


def _move(session: Session, row: Evidence, target: VerificationState, actor: str, reason: str,
          corroborated_by: int | None = None) -> None:
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
        _index(session, row)
    _record(session, actor, f"evidence.{target.value}", f"evidence:{row.id}", before, row.as_dict())


def set_state(session: Session, evidence_id: int, state: str, actor: str, reason: str = "",
              corroborated_by: int | None = None) -> Evidence:
    """An analyst's change of verification state: corroborate (with the independent record) or withdraw.

    Confirmation and dispute by the government come only through its liaison's responses (`respond`)."""
    target = _enum("state", VerificationState, state)
    if target in (VerificationState.CONFIRMED, VerificationState.DISPUTED):
        raise EvidenceError(f"state: {target} is recorded only by the government's liaison through a review")
    row = get_evidence(session, evidence_id)
    if target is VerificationState.WITHDRAWN:
        _text("reason", reason, 5000)
    _move(session, row, target, actor, reason, corroborated_by)
    return row


# --- assessments ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RatingIn:
    criterion: str
    level: str
    evidence: Sequence[int]
    note: str = ""


@dataclass(frozen=True)
class RatingView:
    criterion: str
    level: str
    note: str
    evidence: list[dict[str, Any]]  # id, state, statement
    flag: RatingFlag | None


def save_assessment(session: Session, iso3: str, year: int, ratings: Sequence[RatingIn], actor: str,
                    narrative: str = "", signals: Mapping[str, Any] | None = None,
                    expected_version: int | None = None) -> Assessment:
    """Replace the country-year's ratings; every cited evidence id must be a record of that country and year.

    `expected_version` is the version the editor started from (0 for a new assessment): if someone saved since,
    EditConflict is raised and nothing is stored, so no analyst's work silently overwrites another's."""
    iso3, year = check_country_year(iso3, year)
    seen: set[str] = set()
    rows = []
    for i, r in enumerate(ratings):
        criterion = _text(f"ratings[{i}].criterion", r.criterion, 40)
        if criterion in seen:
            raise EvidenceError(f"ratings[{i}].criterion: {criterion} is rated twice")
        seen.add(criterion)
        if r.level not in RATING_LEVELS:
            raise EvidenceError(f"ratings[{i}].level: {r.level!r} is not one of {', '.join(RATING_LEVELS)}")
        cited = []
        for eid in dict.fromkeys(r.evidence):
            ev = _by_id(session, Evidence, eid)
            if ev is None or (ev.iso3, ev.year) != (iso3, year):
                raise EvidenceError(f"ratings[{i}].evidence: no evidence #{eid} for {iso3} {year}")
            cited.append(ev)
        rows.append((criterion, r.level, r.note, cited))
    unknown = sorted(seen - _known_criteria(year))
    if unknown:
        raise EvidenceError(f"ratings: {', '.join(unknown)} not in force in {year}")
    bad_signals = sorted(set(signals or {}) - WATCH_LIST_SIGNALS)
    if bad_signals:
        known = ", ".join(sorted(WATCH_LIST_SIGNALS))
        raise EvidenceError(f"signals: unknown {', '.join(bad_signals)}; known: {known}")
    if any(not isinstance(v, bool) for v in (signals or {}).values()):
        raise EvidenceError("signals: every value must be true or false")
    assessment = session.scalar(select(Assessment).where(Assessment.iso3 == iso3, Assessment.year == year))
    current = assessment.version if assessment else 0
    if expected_version is not None and expected_version != current:
        by = f" by {assessment.updated_by} at {assessment.updated_at:%Y-%m-%d %H:%M} UTC" if assessment else ""
        raise EditConflict(f"version: the assessment of {iso3} {year} was saved{by} (version {current}) after "
                           f"version {expected_version}, which you edited; reload it and apply your changes again")
    before = _assessment_dict(assessment) if assessment else None
    if assessment is None:
        assessment = Assessment(iso3=iso3, year=year)
        session.add(assessment)
    assessment.narrative = _text("narrative", narrative, 100_000, required=False)
    assessment.signals = dict(signals or {})
    assessment.updated_by, assessment.updated_at = actor, utcnow()
    assessment.ratings.clear()
    try:
        session.flush()
    except StaleDataError:  # saved by someone else between our read and this write
        raise EditConflict(f"version: the assessment of {iso3} {year} was saved by someone else while you edited "
                           "it; reload it and apply your changes again") from None
    for criterion, level, note, cited in rows:
        assessment.ratings.append(AssessmentRating(criterion=criterion, level=level, note=note, evidence=cited))
    session.flush()
    _record(session, actor, "assessment.save", f"assessment:{iso3}/{year}", before, _assessment_dict(assessment))
    return assessment


def _assessment_dict(a: Assessment) -> dict[str, Any]:
    return {"iso3": a.iso3, "year": a.year, "narrative": a.narrative, "signals": a.signals,
            "ratings": [{"criterion": r.criterion, "level": r.level, "note": r.note,
                         "evidence": [e.id for e in r.evidence]} for r in a.ratings]}


def get_assessment(session: Session, iso3: str, year: int) -> Assessment | None:
    return session.scalar(
        select(Assessment).where(Assessment.iso3 == iso3.upper(), Assessment.year == year)
        .options(selectinload(Assessment.ratings).selectinload(AssessmentRating.evidence)))


def assessment_determination(session: Session, assessment: Assessment) -> Determination:
    """The engine's determination for the saved ratings, with the stored placements of earlier years as history.

    Raises ValueError naming the field when the ratings are not enough (e.g. a minimum standard not rated)."""
    iso3, year = assessment.iso3, assessment.year
    history = placement_history(session, iso3, before=year)
    try:
        data = AssessmentInput(iso3=assessment.iso3, year=assessment.year, **assessment.signals, ratings=[
            Rating(criterion=r.criterion, level=RatingLevel(r.level), evidence=[str(e.id) for e in r.evidence],
                   note=r.note) for r in assessment.ratings])
    except ValidationError as exc:
        first = exc.errors()[0]
        where, message = ".".join(str(p) for p in first["loc"]), first["msg"].removeprefix("Value error, ")
        raise ValueError(message if not where or message.startswith(where) else f"{where}: {message}") from None
    return determine(data, history, methodology_for_year(year), year,
                     waivers=list_waivers(session, year=year, iso3=iso3), override=get_override(session, iso3, year))


def rating_views(assessment: Assessment | None) -> list[RatingView]:
    """Each rating with its cited evidence and a flag when it rests only on unverified evidence."""
    if assessment is None:
        return []
    return [
        RatingView(r.criterion, r.level, r.note,
                   [{"id": e.id, "state": e.state, "statement": e.statement} for e in r.evidence],
                   rating_flag([VerificationState(e.state) for e in r.evidence]))
        for r in assessment.ratings
    ]


# --- review requests, responses, disputes ---------------------------------------------------------------------


def send_request(session: Session, iso3: str, year: int, actor: str, kind: str = "draft",
                 deadline: date | None = None, sent_at: datetime | None = None) -> ReviewRequestRow:
    """Send the draft (or the questionnaire) to the government; the deadline defaults to two months."""
    iso3, year = check_country_year(iso3, year)
    request_kind = _enum("kind", RequestKind, kind)
    sent_at = sent_at or utcnow()
    deadline = deadline or default_deadline(sent_at.date())
    if deadline <= sent_at.date():
        raise EvidenceError(f"deadline: {deadline.isoformat()} is not after the day sent ({sent_at.date()})")
    if request_kind is RequestKind.DRAFT and not list_evidence(session, iso3, year):
        raise EvidenceError(f"iso3: no evidence recorded for {iso3} {year}: there is no draft to send")
    row = ReviewRequestRow(iso3=iso3, year=year, kind=request_kind.value, sent_at=sent_at, deadline=deadline,
                           sent_by=actor)
    session.add(row)
    session.flush()
    _record(session, actor, f"review.send_{request_kind.value}", f"review:{iso3}/{year}", None,
            {"request": row.id, "kind": row.kind, "deadline": deadline.isoformat()})
    return row


def requests_for(session: Session, iso3: str, year: int) -> list[ReviewRequestRow]:
    return list(session.scalars(select(ReviewRequestRow).where(
        ReviewRequestRow.iso3 == iso3.upper(), ReviewRequestRow.year == year).order_by(ReviewRequestRow.sent_at,
                                                                                        ReviewRequestRow.id)))


def latest_draft_request(session: Session, iso3: str, year: int) -> ReviewRequestRow | None:
    drafts = [r for r in requests_for(session, iso3, year) if r.kind == RequestKind.DRAFT.value]
    return drafts[-1] if drafts else None


def _open_request(session: Session, iso3: str, year: int, today: date | None) -> ReviewRequestRow:
    request = latest_draft_request(session, iso3, year)
    if request is None:
        raise NotFound(f"no draft of {iso3} {year} has been sent for review")
    today = today or utcnow().date()
    if not request.domain().is_open(today):
        when = (f"was completed on {request.completed_at.date()}" if request.completed_at
                else f"closed on {request.deadline}")
        raise EvidenceError(f"request: the review of {iso3} {year} {when}")
    return request


def respond(session: Session, iso3: str, year: int, evidence_id: int, kind: str, text: str, author: str,
            counter_evidence: str = "", counter_source_url: str = "", today: date | None = None,
            attachment_sha256: str | None = None, attachment_public: bool = False) -> ClaimResponse:
    """The liaison's answer to one claim: confirm, comment, or dispute (with counter-evidence).

    A dispute or a comment may carry a stored file (e.g. a copy of the article of law); it stays out of the public's
    reach unless `attachment_public` (the government's choice), and even then until the report is published."""
    response_kind = _enum("kind", ResponseKind, kind)
    if attachment_sha256:
        if response_kind is ResponseKind.CONFIRM:
            raise EvidenceError("attachment_sha256: only a dispute or a comment carries a file")
        if session.get(Attachment, attachment_sha256.lower()) is None:
            raise EvidenceError(f"attachment_sha256: no stored file with SHA-256 {attachment_sha256[:64]!r}")
    elif attachment_public:
        raise EvidenceError("attachment_public: there is no file to publish; attach one or leave this unset")
    request = _open_request(session, iso3, year, today)
    evidence = _by_id(session, Evidence, evidence_id)
    if evidence is None or (evidence.iso3, evidence.year) != (request.iso3, request.year):
        raise NotFound(f"no claim #{evidence_id} in the draft of {request.iso3} {year}")
    if evidence.state == VerificationState.WITHDRAWN.value:
        raise EvidenceError(f"evidence_id: claim #{evidence_id} has been withdrawn")
    if evidence.created_at > request.sent_at:
        raise NotFound(f"no claim #{evidence_id} in the draft of {request.iso3} {year}")
    body = _text("text", text, 20_000, required=response_kind is not ResponseKind.CONFIRM)
    counter = _text("counter_evidence", counter_evidence, 20_000, required=response_kind is ResponseKind.DISPUTE)
    row = ClaimResponse(request_id=request.id, evidence_id=evidence.id, kind=response_kind.value, text=body,
                        counter_evidence=counter, counter_source_url=_url("counter_source_url", counter_source_url),
                        author=author, at=utcnow())
    session.add(row)
    session.flush()
    attached = None
    if attachment_sha256:
        row.attached = ResponseAttachment(response_id=row.id, sha256=attachment_sha256.lower(),
                                          public=bool(attachment_public))
        session.flush()
        attached = {"sha256": row.attached.sha256, "public": row.attached.public}
    target = {ResponseKind.CONFIRM: VerificationState.CONFIRMED, ResponseKind.DISPUTE: VerificationState.DISPUTED}
    if response_kind in target:
        _move(session, evidence, target[response_kind], author, f"government's response #{row.id}")
    _record(session, author, f"review.{response_kind.value}", f"evidence:{evidence.id}", None,
            {"response": row.id, "kind": row.kind, "text": row.text, "counter_evidence": row.counter_evidence,
             "attachment": attached})
    return row


def complete_review(session: Session, iso3: str, year: int, actor: str, today: date | None = None) -> ReviewRequestRow:
    """The liaison has answered everything they mean to: the deadline no longer holds publication back."""
    request = _open_request(session, iso3, year, today)
    request.completed_at, request.completed_by = utcnow(), actor
    session.flush()
    _record(session, actor, "review.complete", f"review:{request.iso3}/{year}", None, {"request": request.id})
    return request


def get_dispute(session: Session, dispute_id: int) -> ClaimResponse:
    row = _by_id(session, ClaimResponse, dispute_id)
    if row is None or row.kind != ResponseKind.DISPUTE.value:
        raise NotFound(f"no dispute #{dispute_id}")
    return row


def resolve_dispute(session: Session, dispute_id: int, outcome: str, actor: str, reason: str = "",
                    corrected_statement: str | None = None, withdraw: bool = False) -> DisputeResolution:
    """An analyst's answer: `accepted` corrects or withdraws the claim, `maintained` keeps it with a reason."""
    dispute = get_dispute(session, dispute_id)
    if dispute.resolution is not None:
        raise EvidenceError(f"dispute_id: dispute #{dispute_id} was already resolved ({dispute.resolution.outcome})")
    result = _enum("outcome", Outcome, outcome)
    try:
        check_resolution(result, reason, corrected_statement, withdraw)
    except ValueError as exc:
        raise EvidenceError(str(exc)) from None
    corrected = _text("corrected_statement", corrected_statement, 20_000, required=False) or None
    resolution = DisputeResolution(response_id=dispute.id, outcome=result.value, reason=reason.strip(),
                                   corrected_statement=corrected, withdrawn=withdraw, resolved_by=actor,
                                   resolved_at=utcnow())
    session.add(resolution)
    evidence = dispute.evidence
    if result is Outcome.ACCEPTED:
        if withdraw:
            _move(session, evidence, VerificationState.WITHDRAWN, actor, f"dispute #{dispute.id} accepted")
        else:
            before = evidence.as_dict()
            if evidence.original_statement is None:
                evidence.original_statement = evidence.statement
            evidence.statement = corrected or evidence.statement
            session.flush()
            _record(session, actor, "evidence.correct", f"evidence:{evidence.id}", before, evidence.as_dict())
            _move(session, evidence, VerificationState.CONFIRMED, actor,
                  f"corrected as the government asked in dispute #{dispute.id}")
            _index(session, evidence)
    session.flush()
    dispute.resolution = resolution
    _record(session, actor, f"dispute.{result.value}", f"dispute:{dispute.id}", None,
            {"outcome": result.value, "reason": resolution.reason, "corrected_statement": corrected,
             "withdrawn": withdraw})
    return resolution


def record_gate_override(session: Session, iso3: str, year: int, reason: str, admin: str) -> GateOverrideRow:
    iso3, year = check_country_year(iso3, year)
    row = GateOverrideRow(iso3=iso3, year=year, reason=_text("reason", reason, 5000), admin=admin, at=utcnow())
    session.add(row)
    session.flush()
    _record(session, admin, "review.gate_override", f"review:{iso3}/{year}", None,
            {"reason": row.reason, "blocked_by": _reasons(session, iso3, year, None, None)})
    return row


# --- reading: claims, the gate, status ------------------------------------------------------------------------


def _claims_where(session: Session, *conditions: Any) -> dict[tuple[str, int], list[Claim]]:
    """Claims grouped by country-year, in two queries however many country-years match."""
    rows = list(session.scalars(select(Evidence).where(*conditions).order_by(Evidence.id)))
    responses: dict[int, list[ClaimResponse]] = {}
    ids = [e.id for e in rows]
    for i in range(0, len(ids), 1000):
        for r in session.scalars(select(ClaimResponse).where(ClaimResponse.evidence_id.in_(ids[i:i + 1000]))
                                 .options(selectinload(ClaimResponse.resolution),
                                          selectinload(ClaimResponse.attached).selectinload(
                                              ResponseAttachment.attachment))
                                 .order_by(ClaimResponse.id)):
            responses.setdefault(r.evidence_id, []).append(r)
    grouped: dict[tuple[str, int], list[Claim]] = {}
    for e in rows:
        grouped.setdefault((e.iso3, e.year), []).append(_claim(e, responses.get(e.id, [])))
    return grouped


def claims(session: Session, iso3: str, year: int, *, as_of: datetime | None = None) -> list[Claim]:
    """Every claim of the country-year with the government's answers and the resolutions of its disputes.

    `as_of` keeps only the claims that existed then (the draft a liaison was sent)."""
    conditions = [Evidence.iso3 == iso3.upper(), Evidence.year == year]
    if as_of is not None:
        conditions.append(Evidence.created_at <= as_of)
    return _claims_where(session, *conditions).get((iso3.upper(), year), [])


def _attached(r: ClaimResponse) -> AttachedFile | None:
    if r.attached is None:
        return None
    a = r.attached.attachment
    return AttachedFile(a.sha256, a.filename, a.media_type, a.size)


def comment_of(r: ClaimResponse) -> ClaimComment:
    """A stored response as the review rules see it, with its file if one is attached."""
    return ClaimComment(r.id, ResponseKind(r.kind), r.text, r.author, r.at, r.counter_evidence, r.counter_source_url,
                        _attached(r), bool(r.attached and r.attached.public))


def _claim(e: Evidence, responses: list[ClaimResponse]) -> Claim:
    comments = tuple(comment_of(r) for r in responses)
    disputes = tuple(
        Dispute(r.id, e.id, r.text, r.counter_evidence, r.author, r.at,
                Resolution(Outcome(r.resolution.outcome), r.resolution.reason, r.resolution.resolved_by,
                           r.resolution.resolved_at, r.resolution.corrected_statement, r.resolution.withdrawn)
                if r.resolution else None)
        for r in responses if r.kind == ResponseKind.DISPUTE.value)
    return Claim(e.id, e.iso3, e.year, e.statement, VerificationState(e.state), tuple(e.criteria),
                 SourceType(e.source_type), e.source_name, e.created_at, e.original_statement, e.source_date,
                 e.source_url, comments, disputes)


def published_claims(session: Session, iso3: str, year: int) -> list[Claim]:
    """What the published report prints: the claims as corrected, withdrawn ones left out, each with the
    government's comments and the resolution of every dispute, to print beside the claim."""
    return [c for c in claims(session, iso3, year) if c.state is not VerificationState.WITHDRAWN]


def _override(session: Session, iso3: str, year: int) -> GateOverride | None:
    row = session.scalar(select(GateOverrideRow).where(GateOverrideRow.iso3 == iso3, GateOverrideRow.year == year)
                         .order_by(GateOverrideRow.at.desc(), GateOverrideRow.id.desc()).limit(1))
    return GateOverride(row.reason, row.admin, row.at) if row else None


def _reasons(session: Session, iso3: str, year: int, today: date | None, override: GateOverride | None) -> list[str]:
    requests = [r.domain() for r in requests_for(session, iso3, year)]
    return gate_reasons(requests, claims(session, iso3, year), today or utcnow().date(), override)


def publish_gate(session: Session, iso3: str, year: int, today: date | None = None) -> list[str]:
    """Why the country-year may not be published yet (empty: it may). Honours an administrator's override."""
    return review_status(session, iso3, year, today).blocking


@dataclass(frozen=True)
class ReviewStatus:
    iso3: str
    year: int
    requests_sent: int  # drafts and questionnaires sent to this government this year
    latest_request: int | None
    sent_at: datetime | None
    deadline: date | None
    completed_at: datetime | None
    claims: int
    open_disputes: int
    blocking: list[str]
    override: GateOverride | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "iso3": self.iso3, "year": self.year, "requests_sent": self.requests_sent,
            "latest_request": self.latest_request,
            "sent_at": self.sent_at.isoformat(timespec="seconds") if self.sent_at else None,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "completed_at": self.completed_at.isoformat(timespec="seconds") if self.completed_at else None,
            "claims": self.claims, "open_disputes": self.open_disputes, "blocking": self.blocking,
            "override": {"reason": self.override.reason, "admin": self.override.admin,
                         "at": self.override.at.isoformat(timespec="seconds")} if self.override else None,
        }


def _statuses(session: Session, iso3: str | None, year: int | None, today: date | None) -> list[ReviewStatus]:
    """Review status of every matching country-year with evidence or requests, in a handful of queries."""
    def where(model: Any) -> list[Any]:
        return [c for c in (model.iso3 == iso3 if iso3 else None, model.year == year if year else None)
                if c is not None]

    all_claims = _claims_where(session, *where(Evidence))
    requests: dict[tuple[str, int], list[ReviewRequestRow]] = {}
    for r in session.scalars(select(ReviewRequestRow).where(*where(ReviewRequestRow))
                             .order_by(ReviewRequestRow.sent_at, ReviewRequestRow.id)):
        requests.setdefault((r.iso3, r.year), []).append(r)
    overrides: dict[tuple[str, int], GateOverride] = {}
    for o in session.scalars(select(GateOverrideRow).where(*where(GateOverrideRow))
                             .order_by(GateOverrideRow.at, GateOverrideRow.id)):
        overrides[(o.iso3, o.year)] = GateOverride(o.reason, o.admin, o.at)  # the latest wins
    day = today or utcnow().date()
    result = []
    for key in sorted(set(all_claims) | set(requests), key=lambda k: (k[1], k[0])):
        sent, found, override = requests.get(key, []), all_claims.get(key, []), overrides.get(key)
        drafts = [r for r in sent if r.kind == RequestKind.DRAFT.value]
        latest = drafts[-1] if drafts else None
        result.append(ReviewStatus(
            key[0], key[1], len(sent), latest.id if latest else None, latest.sent_at if latest else None,
            latest.deadline if latest else None, latest.completed_at if latest else None, len(found),
            sum(len(c.open_disputes) for c in found),
            gate_reasons([r.domain() for r in sent], found, day, override), override))
    return result


def review_status(session: Session, iso3: str, year: int, today: date | None = None) -> ReviewStatus:
    iso3 = iso3.upper()
    found = _statuses(session, iso3, year, today)
    if found:
        return found[0]
    override = _override(session, iso3, year)
    return ReviewStatus(iso3, year, 0, None, None, None, None, 0, 0,
                        gate_reasons([], [], today or utcnow().date(), override), override)


def review_statuses(session: Session, year: int | None = None, today: date | None = None) -> list[ReviewStatus]:
    """Every country-year with evidence or requests, optionally one year only."""
    return _statuses(session, None, year, today)


def request_counts(session: Session, iso3: str | None = None) -> dict[tuple[str, int], int]:
    """Requests (drafts and questionnaires) sent to each government per report year: the burden, counted."""
    query = select(ReviewRequestRow.iso3, ReviewRequestRow.year, func.count()).group_by(
        ReviewRequestRow.iso3, ReviewRequestRow.year)
    if iso3:
        query = query.where(ReviewRequestRow.iso3 == iso3.upper())
    return {(i, y): int(n) for i, y, n in session.execute(query)}


# --- questionnaire --------------------------------------------------------------------------------------------


def _answers(session: Session, iso3: str, year: int) -> QuestionnaireAnswers | None:
    return session.scalar(select(QuestionnaireAnswers).where(QuestionnaireAnswers.iso3 == iso3,
                                                             QuestionnaireAnswers.year == year))


def questionnaire(session: Session, iso3: str, year: int) -> tuple[list[QuestionnaireItem], int | None]:
    """This year's form pre-filled with the government's most recent earlier answers, and that earlier year."""
    iso3, year = check_country_year(iso3, year)
    previous = session.scalar(select(QuestionnaireAnswers).where(
        QuestionnaireAnswers.iso3 == iso3, QuestionnaireAnswers.year < year)
        .order_by(QuestionnaireAnswers.year.desc()).limit(1))
    current = _answers(session, iso3, year)
    items = prefill(previous.answers if previous else None, current.answers if current else None)
    return items, previous.year if previous else None


def save_answers(session: Session, iso3: str, year: int, answers: Mapping[str, str], actor: str) -> dict[str, str]:
    iso3, year = check_country_year(iso3, year)
    try:
        clean = check_answers(answers)
    except ValueError as exc:
        raise EvidenceError(str(exc)) from None
    row = _answers(session, iso3, year)
    before = dict(row.answers) if row else None
    if row is None:
        row = QuestionnaireAnswers(iso3=iso3, year=year, answers=clean, updated_by=actor, updated_at=utcnow())
        session.add(row)
    else:
        row.answers, row.updated_by, row.updated_at = {**row.answers, **clean}, actor, utcnow()
    session.flush()
    _record(session, actor, "questionnaire.save", f"questionnaire:{iso3}/{year}", before, dict(row.answers))
    return dict(row.answers)
