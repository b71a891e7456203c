"""Publication store on SQLite and PostgreSQL: embargo times, frozen years, narrative versions and corrections."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from tiptiers.sources.placements import parse_placements
from tiptiers.store import publication as pub
from tiptiers.store.db import transaction
from tiptiers.store.placements import import_placements, sync_countries

NOW = datetime(2026, 11, 26, 12, 0)


def _seed(db, rows: str = "iso3,year,tier\nJPN,2026,2\nKOR,2026,1\nJPN,2025,2WL\n") -> None:
    with transaction(db.sessions) as s:
        sync_countries(s)
        import_placements(s, parse_placements(rows, source="t.csv"), source="t.csv")


def test_years_never_scheduled_count_as_published_in_june(fresh_db):
    _seed(fresh_db)
    with fresh_db.sessions() as s:
        assert pub.is_public(s, 2026, datetime(2026, 6, 1))
        assert not pub.is_public(s, 2026, datetime(2026, 5, 31, 23, 59))
        assert pub.public_years(s, [2025, 2026, 2027], datetime(2026, 7, 1)) == [2025, 2026]


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
        assert s.scalar(select(func.count()).select_from(pub.Publication)) == 0


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
