"""Storing cables, on SQLite and PostgreSQL: versions, idempotence, reactions, claims, the search entry."""

from __future__ import annotations

from sqlalchemy import func, select

import test_cables_corpus as corpus
from tiptiers.sources.cables import parse_cable
from tiptiers.store.cables import (
    CableReactionRecord,
    CableRecord,
    ParsedCable,
    cable_versions,
    country_cables,
    get_cable,
    store_cables,
)
from tiptiers.store.db import transaction
from tiptiers.store.search import SearchFilters, search


def parsed(text: str, source: str = "test") -> ParsedCable:
    cable = parse_cable(text, source=source)
    return ParsedCable.of(cable, text, source)


def test_a_cable_is_stored_with_every_field_its_reactions_and_its_claim(fresh_db):
    with transaction(fresh_db.sessions) as s:
        result = store_cables(s, [parsed(corpus.original())])
    assert (result.added, result.new_versions, result.skipped) == (1, 0, 0)
    with fresh_db.sessions() as s:
        record = get_cable(s, "08tokyo1528")
        assert record is not None and record.version == 1 and record.is_current
        assert (record.iso3, record.report_year, record.classification) == ("JPN", 2008, "CONFIDENTIAL")
        assert record.parsed["header"]["origin"] == "AMEMBASSY TOKYO"
        assert record.text == corpus.original()
        codes = {r.code for r in record.reaction_rows}
        assert {"negative", "disappointment", "objection", "not_fair", "harming_relations"} <= codes
        assert all(r.citations and r.citations[0]["sentence"] for r in record.reaction_rows)
        assert [c.claim for c in record.disputed_claims] == [
            "Japanese law not criminalizing labor recruiting through fraud"]
        assert [c.reference_id for c in country_cables(s, "JPN")] == ["08TOKYO1528"]


def test_same_text_is_skipped_changed_text_is_a_new_version(fresh_db):
    with transaction(fresh_db.sessions) as s:
        store_cables(s, [parsed(corpus.original())])
    with transaction(fresh_db.sessions) as s:
        again = store_cables(s, [parsed(corpus.original())])
    assert (again.added, again.new_versions, again.skipped) == (0, 0, 1)
    with transaction(fresh_db.sessions) as s:
        changed = store_cables(s, [parsed(corpus.complete())])
    assert (changed.added, changed.new_versions) == (0, 1)
    with transaction(fresh_db.sessions) as s:  # the first text again is not a third version
        assert store_cables(s, [parsed(corpus.original())]).skipped == 1
    with fresh_db.sessions() as s:
        assert [v for v, _, _ in cable_versions(s, "08TOKYO1528")] == [1, 2]
        current = get_cable(s, "08TOKYO1528")
        assert current.version == 2 and current.parsed["signature"] == "SCHIEFFER"
        assert get_cable(s, "08TOKYO1528", version=1).is_current is False
        hits = search(s, "avail", SearchFilters(kind="cable"))  # only the new version's words are indexed
        assert [h.ref_id for h in hits.hits] == ["08TOKYO1528"]
        assert search(s, "Schieffer Japan").total <= 1


def test_two_versions_in_one_batch(fresh_db):
    with transaction(fresh_db.sessions) as s:
        result = store_cables(s, [parsed(corpus.original()), parsed(corpus.complete())])
    assert (result.added, result.new_versions) == (1, 1)
    with fresh_db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(CableRecord).where(CableRecord.is_current)) == 1
        assert get_cable(s, "08TOKYO1528").version == 2


def test_a_failed_batch_stores_nothing(fresh_db):
    good = parsed(corpus.original())
    try:
        with transaction(fresh_db.sessions) as s:
            store_cables(s, [good])
            raise RuntimeError("interrupted")
    except RuntimeError:
        pass
    with fresh_db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(CableRecord)) == 0
        assert s.scalar(select(func.count()).select_from(CableReactionRecord)) == 0
        assert search(s, "Japan").total == 0
