"""Published pages from memory, answered before the middleware stack and the routes.

A published representation (a narrative page and its JSON twin, its PDF, the map, the movements, the open data:
what the publication routes answer with a `SharedResponse`) is the same bytes for every anonymous visitor until the
data changes. This pure ASGI layer, outermost in the app, keeps each one per process after its first rendering: the
identity and the gzip body, the ETag and every header the stack added (the security headers included). It answers
the next anonymous request by itself, 200 or 304 for a matching If-None-Match, with no FastAPI, no thread and no SQL
but one version check.

Never from or into this cache: a request with a session cookie or an Authorization header (a logged-in view holds
the user's name and CSRF token, and for staff the drafts), any method but GET, a response its route did not mark as
shared, whose status is not 200 or that sets a cookie, and everything while the app renders as of a fixed time (the
static export).

The whole cache is dropped
- when anything commits a write to the database, whoever wrote it (a request of this process, another worker, the
  CLI): SQLite's `PRAGMA data_version` and PostgreSQL's current snapshot (it changes when a transaction that wrote
  ends) are read on every request, on a connection of their own;
- when a publication time passes (a year leaves its embargo, and the year lists and histories of other pages grow).
So a correction is served at once, and nothing of an embargoed year is ever cached (its routes answer 404).
"""

from __future__ import annotations

import asyncio
import gzip
import threading
import time
from collections import OrderedDict
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tiptiers.store import publication as pubstore
from tiptiers.web.security import credentialed

SHARED = "tiptiers.shared"  # key of the response start message of a shareable representation
MAX_ENTRY_BYTES = 16 * 1024 * 1024
MAX_CACHE_BYTES = 256 * 1024 * 1024  # per process; least recently used entries go first
_UNREAD = object()


