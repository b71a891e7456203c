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


def test_stored_compressed_and_the_migration_converts_rows_both_ways(fresh_db):
    """0017 keeps text and fields in one compressed column and the search body compressed; rows stored before it
    are converted (downgrade to 0016 gives the old columns back, upgrade packs them again), and search still finds
    the cable, with its snippet, on both backends."""
    from alembic import command
    from sqlalchemy import text

    from tiptiers.store import migrate

    original = corpus.original()
    with transaction(fresh_db.sessions) as s:
        store_cables(s, [parsed(original)])
    with fresh_db.sessions() as s:
        record = get_cable(s, "08TOKYO1528")
        assert record is not None and len(record.content) < len(original.encode())  # text and fields, packed
        fields = record.parsed
    config = migrate.alembic_config()
    with fresh_db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0016_hosts")
    with fresh_db.engine.connect() as conn:
        old_text, old_parsed = conn.execute(text("SELECT text, parsed FROM cables")).one()
        body = conn.execute(text("SELECT body FROM search_documents")).scalar_one()
    assert old_text == original and "criminalizing labor recruiting through fraud" in body
    assert (old_parsed if isinstance(old_parsed, dict) else __import__("json").loads(old_parsed)) == fields
    migrate.upgrade(fresh_db.engine)
    with fresh_db.sessions() as s:
        record = get_cable(s, "08TOKYO1528")
        assert record is not None and record.text == original and record.parsed == fields
        found = search(s, "labor recruiting fraud")
        assert [h.ref_id for h in found.hits] == ["08TOKYO1528"] and "\x02fraud\x03" in found.hits[0].snippet
    with transaction(fresh_db.sessions) as s:  # a new version replaces the search entry converted by the migration
        store_cables(s, [parsed(original.replace("completely false", "entirely false"))])
    with fresh_db.sessions() as s:
        assert search(s, "completely").total == 0 and search(s, "entirely").total == 1


def test_the_sqlite_index_merges_sixteen_segments_at_a_time(fresh_db):
    """Migration 0025: bulk ingest spends a third less of the index's CPU in merges; a downgrade restores the
    defaults."""
    if fresh_db.engine.dialect.name != "sqlite":
        return
    from alembic import command

    from tiptiers.store import migrate

    def config() -> dict[str, int]:
        with fresh_db.engine.connect() as conn:
            return {k: int(v) for k, v in conn.exec_driver_sql("SELECT k, v FROM search_fts_config WHERE k IN "
                                                               "('automerge', 'crisismerge')")}

    assert config() == {"automerge": 16, "crisismerge": 64}
    alembic_config = migrate.alembic_config()
    with fresh_db.engine.begin() as conn:
        alembic_config.attributes["connection"] = conn
        command.downgrade(alembic_config, "0024_user_name_key")
    assert config() == {"automerge": 4, "crisismerge": 16}
    migrate.upgrade(fresh_db.engine)
    assert config() == {"automerge": 16, "crisismerge": 64}
