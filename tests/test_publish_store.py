"""Publication store on SQLite and PostgreSQL: embargo times, frozen years, narrative versions and corrections."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from tiptiers.sources.placements import parse_placements
from tiptiers.store import publication as pub
from tiptiers.store.db import transaction
from tiptiers.store.placements import import_placements, sync_countries

NOW = datetime(2026, 11, 26, 12, 0)


def _seed(db, rows: str = "iso3,year,tier\nJPN,2026,2\nKOR,2026,1\nJPN,2025,2WL\n") -> None:
    with transaction(db.sessions) as s:
        sync_countries(s)
        import_placements(s, parse_placements(rows, source="t.csv"), source="t.csv")


def test_imported_history_is_published_on_its_june_1_and_only_that(fresh_db):
    _seed(fresh_db)
    with fresh_db.sessions() as s:
        assert pub.is_public(s, 2026, datetime(2026, 6, 1))
        assert not pub.is_public(s, 2026, datetime(2026, 5, 31, 23, 59))
        assert pub.public_years(s, [2024, 2025, 2026, 2027], datetime(2026, 7, 1)) == [2025, 2026]
        assert s.get(pub.Publication, 2026).scheduled_by == pub.HISTORY
    upcoming = date.today().year + 1  # its June 1 is ahead: no history yet; publishing it makes it public
    _seed(fresh_db, f"iso3,year,tier\nJPN,{upcoming},2\n")
    with fresh_db.sessions() as s:
        assert pub.publication_time(s, upcoming) is None
        assert not pub.is_public(s, upcoming, datetime(upcoming + 1, 1, 1))


def test_a_year_with_drafts_is_never_public_until_someone_publishes_it(fresh_db):
    """December 2026: a draft for 2026, whose June 1 has passed, was public the moment it was saved (a year never
    scheduled counted as published on June 1), and `publish 2026 --at <future>` was refused as frozen."""
    from tiptiers.store import evidence

    with transaction(fresh_db.sessions) as s:
        sync_countries(s)
        evidence.add_evidence(s, iso3="JPN", year=2026, criteria=["criterion_1"], statement="A draft claim.",
                              source_type="ngo", source_name="An NGO", entered_by="analyst")
        pub.save_narrative(s, "JPN", 2026, "# Japan\n\nA draft.", "analyst", now=NOW)
    _seed(fresh_db, "iso3,year,tier\nJPN,2026,2\n")  # placements imported for the year in preparation
    later = NOW + timedelta(days=30)
    with transaction(fresh_db.sessions) as s:
        assert not pub.is_public(s, 2026, NOW) and pub.public_years(s, [2026], later) == []
        assert pub.public_narrative(s, "JPN", 2026, NOW) is None
        pub.schedule_publication(s, 2026, later, "admin", now=NOW, ignore_gate=True)  # not frozen: never public
    with fresh_db.sessions() as s:
        assert not pub.is_public(s, 2026, later - timedelta(seconds=1)) and pub.is_public(s, 2026, later)


def test_a_scheduled_year_is_embargoed_until_its_time_then_frozen(fresh_db):
    _seed(fresh_db, "iso3,year,tier\nJPN,2027,2\n")
    at = datetime(2027, 6, 20, 14, 0)
    with transaction(fresh_db.sessions) as s:
        pub.schedule_publication(s, 2027, at, "admin", now=NOW)
    with transaction(fresh_db.sessions) as s:
        assert not pub.is_public(s, 2027, at - timedelta(seconds=1))
        assert pub.is_public(s, 2027, at)
        pub.schedule_publication(s, 2027, at + timedelta(days=1), "admin", now=NOW)  # still movable before
    with pytest.raises(pub.PublicationError, match=r"^publish_at: .*frozen"), transaction(fresh_db.sessions) as s:
        pub.schedule_publication(s, 2027, datetime(2027, 7, 1), "admin", now=datetime(2027, 6, 25))


def test_publishing_a_year_without_placements_is_refused(fresh_db):
    _seed(fresh_db)
    with pytest.raises(pub.PublicationError, match=r"^year: no placements"), transaction(fresh_db.sessions) as s:
        pub.schedule_publication(s, 2024, NOW, "admin", now=NOW)
    with fresh_db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(pub.Publication).where(pub.Publication.year == 2024)) == 0


def test_the_review_gate_blocks_publication_of_an_assessed_country(fresh_db):
    from tiptiers.store import evidence

    _seed(fresh_db, "iso3,year,tier\nJPN,2027,2\n")
    with transaction(fresh_db.sessions) as s:
        evidence.add_evidence(s, iso3="JPN", year=2027, criteria=["criterion_1"], statement="No convictions.",
                              source_type="ngo", source_name="An NGO", entered_by="analyst")
    with pytest.raises(pub.PublicationError, match=r"^gate: .*JPN"), transaction(fresh_db.sessions) as s:
        pub.schedule_publication(s, 2027, datetime(2027, 6, 1), "admin", now=NOW)
    with fresh_db.sessions() as s:
        assert s.get(pub.Publication, 2027) is None


def test_narrative_versions_and_corrections_after_publication(fresh_db):
    _seed(fresh_db)
    before, after = datetime(2026, 5, 1), datetime(2026, 7, 1)
    with transaction(fresh_db.sessions) as s:
        v1 = pub.save_narrative(s, "jpn", 2026, "# Japan\n\nFirst text.", "ana", now=before)
        v2 = pub.save_narrative(s, "JPN", 2026, "# Japan\n\nSecond text.", "ana", now=before + timedelta(days=1))
    assert (v1.version, v2.version) == (1, 2)
    with pytest.raises(pub.PublicationError, match=r"^note: "), transaction(fresh_db.sessions) as s:
        pub.save_narrative(s, "JPN", 2026, "# Japan\n\nCorrected.", "ana", now=after)
    with transaction(fresh_db.sessions) as s:
        pub.save_narrative(s, "JPN", 2026, "# Japan\n\nCorrected.", "ana", note="figure fixed", now=after)
    with fresh_db.sessions() as s:
        assert pub.public_narrative(s, "JPN", 2026, datetime(2026, 5, 15)) is None  # embargo
        shown = pub.public_narrative(s, "JPN", 2026, after)
        assert shown is not None and shown.frozen is not None
        assert shown.frozen.markdown.endswith("Second text.")
        assert [c.note for c in shown.corrections] == ["figure fixed"]
        assert shown.current is shown.corrections[-1]


@pytest.mark.parametrize(("iso3", "markdown", "author", "field"), [
    ("XXX", "text", "ana", "iso3"), ("JPN", "  ", "ana", "markdown"), ("JPN", "a\x00b", "ana", "markdown"),
    ("JPN", "text", " ", "author"),
])
def test_bad_narrative_input_names_the_field_and_stores_nothing(fresh_db, iso3, markdown, author, field):
    _seed(fresh_db)
    with pytest.raises(pub.PublicationError, match=f"^{field}: "), transaction(fresh_db.sessions) as s:
        pub.save_narrative(s, iso3, 2026, markdown, author, now=datetime(2026, 5, 1))
    with fresh_db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(pub.NarrativeVersion)) == 0


def test_the_cache_fingerprint_changes_with_a_new_version_or_a_new_publication_time(fresh_db):
    _seed(fresh_db, "iso3,year,tier\nJPN,2027,2\nKOR,2027,1\n")
    with fresh_db.sessions() as s:
        empty = pub.fingerprint(s, "JPN", 2027), pub.fingerprint(s, None, 2027)
    with transaction(fresh_db.sessions) as s:
        pub.save_narrative(s, "KOR", 2027, "# Korea", "ana", now=NOW)
    with fresh_db.sessions() as s:
        assert pub.fingerprint(s, "JPN", 2027) == empty[0]  # another country's edit leaves Japan's pages alone
        assert pub.fingerprint(s, None, 2027) != empty[1]
    with transaction(fresh_db.sessions) as s:
        pub.schedule_publication(s, 2027, datetime(2027, 6, 1), "admin", now=NOW)
    with fresh_db.sessions() as s:
        assert pub.fingerprint(s, "JPN", 2027) != empty[0]


def test_the_upgrade_turns_the_june_1_rule_into_rows_for_history_only(fresh_db):
    """A database of the old rule: 2008 (history) and 2026 (placements and a draft claim, public since June 1 under
    the old rule). After the upgrade 2008 is published on June 1 as history; 2026 waits for someone to publish it."""
    from alembic import command

    from tiptiers.store import evidence, migrate

    with transaction(fresh_db.sessions) as s:  # through today's model, before the downgrade converts it back
        sync_countries(s)
        evidence.add_evidence(s, iso3="JPN", year=2026, criteria=["criterion_1"], statement="A draft claim.",
                              source_type="ngo", source_name="An NGO", entered_by="analyst")
    config = migrate.alembic_config()
    with fresh_db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0013_final_stage")
        # the columns of that schema (the model has more since)
        connection.execute(text("INSERT INTO placements (iso3, year, tier, source) VALUES ('JPN', 2008, '2', 'old'), "
                                "('JPN', 2026, '2', 'old')"))
    migrate.upgrade(fresh_db.engine)
    with fresh_db.sessions() as s:
        assert pub.publication_time(s, 2008) == datetime(2008, 6, 4)  # the day the 2008 report came out
        assert s.get(pub.Publication, 2008).scheduled_by == pub.HISTORY
        assert pub.publication_time(s, 2026) is None and not pub.is_public(s, 2026)
