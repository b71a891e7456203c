"""The engine's API and pages on both backends: determinations, methodology, the country-year page, 422s."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tiptiers.web.app import create_app


@pytest.fixture(scope="module")
def client(loaded_db):
    return TestClient(create_app(loaded_db.url))


def body(year: int = 2013, iso3: str = "CHN", **kw):
    ratings = [{"criterion": f"standard_{i}", "level": "partial"} for i in range(1, 5)]
    ratings += [{"criterion": f"criterion_{i}", "level": "substantial", "evidence": ["ev-1"]} for i in range(1, 8)]
    return {"iso3": iso3, "year": year, "ratings": ratings, **kw}


def test_post_determination_uses_the_stored_history(client):
    response = client.post("/api/v1/determinations", json=body(increasing_efforts_shown=False))
    assert response.status_code == 200, response.text
    d = response.json()
    assert d["tier"] == "3" and d["reasons"][-1]["rule"] == "automatic_downgrade.waivers_exhausted"
    assert d["methodology"] == "tvpa" and d["law_date"] == "2008-12-23"
    given = client.post("/api/v1/determinations", json=body(increasing_efforts_shown=False, history=[])).json()
    assert given["tier"] == "2WL"
    assert client.post("/api/v1/determinations", json=body()).json()["tier"] == "2"


@pytest.mark.parametrize(("change", "field"), [
    ({"year": 1999}, "year"),
    ({"ratings": [{"criterion": "criterion_42", "level": "full"}]}, "criterion_42"),
    ({"ratings": [{"criterion": "standard_1", "level": "full"}]}, "missing standard standard_2"),
    ({"ratings": [{"criterion": "standard_1", "level": "excellent"}]}, "ratings.0.level"),
    ({"iso3": "J"}, "iso3"),
])
def test_bad_ratings_are_a_422_naming_the_field(client, change, field):
    response = client.post("/api/v1/determinations", json={**body(), **change})
    assert response.status_code == 422
    assert field in response.json()["error"]["detail"]


def test_methodology_of_a_year(client):
    data = client.get("/api/v1/methodology", params={"year": 2013}).json()
    assert [c["id"] for c in data["criteria"]] == [f"criterion_{i}" for i in range(1, 13)]
    assert len(client.get("/api/v1/methodology", params={"year": 2003}).json()["criteria"]) == 7
    bad = client.get("/api/v1/methodology", params={"year": 2000})
    assert bad.status_code == 422 and "year" in bad.json()["error"]["detail"]
    assert client.get("/api/v1/methodology", params={"year": 2013, "name": "nope"}).status_code == 422


def test_the_country_year_page_and_its_twin(client):
    twin = client.get("/api/v1/countries/CHN/2012").json()
    assert twin["placement"] == "2WL" and twin["ratings_source"] == "illustrative"
    assert twin["determination"]["reasons"][-1]["rule"] == "automatic_downgrade"  # no waiver recorded in this store
    page = client.get("/countries/CHN/2012", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "Watch List in 2009, 2010, 2011: automatic downgrade to Tier 3 unless waived" in page.text
    assert 'src="/static/engine.js"' in page.text and "<script>" not in page.text
    assert 'href="/api/v1/countries/CHN/2012"' in page.text  # the JSON twin, linked
    assert 'href="/narratives/CHN/2012"' in page.text
    assert 'href="/countries/CHN/2012"' in client.get("/narratives/CHN/2012").text
    assert client.get("/countries/ZZZ/2012").status_code == 404
    assert client.get("/api/v1/countries/JPN/1990").status_code == 404
    assert 'href="/countries/JPN/2008"' in client.get("/countries/JPN").text
    # the twin's siblings keep their addresses
    assert client.get("/api/v1/countries/JPN/placements").status_code == 200
    assert client.get("/api/v1/countries/JPN/timeline").status_code == 200


def test_old_determination_addresses_and_lowercase_codes_redirect(client):
    for old, new in (("/countries/CHN/2012/determination", "/countries/CHN/2012"),
                     ("/api/v1/countries/CHN/2012/determination", "/api/v1/countries/CHN/2012"),
                     ("/countries/chn/2012", "/countries/CHN/2012")):
        response = client.get(old, follow_redirects=False)
        assert response.status_code == 301 and response.headers["location"] == new, old


def test_openapi_describes_the_engine(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/determinations" in spec["paths"] and "/api/v1/methodology" in spec["paths"]
    assert "Determination" in spec["components"]["schemas"]
