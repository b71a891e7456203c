"""What every reader relies on (issue 15 item 5): words rather than ids, narratives that say what the record holds,
countries found by name, "did you mean", HTML errors for what a browser opens, one comparison chart with its CSV,
and the year's coverage on the country page."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tiptiers.methodology import methodology_for_year
from tiptiers.store import assessments
from tiptiers.store.db import transaction
from tiptiers.web.app import create_app

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    from conftest import TestDatabase

    db = TestDatabase("sqlite", tmp_path_factory).load_bundled()
    with transaction(db.sessions) as s:  # Japan 2013 assessed, with one criterion not met
        ratings = [assessments.RatingIn(i, "not_met" if i == "criterion_1" else "substantial", [])
                   for i in methodology_for_year(2013).ids]
        assessments.save_assessment(s, "JPN", 2013, ratings, actor="analyst")
    yield TestClient(create_app(db.url))
    db.drop()


def test_the_determination_names_its_decisive_criteria_by_title_not_id(client):
    page = client.get("/countries/JPN/2013", headers=HTML).text
    decisive = page[page.index('class="decisive"'):].split("</p>")[0]
    assert "criterion_" not in decisive and "standard_" not in decisive
    assert "Criterion 1: " in decisive or "Standard " in decisive
    assert client.get("/api/v1/countries/JPN/2013").json()["determination"]["decisive_criteria"]  # ids in JSON


def test_a_history_narrative_says_what_the_record_holds_with_the_rules_folded(client):
    page = client.get("/narratives/BLZ/2013", headers=HTML).text
    article = page[page.index('<article class="narrative"'):page.index("</article>")]
    assert "<h2>What the record holds</h2>" in article
    assert "Belize was placed in Tier 2 in the 2013 TIP Report." in article
    assert "Cho&#39;s 3P index for 2013: prosecution 2 of 5" in article or "Cho's 3P index for 2013" in article
    assert "diplomatic cable" in article
    rules = article[article.index('<details class="rules"'):]
    assert "<summary>The law's rules that applied in 2013</summary>" in rules
    assert "= True" not in article and "watch_list" not in article  # values and rules in words
    markdown = client.get("/api/v1/narratives/BLZ/2013.json").json()["markdown"]
    assert "## The law's rules that applied in 2013" in markdown  # the JSON and the PDF keep the whole text


def test_header_search_finds_a_country_by_any_name_the_table_knows(client):
    for q, iso3 in (("Burma", "MMR"), ("myanmar", "MMR"), ("korea", "KOR"), ("Ivory Coast", "CIV")):
        page = client.get("/search", params={"q": q}, headers=HTML).text
        assert 'id="country-matches"' in page, q
        matches = page[page.index('id="country-matches"'):page.index("</section>", page.index('id="country-matches"'))]
        assert f'href="/countries/{iso3}"' in matches, q


def test_a_404_suggests_what_was_meant(client):
    got = client.get("/countries/Japn", headers=HTML)
    assert got.status_code == 404 and got.headers["content-type"].startswith("text/html")
    assert 'id="did-you-mean"' in got.text and 'href="/countries/JPN"' in got.text
    narrative = client.get("/narratives/Jpan/2008", headers=HTML).text
    assert 'href="/narratives/JPN/2008"' in narrative
    assert 'href="/movements"' in client.get("/movement", headers=HTML).text


def test_downloads_a_browser_opens_answer_errors_in_html_and_the_api_in_json(client):
    for url in ("/api/v1/data/placements.csv?year=1999", "/movements/2013.csv?to=9", "/narratives/JPN/1999.pdf"):
        got = client.get(url, headers=HTML)
        assert got.status_code in (404, 422) and got.headers["content-type"].startswith("text/html"), url
        assert client.get(url).headers["content-type"].startswith("application/json"), url  # a program: JSON
    bad_query = client.get("/search?offset=abc", headers=HTML)
    assert bad_query.status_code == 422 and "offset" in bad_query.text and "<html" in bad_query.text
    assert client.get("/api/v1/search?offset=abc").status_code == 422


def test_compare_draws_one_chart_on_a_shared_axis_and_downloads_its_csv(client):
    page = client.get("/compare", params=[("c", "Japan (JPN)"), ("c", "South Korea (KOR)"), ("c", "USA")],
                      headers=HTML).text
    assert page.count("<svg class=\"tier-chart compare-chart\"") == 1
    assert page.count('class="series"') == 3 and 'list="ranked-countries"' in page
    assert "not in the sources we have" in page  # a missing year says why, not "—"
    data = client.get("/api/v1/compare?c=JPN&c=KOR").json()
    assert data["countries"][0]["absent"]["2016"] == "not_in_sources"
    rows = list(csv.DictReader(io.StringIO(client.get(data["csv"]).text)))
    assert {r["iso3"] for r in rows} == {"JPN", "KOR"}
    assert next(r for r in rows if r["iso3"] == "JPN" and r["year"] == "2004")["tier"] == "2WL"
    assert next(r for r in rows if r["iso3"] == "JPN" and r["year"] == "2016")["absent"] == "not_in_sources"
    assert "did you mean" in client.get("/api/v1/compare?c=JPN&c=Jpaan").json()["error"]["detail"]


def test_the_country_page_says_why_a_year_has_no_placement(client):
    page = client.get("/countries/JPN", headers=HTML).text
    row = page[page.index('<tr data-year="2016"'):].split("</tr>")[0]
    assert "not in the sources we have" in row
    assert 'class="absent" data-year="2016" data-absent="not_in_sources"' in page  # the chart's mark too
