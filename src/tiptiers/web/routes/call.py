"""The public call for information: `/call` (the form, no account needed, or why it is closed), `POST /call`, and
the confirmation link `/call/confirm/{token}` that turns the information into unverified evidence."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from tiptiers.methodology import methodology_for_year
from tiptiers.store import call
from tiptiers.store.db import transaction
from tiptiers.web.deps import countries_by_name, templates

api = APIRouter(prefix="/api/v1", tags=["call"])
pages = APIRouter(include_in_schema=False)


def _page(request: Request, form: dict[str, Any] | None = None, error: str | None = None,
          status: int = 200) -> Response:
    try:
        window: call.CallWindow | None = call.check_open()
        closed = None
    except call.CallClosed as exc:
        window, closed = None, str(exc)
    year = window.year if window else None
    return templates.TemplateResponse(request, "call.html", {
        "window": window, "closed": closed, "form": form or {}, "error": error,
        "criteria": [(i.id, i.title) for i in methodology_for_year(year).items] if year else [],
        "countries": countries_by_name(), "sender_types": call.SENDER_TYPES,
        "max_mib": call.MAX_FILE_BYTES // 2**20}, status_code=status)


@pages.get("/call", response_class=HTMLResponse)
def call_page(request: Request) -> Response:
    return _page(request)


@pages.post("/call", response_class=HTMLResponse)
async def call_submit(request: Request) -> Response:
    form = await request.form()
    fields = {k: str(form.get(k) or "") for k in ("email", "sender", "source_type", "country", "statement",
                                                     "source_url")}
    upload = form.get("file")
    content = await upload.read(call.MAX_FILE_BYTES + 1) if isinstance(upload, UploadFile) else b""
    name = upload.filename or "" if isinstance(upload, UploadFile) else ""
    client = request.client.host if request.client else "unknown"
    try:
        with transaction(request.app.state.sessions) as session:
            call.submit(session, email=fields["email"], sender=fields["sender"], source_type=fields["source_type"],
                        country=fields["country"], statement=fields["statement"], source_url=fields["source_url"],
                        criteria=[str(c) for c in form.getlist("criteria")], file_name=name, file_content=content,
                        client=client)
    except call.CallClosed as exc:
        return _page(request, fields, str(exc), 409)
    except call.CallError as exc:
        return _page(request, fields | {"criteria": form.getlist("criteria")}, str(exc), 422)
    return templates.TemplateResponse(request, "call_sent.html", {"email": fields["email"]})


@pages.get("/call/confirm/{token}", response_class=HTMLResponse)
def call_confirm(token: str, request: Request) -> Response:
    try:
        with transaction(request.app.state.sessions) as session:
            row = call.confirm(session, token[:100])
            claim = row.evidence_id
    except LookupError as exc:
        return templates.TemplateResponse(request, "call_confirmed.html", {"error": str(exc)}, status_code=404)
    return templates.TemplateResponse(request, "call_confirmed.html", {"error": None, "claim": claim})
