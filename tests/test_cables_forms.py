"""Every form the release came in, and each way the parser used to fail on it, from real cables of the shared
corpus: the WikiLeaks HTML page, plain text (routing header then text) and the release's cables.csv."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

import real_cables as rc
from conftest import TestDatabase as Database
from tiptiers.cli import app
from tiptiers.sources.cable_files import iter_cable_inputs
from tiptiers.sources.cables import CableParseError, parse_cable, read_release_row
from tiptiers.store.cables import CableRecord

runner = CliRunner()


def as_text(ref: str) -> str:
    """The cable as a plain text file holds it: the routing header, a blank line, the text."""
    return rc.source(ref).stored_text


def as_csv_row(ref: str, swap: bool = False) -> list[str]:
    """The cable as a row of the release's cables.csv: id, created, reference id, origin, classification,
    references, header, text (some copies give classification before origin)."""
    found, meta = rc.source(ref), rc.expected()[ref]
    created = datetime.strptime(meta["created"], "%Y-%m-%d %H:%M").strftime("%m/%d/%Y %H:%M")
    pair = [meta["classification"], meta["origin"]] if swap else [meta["origin"], meta["classification"]]
    return ["1", created, ref, *pair, "", found.header or "", found.text]


def csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    return out.getvalue()


# --- the failure kinds of the issue, each from a real cable ------------------------------------------------------

def test_a_partial_extract_is_dated_by_its_date_time_group():
    """00HARARE6677: `This record is a partial extract...`, then `291359Z Nov 00` as its only date."""
    cable = parse_cable(as_text("00HARARE6677"))
    assert cable.partial_extract
    assert cable.sent_at == datetime(2000, 11, 29, 13, 59, tzinfo=UTC) and cable.reference_id == "00HARARE6677"
    assert cable.subject == "ASSISTANT SECRETARY MEETS WITH ZIMBABWE OPPOSITION LEADER"  # across a page break
    assert [p.number for p in cable.paragraphs] == list(range(1, 13))
    assert "PAGE 02" not in cable.body and "PTQ1865" not in cable.body and "INFO LOG" not in cable.body


def test_a_partial_extract_with_only_a_date_line_is_dated_by_it():
    """04RANGOON88: no date-time group anywhere, only `Tuesday, 20 January 2004, 09:44`."""
    found = rc.source("04RANGOON88")
    assert "Z JAN" not in (found.header or "").upper()
    cable = parse_cable(found.text, header=found.header)
    assert cable.sent_at == datetime(2004, 1, 20, 9, 44, tzinfo=UTC)
    assert cable.reference_id == "04RANGOON88" and cable.created_source == "text"


def test_spaced_mixed_case_classification_and_fields_run_together():
    """04ANKARA348: `C o n f i d e n t i a l section 01 of 04 ankara 000348`, then E.O., TAGS and SUBJECT on
    one line."""
    cable = parse_cable(as_text("04ANKARA348"))
    assert (cable.reference_id, cable.classification, cable.section) == ("04ANKARA348", "CONFIDENTIAL", "01 OF 04")
    assert cable.tags == ("PREL", "PGOV", "PINS", "TU") and cable.iso3 == "TUR"
    assert cable.subject == ("turkish p.m. Erdogan goes to washington: how strong a leader in the face of strong "
                             "challenges?")
    assert cable.declassify_on is not None and cable.declassify_on.isoformat() == "2014-01-07"
    assert cable.classified_by == "Ambassador Eric Edelman"


@pytest.mark.parametrize(("ref", "classification"), [("05PARIS1699", "SECRET"), ("08TUNIS193", "SECRET"),
                                                     ("10ISLAMABAD428", "SECRET"), ("88BAGHDAD28", "SECRET")])
def test_misspelt_classification_lines(ref, classification):
    """`SS E C R E T`, `SE C R E T`, `S e c r e t state 068250`: classified, not `no classification line`."""
    cable = parse_cable(as_text(ref), reference_hint=ref)
    assert cable.classification == classification
    assert not any("classification line" in w for w in cable.warnings if "reads" not in w)


@pytest.mark.parametrize(("ref", "warning"), [("07LAPAZ3262", "no classification line"), ("09KABUL3890", None),
                                              ("09TELAVIV2502", "no classification line")])
def test_a_header_that_runs_into_the_text_without_a_blank_line(ref, warning):
    """The routing header straight above the text (no blank line, and for some no classification line at all):
    was `transmission header cut short`."""
    found = rc.source(ref)
    text = f"{found.header.strip()}\n{found.text}"
    cable = parse_cable(text, reference_hint=ref)
    assert cable.reference_id == ref and cable.header is not None and cable.header.origin
    assert cable.paragraphs and cable.subject
    if warning:
        assert any(warning in w for w in cable.warnings)


def test_a_cable_without_numbered_paragraphs_is_split_at_blank_lines():
    """09ANKARA1594 (a media reaction roundup): was `the cable has no paragraphs`."""
    cable = parse_cable(as_text("09ANKARA1594"))
    assert len(cable.paragraphs) > 10 and all(p.number is None for p in cable.paragraphs)
    assert cable.paragraphs[1].heading == "Clinton's Global Partnerships to Strengthen Muslim Ties"
    assert any("no numbered paragraphs" in w for w in cable.warnings)


@pytest.mark.parametrize(("ref", "field", "value"), [
    ("09STATE15113", "tags", ("PTER", "PGOV", "ASEC", "EFIN", "ENRG", "KCIP")),  # `TAG PTER, PGOV, ...`
    ("09TRIPOLI941", "tags", ("PREL", "PGOV", "MNUC", "PARM", "PINR", "RS", "KGIC", "KNNP", "KRAD", "ENRG", "LY")),
    ("09PARIS1267", "tags", ("ECON", "EIND", "ETRD", "KIPR", "PREL", "FR")),  # EINDETRD run together
    ("09LONDON290", "subject", "FCO WELCOMES EXECUTIVE ORDERS ON DETAINEE POLICY; WILL SHARE UK EXPERIENCE "
                               "RESETTLING DETAINEES WITH OTHER GOVERNMENTS, BUT NOT TAKE MORE DETAINEES"),
    ("08LONDON1991", "subject", "WHO WOULD REPLACE GORDON BROWN AS UK PRIME"),  # `... UK PRIMEREF: A. LONDON`
    ("08LONDON1991", "references", ("LONDON 1939", "LONDON 1704")),
    ("10MADRID87", "references", ("SANTO DOMINGO 21", "2009 MADRID 1146", "2009 HAVANA 683")),  # REF: lost
    ("10BAKU98", "references", ("2009 BAKU 972", "2009 BAKU 921", "2009 BAKU 920 (NOTAL)", "2009 BAKU 909")),
    ("09SANSALVADOR1105", "subject", "FMLN Affirms Socialist Course; Leadership Acknowledges Need for Strong "
                                     "Relations with U.S."),
])
def test_subjects_tags_and_references_in_the_forms_the_release_has_them(ref, field, value):
    assert getattr(rc.parsed(ref), field) == value


def test_noforn_given_only_in_the_release_metadata_is_kept_and_said_so():
    """05LONDON4981: the text says SENSITIVE, the release CONFIDENTIAL//NOFORN."""
    from_text = parse_cable(as_text("05LONDON4981"))
    assert "NOFORN" not in from_text.caveats
    stored = rc.parsed("05LONDON4981")
    assert "NOFORN" in stored.caveats and stored.marking == "CONFIDENTIAL//NOFORN"
    assert "NOFORN is given by the release's metadata only, not in the text" in stored.warnings


