"""Notices: `/notices` (a user's own notices and which kinds they get; administrators also see the whole queue),
JSON twin `/api/v1/notices`, and the switches (`PUT /api/v1/notices/preferences`, or the page's form)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from tiptiers.notify.mail import smtp_configured
from tiptiers.store import notices, users
from tiptiers.store.db import transaction
from tiptiers.store.users import User
from tiptiers.web.auth import CurrentUser
from tiptiers.web.deps import SessionDep, templates

api = APIRouter(prefix="/api/v1", tags=["notices"])
pages = APIRouter(include_in_schema=False)


def _data(session: Session, user: User) -> dict[str, Any]:
    data: dict[str, Any] = {
        "smtp_configured": smtp_configured(),
        "language": (session.get(User, user.id) or user).language or "en",
        "preferences": [{"kind": k, "description": notices.KINDS[k], "enabled": on}
                        for k, on in notices.enabled_kinds(session, user).items()],
        "notices": [n.as_dict() for n in notices.notices_for(session, user)]}
    if user.role == "admin":
        data["queue"] = [n.as_dict() for n in notices.notices_for(session) if n.state in ("queued", "failed")]
    return data


@api.get("/notices", summary="My notices and which kinds I get (administrators: also the queue)")
def api_notices(session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    return _data(session, user)


class Preferences(BaseModel):
    enabled: dict[str, bool] = Field(default={}, description="kind -> on or off, e.g. {\"reminder\": false}")
    language: str | None = Field(default=None, description="the language of my e-mail notices: en, fr or es")


def _save(request: Request, user: User, enabled: dict[str, bool], language: str | None = None) -> None:
    try:
        with transaction(request.app.state.sessions) as session:
            for kind, on in enabled.items():
                notices.set_preference(session, user, kind, on, user.name)
            if language is not None:
                users.set_language(session, user.name, language, user.name)
    except (notices.NoticeError, users.UserError) as exc:
        raise HTTPException(422, str(exc)) from None


@api.put("/notices/preferences", summary="Switch kinds of notices on or off")
def api_preferences(body: Preferences, request: Request, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    _save(request, user, body.enabled, body.language)
    return _data(session, user)


@pages.get("/notices")
def notices_page(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    return templates.TemplateResponse(request, "notices.html", {"data": _data(session, user),
                                                                "json_url": "/api/v1/notices"})


@pages.post("/notices")
async def notices_form(request: Request, user: CurrentUser) -> Response:
    form = await request.form()
    language = form.get("language")
    _save(request, user, {kind: form.get(kind) == "on" for kind in notices.KINDS},
          language if isinstance(language, str) else None)
    return RedirectResponse("/notices", status_code=303)
