"""Placements of a report year not yet published reach staff only: never the public, a liaison, or a timeline."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tiptiers.sources.placements import parse_placements
from tiptiers.store.db import transaction
from tiptiers.store.placements import import_placements
from tiptiers.store.users import create_api_token, create_user
from tiptiers.web.app import create_app

DRAFT_YEAR = 2027  # next June's report: embargoed until its publication time


@pytest.fixture
def app_with_draft(fresh_db):
    fresh_db.load_bundled()
    with transaction(fresh_db.sessions) as session:
        import_placements(session, parse_placements(f"iso3,year,tier\nJPN,{DRAFT_YEAR},3\n"), "draft")
        create_user(session, "ana", "analyst", "correct horse battery staple")
        create_user(session, "jp", "liaison", "correct horse battery staple", country="JPN")
        tokens = {name: create_api_token(session, name)[0] for name in ("ana", "jp")}
    return TestClient(create_app(fresh_db.url)), tokens


def _years_seen(client: TestClient, headers: dict[str, str]) -> dict[str, object]:
    return {
        "country": [p["year"] for p in client.get("/api/v1/countries/JPN/placements", headers=headers).json()
                    ["placements"]],
        "years": [y["year"] for y in client.get("/api/v1/years", headers=headers).json()],
        "timeline": [e["year"] for e in client.get("/api/v1/countries/JPN/timeline", headers=headers).json()["events"]
                     if e["kind"] == "placement"],
        "home": client.get("/", headers=headers).text,
        "page": client.get("/countries/JPN", headers=headers).text,
    }


@pytest.mark.parametrize("who", ["anonymous", "jp"])
def test_the_public_and_liaisons_do_not_see_the_draft_year(app_with_draft, who):
    client, tokens = app_with_draft
    headers = {} if who == "anonymous" else {"Authorization": f"Bearer {tokens[who]}"}
    seen = _years_seen(client, headers)
    assert DRAFT_YEAR not in seen["country"] and 2025 in seen["country"]
    assert DRAFT_YEAR not in seen["years"] and DRAFT_YEAR not in seen["timeline"]
    assert "TIP Report 2025" in seen["home"] and str(DRAFT_YEAR) not in seen["home"]
    assert str(DRAFT_YEAR) not in seen["page"]


def test_staff_see_the_draft_year(app_with_draft):
    client, tokens = app_with_draft
    seen = _years_seen(client, {"Authorization": f"Bearer {tokens['ana']}"})
    assert DRAFT_YEAR in seen["country"] and DRAFT_YEAR in seen["years"] and DRAFT_YEAR in seen["timeline"]
    assert f"TIP Report {DRAFT_YEAR}" in seen["home"]
