"""The placements CSV reader: good files load, every bad row is named by line and field."""

import pytest

from tiptiers.sources.placements import PlacementFileError, parse_placements
from tiptiers.tiers import Tier


def errors_of(text: str) -> list[tuple[int, str]]:
    with pytest.raises(PlacementFileError) as caught:
        parse_placements(text)
    return [(e.line, e.field) for e in caught.value.errors]


def test_good_file_parses_with_extra_columns_ignored():
    rows = parse_placements("iso3,country,year,tier\nJPN,Japan,2004,2WL\nXKX,Kosovo,2015,2\nKOS,Kosovo,2014,2\n")
    assert [(r.iso3, r.year, r.tier) for r in rows] == [
        ("JPN", 2004, Tier.WATCH_LIST), ("XKX", 2015, Tier.TIER_2), ("XKX", 2014, Tier.TIER_2)]


@pytest.mark.parametrize(
    ("row", "field"),
    [("ZZZ,2008,2", "iso3"), ("JPN,2008,4", "tier"), ("JPN,1850,2", "year"), ("JPN,20x8,2", "year"),
     ("JPN,2008,", "tier"), (",2008,2", "iso3"), ("JPN,2008,2wl", "tier")],
)
def test_bad_row_is_named_by_line_and_field(row, field):
    assert errors_of(f"iso3,year,tier\nJPN,2007,2\n{row}\n") == [(3, field)]


def test_missing_column_is_named():
    assert errors_of("iso3,year\nJPN,2008\n") == [(1, "tier")]


def test_conflicting_duplicate_is_refused_but_identical_duplicate_is_fine():
    assert errors_of("iso3,year,tier\nJPN,2008,2\nJPN,2008,3\n") == [(3, "tier")]
    assert len(parse_placements("iso3,year,tier\nJPN,2008,2\nJPN,2008,2\n")) == 1


def test_row_with_too_many_cells_is_refused():
    assert errors_of("iso3,year,tier\nJPN,2008,2,extra\n") == [(2, "row")]


def test_all_errors_are_reported_not_just_the_first():
    assert errors_of("iso3,year,tier\nZZZ,2008,2\nJPN,1850,9\n") == [(2, "iso3"), (3, "year"), (3, "tier")]
