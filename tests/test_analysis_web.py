"""The analysis pages and their JSON twins: what a reader and an API client rely on."""

from __future__ import annotations

import csv
import io
import re

import pytest
from fastapi.testclient import TestClient

from tiptiers.web.app import create_app

HTML = {"accept": "text/html"}


@pytest.fixture(scope="module")
def client(loaded_sqlite) -> TestClient:
    return TestClient(create_app(loaded_sqlite.url))


def test_consistency_json_has_japan_against_hong_kong(client):
    data = client.get("/api/v1/analysis/consistency/2008").json()
    pair = next(p for p in data["pairs"] if p["better"]["iso3"] == "JPN" and p["worse"]["iso3"] == "HKG")
    assert pair["better"]["scores"] == [5, 2, 4] and pair["better"]["tier"] == "2"
    assert pair["worse"]["scores"] == [3, 2, 3] and pair["worse"]["tier"] == "1"
    assert data["assessing_country"] == "USA" and "not in this audit" in data["assessing_note"]


def test_consistency_page_has_the_table_the_scatter_and_its_twin(client):
    page = client.get("/analysis/consistency/2008", headers=HTML)
    assert page.status_code == 200
    data = client.get("/api/v1/analysis/consistency/2008").json()
    assert page.text.count('<tr data-iso3="') == min(50, len(data["pairs"]))  # one page of them
    assert '<tr data-iso3="JPN HKG">' in client.get("/analysis/consistency/2008?country=JPN", headers=HTML).text
    points = set(re.findall(r'<circle class="pt" fill="[^"]+" data-iso3="([A-Z]{3})"', page.text))
    assert {"JPN", "HKG"} <= points
    assert 'href="/api/v1/analysis/consistency/2008?indicator=3p"' in page.text
    assert '<script src="/static/analysis.js"' in page.text and "<script>" not in page.text
    assert client.get("/static/analysis.js").status_code == 200


def test_summary_page_and_twin(client):
    data = client.get("/api/v1/analysis/consistency?top=5").json()
    assert len(data["countries"]) == 5 and data["total_pairs"] == sum(y["pairs"] for y in data["years"])
    page = client.get("/analysis/consistency?top=5", headers=HTML).text
    assert all(c["name"] in page for c in data["countries"])


def test_model_page_and_twin(client):
    data = client.get("/api/v1/analysis/model/2008?top=4").json()
    assert len(data["furthest"]) == 4 and 0 < data["pseudo_r2"] < 1
    page = client.get("/analysis/model/2008?top=4", headers=HTML).text
    assert f'{data["pseudo_r2"]:.3f}' in page and data["furthest"][0]["name"] in page


def test_robustness_page_bars_and_twin(client):
    query = "draws=800&seed=5&q_rating=0.1"
    data = client.get(f"/api/v1/analysis/robustness/2008?{query}").json()
    again = client.get(f"/api/v1/analysis/robustness/2008?{query}").json()
    assert data["run_id"] is None and data["countries"] == again["countries"]
    assert data["parameters"] == {"draws": 800, "seed": 5, "p_evidence": 0.1, "q_rating": 0.1, "vary_thresholds": True}
    page = client.get(f"/analysis/robustness/2008?{query}", headers=HTML).text
    assert page.count('<svg class="bar"') == len(data["countries"])
    japan = next(c for c in data["countries"] if c["iso3"] == "JPN")
    assert f'{japan["probabilities"]["2"]:.2f}' in page and "derived from the 3P index" in page


@pytest.mark.parametrize(("url", "status", "field"), [
    ("/api/v1/analysis/consistency/1999", 404, "year"),
    ("/api/v1/analysis/consistency/2008?indicator=gdp", 422, "indicator"),
    ("/api/v1/analysis/model/2014", 422, "year"),
    ("/api/v1/analysis/robustness/2008?draws=0", 422, "draws"),
    ("/api/v1/analysis/robustness/2008?draws=500000", 422, "draws"),
    ("/api/v1/analysis/robustness/2008?draws=10001", 422, "draws: at most 10,000 on the web"),
    ("/api/v1/analysis/robustness/2008?draws=lots", 422, "draws"),
    ("/api/v1/analysis/robustness/2008?p_evidence=2", 422, "p_evidence"),
    ("/api/v1/analysis/robustness/2008?run=999", 404, "run"),
    ("/api/v1/analysis/robustness/1990", 404, "year"),
])
def test_errors_name_the_field(client, url, status, field):
    response = client.get(url)
    assert response.status_code == status
    assert response.json()["error"]["detail"].startswith(field)


def test_openapi_describes_the_analysis_api(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/analysis/consistency/{year}", "/api/v1/analysis/model/{year}",
            "/api/v1/analysis/robustness/{year}"} <= set(spec["paths"])
    assert "RobustnessView" in spec["components"]["schemas"] and "ConsistencyView" in spec["components"]["schemas"]


def test_the_audit_table_is_paged_sortable_filterable_and_downloads_as_shown(client):
    every = client.get("/api/v1/analysis/consistency/2013").json()["pairs"]
    assert len(every) > 100  # the page would be tens of thousands of pixels tall unpaged
    page = client.get("/analysis/consistency/2013", headers=HTML).text
    assert page.count('<tr data-iso3="') == 50 and 'rel="next"' in page
    assert f"Pairs 1-50 of {len(every)}" in page
    japan = [p for p in every if "JPN" in (p["better"]["iso3"], p["worse"]["iso3"]) and p["tier_gap"] >= 2]
    shown = client.get("/analysis/consistency/2013?country=japan&gap=2&sort=score", headers=HTML).text
    assert shown.count('<tr data-iso3="') == min(50, len(japan)) and f"of {len(japan)} matching" in shown
    rows = list(csv.DictReader(io.StringIO(client.get("/analysis/consistency/2013.csv?country=JPN&gap=2").text)))
    assert len(rows) == len(japan) and all(int(r["tier_gap"]) >= 2 for r in rows)
    assert all("JPN" in (r["better_scoring_iso3"], r["worse_scoring_iso3"]) for r in rows)
    gaps = [int(r["tier_gap"]) for r in rows]
    assert gaps == sorted(gaps, reverse=True)  # the default order: widest gap first
    # the JSON twin the filtered page links to holds the same pairs in the same order (page, JSON, CSV alike)
    twin = 'href="/api/v1/analysis/consistency/2013?indicator=3p&amp;country=japan&amp;gap=2&amp;sort=score"'
    assert twin in shown
    same = client.get("/api/v1/analysis/consistency/2013?country=JPN&gap=2").json()["pairs"]
    assert [(p["better"]["iso3"], p["worse"]["iso3"]) for p in same] == \
        [(r["better_scoring_iso3"], r["worse_scoring_iso3"]) for r in rows]
    assert client.get("/api/v1/analysis/consistency/2013?gap=4").status_code == 422
    second = client.get("/analysis/consistency/2013?page=2", headers=HTML).text
    assert 'rel="prev"' in second and "Pairs 51-100" in second
    bad = client.get("/analysis/consistency/2013?sort=colour", headers=HTML)
    assert bad.status_code == 422 and "sort: " in bad.text
