"""`tiptiers publish YEAR --static OUT` writes a site that a plain static file server serves with no broken link."""

from __future__ import annotations

import functools
import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urldefrag, urljoin
from urllib.request import urlopen

import pytest
from typer.testing import CliRunner

from tiptiers.cli import app
from tiptiers.sources.placements import parse_placements
from tiptiers.store.db import transaction
from tiptiers.store.placements import import_placements, sync_countries

LINK = re.compile(r'(?:href|src)="([^"]+)"')
ROWS = "iso3,year,tier\nJPN,2014,2\nJPN,2015,2\nKOR,2014,1\nKOR,2015,1\nCHN,2014,3\nCHN,2015,2WL\nTUV,2015,2\n"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from conftest import TestDatabase

    db = TestDatabase("sqlite", tmp_path_factory)
    with transaction(db.sessions) as s:
        sync_countries(s)
        import_placements(s, parse_placements(ROWS, source="small.csv"), source="small.csv")
    out = tmp_path_factory.mktemp("site")
    result = CliRunner().invoke(app, ["publish", "2015", "--static", str(out)], env={"TIPTIERS_DATABASE_URL": db.url})
    assert result.exit_code == 0, result.output
    yield out
    db.drop()


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_the_static_site_has_the_pages_data_pdfs_and_map(site):
    for path in ("index.html", "map/2015/index.html", "map/2015.svg", "map/2015.png",
                 "narratives/JPN/2015/index.html", "narratives/JPN/2015.pdf", "reports/2015.pdf",
                 "api/v1/narratives/JPN/2015.json", "api/v1/data/placements.csv", "api/v1/data/tiptiers.zip",
                 "movements/2015/index.html", "data/index.html"):
        assert (site / path).is_file(), path
    assert (site / "narratives/JPN/2015.pdf").read_bytes()[:5] == b"%PDF-"


def test_a_link_checker_finds_no_broken_link(server):
    """Follow every same-site href and src from the home page, as a static server answers them."""
    seen, queue, broken = {"/"}, ["/"], []
    while queue:
        path = queue.pop()
        try:
            with urlopen(server + path, timeout=10) as response:
                kind = response.headers.get("content-type", "")
                body = response.read()
        except HTTPError as exc:
            broken.append((path, exc.code))
            continue
        if not kind.startswith("text/html"):
            continue
        for raw in LINK.findall(body.decode("utf-8")):
            url = urldefrag(urljoin(path, raw.replace("&amp;", "&")))[0]
            if url.startswith("/") and not url.startswith("//") and "?" not in url and url not in seen:
                seen.add(url)
                queue.append(url)
    assert not broken, broken
    assert len(seen) > 30  # it really walked the site
    assert "/narratives/JPN/2015" in seen and "/map/2015.png" in seen


def test_each_language_is_under_its_prefix_english_at_the_root(site):
    english = (site / "narratives/JPN/2015/index.html").read_text(encoding="utf-8")
    french = (site / "fr/narratives/JPN/2015/index.html").read_text(encoding="utf-8")
    spanish = (site / "es/countries/JPN/index.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in english and '<html lang="fr">' in french and '<html lang="es">' in spanish
    assert 'href="/fr/narratives/JPN/2015" lang="fr"' in english  # the switcher: the twin page in each language
    assert 'href="/narratives/JPN/2015" lang="en"' in french and 'href="/es/narratives/JPN/2015" lang="es"' in french
    assert 'href="/fr/countries/JPN"' in french and 'href="/fr/narratives/JPN/2015.pdf"' in french  # pages, PDFs
    assert 'href="/static/tiptiers.css"' in french and 'href="/api/v1/narratives/JPN/2015.json"' in french  # shared
    assert "Japon : toutes les années" in french and "Japón" in spanish and "Nivel 2" in spanish
    for path in ("fr/index.html", "es/index.html", "fr/map/2015/index.html", "es/movements/2015/index.html",
                 "fr/reports/2015.pdf", "es/narratives/JPN/2015.pdf"):
        assert (site / path).is_file(), path
    assert not (site / "fr/api").exists() and not (site / "fr/static").exists()
