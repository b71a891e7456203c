"""NGOs' shadow reports on the web and the API: /submissions, /submissions/new, /api/v1/submissions.

Permissions, the same for a page and its JSON twin:
- submitting: ngo accounts only (analysts record evidence themselves at /api/v1/evidence).
- reading: an ngo account its own submissions; staff (admin, analyst, reviewer) every one. Another NGO's submission
  is a 404 to an ngo account, as one that does not exist; liaisons and the public get 403 (401 when anonymous).
- the analysts' note to the submitter on one claim: admin and analyst.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from tiptiers.countries import UnknownCountry, country_table
from tiptiers.methodology import methodology_for_year
from tiptiers.report_years import check_report_year, last_allowed_year
from tiptiers.review import VerificationState
from tiptiers.store import submissions as store
from tiptiers.store.attachments import MAX_ATTACHMENT_BYTES
from tiptiers.store.db import transaction
from tiptiers.store.users import STAFF_ROLES, User
from tiptiers.web.auth import CurrentUser
from tiptiers.web.deps import AttachmentOut, ReportYearQuery, SessionDep, countries_by_name, store_errors, templates

api = APIRouter(prefix="/api/v1", tags=["shadow reports"])
pages = APIRouter(include_in_schema=False)

WRITERS = ("admin", "analyst")
FORM_CLAIMS = 3  # blank claim blocks on a new form; ?claims=N for more
MAX_FORM_CLAIMS = 50


class SubmissionClaimIn(BaseModel):
    statement: str = Field(max_length=20_000, examples=["Recruiters deceived workers about their pay."])
    criteria: list[str] = Field(min_length=1, max_length=40, examples=[["criterion_1"]])
    source_date: date | None = None
    source_url: str = Field("", max_length=500)
    attachment_sha256: str | None = Field(None, max_length=64, description=(
        "a file you uploaded with POST /api/v1/attachments (e.g. your report as PDF)"))


class SubmissionIn(BaseModel):
    iso3: str = Field(max_length=3, examples=["JPN"])
    year: int = Field(examples=[2027], description="the report year in preparation the claims are for")
    title: str = Field("", max_length=300, examples=["Shadow report on labour trafficking, 2026"])
    claims: list[SubmissionClaimIn] = Field(min_length=1, max_length=store.MAX_CLAIMS)


class SubmittedClaimOut(BaseModel):
    evidence_id: int
    position: int = Field(description="the claim's place in the submission, from 0")
    statement: str = Field(description="as submitted")
    criteria: list[str]
    source_date: date | None
    source_url: str
    attachment: AttachmentOut | None
    state: VerificationState = Field(description="to the submitting NGO, the government's confirmation or dispute "
                                                 "shows only once the report is published")
    analyst_note: str = Field(description="what the analysts tell the submitter about this claim")


class SubmissionOut(BaseModel):
    id: int
    iso3: str
    country: str
    year: int
    title: str
    organisation: str
    submitted_by: str
    created_at: datetime
    claims: list[SubmittedClaimOut]


class NoteIn(BaseModel):
    note: str = Field(max_length=5000)


# --- permissions and conversions -------------------------------------------------------------------------------


def _is_staff(user: User) -> bool:
    return user.role in STAFF_ROLES


def _reader(user: User) -> None:
    if user.role != "ngo" and not _is_staff(user):
        raise HTTPException(403, f"shadow reports are read by the ngo account that sent them and by staff; you are "
                                 f"{user.role}")


def _ngo(user: User) -> None:
    if user.role != "ngo":
        raise HTTPException(403, f"shadow reports are submitted by ngo accounts; you are {user.role} (analysts record "
                                 "evidence at POST /api/v1/evidence)")


def _out(row: store.Submission, user: User, published: set[int]) -> SubmissionOut:
    country = country_table().get(row.iso3)
    staff = _is_staff(user)
    claims = []
    for c in row.claims:
        e, a = c.evidence, c.evidence.attachment
        claims.append(SubmittedClaimOut(
            evidence_id=e.id, position=c.position, statement=e.original_statement or e.statement,
            criteria=list(e.criteria), source_date=e.source_date, source_url=e.source_url,
            attachment=AttachmentOut(sha256=a.sha256, filename=a.filename, media_type=a.media_type, size=a.size)
            if a else None,
            state=VerificationState(e.state if staff else store.submitter_state(e, row.year in published)),
            analyst_note=c.analyst_note))
    return SubmissionOut(id=row.id, iso3=row.iso3, country=country.name if country else row.iso3, year=row.year,
                         title=row.title, organisation=row.organisation, submitted_by=row.user.name,
                         created_at=row.created_at, claims=claims)


def _list(session: Session, user: User, iso3: str | None = None, year: int | None = None) -> list[SubmissionOut]:
    _reader(user)
    rows = store.list_submissions(session, None if _is_staff(user) else user.id, iso3, year)
    published = store.published_years(session, sorted({r.year for r in rows}))
    return [_out(r, user, published) for r in rows]


def _submit(request: Request, user: User, job: Callable[[Session], store.Submission]) -> SubmissionOut:
    """The whole submission in one transaction: a bad claim stores nothing, and the error names it."""
    with store_errors(), transaction(request.app.state.sessions) as session:
        row = job(session)
        session.flush()
        return _out(store.get_submission(session, row.id), user, set())


# --- API -------------------------------------------------------------------------------------------------------


@api.get("/submissions", response_model=list[SubmissionOut],
         summary="Shadow reports: an ngo account's own, or every one (staff)")
def api_submissions(session: SessionDep, user: CurrentUser, iso3: str | None = Query(None, max_length=3),
                    year: ReportYearQuery = None) -> list[SubmissionOut]:
    return _list(session, user, iso3, year)


@api.get("/submissions/{submission_id}", response_model=SubmissionOut,
         summary="One shadow report (the ngo account that sent it, staff)")
def api_submission(submission_id: int, session: SessionDep, user: CurrentUser) -> SubmissionOut:
    _reader(user)
    with store_errors():
        row = store.get_submission(session, submission_id)
    if not _is_staff(user) and row.user_id != user.id:
        raise HTTPException(404, f"no submission #{submission_id}")
    return _out(row, user, store.published_years(session, [row.year]))


@api.post("/submissions", response_model=SubmissionOut, status_code=201,
          summary="Submit a shadow report (ngo accounts): each claim becomes unverified evidence",
          responses={422: {"description": "bad input, naming the claim and field; nothing is stored"}})
def api_submit(body: SubmissionIn, request: Request, user: CurrentUser) -> SubmissionOut:
    _ngo(user)
    claims = [store.ClaimIn(c.statement, c.criteria, c.source_date, c.source_url, c.attachment_sha256)
              for c in body.claims]
    return _submit(request, user, lambda s: store.submit(s, user, body.iso3, body.year, claims, body.title))


@api.put("/submissions/{submission_id}/claims/{evidence_id}/note", response_model=SubmittedClaimOut,
         summary="The analysts' note to the submitting NGO about one claim (admin, analyst)")
def api_note(submission_id: int, evidence_id: int, body: NoteIn, request: Request, session: SessionDep,
             user: CurrentUser) -> SubmittedClaimOut:
    if user.role not in WRITERS:
        raise HTTPException(403, f"notes to submitters are written by {', '.join(WRITERS)}; you are {user.role}")
    with store_errors(), transaction(request.app.state.sessions) as s:
        store.set_note(s, submission_id, evidence_id, body.note, user.name)
    [claim] = [c for c in api_submission(submission_id, session, user).claims if c.evidence_id == evidence_id]
    return claim


# --- pages -----------------------------------------------------------------------------------------------------


@pages.get("/submissions", response_class=HTMLResponse)
def submissions_page(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    rows = _list(session, user)
    return templates.TemplateResponse(request, "submissions.html", {
        "rows": rows, "user": user, "staff": _is_staff(user), "json_url": "/api/v1/submissions"})


def _form_page(request: Request, user: User, form: dict[str, Any], count: int, error: str | None = None,
               status: int = 200) -> Response:
    try:  # the criteria in force in the year typed; the submission itself names a year that is no report year
        items = methodology_for_year(check_report_year(int(str(form.get("year"))))).items
    except (ValueError, OverflowError):
        items = methodology_for_year(last_allowed_year()).items
    return templates.TemplateResponse(request, "submissions_new.html", {
        "user": user, "form": form, "count": count, "error": error, "criteria": [(i.id, i.title) for i in items],
        "countries": countries_by_name(), "default_year": last_allowed_year(),
        "json_url": "/api/v1/submissions"}, status_code=status)


@pages.get("/submissions/new", response_class=HTMLResponse)
def new_submission_page(request: Request, user: CurrentUser,
                        claims: Annotated[int, Query(ge=1, le=MAX_FORM_CLAIMS)] = FORM_CLAIMS) -> Response:
    _ngo(user)
    return _form_page(request, user, {}, claims)


@dataclass
class _Block:
    """One claim block of the form as sent."""

    number: int  # as the form shows it, from 1
    statement: str
    criteria: list[str]
    source_date: str
    source_url: str
    upload: UploadFile | None

    @property
    def blank(self) -> bool:
        return not (self.statement.strip() or self.criteria or self.source_date or self.source_url.strip()
                    or self.upload)


def _blocks(form: Any, count: int) -> list[_Block]:
    blocks = []
    for i in range(count):
        key = f"claim-{i}-"
        upload = form.get(key + "file")
        blocks.append(_Block(i + 1, str(form.get(key + "statement") or ""),
                             [str(c) for c in form.getlist(key + "criteria") if str(c).strip()],
                             str(form.get(key + "source_date") or "").strip(), str(form.get(key + "source_url") or ""),
                             upload if isinstance(upload, UploadFile) and upload.filename else None))
    return blocks


async def _claim(block: _Block) -> store.ClaimIn:
    try:
        when = date.fromisoformat(block.source_date) if block.source_date else None
    except ValueError:
        raise FormError(f"Claim {block.number}, source_date: {block.source_date!r} is not a date like "
                        "2026-03-31") from None
    file = None
    if block.upload is not None:  # read one byte past the limit, so a bigger file is refused by name, not read whole
        content = await block.upload.read(MAX_ATTACHMENT_BYTES + 1)
        file = store.UploadedFile(block.upload.filename or "attachment", content,
                                  block.upload.content_type or "application/octet-stream")
    return store.ClaimIn(block.statement, block.criteria, when, block.source_url, file=file)


class FormError(ValueError):
    pass


@pages.post("/submissions/new", response_class=HTMLResponse)
async def new_submission_submit(request: Request, user: CurrentUser) -> Response:
    _ngo(user)
    async with request.form(max_files=MAX_FORM_CLAIMS, max_fields=10 * MAX_FORM_CLAIMS) as form:
        sent = str(form.get("claims") or "")
        count = min(int(sent), MAX_FORM_CLAIMS) if sent.isdigit() and int(sent) > 0 else FORM_CLAIMS
        fields = {k: str(form.get(k) or "") for k in ("iso3", "year", "title")}
        blocks = [b for b in _blocks(form, count) if not b.blank]
        shown = fields | {f"claim-{b.number - 1}-{f}": getattr(b, f) for b in blocks
                          for f in ("statement", "criteria", "source_date", "source_url")}
        try:
            claims = [await _claim(b) for b in blocks]
            if not fields["year"].strip().isdigit():
                raise FormError(f"Year: {fields['year']!r} is not a report year like {last_allowed_year()}")
            try:
                iso3 = country_table().resolve(fields["iso3"]).iso3 if fields["iso3"].strip() else ""
            except UnknownCountry as exc:
                raise FormError(f"Country: {exc}") from None
        except FormError as exc:
            return _form_page(request, user, shown, count, str(exc), 422)
    try:
        row = await run_in_threadpool(_submit, request, user, lambda s: store.submit(
            s, user, iso3, int(fields["year"]), claims, fields["title"]))
    except HTTPException as exc:
        if exc.status_code != 422:
            raise
        again = " Choose the files again: a browser does not keep them." if any(c.file for c in claims) else ""
        return _form_page(request, user, shown, count, _readable(str(exc.detail), blocks) + again, 422)
    return RedirectResponse(f"/submissions#submission-{row.id}", status_code=303)


def _readable(message: str, blocks: list[_Block]) -> str:
    """`claims[3].statement: ...` as the form numbers its claim blocks: `Claim 5, statement: ...` (blank blocks
    are skipped, so the fourth claim sent may be the form's fifth)."""
    if message.startswith("claims[") and "]." in message:
        index, _, rest = message[len("claims["):].partition("].")
        if index.isdigit() and int(index) < len(blocks):
            return f"Claim {blocks[int(index)].number}, {rest}"
    return message[:1].upper() + message[1:]
