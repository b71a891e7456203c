"""The fast paths of cable ingest give the records the plain definitions give.

- The reaction coder tries a rule's regex only on the sentences that contain one of the rule's required literals,
  looked up once per cable: it must cite exactly the sentences on which the rule, tried on every sentence the
  government speaks, fires (and extract the same disputed claims).
- Ingest makes the rows in its worker processes (JSON columns as JSON text) and inserts the search documents many
  per statement: every stored column must be what the parser and the coder say, on both backends.
"""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

import test_cables_corpus as corpus
from tiptiers.sources.cable_files import iter_cable_inputs
from tiptiers.sources.cables import Cable, parse_cable
from tiptiers.sources.reactions import (
    about_the_report,
    bundled_lexicon,
    code_reactions,
    sentences,
    speaks_of_the_report,
    split_sentences,
)
from tiptiers.store.cables import CableRecord, ingest
from tiptiers.store.search import DocumentIn, SearchDocument

# --- the reaction coder -----------------------------------------------------------------------------------------

CATEGORY_SENTENCES = [
    "The minister said the TIP criteria keep changing, accusing Washington of moving the goalposts.",
    "The minister said the Tier 3 ranking was an embarrassment for the government.",
    "The minister said the government worried it would lose Millennium Challenge funding over its TIP ranking.",
    "The minister said the press had criticized the TIP ranking on the front page.",
    "The minister said the government was angry at the Tier 2 ranking.",
    "The minister said the TIP Report was arrogant interference in internal affairs.",
    "The minister said the government needed to save face with a public rebuttal of the TIP Report.",
    "The Minister thanked the Ambassador for the report and said the government welcomes its recommendations.",
    "The government will continue to work closely with the United States on victim identification, he said.",
    "The Deputy Minister asked how Japan could improve its ranking next year.",
    "The minister said the government was not pleased and not grateful for the TIP Report.",
    "The DCM replied that the report is fair and asked what more Japan could do.",
    "The government disputed the report's claim that shelters turn victims away.",
    "Contrary to the report, prosecutions rose in 2007, the Director insisted.",
]
POOL = [s for p in parse_cable(corpus.original()).paragraphs for s in split_sentences(p.text)] + CATEGORY_SENTENCES
INSERTS = ["not", "whether", "TIP", "Tier 3", "said", "the DCM replied", "Comment:", "U.S.", "unfair", "  ", "\n",
           "cooperation", "REPORT", "diſappointed", "K", "İ", "completely false,", "the Ambassador noted"]


@st.composite
def sentence(draw: st.DrawFn) -> str:
    words = draw(st.sampled_from(POOL)).split(" ")
    for _ in range(draw(st.integers(0, 2))):
        words.insert(draw(st.integers(0, len(words))), draw(st.sampled_from(INSERTS)))
    text = " ".join(words)
    return draw(st.sampled_from([text, text, text.upper(), text.lower()]))


@st.composite
def reaction_cables(draw: st.DrawFn) -> Cable:
    paragraphs = draw(st.lists(st.lists(sentence(), min_size=1, max_size=5), min_size=1, max_size=6))
    body = "\n\n".join(f"{n}. (C) " + " ".join(p) for n, p in enumerate(paragraphs, start=1))
    subject = draw(st.sampled_from(["JAPAN REACTS TO 2008 TIP REPORT", "JAPAN IS DISAPPOINTED AND UNFAIRLY RANKED",
                                    "RICE IMPORT TENDER"]))
    text = corpus.neutral()
    head = text[:text.index("1. (U)")].replace("JAPAN RICE IMPORT TENDER RESULTS", subject)
    return parse_cable(head + body + "\nSCHIEFFER\n")


