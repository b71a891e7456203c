"""Logging in and out, CSRF, bearer tokens, roles, throttling and security headers, through HTTP, on both backends."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi import Depends, Response
from fastapi.testclient import TestClient
from sqlalchemy import text

from conftest import BACKENDS, TestDatabase
from tiptiers.store import users as store
from tiptiers.store.db import transaction
from tiptiers.store.users import User
from tiptiers.web.app import create_app
from tiptiers.web.auth import SESSION_COOKIE, CurrentUser, can_see_country_draft, require_roles
from tiptiers.web.security import CONTENT_SECURITY_POLICY

PASSWORD = "correct horse battery staple"
_addresses = itertools.count(1)


@pytest.fixture(scope="module", params=BACKENDS)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    """A database with one account per role, and an app on it with two extra routes that need a login."""
    db = TestDatabase(request.param, tmp_path_factory)
    with transaction(db.sessions) as session:
        for name, role, country in [("ann", "admin", None), ("al", "analyst", None), ("rae", "reviewer", None),
                                    ("tanaka", "liaison", "JPN"), ("wang", "liaison", "CHN")]:
            store.create_user(session, name, role, PASSWORD, country, actor="test")
    app = create_app(db.url)

    @app.post("/api/v1/test-write")
    def write(user: CurrentUser) -> dict[str, str]:
        return {"by": user.name}

    @app.put("/api/v1/test-staff-only", dependencies=[Depends(require_roles("admin", "analyst"))])
    def staff_only() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/api/v1/test-public")
    def public() -> Response:
        return Response("{}", media_type="application/json", headers={"Cache-Control": "public, max-age=60"})

    db.app = app  # type: ignore[attr-defined]
    yield db
    db.drop()


def client(site: TestDatabase, **kwargs) -> TestClient:
    """A browser of its own, from an address of its own (the login throttle counts per address)."""
    return TestClient(site.app, client=(f"10.1.0.{next(_addresses)}", 5000), follow_redirects=False,  # type: ignore
                      **kwargs)


def login(c: TestClient, name: str, password: str = PASSWORD) -> str:
    r = c.post("/api/v1/session", json={"name": name, "password": password})
    assert r.status_code == 200, r.text
    return str(r.json()["csrf_token"])


def test_logging_in_sets_a_protected_cookie_and_says_who_you_are(site):
    c = client(site)
    assert c.get("/api/v1/session").json() == {"authenticated": False, "user": None, "via": None, "csrf_token": None}
    r = c.post("/api/v1/session", json={"name": "tanaka", "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["user"] == {"name": "tanaka", "role": "liaison", "country": "JPN", "organisation": None}
    assert body["via"] == "session"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http on loopback; see the https test
    assert "Max-Age" not in cookie and "expires" not in cookie.lower()  # the server times the session out
    assert c.get("/api/v1/session").json()["user"]["name"] == "tanaka"
    page = c.get("/login", headers={"accept": "text/html"})
    assert 'id="current-user">tanaka' in page.text
    assert f'<meta name="csrf-token" content="{body["csrf_token"]}">' in page.text


def test_the_cookie_is_secure_over_https(site):
    c = client(site, base_url="https://testserver")
    r = c.post("/api/v1/session", json={"name": "ann", "password": PASSWORD})
    assert "Secure" in r.headers["set-cookie"]
    assert r.headers["strict-transport-security"].startswith("max-age=")


def test_wrong_name_and_wrong_password_get_the_same_answer(site):
    c = client(site)
    wrong_password = c.post("/api/v1/session", json={"name": "ann", "password": "not the password"})
    no_such_user = c.post("/api/v1/session", json={"name": "nobody", "password": "not the password"})
    assert wrong_password.status_code == no_such_user.status_code == 401
    assert wrong_password.json() == no_such_user.json()
    assert SESSION_COOKIE not in c.cookies


def test_logins_are_throttled_per_name_and_per_address(site):
    attacker = client(site)
    for _ in range(store.LOGIN_MAX_FAILURES):
        assert attacker.post("/api/v1/session", json={"name": "rae", "password": "guess"}).status_code == 401
    blocked = attacker.post("/api/v1/session", json={"name": "rae", "password": PASSWORD})
    assert blocked.status_code == 429 and "try again in 15 minutes" in blocked.json()["error"]["detail"]
    assert client(site).post("/api/v1/session", json={"name": "rae", "password": PASSWORD}).status_code == 429
    # the same address is blocked for every name, too
    assert attacker.post("/api/v1/session", json={"name": "al", "password": PASSWORD}).status_code == 429
    with transaction(site.sessions) as session:  # the window passes
        session.execute(text("UPDATE login_failures SET at = :t"), {"t": store.utcnow() - timedelta(minutes=16)})
    assert client(site).post("/api/v1/session", json={"name": "rae", "password": PASSWORD}).status_code == 200


def test_a_write_with_the_session_cookie_needs_the_csrf_token(site):
    c = client(site)
    token = login(c, "al")
    missing = c.post("/api/v1/test-write")
    assert missing.status_code == 403
    assert "CSRF token missing" in missing.json()["error"]["detail"]
    wrong = c.post("/api/v1/test-write", headers={"X-CSRF-Token": "forged"})
    assert wrong.status_code == 403 and "does not match" in wrong.json()["error"]["detail"]
    assert c.post("/api/v1/test-write", headers={"X-CSRF-Token": token}).json() == {"by": "al"}
    as_form = c.post("/api/v1/test-write", data={"csrf_token": token, "other": "x"})
    assert as_form.status_code == 200
    multipart = c.post("/api/v1/test-write", data={"csrf_token": token}, files={"f": ("a.txt", b"hello")})
    assert multipart.status_code == 200
    assert c.put("/api/v1/test-staff-only").status_code == 403  # PUT too


def test_an_api_token_needs_no_csrf_and_a_bad_one_is_refused(site):
    with transaction(site.sessions) as session:
        token, _ = store.create_api_token(session, "al", "test", actor="test")
    c = client(site)
    bearer = {"Authorization": f"Bearer {token}"}
    assert c.post("/api/v1/test-write", headers=bearer).json() == {"by": "al"}
    assert c.get("/api/v1/session", headers=bearer).json()["via"] == "token"
    bad = c.post("/api/v1/test-write", headers={"Authorization": "Bearer tt_forged"})
    assert bad.status_code == 401 and "unknown or revoked" in bad.json()["error"]["detail"]
    assert c.post("/api/v1/test-write").status_code == 401  # anonymous


def test_logout_ends_the_session_on_the_server(site):
    c = client(site)
    token = login(c, "rae")
    stolen = c.cookies[SESSION_COOKIE]
    r = c.post("/logout", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert c.get("/api/v1/session").json()["authenticated"] is False
    replay = client(site, cookies={SESSION_COOKIE: stolen})
    assert replay.get("/api/v1/session").json()["authenticated"] is False
    assert replay.post("/api/v1/test-write").status_code == 401


def test_an_idle_session_expires(site):
    c = client(site)
    login(c, "al")
    with transaction(site.sessions) as session:
        session.execute(text("UPDATE user_sessions SET last_seen_at = :t"),
                        {"t": store.utcnow() - store.DEFAULT_IDLE - timedelta(minutes=1)})
    assert c.get("/api/v1/session").json()["authenticated"] is False


def test_a_forged_cookie_signature_is_ignored(site):
    c = client(site)
    login(c, "ann")
    value = c.cookies[SESSION_COOKIE]
    forged = client(site, cookies={SESSION_COOKIE: value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB")})
    assert forged.get("/api/v1/session").json()["authenticated"] is False


def test_roles_decide_who_reads_the_activity_log(site):
    anonymous = client(site)
    assert anonymous.get("/api/v1/activity").status_code == 401
    redirect = anonymous.get("/admin/activity", headers={"accept": "text/html"})
    assert redirect.status_code == 303 and redirect.headers["location"] == "/login?next=%2Fadmin%2Factivity"
    for name in ("al", "rae", "tanaka"):
        c = client(site)
        login(c, name)
        refused = c.get("/api/v1/activity")
        assert refused.status_code == 403 and "admin" in refused.json()["error"]["detail"]
        assert c.get("/admin/activity", headers={"accept": "text/html"}).status_code == 403
    admin = client(site)
    login(admin, "ann")
    data = admin.get("/api/v1/activity", params={"action": "user.create", "limit": 2}).json()
    assert [e["action"] for e in data["entries"]] == ["user.create", "user.create"]
    assert data["next"] and "before=" in data["next"]
    older = admin.get(data["next"]).json()["entries"]
    assert older and older[0]["seq"] < data["entries"][-1]["seq"]
    page = admin.get("/admin/activity", params={"subject": "user:tanaka"}, headers={"accept": "text/html"})
    assert page.status_code == 200 and "user:tanaka" in page.text and "user:wang" not in page.text
    assert admin.get("/api/v1/activity/verify").json() == {"ok": True, "problems": []}
    assert admin.get("/api/v1/activity", params={"limit": 0}).status_code == 422


def test_logins_and_logouts_are_in_the_activity_log(site):
    c = client(site)
    token = login(c, "wang")
    c.delete("/api/v1/session", headers={"X-CSRF-Token": token})
    admin = client(site)
    login(admin, "ann")
    actions = [e["action"] for e in admin.get("/api/v1/activity", params={"actor": "wang"}).json()["entries"]]
    assert actions[:2] == ["session.logout", "session.login"]


def test_the_login_form(site):
    c = client(site)
    form = c.get("/login", params={"next": "/admin/activity"}, headers={"accept": "text/html"})
    assert form.status_code == 200 and 'name="password" type="password"' in form.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    forged = client(site).post("/login", data={"name": "ann", "password": PASSWORD, "csrf_token": token})
    assert forged.status_code == 403  # a token without its cookie: a cross-site login attempt
    wrong = c.post("/login", data={"name": "ann", "password": "nope", "csrf_token": token, "next": "/x"})
    assert wrong.status_code == 401 and "Wrong name or password." in wrong.text
    ok = c.post("/login", data={"name": "ann", "password": PASSWORD, "csrf_token": token,
                                "next": "/admin/activity"})
    assert ok.status_code == 303 and ok.headers["location"] == "/admin/activity"
    assert c.get("/admin/activity", headers={"accept": "text/html"}).status_code == 200


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_the_login_form_does_not_redirect_off_site(site, target):
    c = client(site)
    form = c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    ok = c.post("/login", data={"name": "al", "password": PASSWORD, "csrf_token": token, "next": target})
    assert ok.status_code == 303 and ok.headers["location"] == "/work"  # their own work, never off site


@pytest.mark.parametrize("path", ["/api/v1/session", "/login", "/static/tiptiers.css", "/api/v1/nothing-here",
                                  "/api/v1/openapi.json"])
def test_every_response_carries_the_security_headers(site, path):
    r = client(site).get(path)
    assert r.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY and "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"


def test_my_pages_have_no_inline_script_or_style(site):
    admin = client(site)
    login(admin, "ann")
    for path in ("/login", "/admin/activity"):
        html = admin.get(path, headers={"accept": "text/html"}).text
        assert "<script>" not in html and "<script " not in html.replace('<script src="', "")
        assert " style=" not in html and "<style" not in html


def test_who_may_see_a_country_draft():
    def user(role: str, country: str | None = None, active: bool = True) -> User:
        return User(name="x", role=role, country_iso3=country, active=active)

    for role in ("admin", "analyst", "reviewer"):
        assert can_see_country_draft(user(role), "JPN") and can_see_country_draft(user(role), "chn")
    assert can_see_country_draft(user("liaison", "JPN"), "JPN")
    assert can_see_country_draft(user("liaison", "JPN"), "jpn")
    assert not can_see_country_draft(user("liaison", "JPN"), "CHN")
    assert not can_see_country_draft(None, "JPN")
    assert not can_see_country_draft(user("admin", active=False), "JPN")
    assert not any(can_see_country_draft(User(name="ngo", role="ngo", organisation="Polaris Project", active=True),
                                         iso3) for iso3 in ("JPN", "CHN"))


def test_bad_input_is_a_4xx_naming_the_field_never_a_500(site):
    c = TestClient(site.app, client=(f"10.1.0.{next(_addresses)}", 5000), raise_server_exceptions=False)
    nul = c.post("/api/v1/session", json={"name": "ann\x00", "password": PASSWORD})
    assert nul.status_code == 422 and "name" in nul.text
    assert c.post("/api/v1/session", json={"name": "ann"}).status_code == 422
    assert c.post("/api/v1/session", content=b"name=ann", headers={"content-type": "text/plain"}).status_code == 422
    c.cookies.set("tiptiers_login", "t")
    form = c.post("/login", data={"name": "ann\x00", "password": "x\x00", "csrf_token": "t"})
    assert form.status_code == 401
    admin = client(site)
    login(admin, "ann")
    for params in ({"actor": "a\x00"}, {"subject": "\x00"}, {"before": 2**40}, {"limit": 10_000}):
        r = admin.get("/api/v1/activity", params=params)
        assert r.status_code == 422, (params, r.text)
        assert next(iter(params)) in r.text


def test_what_a_logged_in_user_sees_stays_out_of_shared_caches(site):
    anonymous = client(site).get("/login")
    assert "private" not in anonymous.headers.get("cache-control", "")
    c = client(site)
    login(c, "ann")
    assert c.get("/api/v1/session").headers["cache-control"] == "private, no-store"
    assert c.get("/admin/activity").headers["cache-control"] == "private, no-store"
    assert client(site).get("/api/v1/test-public").headers["cache-control"] == "public, max-age=60"
    assert c.get("/api/v1/test-public").headers["cache-control"] == "private, max-age=60"


def test_an_admin_manages_accounts_through_the_api(site):
    admin = client(site)
    csrf = {"X-CSRF-Token": login(admin, "ann")}
    body = {"name": "kim", "role": "liaison", "country": "Korea, Republic of", "password": PASSWORD}
    assert admin.post("/api/v1/users", json=body).status_code == 403  # the session cookie needs its CSRF token
    created = admin.post("/api/v1/users", json=body, headers=csrf)
    assert created.status_code == 201, created.text
    assert {k: created.json()[k] for k in ("name", "role", "country", "active")} == {
        "name": "kim", "role": "liaison", "country": "KOR", "active": True}
    assert created.json()["created_at"].endswith("Z")
    again = admin.post("/api/v1/users", json=body, headers=csrf)
    assert again.status_code == 422 and again.json()["error"]["detail"].startswith("name:")
    bad = admin.post("/api/v1/users", json={**body, "name": "lee", "role": "analyst"}, headers=csrf)
    assert bad.status_code == 422 and bad.json()["error"]["detail"].startswith("country:")
    assert "kim" in [u["name"] for u in admin.get("/api/v1/users").json()]

    kim = client(site)
    login(kim, "kim")
    assert kim.get("/api/v1/users").status_code == 403
    assert kim.post("/api/v1/users/al/deactivate", headers={"X-CSRF-Token": kim.get("/api/v1/session").json()[
        "csrf_token"]}).status_code == 403
    off = admin.post("/api/v1/users/kim/deactivate", headers=csrf)
    assert off.status_code == 200 and off.json()["active"] is False
    assert kim.get("/api/v1/session").json()["authenticated"] is False  # the session ended at once
    assert admin.post("/api/v1/users/nobody/deactivate", headers=csrf).status_code == 404
    assert admin.post("/api/v1/users/ann/deactivate", headers=csrf).status_code == 422


def test_an_admin_adds_an_account_with_the_form(site):
    admin = client(site)
    login(admin, "ann")
    page = admin.get("/admin/users", headers={"accept": "text/html"})
    assert page.status_code == 200 and 'data-name="tanaka"' in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": token, "name": "mei", "role": "liaison", "country": "", "password": PASSWORD}
    refused = admin.post("/admin/users", data=form, headers={"accept": "text/html"})
    assert refused.status_code == 422 and "country: required for a liaison" in refused.text
    assert 'value="mei"' in refused.text  # what was typed is kept
    done = admin.post("/admin/users", data={**form, "country": "CHN"}, headers={"accept": "text/html"})
    assert done.status_code == 303 and done.headers["location"] == "/admin/users"
    assert 'data-name="mei"' in admin.get("/admin/users", headers={"accept": "text/html"}).text


def test_an_admin_makes_an_ngo_account_bound_to_its_organisation(site):
    admin = client(site)
    csrf = {"X-CSRF-Token": login(admin, "ann")}
    body = {"name": "polaris", "role": "ngo", "organisation": "Polaris Project", "password": PASSWORD}
    for bad, field in (({"organisation": None}, "organisation: required for an ngo account"),
                       ({"organisation": "x" * 201}, "organisation"),
                       ({"country": "JPN"}, "country: only a liaison"),
                       ({"role": "analyst"}, "organisation: only an ngo account")):
        refused = admin.post("/api/v1/users", json={**body, **bad}, headers=csrf)
        assert refused.status_code == 422 and field in refused.text, refused.text
    created = admin.post("/api/v1/users", json=body, headers=csrf)
    assert created.status_code == 201, created.text
    assert {k: created.json()[k] for k in ("name", "role", "country", "organisation")} == {
        "name": "polaris", "role": "ngo", "country": None, "organisation": "Polaris Project"}
    polaris = client(site)
    login(polaris, "polaris")
    me = polaris.get("/api/v1/session").json()["user"]
    assert me == {"name": "polaris", "role": "ngo", "country": None, "organisation": "Polaris Project"}
    assert polaris.get("/api/v1/users").status_code == 403

    page = admin.get("/admin/users", headers={"accept": "text/html"})
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": token, "name": "lastrada", "role": "ngo", "organisation": "", "password": PASSWORD}
    refused = admin.post("/admin/users", data=form, headers={"accept": "text/html"})
    assert refused.status_code == 422 and "organisation: required for an ngo account" in refused.text
    done = admin.post("/admin/users", data={**form, "organisation": "La Strada"}, headers={"accept": "text/html"})
    assert done.status_code == 303
    listed = admin.get("/admin/users", headers={"accept": "text/html"}).text
    assert re.search(r'data-name="lastrada">\s*<td>lastrada</td><td>ngo</td><td></td><td>La Strada</td>', listed)


def test_the_idle_timeout_is_configured_by_environment(monkeypatch):
    from tiptiers.web.auth import idle_from_environment

    monkeypatch.setenv("TIPTIERS_SESSION_IDLE_HOURS", "0.5")
    assert idle_from_environment() == timedelta(minutes=30)
    monkeypatch.delenv("TIPTIERS_SESSION_IDLE_HOURS")
    assert idle_from_environment() == timedelta(hours=8)
    for bad in ("eight", "0", "-1", "nan"):
        monkeypatch.setenv("TIPTIERS_SESSION_IDLE_HOURS", bad)
        with pytest.raises(ValueError, match=r"^TIPTIERS_SESSION_IDLE_HOURS: "):
            idle_from_environment()
