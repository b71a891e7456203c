"""The web app and its JSON API on both backends: pages, twins, OpenAPI, and the error paths."""

import pytest
from fastapi.testclient import TestClient

from tiptiers.web.app import create_app


@pytest.fixture(scope="module")
def client(loaded_db):
    return TestClient(create_app(loaded_db.url))


def test_country_placements_json(client):
    response = client.get("/api/v1/countries/JPN/placements")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Japan"
    assert {"iso3": "JPN", "country": "Japan", "year": 2004, "tier": "2WL"} in body["placements"]


def test_year_placements_json(client):
    body = client.get("/api/v1/years/2008/placements").json()
    assert body["year"] == 2008
    assert sum(body["counts"].values()) == len(body["placements"])
    tiers = {p["iso3"]: p["tier"] for p in body["placements"]}
    assert tiers["JPN"] == "2" and tiers["HKG"] == "1"


def test_years_summary(client):
    years = client.get("/api/v1/years").json()
    assert [y["year"] for y in years] == list(range(2001, 2026))


@pytest.mark.parametrize(
    "path", ["/api/v1/countries/XXX/placements", "/api/v1/years/1999/placements", "/api/v1/nowhere"]
)
def test_unknown_country_or_year_is_a_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["status"] == 404


def test_unknown_country_page_is_404_not_500(client):
    assert client.get("/countries/XXX").status_code == 404
    html = client.get("/countries/XXX", headers={"accept": "text/html"})
    assert html.status_code == 404 and "unknown country" in html.text
    assert client.get("/years/1850").status_code == 404


def test_non_numeric_year_is_rejected_not_crashed(client):
    """A path that names no year is a page that does not exist, like /years/1850, and says why."""
    assert client.get("/years/abc").status_code == 404
    response = client.get("/api/v1/years/abc/placements")
    assert response.status_code == 404 and response.json()["error"]["detail"].startswith("year: 'abc' is not a year")


def test_openapi_describes_the_json_api(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/countries/{iso3}/placements" in spec["paths"]
    assert "/api/v1/years/{year}/placements" in spec["paths"]
    assert not any(not path.startswith("/api/v1/") for path in spec["paths"])


def test_home_shows_the_latest_year_by_tier(client):
    page = client.get("/")
    assert page.status_code == 200
    assert "TIP Report 2025" in page.text
    assert 'href="/api/v1/years/2025/placements"' in page.text


def test_year_page_lists_countries_under_their_tier(client):
    page = client.get("/years/2008").text
    assert page.index('id="tier-1"') < page.index("Hong Kong") < page.index('id="tier-2"') < page.index(">Japan<")


def test_country_page_has_chart_and_table(client):
    page = client.get("/countries/JPN").text
    assert 'class="tier-chart"' in page
    assert '<tr data-year="2004">' in page
    assert 'href="/api/v1/countries/JPN/placements"' in page


def test_country_name_in_url_redirects_to_the_code(client):
    response = client.get("/countries/japan", follow_redirects=False)
    assert response.status_code == 301 and response.headers["location"] == "/countries/JPN"


@pytest.mark.parametrize("path", ["/countries/JPN", "/api/v1/years/2008/placements", "/narratives/JPN/2008",
                                  "/api/v1/data/placements.csv"])
def test_head_gives_the_headers_of_get_without_a_body(client, path):
    got = client.get(path)
    head = client.head(path)
    assert got.status_code == head.status_code == 200
    assert head.content == b""
    for name in ("content-type", "content-length", "etag", "content-security-policy"):
        assert head.headers.get(name) == got.headers.get(name), name


def test_head_of_a_missing_page_is_a_404(client):
    assert client.head("/countries/XXX").status_code == 404
    assert client.head("/api/v1/years/2099/placements").content == b""


def test_years_summary_counts_match_each_year(client):
    for summary in client.get("/api/v1/years").json():
        year = client.get(f"/api/v1/years/{summary['year']}/placements").json()
        assert summary["counts"] == year["counts"], summary["year"]
