"""The determination page, its twin and `tiptiers assess --country --year` start from the stored assessment's ratings
when there is one (flagging ratings on weak evidence), else from illustrative ratings, and say which."""

from __future__ import annotations

import json
from datetime import date

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tiptiers.cli import app as cli_app
from tiptiers.store.assessments import RatingIn, save_assessment
from tiptiers.store.db import transaction
from tiptiers.store.engine_start import ASSESSMENT, ILLUSTRATIVE, starting_point
from tiptiers.store.evidence import add_evidence, set_state
from tiptiers.store.users import create_api_token, create_user
from tiptiers.web.app import create_app


def _assess_japan_2008(db, complete: bool = True) -> None:
    """Criteria 1-7 substantially met (7 of 11, 6 needed) but no increasing efforts: Watch List, where the published
    2008 tier (and so the illustrative ratings) is Tier 2. Criterion 7 rests only on unverified evidence."""
    with transaction(db.sessions) as s:
        law = add_evidence(s, iso3="JPN", year=2008, criteria=["standard_1"], statement="Penal Code art. 226-2",
                           source_type="government", source_name="Ministry of Justice", entered_by="ana",
                           source_date=date(2008, 1, 10))
        ngo = add_evidence(s, iso3="JPN", year=2008, criteria=["criterion_7"], statement="Shelters were opened",
                           source_type="ngo", source_name="Polaris Project", entered_by="ana",
                           source_date=date(2008, 2, 1))
        press = add_evidence(s, iso3="JPN", year=2008, criteria=["standard_1"], statement="Courts applied art. 226-2",
                             source_type="media", source_name="Asahi Shimbun", entered_by="ana",
                             source_date=date(2008, 2, 3))
        set_state(s, law.id, "corroborated", "ana", corroborated_by=press.id)
        ratings = [RatingIn(f"standard_{i}", "partial", [law.id]) for i in range(1, 5 if complete else 4)]
        ratings += [RatingIn(f"criterion_{i}", "substantial", [law.id]) for i in range(1, 7)]
        ratings += [RatingIn("criterion_7", "substantial", [ngo.id]), RatingIn("criterion_8", "partial", [])]
        save_assessment(s, "JPN", 2008, ratings, actor="ana", signals={"increasing_efforts_shown": False})


def test_the_stored_assessment_is_the_starting_point_for_those_who_may_see_drafts(fresh_db):
    fresh_db.load_bundled()
    _assess_japan_2008(fresh_db)
    with fresh_db.sessions() as session:
        start = starting_point(session, "JPN", 2008)
        hidden = starting_point(session, "JPN", 2008, drafts_visible=False)
        none = starting_point(session, "KOR", 2008)
    assert start.source == ASSESSMENT and "stored assessment of JPN 2008" in start.note and "ana" in start.note
    assert {r.criterion: r.level.value for r in start.assessment.ratings}["criterion_7"] == "substantial"
    assert not start.assessment.increasing_efforts_shown
    assert {(f.criterion, f.code) for f in start.flags} == {("criterion_7", "unverified_only"),
                                                            ("criterion_8", "no_evidence")}
    assert hidden.source == none.source == ILLUSTRATIVE and "stored" not in hidden.note and not hidden.flags
    assert start.placement == hidden.placement == "2" and start.history == hidden.history


def test_an_assessment_that_cannot_be_determined_falls_back_and_says_why(fresh_db):
    fresh_db.load_bundled()
    _assess_japan_2008(fresh_db, complete=False)
    with fresh_db.sessions() as session:
        start = starting_point(session, "JPN", 2008)
    assert start.source == ILLUSTRATIVE
    assert "cannot be determined yet" in start.note and "missing standard standard_4" in start.note


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    import conftest

    db = conftest.TestDatabase("sqlite", tmp_path_factory).load_bundled()
    _assess_japan_2008(db)
    tokens = {}
    with transaction(db.sessions) as s:
        for name, role, country in (("ana", "analyst", None), ("jpn", "liaison", "JPN"), ("chn", "liaison", "CHN")):
            create_user(s, name, role, "correct horse battery staple", country=country)
            tokens[name] = create_api_token(s, name)[0]
    yield db, TestClient(create_app(db.url)), tokens
    db.drop()


def _get(site, path: str, who: str | None, html: bool = False):
    _, client, tokens = site
    headers = {"Authorization": f"Bearer {tokens[who]}"} if who else {}
    if html:
        headers["accept"] = "text/html"
    return client.get(path, headers=headers)


def test_the_twin_uses_the_assessment_only_for_readers_of_the_draft(site):
    url = "/api/v1/countries/JPN/2008"
    public = _get(site, url, None).json()
    assert public["ratings_source"] == "illustrative" and public["determination"]["tier"] == "2"
    assert public["flagged_ratings"] == []
    for who in ("ana", "jpn"):
        data = _get(site, url, who).json()
        assert data["ratings_source"] == "assessment", who
        assert data["determination"]["tier"] == "2WL" and data["placement"] == "2"
        assert data["determination"]["reasons"][-1]["rule"] == "watch_list.no_increasing_efforts"
        assert {f["criterion"]: f["code"] for f in data["flagged_ratings"]} == {
            "criterion_7": "unverified_only", "criterion_8": "no_evidence"}
    assert _get(site, url, "chn").json()["ratings_source"] == "illustrative"


def test_the_page_says_which_ratings_it_shows_and_flags_weak_ones(site):
    page = _get(site, "/countries/JPN/2008", "ana", html=True).text
    assert 'data-source="assessment"' in page and "Stored assessment." in page
    row = page[page.index('id="r-criterion_7"'):]
    row = row[:row.index("</tr>")]
    assert '<option value="substantial" selected>' in row
    assert 'class="rating-flag" data-flag="unverified_only"' in row and "rests only on unverified evidence" in row
    assert 'id="det-tier" data-tier="2WL"' in page
    public = _get(site, "/countries/JPN/2008", None, html=True).text
    assert 'data-source="illustrative"' in public and "Illustrative ratings." in public
    assert 'class="rating-flag"' not in public and 'id="det-tier" data-tier="2"' in public


runner = CliRunner()


def test_assess_a_stored_country_year_from_the_command_line(site):
    db, _, _ = site

    def cli(*args: str):
        return runner.invoke(cli_app, ["assess", *args], env={"TIPTIERS_DATABASE_URL": db.url})

    result = cli("--country", "Japan", "--year", "2008")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Ratings: assessment. The ratings are the stored assessment of JPN 2008")
    assert "! criterion_7: rests only on unverified evidence" in result.output
    assert "JPN 2008: Tier 2 Watch List" in result.output
    data = json.loads(cli("--country", "JPN", "--year", "2008", "--json").output)
    assert data["ratings_source"] == "assessment" and data["determination"]["tier"] == "2WL"
    assert {f["criterion"] for f in data["flagged_ratings"]} == {"criterion_7", "criterion_8"}
    other = cli("--country", "HKG", "--year", "2008")
    assert other.exit_code == 0 and other.output.startswith("Ratings: illustrative.")
    assert "HKG 2008: Tier 1" in other.output
    assert cli().exit_code == 2 and "--country and --year" in cli().output
    assert cli("--country", "JPN", "--year", "1990").exit_code == 2
