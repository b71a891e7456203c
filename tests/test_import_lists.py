"""`tiptiers import lists`: a report's own lists, as the State Department writes them, on both backends. A bad,
ambiguous or repeated name stores nothing and exits 2 naming it with a suggestion."""

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tiptiers.cli import app
from tiptiers.coverage import Presence
from tiptiers.store.activity import ActivityEntry
from tiptiers.store.db import transaction
from tiptiers.store.evidence import add_evidence
from tiptiers.store.models import Placement
from tiptiers.store.placements import year_coverage
from tiptiers.store.publication import is_public

runner = CliRunner()
SOURCE = "2026 TIP Report, June 2026"
LISTS_2026 = """TIER 1
Korea, South, The Gambia, Cote d'Ivoire
Tier 2
Burma; Kosovo
Hong Kong
TIER 2 WATCH LIST
Curacao, Sint Maarten, Congo, Democratic Republic of the
tier 3
Congo, Republic of the, Korea, North
Special Cases
Libya
"""


@pytest.fixture
def db(fresh_db):
    return fresh_db.load_bundled()


def cli(db, *args, stdin=None):
    return runner.invoke(app, list(args), input=stdin, env={"TIPTIERS_DATABASE_URL": db.url})


def count(db, year):
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(Placement).where(Placement.year == year))


def test_the_reports_own_names_are_matched_and_stored_with_their_source(db, tmp_path):
    path = tmp_path / "tip2026.txt"
    path.write_text(LISTS_2026, encoding="utf-8")
    result = cli(db, "import", "lists", str(path), "--year", "2026", "--source", SOURCE, "--published-on", "2026-06-24")
    assert result.exit_code == 0, result.output
    assert "Tier 2 Watch List (3): Curacao (CUW), Sint Maarten (SXM), Congo, Democratic Republic of the (COD)" in \
        result.output
    data = json.loads(cli(db, "placements", "--year", "2026", "--json").output)
    tiers = {p["iso3"]: p["tier"] for p in data["placements"]}
    assert tiers == {"KOR": "1", "GMB": "1", "CIV": "1", "MMR": "2", "XKX": "2", "HKG": "2", "CUW": "2WL",
                     "SXM": "2WL", "COD": "2WL", "COG": "3", "PRK": "3", "LBY": "special"}
    korea = next(p for p in data["placements"] if p["iso3"] == "KOR")
    assert (korea["source"], korea["method"], korea["country_name"]) == (SOURCE, "listed", "Korea, South")
    assert data["coverage"]["full_tiers"] == ["1", "2", "2WL", "3", "special"]  # every heading: every list
    assert data["coverage"]["complete"] and data["coverage"]["source"] == f"import lists: {SOURCE}"
    with db.sessions() as session:
        assert is_public(session, 2026)  # published as of June 24, 2026
        entries = session.scalars(select(ActivityEntry).where(ActivityEntry.action.like("placements.%"))).all()
    assert [e.action for e in entries] == ["placements.import_lists"]  # one entry for the run
    assert entries[-1].after["source"] == SOURCE and entries[-1].actor.startswith("cli:")


def test_a_paste_with_stray_whitespace_and_windows_line_ends_reads_the_same(db):
    paste = ("\ufeff  TIER 1:  Korea, South ,\tThe Gambia\r\n\r\n   \r\nTIER 3\r\n"
             "  Congo, Democratic Republic of the ; Burma  \r\n")
    result = cli(db, "import", "lists", "-", "--year", "2026", "--source", SOURCE, "--published-on", "2026-06-24",
                 "--complete", stdin=paste)
    assert result.exit_code == 0, result.output
    with db.sessions() as session:
        coverage = year_coverage(session, 2026)
    assert coverage.complete and coverage.presence("FRA", None) == Presence.NOT_RANKED
    assert count(db, 2026) == 4


@pytest.mark.parametrize(("text", "expected"), [
    ("TIER 1\nJapan, Jpan\n", "line 2: 'Jpan' is not a country name tiptiers knows; did you mean Japan (JPN)"),
    ("TIER 1\nJapan\nTIER 3\nCongo\n", "line 4: 'Congo' may be more than one country: Republic of the Congo (COG) or "
                                       "Democratic Republic of the Congo (COD)"),
    ("TIER 1\nJapan\nTIER 2\nKorea, South, Japan\n", "line 4: 'Japan' (JPN) is listed twice: already on line 2"),
    ("Japan\nTIER 1\nFrance\n", "line 1: 'Japan' comes before any heading"),
    ("Japan, France\n", "no heading found"),
])
def test_a_bad_name_stores_nothing_and_says_what_to_write(db, tmp_path, text, expected):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    result = cli(db, "import", "lists", str(path), "--year", "2026", "--source", SOURCE, "--published-on",
                 "2026-06-24")
    assert result.exit_code == 2
    assert expected in result.output and "nothing imported" in result.output
    assert count(db, 2026) == 0


def test_a_year_with_drafts_in_progress_refuses_the_import(db, tmp_path):
    with transaction(db.sessions) as session:
        add_evidence(session, iso3="JPN", year=2027, criteria=["criterion_1"], statement="A draft claim.",
                     source_type="ngo", source_name="Polaris", entered_by="ana")
    path = tmp_path / "tip2027.txt"
    path.write_text("TIER 1\nJapan\n")
    result = cli(db, "import", "lists", str(path), "--year", "2027", "--source", "2027 TIP Report",
                 "--published-on", "2027-06-20")
    assert result.exit_code == 2 and "holds drafts in progress" in result.output and "JPN" in result.output
    assert count(db, 2027) == 0


def test_a_published_year_changes_only_as_a_correction(db, tmp_path):
    path = tmp_path / "tip2025.txt"
    path.write_text("SPECIAL CASES\nHaiti, Libya, Somalia, Yemen, Japan\n")  # Japan is Tier 2 in 2025
    refused = cli(db, "import", "lists", str(path), "--year", "2025", "--source", "2025 TIP Report")
    assert refused.exit_code == 2 and "JPN 2025: published as Tier 2" in refused.output
    assert "dated correction" in refused.output and "--correction" in refused.output
    partial = tmp_path / "wl2024.txt"
    partial.write_text("TIER 2 WATCH LIST\nJapan\n")  # 2024's Watch List is whole in the database: 32 left out
    left_out = cli(db, "import", "lists", str(partial), "--year", "2024", "--source", "a copy")
    assert left_out.exit_code == 2 and "leave out 32 country(ies)" in left_out.output
    fixed = cli(db, "import", "lists", str(path), "--year", "2025", "--source", "2025 TIP Report", "--correction",
                "the report lists Japan as a special case", "--as", "ana")
    assert fixed.exit_code == 0, fixed.output
    history = {d["year"]: d for d in json.loads(cli(db, "history", "JPN", "--json").output)}
    [correction] = history[2025]["corrections"]
    assert (correction["previous_tier"], correction["tier"], correction["author"]) == ("2", "special", "ana")
