"""The analysis pages and their JSON twins: what a reader and an API client rely on."""

from __future__ import annotations

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
    assert page.text.count('<tr data-iso3="') == len(data["pairs"])
    assert '<tr data-iso3="JPN HKG">' in page.text
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
