"""Smoke run of tiptiers as a user installs it: `make run`'s install, without the test extras.

    make smoke          (part of `make test`; it makes var/smoke/venv as `make run` makes .venv, then runs this)

1. The install holds no test-only package (else it is not the install users get, and this run proves nothing).
2. Every CLI command answers `--help`; the commands that do something run for real on a fresh SQLite database:
   init, history, placements, import, ingest, evidence and review, overrides, narratives, exports, analyses,
   `publish YEAR --static`, backup and restore into a second database, the activity log.
3. `tiptiers serve` is started on that database and every GET route of the app is fetched, anonymously and with an
   administrator's API token: no answer is a 500 or shows a traceback; the public page types answer 200.

It fails, naming the command or the page, when one errs, and also when a CLI command or a route is new and this
script does not know it: add a real run (COMMANDS) or a sample value (SAMPLES) beside the others. The test suite
cannot see a missing runtime dependency, since it runs with the test extras; this run can.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TIPTIERS = str(BIN / "tiptiers")
CABLE = next((p for p in (Path("/work/shared/fixtures/cables/08TOKYO1528.txt"),
                          REPO.parent / "shared" / "fixtures" / "cables" / "08TOKYO1528.txt") if p.exists()), None)
PREPARING = 2027  # a report year in preparation: evidence, review and a shadow report go there
PUBLISHED = 2008  # a year of the bundled history, public
EVIDENCE_FILE = b"Interviews with workers about recruitment fees.\n"  # attached to evidence; fetched by its SHA-256

# Commands that are only asked for --help here, and why. Every other command must be in COMMANDS below.
HELP_ONLY = {
    "serve": "started below, as the server the pages are fetched from",
    "users password": "asks for the password twice at a terminal; `users add --password-stdin` covers the path",
}

failures: list[str] = []


def fail(what: str) -> None:
    failures.append(what)
    print(f"FAIL {what}", flush=True)


# --- 1. the install -------------------------------------------------------------------------------------------


def check_user_install() -> None:
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
    for requirement in extras:
        name = re.split(r"[ <>=!~;\[]", requirement, maxsplit=1)[0]
        try:
            importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        fail(f"install: the test-only package {name} is installed in {BIN.parent}, so this is not the install "
             "`make run` makes (or a runtime dependency now brings it)")


# --- 2. the command line --------------------------------------------------------------------------------------


def command_paths() -> Iterator[tuple[str, ...]]:
    import typer

    from tiptiers.cli import app

    def walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                yield from walk(sub, (*path, name))
        else:
            yield path

    yield from walk(typer.main.get_command(app), ())


def run(args: list[str], env: dict[str, str], stdin: str | None = None, expect: int = 0, timeout: int = 900,
        name: str | None = None) -> str:
    """One command as a user types it; its output, or a failure naming it."""
    shown = name or " ".join(args)
    started = time.monotonic()
    try:
        done = subprocess.run([TIPTIERS, *args], env=env, input=stdin, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        fail(f"tiptiers {shown}: no answer in {timeout} s")
        return ""
    output = done.stdout + done.stderr
    if done.returncode != expect or "Traceback" in output:
        fail(f"tiptiers {shown}: exit {done.returncode} (expected {expect})\n{output[-3000:]}")
    else:
        print(f"ok   tiptiers {shown} ({time.monotonic() - started:.1f} s)", flush=True)
    return done.stdout


def check_help() -> set[tuple[str, ...]]:
    """`--help` of every command, in this process (one import of the CLI instead of fifty)."""
    from typer.testing import CliRunner

    from tiptiers.cli import app

    paths = set(command_paths())
    runner = CliRunner()
    for path in sorted(paths):
        result = runner.invoke(app, [*path, "--help"], prog_name="tiptiers")
        if result.exit_code != 0 or "Usage" not in result.output:
            fail(f"tiptiers {' '.join(path)} --help: exit {result.exit_code}\n{result.output[-2000:]}")
    print(f"ok   --help of {len(paths)} commands", flush=True)
    return paths


def commands(work: Path, env: dict[str, str], restored_env: dict[str, str]) -> dict[tuple[str, ...], str]:
    """Run the real commands in an order that gives each what it needs; return what each command path printed."""
    out: dict[tuple[str, ...], str] = {}
    assessment = work / "assessment.yaml"
    placements_csv = work / "placements.csv"
    placements_csv.write_text(f"iso3,year,tier\nJPN,{PREPARING},2\nKOR,{PREPARING},1\nUSA,{PREPARING},1\n")
    narrative = work / "narrative.md"
    narrative.write_text("# Japan\n\nA draft narrative written in the smoke run.\n")
    evidence_file = work / "ngo-report.txt"
    evidence_file.write_bytes(EVIDENCE_FILE)

    def do(*args: str, stdin: str | None = None, expect: int = 0, use: dict[str, str] | None = None) -> str:
        path = tuple(a for a in args[:2] if not a.startswith("-"))
        key = path if path in known else path[:1]
        printed = run(list(args), use or env, stdin, expect)
        out[key] = printed
        return printed

    known = set(command_paths())
    do("init")
    do("init")  # safe to run again
    do("db", "upgrade")
    do("history", "Japan")
    json.loads(do("history", "JPN", "--json") or "null")
    do("placements", "--year", str(PUBLISHED))
    json.loads(do("placements", "--year", str(PUBLISHED), "--json") or "null")
    do("import", "placements", str(placements_csv))
    do("methodology", "show", "--year", str(PUBLISHED))
    assessment.write_text(do("assess-example"))
    do("assess", str(assessment))
    do("audit-history")
    if CABLE is not None:
        do("ingest", "cables", str(CABLE))
        do("cable", "list", "JPN")
        do("cable", "show", "08TOKYO1528")
    else:
        fail("fixtures: no cable fixture (../shared/fixtures/cables/08TOKYO1528.txt) to ingest")
    do("search", "trafficking")
    do("users", "add", "smoke-admin", "--role", "admin", "--password-stdin", stdin="correct horse battery 1\n")
    do("users", "add", "smoke-liaison", "--role", "liaison", "--country", "JPN", "--password-stdin",
       stdin="correct horse battery 2\n")
    do("users", "list")
    token = do("users", "token", "smoke-admin", "--label", "smoke").strip().split()[-1]
    do("users", "token", "smoke-liaison", "--label", "smoke")
    tokens = do("users", "tokens", "smoke-liaison")
    token_id = re.search(r"\b(\d+)\b", tokens)
    do("users", "revoke-token", token_id.group(1) if token_id else "1")
    do("evidence", "add", "JPN", str(PREPARING), "--statement", "Recruiters charged workers fees.", "--criterion",
       "criterion_1", "--source-type", "ngo", "--source", "An NGO", "--file", str(evidence_file))
    do("evidence", "add", "JPN", str(PREPARING), "--statement", "Labour inspectors found the same fees.",
       "--criterion", "criterion_1", "--source-type", "media", "--source", "A newspaper")
    do("evidence", "list", "JPN")
    do("evidence", "corroborate", "1", "--by", "2")
    do("review", "send", "JPN", str(PREPARING))
    do("review", "status")
    do("review", "claims", "JPN", str(PREPARING))
    do("review", "respond", "JPN", str(PREPARING), "2", "dispute", "--text", "Inspectors found no fees.",
       "--counter-evidence", "Inspection report 2026", "--as", "smoke-liaison")
    do("review", "resolve", "1", "maintained", "--reason", "The inspection report does not cover these sites.")
    do("review", "override", "JPN", str(PREPARING), "--reason", "Smoke run: publish despite the open review.")
    if CABLE is not None:  # the cable (2008) disputes a claim of Japan's 2008 draft
        do("evidence", "add", "JPN", str(PUBLISHED), "--statement", "Japanese law does not criminalize labor "
           "recruiting through fraud.", "--criterion", "criterion_1", "--source-type", "ngo", "--source", "An NGO")
        do("review", "send", "JPN", str(PUBLISHED))
        do("review", "dispute-from-cable", "08TOKYO1528", "--claim", "3", "--as", "smoke-liaison")
    # the two stages by letter: the government says it has no more comments, the final report goes, it answers
    do("evidence", "add", "KOR", str(PREPARING), "--statement", "Courts convicted traffickers.", "--criterion",
       "criterion_1", "--source-type", "media", "--source", "A newspaper")
    do("review", "send", "KOR", str(PREPARING))
    do("review", "complete", "KOR", str(PREPARING), "--as", "A liaison's letter")
    do("review", "send", "KOR", str(PREPARING), "--final")
    comment = do("review", "final-comments", "KOR", str(PREPARING), "--text", "Nous remercions le bureau.",
                 "--author", "A liaison", "--language", "fr")
    comment_id = re.search(r"#(\d+)", comment)
    do("review", "translate", "KOR", str(PREPARING), "--final-comment", comment_id.group(1) if comment_id else "1",
       "--language", "en", "--text", "We thank the office.")
    do("review", "complete", "KOR", str(PREPARING), "--as", "A liaison's letter")  # no more final comments
    do("evidence", "withdraw", "1", "--reason", "Smoke run: withdrawn.")
    do("override", "add", "KOR", str(PREPARING), "2", "--justification", "Smoke run override.", "--author", "smoke")
    do("override", "list")
    do("waiver", "add", "JPN", str(PREPARING), "--justification", "Smoke run waiver.")
    do("waiver", "list")
    do("narrative", "edit", "JPN", str(PREPARING), "--file", str(narrative), "--author", "smoke")
    do("narrative", "versions", "JPN", str(PREPARING))
    do("narrative", "show", "JPN", str(PREPARING), "--draft")
    do("narrative", "show", "JPN", str(PUBLISHED))
    translation = work / "narrative-fr.md"  # a translation of a published narrative: its first version needs no note
    translation.write_text("# Japon\n\nUne traduction écrite pendant le test.\n")
    do("narrative", "edit", "JPN", str(PUBLISHED), "--file", str(translation), "--language", "fr", "--author", "smoke")
    do("export", "--out", str(work / "export"))
    do("export", "--format", "parquet", "--table", "placements", "--out", str(work / "export-parquet"))
    do("export", "--zip", str(work / "tiptiers.zip"), "--out", str(work / "export-zip"))
    do("robustness", "--year", str(PUBLISHED), "--draws", "20", "--seed", "1")
    do("robustness-runs")
    do("audit", "consistency", "--year", str(PUBLISHED))
    do("audit", "model", "--year", str(PUBLISHED))
    do("log", "show", "--limit", "5")
    do("log", "head")
    do("log", "verify")
    do("calendar", str(PREPARING))
    json.loads(do("calendar", str(PREPARING), "--json") or "null")
    do("burden")
    do("users", "email", "smoke-admin", "admin@example.org")
    do("notify", "off", "smoke-admin", "reminder")
    do("notify", "on", "smoke-admin", "reminder")
    do("notify", "run", "--json")
    do("notify", "list")
    do("queue", "list")
    do("queue", "retry", "--all-failed")
    json.loads(do("worker", "--once", "--json") or "null")
    lists_file = work / "lists.txt"  # a report the bundled history does not have yet, as the Department prints it
    lists_file.write_text("TIER 1\nJapan, Korea, South\n\nTIER 2 WATCH LIST\nAlbania\n")
    do("import", "lists", str(lists_file), "--year", str(PREPARING - 1), "--source", "Smoke run lists",
       "--published-on", f"{PREPARING - 1}-06-24")
    listed = json.loads(out[("placements",)] or "{}")  # {year, coverage, placements}
    tier_3 = [r["iso3"] for r in listed.get("placements", []) if r["tier"] == "3"]
    watch_list = [r["iso3"] for r in listed.get("placements", []) if r["tier"] == "2WL"]
    do("sanctions", "record", tier_3[0] if tier_3 else "MMR", str(PUBLISHED), "-p", "d1", "--on",
       f"{PUBLISHED}-09-10", "--signed-by", "The President")
    do("sanctions", "list", "--year", str(PUBLISHED))
    do("lists", "add", str(PUBLISHED), "child_soldiers", tier_3[0] if tier_3 else "MMR")
    do("lists", "show", str(PUBLISHED))
    do("lists", "remove", str(PUBLISHED), "child_soldiers", tier_3[0] if tier_3 else "MMR")
    interim = (watch_list[0] if watch_list else "ALB", str(PUBLISHED + 1))
    do("interim", "save", *interim, "--progress", "Prosecutions rose.", "--summary", "Some progress.")
    do("interim", "send", *interim)
    do("interim", "list", str(PUBLISHED + 1))
    do("users", "deactivate", "smoke-liaison")
    site = work / "site"
    published = json.loads(do("publish", str(PUBLISHED), "--static", str(site), "--json") or "{}")
    static = published.get("static") or {}
    if static.get("failed") or not (site / "index.html").exists() or not (site / "years" / str(PUBLISHED)).exists():
        fail(f"tiptiers publish {PUBLISHED} --static: pages failed or missing: {static}")
    do("backup", str(work / "backup.zip"))
    do("restore", str(work / "backup.zip"), use=restored_env)
    do("restore", str(work / "backup.zip"), expect=1, use=restored_env)  # holds data now: refused without --replace
    do("restore", str(work / "backup.zip"), "--replace", use=restored_env)
    run(["history", "Japan"], restored_env, name="history Japan (in the restored database)")
    return {**out, ("token",): token}


# --- 3. the web app -------------------------------------------------------------------------------------------


SAMPLES = {  # a value for each path parameter of the app's routes
    "iso3": "JPN", "year": str(PUBLISHED), "reference_id": "08TOKYO1528", "table": "placements", "fmt": "csv",
    "evidence_id": "2", "submission_id": "1", "sha256": "", "tier": "2", "name": "methodology",
    "token": "no-such-token", "language": "fr",
}
IN_PREPARATION = ("/review/", "/workspace/", "/api/v1/reviews/", "/api/v1/workspace/", "/api/v1/questionnaires/")
# What an administrator is not shown as 200, and why.
ADMIN_NOT_200 = {
    "/login": "an account already signed in is sent on",
    "/submissions/new": "shadow reports are submitted by ngo accounts",
    "/api/v1/submissions/{submission_id}": "no shadow report is made in this run",
    "/api/v1/session": "a bearer token is not a browser session",
    "/call/confirm/{token}": "no public claim is sent in this run: an unknown token is a 404",
}
PUBLIC_200 = ("/", "/years/{year}", "/countries/{iso3}", "/countries/{iso3}/{year:int}", "/narratives/{iso3}/{year}",
              "/compare", "/map", "/map/{year}", "/movements/{year}", "/movements/{year}.csv",
              "/movements/{year}/flows.svg", "/compare.csv", "/analysis/consistency/{year}.csv", "/data", "/search",
              "/cables/{reference_id}",
              "/login", "/api/v1/openapi.json", "/api/v1/years", "/api/v1/years/{year}/placements",
              "/api/v1/countries/{iso3}/placements", "/api/v1/countries/{iso3}/timeline", "/api/v1/methodology",
              "/countries/{iso3}/cables", "/api/v1/countries/{iso3}/cables",
              "/narratives/{iso3}/{year}/in/{language}", "/api/v1/narratives/{iso3}/{year}/{language}.json")


def get_routes() -> list[str]:
    from tiptiers.web.app import create_app

    def walk(routes: list[Any]) -> Iterator[str]:
        for route in routes:
            inner = getattr(route, "original_router", None)  # FastAPI keeps an included router's routes there
            if inner is not None:
                yield from walk(inner.routes)
            elif "GET" in (getattr(route, "methods", None) or ()):
                yield route.path

    return sorted(set(walk(create_app().routes)))


def fill(path: str, sha256: str) -> str | None:
    samples = {**SAMPLES, "sha256": sha256}
    if path.startswith(IN_PREPARATION):
        samples["year"] = str(PREPARING)

    def value(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        if name not in samples:
            raise KeyError(name)
        return samples[name]

    try:
        return re.sub(r"\{([^}]+)\}", value, path)
    except KeyError as exc:
        fail(f"route {path}: no sample value for {{{exc.args[0]}}}; add one to SAMPLES in {Path(__file__).name}")
        return None


def fetch(url: str, token: str | None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Accept": "text/html,*/*",
                                                   **({"Authorization": f"Bearer {token}"} if token else {})})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def check_pages(env: dict[str, str], token: str, sha256: str, work: Path) -> None:
    port = free_port()
    log = (work / "serve.log").open("w")
    server = subprocess.Popen([TIPTIERS, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                fetch(f"{base}/api/v1/years", None)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    fail(f"tiptiers serve: did not start\n{(work / 'serve.log').read_text()[-3000:]}")
                    return
                time.sleep(0.5)
        routes = get_routes()
        for route in routes:
            path = fill(route, sha256)
            if path is None:
                continue
            if route in ("/compare", "/api/v1/compare", "/compare.csv"):
                path += "?c=JPN&c=KOR"
            if route in ("/search", "/api/v1/search"):
                path += "?q=trafficking"
            if route == "/api/v1/methodology":
                path += f"?year={PUBLISHED}"
            for who, credential in (("anonymous", None), ("admin", token)):
                status, body = fetch(base + path, credential)
                if status >= 500 or b"Traceback" in body:
                    fail(f"GET {path} ({who}): {status}\n{body[:2000].decode(errors='replace')}")
                elif 300 <= status < 400:  # a redirect (an old address, /map to the latest year): fine
                    continue
                elif who == "anonymous" and route in PUBLIC_200 and status != 200:
                    fail(f"GET {path} ({who}): {status}, a public page type that must answer 200")
                elif who == "admin" and status != 200 and route not in ADMIN_NOT_200:
                    fail(f"GET {path} ({who}): {status}; expected 200 (or list the route in ADMIN_NOT_200 with why)")
        print(f"ok   {len(routes)} GET routes, anonymous and as an administrator", flush=True)
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    if "Traceback" in (work / "serve.log").read_text():
        fail(f"tiptiers serve: a traceback in its log\n{(work / 'serve.log').read_text()[-3000:]}")


def main() -> int:
    started = time.monotonic()
    check_user_install()
    work = Path(tempfile.mkdtemp(prefix="tiptiers-smoke-"))
    env = {**os.environ, "TIPTIERS_DATABASE_URL": f"sqlite:///{work / 'tiptiers.db'}",
           "TIPTIERS_REPORTS_DIR": str(work / "reports"), "NO_COLOR": "1", "COLUMNS": "120"}
    restored = {**env, "TIPTIERS_DATABASE_URL": f"sqlite:///{work / 'restored.db'}"}
    os.environ.update({k: env[k] for k in ("TIPTIERS_DATABASE_URL", "TIPTIERS_REPORTS_DIR")})  # the routes, read here
    try:
        helped = check_help()
        printed = commands(work, env, restored)
        untried = sorted(" ".join(p) for p in helped if p not in printed and " ".join(p) not in HELP_ONLY)
        if untried:
            fail(f"commands never run by the smoke: {', '.join(untried)}; add a real run to commands() in "
                 f"{Path(__file__).name}, or to HELP_ONLY with the reason")
        check_pages(env, printed[("token",)], hashlib.sha256(EVIDENCE_FILE).hexdigest(), work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    seconds = time.monotonic() - started
    if failures:
        print(f"\nsmoke: {len(failures)} failure(s) in {seconds:.0f} s in the user install {BIN.parent}", flush=True)
        return 1
    print(f"\nsmoke: every command and page of the user install {BIN.parent} works ({seconds:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