def plainly_coded(cable: Cable) -> tuple[dict[str, list[tuple[int | None, str, str]]], list[tuple[int | None, str,
                                                                                                     str]]]:
    """Every rule tried on every sentence its code is about (the government's, or its media's, in a paragraph
    about the report) and on a subject line that names the report, one by one: the citations
    of each code (each sentence once, as the coder cites it) and the disputed claims (one per sentence)."""
    lex = bundled_lexicon()
    if not about_the_report(cable):
        return {}, []
    heard = sentences(cable)
    spoken = [s for s in heard if s.government_voice]
    subject = cable.subject or ""
    codes = {}
    for code in lex.codes:
        cites = [(s.paragraph, s.text, r.id) for r in code.rules for s in heard
                 if s.about_the_report and s.voice in code.voices and r.fires(s.text)]
        cites += [(None, subject, r.id) for r in code.rules
                  if subject and speaks_of_the_report(subject) and r.fires(subject)]
        once = []  # the first citation of each sentence
        for cite in cites:
            if all(cite[:2] != seen[:2] for seen in once):
                once.append(cite)
        if once:
            codes[code.code] = once
    claims = []
    for s in spoken:
        rule = next((r for r in lex.disputed if r.fires(s.text)), None)
        if rule is not None:
            claims.append((s.paragraph, s.text, rule.id))
    return codes, claims


def assert_coded_plainly(cable: Cable) -> None:
    coding = code_reactions(cable)
    codes, claims = plainly_coded(cable)
    direct = {r.code: [(c.paragraph, c.sentence, c.rule) for c in r.citations if ":" not in c.rule]
              for r in coding.reactions}
    assert {code: cites for code, cites in direct.items() if cites} == codes
    implying = {code.code: set(code.implied_by) for code in bundled_lexicon().codes}
    assert all(code in codes or implying[code] & set(codes) for code in coding.codes)
    assert [(d.paragraph, d.sentence, d.rule) for d in coding.disputed_claims] == claims


def test_the_corpus_is_coded_as_rule_by_rule():
    for text in (corpus.original(), corpus.complete(), corpus.cooperative(), corpus.neutral(),
                 corpus.without_numbers(), corpus.without_numbers_or_markings(), corpus.wrapped_header()):
        assert_coded_plainly(parse_cable(text))
    assert code_reactions(parse_cable(corpus.original())).codes  # the comparison covers real codes


@settings(max_examples=300, deadline=None)
@given(reaction_cables())
def test_generated_cables_are_coded_as_rule_by_rule(cable):
    assert_coded_plainly(cable)


# --- what ingest stores -----------------------------------------------------------------------------------------

def test_every_stored_column_is_what_the_parser_and_coder_give(fresh_db, tmp_path: Path):
    texts = {"08TOKYO1528.txt": corpus.original(), "08MANILA1702.txt": corpus.cooperative(),
             "08TOKYO1600.txt": corpus.neutral()}
    for name, text in texts.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    ingest(fresh_db.sessions, iter_cable_inputs([tmp_path]), workers=1)
    (tmp_path / "08TOKYO1528.txt").write_text(corpus.complete(), encoding="utf-8")  # a second version
    texts["08TOKYO1528.txt"] = corpus.complete()
    report = ingest(fresh_db.sessions, iter_cable_inputs([tmp_path]), workers=1)
    assert (report.result.new_versions, report.result.skipped) == (1, 2)
    with fresh_db.sessions() as session:
        for name, text in texts.items():
            cable = parse_cable(text)
            coding = code_reactions(cable)
            record = session.scalars(select(CableRecord).where(CableRecord.reference_id == cable.reference_id,
                                                               CableRecord.is_current.is_(True))).one()
            assert record.parsed == json.loads(json.dumps(cable.to_dict()))
            assert (record.text, record.text_sha256, record.station, record.serial, record.classification,
                    record.caveats, record.iso3, record.report_year, record.subject, record.tags,
                    record.reactions, record.source) == (
                text, cable.text_sha256, cable.station_name, cable.serial, cable.classification,
                " ".join(cable.caveats), cable.iso3, cable.report_year, cable.subject, " ".join(cable.tags),
                " ".join(coding.codes), str(tmp_path / name))
            assert record.sent_at is not None  # SQLite gives it back without its time zone (UTC)
            assert record.sent_at.replace(tzinfo=record.sent_at.tzinfo or UTC) == cable.sent_at
            assert [(r.code, r.citations) for r in record.reaction_rows] == [
                (r.code, [{"paragraph": c.paragraph, "sentence": c.sentence, "rule": c.rule, "speaker": c.speaker}
                          for c in r.citations])
                for r in coding.reactions]
            assert [(c.claim, c.sentence, c.paragraph, c.speaker, c.rule) for c in record.disputed_claims] == [
                (d.claim, d.sentence, d.paragraph, d.speaker, d.rule) for d in coding.disputed_claims]
            document = session.scalars(select(SearchDocument).where(SearchDocument.ref_id == cable.reference_id)).one()
            expected = DocumentIn("cable", cable.reference_id, cable.subject or cable.reference_id, cable.body,
                                  cable.iso3, cable.report_year, cable.tags, cable.classification, coding.codes).row()
            if fresh_db.engine.dialect.name == "postgresql":  # the body is the cable's own there (search.py)
                assert document.body_z == b""
                expected.pop("body_z")
            assert {k: getattr(document, k) for k in expected} == expected  # `body` included, on both


