"""One write path that logs: every command of the CLI (enumerated from the Typer app) and every route with a writing
method (POST/PUT/PATCH/DELETE, enumerated from the FastAPI app) is run here for real, and each one that changes what
the system stores must leave an activity-log entry naming what it changed; each one that only reads must leave
none. A new command or route without a case here fails the test: add one.

Underneath, the store refuses a commit of unlogged changes (`activity.UnloggedWrite`), so a forgotten `record`
fails the case that runs it rather than storing silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conftest import TestDatabase
from test_fuzz_cables import FIXTURE
from test_security_matrix import routes
from tiptiers.cli import app as cli_app
from tiptiers.sources.placements import PlacementRow
from tiptiers.store import activity, call, users
from tiptiers.store.activity import UnloggedWrite
from tiptiers.store.db import transaction
from tiptiers.store.models import Placement
from tiptiers.store.placements import import_placements
from tiptiers.tiers import Tier
from tiptiers.web.app import create_app
from tiptiers.web.auth import CSRF_HEADER

PASSWORD = "correct horse battery staple"
PREPARING = 2027  # a report year in preparation
PUBLISHED = 2008
CALL_OPEN = datetime(2026, 12, 1, 10)  # in the 2027 report's request window
NOT_RUN = {  # commands this test does not run, and why; every other command has a case below
    "serve": "serves the web app, whose writing routes are each run below",
    "worker": "without --once runs until stopped; `worker --once` runs the same rounds, below",
}


def command_paths() -> set[str]:
    found: set[str] = set()

    def walk(command: Any, path: tuple[str, ...]) -> None:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, (*path, name))
        else:
            found.add(" ".join(path))

    walk(typer.main.get_command(cli_app), ())
    return found


def writing_routes(app: Any) -> set[tuple[str, str]]:
    return {(m, p) for m, p in routes(app) if m in ("POST", "PUT", "PATCH", "DELETE")}


@dataclass
class Seen:
    """What each command or route did to the log: the entries it added."""

    entries: dict[str, list[activity.ActivityEntry]]

    def add(self, key: str, new: list[activity.ActivityEntry]) -> None:
        self.entries.setdefault(key, []).extend(new)


def _last_seq(db: TestDatabase) -> int:
    with db.sessions() as session:
        return activity.count(session)


def _since(db: TestDatabase, seq: int) -> list[activity.ActivityEntry]:
    with db.sessions() as session:
        return [e for e in activity.entries(session, limit=1000) if e.seq > seq][::-1]


def _well_formed(entry: activity.ActivityEntry) -> str | None:
    """A subject is `kind:REST`; one about a country's year names it as ISO3/YEAR, so `scope` finds it."""
    if not re.fullmatch(r"[a-z_0-9]+(?::\S.*)", entry.subject):
        return f"subject {entry.subject!r} is not kind:rest"
    if not re.fullmatch(r"[a-z_0-9]+\.[a-z_0-9.]+", entry.action):
        return f"action {entry.action!r} is not thing.verb"
    return None


# --- the command line ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cmd:
    argv: list[str]
    logs: str | None  # the action prefix of the entry it must write; None: a reader, writes none
    stdin: str | None = None
    code: int = 0


