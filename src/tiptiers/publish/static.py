"""The whole public site as static files, for any web server on release day.

The same code path as the live app: the app is asked for each page, as an anonymous visitor would at the year's
publication time, and every same-site link it finds (href, src) is followed. Rendering through the web app (rather
than from templates here) is what makes the mirror the live site: the same pages, the same embargo, the same links,
with nothing to keep in step. The app is called in this process as a server calls it (`InProcessApp`); not through
Starlette's TestClient, which needs httpx, a package only the tests install. A path without an extension is
written as PATH/index.html; anything else under its own name. Links with a query string, and the editing pages,
are not followed (a static server cannot answer them). PDFs of narratives are made for the published year only
(the pages of other years say where to get theirs). Pages are rendered by a pool of processes (one per core by
default, each with its own app), the whole-report PDF first: it is the longest single page; the crawl itself (links,
files) stays in the calling process.

Languages: English at the root, each other language under its prefix (/fr/..., /es/...): the pages and PDFs of a
language are the app's answer in it (the language's cookie on the request), their links to pages and PDFs are
rewritten under the prefix, and the language switcher (web/i18n.py, `static_languages` on the app's state) links
each page to its twin in the others. Data, images and the API are the same in every language and stay at the root.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import re
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin

from starlette.types import ASGIApp, Message

from tiptiers.web import i18n
from tiptiers.web.app import create_app

log = logging.getLogger(__name__)

LINK = re.compile(r'(?:href|src|xlink:href)="([^"]+)"')
SKIP = re.compile(r"/edit$|^/login|^/logout|^/static/.*\.map$")


@dataclass
class ExportResult:
    out: Path
    pages: int = 0
    files: int = 0
    bytes: int = 0
    failed: dict[str, int] = field(default_factory=dict)  # path -> status of a linked URL that did not answer 200


PREFIXED = tuple(lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT)
LOCAL_LINK = re.compile(r'(href|src)="(/[^"]*)"( lang=")?')


def split_language(path: str) -> tuple[str, str]:
    """(language, the app's path) of an exported path: /fr/years/2008 -> (fr, /years/2008); / -> (en, /)."""
    for lang in PREFIXED:
        if path == f"/{lang}" or path.startswith(f"/{lang}/"):
            return lang, path[len(lang) + 1:] or "/"
    return i18n.DEFAULT, path


def in_language(path: str, lang: str) -> str:
    """A same-site path as the pages of `lang` link to it: a page or a PDF under the language's prefix; data,
    images, styles and the API (the same in every language) at the root."""
    if lang == i18n.DEFAULT or split_language(path)[0] != i18n.DEFAULT or path.startswith(("/static/", "/api/")):
        return path
    bare = path.split("?", 1)[0].split("#", 1)[0]
    suffix = PurePosixPath(bare).suffix
    return f"/{lang}{path}" if not suffix or suffix == ".pdf" else path


def localise_links(html: str, lang: str) -> str:
    """The same-site links of a page of `lang` under its prefix (the switcher's, which carry `lang`, as they are)."""
    if lang == i18n.DEFAULT:
        return html
    return LOCAL_LINK.sub(lambda m: m.group(0) if m.group(3) else f'{m.group(1)}="{in_language(m.group(2), lang)}"',
                          html)


def target(out: Path, path: str) -> Path:
    """Where a URL path is written: /years/2008 -> years/2008/index.html, /map/2008.svg -> map/2008.svg."""
    rel = PurePosixPath(path.lstrip("/"))
    if path.endswith("/") or not rel.suffix:
        return out / rel / "index.html"
    return out / rel


def links(base: str, html: str, skipped: set[str] | None = None) -> list[str]:
    """Same-site links to follow; those a static server cannot answer (sign-in, editing) go to `skipped`."""
    found = []
    for raw in LINK.findall(html):
        url = urldefrag(urljoin(base, raw.replace("&amp;", "&")))[0]
        if not url.startswith("/") or url.startswith("//") or "?" in url:
            continue
        if SKIP.search(split_language(url)[1]):
            if skipped is not None:
                skipped.add(url)
            continue
        found.append(url)
    return found


def disable_links(out: Path, pages: list[Path], dead: set[str]) -> None:
    """A link to what the static site cannot serve (sign-in, a page that failed) keeps its text but loses its
    target (`data-live-only` keeps the path), so the mirror has no broken link."""
    if not dead:
        return
    pattern = re.compile(r'(href|src)="(' + "|".join(re.escape(d) for d in sorted(dead, key=len, reverse=True))
                         + r')(#[^"]*)?"')
    for page in pages:
        html = page.read_text(encoding="utf-8")
        fixed = pattern.sub(lambda m: f'data-live-only="{m.group(2)}"', html)
        if fixed != html:
            page.write_text(fixed, encoding="utf-8")


@dataclass(frozen=True)
class Fetched:
    path: str
    status: int
    kind: str  # Content-Type
    location: str  # of a redirect
    body: bytes


class InProcessApp:
    """An ASGI app called in this process, as a server would call it but without a socket: its lifespan started
    once, then one GET at a time, each answered in full. An exception inside the app is a 500, not fatal."""

    def __init__(self, app: ASGIApp):
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.state: dict[str, Any] = {}
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._from_app: asyncio.Queue[Message] = asyncio.Queue()
        self._lifespan = self.loop.create_task(self._run_lifespan())
        self._lifespan_step("startup")

    async def _run_lifespan(self) -> None:
        await self.app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": self.state},
                       self._to_app.get, self._from_app.put)

    def _lifespan_step(self, step: str) -> None:
        async def run() -> None:
            await self._to_app.put({"type": f"lifespan.{step}"})
            reply = await self._from_app.get()
            if reply["type"] != f"lifespan.{step}.complete":
                raise RuntimeError(f"the web app's {step} failed: {reply.get('message', reply['type'])}")
        self.loop.run_until_complete(run())

    def get(self, path: str, accept: str, lang: str = i18n.DEFAULT) -> tuple[int, dict[str, str], bytes]:
        return self.loop.run_until_complete(self._get(path, accept, lang))

    async def _get(self, path: str, accept: str, lang: str = i18n.DEFAULT) -> tuple[int, dict[str, str], bytes]:
        raw_path, _, query = path.partition("?")
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "scheme": "http", "path": unquote(raw_path), "raw_path": raw_path.encode(),
                 "query_string": query.encode(), "root_path": "", "client": ("127.0.0.1", 0),
                 "server": ("localhost", 80), "state": dict(self.state),
                 "headers": [(b"host", b"localhost"), (b"accept", accept.encode()),
                             (b"cookie", f"{i18n.COOKIE}={lang}".encode())]}
        answered = asyncio.Event()
        request_sent = False
        status, headers, body = 0, dict[str, str](), bytearray()

        async def receive() -> Message:
            nonlocal request_sent
            if not request_sent:
                request_sent = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await answered.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers.update((k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in message["headers"])
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    answered.set()

        try:
            await self.app(scope, receive, send)
        except Exception:  # the page is reported as failed, with its status; the export goes on
            log.warning("GET %s raised", path, exc_info=True)
            if not answered.is_set():
                status, headers, body = 500, {}, bytearray()
        return status, headers, bytes(body)

    def close(self) -> None:
        self._lifespan_step("shutdown")
        self.loop.run_until_complete(self._lifespan)
        self.loop.close()


class Fetcher:
    """The app as an anonymous visitor sees it at time `at`, in this process."""

    def __init__(self, database_url: str, year: int, at: datetime):
        app = create_app(database_url)
        app.state.publish_now = at
        app.state.pdf_years = {year}
        app.state.static_languages = True  # the switcher links to /fr/... (web/i18n.py)
        self.app = InProcessApp(app)

    def __call__(self, path: str) -> Fetched:
        """The page at an exported path: /fr/... is the app's page in French, its links under /fr/."""
        lang, app_path = split_language(path)
        status, headers, body = self.app.get(app_path, accept="text/html,*/*", lang=lang)
        kind = headers.get("content-type", "")
        if kind.startswith("text/html") and status == 200:
            body = localise_links(body.decode("utf-8"), lang).encode("utf-8")
        return Fetched(path, status, kind, in_language(headers.get("location", ""), lang)
                       if headers.get("location", "").startswith("/") else headers.get("location", ""), body)

    def close(self) -> None:
        self.app.close()


_fetcher: Fetcher | None = None  # one per worker process


def _start_worker(database_url: str, year: int, at: datetime) -> None:
    global _fetcher
    _fetcher = Fetcher(database_url, year, at)


def _fetch_in_worker(path: str) -> Fetched:
    assert _fetcher is not None
    return _fetcher(path)


def export_site(database_url: str, year: int, out: Path, at: datetime,
                progress: Callable[[str, int, int], None] | None = None, jobs: int | None = None) -> ExportResult:
    """Crawl the app from the seeds of `year` as an anonymous visitor at time `at`; write every page to `out`.

    `jobs` processes render pages side by side (default: one per core); WeasyPrint's PDFs dominate. `progress(path,
    done, found)` is called after each page."""
    jobs = max(1, jobs or os.cpu_count() or 1)
    result = ExportResult(out)
    seeds = [f"/reports/{year}.pdf", "/", f"/map/{year}", f"/map/{year}.png", f"/movements/{year}", "/data",
             f"/years/{year}", "/api/v1/openapi.json", "/api/v1/data/tiptiers.zip", "/api/v1/publications.json"]
    seeds[1:1] = [f"/{lang}/reports/{year}.pdf" for lang in PREFIXED]  # the longest pages first
    seeds += [in_language(s, lang) for lang in PREFIXED for s in ("/", f"/map/{year}", f"/movements/{year}",
                                                                  "/data", f"/years/{year}")]
    queue: deque[str] = deque(seeds)
    seen = set(seeds)
    skipped: set[str] = set()
    html_files: list[Path] = []

    def write(page: Fetched) -> None:
        if page.status in (301, 302, 307, 308):
            dest = target(out, page.path)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(f'<!doctype html><meta http-equiv="refresh" content="0; url={page.location}">'
                            f'<a href="{page.location}">{page.location}</a>', encoding="utf-8")
            new = [page.location]
        elif page.status != 200:
            result.failed[page.path] = page.status
            new = []
        else:
            dest = target(out, page.path)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(page.body)
            result.files += 1
            result.bytes += len(page.body)
            text = page.kind.startswith(("text/html", "text/css"))
            new = links(page.path, page.body.decode("utf-8"), skipped) if text else []
            if page.kind.startswith("text/html"):
                result.pages += 1
                html_files.append(dest)
        for url in new:
            if url not in seen:
                seen.add(url)
                queue.append(url)
        if progress:
            progress(page.path, len(seen) - len(queue), len(seen))

    if jobs == 1:
        fetch = Fetcher(database_url, year, at)
        try:
            while queue:
                write(fetch(queue.popleft()))
        finally:
            fetch.close()
    else:
        context = multiprocessing.get_context("spawn")  # no fork of a process with threads and open connections
        with ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker,
                                 initargs=(database_url, year, at)) as pool:
            running: set[Future[Fetched]] = set()
            while queue or running:
                while queue and len(running) < jobs * 8:
                    running.add(pool.submit(_fetch_in_worker, queue.popleft()))
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    write(future.result())
    disable_links(out, html_files, skipped | set(result.failed))
    return result