def test_the_release_and_the_text_disagreeing_is_a_warning_not_an_error():
    """88BAGHDAD28: the release's page holds the text of STATE 068250."""
    cable = rc.parsed("88BAGHDAD28")
    assert cable.reference_id == "88BAGHDAD28" and cable.release is not None
    assert any("classification line reads STATE 68250" in w for w in cable.warnings)
    assert any("the text is classified SECRET; the release says CONFIDENTIAL" in w for w in cable.warnings)


def test_a_page_with_the_heading_only_is_stored_with_a_warning():
    cable = rc.parsed("09BERLIN1273")
    assert cable.paragraphs == () and "the release gives the cable's heading only, no text" in cable.warnings
    with pytest.raises(CableParseError, match="no paragraphs"):  # a plain text without its release metadata
        parse_cable(as_text("09BERLIN1273"))


# --- the CSV -----------------------------------------------------------------------------------------------------

def test_a_csv_row_gives_the_same_cable_as_the_page_whichever_order_origin_and_classification_come_in():
    page = rc.parsed("10ABUDHABI33")
    for swap in (False, True):
        found = read_release_row(as_csv_row("10ABUDHABI33", swap))
        assert found.release is not None and found.release.classification == "SECRET//NOFORN"
        assert found.release.origin == "Embassy Abu Dhabi"
        cable = parse_cable(found.text, header=found.header, release=found.release)
        assert (cable.paragraphs, cable.tags, cable.created, cable.marking) == (
            page.paragraphs, page.tags, page.created, page.marking)


