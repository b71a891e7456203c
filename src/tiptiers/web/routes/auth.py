"""Logging in and out (/login, /logout, /api/v1/session) and the administrators' activity log (/admin/activity)."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.orm import Session

from tiptiers.store import activity
from tiptiers.store import users as store
from tiptiers.store.db import transaction
from tiptiers.store.users import User
from tiptiers.web.auth import (
    SESSION_COOKIE,
    OptionalUser,
    clear_session_cookie,
    forget,
    require_roles,
    resolve,
    session_idle,
    set_session_cookie,
    unsign,
)
from tiptiers.web.deps import SessionDep, templates

api = APIRouter(prefix="/api/v1", tags=["session"])
pages = APIRouter(include_in_schema=False)

LOGIN_COOKIE = "tiptiers_login"  # the login form's double-submit token (there is no session yet to bind it to)
LOGIN_FAILED = "Wrong name or password."
LOGIN_THROTTLED = "Too many failed logins for this name or from this address; try again in 15 minutes."
AdminUser = Annotated[User, Depends(require_roles("admin"))]


def _as_utc(value: datetime) -> datetime:
    """The store keeps naive UTC (SQLite gives it back naive): say it is UTC, as RFC 3339 date-time requires."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


Role = Literal["admin", "analyst", "reviewer", "liaison", "ngo"]


class UserOut(BaseModel):
    name: str
    role: Role
    country: str | None = Field(None, description="ISO 3166-1 alpha-3 of a liaison's country")
    organisation: str | None = Field(None, description="the organisation an ngo account submits for")


class SessionOut(BaseModel):
    authenticated: bool
    user: UserOut | None = None
    via: Literal["session", "token"] | None = None
    csrf_token: str | None = Field(None, description="send as X-CSRF-Token with every POST/PUT/PATCH/DELETE")


NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL: refuse it as bad input (422), never a 500


class LoginIn(BaseModel):
    name: str = Field(min_length=1, max_length=store.NAME_MAX, pattern=NO_NUL)
    password: str = Field(min_length=1, max_length=store.PASSWORD_MAX)


class ActivityOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    before: Any = None
    after: Any = None
    hash: str

    _utc = field_validator("at")(classmethod(lambda cls, value: _as_utc(value)))


class ActivityPage(BaseModel):
    entries: list[ActivityOut]
    next: str | None = Field(None, description="the URL of the older entries, if any")


class UserDetail(UserOut):
    active: bool
    created_at: datetime

    _utc = field_validator("created_at")(classmethod(lambda cls, value: _as_utc(value)))


class UserIn(BaseModel):
    name: str = Field(min_length=1, max_length=store.NAME_MAX, pattern=NO_NUL)
    role: Role
    country: str | None = Field(None, max_length=100, pattern=NO_NUL,
                                description="a liaison's country (required then, refused otherwise): JPN or Japan")
    organisation: str | None = Field(None, max_length=store.ORGANISATION_MAX, pattern=NO_NUL,
                                     description="an ngo account's organisation (required then, refused otherwise), "
                                                 "e.g. Polaris Project")
    password: str = Field(min_length=store.PASSWORD_MIN, max_length=store.PASSWORD_MAX)


class VerifyOut(BaseModel):
    ok: bool
    problems: list[str]


def _user_out(user: User) -> UserOut:
    return UserOut(name=user.name, role=user.role, country=user.country_iso3, organisation=user.organisation)


def _session_out(request: Request) -> SessionOut:
    identity = resolve(request)
    if identity is None:
        return SessionOut(authenticated=False)
    return SessionOut(authenticated=True, user=_user_out(identity.user), via=identity.via,
                      csrf_token=identity.csrf_token)


def _log_in(request: Request, response: Response, name: str, password: str) -> store.NewSession:
    """Check throttling and the password; on success start a session and set its cookie. 401/429 otherwise."""
    address = request.client.host if request.client else None
    factory = request.app.state.sessions
    with transaction(factory) as session:
        if store.login_blocked(session, name, address):
            raise HTTPException(429, LOGIN_THROTTLED)
        user = store.authenticate(session, name, password)
        if user is not None:
            old = request.cookies.get(SESSION_COOKIE)
            old_token = unsign(request.app, old) if old else None
            if old_token:
                store.end_session(session, old_token)
            store.purge_sessions(session, session_idle(request.app))  # expired sessions, old failures
            new = store.start_session(session, user)
            store.clear_login_failures(session, name)
            activity.record(session, user.name, "session.login", f"user:{user.name}", None,
                            {"address": address, "session_id": new.row.id})
    if user is None:
        with transaction(factory) as session:
            store.note_login_failure(session, name, address)
        raise HTTPException(401, LOGIN_FAILED)
    set_session_cookie(request, response, new.token)
    forget(request)
    return new


