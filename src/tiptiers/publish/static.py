"""The whole public site as static files, for any web server on release day.

The same code path as the live app: the app is asked for each page, as an anonymous visitor would at the year's
publication time, and every same-site link it finds (href, src) is followed. A path without an extension is
written as PATH/index.html; anything else under its own name. Links with a query string, and the editing pages,
are not followed (a static server cannot answer them). PDFs of narratives are made for the published year only
(the pages of other years say where to get theirs), which keeps the export to minutes.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from urllib.parse import urldefrag, urljoin

from fastapi.testclient import TestClient

from tiptiers.web.app import create_app

LINK = re.compile(r'(?:href|src|xlink:href)="([^"]+)"')
SKIP = re.compile(r"/edit$|^/login|^/logout|^/static/.*\.map$")


@dataclass
class ExportResult:
    out: Path
    pages: int = 0
    files: int = 0
    bytes: int = 0
    failed: dict[str, int] = field(default_factory=dict)  # path -> status of a linked URL that did not answer 200


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
        if SKIP.search(url):
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


def export_site(database_url: str, year: int, out: Path, at: datetime,
                progress: Callable[[str, int], None] | None = None) -> ExportResult:
    """Crawl the app from the seeds of `year` as an anonymous visitor at time `at`; write every page to `out`."""
    app = create_app(database_url)
    app.state.publish_now = at
    app.state.pdf_years = {year}
    result = ExportResult(out)
    seeds = ["/", f"/map/{year}", f"/map/{year}.png", f"/movements/{year}", f"/reports/{year}.pdf", "/data",
             f"/years/{year}", "/api/v1/openapi.json", "/api/v1/data/tiptiers.zip", "/api/v1/publications.json"]
    queue: deque[str] = deque(seeds)
    seen = set(seeds)
    skipped: set[str] = set()
    html_files: list[Path] = []
    with TestClient(app, raise_server_exceptions=False) as client:  # a failing page is reported, not fatal
        while queue:
            path = queue.popleft()
            response = client.get(path, headers={"accept": "text/html,*/*"}, follow_redirects=False)
            if response.status_code in (301, 302, 307, 308):
                location = response.headers["location"]
                dest = target(out, path)
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_text(f'<!doctype html><meta http-equiv="refresh" content="0; url={location}">'
                                f'<a href="{location}">{location}</a>', encoding="utf-8")
                new = [location]
            elif response.status_code != 200:
                result.failed[path] = response.status_code
                continue
            else:
                dest = target(out, path)
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(response.content)
                result.files += 1
                result.bytes += len(response.content)
                kind = response.headers.get("content-type", "")
                new = links(path, response.text, skipped) if kind.startswith(("text/html", "text/css")) else []
                if kind.startswith("text/html"):
                    result.pages += 1
                    html_files.append(dest)
            for url in new:
                if url not in seen:
                    seen.add(url)
                    queue.append(url)
            if progress:
                progress(path, len(queue))
    disable_links(out, html_files, skipped | set(result.failed))
    return result
