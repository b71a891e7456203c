"""Reviews, the right of reply: drafts and questionnaires sent to a government, its liaison's answer to each claim
(confirm, comment, dispute, with a file if it likes), the analysts' resolution of each dispute, an administrator's
override of the publication gate, and the gate and review status read from them.

Every function works in the caller's session (wrap calls in `tiptiers.store.db.transaction`); bad input raises
`EvidenceError` naming the field, a missing record `NotFound`. The rules themselves (what blocks publication, what
a resolution needs) are the pure functions of `tiptiers.review`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, selectinload

from tiptiers.countries import country_name
from tiptiers.review import (
    AttachedFile,
    Claim,
    ClaimComment,
    Dispute,
    GateOverride,
    Outcome,
    RequestKind,
    Resolution,
    ResponseKind,
    ReviewRequest,
    SourceType,
    Stage,
    Translation,
    VerificationState,
    check_final,
    check_resolution,
    gate_reasons,
    superseding,
)
from tiptiers.review.windows import final_stage_required, windows_from_environment
from tiptiers.store import activity, notices
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
from tiptiers.store.evidence import Evidence, index_evidence, list_evidence, move_state
from tiptiers.store.models import Base
from tiptiers.store.texts import DEFAULT_LANGUAGE, TextTranslation, check_language, translations
from tiptiers.store.users import User


class ReviewRequestRow(Base):
    """A draft or questionnaire sent to a government; the rows are also the count of requests per year."""

    __tablename__ = "review_requests"
    __table_args__ = (CheckConstraint(sql_in("kind", [k.value for k in RequestKind]), name="ck_review_requests_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(20))
    sent_at: Mapped[datetime] = mapped_column(DateTime)
    deadline: Mapped[date] = mapped_column(Date)
    sent_by: Mapped[str] = mapped_column(String(100))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    completed_by: Mapped[str | None] = mapped_column(String(100))
    stage: Mapped[str] = mapped_column(String(10), default=Stage.DRAFT.value)  # draft | final (the final report)

    def domain(self) -> ReviewRequest:
        return ReviewRequest(self.id, self.iso3, self.year, RequestKind(self.kind), self.sent_at, self.deadline,
                             self.sent_by, self.completed_at, Stage(self.stage))


class FinalComment(Base):
    """The government's final comments on the final report, published beside the report (as GRETA does)."""

    __tablename__ = "final_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("review_requests.id"), index=True)
    iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"))
    year: Mapped[int] = mapped_column(Integer, index=True)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(35), default=DEFAULT_LANGUAGE)  # BCP 47 (tiptiers.store.texts)
    author: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "request": self.request_id, "text": self.text, "language": self.language,
                "author": self.author, "at": self.at.isoformat(timespec="seconds")}


