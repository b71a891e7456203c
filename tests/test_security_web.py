"""Web hardening, over every route: CSRF refused on every unsafe route without the session's token, security
headers on static files and errors too, no script surviving in a narrative, the attachment size limit.

(Login throttling and session expiry are tested in tests/test_auth_web.py; the security headers of every route and
role in tests/test_security_matrix.py.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from conftest import TestDatabase
from test_security_matrix import check_headers, routes
from tiptiers.publish.narrative import render_markdown
from tiptiers.store import users
from tiptiers.store.attachments import MAX_ATTACHMENT_BYTES, Attachment
from tiptiers.store.db import transaction
from tiptiers.web.app import create_app
from tiptiers.web.auth import CSRF_EXEMPT, CSRF_HEADER

PASSWORD = "correct horse battery staple"
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestDatabase, Any]]:
    db = TestDatabase("sqlite", tmp_path_factory).load_bundled()
    with transaction(db.sessions) as session:
        users.create_user(session, "ann", "admin", PASSWORD, actor="test")
    yield db, create_app(db.url)
    db.drop()


def logged_in(app: Any) -> tuple[TestClient, str]:
    c = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    r = c.post("/api/v1/session", json={"name": "ann", "password": PASSWORD})
    assert r.status_code == 200, r.text
    return c, str(r.json()["csrf_token"])


def test_every_unsafe_route_refuses_a_session_request_without_the_csrf_token(site):
    _, app = site
    c, token = logged_in(app)
    unsafe = [(m, p) for m, p in routes(app) if m in UNSAFE and (m, p) not in CSRF_EXEMPT]
    assert len(unsafe) > 15
    fill = {"iso3": "JPN", "year": "2008", "evidence_id": "1", "dispute_id": "1", "name": "ann", "submission_id": "1"}
    let_through = []
    for method, path in unsafe:
        url = path.format(**fill)
        for kwargs in ({"json": {}}, {"data": {"markdown": "x"}}, {"data": {"csrf_token": "forged"}}):
            r = c.request(method, url, **kwargs)
            if r.status_code != 403 or "CSRF" not in r.text:
                let_through.append(f"{method} {url} {kwargs}: {r.status_code} {r.text[:120]}")
    assert not let_through, "\n".join(let_through)
    # the same session with its token gets past the check (the answer is the route's own)
    r = c.post("/api/v1/evidence", json={}, headers={CSRF_HEADER: token})
    assert r.status_code == 422 and "CSRF" not in r.text


def test_static_files_errors_and_redirects_carry_the_security_headers(site):
    _, app = site
    c = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    static = sorted(p for _, p in routes(app) if p.startswith("/static"))
    for url in ["/static/tiptiers.css", "/no/such/page", "/api/v1/no/such", "/workspace/JPN/2008",
                "/api/v1/years/abc/placements", *static]:
        r = c.get(url, headers={"accept": "text/html"})
        assert r.status_code < 500, url
        assert not check_headers(r, url)


XSS = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))", "[x](java\tscript:alert(1))", "<a href=\"javascript:alert(1)\">x</a>",
    "![x](javascript:alert(1))", "<svg onload=alert(1)>", "<iframe src=//evil>", "[x](data:text/html;base64,PHNj)",
    "<details open ontoggle=alert(1)>", "`<script>`", "<<script>script>alert(1)<</script>/script>",
    "<a href='x' onclick='alert(1)'>y</a>", "[x](vbscript:msgbox(1))", "<style>*{}</style>",
    "<form action=//evil><input></form>", "[x](&#106;avascript:alert(1))",
]
ACTIVE_TAGS = {"script", "iframe", "svg", "style", "form", "input", "object", "embed", "img", "details", "math",
               "base", "meta", "link"}


class _Elements(HTMLParser):
    """What a browser would run: elements and attributes (escaped text is harmless and not looked at)."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ACTIVE_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            url = re.sub(r"[\x00-\x20]", "", (value or "")).lower()
            if name.startswith("on") or url.startswith(("javascript:", "vbscript:", "data:")):
                self.problems.append(f"<{tag} {name}={value!r}>")


def active_content(html: str) -> list[str]:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.problems


def test_no_script_survives_known_payloads_in_a_narrative():
    for payload in XSS:
        html = render_markdown(f"# Japan\n\nBefore {payload} after.\n\n- {payload}\n\n> {payload}")
        assert not active_content(html), (payload, html)


@settings(max_examples=600, deadline=None)
@given(st.lists(st.one_of(st.sampled_from([*XSS, "<", ">", "\"", "'", "=", "(", ")", "[", "]", "!", "&#", ";",
                                           "\n", " ", "on", "error", "java", "script", ":", "href", "a", "img"]),
                          st.text(max_size=8)), max_size=25))
def test_no_script_survives_generated_markdown(parts):
    html = render_markdown("".join(parts))
    assert not active_content(html), html


def test_a_narrative_saved_with_payloads_is_served_without_them(site):
    _, app = site
    c, token = logged_in(app)
    markdown = "# Japan\n\n" + "\n\n".join(XSS)
    r = c.post("/api/v1/narratives/JPN/2008", json={"markdown": markdown, "note": "test of the sanitiser"},
               headers={CSRF_HEADER: token})
    assert r.status_code in (200, 201), r.text
    page = c.get("/narratives/JPN/2008", headers={"accept": "text/html"})
    assert page.status_code == 200
    article = page.text[page.text.index("<article"):page.text.index("</article>")]
    assert not active_content(article), article
    assert "alert(1)" in article  # the text is kept, escaped


def test_an_attachment_over_the_limit_is_refused_and_nothing_is_stored(site):
    db, app = site
    c, token = logged_in(app)
    with db.sessions() as session:
        before = session.scalar(select(func.count()).select_from(Attachment))
    r = c.post("/api/v1/attachments", headers={CSRF_HEADER: token},
               files={"file": ("big.bin", b"x" * (MAX_ATTACHMENT_BYTES + 1), "application/octet-stream")})
    assert r.status_code in (413, 422), r.text
    assert "file" in r.text
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Attachment)) == before
    ok = c.post("/api/v1/attachments", headers={CSRF_HEADER: token},
                files={"file": ("small.txt", b"a small file", "text/plain")})
    assert ok.status_code in (200, 201), ok.text
