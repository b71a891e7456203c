"""/notices: each user sees their own notices and switches kinds off; administrators also see the queue."""

from __future__ import annotations

from fastapi.testclient import TestClient

import conftest
from tiptiers.store import notices
from tiptiers.store.db import transaction
from tiptiers.store.users import create_api_token, create_user, require_user
from tiptiers.web.app import create_app

PASSWORD = "correct horse battery staple"


def test_notices_page_and_switches(tmp_path_factory, monkeypatch):
    monkeypatch.delenv("TIPTIERS_SMTP_URL", raising=False)
    db = conftest.TestDatabase("sqlite", tmp_path_factory).load_bundled()
    with transaction(db.sessions) as session:
        create_user(session, "tanaka", "liaison", PASSWORD, country="JPN", email="tanaka@mofa.example")
        create_user(session, "kim", "liaison", PASSWORD, country="KOR", email="kim@mofa.example")
        create_user(session, "root", "admin", PASSWORD)
        tokens = {n: create_api_token(session, n)[0] for n in ("tanaka", "kim", "root")}
        notices.notify(session, require_user(session, "tanaka"), "draft_sent",
                       {"country": "Japan", "year": 2027, "deadline": "2027-05-30"}, "/review/JPN/2027")
    app = create_app(db.url)

    def as_(name):
        c = TestClient(app, raise_server_exceptions=False)
        c.headers["Authorization"] = f"Bearer {tokens[name]}"
        return c

    mine = as_("tanaka").get("/api/v1/notices").json()
    assert [n["subject"] for n in mine["notices"]] == ["The draft report on Japan for 2027 is ready for your comments"]
    assert mine["notices"][0]["state"] == "queued" and mine["smtp_configured"] is False and "queue" not in mine
    assert as_("kim").get("/api/v1/notices").json()["notices"] == []  # never another's
    assert len(as_("root").get("/api/v1/notices").json()["queue"]) == 1
    page = as_("tanaka").get("/notices", headers={"accept": "text/html"})
    assert "waiting to be sent" in page.text and "TIPTIERS_SMTP_URL is not set" in page.text
    off = as_("tanaka").put("/api/v1/notices/preferences", json={"enabled": {"reminder": False}})
    assert off.status_code == 200
    assert {p["kind"]: p["enabled"] for p in off.json()["preferences"]}["reminder"] is False
    bad = as_("tanaka").put("/api/v1/notices/preferences", json={"enabled": {"nope": False}})
    assert bad.status_code == 422 and "kind: 'nope'" in bad.json()["error"]["detail"]
    anonymous = TestClient(app, raise_server_exceptions=False).get("/api/v1/notices")
    assert anonymous.status_code == 401
    db.drop()
