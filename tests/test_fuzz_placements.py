"""The placements reader under generated input: it returns rows or raises PlacementFileError, nothing else."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tiptiers.sources.placements import PlacementFileError, parse_placements
from tiptiers.tiers import Tier

cells = st.one_of(
    st.sampled_from(["JPN", "jpn", "Japan", "XKX", "KOS", "ZZZ", "", " ", "2008", "1850", "2WL", "4", "special"]),
    st.text(max_size=12),
)
rows = st.lists(st.lists(cells, min_size=0, max_size=5), max_size=8)
headers = st.one_of(st.just(["iso3", "year", "tier"]), st.lists(st.sampled_from(["iso3", "year", "tier", "x"]),
                                                                max_size=4))


def _csv_line(values: list[str]) -> str:
    return ",".join('"' + v.replace('"', '""') + '"' if any(c in v for c in ',"\n\r') else v for v in values)


@settings(max_examples=1500, deadline=None)
@given(headers, rows)
def test_structured_garbage_gives_rows_or_a_located_error(header, body):
    text = "\n".join(_csv_line(r) for r in [header, *body])
    try:
        parsed = parse_placements(text)
    except PlacementFileError as exc:
        assert exc.errors and all(e.line >= 1 and e.field for e in exc.errors)
        return
    for row in parsed:
        assert isinstance(row.tier, Tier) and len(row.iso3) == 3 and row.year >= 2001


@settings(max_examples=1500, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_never_crashes_the_reader(text):
    try:
        parse_placements(text)
    except PlacementFileError as exc:
        assert exc.errors
