"""kill -9 in the middle of `tiptiers ingest cables`, then ingest again: no duplicate, no half-stored cable, and the
database passes its integrity check. The kill is proven to land mid-ingest: some batches are committed, not all,
and a write transaction is open at the moment of the kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from test_faults_import import _write_transaction_open as sqlite_write_locked
from test_fuzz_cables import FIXTURE
from tiptiers.sources.cables import decode, parse_cable
from tiptiers.sources.reactions import code_reactions
from tiptiers.store.cables import CableReactionRecord, CableRecord, DisputedClaimRecord
from tiptiers.store.search import SearchDocument

TIPTIERS = str(Path(sys.executable).with_name("tiptiers"))
CABLES = 600
BATCH = 40

NEUTRAL_BODY = """SUBJECT: RICE IMPORT TENDER RESULTS

1. (U) The ministry published the results of the monthly rice import tender on June 3.

2. (U) Volumes were in line with forecasts, the ministry said. Prices rose slightly.

3. (U) Comment: no change in policy is expected this year. End comment.
SCHIEFFER
"""


def _templates() -> list[str]:
    """Three shapes of cable, so that stored cables differ in paragraphs, reaction codes and disputed claims."""
    original = FIXTURE.read_text(encoding="utf-8")
    shorter = original[:original.index("## Ranking process unfair")]
    neutral = original[:original.index("SUBJECT:")] + NEUTRAL_BODY
    return [original, shorter, neutral]


def _write_cables(folder: Path) -> dict[str, tuple[int, tuple[str, ...], int]]:
    """CABLES files 08TOKYO<serial>.txt; returns what each must be stored with: (paragraphs, codes, claims)."""
    folder.mkdir()
    expected_by_template = []
    for template in _templates():
        cable = parse_cable(template)
        coding = code_reactions(cable)
        expected_by_template.append((len(cable.paragraphs), tuple(sorted(coding.codes)), len(coding.disputed_claims)))
    assert len({e for e in expected_by_template}) == 3, "the templates must differ"
    expected = {}
    templates = _templates()
    for n in range(CABLES):
        serial = 10_000 + n
        body = templates[n % 3].replace("TOKYO 001528", f"TOKYO {serial:06d}").replace("#1528 ", f"#{serial} ")
        (folder / f"08TOKYO{serial}.txt").write_text(body, encoding="utf-8")
        expected[f"08TOKYO{serial}"] = expected_by_template[n % 3]
    # the generated files really parse as the cables they are named after
    sample = decode((folder / "08TOKYO10001.txt").read_bytes())
    assert parse_cable(sample).reference_id == "08TOKYO10001"
    return expected


def _write_transaction_open(db, app_name: str) -> bool:
    """True while the ingest process holds an uncommitted write."""
    if db.backend == "sqlite":
        return sqlite_write_locked(db)  # the lead's probe: BEGIN IMMEDIATE is refused
    with db.engine.connect() as conn:
        query = text("SELECT count(*) FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND application_name = :a")
        return bool(conn.execute(query, {"a": app_name}).scalar())


def _committed(db) -> int:
    try:
        with db.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(CableRecord)) or 0)
    except OperationalError:  # SQLite: the writer is committing at this instant
        return -1


def _check_complete(db, expected: dict[str, tuple[int, tuple[str, ...], int]]) -> int:
    """Every stored cable is whole (its paragraphs, reaction codes, disputed claims, search entry) and stored once.
    Returns how many cables are stored."""
    with db.sessions() as session:
        refs = Counter(session.scalars(select(CableRecord.reference_id)))
        assert not [r for r, n in refs.items() if n > 1], "a cable stored twice"
        assert all(c == 1 for c in session.scalars(select(CableRecord.version)))
        codes: dict[int, list[str]] = {}
        for cable_id, code in session.execute(select(CableReactionRecord.cable_id, CableReactionRecord.code)):
            codes.setdefault(cable_id, []).append(code)
        claims = Counter(session.scalars(select(DisputedClaimRecord.cable_id)))
        indexed = Counter(session.scalars(select(SearchDocument.ref_id).where(SearchDocument.kind == "cable")))
        for cable_id, ref, parsed in ((c.id, c.reference_id, c.parsed) for c in session.scalars(select(CableRecord))):
            paragraphs, want_codes, want_claims = expected[ref]
            assert len(parsed["paragraphs"]) == paragraphs, ref
            assert tuple(sorted(codes.get(cable_id, []))) == want_codes, ref
            assert claims.get(cable_id, 0) == want_claims, ref
            assert indexed.get(ref) == 1, f"{ref} not in the search index exactly once"
        assert sum(indexed.values()) == len(refs), "a search entry without its cable"
        orphans = session.scalar(select(func.count()).select_from(CableReactionRecord)
                                 .where(CableReactionRecord.cable_id.not_in(select(CableRecord.id))))
        assert orphans == 0
    if db.backend == "sqlite":
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            assert conn.execute(text("PRAGMA foreign_key_check")).fetchall() == []
    return len(refs)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_kill_during_cable_ingest_then_resume(backend, make_db, tmp_path):
    db = make_db(backend)
    expected = _write_cables(tmp_path / "cables")
    app_name = f"tiptiers-ingest-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "TIPTIERS_DATABASE_URL": db.url, "PGAPPNAME": app_name}
    command = [TIPTIERS, "ingest", "cables", str(tmp_path / "cables"), "--batch-size", str(BATCH), "--json"]

    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)  # its own group: the kill takes its parser workers too
    deadline = time.monotonic() + 120
    seen = 0
    while True:
        if process.poll() is not None or time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"the ingest ended before it was caught mid-way (seen {seen} of {CABLES} committed)")
        seen = max(seen, _committed(db))
        if 0 < seen < CABLES - 2 * BATCH and _write_transaction_open(db, app_name):
            os.killpg(process.pid, signal.SIGKILL)
            break
        time.sleep(0.003)
    process.wait(10)
    assert process.returncode == -signal.SIGKILL

    stored = _check_complete(db, expected)
    assert BATCH <= stored < CABLES, "the kill did not land mid-ingest"
    assert stored % BATCH == 0, f"{stored} cables: a batch was half stored"

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert _check_complete(db, expected) == CABLES
    assert f'"added": {CABLES - stored}' in rerun.stdout and f'"skipped": {stored}' in rerun.stdout, rerun.stdout
