"""Published pages from memory, answered before the middleware stack and the routes.

A published representation (the home, year, country and country-year pages, narratives, the map, the movements,
the comparison, the open data, and each one's JSON twin: what a route marks as shared, with a `SharedResponse` or
the `PUBLIC` dependency) is the same bytes for every anonymous visitor until the data changes. This pure ASGI layer,
outermost in the app, keeps each one per process after its first rendering: the identity and the gzip body, the
ETag (made here when the route gave none) and every header the stack added (the security headers included). It
answers the next anonymous request by itself, 200 or 304 for a matching If-None-Match, with no FastAPI, no thread
and no SQL.

Never from or into this cache: a request with a session cookie or an Authorization header (a logged-in view holds
the user's name and CSRF token, and for staff the drafts), any method but GET, a response its route did not mark as
shared, whose status is not 200 or that sets a cookie, and everything while the app renders as of a fixed time (the
static export). A response that varies by a request header (`Vary`, other than Accept-Encoding) is kept per value.

What a write changed is dropped, not everything: each entry remembers what it shows (`Scope`s: the country and
year of its path, `?c=` countries and `?year=`; none: anything), and each new activity-log entry (web/changes.py,
which follows them on every host) drops the entries it overlaps. A change to a year under embargo drops nothing
(no published page shows it). Everything is dropped when the publication schedule changes or a publication time
passes (a year leaves its embargo, and the year lists and histories of other pages grow), and nothing is kept
while changes cannot be followed. So a correction is served at once, on every host, while drafts of the year in
preparation leave the published pages cached; nothing of an embargoed year is ever cached (its routes answer 404).
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import time
from collections import OrderedDict, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Depends, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tiptiers.store import publication as pubstore
from tiptiers.web import i18n
from tiptiers.web.changes import Batch, Changes
from tiptiers.web.changes import Scope as Shows
from tiptiers.web.security import credentialed

# Headers a response varies by that the key already holds in another form: Accept-Encoding (gzip or not, kept
# apart in the entry) and what the language comes from (Accept-Language, the cookie: the key holds the language
# chosen from them, not their every spelling; a session cookie is never cached at all).
_KEYED = ("accept-encoding", "accept-language", "cookie")
SHARED = "tiptiers.shared"  # key of the mark: in the response start message, or in the request's scope
MAX_ENTRY_BYTES = 16 * 1024 * 1024
MAX_CACHE_BYTES = 256 * 1024 * 1024  # per process; least recently used entries go first


@dataclass(frozen=True)
class Mark:
    """A shareable response: kept at most `keep_for` seconds if given; showing `shows` (None: from the request)."""

    keep_for: float | None = None
    shows: tuple[Shows, ...] | None = None


class SharedResponse(Response):
    """A response that is the same for every anonymous visitor (a published representation): the page cache may keep
    it, for at most `keep_for` seconds if given (0: not at all), until a change overlaps what it `shows` (by default
    what its path and query name). Marked on the ASGI start message, so the mark never reaches the client."""

    def __init__(self, *args: Any, keep_for: float | None = None, shows: tuple[Shows, ...] | None = None,
                 **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.mark = Mark(keep_for, shows) if keep_for != 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def mark(message: Message) -> None:
            if message["type"] == "http.response.start" and self.mark is not None:
                message[SHARED] = self.mark
            await send(message)

        await super().__call__(scope, receive, mark)


def public(keep_for: float | None = None) -> list[Any]:
    """A route's `dependencies`: its answer is the same for every anonymous visitor (kept at most `keep_for`
    seconds if given: a page that changes with the date)."""
    def mark(request: Request) -> None:
        request.scope[SHARED] = Mark(keep_for)

    return [Depends(mark)]


PUBLIC = public()


def etag_matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match holds this ETag (in a list) or `*`."""
    tags = [t.strip() for t in if_none_match.split(",")]
    return etag in tags or "*" in tags


def shown_by(scope: Scope) -> tuple[Shows, ...]:
    """What a page shows, from its route's path parameters and its query: the country of `{iso3}` (every year of
    it: the pages of a country-year show its history too), the year of `{year}` (every country), the countries of
    `?c=`, the year of `?year=`; nothing named: anything."""
    params = scope.get("path_params") or {}
    query = parse_qsl(scope.get("query_string", b"").decode("latin-1"))
    countries = [str(v).upper() for k, v in ([("iso3", params.get("iso3")), *query]) if k in ("iso3", "c") and v]
    years = [int(v) for v in (params.get("year"), dict(query).get("year")) if isinstance(v, str) and v.isdigit()]
    if countries:
        return tuple(Shows(c, None) for c in dict.fromkeys(c for code in countries for c in code.split(",")))
    return tuple(Shows(None, y) for y in dict.fromkeys(years)) or (Shows(),)