def test_csv_rows_with_quotes_newlines_and_backslash_escapes_are_read(tmp_path):
    rows = [as_csv_row("09KABUL165"), as_csv_row("04ANKARA348")]
    path = tmp_path / "cables.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    read = list(iter_cable_inputs([path]))
    assert [i.error for i in read] == [None, None]
    assert [tuple(r) for r in rows] == [i.row for i in read]
    escaped = tmp_path / "escaped.csv"  # copies that write \" for a quote inside a field
    row = as_csv_row("10ABUDHABI33")
    escaped.write_text(",".join('"' + c.replace('"', '\\"') + '"' for c in row) + "\n", encoding="utf-8")
    (item,) = iter_cable_inputs([escaped])
    assert item.row is not None and item.row[7] == row[7]


def test_a_bad_csv_row_is_reported_with_its_row_number_and_the_rest_is_read(tmp_path):
    path = tmp_path / "cables.csv"
    rows = [as_csv_row("09KABUL165"), ["2", "01/01/2009 00:00", "09X1", "only four"], as_csv_row("04ANKARA348")]
    path.write_text(csv_text(rows), encoding="utf-8")
    read = list(iter_cable_inputs([path]))
    assert read[1].name == f"{path}:row 2 (09X1)" and read[1].error.startswith("4 columns;")
    assert read[0].error is None and read[2].error is None


def _peak_reading(path) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = sum(1 for _ in iter_cable_inputs([path]))
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_csv_is_streamed_in_memory_that_does_not_grow_with_the_file(tmp_path):
    """Read one row at a time: four times the rows, not four times the memory."""
    row = as_csv_row("09KABUL165")
    peaks = {}
    for rows in (1_500, 6_000):
        path = tmp_path / f"{rows}.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, quoting=csv.QUOTE_ALL)
            for n in range(rows):
                writer.writerow([str(n), row[1], f"09KABUL{n + 1}", *row[3:]])
        count, peaks[rows] = _peak_reading(path)
        assert count == rows
    assert path.stat().st_size > 2 * 2**20
    assert peaks[6_000] < 1.5 * peaks[1_500] and peaks[6_000] < path.stat().st_size / 4, peaks


