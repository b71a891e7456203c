"""The engine's commands as a user types them: assess, methodology show, override, waiver, audit-history."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tiptiers.cli import app
from tiptiers.engine.files import EXAMPLE

runner = CliRunner()


def run(db_url: str, *args: str):
    return runner.invoke(app, list(args), env={"TIPTIERS_DATABASE_URL": db_url})


@pytest.fixture(scope="module")
def db_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('enginecli') / 'cli.db'}"
    assert run(url, "init").exit_code == 0
    return url


def test_assess_the_example_explains_the_tier(tmp_path, db_url):
    path = tmp_path / "jpn.yaml"
    path.write_text(EXAMPLE)
    result = run(db_url, "assess", str(path))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("JPN 2008: Tier 2")
    assert "6 of 11 criteria at least substantially met (6 needed): significant efforts" in result.output
    data = json.loads(run(db_url, "assess", str(path), "--json").output)
    assert data["tier"] == "2" and data["path_up"]["target_tier"] == "1"


def test_assess_takes_the_history_from_the_store_when_the_file_has_none(tmp_path, db_url):
    path = tmp_path / "chn.yaml"
    ratings = "\n".join(f"  criterion_{i}: substantial" for i in range(1, 8))
    stds = "\n".join(f"  standard_{i}: partial" for i in range(1, 5))
    path.write_text(f"iso3: CHN\nyear: 2013\nincreasing_efforts_shown: false\nratings:\n{stds}\n{ratings}\n")
    data = json.loads(run(db_url, "assess", str(path), "--json").output)
    assert data["tier"] == "3"
    assert data["reasons"][-1]["rule"] == "automatic_downgrade.waivers_exhausted"
    alone = json.loads(run(db_url, "assess", str(path), "--json", "--no-store").output)
    assert alone["tier"] == "2WL"


@pytest.mark.parametrize(("content", "message"), [
    ("iso3: JPN\nyear: 2008\nratings: {standard_1: full, criterion_13: full}\n", "unknown criterion 'criterion_13'"),
    ("iso3: JPN\nyear: 1999\nratings: {}\n", "year: year 1999 is before the first TIP Report"),
    ("iso3: JPN\nyear: [2008\n", "line 3: not valid YAML"),
])
def test_assess_rejects_bad_files_naming_the_field_or_line(tmp_path, db_url, content, message):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    result = run(db_url, "assess", str(path))
    assert result.exit_code == 1
    assert message in result.output


def test_methodology_show_lists_the_law_of_the_year(db_url):
    data = json.loads(run(db_url, "methodology", "show", "--year", "2013", "--json").output)
    assert len(data["criteria"]) == 12 and data["law_date"] == "2008-12-23"
    assert {r["name"]: r["value"] for r in data["rules"]}["max_waiver_years"] == 2
    old = json.loads(run(db_url, "methodology", "show", "--year", "2002", "--json").output)
    assert len(old["criteria"]) == 7
    text = run(db_url, "methodology", "show", "--year", "2013").output
    assert "Reduction of demand" in text and "methodology's own choice" in text


def test_override_and_waiver_are_recorded_and_listed(db_url, tmp_path):
    assert run(db_url, "override", "add", "Japan", "2008", "2WL", "-j", "", "--author", "me").exit_code == 1
    result = run(db_url, "override", "add", "Japan", "2008", "2WL", "-j", "no shelter for victims", "--author", "me")
    assert result.exit_code == 0, result.output
    again = run(db_url, "override", "add", "JPN", "2008", "3", "-j", "x", "--author", "me")
    assert again.exit_code == 1 and "already has an override" in again.output
    listed = json.loads(run(db_url, "override", "list", "--year", "2008", "--json").output)
    assert listed == [{"iso3": "JPN", "year": 2008, "tier": "2WL", "justification": "no shelter for victims",
                       "author": "me"}]
    path = tmp_path / "jpn.yaml"
    path.write_text(EXAMPLE)
    data = json.loads(run(db_url, "assess", str(path), "--json").output)
    assert data["computed_tier"] == "2" and data["tier"] == "2WL" and data["override"]["author"] == "me"
    assert run(db_url, "waiver", "add", "China", "2011", "-j", "national interest").exit_code == 0
    assert "2011 CHN: national interest" in run(db_url, "waiver", "list").output


def test_audit_history_shows_the_downgrades_of_2013_and_2014(db_url):
    result = run(db_url, "audit-history", "--json")
    assert result.exit_code == 0, result.output
    events = {(e["iso3"], e["year"], e["kind"]) for e in json.loads(result.output)}
    for iso3 in ("CHN", "RUS", "UZB"):
        assert {(iso3, 2011, "waiver"), (iso3, 2012, "waiver"), (iso3, 2013, "automatic_downgrade")} <= events
    assert {("THA", 2014, "automatic_downgrade"), ("MYS", 2014, "automatic_downgrade")} <= events
    text = run(db_url, "audit-history", "--year", "2014").output
    assert "THA  Tier 3" in text and "waivers in 2012, 2013" in text
