"""The command line, as a user types it."""

import json

import pytest
from typer.testing import CliRunner

from tiptiers.cli import app

runner = CliRunner()


def run(db_url, *args):
    return runner.invoke(app, list(args), env={"TIPTIERS_DATABASE_URL": db_url})


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_a_command_before_init_says_to_run_init(sqlite_url):
    result = run(sqlite_url, "history", "JPN")
    assert result.exit_code == 1
    assert "tiptiers init" in result.output


def test_init_is_idempotent_and_loads_the_history(sqlite_url):
    first = run(sqlite_url, "init")
    assert first.exit_code == 0, first.output
    assert "bundled history 2026.12.1: 3205 added" in first.output and "64 waivers added" in first.output
    second = run(sqlite_url, "init")
    assert second.exit_code == 0 and "0 added, 0 updated, 3205 unchanged" in second.output


@pytest.mark.parametrize("query", ["JPN", "Japan", "japan", "jpn"])
def test_history_prints_japan_by_year(loaded_sqlite, query):
    result = run(loaded_sqlite.url, "history", query)
    assert result.exit_code == 0, result.output
    assert "Japan (JPN)" in result.output
    assert "2004  Tier 2 Watch List" in result.output


def test_history_json(loaded_sqlite):
    result = run(loaded_sqlite.url, "history", "japan", "--json")
    data = json.loads(result.output)
    by_year = {d["year"]: d for d in data}
    assert by_year[2004]["tier"] == "2WL" and by_year[2004]["method"] == "listed"
    assert "Kelley & Heiss" in by_year[2004]["source"]
    assert (by_year[2016]["tier"], by_year[2016]["presence"]) == (None, "not_in_sources")  # 2016 is partial
    assert [d["year"] for d in data] == list(range(2001, 2026))


def test_unknown_country_exits_2_with_suggestions(loaded_sqlite):
    result = run(loaded_sqlite.url, "history", "Japn")
    assert result.exit_code == 2
    assert "Japan (JPN)" in result.output


def test_placements_grouped_by_tier(loaded_sqlite):
    result = run(loaded_sqlite.url, "placements", "--year", "2008")
    assert result.exit_code == 0
    tier1 = result.output.index("Tier 1 (")
    tier2 = result.output.index("Tier 2 (")
    assert tier1 < result.output.index("Hong Kong (HKG)") < tier2 < result.output.index("Japan (JPN)")


def test_placements_json_and_csv(loaded_sqlite):
    data = json.loads(run(loaded_sqlite.url, "placements", "--year", "2008", "--json").output)
    assert set(data) == {"year", "coverage", "placements"} and data["coverage"]["complete"] is False
    japan = next(p for p in data["placements"] if p["iso3"] == "JPN")
    assert (japan["country"], japan["year"], japan["tier"], japan["method"]) == ("Japan", 2008, "2", "listed")
    result = runner.invoke(app, ["placements", "--year", "2008", "--csv"], env={"TIPTIERS_DATABASE_URL":
                                                                                 loaded_sqlite.url})
    lines = result.stdout.splitlines()
    assert lines[0] == "iso3,country,year,tier,country_name,method,source"
    assert any(line.startswith("JPN,Japan,2008,2,Japan,listed,") for line in lines)
    assert len(lines) == len(data["placements"]) + 1


def test_placements_for_a_missing_year_fails_clearly(loaded_sqlite):
    result = run(loaded_sqlite.url, "placements", "--year", "1999")
    assert result.exit_code == 1
    assert "no placements for 1999" in result.output


def test_import_is_idempotent(sqlite_url, tmp_path):
    run(sqlite_url, "init")
    csv_file = tmp_path / "p2016.csv"
    csv_file.write_text("iso3,year,tier\nJPN,2016,2\nXKX,2016,2\n")
    first = run(sqlite_url, "import", "placements", str(csv_file))
    assert first.exit_code == 0 and "2 added" in first.output
    second = run(sqlite_url, "import", "placements", str(csv_file))
    assert "0 added, 0 updated, 2 unchanged" in second.output
    japan = {d["year"]: d for d in json.loads(run(sqlite_url, "history", "JPN", "--json").output)}
    assert (japan[2016]["tier"], japan[2016]["source"]) == ("2", "import:p2016.csv")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("iso3,year,tier\nJPN,2016,2\nZZZ,2016,2\n", "line 3, field 'iso3'"),
        ("iso3,year,tier\nJPN,2016,2\nCHN,2016,4\n", "line 3, field 'tier'"),
        ("iso3,year,tier\nJPN,2016,2\nCHN,1850,2\n", "line 3, field 'year'"),
        ("iso3,year\nJPN,2016\n", "line 1, field 'tier': missing column"),
    ],
)
def test_bad_import_stores_nothing_and_names_line_and_field(sqlite_url, tmp_path, content, expected):
    run(sqlite_url, "init")
    csv_file = tmp_path / "bad.csv"
    csv_file.write_text(content)
    result = run(sqlite_url, "import", "placements", str(csv_file))
    assert result.exit_code == 1
    assert expected in result.output
    history = json.loads(run(sqlite_url, "history", "JPN", "--json").output)
    assert all(row["tier"] is None for row in history if row["year"] == 2016)


def test_help_explains_the_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("init", "history", "placements", "import", "serve", "db"):
        assert command in result.output
