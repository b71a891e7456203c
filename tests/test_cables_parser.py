"""The cable parser on the real cable and on a corpus of realistic variants of it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

import test_cables_corpus as corpus
from tiptiers.countries import country_table
from tiptiers.sources.cables import CableParseError, country_tags, decode, parse_cable, posts


@pytest.fixture(scope="module")
def cable():
    return parse_cable(corpus.original())


def test_the_real_cable_header(cable):
    h = cable.header
    assert h.transmission_id == "VZCZCXRO1491"
    assert (h.precedence, h.precedence_label) == ("OO", "IMMEDIATE")
    assert h.relay_stations[0] == "RUEHBI" and len(h.relay_stations) == 9
    assert (h.station, h.station_serial, h.julian_time) == ("RUEHKO", "1528", "1562255")
    assert (h.transmission_classification, h.transmission_classification_label) == ("CCCCC", "CONFIDENTIAL")
    assert h.sent_at == datetime(2008, 6, 4, 22, 55, tzinfo=UTC)
    assert h.origin == "AMEMBASSY TOKYO"
    assert [(a.routing_indicator, a.name, a.precedence, a.serial) for a in h.action] == [
        ("RUEHC", "SECSTATE WASHDC", "IMMEDIATE", "4779")]
    assert len(h.info) == 12
    osaka = next(a for a in h.info if "OSAKA" in a.name)
    assert (osaka.routing_indicator, osaka.name, osaka.precedence, osaka.serial) == (
        "RUEHOK", "AMCONSUL OSAKA KOBE", "PRIORITY", "1867")


def test_the_real_cable_body(cable):
    assert cable.reference_id == "08TOKYO1528"
    assert (cable.classification, cable.station_name, cable.serial) == ("CONFIDENTIAL", "TOKYO", 1528)
    assert cable.caveats == ("SIPDIS",)
    assert cable.distribution == ("EAP/J", "EAP/RSP", "L/LEI", "G/TIP")
    assert cable.executive_order == "E.O. 12958" and cable.declassify_on == date(2018, 6, 3)
    assert cable.tags == ("PHUM", "PREL", "PGOV", "KCRM", "KWMN", "JA")
    assert cable.country_tags == ("JA",) and "JA" not in cable.subject_tags
    assert cable.subject == "JAPAN REACTS NEGATIVELY TO TIP REPORT TIER RANKING"
    assert cable.references == ("STATE 58425",)
    assert cable.classified_by == "Ambassador J. Thomas Schieffer"
    assert cable.classification_reasons == "1.4 (b) and (d)"
    assert (cable.iso3, cable.report_year) == ("JPN", 2008)
    assert cable.summary.startswith("Japan is very disappointed") and cable.summary.endswith("victim identification.")


def test_mangled_paragraph_numbers_are_restored(cable):
    paras = cable.paragraphs
    assert [p.number for p in paras] == [1, 2, 3, 4, 5]
    assert [p.raw_number for p in paras] == ["11.", "- 12.", "- 13.", "¶4.", "15."]
    assert all(p.marking == "C" and p.marking_label == "CONFIDENTIAL" for p in paras)
    assert paras[1].heading == 'Tier ranking exacerbates "cooperation fatigue"'
    assert paras[4].heading == "Ranking process unfair"
    # the blank line in the middle of paragraph 3 does not split it
    assert paras[2].text.endswith('"The issue is not whether the United States will work with Japan, the issue is '
                                  'whether Japan will work with the United States," concluded Shimbo.')


def test_the_truncated_end_is_reported(cable):
    assert cable.truncated and cable.signature is None
    assert any("truncated" in w for w in cable.warnings)
    whole = parse_cable(corpus.complete())
    assert not whole.truncated and whole.signature == "SCHIEFFER"
    assert whole.paragraphs[-1].text.endswith("several times, to no avail.")


def test_without_header_the_file_name_gives_the_year():
    c = parse_cable(corpus.without_header(), reference_hint="08TOKYO1528")
    assert c.header is None and c.sent_at is None
    assert c.reference_id == "08TOKYO1528" and c.iso3 == "JPN" and c.report_year == 2008
    assert [p.number for p in c.paragraphs] == [1, 2, 3, 4, 5]


def test_without_header_or_hint_the_declassification_date_gives_the_year_with_a_warning():
    c = parse_cable(corpus.without_header())
    assert c.reference_id == "08TOKYO1528"
    assert any("declassification date" in w for w in c.warnings)


def test_wrapped_header_parses_like_the_one_line_header(cable):
    c = parse_cable(corpus.wrapped_header())
    assert c.header == cable.header
    assert c.paragraphs == cable.paragraphs


@pytest.mark.parametrize(("station", "post_line", "tag", "routing", "iso3", "ref"), [
    ("BEIJING", "AMEMBASSY BEIJING", "CH", "RUEHBJ", "CHN", "08BEIJING2071"),
    ("MOSCOW", "AMEMBASSY MOSCOW", "RS", "RUEHMO", "RUS", "08MOSCOW2071"),
    ("OSAKA KOBE", "AMCONSUL OSAKA KOBE", "JA", "RUEHOK", "JPN", "08OSAKAKOBE2071"),
    ("HO CHI MINH CITY", "AMCONSUL HO CHI MINH CITY", "VM", "RUEHHM", "VNM", "08HOCHIMINHCITY2071"),
])
def test_other_stations_give_their_country_and_reference(station, post_line, tag, routing, iso3, ref):
    c = parse_cable(corpus.at_station(station, post_line, tag, routing))
    assert (c.reference_id, c.iso3, c.header.station) == (ref, iso3, routing)


def test_state_cable_is_filed_under_its_country_tag():
    text = corpus.at_station("STATE", "SECSTATE WASHDC", "RS", "RUEHC").replace("KWMN RS", "KWMN RS")
    c = parse_cable(text)
    assert c.reference_id == "08STATE2071" and c.iso3 == "RUS" and c.country_source == "tag RS"


@pytest.mark.parametrize(("code", "letter", "label"), [
    ("PP", "P", "PRIORITY"), ("RR", "R", "ROUTINE"), ("ZZ", "Z", "FLASH")])
def test_precedences(code, letter, label):
    c = parse_cable(corpus.with_precedence(code, letter))
    assert (c.header.precedence, c.header.precedence_label) == (code, label)


@pytest.mark.parametrize(("dtg", "sent", "ref", "year_from_text"), [
    ("151200Z SEP 09", datetime(2009, 9, 15, 12, 0, tzinfo=UTC), "09TOKYO1528", 2008),
    ("020830Z JAN 07", datetime(2007, 1, 2, 8, 30, tzinfo=UTC), "07TOKYO1528", 2008),
])
def test_other_dates(dtg, sent, ref, year_from_text):
    c = parse_cable(corpus.with_date(dtg))
    assert (c.sent_at, c.reference_id, c.report_year) == (sent, ref, year_from_text)


@pytest.mark.parametrize(("dtg", "expected"), [("151200Z SEP 09", 2009), ("101200Z AUG 10", 2010),
                                               ("020830Z FEB 09", 2008)])
def test_report_year_from_the_date_when_the_text_names_no_report(dtg, expected):
    text = corpus.with_date(dtg).replace("in the 2008 TIP Report", "in the TIP Report")
    c = parse_cable(text)
    assert c.report_year == expected and c.report_year_source.startswith("latest report published by")


@pytest.mark.parametrize(("line", "marker", "transmission", "classification", "caveats"), [
    ("UNCLAS TOKYO 001528", "U", "ZNR UUUUU", "UNCLASSIFIED", ("SIPDIS",)),
    ("S E C R E T TOKYO 001528", "S", "ZNY SSSSS", "SECRET", ("SIPDIS",)),
    ("C O N F I D E N T I A L SECTION 01 OF 02 TOKYO 001528", "C", "ZNY CCCCC", "CONFIDENTIAL", ("SIPDIS",)),
    ("S E C R E T TOKYO 001528 \n\nNOFORN", "S", "ZNY SSSSS", "SECRET", ("NOFORN", "SIPDIS")),
    ("SECRET TOKYO 001528 NOFORN", "S", "ZNY SSSSS", "SECRET", ("NOFORN", "SIPDIS")),
])
def test_classifications_and_caveats(line, marker, transmission, classification, caveats):
    c = parse_cable(corpus.classified(line, marker, transmission))
    assert c.classification == classification
    assert c.header.transmission_classification_label == classification
    assert c.caveats == caveats
    assert c.reference_id == "08TOKYO1528"
    assert {p.marking for p in c.paragraphs} == {marker}


def test_section_numbers_are_kept():
    c = parse_cable(corpus.classified("CONFIDENTIAL SECTION 01 OF 02 TOKYO 001528", "C", "ZNY CCCCC"))
    assert c.section == "01 OF 02"


def test_unnumbered_paragraphs_with_markings(cable):
    c = parse_cable(corpus.without_numbers())
    assert [p.number for p in c.paragraphs] == [None] * 5
    assert [p.text for p in c.paragraphs] == [p.text for p in cable.paragraphs]


def test_unnumbered_unmarked_paragraphs_are_split_on_blank_lines_without_breaking_sentences(cable):
    c = parse_cable(corpus.without_numbers_or_markings())
    assert [p.text for p in c.paragraphs] == [p.text for p in cable.paragraphs]
    assert {p.marking for p in c.paragraphs} == {None}


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty file"),
    (b"   \n\n", "empty file"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
    (b"Dear colleague, please find the minutes attached.", "no recognisable cable"),
])
def test_bad_input_is_refused_naming_what_is_missing(data, message):
    with pytest.raises(CableParseError, match=message) as exc:
        parse_cable(decode(data, source="bad.txt"), source="bad.txt")
    assert str(exc.value).startswith("bad.txt: ")


def test_a_header_cut_short_names_the_missing_parts():
    with pytest.raises(CableParseError, match="header cut short") as exc:
        parse_cable(corpus.original()[:corpus.original().index(" FM ")])
    message = str(exc.value)
    assert "origin (FM ...)" in message and "classification line" in message
    assert "station line" not in message  # DE RUEHKO #1528 is there


def test_a_heading_without_text_is_refused():
    with pytest.raises(CableParseError, match="no paragraphs"):
        parse_cable(corpus.split(corpus.original())[1].split("11. (C)")[0])


def test_no_year_anywhere_is_refused():
    text = corpus.without_header().replace("E.O. 12958: DECL: 06/03/2018", "E.O. 12958: N/A")
    with pytest.raises(CableParseError, match="cannot tell the year"):
        parse_cable(text)


def test_tag_and_post_tables_name_real_countries():
    table = country_table()
    assert country_tags()["JA"] == "JPN" and country_tags()["CH"] == "CHN" and country_tags()["RS"] == "RUS"
    assert posts()["TOKYO"] == "JPN"
    assert all(table.get(iso3) for iso3 in country_tags().values())
    assert all(table.get(iso3) for iso3 in posts().values() if iso3)


def test_to_dict_is_json_ready_and_complete(cable):
    import json

    data = json.loads(json.dumps(cable.to_dict()))
    assert data["header"]["sent_at"] == "2008-06-04T22:55:00+00:00"
    assert data["declassify_on"] == "2018-06-03"
    assert len(data["paragraphs"]) == 5 and data["paragraphs"][3]["raw_number"] == "¶4."