class SharedResponse(Response):
    """A response that is the same for every anonymous visitor (a published representation): the page cache may keep
    it, for at most `keep_for` seconds if given (0: not at all). Marked on the ASGI start message, so the mark never
    reaches the client."""

    def __init__(self, *args: Any, keep_for: float | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.keep_for = keep_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def mark(message: Message) -> None:
            if message["type"] == "http.response.start" and self.keep_for != 0:
                message[SHARED] = self.keep_for or "until the data changes"
            await send(message)

        await super().__call__(scope, receive, mark)


def etag_matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match holds this ETag (in a list) or `*`."""
    tags = [t.strip() for t in if_none_match.split(",")]
    return etag in tags or "*" in tags


class DataVersion:
    """A value that changes whenever anything commits a write to the database; None when it cannot be read (then
    nothing is cached). One connection of its own, outside the pool, in autocommit."""

    def __init__(self, engine: Engine):
        self.engine = engine
        backend = engine.url.get_backend_name()
        in_memory = backend == "sqlite" and engine.url.database in (None, "", ":memory:")
        self.sql = {"sqlite": "PRAGMA data_version",
                    "postgresql": "SELECT pg_current_snapshot()::text"}.get(backend) if not in_memory else None
        self._connection: Any = None
        self._lock = threading.Lock()  # the test client may call from more than one thread

    def _connect(self) -> Any:
        pooled = self.engine.raw_connection()
        connection: Any = pooled.driver_connection
        pooled.detach()  # kept for good, outside the pool's count
        if self.sql and self.sql.startswith("PRAGMA"):
            connection.isolation_level = None
        else:
            connection.autocommit = True
        return connection

    def __call__(self) -> object | None:
        if self.sql is None:
            return None
        with self._lock:
            try:
                if self._connection is None:
                    self._connection = self._connect()
                cursor = self._connection.cursor()
                cursor.execute(self.sql)
                row = cursor.fetchone()
                cursor.close()
                return row[0] if row else None
            except Exception:  # the database went away: cache nothing, reconnect next time
                self.close()
                return None

    def close(self) -> None:
        if self._connection is not None:
            with suppress(Exception):  # closing a broken connection
                self._connection.close()
            self._connection = None


@dataclass
class Entry:
    headers: list[tuple[bytes, bytes]]  # as the stack sent them, less Content-Length and Content-Encoding
    etag: str
    identity: bytes
    gzipped: bytes | None  # None: identity for every client (too small, or a compressed type such as PNG)
    gzip_known: bool  # False until a client that accepts gzip was answered (the stack decides whether it applies)
    expires: float | None = None  # time.monotonic() after which it is rendered again

    @property
    def size(self) -> int:
        return len(self.identity) + len(self.gzipped or b"") + 200

    def not_modified(self) -> list[tuple[bytes, bytes]]:
        return [(n, v) for n, v in self.headers if n not in (b"content-type", b"content-disposition")]


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes:
    for n, v in headers:
        if n.lower() == name:
            return v
    return b""


class PageCache:
    """The pure ASGI layer; `state` is the app's state (a static export sets `publish_now` there: no caching)."""

    def __init__(self, app: ASGIApp, engine: Engine, state: Any, max_bytes: int = MAX_CACHE_BYTES):
        self.app = app
        self.state = state
        self.version = DataVersion(engine)
        self.sessions = state.sessions
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[Any, ...], Entry] = OrderedDict()
        self._bytes = 0
        self._epoch = 0  # moves on every drop: a rendering that started before one is not kept
        self._seen: object = _UNREAD
        self._boundary: datetime | None = None  # the next publication time
        self._pending: dict[tuple[Any, ...], asyncio.Event] = {}
        self._known: dict[tuple[Any, ...], bool] = {}  # key -> its last response was shared

    # --- validity ------------------------------------------------------------------------------------------

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0
        self._epoch += 1

    def _next_boundary(self, now: datetime) -> datetime | None:
        with self.sessions() as session:
            return pubstore.next_publication(session, now)

    async def _usable(self) -> bool:
        """Drop everything if the data changed or a publication time passed; False: cache nothing now."""
        if getattr(self.state, "publish_now", None) is not None or getattr(self.state, "pdf_years", None) is not None:
            return False
        version = self.version()
        if version is None:
            self.clear()
            self._seen = _UNREAD
            return False
        now = pubstore.utcnow()
        if version != self._seen or (self._boundary is not None and now >= self._boundary):
            self.clear()
            self._seen = version
            try:
                self._boundary = await run_in_threadpool(self._next_boundary, now)
            except Exception:
                self._seen = _UNREAD
                return False
        return True

    # --- the layer -----------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or credentialed(scope) or not await self._usable():
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        key = (scope.get("scheme"), headers.get(b"host"), scope["path"], scope.get("query_string"))
        wants_gzip = b"gzip" in headers.get(b"accept-encoding", b"")
        if_none_match = headers.get(b"if-none-match", b"").decode("latin-1")
        entry = self._usable_entry(key, wants_gzip)
        pending = self._pending.get(key)
        if entry is None and pending is not None:  # the same page is being rendered: wait for it, once
            await pending.wait()
            entry = self._usable_entry(key, wants_gzip)
        if entry is not None:
            self._entries.move_to_end(key)
            await self._answer(entry, wants_gzip, if_none_match, send)
            return
        if key in self._pending or not self._known.get(key, True):  # not a shared page: nobody waits behind it
            await self._render(key, scope, receive, send, wants_gzip)
            return
        self._pending[key] = event = asyncio.Event()
        try:
            await self._render(key, scope, receive, send, wants_gzip)
        finally:
            del self._pending[key]
            event.set()

    def _usable_entry(self, key: tuple[Any, ...], wants_gzip: bool) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None or (entry.expires is not None and time.monotonic() > entry.expires):
            return None
        return entry if entry.gzip_known or not wants_gzip else None

    async def _answer(self, entry: Entry, wants_gzip: bool, if_none_match: str, send: Send) -> None:
        if entry.etag and if_none_match and etag_matches(if_none_match, entry.etag):
            await send({"type": "http.response.start", "status": 304, "headers": entry.not_modified()})
            await send({"type": "http.response.body", "body": b""})
            return
        headers = list(entry.headers)
        if wants_gzip and entry.gzipped is not None:
            body = entry.gzipped
            headers.append((b"content-encoding", b"gzip"))
        else:
            body = entry.identity
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _render(self, key: tuple[Any, ...], scope: Scope, receive: Receive, send: Send,
                      wants_gzip: bool) -> None:
        epoch = self._epoch
        start: Message = {}
        chunks: list[bytes] = []
        size = 0
        keep = False
        complete = False
        expires: float | None = None

        async def capture(message: Message) -> None:
            nonlocal keep, complete, expires, size
            if message["type"] == "http.response.start":
                start.update(message)
                mark = message.pop(SHARED, None)
                keep = mark is not None and message["status"] == 200 and not any(  # a cookie is one visitor's
                    name.lower() == b"set-cookie" for name, _ in message.get("headers", []))
                if isinstance(mark, int | float):
                    expires = time.monotonic() + mark
            elif message["type"] == "http.response.body" and keep:
                chunks.append(message.get("body", b""))
                size += len(chunks[-1])  # a running total: summing every chunk again per chunk is quadratic
                if size > MAX_ENTRY_BYTES:
                    keep = False
                    chunks.clear()
                complete = not message.get("more_body", False)
            await send(message)

        await self.app(scope, receive, capture)
        if len(self._known) > 50_000:
            self._known.clear()
        self._known[key] = keep
        if keep and complete and epoch == self._epoch:
            self._store(key, list(start.get("headers", [])), b"".join(chunks), wants_gzip, expires)

    def _store(self, key: tuple[Any, ...], raw: list[tuple[bytes, bytes]], body: bytes, wants_gzip: bool,
               expires: float | None) -> None:
        encoding = _header(raw, b"content-encoding")
        headers = [(n.lower(), v) for n, v in raw if n.lower() not in (b"content-length", b"content-encoding")]
        etag = _header(raw, b"etag").decode("latin-1")
        if encoding == b"gzip":
            identity, gzipped, known = gzip.decompress(body), body, True
        elif encoding:
            return  # an encoding this layer does not serve
        else:  # the stack did not compress it although the client accepts gzip: it never will (size, type)
            identity, gzipped, known = body, None, wants_gzip
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= old.size
            if old.etag == etag and old.identity == identity and not known:
                gzipped, known = old.gzipped, old.gzip_known
        entry = Entry(headers, etag, identity, gzipped, known, expires)
        if entry.size > self.max_bytes:
            return
        self._entries[key] = entry
        self._bytes += entry.size
        while self._bytes > self.max_bytes:
            _, dropped = self._entries.popitem(last=False)
            self._bytes -= dropped.size
