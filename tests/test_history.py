"""The public history 2001-2025 on both backends: every row with its provenance, each year's coverage, waivers on
record, the audit over 2009-2025 on the real data, and `init` never undoing a change someone made."""

from collections import Counter

from sqlalchemy import select, update

from tiptiers.coverage import WaiverCoverage
from tiptiers.engine.audit import DOWNGRADE, INCONSISTENCY, UNDECIDED, WAIVER, audit_history
from tiptiers.sources.placements import parse_placements
from tiptiers.store import activity
from tiptiers.store.activity import ActivityEntry
from tiptiers.store.db import transaction
from tiptiers.store.engine import (
    WaiverRecord,
    all_histories,
    list_waivers,
    placement_history,
    placement_sources,
    waiver_records,
)
from tiptiers.store.models import Placement, PlacementCorrection
from tiptiers.store.placements import (
    ImportRefused,
    all_coverage,
    country_history,
    import_placements,
    load_bundled,
    placement_corrections,
    year_coverage,
    year_placements,
)

# Countries placed per year by the bundled files (data/tip_history.yaml): the first file, and the second's rows.
PLACED = {2001: 79, 2002: 87, 2003: 114, 2004: 131, 2005: 141, 2006: 148, 2007: 149, 2008: 151, 2009: 174,
          2010: 173, 2011: 178, 2012: 182, 2013: 182, 2014: 182, 2015: 188, 2016: 35, 2017: 54, 2018: 47, 2019: 48,
          2020: 188, 2021: 188, 2022: 74, 2023: 184, 2024: 68, 2025: 60}


def _tiers(session, iso3):
    return {p.year: p.tier for p in country_history(session, iso3)}


def test_every_year_2001_2025_is_loaded_with_the_source_and_method_of_every_row(loaded_db):
    with loaded_db.sessions() as session:
        rows = list(session.scalars(select(Placement)))
        assert Counter(p.year for p in rows) == PLACED
        assert all(p.source and p.method in ("listed", "derived") and p.origin == "bundled" for p in rows)
        assert max(len(p.source) for p in rows) > 200  # kept whole: the column was String(200)
        assert sum(p.method == "derived" for p in rows) == 41
        assert _tiers(session, "KOR")[2009] == "1" and _tiers(session, "USA")[2010] == "1"
        assert _tiers(session, "LBY")[2025] == "special" and _tiers(session, "HTI")[2009] == "special"
        assert 180 <= len(year_placements(session, 2023)) <= 188
        congo = {p.year: p for p in country_history(session, "COG")}[2023]
        assert congo.tier == "2WL" and "Factbook" in congo.source  # the conflict of the README: Watch List kept
        canada = {p.year: p for p in country_history(session, "CAN")}[2016]
        assert canada.method == "derived" and "remained on Tier 1" in (canada.evidence or "")


def test_each_year_says_how_complete_it_is(loaded_db):
    with loaded_db.sessions() as session:
        coverage = all_coverage(session)
    assert sorted(coverage) == list(range(2001, 2026))
    assert [y for y, c in coverage.items() if c.complete] == [2009, 2015]
    assert coverage[2009].official_count == 173 and coverage[2017].official_count == 187
    assert {t.value for t in coverage[2024].full_tiers} == {"2WL", "3", "special"}
    assert {t.value for t in coverage[2023].full_tiers} == {"2WL", "3"}
    assert coverage[2020].gaps.keys() == {"KIR"} and not coverage[2020].complete
    assert coverage[2021].waivers == WaiverCoverage.PARTIAL and coverage[2025].waivers == WaiverCoverage.NONE
    assert coverage[2024].absent_means("FRA") == "not in the sources we have: Tier 1 and Tier 2, or not ranked"
    assert coverage[2009].absent_means("VAT") == "not ranked this year"


def test_waivers_are_records_with_their_memorandum(loaded_db):
    with loaded_db.sessions() as session:
        waivers = list_waivers(session)
        records = waiver_records(session)
    assert len(waivers) == 64 and Counter(w.year for w in waivers)[2021] == 7
    congo = next(w for w in waivers if w.year == 2022 and w.iso3 == "COD")
    assert congo.justification.startswith("Memorandum of Justification") and "federalnewswire" in (congo.source or "")
    assert records.year_coverage(2022) == WaiverCoverage.COMPLETE and records.has("COD", 2022)


def test_the_history_marks_the_years_not_in_the_sources(loaded_db):
    with loaded_db.sessions() as session:
        history = {h.year: h.tier for h in placement_history(session, "PAK", before=2026)}
    assert history[2017] is not None and 2016 in history and history[2016] is None  # 2016: Pakistan not in the sources
    assert 2024 not in history or history[2024] is not None  # 2024's Watch List is whole: absent means off it


