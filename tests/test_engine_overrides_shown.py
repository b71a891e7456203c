"""Overrides are never silent: wherever a published tier is shown, an override of that country-year is shown with it
(the published tier unchanged), in the JSON API, the year and country pages, and `tiptiers history` / `placements`."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tiptiers.cli import app as cli_app
from tiptiers.engine import Override
from tiptiers.store.db import transaction
from tiptiers.store.engine import add_override
from tiptiers.store.users import create_api_token, create_user
from tiptiers.tiers import Tier
from tiptiers.web.app import create_app

JUSTIFICATION = "victim identification collapsed after the 2007 reorganisation"


def _record(db) -> None:
    with transaction(db.sessions) as session:
        add_override(session, Override(iso3="JPN", year=2008, tier=Tier.WATCH_LIST, justification=JUSTIFICATION,
                                       author="analyst-a"))
        add_override(session, Override(iso3="JPN", year=2027, tier=Tier.TIER_3, justification="draft only",
                                       author="analyst-b"))  # 2027: planned, not published


@pytest.fixture
def client(fresh_db):
    fresh_db.load_bundled()
    _record(fresh_db)
    with transaction(fresh_db.sessions) as session:
        create_user(session, "analyst-a", "analyst", "correct horse battery staple")
        token, _ = create_api_token(session, "analyst-a")
    app = create_app(fresh_db.url)
    app.state.test_token = token
    return TestClient(app)


def _staff(client: TestClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.app.state.test_token}"}


def test_the_json_twins_carry_the_override_next_to_the_unchanged_published_tier(client):
    year = client.get("/api/v1/years/2008/placements").json()
    japan = next(p for p in year["placements"] if p["iso3"] == "JPN")
    assert japan["tier"] == "2"  # published
    assert japan["override"]["tier"] == "2WL" and japan["override"]["justification"] == JUSTIFICATION
    assert japan["override"]["author"] == "analyst-a"
    hong_kong = next(p for p in year["placements"] if p["iso3"] == "HKG")
    assert "override" not in hong_kong  # only where one is recorded
    assert year["counts"]["2"] == sum(1 for p in year["placements"] if p["tier"] == "2")  # counts of published tiers
    country = client.get("/api/v1/countries/JPN/placements").json()
    by_year = {p["year"]: p for p in country["placements"]}
    assert by_year[2008]["tier"] == "2" and by_year[2008]["override"]["tier"] == "2WL"
    assert "override" not in by_year[2007]
    assert country["unplaced_overrides"] == []  # 2027 is not published: its draft override is for staff only
    staff = client.get("/api/v1/countries/JPN/placements", headers=_staff(client)).json()
    assert [(o["year"], o["tier"]) for o in staff["unplaced_overrides"]] == [(2027, "3")]
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["PlacementOut"]
    assert "override" in schema["properties"] and "override" not in schema.get("required", [])


def test_the_year_and_country_pages_show_marker_and_justification(client):
    html = {"accept": "text/html"}
    year = client.get("/years/2008", headers=html).text
    tier_2 = year[year.index('id="tier-2"'):year.index('id="tier-2WL"')]
    japan = tier_2[tier_2.index(">Japan</a>"):]
    japan = japan[:japan.index("</li>")]
    assert 'class="override-marker"' in japan and "determination set to" in japan and "Tier 2 Watch List" in japan
    overrides = year[year.index('id="overrides"'):]
    row = overrides[overrides.index('id="override-JPN-2008"'):]
    row = row[:row.index("</tr>")]
    assert JUSTIFICATION in row and "analyst-a" in row and "tier-2\"" in row and "tier-2WL" in row
    assert year.count('class="override-marker"') == 1
    country = client.get("/countries/JPN", headers=html).text
    row_2008 = country[country.index('<tr data-year="2008"'):]
    row_2008 = row_2008[:row_2008.index("</tr>")]
    assert "tier-2\"" in row_2008 and 'class="override-marker"' in row_2008
    row_2007 = country[country.index('<tr data-year="2007"'):country.index('<tr data-year="2008"')]
    assert 'class="override-marker"' not in row_2007
    table = country[country.index('id="overrides"'):]
    assert JUSTIFICATION in table and 'id="override-JPN-2027"' not in table and "draft only" not in country
    staff = client.get("/countries/JPN", headers={**html, **_staff(client)}).text
    assert 'id="override-JPN-2027"' in staff and "draft only" in staff
    assert "override" not in client.get("/years/2007", headers=html).text.lower()


runner = CliRunner()


def _cli(url: str, *args: str):
    return runner.invoke(cli_app, list(args), env={"TIPTIERS_DATABASE_URL": url})


def test_history_and_placements_commands_show_overrides(make_db):
    db = make_db("sqlite").load_bundled()
    _record(db)
    text = _cli(db.url, "history", "Japan").output
    line_2008 = next(line for line in text.splitlines() if line.strip().startswith("2008"))
    assert "Tier 2" in line_2008 and "override: determination set to Tier 2 Watch List by analyst-a" in line_2008
    assert JUSTIFICATION in line_2008
    assert "override" not in next(line for line in text.splitlines() if line.strip().startswith("2007"))
    assert any(line.strip().startswith("2027  no report yet") and "draft only" in line
               for line in text.splitlines())
    data = json.loads(_cli(db.url, "history", "JPN", "--json").output)
    assert next(d for d in data if d["year"] == 2007)["tier"] == "2"
    assert next(d for d in data if d["year"] == 2008)["override"] == {
        "tier": "2WL", "author": "analyst-a", "justification": JUSTIFICATION}
    listing = _cli(db.url, "placements", "--year", "2008").output
    japan = next(line for line in listing.splitlines() if "Japan (JPN)" in line)
    assert "override: determination set to Tier 2 Watch List" in japan and JUSTIFICATION in japan
    assert listing.index("Tier 2 (") < listing.index("Japan (JPN)") < listing.index("Tier 2 Watch List (")
    rows = json.loads(_cli(db.url, "placements", "--year", "2008", "--json").output)["placements"]
    assert next(r for r in rows if r["iso3"] == "JPN")["override"]["tier"] == "2WL"
    assert "override" not in next(r for r in rows if r["iso3"] == "HKG")
    csv_out = _cli(db.url, "placements", "--year", "2008", "--csv").output
    assert "JPN,Japan,2008,2" in csv_out and "1 override(s) recorded for 2008 (JPN)" in csv_out