def _log_out(request: Request, response: Response) -> None:
    cookie = request.cookies.get(SESSION_COOKIE)
    token = unsign(request.app, cookie) if cookie else None
    if token:
        identity = resolve(request)
        with transaction(request.app.state.sessions) as session:
            if store.end_session(session, token) and identity is not None:
                activity.record(session, identity.user.name, "session.logout", f"user:{identity.user.name}",
                                None, None)
    clear_session_cookie(request, response)
    forget(request)


# --- API -----------------------------------------------------------------------------------------------------------


@api.get("/session", response_model=SessionOut, summary="Who is logged in, and the CSRF token for writes")
def api_session(request: Request) -> SessionOut:
    return _session_out(request)


@api.post("/session", response_model=SessionOut, summary="Log in with name and password (sets the session cookie)",
          responses={401: {"description": "wrong name or password"}, 429: {"description": "too many failures"}})
def api_login(body: LoginIn, request: Request, response: Response) -> SessionOut:
    new = _log_in(request, response, body.name, body.password)
    return SessionOut(authenticated=True, user=_user_out(new.row.user), via="session", csrf_token=new.csrf_token)


@api.delete("/session", response_model=SessionOut, summary="Log out: the session ends on the server")
def api_logout(request: Request, response: Response) -> SessionOut:
    _log_out(request, response)
    return SessionOut(authenticated=False)


def _activity_page(session: SessionDep, actor: str | None, action: str | None, subject: str | None,
                   before: int | None, limit: int) -> ActivityPage:
    rows = activity.entries(session, actor=actor, action=action, subject=subject, before_seq=before, limit=limit)
    out = [ActivityOut(seq=r.seq, at=r.at, actor=r.actor, action=r.action, subject=r.subject, before=r.before,
                       after=r.after, hash=r.hash) for r in rows]
    next_url = None
    if len(rows) == limit and rows[-1].seq > 1:
        query = "&".join(f"{k}={v}" for k, v in (("actor", actor), ("action", action), ("subject", subject)) if v)
        next_url = f"/api/v1/activity?before={rows[-1].seq}&limit={limit}" + (f"&{query}" if query else "")
    return ActivityPage(entries=out, next=next_url)


ActorQ = Annotated[str | None, Query(
    max_length=200, pattern=NO_NUL, description="exactly this actor (a user name, or cli:LOGIN)")]
ActionQ = Annotated[str | None, Query(
    max_length=100, pattern=NO_NUL, description="actions starting with this, e.g. evidence.")]
SubjectQ = Annotated[str | None, Query(
    max_length=300, pattern=NO_NUL, description="subjects starting with this, e.g. user:")]
BeforeQ = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="only entries numbered below this (paging back)")]
LimitQ = Annotated[int, Query(ge=1, le=500)]


@api.get("/activity", response_model=ActivityPage, summary="The activity log, newest first (administrators)")
def api_activity(session: SessionDep, user: AdminUser, actor: ActorQ = None, action: ActionQ = None,
                 subject: SubjectQ = None, before: BeforeQ = None, limit: LimitQ = 100) -> ActivityPage:
    return _activity_page(session, actor, action, subject, before, limit)


@api.get("/activity/verify", response_model=VerifyOut, summary="Check the log's hash chain (administrators)")
def api_activity_verify(session: SessionDep, user: AdminUser) -> VerifyOut:
    problems = activity.verify(session)
    return VerifyOut(ok=not problems, problems=[str(p) for p in problems])


def _user_detail(user: User) -> UserDetail:
    return UserDetail(name=user.name, role=user.role, country=user.country_iso3, organisation=user.organisation,
                      active=user.active, created_at=user.created_at)


def _change_user(request: Request, job: Callable[[Session], User]) -> UserDetail:
    """One account change in one transaction: an unknown account is 404, other bad input 422 naming the field."""
    try:
        with transaction(request.app.state.sessions) as session:
            return _user_detail(job(session))
    except store.UserError as exc:
        raise HTTPException(404 if str(exc).startswith("name: no user") else 422, str(exc)) from None


@api.get("/users", response_model=list[UserDetail], summary="Every account (administrators)")
def api_users(session: SessionDep, user: AdminUser) -> list[UserDetail]:
    return [_user_detail(u) for u in store.list_users(session)]


@api.post("/users", response_model=UserDetail, status_code=201, summary="Create an account (administrators)",
          responses={422: {"description": "bad input; the message names the field"}})
def api_user_add(body: UserIn, request: Request, user: AdminUser) -> UserDetail:
    return _change_user(request, lambda s: store.create_user(s, body.name, body.role, body.password, body.country,
                                                             actor=user.name, organisation=body.organisation))