def test_the_progress_bar_knows_about_how_many_rows_a_large_csv_holds(tmp_path, monkeypatch):
    """The release's cables.csv is 1.7 GB: its rows are estimated from the first ones (so the progress bar has a
    total and a time remaining) and said to be an estimate; a small CSV, zipped or not, is counted."""
    import zipfile

    from tiptiers.sources import cable_files

    refs = sorted(rc.expected())[:120]
    path = tmp_path / "cables.csv"
    path.write_text(csv_text([as_csv_row(ref) for ref in refs]), encoding="utf-8")
    assert cable_files.count_cable_inputs([path]) == (120, True)
    with zipfile.ZipFile(tmp_path / "cables.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.write(path, "cables.csv")
        z.writestr("08TOKYO1528.txt", as_text("09KABUL165"))
    assert cable_files.count_cable_inputs([tmp_path / "cables.zip"]) == (121, True)
    monkeypatch.setattr(cable_files, "CSV_SAMPLE_BYTES", path.stat().st_size // 4)  # the first 30 rows or so
    total, exact = cable_files.count_cable_inputs([path])
    assert not exact and 100 <= total <= 140, total
    assert cable_files.count_cable_inputs([tmp_path / "cables.zip"]).exact is False
    # a cable longer than the csv module's default field limit (128 KiB), first in the file
    long = as_csv_row("09KABUL165")
    long[7] += "\n" + "An added line of text. " * 9_000
    (tmp_path / "long.csv").write_text(csv_text([long, as_csv_row("04ANKARA348")]), encoding="utf-8")
    default = csv.field_size_limit(131_072)  # as a new process has it
    try:
        assert cable_files.count_cable_inputs([tmp_path / "long.csv"]) == (2, True)
    finally:
        csv.field_size_limit(default)


# --- one cable, three forms ----------------------------------------------------------------------------------------

STORED = ("reference_id", "text_sha256", "station", "serial", "classification", "caveats", "iso3", "report_year",
          "sent_at", "subject", "tags", "reactions", "text")


@pytest.fixture
def db(tmp_path_factory):
    database = Database("sqlite", tmp_path_factory)
    yield database
    database.drop()


def ingest(db, *paths) -> dict:
    result = runner.invoke(app, ["ingest", "cables", *map(str, paths), "--json", "--workers", "1"],
                           env={"TIPTIERS_DATABASE_URL": db.url})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("ref", ["10ABUDHABI33", "00HARARE6677"])
def test_the_same_cable_from_html_text_and_csv_stores_the_same_fields(tmp_path_factory, tmp_path, ref):
    files = {"html": tmp_path / f"{ref}.html", "text": tmp_path / f"{ref}.txt", "csv": tmp_path / "cables.csv"}
    files["html"].write_bytes(rc.page(ref))
    files["text"].write_text(as_text(ref), encoding="utf-8")
    files["csv"].write_text(csv_text([as_csv_row(ref)]), encoding="utf-8")
    stored = {}
    for form, path in files.items():
        database = Database("sqlite", tmp_path_factory)
        try:
            assert ingest(database, path)["added"] == 1
            with database.sessions() as session:
                record = session.scalars(select(CableRecord)).one()
                stored[form] = ({k: getattr(record, k) for k in STORED},
                                {k: v for k, v in record.parsed.items() if k not in ("release", "warnings")})
        finally:
            database.drop()
    assert stored["html"] == stored["text"] == stored["csv"]
    assert stored["html"][0]["reference_id"] == ref


def test_the_three_forms_of_one_cable_are_one_cable(db, tmp_path):
    ref = "10ABUDHABI33"
    (tmp_path / f"{ref}.html").write_bytes(rc.page(ref))
    (tmp_path / f"{ref}.txt").write_text(as_text(ref), encoding="utf-8")
    (tmp_path / "cables.csv").write_text(csv_text([as_csv_row(ref)]), encoding="utf-8")
    summary = ingest(db, tmp_path)
    assert (summary["files"], summary["added"], summary["skipped"], summary["bad"]) == (3, 1, 2, [])


def test_a_cables_csv_inside_a_zip_is_streamed_too(db, tmp_path):
    import zipfile

    archive = tmp_path / "release.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("cablegate/cables.csv", csv_text([as_csv_row("09KABUL165"), as_csv_row("04ANKARA348")]))
        z.writestr("cablegate/10ABUDHABI33.html", rc.page("10ABUDHABI33"))
    summary = ingest(db, archive)
    assert (summary["added"], summary["bad"]) == (3, [])
