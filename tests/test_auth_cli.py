"""`tiptiers users ...` and `tiptiers log ...` as an administrator types them, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from sqlalchemy import text
from typer.testing import CliRunner

from tiptiers.cli import app
from tiptiers.store import users as store

runner = CliRunner()
PASSWORD = "correct horse battery staple"


def run(db, *args, stdin=None):
    return runner.invoke(app, list(args), input=stdin, env={"TIPTIERS_DATABASE_URL": db.url, "USER": "root"})


def test_accounts_tokens_and_the_log_from_the_command_line(fresh_db):
    added = run(fresh_db, "users", "add", "tanaka", "--role", "liaison", "--country", "Japan", "--password-stdin",
                stdin=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    assert "Created tanaka (liaison, JPN)" in added.output
    assert run(fresh_db, "users", "add", "ann", "--role", "admin", "--password-stdin",
               stdin=PASSWORD + "\n").exit_code == 0

    refused = run(fresh_db, "users", "add", "bob", "--role", "analyst", "--country", "JPN", "--password-stdin",
                  stdin=PASSWORD + "\n")
    assert refused.exit_code == 2 and "country:" in refused.output

    listed = run(fresh_db, "users", "list", "--json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert [(r["name"], r["role"], r["country"], r["active"]) for r in rows] == [
        ("ann", "admin", None, True), ("tanaka", "liaison", "JPN", True)]

    token = run(fresh_db, "users", "token", "ann", "--label", "nightly import")
    assert token.exit_code == 0, token.output
    with fresh_db.sessions() as session:
        assert store.user_for_token(session, token.output.strip()).name == "ann"

    log = run(fresh_db, "log", "show", "--json")
    assert log.exit_code == 0, log.output
    entries = json.loads(log.output)
    assert [(e["seq"], e["action"], e["subject"]) for e in entries] == [
        (3, "user.token", "user:ann"), (2, "user.create", "user:ann"), (1, "user.create", "user:tanaka")]
    assert all(e["actor"].startswith("cli:") for e in entries)

    intact = run(fresh_db, "log", "verify")
    assert intact.exit_code == 0 and "intact (3 entries" in intact.output

    tokens = json.loads(run(fresh_db, "users", "tokens", "ann", "--json").output)
    assert [(t["label"], t["revoked_at"]) for t in tokens] == [("nightly import", None)]
    revoked = run(fresh_db, "users", "revoke-token", str(tokens[0]["id"]))
    assert revoked.exit_code == 0, revoked.output
    with fresh_db.sessions() as session:
        assert store.user_for_token(session, token.output.strip()) is None
    assert json.loads(run(fresh_db, "users", "tokens", "ann", "--json").output)[0]["revoked_at"]
    assert run(fresh_db, "users", "revoke-token", "999").exit_code == 2


def test_an_ngo_account_from_the_command_line(fresh_db):
    refused = run(fresh_db, "users", "add", "polaris", "--role", "ngo", "--password-stdin", stdin=PASSWORD + "\n")
    assert refused.exit_code == 2 and "organisation: required for an ngo account" in refused.output
    added = run(fresh_db, "users", "add", "polaris", "--role", "ngo", "--organisation", "Polaris Project",
                "--password-stdin", stdin=PASSWORD + "\n")
    assert added.exit_code == 0 and "Created polaris (ngo, Polaris Project)" in added.output, added.output
    listed = run(fresh_db, "users", "list")
    assert "polaris  ngo       Polaris Project" in listed.output, listed.output
    [row] = json.loads(run(fresh_db, "users", "list", "--json").output)
    assert (row["role"], row["organisation"], row["country"]) == ("ngo", "Polaris Project", None)


def test_log_verify_fails_and_names_an_edited_or_deleted_entry(fresh_db):
    for name in ("ann", "bob", "cyd"):
        assert run(fresh_db, "users", "add", name, "--role", "analyst", "--password-stdin",
                   stdin=PASSWORD + "\n").exit_code == 0
    with fresh_db.engine.begin() as conn:
        conn.execute(text("UPDATE activity_log SET actor = 'someone else' WHERE seq = 2"))
    edited = run(fresh_db, "log", "verify")
    assert edited.exit_code == 1
    assert "entry 2: edited" in edited.output

    with fresh_db.engine.begin() as conn:
        conn.execute(text("DELETE FROM activity_log WHERE seq = 2"))
    deleted = run(fresh_db, "log", "verify")
    assert deleted.exit_code == 1
    assert "entry 2 deleted" in deleted.output and "entry 2: edited" not in deleted.output


def test_log_head_anchors_and_verify_checks_them(fresh_db, tmp_path):
    for name in ("ann", "bob"):
        assert run(fresh_db, "users", "add", name, "--role", "analyst", "--password-stdin",
                   stdin=PASSWORD + "\n").exit_code == 0
    head = run(fresh_db, "log", "head")
    assert head.exit_code == 0, head.output
    seq, digest = head.output.split()
    assert seq == "2" and len(digest) == 64
    assert json.loads(run(fresh_db, "log", "head", "--json").output) == {"seq": 2, "hash": digest}
    anchors = tmp_path / "anchors.txt"
    anchors.write_text(f"# after the 2026 release\n{head.output}", encoding="utf-8")

    ok = run(fresh_db, "log", "verify", "--anchors", str(anchors), "--anchor", f"1:{'0' * 63}1")
    assert ok.exit_code == 1 and "entry 1: does not match its anchor" in ok.output
    ok = run(fresh_db, "log", "verify", "--anchors", str(anchors))
    assert ok.exit_code == 0 and "1 anchor(s) match" in ok.output

    anchors.write_text("2 not-a-hash\n", encoding="utf-8")
    bad = run(fresh_db, "log", "verify", "--anchors", str(anchors))
    assert bad.exit_code == 2 and f"{anchors}, line 1" in bad.output and "64 hexadecimal" in bad.output


def test_a_deactivated_account_cannot_log_in(fresh_db):
    run(fresh_db, "users", "add", "ann", "--role", "reviewer", "--password-stdin", stdin=PASSWORD + "\n")
    result = run(fresh_db, "users", "deactivate", "ann")
    assert result.exit_code == 0, result.output
    with fresh_db.sessions() as session:
        assert store.authenticate(session, "ann", PASSWORD) is None
    missing = run(fresh_db, "users", "deactivate", "nobody")
    assert missing.exit_code == 2 and "name: no user 'nobody'" in missing.output