def cli_cases(work: Path) -> list[Cmd]:
    placements_csv = work / "placements.csv"
    placements_csv.write_text(f"iso3,year,tier\nJPN,{PREPARING},2\nKOR,{PREPARING},1\n")
    correction_csv = work / "correction.csv"
    correction_csv.write_text(f"iso3,year,tier\nJPN,{PUBLISHED},2WL\n")
    lists_txt = work / "lists.txt"
    lists_txt.write_text("TIER 1\nCanada\nTIER 3\nKorea, North\n")
    narrative = work / "narrative.md"
    narrative.write_text("# Japan\n\nA draft narrative.\n")
    narrative_es = work / "narrative.es.md"
    narrative_es.write_text("# Japón\n\nUn borrador.\n")
    evidence_file = work / "ngo-report.txt"
    evidence_file.write_bytes(b"Interviews with workers.\n")
    assessment = work / "assessment.yaml"
    y, p = str(PREPARING), str(PUBLISHED)
    return [
        Cmd(["init"], None),  # the bundled history is loaded already: nothing to change, nothing logged
        Cmd(["db", "upgrade"], None),
        Cmd(["history", "Japan"], None),
        Cmd(["placements", "--year", p], None),
        Cmd(["import", "placements", str(placements_csv)], "placements.import"),
        Cmd(["import", "placements", str(correction_csv), "--correction", "A typo in the source", "--as", "ann"],
            "placements.import"),
        Cmd(["import", "lists", str(lists_txt), "--year", "2026", "--source", "2026 TIP Report",
             "--published-on", "2026-06-20"], "placements.import_lists"),
        Cmd(["methodology", "show", "--year", p], None),
        Cmd(["assess-example"], None),
        Cmd(["audit-history"], None),
        Cmd(["ingest", "cables", str(FIXTURE)], "cables.ingest"),
        Cmd(["cable", "list", "JPN"], None),
        Cmd(["cable", "show", "08TOKYO1528"], None),
        Cmd(["search", "trafficking"], None),
        Cmd(["users", "add", "ann", "--role", "admin", "--password-stdin"], "user.create", stdin=PASSWORD + "\n"),
        Cmd(["users", "add", "tanaka", "--role", "liaison", "--country", "JPN", "--password-stdin"], "user.create",
            stdin=PASSWORD + "\n"),
        Cmd(["users", "list"], None),
        Cmd(["users", "token", "ann", "--label", "test"], "user.token"),
        Cmd(["users", "tokens", "ann"], None),
        Cmd(["users", "revoke-token", "1"], "user.token_revoke"),
        Cmd(["users", "password", "ann", "--password-stdin"], "user.password", stdin=PASSWORD + "\n"),
        Cmd(["users", "email", "ann", "ann@example.org"], "user.email"),
        Cmd(["evidence", "add", "JPN", y, "--statement", "Recruiters charged fees.", "--criterion", "criterion_1",
             "--source-type", "ngo", "--source", "An NGO", "--file", str(evidence_file)], "evidence.add"),
        Cmd(["evidence", "add", "JPN", y, "--statement", "Inspectors found the same fees.", "--criterion",
             "criterion_1", "--source-type", "media", "--source", "A newspaper"], "evidence.add"),
        Cmd(["evidence", "list", "JPN"], None),
        Cmd(["evidence", "corroborate", "1", "--by", "2"], "evidence.corroborated"),
        Cmd(["review", "send", "JPN", y], "review.send_draft"),
        Cmd(["review", "status"], None),
        Cmd(["review", "claims", "JPN", y], None),
        Cmd(["review", "respond", "JPN", y, "2", "dispute", "--text", "No se cobran tasas.", "--counter-evidence",
             "Informe de inspección", "--language", "es", "--as", "tanaka"], "review.dispute"),
        Cmd(["review", "translate", "JPN", y, "--response", "1", "--language", "en", "--text", "No fees are charged.",
             "--as", "ann"], "translation.add"),
        Cmd(["review", "translate", "JPN", y, "--response", "1", "--language", "xx", "--text", "Words."],
            "translation.add", code=2),  # an unknown language: refused, nothing stored
        Cmd(["review", "resolve", "1", "maintained", "--reason", "The report does not cover these sites."],
            "dispute.maintained"),
        Cmd(["review", "override", "JPN", y, "--reason", "Publish despite the open review."],
            "review.gate_override"),
        Cmd(["review", "final-comments", "JPN", y, "--text", "We disagree.", "--author", "tanaka"],
            "review.final_comment", code=1),  # before the final report is sent: refused, nothing stored
        Cmd(["evidence", "add", "JPN", p, "--statement", "Japanese law does not criminalize labor recruiting "
             "through fraud.", "--criterion", "criterion_1", "--source-type", "ngo", "--source", "An NGO"],
            "evidence.add"),
        Cmd(["review", "send", "JPN", p], "review.send_draft"),
        Cmd(["review", "dispute-from-cable", "08TOKYO1528", "--claim", "3", "--as", "tanaka"], "review.dispute"),
        Cmd(["evidence", "add", "KOR", y, "--statement", "Courts convicted traffickers.", "--criterion",
             "criterion_1", "--source-type", "media", "--source", "A newspaper"], "evidence.add"),
        Cmd(["review", "send", "KOR", y], "review.send_draft"),
        Cmd(["review", "complete", "KOR", y, "--as", "kim"], "review.complete"),
        Cmd(["review", "send", "KOR", y, "--final"], "review.send_final"),
        Cmd(["review", "final-comments", "KOR", y, "--text", "We thank the office.", "--author", "kim"],
            "review.final_comment"),
        Cmd(["review", "complete", "KOR", y, "--as", "kim"], "review.complete"),  # no more final comments
        Cmd(["evidence", "withdraw", "1", "--reason", "Withdrawn."], "evidence.withdrawn"),
        Cmd(["override", "add", "KOR", y, "2", "--justification", "An override.", "--author", "ann"],
            "override.add"),
        Cmd(["override", "list"], None),
        Cmd(["waiver", "add", "JPN", y, "--justification", "A waiver."], "waiver.add"),
        Cmd(["waiver", "list"], None),
        Cmd(["narrative", "edit", "JPN", y, "--file", str(narrative), "--author", "ann"], "narrative.edit"),
        Cmd(["narrative", "edit", "JPN", y, "--file", str(narrative_es), "--author", "ann", "--language", "es"],
            "narrative.edit"),
        Cmd(["narrative", "versions", "JPN", y], None),
        Cmd(["narrative", "show", "JPN", p], None),
        Cmd(["export", "--out", str(work / "export")], None),
        Cmd(["robustness", "--year", p, "--draws", "20", "--seed", "1"], "robustness.run"),
        Cmd(["robustness-runs"], None),
        Cmd(["audit", "consistency", "--year", p], None),
        Cmd(["audit", "model", "--year", p], None),
        Cmd(["log", "show", "--limit", "5"], None),
        Cmd(["log", "head"], None),
        Cmd(["log", "verify"], None),
        Cmd(["calendar", y], None),
        Cmd(["burden"], None),
        Cmd(["notify", "off", "ann", "reminder"], "notice.preference"),
        Cmd(["notify", "on", "ann", "reminder"], "notice.preference"),
        Cmd(["notify", "run", "--json"], None),  # nothing due (no account has an address): changes nothing
        Cmd(["notify", "list"], None),
        Cmd(["queue", "list"], None),
        Cmd(["worker", "--once", "--json"], None),  # nothing queued: changes nothing
        Cmd(["queue", "retry"], None, code=2),  # nothing named: refused
        Cmd(["sanctions", "record", "PRK", p, "-p", "d1", "--on", f"{p}-09-10", "--signed-by", "The President"],
            "tier3.determination"),
        Cmd(["sanctions", "list", "--year", p], None),
        Cmd(["lists", "add", p, "child_soldiers", "PRK"], "year_list.add"),
        Cmd(["lists", "show", p], None),
        Cmd(["lists", "remove", p, "child_soldiers", "PRK"], "year_list.remove"),
        Cmd(["interim", "save", "ALB", str(PUBLISHED + 1), "--progress", "Prosecutions rose.", "--summary", "Some."],
            "interim.save"),
        Cmd(["interim", "send", "ALB", str(PUBLISHED + 1)], "interim.send"),
        Cmd(["interim", "list", str(PUBLISHED + 1)], None),
        Cmd(["users", "deactivate", "tanaka"], "user.deactivate"),
        Cmd(["publish", y, "--at", f"{y}-06-20T12:00", "--no-pdf"], "publication.schedule"),
        Cmd(["publish", y, "--at", f"{y}-06-21T12:00", "--no-pdf"], "publication.schedule"),  # moved
        Cmd(["assess", str(assessment)], None),
        Cmd(["backup", str(work / "backup.zip")], None),
        Cmd(["restore", str(work / "backup.zip"), "--replace"], "backup.restore"),
    ]


