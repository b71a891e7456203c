"""The shape of the code that users rely on without seeing it: the publication gate is wired in by real imports (a
feature cannot switch itself off by failing to import), the pure core imports no adapter, and route modules share
helpers through `tiptiers.web.deps` instead of importing each other."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from tiptiers.sources.placements import parse_placements
from tiptiers.store import publication
from tiptiers.store.db import transaction
from tiptiers.store.evidence import add_evidence
from tiptiers.store.placements import import_placements, sync_countries
from tiptiers.store.reviews import complete_review, resolve_dispute, respond, send_request

SRC = Path(__file__).resolve().parents[1] / "src" / "tiptiers"
CORE = ("methodology", "engine", "analysis", "review")  # pure: no database, no web, no files but their own data
ADAPTERS = ("store", "web", "cli", "publish")


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports, at the top or inside a function, by its absolute name."""
    package = ".".join(path.relative_to(SRC.parent).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            found.append((node.lineno, ".".join(p for p in (base, node.module) if p)))
    return found


def _python_files(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (SRC / package).rglob("*.py"))


def test_the_pure_core_imports_no_adapter():
    """engine, analysis, methodology and the review rules import nothing from store, web, cli or publish."""
    bad = [f"{path.relative_to(SRC)}:{line} imports {name}" for path in _python_files(*CORE)
           for line, name in _imports(path) if name.split(".")[:2] in [["tiptiers", a] for a in ADAPTERS]]
    assert not bad, "\n".join(bad)


def test_importing_the_core_loads_no_database_or_web_library():
    """What the import rule means at run time: the core loads without SQLAlchemy, FastAPI or any adapter."""
    code = ("import sys, json; import tiptiers.engine, tiptiers.analysis, tiptiers.methodology, tiptiers.review; "
            "print(json.dumps(sorted(sys.modules)))")
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                       check=True).stdout)
    assert not [m for m in loaded if m.split(".")[0] in ("sqlalchemy", "fastapi", "starlette", "jinja2")]
    assert not [m for m in loaded if m.split(".")[:2] in [["tiptiers", a] for a in ADAPTERS]]


def test_route_modules_do_not_import_each_other():
    """What two routers share lives in tiptiers.web.deps; a route module imports no other route module."""
    routes = _python_files("web/routes")
    bad = [f"{path.relative_to(SRC)}:{line} imports {name}" for path in routes if path.name != "__init__.py"
           for line, name in _imports(path) if name.startswith("tiptiers.web.routes")]
    assert not bad, "\n".join(bad)


def test_no_feature_is_loaded_only_if_it_imports():
    """A feature found by name at run time, or skipped on ImportError, switches off silently when a module moves:
    the publication gate was found that way once. Every import is a real one, which fails loudly."""
    bad = []
    for path in _python_files("."):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ExceptHandler) and "ImportError" in ast.unparse(node.type or ast.Name("")):
                bad.append(f"{path.relative_to(SRC)}:{node.lineno} except ImportError")
            if isinstance(node, ast.Attribute) and node.attr in ("import_module", "__import__"):
                bad.append(f"{path.relative_to(SRC)}:{node.lineno} {ast.unparse(node)}")
    assert not bad, "\n".join(bad)


def _seed(db, year: int) -> None:
    with transaction(db.sessions) as s:
        sync_countries(s)
        import_placements(s, parse_placements(f"iso3,year,tier\nJPN,{year},2\nUSA,{year},1\n", source="t.csv"),
                          source="t.csv")


def test_publishing_consults_the_review_gate_and_the_assessing_country_gap(fresh_db):
    """An open dispute and an open review block the year, naming the country; the assessing country without an
    assessment is the analysis warning. Once the dispute is resolved and the review completed, the year may be
    published, and the warning is still reported."""
    year = 2027
    _seed(fresh_db, year)
    with transaction(fresh_db.sessions) as s:
        claim = add_evidence(s, iso3="JPN", year=year, criteria=["criterion_1"], statement="No convictions.",
                             source_type="ngo", source_name="An NGO", entered_by="analyst")
        send_request(s, "JPN", year, "analyst")
        dispute = respond(s, "JPN", year, claim.id, "dispute", "There were three.", "liaison",
                          counter_evidence="Court records")
    with fresh_db.sessions() as s:
        report = publication.consult_gates(s, year)
    assert list(report.blocked) == ["JPN"] and any("dispute" in r for r in report.blocked["JPN"])
    assert len(report.warnings) == 1 and report.warnings[0].startswith("USA (the assessing country)")
    with pytest.raises(publication.PublicationError, match=r"^gate: 1 country-year.*JPN"), \
            transaction(fresh_db.sessions) as s:
        publication.schedule_publication(s, year, datetime(year, 6, 1), "admin")

    with transaction(fresh_db.sessions) as s:
        resolve_dispute(s, dispute.id, "maintained", "analyst", reason="The court records show none.")
        complete_review(s, "JPN", year, "liaison")
    with transaction(fresh_db.sessions) as s:
        _, report = publication.schedule_publication(s, year, datetime(year, 6, 1), "admin")
    assert report.blocked == {} and report.warnings[0].startswith("USA (the assessing country)")


def test_the_app_and_its_commands_load_no_test_only_package():
    """`make run` installs without the test extras: the CLI, the web app and the static export must not need one
    (the static export once drove the app through starlette.testclient, which needs httpx)."""
    import importlib.metadata
    import re
    import tomllib

    extras = tomllib.loads((SRC.parents[1] / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
    test_only = {re.split(r"[ <>=!~;\[]", r, maxsplit=1)[0].lower().replace("_", "-") for r in extras}
    by_module = importlib.metadata.packages_distributions()
    code = ("import sys, json; import tiptiers.cli, tiptiers.web.app, tiptiers.publish.static; "
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                       check=True).stdout)
    found = {m: d for m in loaded for d in by_module.get(m, []) if d.lower().replace("_", "-") in test_only}
    assert not found, f"test-only packages loaded at run time: {found}"