@api.post("/users/{name}/deactivate", response_model=UserDetail,
          summary="Switch an account off: its sessions end, its API tokens are revoked (administrators)",
          responses={404: {"description": "no such account"}})
def api_user_deactivate(name: str, request: Request, user: AdminUser) -> UserDetail:
    if name == user.name:
        raise HTTPException(422, "name: you cannot deactivate your own account")
    return _change_user(request, lambda s: store.set_active(s, name, False, actor=user.name))


# --- pages ---------------------------------------------------------------------------------------------------------


def _safe_next(value: str | None) -> str:
    """Only a path on this site: never //host or a scheme, so the login form is no open redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def _login_page(request: Request, user: User | None, next_url: str, error: str | None = None,
                status: int = 200, name: str = "") -> Response:
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
    response = templates.TemplateResponse(
        request, "login.html",
        {"user": user, "next": _safe_next(next_url), "error": error, "login_token": token, "name": name,
         "json_url": "/api/v1/session"},
        status_code=status)
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                        path="/login")
    return response


@pages.get("/login")
def login_page(request: Request, user: OptionalUser, next: str = "/") -> Response:
    return _login_page(request, user, next)


@pages.post("/login")
def login_submit(request: Request, name: Annotated[str, Form(max_length=store.NAME_MAX)] = "",
                 password: Annotated[str, Form(max_length=store.PASSWORD_MAX)] = "",
                 csrf_token: Annotated[str, Form(max_length=200)] = "",
                 next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf_token.encode(), expected.encode()):
        return _login_page(request, None, next, "The login form expired; please try again.", 403, name)
    if not name.strip() or not password:
        return _login_page(request, None, next, "Enter your name and password.", 422, name)
    # Nowhere asked for (the header's "Log in" link): to the account's own work, not the public home page.
    target = _safe_next(next)
    response = RedirectResponse("/work" if target == "/" else target, status_code=303)
    try:
        _log_in(request, response, name, password)
    except HTTPException as exc:
        return _login_page(request, None, next, str(exc.detail), exc.status_code, name)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@pages.post("/logout")
def logout_submit(request: Request) -> Response:
    response = RedirectResponse("/", status_code=303)
    _log_out(request, response)
    return response


def _users_page(request: Request, session: Session, error: str | None = None, status: int = 200,
                form: dict[str, str] | None = None) -> Response:
    return templates.TemplateResponse(
        request, "admin_users.html",
        {"users": [_user_detail(u) for u in store.list_users(session)], "roles": store.ROLES, "error": error,
         "form": form or {}, "json_url": "/api/v1/users"}, status_code=status)


@pages.get("/admin/users")
def users_page(request: Request, session: SessionDep, user: AdminUser) -> Response:
    return _users_page(request, session)


@pages.post("/admin/users")
def users_page_add(request: Request, session: SessionDep, user: AdminUser,
                   name: Annotated[str, Form(max_length=store.NAME_MAX)] = "",
                   role: Annotated[str, Form(max_length=20)] = "",
                   country: Annotated[str, Form(max_length=100)] = "",
                   organisation: Annotated[str, Form(max_length=store.ORGANISATION_MAX)] = "",
                   password: Annotated[str, Form(max_length=store.PASSWORD_MAX)] = "") -> Response:
    try:
        _change_user(request, lambda s: store.create_user(s, name, role, password, country.strip() or None,
                                                          actor=user.name, organisation=organisation.strip() or None))
    except HTTPException as exc:
        form = {"name": name, "role": role, "country": country, "organisation": organisation}
        return _users_page(request, session, str(exc.detail), exc.status_code, form)
    return RedirectResponse("/admin/users", status_code=303)


@pages.post("/admin/users/{name}/deactivate")
def users_page_deactivate(name: str, request: Request, session: SessionDep, user: AdminUser) -> Response:
    try:
        api_user_deactivate(name, request, user)
    except HTTPException as exc:
        return _users_page(request, session, str(exc.detail), exc.status_code)
    return RedirectResponse("/admin/users", status_code=303)


@pages.get("/admin/activity")
def activity_page(request: Request, session: SessionDep, user: AdminUser, actor: ActorQ = None,
                  action: ActionQ = None, subject: SubjectQ = None, before: BeforeQ = None,
                  limit: LimitQ = 100) -> Response:
    data = _activity_page(session, actor, action, subject, before, limit)
    query = request.url.query
    return templates.TemplateResponse(
        request, "activity.html",
        {"page": data, "actor": actor or "", "action": action or "", "subject": subject or "",
         "next_page": data.next.replace("/api/v1/activity", "/admin/activity") if data.next else None,
         "json_url": "/api/v1/activity" + (f"?{query}" if query else "")})