@pytest.fixture
def cli_db(fresh_db: TestDatabase, monkeypatch: pytest.MonkeyPatch) -> TestDatabase:
    monkeypatch.setenv("TIPTIERS_DATABASE_URL", fresh_db.url)
    return fresh_db.load_bundled()


def test_every_command_that_changes_stored_data_logs_it_and_every_other_logs_nothing(cli_db, tmp_path):
    db = cli_db
    cases = cli_cases(tmp_path)
    runner = CliRunner()
    (tmp_path / "assessment.yaml").write_text(runner.invoke(cli_app, ["assess-example"]).output)
    covered = {" ".join(a for a in c.argv[:2] if not a.startswith("-") and a in _words()) for c in cases}
    missing = command_paths() - covered - set(NOT_RUN)
    assert not missing, f"commands without a case here (add one to cli_cases): {sorted(missing)}"
    problems: list[str] = []
    for case in cases:
        before = _last_seq(db)
        result = runner.invoke(cli_app, case.argv, input=case.stdin)
        shown = " ".join(case.argv)
        if result.exit_code != case.code or isinstance(result.exception, UnloggedWrite):
            problems.append(f"tiptiers {shown}: exit {result.exit_code} (expected {case.code}): "
                            f"{result.output[-400:]} {result.exception!r}")
            continue
        new = _since(db, before) if case.argv[0] != "restore" else _since(db, _restored_from(db))
        if case.logs is None or case.code != 0:
            if new:
                problems.append(f"tiptiers {shown}: a reader (or a refusal) wrote {[e.action for e in new]}")
        elif not any(e.action.startswith(case.logs) for e in new):
            problems.append(f"tiptiers {shown}: no {case.logs}* entry (wrote {[e.action for e in new]})")
        problems += [f"tiptiers {shown}: {p}" for e in new if (p := _well_formed(e))]
    assert not problems, "\n".join(problems)
    with db.sessions() as session:
        assert activity.verify(session) == []


