"""Evidence and the right of reply on the web: the analyst's workspace, the liaison's review page, the API.

Permissions, the same for a page and its JSON twin:
- evidence, assessments, workspace, status: staff (admin, analyst, reviewer) read; admin and analyst write. Anyone
  else: 403 (the answer does not depend on the record asked for, so it leaks nothing).
- attachments: admin, analyst, liaisons and ngo accounts upload; staff download any, others only a file they uploaded
  themselves, or one a government marked publishable on a reply in a published report; any other file is a 404.
- a country's draft under review, its questionnaire: staff, and the liaison of that country. A liaison asking for
  another country gets the same 404 as for a draft that does not exist: existence itself must not leak.
- answering a claim, completing the review, the questionnaire answers: the liaison of that country only.
- resolving a dispute: admin and analyst. Allowing publication despite what blocks it: admin.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, TypeVar

from fastapi import APIRouter, File, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from tiptiers.engine import AssessmentInput, Determination
from tiptiers.methodology import methodology_for_year
from tiptiers.review import (
    Claim,
    ClaimComment,
    Dispute,
    Outcome,
    QuestionnaireItem,
    RequestKind,
    ResponseKind,
    SourceType,
    Stage,
    Translation,
    VerificationState,
)
from tiptiers.review.windows import windows_from_environment
from tiptiers.store import (
    assessments,
    attachments,
    checks,
    evidence,
    publication,
    questionnaires,
    reviews,
    submissions,
    texts,
)
from tiptiers.store.db import transaction
from tiptiers.store.texts import DEFAULT_LANGUAGE
from tiptiers.store.users import User
from tiptiers.web.auth import CurrentUser, can_see_country_draft
from tiptiers.web.deps import (
    AttachmentOut,
    ReportYear,
    ReportYearQuery,
    SessionDep,
    Visibility,
    Visible,
    country_or_404,
    item_title,
    store_errors,
    templates,
)
from tiptiers.web.i18n_texts import SIGNAL_QUESTIONS, error_detail

api = APIRouter(prefix="/api/v1", tags=["evidence and review"])
pages = APIRouter(include_in_schema=False)

STAFF = ("admin", "analyst", "reviewer")
WRITERS = ("admin", "analyst")
T = TypeVar("T")


# --- response and request models -------------------------------------------------------------------------------


LANGUAGE_FIELD = Field(DEFAULT_LANGUAGE, max_length=35, examples=["es"], description=(
    "The language the government writes in, a BCP 47 tag (en, fr, es, ar, pt-BR ...): its words are published in "
    "it, with the office's translation beside them if one is added"))


class TranslationOut(BaseModel):
    language: str = Field(description="BCP 47 tag of the translation")
    language_name: str = Field(description="The language in English, e.g. Spanish")
    text: str
    translator: str = Field(description="Who in the office translated it")
    at: datetime
    stale: bool = Field(False, description="the government's text changed since it was translated")


def translations_out(translations: Iterable[Translation]) -> list[TranslationOut]:
    return [TranslationOut(language=t.language, language_name=texts.language_name(t.language), text=t.text,
                           translator=t.translator, at=t.at, stale=t.stale) for t in translations]


class TranslationIn(BaseModel):
    text_kind: str = Field(examples=["response"], description=(
        "response (an answer to a claim, a dispute included), final_comment or answer (a questionnaire answer)"))
    text_id: str = Field(max_length=100, examples=["12"], description=(
        "the response or final comment id, or the question id of a questionnaire answer (e.g. laws)"))
    language: str = Field(DEFAULT_LANGUAGE, max_length=35, examples=["en"],
                          description="BCP 47 tag of the translation (default en)")
    text: str = Field(max_length=texts.MAX_TRANSLATION, description="The translation")


class TranslationSaved(TranslationOut):
    text_kind: str
    text_id: str


class EvidenceIn(BaseModel):
    iso3: str = Field(examples=["JPN"])
    year: int = Field(examples=[2026])
    criteria: list[str] = Field(min_length=1, examples=[["criterion_1"]])
    statement: str
    source_type: SourceType
    source_name: str
    source_date: date | None = None
    source_url: str = ""
    attachment_sha256: str | None = None


class EvidenceOut(BaseModel):
    id: int
    iso3: str
    year: int
    criteria: list[str]
    statement: str
    original_statement: str | None
    source_type: SourceType
    source_name: str
    source_date: date | None
    source_url: str
    attachment_sha256: str | None
    corroborated_by: int | None
    state: VerificationState
    entered_by: str
    created_at: datetime


class TransitionOut(BaseModel):
    from_state: VerificationState | None
    to_state: VerificationState
    actor: str
    reason: str
    at: datetime


class EvidenceDetail(EvidenceOut):
    transitions: list[TransitionOut]


class StateIn(BaseModel):
    state: VerificationState = Field(description="corroborated (with corroborated_by) or withdrawn (with a reason)")
    reason: str = ""
    corroborated_by: int | None = None


class RatingBody(BaseModel):
    criterion: str
    level: str = Field(description="not_met, partial, substantial or full")
    evidence: list[int] = Field(description="ids of evidence records of the same country-year")
    note: str = ""


class AssessmentIn(BaseModel):
    ratings: list[RatingBody]
    narrative: str = ""
    version: int | None = Field(None, description="The assessment version this edit started from (0 for a new "
                                                   "one). A save over a newer version is refused with 409.")
    signals: dict[str, Any] = Field(default_factory=dict, description="Watch List signals passed to the engine")


class FlagOut(BaseModel):
    code: str
    text: str


class CitedOut(BaseModel):
    id: int
    state: VerificationState
    statement: str


class RatingOut(BaseModel):
    criterion: str
    level: str
    note: str
    evidence: list[CitedOut]
    flag: FlagOut | None = Field(description="set when the rating rests only on unverified evidence")


class DeterminationOut(BaseModel):
    tier: str | None = None
    computed_tier: str | None = None
    reasons: list[str] = Field(default_factory=list)
    error: str | None = Field(default=None, description="why no tier could be determined from these ratings")


class RequestOut(BaseModel):
    id: int
    iso3: str
    year: int
    kind: RequestKind
    sent_at: datetime
    deadline: date
    sent_by: str
    completed_at: datetime | None
    stage: Stage = Field(Stage.DRAFT, description="draft, or final: the final report for final comments")


class SendIn(BaseModel):
    kind: RequestKind = RequestKind.DRAFT
    stage: Stage = Field(Stage.DRAFT, description="final: the final report (the resolved claims, the tier, the "
                                                  "narrative) for the government's final comments, after the draft")
    deadline: date | None = Field(default=None, description="last day to answer; default: the reply window of "
                                                            "the setting (TIPTIERS_REPLY_WINDOWS)")


class FinalCommentIn(BaseModel):
    text: str = Field(min_length=1, max_length=20_000)
    language: str = LANGUAGE_FIELD


class FinalCommentOut(BaseModel):
    id: int
    request: int
    text: str
    language: str = DEFAULT_LANGUAGE
    author: str
    at: str
    translations: list[TranslationOut] = Field(default_factory=list)


class ResponseIn(BaseModel):
    kind: ResponseKind
    text: str = ""
    counter_evidence: str = Field(default="", description="required for a dispute: e.g. the article of law")
    counter_source_url: str = ""
    attachment_sha256: str | None = Field(None, max_length=64, description=(
        "a dispute or comment may carry a file (e.g. a copy of the law article): upload it first with POST "
        "/api/v1/attachments and give its SHA-256 here"))
    attachment_public: bool = Field(False, description="the government lets the public download the file once the "
                                                       "report is published (default: staff and you only)")
    language: str = LANGUAGE_FIELD


class ResponseOut(BaseModel):
    id: int
    kind: ResponseKind
    text: str
    counter_evidence: str
    counter_source_url: str
    author: str
    at: datetime
    attachment: AttachmentOut | None = None
    attachment_public: bool = False
    language: str = Field(DEFAULT_LANGUAGE, description="BCP 47: the language the government wrote it in")
    translations: list[TranslationOut] = Field(default_factory=list, description="the office's translations")


class ResolutionIn(BaseModel):
    outcome: Outcome
    reason: str = ""
    corrected_statement: str | None = None
    withdraw: bool = False


class ResolutionOut(BaseModel):
    outcome: Outcome
    reason: str
    corrected_statement: str | None
    withdrawn: bool
    resolved_by: str
    resolved_at: datetime


class DisputeOut(BaseModel):
    id: int
    evidence_id: int
    text: str
    counter_evidence: str
    author: str
    at: datetime
    resolution: ResolutionOut | None
    superseded_by: int | None  # the government's later answer that replaced this dispute (it no longer blocks)
    language: str = Field(DEFAULT_LANGUAGE, description="BCP 47: the language the government wrote it in")
    translations: list[TranslationOut] = Field(default_factory=list, description="the office's translations")


class ClaimOut(BaseModel):
    id: int
    statement: str
    original_statement: str | None
    state: VerificationState
    criteria: list[str]
    source_type: SourceType
    source_name: str
    source_date: date | None
    source_url: str
    responses: list[ResponseOut]
    disputes: list[DisputeOut]


class OverrideOut(BaseModel):
    reason: str
    admin: str
    at: datetime


class StatusOut(BaseModel):
    iso3: str
    year: int
    requests_sent: int = Field(description="drafts and questionnaires sent to this government for this report year")
    latest_request: int | None
    sent_at: datetime | None
    deadline: date | None
    completed_at: datetime | None
    claims: int
    open_disputes: int
    blocking: list[str] = Field(description="what blocks publication; empty when it may go ahead")
    override: OverrideOut | None


class DraftOut(BaseModel):
    iso3: str
    country: str
    year: int
    request: RequestOut | None
    open: bool = Field(description="whether the liaison may still answer")
    requests_this_year: int
    claims: list[ClaimOut]
    ratings: list[RatingOut]
    narrative: str
    determination: DeterminationOut | None
    final_request: RequestOut | None = Field(None, description="the final report, once sent (the second stage)")
    final_open: bool = Field(False, description="whether the liaison may still send final comments")
    final_comments: list[FinalCommentOut] = Field(default_factory=list,
                                                  description="the government's final comments, published with "
                                                              "the report")


class SubmittedOut(BaseModel):
    evidence_id: int
    submission_id: int
    organisation: str
    submitted_by: str
    analyst_note: str


class WorkspaceOut(BaseModel):
    iso3: str
    country: str
    year: int
    evidence: list[EvidenceOut]
    ratings: list[RatingOut]
    narrative: str
    version: int = Field(description="The assessment's version (0: none saved yet); send it back when saving")
    signals: dict[str, bool] = Field(default_factory=dict, description=(
        "The Watch List signals saved with the ratings (unset ones take the engine's default)"))
    determination: DeterminationOut | None
    open_disputes: list[DisputeOut]
    claims: list[ClaimOut] = Field(description="the evidence as claims, with the government's answers")
    status: StatusOut
    submitted: list[SubmittedOut] = Field(default_factory=list,
                                          description="the evidence that came from NGOs' shadow reports")


class OverrideIn(BaseModel):
    reason: str


class QuestionOut(BaseModel):
    id: str
    text: str
    standard: str
    answer: str
    origin: str = Field(description="this_year, last_year (pre-filled) or new")
    previous_answer: str | None
    language: str | None = Field(None, description="BCP 47: the language this year's saved answer is written in")
    translations: list[TranslationOut] = Field(default_factory=list, description="the office's translations of "
                                                                                 "this year's answer")


class QuestionnaireOut(BaseModel):
    iso3: str
    year: int
    previous_year: int | None
    items: list[QuestionOut]


class AnswersIn(BaseModel):
    answers: dict[str, str]
    language: str = LANGUAGE_FIELD


# --- permissions and errors ------------------------------------------------------------------------------------


def _role(user: User, roles: tuple[str, ...], what: str) -> None:
    if user.role not in roles:
        raise HTTPException(403, f"{what} is for {', '.join(roles)}; you are {user.role}")


def _country_year(user: User, iso3: str, year: int) -> tuple[str, str]:
    """The country and its name if this user may see its draft; a liaison of another country gets a 404."""
    country = country_or_404(iso3)
    if not can_see_country_draft(user, country.iso3):
        raise HTTPException(404, f"no review of {iso3.upper()} {year}")
    with store_errors():
        checks.check_country_year(country.iso3, year)
    return country.iso3, country.name


def _write(request: Request, job: Callable[[Session], T]) -> T:
    """One change, one transaction, with its activity-log entry; errors become 404/422 naming the field."""
    with store_errors(), transaction(request.app.state.sessions) as session:
        return job(session)


# --- conversions -----------------------------------------------------------------------------------------------


def _evidence_out(e: evidence.Evidence) -> EvidenceOut:
    return EvidenceOut.model_validate(e.as_dict())


def _ratings_out(assessment: assessments.Assessment | None) -> list[RatingOut]:
    return [RatingOut(criterion=v.criterion, level=v.level, note=v.note,
                      evidence=[CitedOut(**c) for c in v.evidence],
                      flag=FlagOut(code=v.flag.code, text=v.flag.text) if v.flag else None)
            for v in assessments.rating_views(assessment)]


def _dispute_out(d: Dispute) -> DisputeOut:
    r = d.resolution
    return DisputeOut(id=d.id, evidence_id=d.evidence_id, text=d.text, counter_evidence=d.counter_evidence,
                      author=d.author, at=d.at,
                      resolution=ResolutionOut(outcome=r.outcome, reason=r.reason,
                                               corrected_statement=r.corrected_statement, withdrawn=r.withdrawn,
                                               resolved_by=r.resolved_by, resolved_at=r.resolved_at) if r else None,
                      superseded_by=d.superseded_by, language=d.language,
                      translations=translations_out(d.translations))


def _response_out(r: ClaimComment) -> ResponseOut:
    a = r.attachment
    return ResponseOut(id=r.id, kind=r.kind, text=r.text, counter_evidence=r.counter_evidence,
                       counter_source_url=r.counter_source_url, author=r.author, at=r.at,
                       attachment=AttachmentOut(sha256=a.sha256, filename=a.filename, media_type=a.media_type,
                                                size=a.size) if a else None,
                       attachment_public=r.attachment_public, language=r.language,
                       translations=translations_out(r.translations))


def claim_out(c: Claim) -> ClaimOut:
    return ClaimOut(
        id=c.evidence_id, statement=c.statement, original_statement=c.original_statement, state=c.state,
        criteria=list(c.criteria), source_type=c.source_type, source_name=c.source_name, source_date=c.source_date,
        source_url=c.source_url,
        responses=[_response_out(r) for r in c.comments],
        disputes=[_dispute_out(d) for d in c.disputes])


def _request_out(r: reviews.ReviewRequestRow) -> RequestOut:
    return RequestOut(id=r.id, iso3=r.iso3, year=r.year, kind=RequestKind(r.kind), sent_at=r.sent_at,
                      deadline=r.deadline, sent_by=r.sent_by, completed_at=r.completed_at, stage=Stage(r.stage))


def _status_out(s: reviews.ReviewStatus) -> StatusOut:
    return StatusOut.model_validate(s.as_dict())


def _determination(session: Session, assessment: assessments.Assessment | None) -> DeterminationOut | None:
    """The engine's tier for the saved ratings, or why there is none yet (e.g. a minimum standard not rated)."""
    if assessment is None or not assessment.ratings:
        return None
    try:
        result = assessments.assessment_determination(session, assessment)
    except ValueError as exc:
        return DeterminationOut(error=in_words(str(exc), assessment.year))
    return DeterminationOut(tier=result.tier.value, computed_tier=result.computed_tier.value,
                            reasons=[r.text for r in result.reasons])


