"""Overrides, waivers and the history audit on the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tiptiers.engine import Override, Waiver
from tiptiers.engine.audit import DOWNGRADE, WAIVER, audit_history
from tiptiers.store.db import transaction
from tiptiers.store.engine import (
    EngineRecordError,
    add_override,
    add_waiver,
    all_histories,
    engine_inputs,
    get_override,
    list_overrides,
    list_waivers,
    placement_history,
)
from tiptiers.store.placements import sync_countries
from tiptiers.tiers import Tier


def _override(iso3: str = "JPN", year: int = 2008, tier: Tier = Tier.WATCH_LIST) -> Override:
    return Override(iso3=iso3, year=year, tier=tier, justification="victim identification collapsed", author="analyst")


def test_overrides_are_stored_listed_per_year_and_never_silently_replaced(fresh_db):
    with transaction(fresh_db.sessions) as session:
        sync_countries(session)
        add_override(session, _override())
        add_override(session, _override("KOR", 2008, Tier.TIER_1))
        add_override(session, _override("JPN", 2009))
    with fresh_db.sessions() as session:
        assert [(o.iso3, o.year) for o in list_overrides(session, year=2008)] == [("JPN", 2008), ("KOR", 2008)]
        assert get_override(session, "JPN", 2008) == _override()
        assert get_override(session, "JPN", 2010) is None
    with pytest.raises(EngineRecordError, match="already has an override"), transaction(fresh_db.sessions) as session:
        add_override(session, _override(tier=Tier.TIER_3))
    with transaction(fresh_db.sessions) as session:
        add_override(session, _override(tier=Tier.TIER_3), replace=True)
    with fresh_db.sessions() as session:
        found = get_override(session, "JPN", 2008)
        assert found is not None and found.tier == Tier.TIER_3


def test_a_bad_record_stores_nothing_of_its_transaction(fresh_db):
    with transaction(fresh_db.sessions) as session:
        sync_countries(session)
    with pytest.raises(EngineRecordError, match="iso3: unknown country 'ZZZ'"), \
            transaction(fresh_db.sessions) as session:
        add_waiver(session, Waiver(iso3="CHN", year=2011, justification="national interest"))
        add_waiver(session, Waiver(iso3="ZZZ", year=2011, justification="national interest"))
    with fresh_db.sessions() as session:
        assert list_waivers(session) == []


def test_waivers_round_trip(fresh_db):
    with transaction(fresh_db.sessions) as session:
        sync_countries(session)
        for year in (2011, 2012):
            add_waiver(session, Waiver(iso3="CHN", year=year, justification=f"national interest {year}"))
    with fresh_db.sessions() as session:
        assert [w.year for w in list_waivers(session, iso3="CHN")] == [2011, 2012]
        assert list_waivers(session, year=2012)[0].justification == "national interest 2012"


def test_audit_of_the_bundled_history_finds_the_known_downgrades(loaded_db):
    with loaded_db.sessions() as session:
        histories = all_histories(session)
        assert [h.year for h in placement_history(session, "CHN", before=2004)] == [2001, 2002, 2003]
    events = audit_history(histories)
    downgrades = {(e.iso3, e.year): e for e in events if e.kind == DOWNGRADE}
    for iso3 in ("CHN", "RUS", "UZB"):
        assert downgrades[(iso3, 2013)].waiver_years == (2011, 2012)
        waivers = [e.year for e in events if e.kind == WAIVER and e.iso3 == iso3]
        assert waivers == [2011, 2012]
    for iso3 in ("THA", "MYS"):
        assert downgrades[(iso3, 2014)].waiver_years == (2012, 2013)
    assert all(e.year >= 2011 for e in events)  # Watch List years count from 2009: nothing engages before 2011


def test_engine_inputs_is_the_history_waiver_and_override_of_a_country_year_in_one_query(fresh_db):
    fresh_db.load_bundled()
    waiver = Waiver(iso3="CHN", year=2011, justification="national interest")
    with transaction(fresh_db.sessions) as session:
        add_waiver(session, waiver)
        add_waiver(session, Waiver(iso3="CHN", year=2012, justification="another year"))
        add_override(session, _override("CHN", 2011, Tier.TIER_3))
        add_override(session, _override("RUS", 2011, Tier.TIER_3))
    with fresh_db.sessions() as session:
        history, waivers, override = engine_inputs(session, "CHN", 2011)
        assert history == placement_history(session, "CHN", before=2011) and history[-1].year == 2010
        assert waivers == [waiver] and override == _override("CHN", 2011, Tier.TIER_3)
        assert engine_inputs(session, "CHN", 2011, history=False) == ([], [waiver], override)
        assert engine_inputs(session, "CHN", 2011, records=False) == (history, [], None)
        assert engine_inputs(session, "CHN", 2011, history=False, records=False) == ([], [], None)
        assert engine_inputs(session, "JPN", 2001) == ([], [], None)
