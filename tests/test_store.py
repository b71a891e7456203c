"""The store on both backends: migrations, the bundled history, idempotent imports."""

from sqlalchemy import func, inspect, select, text

from tiptiers.sources.placements import parse_placements
from tiptiers.store import migrate
from tiptiers.store.db import transaction
from tiptiers.store.models import Placement, ThreePScore
from tiptiers.store.placements import country_history, import_placements, load_bundled, year_placements

BUNDLED_ROWS = 2251 + 954  # the 2001-2015 file and the 2009-2025 one (data/tip_history.yaml)


def test_migrations_create_the_tables_and_leave_nothing_pending(fresh_db):
    tables = set(inspect(fresh_db.engine).get_table_names())
    assert {"countries", "placements", "three_p_scores", "alembic_version"} <= tables
    assert migrate.pending_revisions(fresh_db.engine) == set()


def test_sqlite_runs_in_wal_mode(fresh_db):
    if fresh_db.backend != "sqlite":
        return
    with fresh_db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_bundled_history_loads_every_row_including_non_iso_entities(loaded_db):
    with loaded_db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Placement)) == BUNDLED_ROWS
        assert session.scalar(select(func.count()).select_from(ThreePScore)) == 2144
        japan = [(p.year, p.tier) for p in country_history(session, "JPN")]
        assert (2004, "2WL") in japan and (2008, "2") in japan
        assert [p.tier for p in country_history(session, "XKX")]  # Kosovo, KOS in the source
        assert {p.iso3 for p in year_placements(session, 2015)} >= {"ABW", "CUW", "SXM", "HKG"}


def test_loading_the_bundle_twice_changes_nothing(fresh_db):
    with transaction(fresh_db.sessions) as session:
        first = load_bundled(session)
    with transaction(fresh_db.sessions) as session:
        second = load_bundled(session)
    assert first.placements.added == BUNDLED_ROWS and first.waivers_added == 64 and first.coverage_years == 25
    p = second.placements
    assert (p.added, p.updated, p.unchanged, p.corrected, second.changed) == (0, 0, BUNDLED_ROWS, 0, False)


def test_import_adds_then_corrects_then_is_idempotent(fresh_db):
    with transaction(fresh_db.sessions) as session:
        load_bundled(session)
    rows = parse_placements("iso3,year,tier\nJPN,2026,2\nJPN,2015,1\n")
    with transaction(fresh_db.sessions) as session:
        result = import_placements(session, rows, "test", correction="the 2015 report placed Japan on Tier 1")
    assert (result.added, result.updated, result.corrected) == (1, 0, 1)
    with transaction(fresh_db.sessions) as session:
        again = import_placements(session, rows, "test")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    with fresh_db.sessions() as session:
        japan = {p.year: p for p in country_history(session, "JPN")}
        assert (japan[2015].tier, japan[2015].origin, japan[2026].tier) == ("1", "correction", "2")


def test_a_failed_transaction_stores_nothing(fresh_db):
    with transaction(fresh_db.sessions) as session:
        load_bundled(session)
    rows = parse_placements("iso3,year,tier\nJPN,2016,2\n")
    try:
        with transaction(fresh_db.sessions) as session:
            import_placements(session, rows, "test")
            raise RuntimeError("crash after the rows were written")
    except RuntimeError:
        pass
    with fresh_db.sessions() as session:
        assert 2016 not in [p.year for p in country_history(session, "JPN")]