def _questionnaire_out(iso3: str, year: int, items: list[QuestionnaireItem], previous: int | None,
                       saved: dict[str, tuple[str, list[texts.TextTranslation]]]) -> QuestionnaireOut:
    def out(item: QuestionnaireItem) -> QuestionOut:
        language, translated = saved.get(item.id, (None, []))
        return QuestionOut(**item.__dict__, language=language if item.origin == "this_year" else None,
                           translations=translations_out(reviews.translations_of(translated, item.answer))
                           if item.origin == "this_year" else [])

    return QuestionnaireOut(iso3=iso3, year=year, previous_year=previous, items=[out(item) for item in items])


def _final_comments_out(session: Session, iso3: str, year: int) -> list[FinalCommentOut]:
    comments = reviews.final_comments(session, iso3, year)
    translated = reviews.final_comment_translations(session, comments)
    return [FinalCommentOut(**c.as_dict(), translations=translations_out(translated[c.id])) for c in comments]


# --- reading ---------------------------------------------------------------------------------------------------


def _workspace(session: Session, user: User, iso3: str, year: int) -> WorkspaceOut:
    _role(user, STAFF, "the analysts' workspace")
    country = country_or_404(iso3)
    with store_errors():
        checks.check_country_year(country.iso3, year)
    assessment = assessments.get_assessment(session, country.iso3, year)
    all_claims = reviews.claims(session, country.iso3, year)
    submitted = submissions.notes_for(session, [c.evidence_id for c in all_claims])
    return WorkspaceOut(
        iso3=country.iso3, country=country.name, year=year,
        evidence=[_evidence_out(e) for e in evidence.list_evidence(session, country.iso3, year)],
        ratings=_ratings_out(assessment), narrative=assessment.narrative if assessment else "",
        version=assessment.version if assessment else 0,
        signals=dict(assessment.signals) if assessment else {},
        determination=_determination(session, assessment),
        open_disputes=[_dispute_out(d) for c in all_claims for d in c.open_disputes],
        claims=[claim_out(c) for c in all_claims],
        status=_status_out(reviews.review_status(session, country.iso3, year)),
        submitted=[SubmittedOut(evidence_id=e, submission_id=r.submission_id, organisation=r.submission.organisation,
                                submitted_by=r.submission.user.name, analyst_note=r.analyst_note)
                   for e, r in sorted(submitted.items())])