def _words() -> set[str]:
    return {w for path in command_paths() for w in path.split()}


def _restored_from(db: TestDatabase) -> int:
    """The log's length when the backup was made: the restore's own entry follows the restored log."""
    with db.sessions() as session:
        entries = activity.entries(session, action="backup.restore", limit=1)
        return entries[0].seq - 1 if entries else activity.count(session)


# --- the web app ---------------------------------------------------------------------------------------------------


@pytest.fixture
def site(fresh_db: TestDatabase, smtp: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestDatabase, Any]]:
    monkeypatch.setattr(call, "utcnow", lambda: CALL_OPEN)  # the public call is open
    db = fresh_db.load_bundled()
    with transaction(db.sessions) as session:
        users.create_user(session, "ann", "admin", PASSWORD, actor="test")
        users.create_user(session, "tanaka", "liaison", PASSWORD, country="JPN", actor="test")
        users.create_user(session, "polaris", "ngo", PASSWORD, organisation="Polaris Project", actor="test")
        import_placements(session, [PlacementRow("JPN", 2026, Tier.TIER_2, 1)], source="test", actor="test")
    yield db, create_app(db.url)


def _client(app: Any, name: str | None) -> TestClient:
    c = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    if name:
        r = c.post("/api/v1/session", json={"name": name, "password": PASSWORD})
        assert r.status_code == 200, r.text
        c.headers[CSRF_HEADER] = r.json()["csrf_token"]
    return c


@dataclass(frozen=True)
class Req:
    method: str
    route: str  # the route's path as the app declares it
    url: str
    who: str | None
    logs: str | None  # action prefix; None: changes nothing stored (a calculation, a login refused)
    body: Callable[[], dict[str, Any]] | None = None
    form: dict[str, str] | None = None
    status: int | None = None  # expected status when not 2xx/3xx


