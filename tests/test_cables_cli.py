"""The cable commands as a user types them: ingest (files, folders, zips, bad files, resume), show, search."""

from __future__ import annotations

import json
import zipfile

import pytest
from typer.testing import CliRunner

import test_cables_corpus as corpus
from conftest import TestDatabase as Database
from tiptiers.cli import app
from tiptiers.store import cables as cable_store

runner = CliRunner()


@pytest.fixture
def db(tmp_path_factory):
    database = Database("sqlite", tmp_path_factory)
    yield database
    database.drop()


def run(db, *args):
    return runner.invoke(app, [str(a) for a in args], env={"TIPTIERS_DATABASE_URL": db.url})


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "in" / "sub").mkdir(parents=True)
    (tmp_path / "in" / "08TOKYO1528.txt").write_text(corpus.original(), encoding="utf-8")
    (tmp_path / "in" / "sub" / "08MANILA1702.txt").write_text(corpus.cooperative(), encoding="utf-8")
    (tmp_path / "in" / "sub" / "08TOKYO1600.txt").write_text(corpus.neutral(), encoding="utf-8")
    (tmp_path / "in" / ".hidden.txt").write_text("not read", encoding="utf-8")
    return tmp_path / "in"


def test_ingest_a_folder_then_again_skips_everything(db, folder):
    first = run(db, "ingest", "cables", folder, "--json", "--workers", "1")
    assert first.exit_code == 0, first.output
    assert json.loads(first.output) == {"files": 3, "added": 3, "new_versions": 0, "skipped": 0, "bad": []}
    second = run(db, "ingest", "cables", folder)
    assert second.exit_code == 0 and "0 added, 0 new versions, 3 unchanged (skipped), 0 bad" in second.output


def test_a_changed_text_is_a_new_version(db, folder, tmp_path):
    run(db, "ingest", "cables", folder)
    changed = tmp_path / "08TOKYO1528.txt"
    changed.write_text(corpus.complete(), encoding="utf-8")
    result = run(db, "ingest", "cables", changed, "--json")
    assert json.loads(result.output)["new_versions"] == 1
    shown = json.loads(run(db, "cable", "show", "08TOKYO1528", "--json").output)
    assert shown["version"] == 2 and shown["signature"] == "SCHIEFFER"
    old = json.loads(run(db, "cable", "show", "08TOKYO1528", "--version", "1", "--json").output)
    assert old["version"] == 1 and old["truncated"] is True


def test_zip_archives_and_bad_files_are_reported_and_skipped(db, tmp_path):
    archive = tmp_path / "cables.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("cables/08TOKYO1528.txt", corpus.original())
        z.writestr("cables/empty.txt", "")
        z.writestr("cables/picture.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
        z.writestr("cables/cut.txt", corpus.original()[:300])
        z.writestr("cables/letter.txt", "Dear colleague, the minutes are attached.")
    (tmp_path / "broken.zip").write_bytes(b"PK not really")
    result = run(db, "ingest", "cables", archive, tmp_path / "broken.zip", tmp_path / "missing.txt", "--json",
                 "--workers", "2")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["added"] == 1
    errors = {b["file"].rsplit("/", 1)[-1]: b["error"] for b in data["bad"]}
    assert errors["empty.txt"].startswith("empty file")
    assert errors["picture.png"].startswith("binary file")
    assert "header cut short" in errors["cut.txt"]
    assert "no recognisable cable" in errors["letter.txt"]
    assert any("bad zip archive" in e for e in errors.values()) and any("no such file" in e for e in errors.values())
    human = run(db, "ingest", "cables", archive)
    assert human.exit_code == 1 and "4 bad" in human.output and "bad file:" in human.output


def test_an_interrupted_ingest_resumes_without_duplicates(db, folder, monkeypatch):
    real = cable_store.store_cables
    calls = {"n": 0}

    def failing(session, items, *rest):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # the user presses Ctrl-C during the second batch
        return real(session, items, *rest)

    monkeypatch.setattr(cable_store, "store_cables", failing)
    interrupted = run(db, "ingest", "cables", folder, "--batch-size", "1", "--workers", "1")
    assert interrupted.exit_code != 0
    monkeypatch.setattr(cable_store, "store_cables", real)
    resumed = json.loads(run(db, "ingest", "cables", folder, "--json").output)
    assert (resumed["added"], resumed["skipped"]) == (2, 1)
    listed = json.loads(run(db, "cable", "list", "JPN", "--json").output)
    assert sorted(c["reference_id"] for c in listed) == ["08TOKYO1528", "08TOKYO1600"]


def test_cable_show_json_prints_every_parsed_field(db, folder):
    run(db, "ingest", "cables", folder)
    result = run(db, "cable", "show", "08tokyo1528", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    for name in ("reference_id", "header", "classification", "caveats", "distribution", "declassify_on", "tags",
                 "subject_tags", "country_tags", "subject", "references", "classified_by", "classification_reasons",
                 "paragraphs", "summary", "truncated", "iso3", "report_year", "reactions", "disputed_claims"):
        assert name in data, name
    assert data["header"]["date_time_group"] == "042255Z JUN 08"
    assert data["header"]["action"][0]["routing_indicator"] == "RUEHC"
    assert [p["raw_number"] for p in data["paragraphs"]] == ["11.", "- 12.", "- 13.", "¶4.", "15."]
    assert data["disputed_claims"][0]["claim"] == "Japanese law not criminalizing labor recruiting through fraud"
    human = run(db, "cable", "show", "08TOKYO1528")
    assert "Disputed claim (¶3, Shimbo)" in human.output and "Rating or comparisons not fair" in human.output


def test_unknown_cable_says_how_to_ingest(db):
    result = run(db, "cable", "show", "99NOWHERE1")
    assert result.exit_code == 1 and "tiptiers ingest cables" in result.output


def test_search_with_filters(db, folder):
    run(db, "ingest", "cables", folder)
    found = json.loads(run(db, "search", "labor recruiting fraud", "--country", "Japan", "--json").output)
    assert found["total"] == 1 and found["hits"][0]["ref_id"] == "08TOKYO1528"
    assert "fraud" in found["hits"][0]["snippet"]
    assert json.loads(run(db, "search", "labor recruiting fraud", "--country", "PHL", "--json").output)["total"] == 0
    welcomes = json.loads(run(db, "search", "", "--reaction", "appreciation", "--json").output)
    assert [h["ref_id"] for h in welcomes["hits"]] == ["08MANILA1702"]
    by_tag = json.loads(run(db, "search", "report", "--tag", "KTIP", "--year", "2008", "--json").output)
    assert [h["ref_id"] for h in by_tag["hits"]] == ["08MANILA1702"]
    confidential = json.loads(run(db, "search", "", "--classification", "confidential", "--json").output)
    assert [h["ref_id"] for h in confidential["hits"]] == ["08TOKYO1528"]
    human = run(db, "search", "labor recruiting fraud")
    assert "1 found" in human.output and "[fraud]" in human.output
