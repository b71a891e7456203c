"""/about/methodology and /about/data: the documentation's pages served by the app, from the packaged Markdown."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import TestDatabase
from tiptiers.web.app import create_app

HTML = {"accept": "text/html"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = TestDatabase("sqlite", tmp_path_factory).load_bundled()
    yield TestClient(create_app(db.url), raise_server_exceptions=False)
    db.drop()


@pytest.mark.parametrize(("name", "heading"), [("methodology", "The methodology"), ("data", "The data")])
def test_the_page_is_served_with_one_heading_and_links_that_work(client, name, heading):
    page = client.get(f"/about/{name}", headers=HTML)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert page.headers["content-security-policy"]
    h1 = re.findall(r"<h1[^>]*>(.*?)</h1>", page.text, re.S)
    assert len(h1) == 1 and h1[0].startswith(heading)
    assert "<script>" not in page.text and not re.search(r"<script(?![^>]*\bsrc=)", page.text)  # no inline script
    assert ".md\"" not in page.text  # the docs' links between the pages point to the app's pages
    for href in set(re.findall(r'href="(/[^"#]*)', page.text)):
        assert client.get(href.replace("&amp;", "&"), headers=HTML).status_code == 200, href


def test_the_data_page_links_the_guide_and_an_unknown_page_is_a_404(client):
    assert 'href="/about/data"' in client.get("/data", headers=HTML).text
    missing = client.get("/about/nothing", headers=HTML)
    assert missing.status_code == 404 and "/about/methodology" in missing.text


def test_the_docs_site_and_the_app_serve_the_same_text():
    """docs/methodology.md and docs/data.md are the packaged files (links), so the two cannot drift apart."""
    docs = Path(__file__).resolve().parents[1] / "docs"
    for name in ("methodology", "data"):
        packaged = (resources.files("tiptiers") / "about" / f"{name}.md").read_text(encoding="utf-8")
        assert (docs / f"{name}.md").read_text(encoding="utf-8") == packaged
