"""The parser on the 633 real cables of the shared corpus (the release's WikiLeaks pages), field by field: against
the release's own metadata (expected.json) for every cable, and against the values checked by hand
(hand_checked_cables.json) for a sample of 75 across decades and formats. Prints the agreement per field."""

from __future__ import annotations

import pytest

import real_cables as rc
from tiptiers.sources.cables import CableParseError, parse_source

TARGET = 0.995


@pytest.fixture(scope="module")
def corpus_ids() -> list[str]:
    try:
        rc.corpus()
    except FileNotFoundError as exc:
        pytest.fail(str(exc))
    return rc.reference_ids()


def agreement(rows: list[tuple[str, object, object]]) -> tuple[float, list[tuple[str, object, object]]]:
    misses = [row for row in rows if row[1] != row[2]]
    return 1 - len(misses) / len(rows), misses


def test_the_corpus_is_the_one_handed_over(corpus_ids):
    assert len(corpus_ids) == 633
    assert all((rc.corpus() / "pages" / f"{ref}.html").is_file() for ref in corpus_ids)


def test_every_real_cable_is_stored_none_refused(corpus_ids):
    refused = []
    for ref in corpus_ids:
        try:
            rc.parsed(ref)
        except CableParseError as exc:
            refused.append((ref, str(exc)))
    assert refused == []


def test_the_release_metadata_fields_agree_on_every_cable(corpus_ids, capsys):
    lines = []
    failures = []
    for name, (got, want) in rc.STORED_FIELDS.items():
        score, misses = agreement([(ref, got(rc.parsed(ref)), want(rc.expected()[ref])) for ref in corpus_ids])
        text_score, _ = agreement([(ref, rc.TEXT_FIELDS[name][0](text), rc.TEXT_FIELDS[name][1](rc.expected()[ref]))
                                   for ref in corpus_ids if (text := _text_only(ref)) is not None])
        lines.append(f"{name:<28} {score:7.1%} as stored   {text_score:7.1%} from the text alone")
        if score < TARGET:
            failures.append((name, score, misses[:5]))
    with capsys.disabled():
        print("\nagreement with the release's metadata, 633 real cables:\n  " + "\n  ".join(lines))
    assert failures == []


def _text_only(ref: str):
    try:
        return rc.parsed_text_only(ref)
    except CableParseError:
        return None


def test_the_hand_checked_fields_agree(corpus_ids, capsys):
    sample = rc.hand_checked()
    assert len(sample) >= 60 and {ref[:2] for ref in sample} >= {"66", "72", "79", "88", "89", "00", "04", "05",
                                                                  "06", "07", "08", "09", "10"}
    lines = []
    failures = []
    for name, got in rc.HAND_FIELDS.items():
        score, misses = agreement([(ref, got(rc.parsed(ref)), values[name]) for ref, values in sample.items()])
        lines.append(f"{name:<12} {score:7.1%} of {len(sample)}" + (
            f"   missed: {', '.join(ref for ref, _, _ in misses)}" if misses else ""))
        if score < TARGET:
            failures.append((name, score, misses[:3]))
    with capsys.disabled():
        print(f"\nagreement with the hand-checked sample of {len(sample)} cables:\n  " + "\n  ".join(lines))
    assert failures == []


def test_the_parser_needs_no_page_of_the_corpus_in_particular(corpus_ids):
    """The same reading from the text and header alone for the fields the text holds (the release's table is
    only beside it): a cable's TAGS, subject and paragraphs do not depend on its page's metadata."""
    for ref in corpus_ids[::7]:
        stored, text = rc.parsed(ref), _text_only(ref)
        if text is None:
            continue
        assert (stored.tags, stored.subject, stored.paragraphs) == (text.tags, text.subject, text.paragraphs), ref
        assert parse_source(rc.source(ref)).reference_id == ref


def test_a_paragraph_that_begins_inside_a_line_is_a_paragraph(corpus_ids):
    """`... investment in XXXXXXXXXXXX 6. (S//NF) The second reason ...`: the release ran ¶6 into ¶5."""
    paragraphs = {p.number: p for p in rc.parsed("10MADRID154").paragraphs}
    assert paragraphs[6].text.startswith("The second reason is the unanswered question")
    assert paragraphs[6].marking == "S//NF" and "6. (S//NF)" not in paragraphs[5].text
    # the release repeating a paragraph's own opening (`¶1. (C) Summary. 1. (C) Summary.`) stays one paragraph
    assert [p.number for p in rc.parsed("08ROME1406").paragraphs][:2] == [1, 2]


def test_slashed_headings_and_redacted_blocks(corpus_ids):
    """`//Bilateral Relations//` heads the paragraph below it; a block the release redacted between paragraphs
    is a paragraph of its own, not the end of the one above."""
    cable = rc.parsed("10MADRID87")
    assert [(p.number, p.heading, p.text[:12]) for p in cable.paragraphs] == [
        (None, None, "XXXXXXXXXXXX"), (5, "Bilateral Relations", "Spain is an "), (None, None, "XXXXXXXXXXXX")]
    assert not cable.paragraphs[1].text.endswith("XXXXXXXXXXXX") and cable.signature == "SOLOMONT"


def test_the_whole_corpus_ingests_end_to_end_searchable_in_less_than_twice_its_text(corpus_ids, tmp_path_factory):
    """The 633 pages as `tiptiers ingest cables` takes a folder: every one stored and indexed, the database (indexes
    included) under twice the text's size. (Its speed at 250,000 is bench/ingest.py --real's business.)"""
    from sqlalchemy import text

    from conftest import TestDatabase
    from tiptiers.sources.cable_files import iter_cable_inputs
    from tiptiers.store.cables import cable_count, ingest
    from tiptiers.store.search import SearchFilters, search

    db = TestDatabase("sqlite", tmp_path_factory)
    try:
        report = ingest(db.sessions, iter_cable_inputs([rc.corpus() / "pages"]), batch_size=200)
        assert (report.files, report.result.added, report.errors) == (633, 633, [])
        with db.sessions() as session:
            assert cable_count(session) == 633
            found = search(session, "nuclear", SearchFilters(iso3="IRN"))
            assert found.total > 0 and all(h.iso3 == "IRN" for h in found.hits)
            assert "\x02" in found.hits[0].snippet
        text_bytes = sum(len(rc.source(ref).stored_text.encode("utf-8")) for ref in corpus_ids)
        with db.engine.connect() as conn:  # the pages in use (free ones left by the migrations not counted)
            used = conn.execute(text("PRAGMA page_count")).scalar_one() - conn.execute(
                text("PRAGMA freelist_count")).scalar_one()
            size = used * conn.execute(text("PRAGMA page_size")).scalar_one()
        assert size < 2 * text_bytes, f"{size:,} bytes stored for {text_bytes:,} of text"
    finally:
        db.drop()
