"""The analysis commands as a user types them: audit consistency, audit model, robustness, robustness-runs."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tiptiers.cli import app

runner = CliRunner()


def run(db_url: str, *args: str):
    return runner.invoke(app, list(args), env={"TIPTIERS_DATABASE_URL": db_url})


@pytest.fixture(scope="module")
def db_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('analysiscli') / 'cli.db'}"
    assert run(url, "init").exit_code == 0
    return url


def test_consistency_2008_lists_japan_against_hong_kong(db_url):
    result = run(db_url, "audit", "consistency", "--year", "2008")
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("Japan ") and "Hong Kong" in x)
    assert "5 2 4" in line and "T2" in line and "3 2 3" in line and "T1" in line
    assert "USA (the assessing country)" in result.output
    data = json.loads(run(db_url, "audit", "consistency", "--year", "2008", "--json").output)
    pair = next(p for p in data["pairs"] if p["better"]["iso3"] == "JPN" and p["worse"]["iso3"] == "HKG")
    assert pair["better"]["scores"] == [5, 2, 4] and pair["worse"]["tier"] == "1"
    assert data["labels"] == ["prosecution", "protection", "prevention"] and data["excluded_pairs"] == 0


def test_consistency_all_years(db_url):
    data = json.loads(run(db_url, "audit", "consistency", "--all-years", "--top", "3", "--json").output)
    years = {y["year"]: y for y in data["years"]}
    assert years[2014]["excluded_pairs"] > 0 and years[2014]["pairs"] == 0  # the 2014 index is barely coded
    assert len(data["countries"]) == 3 and data["total_pairs"] == sum(y["pairs"] for y in data["years"])
    text = run(db_url, "audit", "consistency", "--all-years").output
    assert "Countries in the most pairs" in text and "2008" in text


@pytest.mark.parametrize("args", [["--year", "2008", "--indicator", "gdp"], [], ["--year", "2008", "--all-years"]])
def test_consistency_usage_errors(db_url, args):
    result = run(db_url, "audit", "consistency", *args)
    assert result.exit_code == 2 and "Error" in result.output


def test_model_reports_fit_and_outliers(db_url):
    result = run(db_url, "audit", "model", "--year", "2008", "--top", "3")
    assert result.exit_code == 0, result.output
    assert "pseudo R2" in result.output and "always guessing the most common tier" in result.output
    data = json.loads(run(db_url, "audit", "model", "--year", "2008", "--json").output)
    assert data["accuracy"] > data["baseline"] and len(data["furthest"]) == 10
    failed = run(db_url, "audit", "model", "--year", "2014")
    assert failed.exit_code == 1 and ("too few" in failed.output or "fewer than two tiers" in failed.output)


def test_robustness_runs_and_stores(db_url):
    args = ("robustness", "--year", "2008", "--draws", "2000", "--seed", "4")
    result = run(db_url, *args, "-c", "JPN")
    assert result.exit_code == 0, result.output
    assert "Japan" in result.output and "2000 draws, seed 4" in result.output
    data = json.loads(run(db_url, *args, "--json").output)
    again = json.loads(run(db_url, *args, "--json").output)
    assert data["countries"] == again["countries"] and data["run_id"] != again["run_id"]
    japan = next(c for c in data["countries"] if c["iso3"] == "JPN")
    assert japan["source"] == "3p" and abs(sum(japan["probabilities"].values()) - 1) < 1e-9
    runs = json.loads(run(db_url, "robustness-runs", "--year", "2008", "--json").output)
    assert {r["run_id"] for r in runs} >= {data["run_id"], again["run_id"]}
    assert runs[-1]["parameters"]["seed"] == 4


def test_robustness_bad_input(db_url):
    assert run(db_url, "robustness", "--year", "2008", "--draws", "0").exit_code == 2
    missing = run(db_url, "robustness", "--year", "2027", "--draws", "10")
    assert missing.exit_code == 1 and "no placements" in missing.output


def test_cli_starts_without_the_numerical_stack():
    """Every command pays the CLI's import time; numpy and statsmodels are loaded only by the commands that use
    them."""
    import subprocess
    import sys

    loaded = subprocess.run([sys.executable, "-c", "import sys, tiptiers.cli; "
                             "print(' '.join(m for m in ('numpy', 'statsmodels', 'scipy') if m in sys.modules))"],
                            capture_output=True, text=True, check=True).stdout.split()
    assert loaded == []


def test_unknown_indicator_is_refused_by_name(db_url):
    result = run(db_url, "audit", "consistency", "--year", "2008", "--indicator", "vibes")
    assert result.exit_code == 2
    assert "--indicator" in result.output and "vibes" in result.output
