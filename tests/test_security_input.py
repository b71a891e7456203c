"""Input no field can hold, on every route that takes a JSON body: an unpaired UTF-16 surrogate ("\\ud800", which no
UTF-8 text holds) or a number beyond a double (1e400) is a 422 naming the field, in the app's one error shape, never a
plain-text 500; and FastAPI's own validation errors come in that same shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import TestDatabase
from test_security_matrix import routes
from tiptiers.store import users
from tiptiers.store.db import transaction
from tiptiers.web.app import create_app
from tiptiers.web.auth import CSRF_HEADER

PASSWORD = "correct horse battery staple"
FILL = {"iso3": "JPN", "year": "2008", "evidence_id": "1", "dispute_id": "1", "name": "ann", "submission_id": "1"}
SURROGATE = '"\\ud800"'  # as JSON text: the escape, not the (unencodable) character


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    db = TestDatabase("sqlite", tmp_path_factory).load_bundled()
    with transaction(db.sessions) as session:
        users.create_user(session, "ann", "admin", PASSWORD, actor="test")
    yield create_app(db.url)
    db.drop()


def _client(app: Any, logged_in: bool) -> tuple[TestClient, dict[str, str]]:
    c = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    if not logged_in:
        return c, {}
    r = c.post("/api/v1/session", json={"name": "ann", "password": PASSWORD})
    assert r.status_code == 200, r.text
    return c, {CSRF_HEADER: r.json()["csrf_token"]}


def _is_app_error(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, f"{r.request.method} {r.request.url}: {r.status_code} {r.text[:300]}"
    assert r.headers["content-type"].startswith("application/json"), r.text[:200]
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"status", "detail"}, body
    assert body["error"]["status"] == status and isinstance(body["error"]["detail"], str)
    return body["error"]


def _json_routes(app: Any) -> list[tuple[str, str]]:
    api = [(m, p.format(**FILL)) for m, p in routes(app) if m in ("POST", "PUT", "PATCH", "DELETE")
           and p.startswith("/api/")]
    assert len(api) >= 15, api
    return sorted(api)


@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "admin"])
def test_a_surrogate_or_a_huge_number_in_any_json_field_is_a_422_naming_it(site, logged_in):
    c, headers = _client(site, logged_in)
    bad = []
    for method, url in _json_routes(site):
        for field in ("name", "year", "tier", "markdown", "text"):
            for raw, says in ((SURROGATE, "surrogate"), ("1e400", "out of range")):
                body = f'{{"{field}": {raw}, "password": "x", "nested": [{{"a": 1}}]}}'
                r = c.request(method, url, content=body.encode(), headers={**headers,
                                                                             "content-type": "application/json"})
                try:
                    error = _is_app_error(r, 422)
                    assert error["detail"].startswith(f"{field}: ") and says in error["detail"], error
                except AssertionError as exc:
                    bad.append(f"{method} {url} {field}={raw}: {exc}")
    assert not bad, "\n".join(bad[:20])


def test_a_surrogate_deep_in_a_body_is_named_by_its_path(site):
    c, headers = _client(site, True)
    body = f'{{"ratings": [{{"criterion": "x", "note": "ok"}}, {{"criterion": {SURROGATE}}}]}}'
    r = c.put("/api/v1/assessments/JPN/2008", content=body.encode(),
              headers={**headers, "content-type": "application/json; charset=utf-8"})
    assert _is_app_error(r, 422)["detail"].startswith("ratings[1].criterion: ")


def test_logging_in_with_a_surrogate_name_or_a_huge_year_is_a_422_not_a_500(site):
    c = TestClient(site, raise_server_exceptions=False)
    for body, field in ((f'{{"name": {SURROGATE}, "password": "{PASSWORD}"}}', "name"),
                        (f'{{"name": "ann", "password": {SURROGATE}}}', "password"),
                        ('{"name": "ann", "password": "x", "year": 1e400}', "year")):
        r = c.post("/api/v1/session", content=body.encode(), headers={"content-type": "application/json"})
        assert _is_app_error(r, 422)["detail"].startswith(f"{field}: ")
    assert c.post("/api/v1/session", json={"name": "ann", "password": PASSWORD}).status_code == 200  # still works


def test_fastapis_own_validation_errors_come_in_the_apps_one_error_shape(site):
    c = TestClient(site, raise_server_exceptions=False)
    r = c.get("/api/v1/search", params={"q": "trafficking", "limit": 100000})
    assert _is_app_error(r, 422)["detail"].startswith("limit: ")
    r = c.post("/api/v1/session", content=b'{"name": ', headers={"content-type": "application/json"})
    _is_app_error(r, 422)  # not JSON at all
    r = c.post("/api/v1/session", json={"name": 1e300, "password": "x"})  # a number where text goes, echoed before
    assert _is_app_error(r, 422)["detail"].startswith("name: ")
    same_as = _is_app_error(c.get("/api/v1/countries/XXX/placements"), 404)  # an error the app raises itself
    assert same_as["detail"]