def test_a_large_ingest_into_postgresql_keeps_its_planner_statistics(make_db, monkeypatch):
    """PostgreSQL plans each batch's lookups by reference id from the table's statistics: without them (a new
    database, autovacuum off or not come round yet) it scans the whole table for each, and a release-sized ingest
    slows down batch after batch. The ingest analyzes its tables as it grows them: the statistics never lag the
    table by more than a factor of two."""
    import real_cables
    from tiptiers.store import cables as store_cables

    monkeypatch.setattr(store_cables, "FIRST_ANALYZE", 40)
    db = make_db("postgresql")
    report = ingest(db.sessions, iter_cable_inputs([real_cables.corpus() / "pages"]), batch_size=25, workers=1)
    assert report.result.added == 633 and not report.errors
    with db.engine.connect() as connection:
        known = dict(connection.exec_driver_sql(
            "SELECT relname, reltuples FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
            "AND relname IN ('cables', 'search_documents')").all())
        analyzed = dict(connection.exec_driver_sql(
            "SELECT relname, last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE schemaname = current_schema() "
            "AND relname IN ('cables', 'search_documents')").all())
    assert analyzed == {"cables": True, "search_documents": True}
    # analyzed at 40, 80, 160 and 320 cables stored: the planner knows of at least half of the 633
    assert 633 / 2 <= known["cables"] <= 633 and 633 / 2 <= known["search_documents"] <= 633


def test_running_an_ingest_again_skips_what_is_stored_without_parsing_it(fresh_db, tmp_path, monkeypatch):
    """An interrupted ingest of the release is run again: what it stored is recognised by reference id and text
    before parsing (`filed_as`), so only the rest is parsed; a cable whose text changed is parsed and kept as a new
    version. The stored rows are those a single run stores."""
    import shutil

    import real_cables
    from tiptiers.sources import cables as sources
    from tiptiers.store import cables as store_cables

    pages = sorted((real_cables.corpus() / "pages").glob("*.html"))[:90]
    first = tmp_path / "first"
    first.mkdir()
    for page in pages[:40]:
        shutil.copy(page, first / page.name)
    ingest(fresh_db.sessions, iter_cable_inputs([first]), batch_size=10, workers=1)  # the run that was interrupted
    parsed: list[str] = []
    real_parse = sources.parse_source

    def counting_parse(found, source=None, hint=None):
        parsed.append(source)
        return real_parse(found, source, hint)

    monkeypatch.setattr(store_cables, "parse_source", counting_parse)
    report = ingest(fresh_db.sessions, iter_cable_inputs([real_cables.corpus() / "pages"]), batch_size=10,
                    workers=1)
    assert (report.files, report.result.added, report.result.skipped) == (633, 593, 40)
    assert len(parsed) == 593 and not {p.name for p in pages[:40]} & {name.rsplit("/", 1)[-1] for name in parsed}
    # every file's reference id and text hash, predicted without parsing, are what the parse stored
    with fresh_db.sessions() as s:
        stored = {(ref, sha) for ref, sha in s.execute(select(CableRecord.reference_id, CableRecord.text_sha256))}
    predicted = {sources.filed_as(sources.read_cable_file(p.read_bytes(), p.name), sources.reference_hint(p.name))
                 for p in sorted((real_cables.corpus() / "pages").glob("*.html"))}
    assert predicted == stored
    # once more: nothing is parsed; a changed text is
    changed = tmp_path / "changed"
    changed.mkdir()
    page = pages[0].read_text(encoding="utf-8")
    (changed / pages[0].name).write_text(page.replace("</pre>", "\nAn added line.</pre>", 1), encoding="utf-8")
    parsed.clear()
    again = ingest(fresh_db.sessions, iter_cable_inputs([first, changed]), batch_size=10, workers=1)
    assert (again.result.skipped, again.result.new_versions, parsed) == (40, 1, [str(changed / pages[0].name)])
