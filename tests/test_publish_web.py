"""Publication on the web, on a database with the bundled history: map, narratives, movements, comparison,
open data, embargo, ETag and gzip. SQLite (the store itself is tested on both backends in test_publish_store)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from tiptiers.publish.opendata import escape_cell, to_csv
from tiptiers.sources.placements import parse_placements
from tiptiers.store import publication as pub
from tiptiers.store.db import transaction
from tiptiers.store.placements import import_placements
from tiptiers.web.app import create_app

FUTURE = datetime(2027, 6, 20, 14, 0)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from conftest import TestDatabase

    database = TestDatabase("sqlite", tmp_path_factory).load_bundled()
    with transaction(database.sessions) as s:  # a 2027 report under embargo, and a hostile source string
        import_placements(s, parse_placements("iso3,year,tier\nJPN,2027,3\nKOR,2027,1\n", source="draft.csv"),
                          source="=HYPERLINK(\"http://x\")")
        pub.schedule_publication(s, 2027, FUTURE, "admin", now=datetime(2026, 11, 1))
        pub.save_narrative(s, "FRA", 2012, "# France\n\n<script>alert(1)</script> [x](javascript:alert(1)) **ok**",
                           "ana", note="test correction", now=datetime(2026, 1, 1))
    yield database
    database.drop()


@pytest.fixture(scope="module")
def client(db) -> TestClient:
    return TestClient(create_app(db.url))


def test_map_colours_every_country_and_links_to_its_narrative(client):
    data = client.get("/api/v1/map/2008.json").json()
    japan = next(c for c in data["countries"] if c["iso3"] == "JPN")
    assert japan["tier"] == "2" and japan["href"] == "/narratives/JPN/2008" and japan["drawn"]
    assert sum(data["counts"].values()) == len(data["countries"])
    html = client.get("/map/2008").text
    assert 'id="c-JPN" data-iso3="JPN" data-name="Japan" data-tier="2"' in html
    assert 'href="/narratives/JPN/2008"' in html and '<script src="/static/worldmap.js"' in html
    assert "<script>" not in html  # no inline script


def test_map_downloads_are_svg_and_png(client):
    svg = client.get("/map/2008.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml") and svg.text.startswith("<?xml")
    png = client.get("/map/2008.png")
    assert png.headers["content-type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_bundled_year_narrative_says_there_is_no_assessment_and_shows_history_and_rules(client):
    data = client.get("/api/v1/narratives/JPN/2004.json").json()
    assert data["tier"] == "2WL" and data["assessed"] is False
    assert "No assessment of Japan for 2004" in data["markdown"]
    assert "| 2004 | Tier 2 Watch List |" in data["markdown"]
    assert "## The law's rules that applied in 2004" in data["markdown"]
    page = client.get("/narratives/JPN/2004").text
    assert "Tier 2 Watch List" in page and 'href="/narratives/JPN/2004.pdf"' in page


def test_stored_markdown_is_rendered_sanitised_and_the_correction_is_shown(client):
    data = client.get("/api/v1/narratives/FRA/2012.json").json()
    assert data["version"] == 1 and "<strong>ok</strong>" in data["html"]
    assert "<script" not in data["html"] and "href=\"javascript:" not in data["html"]
    assert [c["note"] for c in data["corrections"]] == ["test correction"]
    assert "test correction" in client.get("/narratives/FRA/2012").text


def test_embargoed_year_is_invisible_everywhere_public(client):
    for url in ("/map/2027", "/api/v1/map/2027.json", "/narratives/JPN/2027", "/api/v1/narratives/JPN/2027.json",
                "/narratives/JPN/2027.pdf", "/movements/2027"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "year: no published report for 2027" in response.json()["error"]["detail"]
    placements = client.get("/api/v1/data/placements.csv").text
    assert ",2027," not in placements
    assert 2027 not in [p["year"] for p in client.get("/api/v1/publications.json").json()]


def test_movements_show_the_2013_automatic_downgrades(client):
    data = client.get("/api/v1/movements/2013.json").json()
    downgraded = sorted(m["iso3"] for m in data["movements"] if m["automatic_downgrade"])
    assert downgraded == ["CHN", "RUS", "UZB"]
    assert data["summary"]["automatic_downgrades"] == 3
    assert all(m["previous_tier"] == "2WL" and m["tier"] == "3" for m in data["movements"] if m["automatic_downgrade"])
    assert 'data-iso3="RUS"' in client.get("/movements/2013").text


def test_compare_takes_two_to_five_countries(client):
    data = client.get("/api/v1/compare", params={"c": ["JPN", "KOR", "china"]}).json()
    assert [c["iso3"] for c in data["countries"]] == ["JPN", "KOR", "CHN"]
    assert data["countries"][0]["placements"]["2004"] == "2WL"
    one = client.get("/api/v1/compare", params={"c": ["JPN"]})
    assert one.status_code == 422 and one.json()["error"]["detail"].startswith("c: ")
    assert client.get("/api/v1/compare", params={"c": ["JPN", "ZZZ"]}).status_code == 422
    assert client.get("/compare?c=JPN&c=KOR").status_code == 200


def test_csv_cells_that_spreadsheets_would_run_are_escaped():
    assert [escape_cell(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "ok", 5)] == [
        "'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "ok", 5]
    rows = list(csv.reader(io.StringIO(to_csv(["a"], [{"a": "=cmd|' /C calc'!A0"}]))))
    assert rows[1] == ["'=cmd|' /C calc'!A0"]


def documented(header: list[str]) -> list[str]:
    """A header as the dictionary documents it: a wide table's year columns (2001, 2002, ...) are one YEAR."""
    out: list[str] = []
    for name in ("YEAR" if h.isdigit() else h for h in header):
        if not (name == "YEAR" and out and out[-1] == "YEAR"):
            out.append(name)
    return out