def _draft(session: Session, user: User, iso3: str, year: int) -> DraftOut:
    iso3, name = _country_year(user, iso3, year)
    request = reviews.latest_draft_request(session, iso3, year)
    if request is None and user.role == "liaison":
        raise HTTPException(404, f"no review of {iso3} {year}")
    assessment = assessments.get_assessment(session, iso3, year)
    as_of = request.sent_at if request is not None and user.role == "liaison" else None
    final = reviews.latest_draft_request(session, iso3, year, Stage.FINAL)
    today = checks.utcnow().date()
    return DraftOut(
        final_request=_request_out(final) if final else None,
        final_open=final is not None and final.domain().is_open(today),
        final_comments=_final_comments_out(session, iso3, year),
        iso3=iso3, country=name, year=year, request=_request_out(request) if request else None,
        open=request is not None and request.domain().is_open(checks.utcnow().date()),
        requests_this_year=reviews.request_counts(session, iso3).get((iso3, year), 0),
        claims=[claim_out(c) for c in reviews.claims(session, iso3, year, as_of=as_of)
                if c.state is not VerificationState.WITHDRAWN or user.role != "liaison"],
        ratings=_ratings_out(assessment), narrative=assessment.narrative if assessment else "",
        determination=_determination(session, assessment))


@api.get("/evidence", response_model=list[EvidenceOut], summary="Evidence records (staff)")
def api_evidence_list(session: SessionDep, user: CurrentUser, iso3: str | None = None, year: ReportYearQuery = None,
                      state: VerificationState | None = None) -> list[EvidenceOut]:
    _role(user, STAFF, "evidence")
    return [_evidence_out(e) for e in evidence.list_evidence(session, iso3, year, state.value if state else None)]