def web_cases(ids: dict[str, int]) -> list[Req]:
    y = str(PREPARING)
    ev = {"iso3": "JPN", "year": PREPARING, "criteria": ["criterion_1"], "statement": "Shelters closed.",
          "source_type": "ngo", "source_name": "Polaris"}
    return [
        Req("POST", "/api/v1/session", "/api/v1/session", None, "session.login",
            lambda: {"name": "ann", "password": PASSWORD}),
        Req("POST", "/login", "/login", None, "session.login", form={"name": "ann", "password": PASSWORD}),
        Req("POST", "/api/v1/users", "/api/v1/users", "ann", "user.create",
            lambda: {"name": "al", "role": "analyst", "password": PASSWORD}),
        Req("POST", "/admin/users", "/admin/users", "ann", "user.create",
            form={"name": "rae", "role": "reviewer", "password": PASSWORD}),
        Req("POST", "/api/v1/users/{name}/deactivate", "/api/v1/users/al/deactivate", "ann", "user.deactivate"),
        Req("POST", "/admin/users/{name}/deactivate", "/admin/users/rae/deactivate", "ann", "user.deactivate"),
        Req("PUT", "/api/v1/notices/preferences", "/api/v1/notices/preferences", "ann", "notice.preference",
            lambda: {"enabled": {"reminder": False}}),
        Req("POST", "/notices", "/notices", "ann", "notice.preference", form={"reminder": "on"}),
        Req("POST", "/api/v1/attachments", "/api/v1/attachments", "ann", "attachment.add"),
        Req("POST", "/api/v1/evidence", "/api/v1/evidence", "ann", "evidence.add", lambda: ev),
        Req("POST", "/api/v1/evidence", "/api/v1/evidence", "ann", "evidence.add",
            lambda: ev | {"statement": "Victims were fined.", "source_name": "A newspaper", "source_type": "media"}),
        Req("POST", "/api/v1/evidence/{evidence_id}/state", "/api/v1/evidence/{e1}/state", "ann",
            "evidence.withdrawn", lambda: {"state": "withdrawn", "reason": "A duplicate."}),
        Req("PUT", "/api/v1/assessments/{iso3}/{year}", f"/api/v1/assessments/JPN/{y}", "ann", "assessment.save",
            lambda: {"ratings": [{"criterion": "standard_1", "level": "full", "evidence": [ids["e2"]]}],
                     "base_version": 0}),
        Req("POST", "/workspace/{iso3}/{year}", f"/workspace/JPN/{y}", "ann", "assessment.save",
            form={"level-standard_1": "partial", "evidence-standard_1": "{e2}", "narrative": "Some progress."}),
        Req("PUT", "/api/v1/questionnaires/{iso3}/{year}", f"/api/v1/questionnaires/JPN/{y}", "tanaka",
            "questionnaire.save", lambda: {"answers": {"laws": "A new law of 2026."}}),
        Req("POST", "/api/v1/reviews/{iso3}/{year}/requests", f"/api/v1/reviews/JPN/{y}/requests", "ann",
            "review.send_draft", lambda: {}),
        Req("POST", "/api/v1/reviews/{iso3}/{year}/claims/{evidence_id}/responses",
            f"/api/v1/reviews/JPN/{y}/claims/{{e2}}/responses", "tanaka", "review.dispute",
            lambda: {"kind": "dispute", "text": "Shelters stayed open.", "counter_evidence": "A list of them"}),
        Req("POST", "/api/v1/reviews/{iso3}/{year}/translations", f"/api/v1/reviews/JPN/{y}/translations", "ann",
            "translation.add", lambda: {"text_kind": "response", "text_id": str(ids["d1"]), "language": "es",
                                        "text": "Los refugios siguieron abiertos."}),
        Req("POST", "/api/v1/disputes/{dispute_id}/resolution", "/api/v1/disputes/{d1}/resolution", "ann",
            "dispute.", lambda: {"outcome": "maintained", "reason": "The list is of another year."}),
        Req("POST", "/api/v1/reviews/{iso3}/{year}/complete", f"/api/v1/reviews/JPN/{y}/complete", "tanaka",
            "review.complete"),
        Req("POST", "/api/v1/reviews/{iso3}/{year}/gate-override", f"/api/v1/reviews/JPN/{y}/gate-override", "ann",
            "review.gate_override", lambda: {"reason": "Publish despite it."}),
        Req("POST", "/api/v1/reviews/{iso3}/{year}/final-comments", f"/api/v1/reviews/JPN/{y}/final-comments",
            "tanaka", None, lambda: {"text": "We disagree."}, status=404),  # no final report sent: refused
        Req("POST", "/workspace/{iso3}/{year}/send", f"/workspace/JPN/{y}/send", "ann", "review.send_draft",
            form={"deadline": ""}),
        Req("POST", "/admin/import", "/admin/import", "ann", "placements.import_lists",
            form={"text": "TIER 1\nCanada\n", "year": "2026", "source": "2026 TIP Report", "action": "confirm"}),
        Req("POST", "/api/v1/narratives/{iso3}/{year}", f"/api/v1/narratives/JPN/{y}", "ann", "narrative.edit",
            lambda: {"markdown": "# Japan\n\nA draft."}),
        Req("POST", "/narratives/{iso3}/{year}/edit", f"/narratives/JPN/{y}/edit", "ann", "narrative.edit",
            form={"markdown": "# Japan\n\nA second draft.", "base_version": "1"}),
        Req("POST", "/api/v1/submissions", "/api/v1/submissions", "polaris", "submission.add",
            lambda: {"iso3": "JPN", "year": PREPARING, "title": "Shadow report", "claims": [
                {"criteria": ["criterion_1"], "statement": "Workers paid fees."}]}),
        Req("PUT", "/api/v1/submissions/{submission_id}/claims/{evidence_id}/note",
            "/api/v1/submissions/{s1}/claims/{se1}/note", "ann", "submission.note", lambda: {"note": "Thanks."}),
        Req("POST", "/submissions/new", "/submissions/new", "polaris", "submission.add",
            form={"iso3": "JPN", "year": y, "title": "Second report", "claims": "1",
                  "claim-0-criteria": "criterion_1", "claim-0-statement": "Passports were held."}),
        Req("POST", "/call", "/call", None, "call.submit",
            form={"email": "ada@example.org", "sender": "Ada Researcher", "source_type": "academic",
                  "country": "JPN", "statement": "Inspectors found 12 trainees whose passports were held.",
                  "criteria": "criterion_1", "source_url": "https://example.org/report"}),
        Req("POST", "/api/v1/determinations", "/api/v1/determinations", None, None,
            lambda: {"iso3": "JPN", "year": 2013, "ratings": [
                {"criterion": f"standard_{i}", "level": "full"} for i in range(1, 5)]}),
        Req("POST", "/determinations", "/determinations?view=workspace", "ann", None,  # the what-if's redraw
            lambda: {"iso3": "JPN", "year": 2013, "ratings": [
                {"criterion": f"standard_{i}", "level": "full"} for i in range(1, 5)]}),
        Req("PUT", "/api/v1/publications/{year}", "/api/v1/publications/2026", "ann", "publication.schedule",
            lambda: {"publish_at": "2026-06-01T00:00:00"}),  # imported history, published then: confirmed
        Req("DELETE", "/api/v1/session", "/api/v1/session", "ann", "session.logout"),
        Req("POST", "/logout", "/logout", "ann", "session.logout"),
    ]


