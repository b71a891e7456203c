"""Cable pages, search and the country timeline over HTTP: each page and its JSON twin, and bad input."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

import test_cables_corpus as corpus
from conftest import TestDatabase as Database
from tiptiers.sources.cables import parse_cable
from tiptiers.store.cables import ParsedCable, store_cables
from tiptiers.store.db import transaction
from tiptiers.web.app import create_app


@pytest.fixture(scope="module")
def cable_db(tmp_path_factory):
    db = Database("sqlite", tmp_path_factory).load_bundled()
    items = []
    for text in (corpus.original(), corpus.cooperative(), corpus.neutral()):
        cable = parse_cable(text)
        items.append(ParsedCable.of(cable, text, "test"))
    with transaction(db.sessions) as s:
        store_cables(s, items)
    yield db
    db.drop()


@pytest.fixture(scope="module")
def client(cable_db):
    return TestClient(create_app(cable_db.url))


HTML = {"accept": "text/html"}


def test_cable_json_has_every_field_reactions_and_claim(client):
    r = client.get("/api/v1/cables/08tokyo1528")
    assert r.status_code == 200
    data = r.json()
    assert data["reference_id"] == "08TOKYO1528" and data["version"] == 1
    cable = data["cable"]
    assert cable["header"]["origin"] == "AMEMBASSY TOKYO" and cable["iso3"] == "JPN"
    assert [p["number"] for p in cable["paragraphs"]] == [1, 2, 3, 4, 5]
    codes = {x["code"] for x in data["reactions"]}
    assert {"negative", "disappointment", "objection", "not_fair", "harming_relations"} <= codes
    assert data["disputed_claims"][0]["speaker"] == "Shimbo"


def test_cable_page_shows_the_text_codes_and_disputed_claim(client):
    r = client.get("/cables/08TOKYO1528", headers=HTML)
    assert r.status_code == 200
    assert "JAPAN REACTS NEGATIVELY TO TIP REPORT TIER RANKING" in r.text
    assert 'data-code="harming_relations"' in r.text
    assert "Japanese law not criminalizing labor recruiting through fraud" in r.text
    assert 'href="/api/v1/cables/08TOKYO1528"' in r.text  # the JSON twin
    assert "<script>" not in r.text and "/static/cables.js" in r.text


@pytest.mark.parametrize(("url", "status", "words"), [
    ("/api/v1/cables/99NOWHERE1", 404, "no cable 99NOWHERE1"),
    ("/api/v1/cables/08TOKYO1528?version=7", 404, "version 7"),
    ("/api/v1/cables/08TOKYO1528?version=0", 422, ""),
    ("/api/v1/cables/08TOKYO-1528", 422, "reference id"),
    ("/api/v1/search?q=labor&year=two", 422, "year"),
    ("/api/v1/search?q=labor&country=Atlantis", 422, "country"),
    ("/api/v1/search?q=labor&reaction=happy", 422, "reaction"),
    ("/api/v1/search?q=labor&kind=memo", 422, "kind"),
    ("/api/v1/search?q=labor&limit=1000", 422, ""),
    ("/api/v1/search?q=labor&offset=18446744073709551616", 422, "offset"),
    ("/api/v1/search?offset=18446744073709551616", 422, "offset"),
    ("/search?q=labor&offset=18446744073709551616", 422, "offset"),
    ("/api/v1/cables/08TOKYO1528?version=18446744073709551616", 422, "version"),
    ("/api/v1/countries/XXX/timeline", 404, "unknown country"),
])
def test_bad_input_is_a_clear_error_never_a_500(client, url, status, words):
    r = client.get(url)
    assert r.status_code == status
    assert words in str(r.json())


def test_search_api_with_filters(client):
    data = client.get("/api/v1/search", params={"q": "labor recruiting fraud", "country": "JPN"}).json()
    assert data["total"] == 1 and data["hits"][0]["ref_id"] == "08TOKYO1528"
    assert data["hits"][0]["url"] == "/cables/08TOKYO1528"
    assert data["filters"]["country"] == "JPN"
    assert client.get("/api/v1/search", params={"q": "labor recruiting fraud", "country": "PHL"}).json()["total"] == 0
    welcome = client.get("/api/v1/search", params={"reaction": "appreciation"}).json()
    assert [h["ref_id"] for h in welcome["hits"]] == ["08MANILA1702"]
    tagged = client.get("/api/v1/search", params={"q": "rice", "tag": "ETRD", "year": "", "country": ""}).json()
    assert [h["ref_id"] for h in tagged["hits"]] == ["08TOKYO1600"]


def test_search_page_marks_matches_and_escapes(client):
    r = client.get("/search", params={"q": "labor recruiting fraud", "country": "japan"}, headers=HTML)
    assert r.status_code == 200
    assert 'id="count">1 found' in r.text
    assert "<mark>fraud</mark>" in r.text
    assert 'href="/api/v1/search?q=labor recruiting fraud&amp;country=japan"' in r.text
    hostile = client.get("/search", params={"q": "<script>alert(1)</script>"}, headers=HTML)
    assert hostile.status_code == 200 and "<script>alert(1)" not in hostile.text
    assert client.get("/search", headers=HTML).status_code == 200  # the empty form


def test_country_page_has_the_timeline_and_its_json_twin(client):
    page = client.get("/countries/JPN", headers=HTML)
    assert page.status_code == 200
    assert 'class="timeline"' in page.text and "08TOKYO1528" in page.text
    assert "Harming relations" in page.text
    timeline = client.get("/api/v1/countries/JPN/timeline").json()
    kinds = [(e["kind"], e["year"]) for e in timeline["events"]]
    assert ("placement", 2008) in kinds and ("cable", 2008) in kinds
    assert kinds.index(("placement", 2008)) < kinds.index(("cable", 2008)) < kinds.index(("placement", 2009))
    cable = next(e for e in timeline["events"] if e["kind"] == "cable" and "1528" in e["title"])
    assert cable["date"] == "2008-06-04" and "objection" in cable["reactions"]


def test_openapi_describes_the_new_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/cables/{reference_id}", "/api/v1/search", "/api/v1/countries/{iso3}/timeline"):
        assert "200" in next(iter(paths[path].values()))["responses"]


def test_a_countrys_cables_paged_and_filtered_with_a_json_twin(client):
    api = "/api/v1/countries/JPN/cables"
    everything = client.get(api).json()
    assert everything["total"] == 2 and everything["next"] is None and everything["previous"] is None
    assert [c["reference_id"] for c in everything["cables"]] == ["08TOKYO1528", "08TOKYO1600"]  # oldest first
    first = client.get(api, params={"limit": 1}).json()
    assert [c["reference_id"] for c in first["cables"]] == ["08TOKYO1528"] and first["total"] == 2
    second = client.get(first["next"]).json()
    assert [c["reference_id"] for c in second["cables"]] == ["08TOKYO1600"] and second["next"] is None
    assert second["previous"] == "/api/v1/countries/JPN/cables?limit=1" and first["next"].endswith("offset=1&limit=1")
    for params, refs in [({"tag": "etrd"}, ["08TOKYO1600"]), ({"reaction": "objection"}, ["08TOKYO1528"]),
                         ({"classification": "unclassified"}, ["08TOKYO1600"]), ({"year": "2008"}, ["08TOKYO1528",
                                                                                                    "08TOKYO1600"]),
                         ({"year": "2009"}, []), ({"tag": "KTIP", "reaction": "objection"}, [])]:
        found = client.get(api, params=params).json()
        assert [c["reference_id"] for c in found["cables"]] == refs, params
        assert found["total"] == len(refs)
    page = client.get("/countries/JPN/cables", params={"reaction": "objection"}, headers=HTML)
    assert page.status_code == 200 and 'id="count">1 cable' in page.text and "08TOKYO1528" in page.text
    assert "08TOKYO1600" not in page.text and 'href="/api/v1/countries/JPN/cables?reaction=objection"' in page.text
    country = client.get("/countries/JPN", headers=HTML).text
    assert 'href="/countries/JPN/cables"' in country and "all 2 cables" in country


@pytest.mark.parametrize(("params", "status", "words"), [
    ({"classification": "BOGUS"}, 422, "classification"), ({"tag": "K T"}, 422, "tag"),
    ({"reaction": "nope"}, 422, "reaction"), ({"year": "20x8"}, 422, "year"), ({"offset": "-1"}, 422, "offset")])
def test_bad_filters_of_a_countrys_cables_are_clear_errors(client, params, status, words):
    for url in ("/api/v1/countries/JPN/cables", "/countries/JPN/cables"):
        r = client.get(url, params=params)
        assert r.status_code == status and words in r.text, (url, params, r.text[:300])
    assert client.get("/api/v1/countries/XYZ/cables").status_code == 404
