"""Security headers on every response, pages, JSON, static files and errors alike.

Responses to a request with a session cookie or an Authorization header are never stored by a shared cache
(`public` becomes `private`; nothing said becomes `private, no-store`).

The Content-Security-Policy allows scripts, styles and images only from the app itself (plus data: images):
no inline <script>, no style attribute, no CDN. Templates put their JavaScript in web/static/*.js.
"""

from __future__ import annotations

from contextlib import suppress

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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

    async def _refuse(self, send: Send) -> None:
        body = b'{"error": {"status": 413, "detail": "body: the request is larger than %d bytes"}}' % self.limit
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
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
            await self._refuse(send)