def test_the_audit_over_2009_2025_finds_the_known_downgrades_and_does_not_guess(loaded_db):
    with loaded_db.sessions() as session:
        events = audit_history(all_histories(session), waivers=waiver_records(session),
                               sources=placement_sources(session))
    by = {(e.iso3, e.year): e for e in events}
    for iso3 in ("CHN", "RUS", "UZB"):
        assert by[(iso3, 2013)].kind == DOWNGRADE and by[(iso3, 2013)].waiver_years == (2011, 2012)
    for iso3 in ("THA", "MYS"):
        assert by[(iso3, 2014)].kind == DOWNGRADE
    for iso3 in ("GNQ", "TCD"):  # waived in 2022 (memorandum on record), downgraded in 2023
        assert by[(iso3, 2022)].kind == WAIVER and "on record" in by[(iso3, 2022)].text
        assert by[(iso3, 2023)].kind == DOWNGRADE
    assert by[("BRN", 2024)].kind == DOWNGRADE and "after a downgrade" in by[("BRN", 2024)].text
    # Comoros: Watch List 2011-2014, 2010 not in the sources: its third and fourth years cannot be told
    assert by[("COM", 2013)].kind == UNDECIDED and "cannot tell: 2010 not in the sources" in by[("COM", 2013)].text
    # every waiver on record appears, and no legal sequence is flagged
    with loaded_db.sessions() as session:
        waived = {(w.iso3, w.year) for w in session.scalars(select(WaiverRecord))}
    assert waived <= {(e.iso3, e.year) for e in events if e.kind == WAIVER}
    assert not [e for e in events if e.kind == INCONSISTENCY]
    assert all(2009 <= e.year <= 2025 for e in events)


def test_init_never_undoes_a_change_and_reports_a_newer_bundled_value_instead(fresh_db):
    fresh_db.load_bundled()
    rows = parse_placements("iso3,year,tier\nJPN,2010,3\n")
    with transaction(fresh_db.sessions) as session:
        try:
            import_placements(session, rows, "import:f.csv")
            raise AssertionError("a published placement changed silently")
        except ImportRefused as exc:
            assert "JPN 2010: published as Tier 2" in str(exc) and "--correction" in str(exc)
    with fresh_db.sessions() as session:
        assert _tiers(session, "JPN")[2010] == "2"  # nothing stored
    with transaction(fresh_db.sessions) as session:
        result = import_placements(session, rows, "import:f.csv", actor="ana", correction="checked against the report")
    assert result.corrected == 1
    with transaction(fresh_db.sessions) as session:
        report = load_bundled(session)
    assert report.placements.corrected == 0 and report.not_applied == [
        "JPN 2010: Tier 3 (import:f.csv) kept; the bundled history 2026.12.1 says Tier 2"]
    with fresh_db.sessions() as session:
        assert _tiers(session, "JPN")[2010] == "3"
        [correction] = placement_corrections(session, iso3="JPN")
        assert (correction.previous_tier, correction.tier, correction.author, correction.reason) == (
            "2", "3", "ana", "checked against the report")
        actions = [e.action for e in session.scalars(select(ActivityEntry).order_by(ActivityEntry.seq))]
    # one entry per run (and one for the years the bundle recorded as published); the re-run of init changed nothing
    assert actions == ["publication.history", "history.load", "placements.import"]


def test_the_bundle_updates_its_own_rows_as_a_dated_correction(fresh_db):
    fresh_db.load_bundled()
    with transaction(fresh_db.sessions) as session:  # an older bundle had another value for this row
        session.execute(update(Placement).where(Placement.iso3 == "KOR", Placement.year == 2009).values(tier="2"))
        activity.record(session, "test", "placement.set", "placement:KOR/2009", None, {"tier": "2"})
    with transaction(fresh_db.sessions) as session:
        report = load_bundled(session)
    assert report.placements.corrected == 1 and not report.not_applied
    with fresh_db.sessions() as session:
        assert _tiers(session, "KOR")[2009] == "1"
        [c] = session.scalars(select(PlacementCorrection)).all()
        assert (c.previous_tier, c.tier) == ("2", "1") and c.author.startswith("tiptiers bundled history")


def test_a_year_not_yet_published_may_change_without_a_correction(fresh_db):
    fresh_db.load_bundled()
    with transaction(fresh_db.sessions) as session:
        from tiptiers.store.publication import schedule_publication, utcnow

        import_placements(session, parse_placements("iso3,year,tier\nJPN,2027,2\n"), "draft.csv")
        schedule_publication(session, 2027, utcnow().replace(year=utcnow().year + 1), "ana")
    with transaction(fresh_db.sessions) as session:
        result = import_placements(session, parse_placements("iso3,year,tier\nJPN,2027,3\n"), "draft2.csv")
    assert (result.updated, result.corrected) == (1, 0)
    with fresh_db.sessions() as session:
        assert year_coverage(session, 2027).full_tiers == frozenset()  # nothing said of 2027's coverage