def test_every_table_downloads_as_csv_json_and_parquet_with_documented_columns(client, db):
    dictionary = client.get("/api/v1/data/dictionary.json").json()
    for table in dictionary["tables"]:
        columns = [c["name"] for c in table["columns"]]
        header = next(csv.reader(io.StringIO(client.get(f"/api/v1/data/{table['name']}.csv").text)))
        assert documented(header) == columns
        assert documented(client.get(f"/api/v1/data/{table['name']}.json").json()["columns"]) == columns
        parquet = pq.read_table(io.BytesIO(client.get(f"/api/v1/data/{table['name']}.parquet").content))
        assert documented(parquet.column_names) == columns
    year = list(csv.DictReader(io.StringIO(client.get("/api/v1/data/placements.csv?year=2008").text)))
    assert {r["year"] for r in year} == {"2008"} and len(year) > 150
    assert client.get("/api/v1/data/nope.csv").status_code == 404
    assert client.get("/api/v1/data/placements.xlsx").status_code == 404


def test_the_whole_dataset_is_one_zip_of_csv_and_parquet(client):
    z = zipfile.ZipFile(io.BytesIO(client.get("/api/v1/data/tiptiers.zip").content))
    names = set(z.namelist())
    assert {"placements.csv", "placements.parquet", "movements.csv", "datapackage.json", "README.md"} <= names
    assert json.loads(z.read("datapackage.json"))["resources"][0]["name"] == "countries"


