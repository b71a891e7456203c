"""The activity log: appended in the change's transaction, and any edit or deletion is found by `verify`."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from tiptiers.store import activity
from tiptiers.store.db import make_engine, session_factory, transaction


def append(db, n, actor="ann"):
    with transaction(db.sessions) as session:
        for i in range(n):
            activity.record(session, actor, "evidence.add", f"JPN/2026/evidence:{i}", None, {"statement": f"s{i}"})


def problems(db):
    with db.sessions() as session:
        return activity.verify(session)


def tamper(db, sql):
    with db.engine.begin() as conn:
        conn.execute(text(sql))


def test_entries_chain_and_read_back_newest_first(fresh_db):
    append(fresh_db, 3)
    with transaction(fresh_db.sessions) as session:
        activity.record(session, "bob", "evidence.state", "JPN/2026/evidence:1", {"state": "unverified"},
                        {"state": "corroborated", "note": "Ministry of Justice, 2026-05-01"})
    with fresh_db.sessions() as session:
        rows = activity.entries(session)
        assert [r.seq for r in rows] == [4, 3, 2, 1]
        assert rows[0].before == {"state": "unverified"} and rows[0].after["state"] == "corroborated"
        assert rows[3].prev_hash == activity.GENESIS and rows[2].prev_hash == rows[3].hash
        assert [r.seq for r in activity.entries(session, actor="bob")] == [4]
        assert [r.seq for r in activity.entries(session, action="evidence.st")] == [4]
        assert [r.seq for r in activity.entries(session, subject="JPN/2026/evidence:1")] == [4, 2]
        assert [r.seq for r in activity.entries(session, before_seq=3, limit=1)] == [2]
    assert problems(fresh_db) == []


def test_an_entry_is_rolled_back_with_its_change(fresh_db):
    append(fresh_db, 1)
    with pytest.raises(RuntimeError), transaction(fresh_db.sessions) as session:
        activity.record(session, "ann", "evidence.add", "JPN/2026/evidence:9", None, {"x": 1})
        raise RuntimeError("the change failed")
    append(fresh_db, 1)
    with fresh_db.sessions() as session:
        assert [r.seq for r in activity.entries(session)] == [2, 1]
    assert problems(fresh_db) == []


def test_editing_an_entry_is_found_and_named(fresh_db):
    append(fresh_db, 5)
    tamper(fresh_db, "UPDATE activity_log SET after_json = '{\"statement\":\"softened\"}' WHERE seq = 3")
    found = problems(fresh_db)
    assert [p.seq for p in found] == [3]
    assert "entry 3: edited" in str(found[0])


def test_editing_an_entry_and_recomputing_its_hash_breaks_the_next_link(fresh_db):
    append(fresh_db, 4)
    with fresh_db.sessions() as session:
        e = session.get(activity.ActivityEntry, 2)
        forged = activity.entry_hash(e.prev_hash, e.seq, e.at, "mallory", e.action, e.subject, e.before_json,
                                     e.after_json)
    tamper(fresh_db, f"UPDATE activity_log SET actor = 'mallory', hash = '{forged}' WHERE seq = 2")
    found = problems(fresh_db)
    assert [p.seq for p in found] == [3] and "does not follow its predecessor" in str(found[0])


def test_deleting_an_entry_in_the_middle_or_at_the_end_is_found(fresh_db):
    append(fresh_db, 6)
    tamper(fresh_db, "DELETE FROM activity_log WHERE seq = 4")
    found = problems(fresh_db)
    assert found and found[0].seq == 4 and "entry 4 deleted" in str(found[0])
    tamper(fresh_db, "DELETE FROM activity_log WHERE seq >= 5")
    found = problems(fresh_db)
    assert [p.seq for p in found] == [4] and "should end at entry 6" in str(found[0])
    tamper(fresh_db, "DELETE FROM activity_head")
    assert "head row was deleted" in str(problems(fresh_db)[-1])


def test_concurrent_writers_keep_one_unbroken_chain(fresh_db):
    """Writers in separate connections append at once: the head row serialises them, no fork, no gap."""
    engine = make_engine(fresh_db.url)
    factory = session_factory(engine)
    errors: list[Exception] = []

    def writer(k: int) -> None:
        try:
            for i in range(5):
                with transaction(factory) as session:
                    activity.record(session, f"w{k}", "test.append", f"item:{k}:{i}", None, {"i": i})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    engine.dispose()
    assert errors == []
    with fresh_db.sessions() as session:
        assert sorted(r.seq for r in activity.entries(session, limit=1000)) == list(range(1, 21))
    assert problems(fresh_db) == []


def test_bad_entries_are_refused(fresh_db):
    with pytest.raises(ValueError, match=r"^actor: must not be empty"), transaction(fresh_db.sessions) as session:
        activity.record(session, " ", "x.y", "s", None, None)
    with pytest.raises(ValueError, match=r"^subject: 301 characters"), transaction(fresh_db.sessions) as session:
        activity.record(session, "ann", "x.y", "s" * 301, None, None)


def rewrite_from(db, seq, actor):
    """What an insider with write access could do: edit entry `seq`, then recompute every later hash and the head."""
    with transaction(db.sessions) as session:
        rows = session.query(activity.ActivityEntry).order_by(activity.ActivityEntry.seq).all()
        prev = rows[seq - 2].hash if seq > 1 else activity.GENESIS
        for row in rows[seq - 1:]:
            if row.seq == seq:
                row.actor = actor
            row.prev_hash = prev
            row.hash = f"{row.seq:064d}"  # free the unique hash before the real one is written
            session.flush()
            row.hash = prev = activity.entry_hash(prev, row.seq, row.at, row.actor, row.action, row.subject,
                                                  row.before_json, row.after_json)
        session.flush()
        head = session.get(activity.ActivityHead, activity.HEAD_ID)
        head.hash = prev


def test_an_anchor_kept_outside_catches_a_rewritten_chain(fresh_db):
    append(fresh_db, 3)
    with fresh_db.sessions() as session:
        kept = activity.head(session)
    assert kept == activity.Anchor(3, kept.hash)
    append(fresh_db, 2)
    with fresh_db.sessions() as session:
        assert activity.verify(session, anchors=[kept]) == []

    rewrite_from(fresh_db, 2, "mallory")
    with fresh_db.sessions() as session:
        assert activity.verify(session) == []  # the chain alone is consistent again: that is the gap anchors close
        found = activity.verify(session, anchors=[kept])
    assert [(p.seq, "kept outside the database" in p.message) for p in found] == [(3, True)]


def test_an_anchor_beyond_the_log_means_entries_were_deleted(fresh_db):
    append(fresh_db, 2)
    with fresh_db.sessions() as session:
        found = activity.verify(session, anchors=[activity.Anchor(9, "ab" * 32)])
    assert [p.seq for p in found] == [9] and "missing from the log" in found[0].message


@pytest.mark.parametrize("text", ["", "3", "x:" + "ab" * 32, "0:" + "ab" * 32, "3:abc", "3:" + "zz" * 32])
def test_a_malformed_anchor_is_refused_with_the_reason(text):
    with pytest.raises(ValueError, match=r"anchor|hash"):
        activity.Anchor.parse(text)