def test_every_route_that_changes_stored_data_logs_it(site):
    db, app = site
    ids: dict[str, int] = {}
    cases = web_cases(ids)
    missing = writing_routes(app) - {(c.method, c.route) for c in cases}
    assert not missing, f"writing routes without a case here (add one to web_cases): {sorted(missing)}"
    problems: list[str] = []
    for case in cases:
        c = _client(app, case.who)
        url = case.url.format(**ids)
        before = _last_seq(db)
        if case.route == "/api/v1/attachments":
            r = c.post(url, files={"file": ("report.txt", b"A report.\n", "text/plain")})
        elif case.form is not None:
            token = c.headers.get(CSRF_HEADER, "")
            if case.route == "/login":  # the form's token, with its cookie
                found = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)
                token = found.group(1) if found else ""
            r = c.request(case.method, url, data={**{k: v.format(**ids) for k, v in case.form.items()},
                                                  "csrf_token": token})
        else:
            r = c.request(case.method, url, json=case.body() if case.body else None)
        expected_ok = r.status_code < 400 if case.status is None else r.status_code == case.status
        if not expected_ok:
            problems.append(f"{case.method} {url} as {case.who}: {r.status_code} {r.text[:300]}")
            continue
        new = _since(db, before)
        if case.who is not None:  # the login of the client itself is not this case's
            new = [e for e in new if not (e.action == "session.login" and e.seq == before + 1)]
        if case.logs is None:
            if new:
                problems.append(f"{case.method} {url}: changes nothing yet wrote {[e.action for e in new]}")
        elif not any(e.action.startswith(case.logs) for e in new):
            problems.append(f"{case.method} {url}: no {case.logs}* entry (wrote {[e.action for e in new]})")
        problems += [f"{case.method} {url}: {p}" for e in new if (p := _well_formed(e))]
        _learn_ids(db, ids)
    assert not problems, "\n".join(problems)
    with db.sessions() as session:
        assert activity.verify(session) == []


