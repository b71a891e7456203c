"""Who is asking: sessions, API tokens, role checks and CSRF protection for the web app.

- A browser logs in at /login (or POST /api/v1/session) and gets a signed, HttpOnly, SameSite=Lax cookie (Secure
  over https). The cookie carries a random token whose digest is a row in `user_sessions`: logging out deletes the
  row, and a session idle longer than TIPTIERS_SESSION_IDLE_HOURS (default 8) is over.
- An API client sends `Authorization: Bearer <token>` (`tiptiers users token NAME`); it needs no CSRF token.
- Every POST/PUT/PATCH/DELETE that comes with a session cookie must carry the session's CSRF token, as the
  `X-CSRF-Token` header (JavaScript reads it from <meta name="csrf-token">) or a `csrf_token` form field
  (templates write it with `{{ csrf_input() }}`); otherwise it is refused with 403 JSON saying what is missing.

Route modules use the dependencies `OptionalUser`, `CurrentUser` and `require_roles(...)`, and
`can_see_country_draft(user, iso3)` for the one rule about drafts that every feature shares.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import parse_qs, quote

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from jinja2 import pass_context
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tiptiers.store import users as store
from tiptiers.store.db import transaction
from tiptiers.store.users import User
from tiptiers.web.deps import templates
from tiptiers.web.i18n_texts import error_body, error_headers
from tiptiers.web.security import credentialed, read_body, replay_body

SESSION_COOKIE = "tiptiers_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Logging in uses no existing authority (the login form has its own double-submit token), so it needs no session
# CSRF token: someone whose old session cookie is still in the browser can log in again.
CSRF_EXEMPT = frozenset({("POST", "/login"), ("POST", "/api/v1/session")})
_STATE_KEY = "tiptiers_identity"
_UNRESOLVED = object()


@dataclass(frozen=True)
class _Refused:
    """A bearer token found unknown or revoked: remembered, so that asking again raises without a query."""

    error: HTTPException


@dataclass(frozen=True)
class Identity:
    user: User
    via: str  # "session" or "token"
    csrf_token: str | None = None  # sessions only
    session_token: str | None = None


class LoginRequired(Exception):
    """An anonymous browser asked for a page that needs an account: it is sent to /login."""

    def __init__(self, next_url: str):
        self.next_url = next_url


# --- configuration -----------------------------------------------------------------------------------------------


def idle_from_environment() -> timedelta:
    """TIPTIERS_SESSION_IDLE_HOURS (e.g. 8 or 0.5), else 8 hours; a bad value stops the app at start, not later."""
    hours = os.environ.get("TIPTIERS_SESSION_IDLE_HOURS", "").strip()
    if not hours:
        return store.DEFAULT_IDLE
    try:
        value = float(hours)
    except ValueError:
        value = -1.0
    if not 0 < value <= 24 * 366:
        raise ValueError(f"TIPTIERS_SESSION_IDLE_HOURS: {hours!r} is not a number of hours above 0, e.g. 8 or 0.5")
    return timedelta(hours=value)


def session_idle(app: Any) -> timedelta:
    idle = getattr(app.state, "session_idle", None)
    return idle if isinstance(idle, timedelta) else idle_from_environment()


def _signing_key(app: Any) -> bytes:
    key = getattr(app.state, "signing_key", None)
    if key is None:
        key = os.environ.get("TIPTIERS_SECRET_KEY")
        if not key:
            with transaction(app.state.sessions) as session:
                key = store.signing_key(session)
        app.state.signing_key = key
    return str(key).encode()


def _signature(app: Any, token: str) -> str:
    mac = hmac.new(_signing_key(app), token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def sign(app: Any, token: str) -> str:
    return f"{token}.{_signature(app, token)}"


def unsign(app: Any, value: str) -> str | None:
    token, _, signature = value.rpartition(".")
    if not token or not hmac.compare_digest(signature.encode(), _signature(app, token).encode()):
        return None
    return token


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    # A browser-session cookie (no Max-Age): the server ends the session after the idle time, counted from the
    # last request, so an active user is never cut off at a fixed time after logging in.
    response.set_cookie(SESSION_COOKIE, sign(request.app, token), httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=request.url.scheme == "https")


# --- resolving the identity --------------------------------------------------------------------------------------


def _bearer(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else None


def resolve(request: Request) -> Identity | None:
    """The identity of the request (cached on it). Raises 401 for a bearer token that is unknown or revoked."""
    state = request.scope.setdefault("state", {})
    cached = state.get(_STATE_KEY, _UNRESOLVED)
    if isinstance(cached, _Refused):
        raise cached.error
    if cached is not _UNRESOLVED:
        return cached
    identity: Identity | None = None
    bearer = _bearer(request)
    if bearer is not None:
        with transaction(request.app.state.sessions) as session:
            user = store.user_for_token(session, bearer)
        if user is None:
            refused = HTTPException(401, "authorization: the bearer token is unknown or revoked; make a new one "
                                         "with `tiptiers users token NAME`", headers={"WWW-Authenticate": "Bearer"})
            state[_STATE_KEY] = _Refused(refused)
            raise refused
        identity = Identity(user, "token")
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        token = unsign(request.app, cookie) if cookie else None
        if token:
            with transaction(request.app.state.sessions) as session:
                row = store.find_session(session, token, session_idle(request.app))
                if row is not None:
                    identity = Identity(row.user, "session", row.csrf_token, token)
    state[_STATE_KEY] = identity
    return identity


def forget(request: Request) -> None:
    request.scope.setdefault("state", {}).pop(_STATE_KEY, None)


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def optional_user(request: Request) -> User | None:
    identity = resolve(request)
    return identity.user if identity else None


def current_user(request: Request) -> User:
    identity = resolve(request)
    if identity is None:
        if wants_html(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginRequired(target)
        raise HTTPException(401, "authentication required: log in (POST /api/v1/session) or send "
                                 "`Authorization: Bearer <token>`", headers={"WWW-Authenticate": "Bearer"})
    return identity.user


OptionalUser = Annotated[User | None, Depends(optional_user)]
CurrentUser = Annotated[User, Depends(current_user)]


def require_roles(*roles: str) -> Callable[[User], User]:
    """A dependency: the current user, if their role is one of `roles`; 401 when anonymous, 403 otherwise."""
    unknown = set(roles) - set(store.ROLES)
    if unknown:
        raise ValueError(f"roles: unknown {sorted(unknown)}; use {', '.join(store.ROLES)}")

    def dependency(user: CurrentUser) -> User:
        if user.role not in roles:
            raise HTTPException(403, f"this needs the role {' or '.join(roles)}; you are {user.name} ({user.role})")
        return user

    return dependency


def can_see_country_draft(user: User | None, iso3: str) -> bool:
    """Drafts: staff (admin, analyst, reviewer) see every country's; a liaison only their own; an ngo account and
    the public none (an NGO reads its own submissions, /submissions, and what is published)."""
    if user is None or not user.active:
        return False
    if user.role in store.STAFF_ROLES:
        return True
    return user.role == "liaison" and user.country_iso3 == iso3.upper()


class IdentityMiddleware:
    """Who is asking, found before any route runs, in a short transaction of its own whose connection goes back to
    the pool at once; routes, dependencies and templates then read it from the request. Found lazily instead (a
    page template asked for the user while the route's session held its pooled connection), every logged-in
    request held one connection while it waited for a second: 50 at once took the whole pool and then waited for
    each other until the pool's 30 s timeout (issue 13 item 1)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and credentialed(scope) and not scope["path"].startswith("/static/"):
            with suppress(HTTPException):  # a refused token is remembered; a route that needs the identity says so
                await run_in_threadpool(resolve, Request(scope))
        await self.app(scope, receive, send)


# --- CSRF --------------------------------------------------------------------------------------------------------


def _forbidden(scope: Scope, detail: str) -> JSONResponse:
    return JSONResponse(error_body(scope, 403, detail), status_code=403, headers=error_headers(scope))


class CSRFMiddleware:
    """Unsafe requests made with a live session cookie must carry that session's CSRF token."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE_METHODS:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if (scope["method"], scope["path"]) in CSRF_EXEMPT or _bearer(request) is not None \
                or SESSION_COOKIE not in request.cookies:
            await self.app(scope, receive, send)
            return
        try:
            identity = await run_in_threadpool(resolve, request)
        except HTTPException:  # pragma: no cover - bearer requests are passed through above
            identity = None
        if identity is None or identity.csrf_token is None:  # stale cookie: the request is anonymous
            await self.app(scope, receive, send)
            return
        supplied = request.headers.get(CSRF_HEADER)
        if supplied is None:
            body = await read_body(receive)
            supplied = await _form_token(scope, body)
            receive = replay_body(body, receive)
        if not supplied:
            await _forbidden(scope, f"CSRF token missing: a {scope['method']} with a session cookie needs the "
                             f"{CSRF_HEADER} header (from <meta name=\"csrf-token\">) or a {CSRF_FIELD} form "
                             "field")(scope, receive, send)
            return
        if not hmac.compare_digest(supplied.encode(), identity.csrf_token.encode()):
            await _forbidden(scope, "CSRF token does not match this session (it may have ended): reload the page and "
                             "try again")(scope, receive, send)
            return
        await self.app(scope, receive, send)




async def _form_token(scope: Scope, body: bytes) -> str | None:
    content_type = Request(scope).headers.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        values = parse_qs(body.decode("latin-1"), keep_blank_values=True).get(CSRF_FIELD)
        return values[0] if values else None
    if content_type.startswith("multipart/form-data"):
        async def empty() -> Message:
            return {"type": "http.disconnect"}

        form = await Request(scope, replay_body(body, empty)).form()
        try:
            value = form.get(CSRF_FIELD)
            return value if isinstance(value, str) else None
        finally:
            await form.close()
    return None


# --- templates and installation ----------------------------------------------------------------------------------


def _identity_in(context: Any) -> Identity | None:
    request = context.get("request")
    if request is None:
        return None
    try:
        return resolve(request)
    except HTTPException:
        return None


@pass_context
def _csrf_token(context: Any) -> str:
    identity = _identity_in(context)
    return identity.csrf_token or "" if identity else ""


@pass_context
def _csrf_input(context: Any) -> Markup:
    token = _csrf_token(context)
    if not token:
        return Markup("")
    return Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(token)}">')


@pass_context
def _current_user(context: Any) -> User | None:
    identity = _identity_in(context)
    return identity.user if identity else None


templates.env.globals["csrf_token"] = _csrf_token
templates.env.globals["csrf_input"] = _csrf_input
templates.env.globals["current_user"] = _current_user


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse(f"/login?next={quote(exc.next_url, safe='')}", status_code=303)


def install(app: FastAPI, session_idle: timedelta | None = None) -> None:
    """Wire authentication into the app: CSRF check, login redirect, security headers (call once, in create_app)."""
    from tiptiers.web.security import BodySizeLimitMiddleware, SecurityHeadersMiddleware

    app.state.session_idle = session_idle if session_idle is not None else idle_from_environment()
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_middleware(CSRFMiddleware)
    app.add_middleware(IdentityMiddleware)  # before the routes, so none holds a connection while finding it
    app.add_middleware(BodySizeLimitMiddleware)  # outside the CSRF check, which reads the body
    app.add_middleware(SecurityHeadersMiddleware)