class ClaimResponse(Base):
    """A liaison's confirmation, comment or dispute of one claim of a draft."""

    __tablename__ = "claim_responses"
    __table_args__ = (CheckConstraint(sql_in("kind", [k.value for k in ResponseKind]), name="ck_claim_responses_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("review_requests.id"), index=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    counter_evidence: Mapped[str] = mapped_column(Text, default="")
    counter_source_url: Mapped[str] = mapped_column(String(500), default="")
    # the language the government wrote `text` and `counter_evidence` in, BCP 47 (tiptiers.store.texts)
    language: Mapped[str] = mapped_column(String(35), default=DEFAULT_LANGUAGE)
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


class DisputeResolution(Base):
    __tablename__ = "dispute_resolutions"
    __table_args__ = (CheckConstraint(sql_in("outcome", [o.value for o in Outcome]), name="ck_dispute_outcome"),)

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


# --- requests, replies, resolutions, overrides ------------------------------------------------------------


def send_request(session: Session, iso3: str, year: int, actor: str, kind: str = "draft",
                 deadline: date | None = None, sent_at: datetime | None = None,
                 stage: str = "draft") -> ReviewRequestRow:
    """Send the draft (or the questionnaire, or with `stage="final"` the final report) to the government; the
    deadline defaults to the reply window of the setting (tiptiers.review.windows). The government's liaisons are
    told by e-mail."""
    iso3, year = check_country_year(iso3, year)
    request_kind = check_enum("kind", RequestKind, kind)
    request_stage = check_enum("stage", Stage, stage)
    sent_at = sent_at or utcnow()
    windows = windows_from_environment()
    if request_stage is Stage.FINAL:
        if request_kind is not RequestKind.DRAFT:
            raise EvidenceError("stage: the final report is the draft's second stage, not a questionnaire's")
        try:
            check_final([r.domain() for r in requests_for(session, iso3, year)], claims(session, iso3, year),
                        sent_at.date())
        except ValueError as exc:
            raise EvidenceError(str(exc)) from None
    deadline = deadline or (windows.final if request_stage is Stage.FINAL else windows.draft).after(sent_at.date())
    if deadline <= sent_at.date():
        raise EvidenceError(f"deadline: {deadline.isoformat()} is not after the day sent ({sent_at.date()})")
    if request_kind is RequestKind.DRAFT and not list_evidence(session, iso3, year):
        raise EvidenceError(f"iso3: no evidence recorded for {iso3} {year}: there is no draft to send")
    row = ReviewRequestRow(iso3=iso3, year=year, kind=request_kind.value, sent_at=sent_at, deadline=deadline,
                           sent_by=actor, stage=request_stage.value)
    session.add(row)
    session.flush()
    what = "final" if request_stage is Stage.FINAL else request_kind.value
    activity.record(session, actor, f"review.send_{what}", f"review:{iso3}/{year}", None,
                    {"request": row.id, "kind": row.kind, "stage": row.stage, "deadline": deadline.isoformat()})
    if request_kind is RequestKind.DRAFT:
        notices.notify_all(session, notices.liaisons(session, iso3), f"{row.stage}_sent",
                           {"country": country_name(iso3), "year": year, "deadline": deadline.isoformat()},
                           f"/review/{iso3}/{year}", key=f"request:{row.id}")
    return row


def requests_for(session: Session, iso3: str, year: int) -> list[ReviewRequestRow]:
    return list(session.scalars(select(ReviewRequestRow).where(
        ReviewRequestRow.iso3 == iso3.upper(), ReviewRequestRow.year == year).order_by(ReviewRequestRow.sent_at,
                                                                                        ReviewRequestRow.id)))


def latest_draft_year(session: Session, iso3: str) -> int | None:
    """The latest report year whose draft was sent to this government: where its liaison starts."""
    return session.scalar(select(func.max(ReviewRequestRow.year)).where(
        ReviewRequestRow.iso3 == iso3.upper(), ReviewRequestRow.kind == RequestKind.DRAFT.value))


def latest_draft_request(session: Session, iso3: str, year: int,
                         stage: Stage = Stage.DRAFT) -> ReviewRequestRow | None:
    """The latest draft sent (or with `stage=Stage.FINAL` the latest final report)."""
    drafts = [r for r in requests_for(session, iso3, year)
              if r.kind == RequestKind.DRAFT.value and r.stage == stage.value]
    return drafts[-1] if drafts else None


def _open_request(session: Session, iso3: str, year: int, today: date | None,
                  stage: Stage = Stage.DRAFT) -> ReviewRequestRow:
    request = latest_draft_request(session, iso3, year, stage)
    if request is None:
        what = "final report" if stage is Stage.FINAL else "draft"
        raise NotFound(f"no {what} of {iso3} {year} has been sent for review")
    today = today or utcnow().date()
    if not request.domain().is_open(today):
        when = (f"was completed on {request.completed_at.date()}" if request.completed_at
                else f"closed on {request.deadline}")
        raise EvidenceError(f"request: the review of {iso3} {year} {when}")
    return request


def respond(session: Session, iso3: str, year: int, evidence_id: int, kind: str, text: str, author: str,
            counter_evidence: str = "", counter_source_url: str = "", today: date | None = None,
            attachment_sha256: str | None = None, attachment_public: bool = False,
            language: str = DEFAULT_LANGUAGE) -> ClaimResponse:
    """The liaison's answer to one claim: confirm, comment, or dispute (with counter-evidence), written in
    `language` (a BCP 47 tag: its words are published in it, with the office's translation beside them if any).

    A dispute or a comment may carry a stored file (e.g. a copy of the article of law); it stays out of the public's
    reach unless `attachment_public` (the government's choice), and even then until the report is published."""
    response_kind = check_enum("kind", ResponseKind, kind)
    written_in = check_language("language", language)
    if attachment_sha256:
        if response_kind is ResponseKind.CONFIRM:
            raise EvidenceError("attachment_sha256: only a dispute or a comment carries a file")
        if session.get(Attachment, attachment_sha256.lower()) is None:
            raise EvidenceError(f"attachment_sha256: no stored file with SHA-256 {attachment_sha256[:64]!r}")
    elif attachment_public:
        raise EvidenceError("attachment_public: there is no file to publish; attach one or leave this unset")
    request = _open_request(session, iso3, year, today)
    evidence = get_row(session, Evidence, evidence_id)
    if evidence is None or (evidence.iso3, evidence.year) != (request.iso3, request.year):
        raise NotFound(f"no claim #{evidence_id} in the draft of {request.iso3} {year}")
    if evidence.state == VerificationState.WITHDRAWN.value:
        raise EvidenceError(f"evidence_id: claim #{evidence_id} has been withdrawn")
    if evidence.created_at > request.sent_at:
        raise NotFound(f"no claim #{evidence_id} in the draft of {request.iso3} {year}")
    # a confirmation or dispute replaces the answer that stood (the latest answer stands; the earlier stays on
    # record): if that was an unresolved dispute, it no longer waits on the analysts
    standing = None if response_kind is ResponseKind.COMMENT else session.scalar(
        select(ClaimResponse).where(ClaimResponse.evidence_id == evidence.id,
                                    ClaimResponse.kind != ResponseKind.COMMENT.value)
        .order_by(ClaimResponse.id.desc()).limit(1))
    superseded = (standing.id if standing is not None and standing.kind == ResponseKind.DISPUTE.value
                  and standing.resolution is None else None)
    body = check_text("text", text, 20_000, required=response_kind is not ResponseKind.CONFIRM)
    counter = check_text("counter_evidence", counter_evidence, 20_000, required=response_kind is ResponseKind.DISPUTE)
    row = ClaimResponse(request_id=request.id, evidence_id=evidence.id, kind=response_kind.value, text=body,
                        counter_evidence=counter,
                        counter_source_url=check_url("counter_source_url", counter_source_url),
                        language=written_in, author=author, at=utcnow())
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
        move_state(session, evidence, target[response_kind], author, f"government's response #{row.id}")
    activity.record(session, author, f"review.{response_kind.value}", f"evidence:{evidence.id}", None,
            {"response": row.id, "kind": row.kind, "text": row.text, "counter_evidence": row.counter_evidence,
             "language": row.language, "attachment": attached, "supersedes_dispute": superseded})
    if response_kind is ResponseKind.DISPUTE:
        notices.notify_all(session, notices.analysts(session), "dispute_received",
                           {"country": country_name(request.iso3), "year": year, "claim": evidence.id,
                            "text": row.text}, f"/workspace/{request.iso3}/{year}", key=f"dispute:{row.id}")
    return row


def complete_review(session: Session, iso3: str, year: int, actor: str, today: date | None = None) -> ReviewRequestRow:
    """The liaison has answered everything they mean to (on the final report once it is sent, else on the draft):
    the deadline no longer holds publication back. The analysts are told."""
    final = latest_draft_request(session, iso3, year, Stage.FINAL)
    request = _open_request(session, iso3, year, today, Stage.FINAL if final is not None else Stage.DRAFT)
    request.completed_at, request.completed_by = utcnow(), actor
    session.flush()
    activity.record(session, actor, "review.complete", f"review:{request.iso3}/{year}", None, {"request": request.id})
    notices.notify_all(session, notices.analysts(session), "review_completed",
                       {"country": country_name(request.iso3), "year": year, "stage": request.domain().label},
                       f"/workspace/{request.iso3}/{year}", key=f"complete:{request.id}")
    return request


def add_final_comment(session: Session, iso3: str, year: int, text: str, author: str,
                      today: date | None = None, language: str = DEFAULT_LANGUAGE) -> FinalComment:
    """The government's final comments on the final report, while its window is open; published with the report
    in the `language` they are written in (BCP 47)."""
    request = _open_request(session, iso3, year, today, Stage.FINAL)
    written_in = check_language("language", language)
    body = check_text("text", text, 20_000)
    row = FinalComment(request_id=request.id, iso3=request.iso3, year=request.year, text=body, language=written_in,
                       author=author, at=utcnow())
    session.add(row)
    session.flush()
    activity.record(session, author, "review.final_comment", f"review:{request.iso3}/{year}", None, row.as_dict())
    return row


def final_comments(session: Session, iso3: str, year: int) -> list[FinalComment]:
    return list(session.scalars(select(FinalComment).where(FinalComment.iso3 == iso3.upper(),
                                                           FinalComment.year == year).order_by(FinalComment.id)))


def final_comment_translations(session: Session, comments: list[FinalComment]) -> dict[int, tuple[Translation, ...]]:
    """The office's translations of each final comment, by the comment's id."""
    found = translations(session, "final_comment", [str(c.id) for c in comments])
    return {c.id: translations_of(found.get(str(c.id), [])) for c in comments}


def get_dispute(session: Session, dispute_id: int) -> ClaimResponse:
    row = get_row(session, ClaimResponse, dispute_id)
    if row is None or row.kind != ResponseKind.DISPUTE.value:
        raise NotFound(f"no dispute #{dispute_id}")
    return row


def resolve_dispute(session: Session, dispute_id: int, outcome: str, actor: str, reason: str = "",
                    corrected_statement: str | None = None, withdraw: bool = False) -> DisputeResolution:
    """An analyst's answer: `accepted` corrects or withdraws the claim, `maintained` keeps it with a reason."""
    dispute = get_dispute(session, dispute_id)
    if dispute.resolution is not None:
        raise EvidenceError(f"dispute_id: dispute #{dispute_id} was already resolved ({dispute.resolution.outcome})")
    later = session.scalar(select(ClaimResponse.id).where(
        ClaimResponse.evidence_id == dispute.evidence_id, ClaimResponse.id > dispute.id,
        ClaimResponse.kind != ResponseKind.COMMENT.value).order_by(ClaimResponse.id).limit(1))
    if later is not None:
        raise EvidenceError(f"dispute_id: the government replaced dispute #{dispute_id} with a later answer "
                            f"(#{later}); there is nothing left to resolve")
    result = check_enum("outcome", Outcome, outcome)
    try:
        check_resolution(result, reason, corrected_statement, withdraw)
    except ValueError as exc:
        raise EvidenceError(str(exc)) from None
    corrected = check_text("corrected_statement", corrected_statement, 20_000, required=False) or None
    resolution = DisputeResolution(response_id=dispute.id, outcome=result.value, reason=reason.strip(),
                                   corrected_statement=corrected, withdrawn=withdraw, resolved_by=actor,
                                   resolved_at=utcnow())
    session.add(resolution)
    evidence = dispute.evidence
    if result is Outcome.ACCEPTED:
        if withdraw:
            move_state(session, evidence, VerificationState.WITHDRAWN, actor, f"dispute #{dispute.id} accepted")
        else:
            before = evidence.as_dict()
            if evidence.original_statement is None:
                evidence.original_statement = evidence.statement
            evidence.statement = corrected or evidence.statement
            session.flush()
            activity.record(session, actor, "evidence.correct", f"evidence:{evidence.id}", before, evidence.as_dict())
            move_state(session, evidence, VerificationState.CONFIRMED, actor,
                  f"corrected as the government asked in dispute #{dispute.id}")
            index_evidence(session, evidence)
    session.flush()
    dispute.resolution = resolution
    activity.record(session, actor, f"dispute.{result.value}", f"dispute:{dispute.id}", None,
            {"outcome": result.value, "reason": resolution.reason, "corrected_statement": corrected,
             "withdrawn": withdraw, "iso3": evidence.iso3, "year": evidence.year})
    disputer = session.scalar(select(User).where(User.name == dispute.author))
    if disputer is not None:
        outcome = ("accepted: the claim is withdrawn" if withdraw else "accepted: the claim is corrected"
                   if result is Outcome.ACCEPTED else "maintained")
        notices.notify(session, disputer, "dispute_resolved",
                       {"country": country_name(evidence.iso3), "year": evidence.year, "claim": evidence.id,
                        "outcome": outcome, "reason": resolution.reason},
                       f"/review/{evidence.iso3}/{evidence.year}", key=f"resolution:{dispute.id}")
    return resolution


def record_gate_override(session: Session, iso3: str, year: int, reason: str, admin: str) -> GateOverrideRow:
    iso3, year = check_country_year(iso3, year)
    row = GateOverrideRow(iso3=iso3, year=year, reason=check_text("reason", reason, 5000), admin=admin, at=utcnow())
    session.add(row)
    session.flush()
    activity.record(session, admin, "review.gate_override", f"review:{iso3}/{year}", None,
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
    translated = translations(session, "response", [str(r.id) for found in responses.values() for r in found])
    grouped: dict[tuple[str, int], list[Claim]] = {}
    for e in rows:
        grouped.setdefault((e.iso3, e.year), []).append(_claim(e, responses.get(e.id, []), translated))
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


def translations_of(rows: list[TextTranslation], current: str | None = None) -> tuple[Translation, ...]:
    """Stored translations as the review rules see them; given the government's `current` text, those made of an
    earlier wording are marked stale."""
    return tuple(Translation(t.language, t.text, t.translator, t.at, current is not None and t.original != current)
                 for t in rows)


def comment_of(r: ClaimResponse, translated: dict[str, list[TextTranslation]] | None = None) -> ClaimComment:
    """A stored response as the review rules see it, with its file if one is attached, and its translations."""
    return ClaimComment(r.id, ResponseKind(r.kind), r.text, r.author, r.at, r.counter_evidence, r.counter_source_url,
                        _attached(r), bool(r.attached and r.attached.public), r.language,
                        translations_of((translated or {}).get(str(r.id), [])))


def _claim(e: Evidence, responses: list[ClaimResponse], translated: dict[str, list[TextTranslation]]) -> Claim:
    comments = tuple(comment_of(r, translated) for r in responses)
    replaced = superseding(comments)
    disputes = tuple(
        Dispute(r.id, e.id, r.text, r.counter_evidence, r.author, r.at,
                Resolution(Outcome(r.resolution.outcome), r.resolution.reason, r.resolution.resolved_by,
                           r.resolution.resolved_at, r.resolution.corrected_statement, r.resolution.withdrawn)
                if r.resolution else None, replaced.get(r.id), r.language,
                translations_of(translated.get(str(r.id), [])))
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
    return gate_reasons(requests, claims(session, iso3, year), today or utcnow().date(), override,
                        final_stage_required())


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
            gate_reasons([r.domain() for r in sent], found, day, override, final_stage_required()), override))
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