def test_published_pages_have_an_etag_and_are_gzipped(client):
    first = client.get("/narratives/JPN/2008", headers={"accept-encoding": "gzip"})
    assert first.headers["content-encoding"] == "gzip" and first.headers["etag"]
    again = client.get("/narratives/JPN/2008", headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    changed = client.get("/api/v1/narratives/JPN/2008.json", headers={"if-none-match": '"stale"'})
    assert changed.status_code == 200


def test_editing_from_the_web_needs_a_signed_in_editor(client):
    response = client.post("/api/v1/narratives/JPN/2008", json={"markdown": "x", "note": "y"})
    assert response.status_code in (401, 403)


def test_cli_export_year_csv_and_publish_schedules(db, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from tiptiers.cli import app

    monkeypatch.setenv("TIPTIERS_DATABASE_URL", db.url)
    runner = CliRunner()
    out = runner.invoke(app, ["export", "--year", "2008", "--format", "csv", "--table", "placements"])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert {r["year"] for r in rows} == {"2008"} and any(r["iso3"] == "JPN" for r in rows)
    done = runner.invoke(app, ["export", "--year", "2008", "--format", "parquet", "--out", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert pq.read_table(tmp_path / "placements-2008.parquet").num_rows == len(rows)
    bad = runner.invoke(app, ["export", "--format", "xml", "--table", "placements"])
    assert bad.exit_code == 2 and "--format" in bad.output
    moved = runner.invoke(app, ["publish", "2027", "--at", (FUTURE + timedelta(days=1)).isoformat(), "--json"])
    assert moved.exit_code == 0, moved.output
    assert json.loads(moved.stdout)["public"] is False
    frozen = runner.invoke(app, ["publish", "2008", "--at", "2030-01-01T00:00"])
    assert frozen.exit_code == 1 and "frozen" in frozen.output


def test_other_features_year_pages_are_under_the_embargo_too(client):
    for url in ("/years/2027", "/api/v1/years/2027/placements", "/countries/JPN/2027",
                "/api/v1/countries/JPN/2027"):
        response = client.get(url)
        assert response.status_code == 404, url
        # the same answer as for a year with nothing in it, naming only published years
        assert response.json()["error"]["detail"] == "year: no published report for 2027 (published years: 2001-2025)"
        assert client.get(url.replace("2027", "2031")).json() == {"error": {"status": 404, "detail": (
            "year: no published report for 2031 (published years: 2001-2025)")}}
    assert client.get("/years/2008").status_code == 200


def test_a_bundled_year_narrative_explains_the_movement_and_the_downgrade_rule(client):
    russia = client.get("/api/v1/narratives/RUS/2013.json").json()["markdown"]
    assert "Down from Tier 2 Watch List in 2012." in russia and "automatic downgrade" in russia
    malaysia = client.get("/api/v1/narratives/MYS/2013.json").json()["markdown"]
    assert "waiver of the automatic downgrade" in malaysia


def test_an_analyst_edits_a_published_narrative_as_a_dated_correction_and_staff_see_embargoed_years(db, client):
    from tiptiers.store import users

    with transaction(db.sessions) as s:
        users.create_user(s, "ana.pub", "analyst", "a long enough password 1")
        users.create_user(s, "reader.pub", "liaison", "a long enough password 2", country="JPN")
        token, _ = users.create_api_token(s, "ana.pub", "test", actor="test")
        liaison, _ = users.create_api_token(s, "reader.pub", "test", actor="test")
    analyst = {"Authorization": f"Bearer {token}"}
    no_note = client.post("/api/v1/narratives/DEU/2010", json={"markdown": "# Germany\n\nFixed."}, headers=analyst)
    assert no_note.status_code == 422 and no_note.json()["error"]["detail"].startswith("note: ")
    saved = client.post("/api/v1/narratives/DEU/2010", headers=analyst,
                        json={"markdown": "# Germany\n\nFixed figure: 12 convictions.", "note": "figure"})
    assert saved.status_code == 200, saved.text
    assert saved.json()["correction"] is True and saved.json()["author"] == "ana.pub"
    shown = client.get("/api/v1/narratives/DEU/2010.json").json()
    assert shown["version"] == 1 and "12 convictions" in shown["html"]
    assert ("+", "Fixed figure: 12 convictions.") in [tuple(c) for c in shown["corrections"][0]["changes"]]
    forbidden = client.post("/api/v1/narratives/DEU/2010", json={"markdown": "x", "note": "y"},
                            headers={"Authorization": f"Bearer {liaison}"})
    assert forbidden.status_code == 403
    assert client.get("/years/2027", headers=analyst).status_code == 200  # staff prepare the embargoed year
    assert client.get("/years/2027", headers={"Authorization": f"Bearer {liaison}"}).status_code == 404
