"""Open data a researcher can cite: the zip is a valid Frictionless Data Package (checked by the `frictionless`
package itself), CITATION.cff and "How to cite" agree with the package, a wide table and a numeric tier column."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from tiptiers import __version__
from tiptiers.publish import opendata
from tiptiers.sources.history import read_bundle
from tiptiers.web.app import create_app

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def client(loaded_sqlite) -> Iterator[TestClient]:
    yield TestClient(create_app(loaded_sqlite.url))


@pytest.fixture(scope="module")
def unzipped(client, tmp_path_factory: pytest.TempPathFactory) -> Path:
    got = client.get("/api/v1/data/tiptiers.zip")
    assert got.status_code == 200
    out = tmp_path_factory.mktemp("zip")
    zipfile.ZipFile(io.BytesIO(got.content)).extractall(out)
    return out


def test_the_downloaded_zip_is_a_valid_frictionless_data_package(unzipped):
    from frictionless import Package

    report = Package(str(unzipped / "datapackage.json")).validate()
    errors = [e.message for task in report.tasks for e in task.errors][:5] + [e.message for e in report.errors][:5]
    assert report.valid, errors
    package = json.loads((unzipped / "datapackage.json").read_text())
    assert {r["path"] for r in package["resources"]} >= {"placements.csv", "placements_wide.csv", "movements.csv"}
    assert package["licenses"][0]["name"] == "MIT"


def test_a_broken_table_fails_the_same_validation(unzipped, tmp_path):
    """The check can fail: a tier number that is not an integer is an error frictionless reports."""
    from frictionless import Package

    broken = tmp_path / "broken"
    broken.mkdir()
    package = json.loads((unzipped / "datapackage.json").read_text())
    package["resources"] = [r for r in package["resources"] if r["path"] == "placements.csv"]
    (broken / "datapackage.json").write_text(json.dumps(package))
    text = (unzipped / "placements.csv").read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    row = next(csv.reader([text[1]]))
    row[header.index("tier_number")] = "two"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, row])
    (broken / "placements.csv").write_text(out.getvalue(), encoding="utf-8")
    assert not Package(str(broken / "datapackage.json")).validate().valid


def test_citation_cff_and_how_to_cite_agree_with_the_package(client, unzipped):
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    bundle = read_bundle()
    assert cff["version"] == __version__ and cff["license"] == "MIT"
    assert str(cff["date-released"]) == bundle.date.isoformat()
    assert cff["title"] == opendata.TITLE
    page = client.get("/data").text
    assert 'id="how-to-cite"' in page and bundle.version in page and "MIT License" in page
    for source in opendata.SOURCES:
        assert source["licence"] in page.replace("&#39;", "'")
    readme = (unzipped / "README.md").read_text()
    assert "## How to cite" in readme and __version__ in readme and "17 U.S.C. 105" in readme


def test_a_wide_table_and_a_numeric_tier(client):
    wide = list(csv.DictReader(io.StringIO(client.get("/api/v1/data/placements_wide.csv").text)))
    japan = next(r for r in wide if r["iso3"] == "JPN")
    assert japan["2004"] == "2WL" and japan["2008"] == "2" and japan["2017"] == ""  # 2017: not in the sources
    assert len(wide) == len({r["iso3"] for r in wide})
    one_year = list(csv.DictReader(io.StringIO(client.get("/api/v1/data/placements_wide.csv?year=2008").text)))
    assert list(one_year[0]) == ["iso3", "country", "2008"]
    long = list(csv.DictReader(io.StringIO(client.get("/api/v1/data/placements.csv?year=2013").text)))
    numbers = {r["tier"]: r["tier_number"] for r in long}
    assert numbers == {"1": "1", "2": "2", "2WL": "3", "3": "4"} | ({"special": ""} if "special" in numbers else {})