@dataclass
class Entry:
    headers: list[tuple[bytes, bytes]]  # as the stack sent them, less Content-Length and Content-Encoding
    etag: str
    identity: bytes
    gzipped: bytes | None  # None: identity for every client (too small, or a compressed type such as PNG)
    gzip_known: bool  # False until a client that accepts gzip was answered (the stack decides whether it applies)
    shows: tuple[Shows, ...] = field(default_factory=tuple)
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


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


class PageCache:
    """The pure ASGI layer; `state` is the app's state (a static export sets `publish_now` there: no caching);
    `changes` follows the database's changes (web/changes.py)."""

    def __init__(self, app: ASGIApp, changes: Changes, state: Any, max_bytes: int = MAX_CACHE_BYTES):
        self.app = app
        self.state = state
        self.changes = changes
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[Any, ...], Entry] = OrderedDict()
        self._vary: dict[tuple[Any, ...], tuple[bytes, ...]] = {}  # key -> the request headers its answer varies by
        self._bytes = 0
        self._epoch = 0  # moves on every drop: a rendering that started before one is not kept
        self._dropped: deque[Batch] = deque()  # from the thread that follows changes; applied on the event loop
        self._boundary: datetime | None = None  # the next publication time
        self._schedule: pubstore.Schedule | None = None
        self._pending: dict[tuple[Any, ...], asyncio.Event] = {}
        self._known: dict[tuple[Any, ...], bool] = {}  # key -> its last response was shared
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="tiptiers-catch-up")
        self._catching: asyncio.Future[None] | None = None
        changes.subscribe(self._dropped.append)

    # --- validity ------------------------------------------------------------------------------------------

    def clear(self) -> None:
        self._entries.clear()
        self._vary.clear()
        self._bytes = 0
        self._epoch += 1

    def _drop(self, batch: Batch) -> None:
        self._epoch += 1
        if batch.everything:
            self.clear()
            return
        for key in [k for k, e in self._entries.items() if any(s.overlaps(c) for s in e.shows for c in batch.scopes)]:
            self._bytes -= self._entries.pop(key).size

    async def _usable(self) -> bool:
        """Apply what changed; False: cache nothing now."""
        if getattr(self.state, "publish_now", None) is not None or getattr(self.state, "pdf_years", None) is not None:
            return False
        changes = self.changes
        if changes.pending():
            await self._caught_up()
        while self._dropped:
            self._drop(self._dropped.popleft())
        if not changes.live:
            self.clear()
            return False
        schedule = changes.cached_schedule
        now = pubstore.utcnow()
        if schedule is not self._schedule or (self._boundary is not None and now >= self._boundary):
            self.clear()
            self._schedule = schedule
            self._boundary = min((t for t in schedule.scheduled.values() if t > now), default=None) \
                if schedule is not None else None
        return schedule is not None

    async def _caught_up(self) -> None:
        """One catch-up at a time in a thread of its own, awaited by every request that arrives meanwhile: not in
        the shared thread pool, where the published pages would wait behind slow logged-in requests."""
        if self._catching is None or self._catching.done():
            self._catching = asyncio.get_running_loop().run_in_executor(self._executor, self.changes.catch_up)
        await asyncio.shield(self._catching)

    # --- the layer -----------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        usable = await self._usable()  # for every request: the schedule the embargo reads is refreshed here too
        if not usable or scope["method"] != "GET" or credentialed(scope):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        base = (scope.get("scheme"), headers.get(b"host"), scope["path"], scope.get("query_string"),
                scope.get(i18n.SCOPE_KEY, i18n.DEFAULT))  # the language (web/i18n.py): one entry per language
        key = base + tuple(headers.get(name) for name in self._vary.get(base, ()))
        wants_gzip = b"gzip" in headers.get(b"accept-encoding", b"")
        if_none_match = headers.get(b"if-none-match", b"").decode("latin-1")
        entry = self._usable_entry(key, wants_gzip)
        while entry is None and (pending := self._pending.get(key)) is not None:  # being rendered: wait for it
            await pending.wait()  # (again if that rendering was not kept and another waiter renders it now)
            entry = self._usable_entry(key, wants_gzip)
            if entry is None and not self._known.get(key, True):
                break  # not a shared page after all: each renders its own
        if entry is not None:
            self._entries.move_to_end(key)
            await self._answer(entry, wants_gzip, if_none_match, send)
            return
        if key in self._pending or not self._known.get(key, True):  # not a shared page: nobody waits behind it
            await self._render(base, key, scope, receive, send, wants_gzip, if_none_match)
            return
        self._pending[key] = event = asyncio.Event()
        try:
            await self._render(base, key, scope, receive, send, wants_gzip, if_none_match)
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

    async def _render(self, base: tuple[Any, ...], key: tuple[Any, ...], scope: Scope, receive: Receive,
                      send: Send, wants_gzip: bool, if_none_match: str) -> None:
        epoch = self._epoch
        start: Message = {}
        chunks: list[bytes] = []
        size = 0
        keep = False
        held = False  # the route gave no ETag: the answer waits for its whole body, which the ETag is made from
        complete = False
        mark: Mark | None = None

        async def capture(message: Message) -> None:
            nonlocal keep, held, complete, size, mark
            if message["type"] == "http.response.start":
                start.update(message)
                mark = message.pop(SHARED, None) or scope.get(SHARED)
                start.pop(SHARED, None)
                raw = message.get("headers", [])
                keep = mark is not None and message["status"] == 200 and not any(  # a cookie is one visitor's
                    name.lower() == b"set-cookie" for name, _ in raw)
                held = keep and not _header(raw, b"etag")
                if held:
                    return
            elif message["type"] == "http.response.body" and keep:
                chunks.append(message.get("body", b""))
                size += len(chunks[-1])  # a running total: summing every chunk again per chunk is quadratic
                complete = not message.get("more_body", False)
                if size > MAX_ENTRY_BYTES:
                    keep = False
                    if held:  # too large to hold: send what was held and let the rest through
                        held = False
                        await send(start)
                        await send({"type": "http.response.body", "body": b"".join(chunks), "more_body": True})
                        if complete:
                            await send({"type": "http.response.body", "body": b""})
                        chunks.clear()
                        return
                    chunks.clear()
                if held:
                    if complete:
                        await self._send_held(start, b"".join(chunks), if_none_match, send)
                    return
            await send(message)

        await self.app(scope, receive, capture)
        if len(self._known) > 50_000:
            self._known.clear()
        self._known[key] = keep
        if keep and complete and epoch == self._epoch and mark is not None:
            vary = tuple(v.strip().lower().encode() for v in _header(start.get("headers", []), b"vary")
                         .decode("latin-1").split(",") if v.strip() and v.strip().lower() not in _KEYED)
            if vary != self._vary.get(base, ()):
                if "*" in [v.decode() for v in vary]:
                    return
                self._vary[base] = vary
                if len(self._vary) > 50_000:
                    self._vary.clear()
                return  # the key is made with the headers the answer varies by from now on
            expires = time.monotonic() + mark.keep_for if mark.keep_for is not None else None
            self._store(key, list(start.get("headers", [])), b"".join(chunks), wants_gzip, expires,
                        mark.shows or shown_by(scope))

    async def _send_held(self, start: Message, body: bytes, if_none_match: str, send: Send) -> None:
        """A shared answer without an ETag: with one made from its content (the identity body, as routes make
        theirs), and 304 if the client has it."""
        identity = gzip.decompress(body) if _header(start.get("headers", []), b"content-encoding") == b"gzip" else body
        etag = _etag(identity)
        start["headers"] = raw = [*start.get("headers", []), (b"etag", etag.encode("latin-1"))]
        if if_none_match and etag_matches(if_none_match, etag):
            headers = [(n, v) for n, v in raw if n.lower() not in (b"content-type", b"content-length",
                                                                     b"content-encoding", b"content-disposition")]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await send(start)
        await send({"type": "http.response.body", "body": body})

    def _store(self, key: tuple[Any, ...], raw: list[tuple[bytes, bytes]], body: bytes, wants_gzip: bool,
               expires: float | None, shows: tuple[Shows, ...]) -> None:
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
        entry = Entry(headers, etag, identity, gzipped, known, shows, expires)
        if entry.size > self.max_bytes:
            return
        self._entries[key] = entry
        self._bytes += entry.size
        while self._bytes > self.max_bytes:
            _, dropped = self._entries.popitem(last=False)
            self._bytes -= dropped.size