def _learn_ids(db: TestDatabase, ids: dict[str, int]) -> None:
    """The ids later cases need (the first evidence, the first dispute, ...), as they come into being."""
    from tiptiers.store.evidence import Evidence
    from tiptiers.store.reviews import DisputeResolution  # noqa: F401 - the model of the resolutions
    from tiptiers.store.submissions import Submission, SubmissionClaim

    with db.sessions() as session:
        evidence = [e.id for e in session.query(Evidence).order_by(Evidence.id)]
        if evidence:
            ids["e1"] = evidence[0]
            ids["e2"] = evidence[-1] if len(evidence) > 1 else evidence[0]
        ids.setdefault("e2", 0)
        ids.setdefault("e1", 0)
        from tiptiers.store.reviews import ClaimResponse

        disputes = [r.id for r in session.query(ClaimResponse).order_by(ClaimResponse.id)]
        ids["d1"] = disputes[0] if disputes else 0
        subs = [s.id for s in session.query(Submission).order_by(Submission.id)]
        ids["s1"] = subs[0] if subs else 0
        claims = [c.evidence_id for c in session.query(SubmissionClaim).order_by(SubmissionClaim.evidence_id)]
        ids["se1"] = claims[0] if claims else 0


# --- the guard itself ----------------------------------------------------------------------------------------------


def _placed(db: TestDatabase, year: int) -> int:
    with db.sessions() as session:
        return session.query(Placement).filter(Placement.year == year).count()


def test_a_change_without_an_entry_is_refused_and_stores_nothing(fresh_db):
    db = fresh_db.load_bundled()
    with pytest.raises(UnloggedWrite, match="placements"), transaction(db.sessions) as session:
        session.add(Placement(iso3="JPN", year=2026, tier="1", source="test", origin="imported"))
    assert _placed(db, 2026) == 0


def test_a_core_update_without_an_entry_is_refused_too(fresh_db):
    from sqlalchemy import text, update

    db = fresh_db.load_bundled()
    for statement in (update(Placement).where(Placement.iso3 == "JPN").values(tier="3"),
                      text("UPDATE placements SET tier = '3' WHERE iso3 = 'JPN'")):
        with pytest.raises(UnloggedWrite), transaction(db.sessions) as session:
            session.execute(statement)
    with db.sessions() as session:
        assert "3" not in {p.tier for p in session.query(Placement).filter(Placement.iso3 == "JPN")}


def test_the_same_change_with_its_entry_commits(fresh_db):
    db = fresh_db.load_bundled()
    with transaction(db.sessions) as session:
        session.add(Placement(iso3="JPN", year=2026, tier="1", source="test", origin="imported"))
        activity.record(session, "test", "placement.add", "placement:JPN/2026", None, {"tier": "1"})
    assert _placed(db, 2026) == 1


def test_bookkeeping_tables_need_no_entry(fresh_db):
    with transaction(fresh_db.sessions) as session:
        users.note_login_failure(session, "nobody", "127.0.0.1")
    assert all(reason.strip() for reason in activity.BOOKKEEPING.values())


@pytest.mark.parametrize(("subject", "state", "expected"), [
    ("narrative:JPN/2008", None, ("JPN", 2008)),
    ("placement:JPN/2010", None, ("JPN", 2010)),
    ("review:KOR/2027", None, ("KOR", 2027)),
    ("submission:3/evidence:4", {"iso3": "JPN", "year": 2027}, ("JPN", 2027)),
    ("publication:2026", None, (None, 2026)),
    ("placements:2010", None, (None, 2010)),
    ("placements:2001-2025", None, (None, None)),
    ("user:ann", None, (None, None)),
    ("evidence:17", {"iso3": "JPN", "year": 2026, "statement": "x"}, ("JPN", 2026)),
    ("cable:08TOKYO1528", {"iso3": "JPN", "report_year": 2008}, ("JPN", None)),
])
def test_scope_reads_the_country_and_year_a_change_touched(subject, state, expected):
    assert activity.scope({"subject": subject, "after": state, "before": None}) == expected
