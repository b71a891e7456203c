"""The command line for texts in their languages: an answer recorded in Spanish, the office's translation, a
narrative's translation versioned like the original; bad input named and nothing stored."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import conftest
from tiptiers.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    db = conftest.TestDatabase("sqlite", tmp_path_factory).load_bundled()
    yield db
    db.drop()


def run(monkeypatch, db, *argv: str, code: int = 0) -> str:
    monkeypatch.setenv("TIPTIERS_DATABASE_URL", db.url)
    result = runner.invoke(app, list(argv))
    assert result.exit_code == code, result.output
    return result.output


def test_help_says_how_to_translate(monkeypatch, store):
    text = run(monkeypatch, store, "review", "translate", "--help")
    for words in ("--response", "--final-comment", "--answer", "--language", "BCP 47", "replaces"):
        assert words in text
    assert "--language" in run(monkeypatch, store, "review", "respond", "--help")
    assert "translation" in run(monkeypatch, store, "narrative", "edit", "--help")


def test_a_spanish_answer_and_its_translation(monkeypatch, store, tmp_path):
    run(monkeypatch, store, "evidence", "add", "JPN", "2027", "--statement", "Recruiters charged fees.",
        "--criterion", "criterion_1", "--source-type", "ngo", "--source", "An NGO")
    run(monkeypatch, store, "review", "send", "JPN", "2027")
    out = run(monkeypatch, store, "review", "respond", "JPN", "2027", "1", "dispute", "--text", "No hay tasas.",
              "--counter-evidence", "Informe", "--language", "xx", "--as", "tanaka", code=2)
    assert "language: 'xx' is not a known language tag" in out
    run(monkeypatch, store, "review", "respond", "JPN", "2027", "1", "dispute", "--text", "No hay tasas.",
        "--counter-evidence", "Informe", "--language", "es", "--as", "tanaka")
    assert "exactly one of" in run(monkeypatch, store, "review", "translate", "JPN", "2027", "--text", "x", code=2)
    assert "text: must not be empty" in run(monkeypatch, store, "review", "translate", "JPN", "2027", "--response",
                                            "1", "--text", " ", code=2)
    run(monkeypatch, store, "review", "translate", "JPN", "2027", "--response", "1", "--language", "en", "--text",
        "No fees are charged.", "--as", "ana")
    [claim] = json.loads(run(monkeypatch, store, "review", "claims", "JPN", "2027", "--json"))
    [response] = claim["responses"]
    assert response["language"] == "es"
    assert [(t["language"], t["text"]) for t in response["translations"]] == [("en", "No fees are charged.")]
    assert "translation (en) by ana: No fees are charged." in run(monkeypatch, store, "review", "claims", "JPN",
                                                                  "2027")


def test_a_narrative_translation_is_versioned_on_its_own(monkeypatch, store, tmp_path):
    es = tmp_path / "es.md"
    es.write_text("# Japón\n\nUn borrador.\n")
    assert "version 1 of the es translation saved" in run(monkeypatch, store, "narrative", "edit", "JPN", "2027",
                                                          "--file", str(es), "--author", "ana", "--language", "es")
    assert run(monkeypatch, store, "narrative", "versions", "JPN", "2027", "--json") == "[]\n"
    [v] = json.loads(run(monkeypatch, store, "narrative", "versions", "JPN", "2027", "--language", "es", "--json"))
    assert (v["version"], v["language"]) == (1, "es")
    shown = json.loads(run(monkeypatch, store, "narrative", "show", "JPN", "2027", "--draft", "--language", "es",
                           "--json"))
    assert shown["markdown"].startswith("# Japón") and shown["languages"] == ["en", "es"]
    assert "language: " in run(monkeypatch, store, "narrative", "versions", "JPN", "2027", "--language", "q1",
                               code=2)
