"""Security headers on every response, pages, JSON, static files and errors alike.

Responses to a request with a session cookie or an Authorization header are never stored by a shared cache
(`public` becomes `private`; nothing said becomes `private, no-store`).

The Content-Security-Policy allows scripts, styles and images only from the app itself (plus data: images):
no inline <script>, no style attribute, no CDN. Templates put their JavaScript in web/static/*.js.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tiptiers.store.db import DatabaseBusy, is_busy

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'; object-src 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


async def send_error(send: Send, status: int, detail: str, headers: tuple[tuple[bytes, bytes], ...] = (),
                     scope: Scope | None = None) -> None:
    """The app's one error shape, `{"error": {"status", "detail"}}`, from a middleware (before any route runs);
    given the request's `scope`, with the detail as its reader is shown it (web/i18n_texts.py `error_body`)."""
    from tiptiers.web.i18n_texts import error_body, error_headers

    body = error_body(scope, status, detail) if scope is not None else {"error": {"status": status, "detail": detail}}
    own = [(k.lower().encode(), v.encode()) for k, v in error_headers(scope).items()] if scope is not None else []
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                            *headers, *own]})
    await send({"type": "http.response.body", "body": data})


async def read_body(receive: Receive) -> bytes:
    """The whole request body (what a client sent before it went away)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay_body(body: bytes, receive: Receive) -> Callable[[], Awaitable[Message]]:
    """A `receive` that gives the app the body read already, then whatever the client sends next."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def credentialed(scope: Scope) -> bool:
    """The request carries a session cookie or an Authorization header: what it sees may be that user's."""
    for name, value in scope.get("headers", []):
        if name == b"authorization" or (name == b"cookie" and b"tiptiers_session=" in value):
            return True
    return False


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        is_credentialed = credentialed(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if is_credentialed:  # what a logged-in user sees (their name, drafts) stays out of shared caches
                    cache = headers.get("cache-control", "")
                    headers["Cache-Control"] = cache.replace("public", "private") if cache else "private, no-store"
                if scope.get("scheme") == "https":
                    headers.setdefault("Strict-Transport-Security", "max-age=31536000")
            await send(message)

        await self.app(scope, receive, send_with_headers)


MAX_REQUEST_BYTES = 21 * 1024 * 1024  # the largest attachment (20 MiB) and its multipart envelope


class _BodyTooLarge(Exception):
    pass


class BodySizeLimitMiddleware:
    """Refuse a request body over the limit with 413, before anything (CSRF check, form parser, upload spooling)
    reads it into memory or onto disk. A declared Content-Length is checked first; a chunked body is counted."""

    def __init__(self, app: ASGIApp, limit: int = MAX_REQUEST_BYTES):
        self.app = app
        self.limit = limit

    async def _refuse(self, send: Send, scope: Scope) -> None:
        await send_error(send, 413, f"body: the request is larger than {self.limit} bytes", scope=scope)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send, scope)
            return
        received = 0
        started = too_large = False

        async def counting_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    too_large = True
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if too_large and not started:  # the app's answer to a body it could not read (e.g. FastAPI's 400)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        with suppress(_BodyTooLarge):
            await self.app(scope, counting_receive, tracking_send)
        if too_large and not started:
            await self._refuse(send, scope)


def _where(path: list[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def json_problem(value: Any, path: list[str | int] | None = None) -> str | None:
    """What no field can hold, named by its field: an unpaired UTF-16 surrogate in a string (no UTF-8 text, and so
    no database column or JSON answer, holds one) or a number beyond a double (1e400 reads as infinity)."""
    path = path or []
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"{_where(path)}: holds an unpaired UTF-16 surrogate (such as \\ud800), which is not text"
    elif isinstance(value, float) and not math.isfinite(value):
        return f"{_where(path)}: the number is out of range (at most about 1.8e308)"
    elif isinstance(value, dict):
        for key, item in value.items():
            if json_problem(key):
                return f"{_where(path)}: a field name holds an unpaired UTF-16 surrogate, which is not text"
            problem = json_problem(item, [*path, key])
            if problem:
                return problem
    elif isinstance(value, list):
        for i, item in enumerate(value):
            problem = json_problem(item, [*path, i])
            if problem:
                return problem
    return None


class JsonBodyCheckMiddleware:
    """A JSON body holding what no field can hold (see `json_problem`) is refused with 422 naming the field, in the
    app's error shape, before any route or model reads it: otherwise it got through validation and failed in the
    database driver, or in rendering the validation error that echoed it, as a plain-text 500."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        content_type = dict(scope.get("headers", [])).get(b"content-type", b"").split(b";")[0].strip().lower()
        if scope["type"] != "http" or not (content_type == b"application/json" or content_type.endswith(b"+json")):
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        problem = None
        with suppress(ValueError, RecursionError):  # not JSON at all: FastAPI's own 422 says so
            problem = json_problem(json.loads(body))
        if problem:
            await send_error(send, 422, problem, scope=scope)
            return
        await self.app(scope, replay_body(body, receive), send)


class DatabaseBusyMiddleware:
    """SQLite's lock held by other writers past the wait (DatabaseBusy, or "database is locked" from a unit of work
    that did not go through `transaction`): 503 with Retry-After, nothing stored, never a 500. The writer has
    already waited and retried with backoff (store/db.py); the client retries after the pause."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False  # once the answer has begun, an error can only end it

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started or not (isinstance(exc, DatabaseBusy) or is_busy(exc)):
                raise
            await send_error(send, 503, str(DatabaseBusy()),
                             ((b"retry-after", str(DatabaseBusy.retry_after).encode()),), scope)