@api.get("/evidence/{evidence_id}", response_model=EvidenceDetail, summary="One evidence record and its history")
def api_evidence_get(evidence_id: int, session: SessionDep, user: CurrentUser) -> EvidenceDetail:
    _role(user, STAFF, "evidence")
    with store_errors():
        e = evidence.get_evidence(session, evidence_id)
    return EvidenceDetail(**_evidence_out(e).model_dump(), transitions=[
        TransitionOut(from_state=t.from_state, to_state=t.to_state, actor=t.actor, reason=t.reason, at=t.at)
        for t in e.transitions])


def _may_download(visible: Visibility, sha256: str) -> bool:
    user = visible.user
    if visible.staff:
        return True
    if user is not None and user.active and attachments.uploaded_by(visible.session, sha256, user.id):
        return True
    return publication.attachment_is_public(visible.session, sha256, visible.now)


@api.get("/attachments/{sha256}", summary="Download an attachment by its SHA-256",
         description="Staff download any file; another account a file it uploaded; anyone a file a government "
                     "marked publishable on its reply to a claim of a published report. Otherwise 404.",
         responses={200: {"content": {"application/octet-stream": {}}}})
def api_attachment(sha256: str, session: SessionDep, visible: Visible) -> Response:
    if len(sha256) > 64 or not _may_download(visible, sha256):
        raise HTTPException(404, f"no attachment {sha256[:64]}")
    with store_errors():
        row = attachments.attachment_content(session, sha256)
    safe = "".join(ch for ch in row.filename if ch.isalnum() or ch in "._- ") or "attachment"
    return Response(row.content, media_type=row.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{safe}"'})


@api.get("/workspace/{iso3}/{year}", response_model=WorkspaceOut, summary="An analyst's workspace for a country-year")
def api_workspace(iso3: str, year: ReportYear, session: SessionDep, user: CurrentUser) -> WorkspaceOut:
    return _workspace(session, user, iso3, year)


@api.get("/reviews", response_model=list[StatusOut], summary="Every country-year under review, with request counts")
def api_reviews(session: SessionDep, user: CurrentUser, year: ReportYearQuery = None) -> list[StatusOut]:
    _role(user, STAFF, "the review status")
    return [_status_out(s) for s in reviews.review_statuses(session, year)]


@api.get("/reviews/{iso3}/{year}", response_model=DraftOut,
         summary="The draft a government reviews: claims with its answers, ratings, narrative, tier")
def api_draft(iso3: str, year: ReportYear, session: SessionDep, user: CurrentUser) -> DraftOut:
    return _draft(session, user, iso3, year)


@api.get("/reviews/{iso3}/{year}/gate", response_model=StatusOut, summary="What blocks publication (staff)")
def api_gate(iso3: str, year: ReportYear, session: SessionDep, user: CurrentUser) -> StatusOut:
    _role(user, STAFF, "the publish gate")
    return _status_out(reviews.review_status(session, _country_year(user, iso3, year)[0], year))


@api.get("/questionnaires/{iso3}/{year}", response_model=QuestionnaireOut,
         summary="The yearly questionnaire, pre-filled with the government's last answers")
def api_questionnaire(iso3: str, year: ReportYear, session: SessionDep, user: CurrentUser) -> QuestionnaireOut:
    iso3, _ = _country_year(user, iso3, year)
    with store_errors():
        items, previous = questionnaires.questionnaire(session, iso3, year)
    return _questionnaire_out(iso3, year, items, previous, questionnaires.answer_texts(session, iso3, year))


# --- writing ---------------------------------------------------------------------------------------------------


@api.post("/evidence", response_model=EvidenceOut, status_code=201, summary="Record evidence (admin, analyst)")
def api_evidence_add(body: EvidenceIn, request: Request, user: CurrentUser) -> EvidenceOut:
    _role(user, WRITERS, "recording evidence")
    return _write(request, lambda s: _evidence_out(evidence.add_evidence(
        s, iso3=body.iso3, year=body.year, criteria=body.criteria, statement=body.statement,
        source_type=body.source_type.value, source_name=body.source_name, entered_by=user.name,
        source_date=body.source_date, source_url=body.source_url, attachment_sha256=body.attachment_sha256)))


@api.post("/evidence/{evidence_id}/state", response_model=EvidenceOut,
          summary="Corroborate or withdraw evidence (admin, analyst)")
def api_evidence_state(evidence_id: int, body: StateIn, request: Request, user: CurrentUser) -> EvidenceOut:
    _role(user, WRITERS, "changing a verification state")
    return _write(request, lambda s: _evidence_out(evidence.set_state(
        s, evidence_id, body.state.value, user.name, body.reason, body.corroborated_by)))


UPLOADERS = (*WRITERS, "liaison", "ngo")


@api.post("/attachments", response_model=AttachmentOut, status_code=201,
          summary="Upload a file; the same file twice is stored once (admin, analyst, liaison, ngo)")
async def api_attachment_add(request: Request, user: CurrentUser, file: UploadFile = File(...)) -> AttachmentOut:
    _role(user, UPLOADERS, "attaching files")
    content = await file.read(attachments.MAX_ATTACHMENT_BYTES + 1)

    def job(s: Session) -> attachments.Attachment:
        row = attachments.store_attachment(s, file.filename or "attachment", content,
                                     file.content_type or "application/octet-stream", user.name)
        attachments.note_upload(s, row.sha256, user.id)
        return row

    row = _write(request, job)
    return AttachmentOut(sha256=row.sha256, filename=row.filename, media_type=row.media_type, size=row.size)


@api.put("/assessments/{iso3}/{year}", response_model=WorkspaceOut,
         summary="Save a country-year's ratings, each citing evidence (admin, analyst)",
         responses={409: {"description": "Someone saved a newer version since the one this edit started from"}})
def api_assessment(iso3: str, year: ReportYear, body: AssessmentIn, request: Request, session: SessionDep,
                   user: CurrentUser) -> WorkspaceOut:
    _role(user, WRITERS, "rating")
    ratings = [assessments.RatingIn(r.criterion, r.level, r.evidence, r.note) for r in body.ratings]
    _write(request, lambda s: assessments.save_assessment(s, country_or_404(iso3).iso3, year, ratings, user.name,
                                                    body.narrative, body.signals, body.version))
    return _workspace(session, user, iso3, year)


@api.post("/reviews/{iso3}/{year}/requests", response_model=RequestOut, status_code=201,
          summary="Send the draft or the questionnaire to the government (admin, analyst)")
def api_send(iso3: str, year: ReportYear, body: SendIn, request: Request, user: CurrentUser) -> RequestOut:
    _role(user, WRITERS, "sending a review request")
    country = country_or_404(iso3)
    return _write(request, lambda s: _request_out(
        reviews.send_request(s, country.iso3, year, user.name, body.kind.value, body.deadline,
                             stage=body.stage.value)))


def _liaison(user: User, iso3: str, year: int) -> str:
    iso3, _ = _country_year(user, iso3, year)
    if user.role != "liaison":
        raise HTTPException(403, "only the government's liaison answers its draft; record a reply received "
                                 "otherwise with `tiptiers review respond`")
    return iso3


@api.post("/reviews/{iso3}/{year}/claims/{evidence_id}/responses", response_model=ResponseOut, status_code=201,
          summary="The liaison confirms, disputes (with counter-evidence) or comments on a claim")
def api_respond(iso3: str, year: ReportYear, evidence_id: int, body: ResponseIn, request: Request,
                user: CurrentUser) -> ResponseOut:
    iso3 = _liaison(user, iso3, year)

    def job(s: Session) -> ClaimComment:
        sha = attachments.check_upload(s, "attachment_sha256", body.attachment_sha256, user.id)
        row = reviews.respond(s, iso3, year, evidence_id, body.kind.value, body.text, user.name,
                            body.counter_evidence, body.counter_source_url, attachment_sha256=sha,
                            attachment_public=body.attachment_public, language=body.language)
        return reviews.comment_of(row)

    return _response_out(_write(request, job))


@api.post("/reviews/{iso3}/{year}/final-comments", response_model=FinalCommentOut, status_code=201,
          summary="The liaison's final comments on the final report, published beside the report")
def api_final_comment(iso3: str, year: ReportYear, body: FinalCommentIn, request: Request,
                      user: CurrentUser) -> FinalCommentOut:
    iso3 = _liaison(user, iso3, year)
    return _write(request, lambda s: FinalCommentOut(**reviews.add_final_comment(s, iso3, year, body.text, user.name,
                                                                                 language=body.language).as_dict()))


@api.post("/reviews/{iso3}/{year}/complete", response_model=RequestOut,
          summary="The liaison says the review is done: the deadline no longer holds publication back")
def api_complete(iso3: str, year: ReportYear, request: Request, user: CurrentUser) -> RequestOut:
    iso3 = _liaison(user, iso3, year)
    return _write(request, lambda s: _request_out(reviews.complete_review(s, iso3, year, user.name)))


@api.put("/questionnaires/{iso3}/{year}", response_model=QuestionnaireOut,
         summary="The liaison saves questionnaire answers (blank answers keep what was there)")
def api_answers(iso3: str, year: ReportYear, body: AnswersIn, request: Request, session: SessionDep,
                user: CurrentUser) -> QuestionnaireOut:
    iso3 = _liaison(user, iso3, year)
    _write(request, lambda s: questionnaires.save_answers(s, iso3, year, body.answers, user.name, body.language))
    return api_questionnaire(iso3, year, session, user)


@api.post("/reviews/{iso3}/{year}/translations", response_model=TranslationSaved, status_code=201,
          summary="Add the office's translation of a government's text (admin, analyst); one per language",
          description="The government's words stay as written; the translation is shown beside them, marked as the "
                      "office's, on the review pages and, once the year is published, in the published report. A "
                      "second translation into the same language replaces the first (the activity log keeps it).",
          responses={404: {"description": "No such text in this country-year"},
                     422: {"description": "Bad input; the message names the field (language, text, text_kind)"}})
def api_translate(iso3: str, year: ReportYear, body: TranslationIn, request: Request,
                  user: CurrentUser) -> TranslationSaved:
    _role(user, WRITERS, "translating")
    country = country_or_404(iso3)

    def job(s: Session) -> TranslationSaved:
        row = texts.translate(s, country.iso3, year, body.text_kind, body.text_id, body.language, body.text,
                              user.name)
        return TranslationSaved(text_kind=row.kind, text_id=body.text_id,
                                **translations_out(reviews.translations_of([row]))[0].model_dump())

    return _write(request, job)


@api.post("/disputes/{dispute_id}/resolution", response_model=DisputeOut,
          summary="Resolve a dispute: accepted (corrected or withdrawn) or maintained with a reason")
def api_resolve(dispute_id: int, body: ResolutionIn, request: Request, session: SessionDep,
                user: CurrentUser) -> DisputeOut:
    _role(user, WRITERS, "resolving disputes")
    _write(request, lambda s: reviews.resolve_dispute(s, dispute_id, body.outcome.value, user.name, body.reason,
                                                    body.corrected_statement, body.withdraw))
    row = reviews.get_dispute(session, dispute_id)
    [claim] = [c for c in reviews.claims(session, row.evidence.iso3, row.evidence.year)
               if c.evidence_id == row.evidence_id]
    return _dispute_out(next(d for d in claim.disputes if d.id == dispute_id))


@api.post("/reviews/{iso3}/{year}/gate-override", response_model=StatusOut,
          summary="Administrators: allow publication despite what blocks it, with a written reason")
def api_override(iso3: str, year: ReportYear, body: OverrideIn, request: Request, session: SessionDep,
                 user: CurrentUser) -> StatusOut:
    _role(user, ("admin",), "overriding the publish gate")
    country = country_or_404(iso3)
    _write(request, lambda s: reviews.record_gate_override(s, country.iso3, year, body.reason, user.name))
    return _status_out(reviews.review_status(session, country.iso3, year))


# --- pages -----------------------------------------------------------------------------------------------------


def _page(request: Request, template: str, json_url: str, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, template, {"json_url": json_url, **context})


def criterion_titles(year: int) -> dict[str, str]:
    """Each standard and criterion in force in `year` as a person reads it: "Criterion 1: Prosecution"."""
    return {i.id: item_title(i.id, year) for i in methodology_for_year(year).items}


ITEM_ID = re.compile(r"\b(?:standard|criterion)_\d+\b")


def in_words(text: str, year: int) -> str:
    """An engine message with its criterion ids as a person reads them ("standard_2" -> "Standard 2: ...")."""
    titles = criterion_titles(year)
    return ITEM_ID.sub(lambda m: titles.get(m.group(0), m.group(0)), text)

def _engine_determination(session: Session, iso3: str, year: int) -> tuple[Determination | None, str | None]:
    """The engine's full determination of the saved ratings (with the way up), or why there is none yet."""
    assessment = assessments.get_assessment(session, iso3, year)
    if assessment is None or not assessment.ratings:
        return None, "no rating yet: rate the minimum standards and the criteria above"
    try:
        return assessments.assessment_determination(session, assessment), None
    except ValueError as exc:
        return None, in_words(str(exc), year)


def _workspace_page(request: Request, session: Session, user: User, iso3: str, year: int,
                    error: str | None = None, status: int = 200) -> Response:
    data = _workspace(session, user, iso3, year)
    m = methodology_for_year(year)
    assessment = assessments.get_assessment(session, data.iso3, year)
    stored = dict(assessment.signals) if assessment else {}
    defaults = {name: f.default for name, f in AssessmentInput.model_fields.items() if name in SIGNAL_QUESTIONS}
    signals = {name: bool(stored.get(name, defaults[name])) for name in SIGNAL_QUESTIONS
               if name != "proportional_action" or m.rules.proportional_action_test}
    determination, det_error = _engine_determination(session, data.iso3, year)
    return templates.TemplateResponse(request, "review_workspace.html", {
        "json_url": f"/api/v1/workspace/{data.iso3}/{year}", "data": data, "user": user,
        "can_write": user.role in WRITERS, "is_admin": user.role == "admin",
        "submitted": {x.evidence_id: x for x in data.submitted}, "source_types": list(SourceType),
        "levels": assessments.RATING_LEVELS, "items": m.items, "methodology": m, "titles": criterion_titles(year),
        "rated": {r.criterion: r for r in data.ratings}, "signals": signals, "signal_questions": SIGNAL_QUESTIONS,
        "det": determination, "det_error": det_error, "form_error": error_detail(error),  # in the page's language
        "live_evidence": [e for e in data.evidence if e.state is not VerificationState.WITHDRAWN],
        "sent": request.query_params.get("sent") == "1"}, status_code=status)


@pages.get("/workspace/{iso3}/{year}", response_class=HTMLResponse)
def workspace_page(iso3: str, year: ReportYear, request: Request, session: SessionDep, user: CurrentUser) -> Response:
    return _workspace_page(request, session, user, iso3, year)


@pages.post("/workspace/{iso3}/{year}", response_class=HTMLResponse)
async def workspace_save(iso3: str, year: ReportYear, request: Request, session: SessionDep,
                         user: CurrentUser) -> Response:
    """The rating editor without JavaScript: one form saves every rating, the signals and the narrative at once
    (with JavaScript each change is saved through PUT /api/v1/assessments as it is made)."""
    _role(user, WRITERS, "rating")
    form = await request.form()
    text = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    ratings = []
    for item_id in criterion_titles(year):
        level = text.get(f"level-{item_id}", "")
        if level:
            cited = []
            for raw in form.getlist(f"evidence-{item_id}"):
                if not isinstance(raw, str) or not raw.isdigit():
                    return _workspace_page(request, session, user, iso3, year,
                                           f"evidence-{item_id}: {str(raw)[:20]!r} is not an evidence number", 422)
                cited.append(int(raw))
            ratings.append(assessments.RatingIn(item_id, level, cited, text.get(f"note-{item_id}", "")))
    shown = [n for n in text.get("signals-shown", "").split(",") if n in SIGNAL_QUESTIONS]
    signals = {n: f"signal-{n}" in text for n in shown}
    version = text.get("version", "")
    try:
        _write(request, lambda s: assessments.save_assessment(
            s, country_or_404(iso3).iso3, year, ratings, user.name, text.get("narrative", ""), signals,
            int(version) if version.isdigit() else None))
    except HTTPException as exc:
        return _workspace_page(request, session, user, iso3, year, str(exc.detail), exc.status_code)
    return RedirectResponse(f"/workspace/{country_or_404(iso3).iso3}/{year}#ratings", status_code=303)


@pages.get("/workspace/{iso3}/{year}/send", response_class=HTMLResponse)
def send_page(iso3: str, year: ReportYear, request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """Before the draft goes: what the government will see, and a confirmation."""
    _role(user, WRITERS, "sending a review request")
    data = _workspace(session, user, iso3, year)
    determination, det_error = _engine_determination(session, data.iso3, year)
    return templates.TemplateResponse(request, "review_send.html", {
        "json_url": f"/api/v1/workspace/{data.iso3}/{year}", "data": data, "titles": criterion_titles(year),
        "shown": [c for c in data.claims if c.state is not VerificationState.WITHDRAWN],
        "det": determination, "det_error": det_error, "deadline": _default_deadline(), "error": None})


def _default_deadline() -> date:
    return windows_from_environment().draft.after(checks.utcnow().date())


@pages.post("/workspace/{iso3}/{year}/send", response_class=HTMLResponse)
async def send_confirmed(iso3: str, year: ReportYear, request: Request, session: SessionDep,
                         user: CurrentUser) -> Response:
    _role(user, WRITERS, "sending a review request")
    form = await request.form()
    raw = form.get("deadline")
    deadline = None
    if isinstance(raw, str) and raw.strip():
        try:
            deadline = date.fromisoformat(raw.strip())
        except ValueError:
            raise HTTPException(422, f"deadline: {raw[:20]!r} is not a date YYYY-MM-DD") from None
    country = country_or_404(iso3)
    _write(request, lambda s: reviews.send_request(s, country.iso3, year, user.name, RequestKind.DRAFT.value,
                                                   deadline))
    return RedirectResponse(f"/workspace/{country.iso3}/{year}?sent=1#send", status_code=303)


@pages.get("/review/{iso3}/{year}", response_class=HTMLResponse)
def review_page(iso3: str, year: ReportYear, request: Request, session: SessionDep, user: CurrentUser) -> Response:
    data = _draft(session, user, iso3, year)
    live = [c for c in data.claims if c.state is not VerificationState.WITHDRAWN]
    days_left = (data.request.deadline - checks.utcnow().date()).days if data.request and data.open else None
    return _page(request, "review_draft.html", f"/api/v1/reviews/{data.iso3}/{year}", data=data, user=user,
                 can_respond=user.role == "liaison" and data.open and not data.final_request,
                 can_comment_final=user.role == "liaison" and data.final_open,
                 titles=criterion_titles(year), laws={i.id: i for i in methodology_for_year(year).items},
                 answered=sum(1 for c in live if c.responses), live_claims=len(live), days_left=days_left,
                 translate_url=_translate_url(user, data.iso3, year))


def _translate_url(user: User, iso3: str, year: int) -> str | None:
    """Where staff who write (admin, analyst) add translations of the government's texts; None for others."""
    return f"/api/v1/reviews/{iso3}/{year}/translations" if user.role in WRITERS else None


@pages.get("/review/{iso3}/{year}/questionnaire", response_class=HTMLResponse)
def questionnaire_page(iso3: str, year: ReportYear, request: Request, session: SessionDep,
                       user: CurrentUser) -> Response:
    data = api_questionnaire(iso3, year, session, user)
    return _page(request, "review_questionnaire.html", f"/api/v1/questionnaires/{data.iso3}/{year}", data=data,
                 can_answer=user.role == "liaison", translate_url=_translate_url(user, data.iso3, year))


@pages.get("/reviews", response_class=HTMLResponse)
def reviews_page(request: Request, session: SessionDep, user: CurrentUser,
                 year: ReportYearQuery = None) -> Response:
    rows = api_reviews(session, user, year)
    return _page(request, "review_status.html", "/api/v1/reviews" + (f"?year={year}" if year else ""), rows=rows,
                 year=year)


