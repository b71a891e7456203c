"""Diplomatic cables of the 2010-2011 public release: a tolerant parser. Pure: text in, `Cable` out.

The release came in three forms, told apart by their content (`parse_file`, `parse_release_row`):
- the WikiLeaks cable pages (HTML): a table of the release's metadata (reference id, created, classification,
  origin), the routing header and the text in `<pre>` blocks, `¶` before paragraph numbers, links on TAGS;
- plain text: the routing header, if any, then the text (`08TOKYO1528.txt`);
- `cables.csv`: one row per cable, the metadata in columns, then the header and the text.

What the release says beside the text (`Release`) is kept beside what the text says; where they disagree the cable
carries a warning, and where the text is silent (no date line, NOFORN only in the metadata) the release's value is
used and said so. The text itself is read as the release mangled it:
- the routing header may be absent, on one line, wrapped, or a partial extract's telegram header (`PAGE 01 ...`);
- the classification line may be spaced, mixed-case or misspelt (`C o n f i d e n t i a l section 01 of 04 ankara
  000348`, `SS E C R E T`), or missing;
- E.O., TAGS and SUBJECT may run together on one line, and the fields may come before the classification line;
- paragraph numbers may be mangled (``11.`` for 1, ``- 12.``, ``¶4.``) or absent; page and section breaks of the
  telegram (`PAGE 02 HARARE 06677 ...`, `BRASILIA 00000351 002 OF 003`) are taken out of the text.

A cable with a reference id and a text is always a cable: what cannot be read is a warning, never a refusal.
`CableParseError` is raised only for what is not a cable at all (empty, binary, no text, no reference id).
"""

from __future__ import annotations

import csv
import hashlib
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from typing import Any

PRECEDENCES = {"ZZ": "FLASH", "OO": "IMMEDIATE", "PP": "PRIORITY", "RR": "ROUTINE", "YY": "EMERGENCY"}
ADDRESSEE_PRECEDENCES = ("NIACT IMMEDIATE", "IMMEDIATE", "PRIORITY", "ROUTINE", "FLASH")
TRANSMISSION_CLASSIFICATIONS = {"U": "UNCLASSIFIED", "C": "CONFIDENTIAL", "S": "SECRET", "T": "TOP SECRET",
                                "E": "UNCLASSIFIED E.F.T.O."}
CLASSIFICATIONS = ("TOP SECRET", "SECRET", "CONFIDENTIAL", "LIMITED OFFICIAL USE", "UNCLASSIFIED")
CAVEATS = ("SIPDIS", "NOFORN", "SENSITIVE", "NOCONTRACT", "ORCON", "PROPIN", "EXDIS", "LIMDIS", "NODIS", "STADIS",
           "FOR OFFICIAL USE ONLY", "SENSITIVE BUT UNCLASSIFIED", "EFTO", "CHEROKEE", "ROGER", "DECAPTIONED")
PARAGRAPH_MARKINGS = {"U": "UNCLASSIFIED", "SBU": "SENSITIVE BUT UNCLASSIFIED", "C": "CONFIDENTIAL", "S": "SECRET",
                      "NF": "NOFORN", "NOFORN": "NOFORN", "FOUO": "FOR OFFICIAL USE ONLY",
                      "LOU": "LIMITED OFFICIAL USE", "TS": "TOP SECRET", "REL": "RELEASABLE"}
MONTHS = {m: i for i, m in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)}
_FULL_MONTHS = {m.upper(): i for i, m in enumerate(
    ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
     "December"), start=1)}


class CableParseError(ValueError):
    """The input is not a cable the parser can file; the message says what was missing."""

    def __init__(self, message: str, source: str | None = None):
        self.source = source
        super().__init__(f"{source}: {message}" if source else message)


@dataclass(frozen=True)
class Addressee:
    name: str
    routing_indicator: str | None = None
    precedence: str | None = None
    serial: str | None = None


@dataclass(frozen=True)
class TransmissionHeader:
    transmission_id: str | None
    precedence: str | None  # OO, PP, RR, ZZ
    precedence_label: str | None  # IMMEDIATE, PRIORITY, ...
    relay_stations: tuple[str, ...]
    station: str | None  # RUEHKO
    station_serial: str | None  # 1528
    julian_time: str | None  # 1562255: day of year 156, 22:55
    transmission_classification: str | None  # CCCCC
    transmission_classification_label: str | None  # CONFIDENTIAL
    date_time_group: str | None  # 042255Z JUN 08
    sent_at: datetime | None
    origin: str | None  # AMEMBASSY TOKYO
    action: tuple[Addressee, ...]
    info: tuple[Addressee, ...]


@dataclass(frozen=True)
class Paragraph:
    number: int | None  # the paragraph's real number; None where the cable is unnumbered
    raw_number: str | None  # as released: "11.", "- 12.", "¶4."
    marking: str | None  # "C", "U", "SBU", "S/NF"
    marking_label: str | None
    text: str
    heading: str | None = None  # the section heading printed above it, if any


@dataclass(frozen=True)
class Release:
    """What the release says of a cable beside its text: the HTML page's table or the CSV's columns."""

    reference_id: str
    created: datetime | None = None
    classification: str | None = None  # as released, caveats after //: SECRET//NOFORN
    origin: str | None = None  # Embassy Harare, Secretary of State
    released: datetime | None = None
    references: tuple[str, ...] = ()  # the CSV's column of reference ids the cable refers to
    destination: str | None = None

    @property
    def level(self) -> str | None:
        """The classification without caveats: SECRET."""
        return self.classification.split("//")[0].strip() or None if self.classification else None

    @property
    def caveats(self) -> tuple[str, ...]:
        return tuple(c.strip() for c in self.classification.split("//")[1:] if c.strip()) \
            if self.classification else ()


@dataclass(frozen=True)
class Cable:
    reference_id: str  # 08TOKYO1528
    station_name: str  # TOKYO, as the classification line or reference id gives it
    serial: int
    classification: str | None  # CONFIDENTIAL; None only where neither the text nor the release says
    section: str | None  # "01 OF 02"
    header: TransmissionHeader | None
    caveats: tuple[str, ...]
    distribution: tuple[str, ...]  # office symbols and routing lines: EAP/J, G/TIP, STATE FOR EUR/WE
    executive_order: str | None  # E.O. 12958
    declassify_on: date | None
    declassification: str | None  # the text after DECL:, as written
    tags: tuple[str, ...]
    subject_tags: tuple[str, ...]
    country_tags: tuple[str, ...]
    subject: str | None
    references: tuple[str, ...]
    classified_by: str | None
    classification_reasons: str | None
    paragraphs: tuple[Paragraph, ...]
    summary: str | None
    signature: str | None
    truncated: bool
    sent_at: datetime | None  # as the text says: the date-time group or the date line
    iso3: str | None
    country_source: str | None
    report_year: int | None
    report_year_source: str | None
    text_sha256: str
    warnings: tuple[str, ...] = field(default=())
    # (with defaults: cables stored before these were read still load)
    origin: str | None = None  # the posting station as the release names it: Embassy Tokyo, Secretary of State
    created: datetime | None = None  # the cable's date: the text's, else the release's, else inferred
    created_source: str | None = None  # text, release, declassification date
    partial_extract: bool = False  # "This record is a partial extract of the original cable"
    release: Release | None = None  # what the release says beside the text

    @property
    def year(self) -> int:
        return 2000 + int(self.reference_id[:2]) if self.reference_id[:2] < "50" else 1900 + int(self.reference_id[:2])

    @property
    def body(self) -> str:
        return "\n\n".join(p.text for p in self.paragraphs)

    @property
    def marking(self) -> str | None:
        """Classification and caveats as the release writes them: SECRET//NOFORN, UNCLASSIFIED//FOR OFFICIAL USE
        ONLY (an unclassified cable marked SENSITIVE). The release's own where it gives one (a disagreement with
        the text is among the warnings), else as the text reads."""
        if self.release is not None and self.release.classification:
            return self.release.classification
        return marking_of(self.classification, self.caveats)

    def to_dict(self) -> dict[str, Any]:
        """Every parsed field, JSON-ready (dates as ISO 8601)."""
        result: dict[str, Any] = _jsonable(self)
        return result


def marking_of(classification: str | None, caveats: tuple[str, ...] | list[str]) -> str | None:
    if classification is None:
        return None
    if "NOFORN" in caveats:
        return f"{classification}//NOFORN"
    if classification == "UNCLASSIFIED" and ("SENSITIVE" in caveats or "FOR OFFICIAL USE ONLY" in caveats
                                             or "SENSITIVE BUT UNCLASSIFIED" in caveats):
        return "UNCLASSIFIED//FOR OFFICIAL USE ONLY"
    return classification


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    if cls not in _FIELD_NAMES:
        _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return _FIELD_NAMES[cls]


_PLAIN = frozenset({str, int, float, bool, type(None)})  # JSON-ready as they are


def _jsonable(value: Any) -> Any:
    """Like dataclasses.asdict, without its deep copies (ingest calls this for every cable; the plain values,
    most of them, are passed over without a call)."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, tuple | list):
        return [v if type(v) in _PLAIN else _jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: v if type(v) in _PLAIN else _jsonable(v) for k, v in value.items()}
    return {name: v if type(v := getattr(value, name)) in _PLAIN else _jsonable(v)
            for name in _field_names(type(value))}


# --- tables -------------------------------------------------------------------------------------------------

def _read_rows(name: str) -> list[dict[str, str]]:
    with resources.files("tiptiers.data").joinpath(name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@cache
def country_tags() -> dict[str, str]:
    """State Department TAGS country codes (FIPS 10-4) -> ISO alpha-3."""
    return {row["tag"]: row["iso3"] for row in _read_rows("state_country_tags.csv")}


@dataclass(frozen=True)
class Post:
    key: str  # as reference ids write it: OSAKAKOBE
    iso3: str  # "" for missions
    kind: str  # embassy, consulate, office, mission
    origin: str  # as the release names it: Consulate Osaka Kobe


@cache
def post_table() -> dict[str, Post]:
    return {row["post"]: Post(row["post"], row["iso3"], row["kind"], row["origin"])
            for row in _read_rows("cable_posts.csv")}


@cache
def posts() -> dict[str, str]:
    """Posts as written in reference ids (TOKYO, OSAKAKOBE) -> ISO alpha-3; '' for missions (STATE, USUNNEWYORK)."""
    return {key: post.iso3 for key, post in post_table().items()}


@cache
def _origin_posts() -> dict[str, Post]:
    """The release's names of posts (upper case, letters only) -> post."""
    return {re.sub(r"[^A-Z]", "", post.origin.upper()): post for post in post_table().values()}


# --- header -------------------------------------------------------------------------------------------------

_SERIAL_AT_END = re.compile(r"\s(\d{1,6})$")
_TRANSMISSION = re.compile(r"(VZCZC[A-Z0-9]*)")
_PRECEDENCE = re.compile(r"(?:VZCZC[A-Z0-9]*\s+)?(ZZ|OO|PP|RR|YY)\b\s*(?P<relays>(?:R[A-Z]{3,6}\s+)*)")
_FM = re.compile(r"\bFM\s+(?P<origin>.+?)(?=\s+TO\s+|\s+INFO\s+|\s+BT\b|$)")
_TO = re.compile(r"\bTO\s+(?P<to>.+?)(?=\s+INFO\s+|\s+BT\b|$)")
_INFO = re.compile(r"\bINFO\s+(?P<info>.+?)(?=\s+BT\b|$)")
_HAS_HEADER = re.compile(r"\bVZCZC|\bDE\s+R[A-Z]{3,6}\s+#\d|^\s*FM\s+[A-Z]", re.M)
_DTG = re.compile(r"\b(?P<day>\d{2})(?P<hh>\d{2})(?P<mm>\d{2})Z\s+(?P<mon>[A-Za-z]{3})\s+(?P<yy>\d{2,4})\b")
_DE = re.compile(r"\bDE\s+(?P<station>R[A-Z]{3,6})\s+#(?P<serial>\d{1,5})(?:/\d+)?(?:\s+(?P<julian>\d{7}))?")
_ZN = re.compile(r"\bZN[YR]\s+(?P<cls>([UCSTE])\2{4})")
_ROUTED = re.compile(r"\b(R[A-Z]{3,7})/")
_INFO_JUNK = re.compile(r"\bPAGE\s+\d{2}\s+[A-Z ]+?\s+\d{3,6}\s+\d{6}Z\s*")  # a page break inside the INFO list


def _parse_dtg(match: re.Match[str]) -> datetime | None:
    month = MONTHS.get(match["mon"].upper())
    year = int(match["yy"])
    year = year + 2000 if year < 50 else year + 1900 if year < 100 else year
    try:
        return datetime(year, month or 0, int(match["day"]), int(match["hh"]), int(match["mm"]), tzinfo=UTC)
    except ValueError:
        return None


def _parse_addressees(text: str) -> tuple[Addressee, ...]:
    """`RUEHC/SECSTATE WASHDC IMMEDIATE 4779 RUEHFK/AMCONSUL FUKUOKA PRIORITY 8177` -> addressees."""
    text = text.strip()
    if not text:
        return ()
    parts = _ROUTED.split(text)
    chunks: list[tuple[str | None, str]] = []
    if parts[0].strip():
        chunks.append((None, parts[0].strip()))
    chunks += [(parts[i], parts[i + 1].strip()) for i in range(1, len(parts) - 1, 2)]
    result = []
    for routing, rest in chunks:
        serial = None
        m = _SERIAL_AT_END.search(rest)
        if m:
            serial, rest = m.group(1), rest[: m.start()].strip()
        precedence = next((p for p in ADDRESSEE_PRECEDENCES if rest.endswith(" " + p) or rest == p), None)
        if precedence:
            rest = rest[: -len(precedence)].strip()
        result.append(Addressee(name=rest, routing_indicator=routing, precedence=precedence, serial=serial))
    return tuple(result)


def _parse_header(text: str) -> tuple[TransmissionHeader, list[str]]:
    """The transmission header, joined into one line. Returns it and the list of parts it lacks."""
    flat = " ".join(text.split())
    if "PAGE " in flat:
        flat = _INFO_JUNK.sub("", flat)
    missing = []
    transmission = _TRANSMISSION.search(flat)
    m_prec = _PRECEDENCE.match(flat)
    de = _DE.search(flat)
    zn = _ZN.search(flat)
    dtg = _DTG.search(flat)
    fm = _FM.search(flat)
    to = _TO.search(flat)
    info = _INFO.search(flat[fm.end():]) if fm else None
    for name, found in (("station line (DE R... #serial)", de), ("date-time group (e.g. 042255Z JUN 08)", dtg),
                        ("origin (FM ...)", fm), ("action addressees (TO ...)", to)):
        if not found:
            missing.append(name)
    relays = tuple(m_prec["relays"].split()) if m_prec else ()
    precedence = m_prec.group(1) if m_prec else None
    header = TransmissionHeader(
        transmission_id=transmission.group(1) if transmission else None,
        precedence=precedence,
        precedence_label=PRECEDENCES.get(precedence or ""),
        relay_stations=relays,
        station=de["station"] if de else None,
        station_serial=de["serial"] if de else None,
        julian_time=de["julian"] if de else None,
        transmission_classification=zn["cls"] if zn else None,
        transmission_classification_label=TRANSMISSION_CLASSIFICATIONS.get(zn["cls"][0]) if zn else None,
        date_time_group=dtg.group(0) if dtg else None,
        sent_at=_parse_dtg(dtg) if dtg else None,
        origin=fm["origin"].strip() if fm else None,
        action=_parse_addressees(to["to"]) if to else (),
        info=_parse_addressees(info["info"]) if info else (),
    )
    return header, missing


# --- the lines before the text: classification line, caveats, distribution, E.O., TAGS, SUBJECT, REF ---------

MAX_CLASS_LINE = 300  # "S E C R E T SECTION 01 OF 02 HO CHI MINH CITY 001234 NOFORN" is far shorter


def _spaced(word: str) -> str:
    """A classification word as the release may write it: `SECRET`, `S E C R E T`, `SE C R E T`, `SS E C R E T`."""
    return r"\s?".join(re.escape(c) for c in word)


_LEVELS = [("TOP SECRET", r"T\s?O\s?P\s*" + _spaced("SECRET")), ("SECRET", r"S?" + _spaced("SECRET")),
           ("CONFIDENTIAL", r"C?" + _spaced("CONFIDENTIAL")),
           ("LIMITED OFFICIAL USE", _spaced("LIMITED") + r"\s*" + _spaced("OFFICIAL") + r"\s*" + _spaced("USE")),
           ("UNCLASSIFIED", _spaced("UNCLAS") + r"(?:\s?" + _spaced("SIFIED") + ")?")]
_LEVEL = "|".join(f"(?P<l{i}>{pattern})" for i, (_, pattern) in enumerate(_LEVELS))
_CLASS_LINE = re.compile(
    rf"^\W{{0,3}}(?:{_LEVEL})"
    r"(?P<pre>(?:\s*/{0,2}\s*(?:NOFORN|SENSITIVE|EFTO|E\s?F\s?T\s?O|SIPDIS|SBU|FOUO|EXDIS|NODIS|LIMDIS))*)"
    r"(?:\s+SECTION\s+(?P<section>\d+\s+OF\s+\d+))?"
    r"\s+(?P<station>[A-Z][A-Z .'/-]*?|X{3,})\s+(?P<serial>\d{1,7})\b(?P<trail>.*)$", re.I)
# a looser look at the level (any spacing): every line _CLASS_LINE matches once its spaces are single matches this
_CLASS_LOOSE = re.compile(r"^\W{0,8}(?:T\s*O\s*P|S?\s*S\s*E\s*C|C?\s*C\s*O\s*N\s*F|L\s*I\s*M|U\s*N\s*C)", re.I)
_CLASS_FIRST = re.compile(r"^\W{0,3}(?:T\s?O\s?P|S|C|L\s?I|U\s?N)", re.I)  # a cheap first look
_DATE_LINE = re.compile(
    r"^\s*(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday),\s+(?P<day>\d{1,2})\s+(?P<month>[A-Za-z]+)\s+"
    r"(?P<year>\d{4}),\s+(?P<hh>\d{1,2}):(?P<mm>\d{2})\s*$")
_LABEL = re.compile(
    r"^\W{0,2}(?:\(\s?[A-Z/]{1,6}\s?\)\s*)?(?:"
    r"(?P<eo>E\.?\s?O\.?\s?\d{4,5}\b|EO\s+\d{5}\b|E\.O\.\s|DECL(?:ASSIFY)?\s*:)"
    r"|(?P<tags>TAGS?\b)"
    r"|(?P<subject>SUBJ(?:ECT)?\b)"
    r"|(?P<ref>REF(?:S|TEL|TELS|ERENCES?)?\b(?!\s+(?:TO|THE)\b))"
    r"|(?P<by>CLASS?I?FIED\s+BY\b|DERIVED\s+FROM\b))", re.I)
# labels that may follow on the same line, in this order (`E.o. 12958: decl: 01/07/2014 Tags: prel Subject: ...`)
_INLINE_LABEL = re.compile(r"\s(?:(?P<tags>TAGS?)\s*:?|(?P<subject>SUBJ(?:ECT)?)\s*:|(?P<ref>REFS?)\s*:|"
                           r"(?P<by>CLASSIFIED\s+BY)\b\s*:?)\s*|"
                           r"(?-i:(?<=[A-Z])(?P<glued>REF:))\s*", re.I)  # `... AS UK PRIMEREF: A. LONDON 1939`
_LABEL_ORDER = {"eo": 0, "tags": 1, "subject": 2, "ref": 3, "by": 4}
_CAVEAT_LINE = re.compile(
    r"^(?:(?:SIPDIS|NOFORN|SENSITIVE|NOCONTRACT|ORCON|PROPIN|EXDIS|LIMDIS|NODIS|STADIS|EFTO|CHEROKEE|ROGER|"
    r"FOR OFFICIAL USE ONLY|SENSITIVE BUT UNCLASSIFIED|DECAPTIONED|(?:E\s)?F\s?T\s?O|REL TO [A-Z, ]+|"
    r"NOT FOR INTERNET DISTRIBUTION|PLEASE PROTECT ACCORDINGLY|PROTECT ACCORDINGLY)[\s,;.]*)+$", re.I)
_CAVEAT_WORDS = re.compile(r"SENSITIVE BUT UNCLASSIFIED|FOR OFFICIAL USE ONLY|REL TO [A-Z, ]+|[A-Z]+", re.I)
# `THIS CABLE IS SENSITIVE BUT UNCLASSIFIED AND NOT FOR INTERNET DISTRIBUTION.`, `SECRET//FGI//NOFORN`
_HANDLING_NOTE = re.compile(
    r"^(?:\(\w{1,6}\)\s*)?(?:(?:THIS\s+(?:CABLE|MESSAGE|TELEGRAM)\s+IS\s+)?SENSITIVE,?\s+BUT\s+UNCLASSIFIED\b.{0,90}$|"
    r"(?:TOP SECRET|SECRET|CONFIDENTIAL|UNCLASSIFIED)(?://[A-Z ]{2,30})+\s*$)", re.I)
_NOTE_LINE = re.compile(r"^(?:C\s?O\s?R\s?R\s?E\s?C\s?T\s?E\s?D|CORRECTED\s+COPY|DECAPTIONED|E\s?X\s?D\s?I\s?S|"
                        r"N\s?O\s?D\s?I\s?S|CHANGED\s+CLASSIFICATION|THIS\s+IS\s+A\s+CORRECTED)", re.I)
# a line of the telegram's own header or of a page break (not text): routing, PAGE lines, action and info offices
_HEADER_LINE = re.compile(
    r"^(?:VZCZC|(?:[OPRZ]\s){1,2}\d{6}Z|[OPRZ]{2}\s+R[A-Z]{3}|DE\s+R[A-Z]{3,6}\s|ZN[YR]\s|FM\s|TO\s|INFO\s|BT$|"
    r"R[A-Z]{3,7}/|PAGE\s+\d{2}|ACTION\s+[A-Z]+-\d|-{5,}[A-Z0-9]*\s+\d{6}Z|This record is a partial extract|"
    r"\d{6}Z\s+[A-Za-z]{3}\s+\d{2}$|>$|\d{1,2}/\d{1,2}/\d{4}\s+\d{1,2}:\d{2}$|\d{2}[A-Z]+\d+$|"
    r"(?:[A-Z]{1,6}-\d\d\s+){3})")
_BARE = (r"^\W*(?:UNCLASSIFIED|UNCLAS|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE|TOP SECRET|C O N F I D E N T I A L|"
         r"S E C R E T|U N C L A S S I F I E D)(?:\s+(?:PTQ|PTP|PTO|PTR)\d+|\s+NOFORN|\s+SENSITIVE)?\W*$")
_BARE_CLASSIFICATION = re.compile(_BARE, re.I)
_ORIGIN_LINE = re.compile(r"^(?:Embassy|Consulate|Mission|Secretary of State|USEU|UNVIE|US Interests|Iran RPO|"
                          r"USUN|AIT|REO)\b")
# `1. (C)`, `¶4.`, `- 12.`, `1.(C)`, and `10 (C)` where the release lost the full stop
_PARA = re.compile(r"^(?P<raw>(?:[-–•*]\s?)?(?:¶\s?)?(?P<num>\d{1,3})(?:\s?[.),](?=[\s(]|$)|(?=\s+\([A-Z/]{1,10}\)\s)))"
                   r"\s*"
                   r"(?:\((?P<mark>[A-Z/]{1,10})\)\s*)?(?P<rest>.*)$")
_MARK_ONLY = re.compile(r"^\((?P<mark>U|SBU|C|S|S/NF|C/NF|S//NF|C//NF|U//FOUO|SBU/NF|LOU|TS|S/REL|C/REL|"
                        r"U/FOUO|C/NOFORN|S/NOFORN|S//NOFORN|C//NOFORN|S/REL TO [A-Z, ]+)\)\s+(?P<rest>.*)$", re.I)
_SUMMARY_START = re.compile(r"^(?:\(\w{1,6}\)\s*)?(?:Summary(?:\s+and\s+Comment)?|Begin\s+Summary)\b\s*[.:-]?",
                            re.I)
# an addressing line under the classification line (`STATE FOR EUR/WE`, `DEPT PASS TO USTR`, `EAP/J, G/TIP`): searched
_DISTRIBUTION = re.compile(r"^(?:AND|ALSO|FROM|DEPT|DEPARTMENT|STATE|NSC|USDOC|TREASURY)\b|\b(?:FOR|PASS|PLEASE)\b|/",
                           re.I)
_OFFICE_LIST = re.compile(r"[A-Z][A-Z/&-]*/[A-Z/&-]*(?:,\s*[A-Z][A-Z/&-]*)+,?")
# a line the telegram's page and section breaks left inside the text
_BREAK_LINE = re.compile(r"^(?:PAGE\s+\d{2}\s|ACTION\s+[A-Z]+-\d\d|INFO\s+LOG-\d\d|(?:[A-Z]{1,6}-\d\d\s+){3}|"
                         r"-{5,}[A-Z0-9]+\s+\d{6}Z|VZCZC|(?:[OPRZ]\s){1,2}\d{6}Z\s+[A-Z]{3}\s+\d{2}\s+FM\s)")
_NOT_TEXT = re.compile(f"(?i:{_BARE})|{_BREAK_LINE.pattern}")  # either, in one look at a line
# what every line that needs a second look in `_paragraphs` matches (stripped): _NOT_TEXT, a SIPDIS mark, or what
# `_class_line` may take for a classification line (it takes none that _CLASS_LOOSE does not match)
_ATTENTION = re.compile(rf"(?:{_NOT_TEXT.pattern})|SIPDIS|Sipdis|(?i:{_CLASS_LOOSE.pattern})")


@dataclass
class _Fields:
    caveats: list[str] = field(default_factory=list)
    distribution: list[str] = field(default_factory=list)
    eo: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    subject: list[str] = field(default_factory=list)
    ref: list[str] = field(default_factory=list)
    by: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    glued: tuple[int, str] | None = None  # `... reasons 1.4 b and d 1.(C)`: the first paragraph's number and mark


def _level_of(match: re.Match[str]) -> str:
    return next(_LEVELS[i][0] for i in range(len(_LEVELS)) if match[f"l{i}"])


_CLASS_INITIALS = frozenset("TSCLUtsclu")


def _class_line(line: str) -> re.Match[str] | None:
    stripped = line.strip()
    if not stripped or len(stripped) > MAX_CLASS_LINE:
        return None
    first = stripped[0]  # a word character other than a level's initial cannot start one (_CLASS_FIRST)
    if first not in _CLASS_INITIALS and (first.isalnum() or first == "_"):
        return None
    if not _CLASS_FIRST.match(stripped) or not _CLASS_LOOSE.match(stripped):
        return None
    return _CLASS_LINE.match(" ".join(stripped.split()))


_SPACES = re.compile(r"\s+")


def _add_caveats(found: list[str], text: str) -> None:
    for word in _CAVEAT_WORDS.findall(text.upper()):
        word = _SPACES.sub(" ", word)
        caveat = "EFTO" if word in ("E F T O", "F T O") else word
        if (caveat in CAVEATS or caveat.startswith("REL TO")) and caveat not in found:
            found.append(caveat)


def _split_labels(line: str, first: str) -> list[tuple[str, str]]:
    """A line that starts with the `first` label, split where later labels follow on the same line."""
    parts = []
    current, start = first, 0
    for m in _INLINE_LABEL.finditer(line):
        label = next(k for k, v in m.groupdict().items() if v)
        label = "ref" if label == "glued" else label
        if _LABEL_ORDER[label] <= _LABEL_ORDER[current] or (label == "tags" and current != "eo"):
            continue
        parts.append((current, line[start:m.start()]))
        current, start = label, m.end()
    parts.append((current, line[start:]))
    return parts


_LABEL_PREFIX = re.compile(r"^\W{0,2}(?:\(\s?[A-Z/]{1,6}\s?\)\s*)?(?:TAGS?|SUBJ(?:ECT)?|REF(?:S|TEL|TELS|ERENCES?)?|"
                           r"CLASS?I?FIED\s+BY|DERIVED\s+FROM)\b\s*[:.]?\s*", re.I)


def _label_value(label: str, text: str) -> str:
    """The text after a label: `SUBJECT: FOO` -> `FOO`, `TAGS PGOV` -> `PGOV`, `(U) Classified By: X` -> `X`."""
    if label == "eo":
        return text.strip()
    m = _LABEL_PREFIX.match(text)
    return text[m.end():].strip() if m else text.strip()


# `¶B. SANTO DOMINGO 21`
_LETTERED_REF = re.compile(r"^¶?\s?\(?[A-Za-z][.)]\s+(?:\d{2,4}\s+)?[A-Z][A-Za-z ]*?\s+\d{1,7}\b")
_GLUED_NUMBER = re.compile(r"\s(?P<num>1)\s?\.\s?\((?P<mark>[A-Z/]{1,10})\)\s*$")
_PORTION_MARK = re.compile(r"^\((?:U|SBU|C|S|TS|[CSU]/+(?:NF|NOFORN|REL[A-Z ,]*|FOUO)|SBU/+NF)\)\s*", re.I)
_REDACTED = re.compile(r"x{4,}", re.I)  # the release's redactions, XXXXXXXXXXXX or xxxxx
_REASONS_GO_ON = re.compile(r"^(?:and\b|&|\(|for\s+reasons?\b|reasons?\b|\d\.\d|[a-hA-H]\)|[B-D](?:\b|,)|\)|"
                            r"rs\b|[a-z]{1,3}\s)", re.I)


def _paragraph_line(line: str) -> bool:
    """A line that starts a numbered paragraph (`1. (C) ...`; `4, 2006.` does not, `1, (C)` does)."""
    m = _PARA.match(line)
    return m is not None and (bool(m["mark"]) or not m["raw"].endswith(","))


def _ends_the_heading(line: str) -> bool:
    """A line that can follow the subject: another field, a caveat or note, a heading rule, the first paragraph."""
    return bool(_LABEL.match(line) or _paragraph_line(line) or _MARK_ONLY.match(line) or _CAVEAT_LINE.match(line)
                or _DASHES.match(line) or _NOTE_LINE.match(line) or _SUMMARY_START.match(line))


def _subject_goes_on(lines: list[str], at: int, so_far: list[str], after_blank: bool) -> bool:
    """Whether the line at `at` (with no label) carries on the subject: an upper-case subject goes on in upper
    case; any subject goes on in a line or two that the next field or the first paragraph follows."""
    line = lines[at].strip()
    if len(line) > 160 or _SUMMARY_START.match(line) or _paragraph_line(line) or _MARK_ONLY.match(line) \
            or _DASHES.match(line):
        return False
    heading_follows = False
    for ahead in lines[at + 1:at + 5]:  # the field or the text after this line and at most two more short ones
        ahead = ahead.strip()
        if not ahead:
            continue
        if _ends_the_heading(ahead):
            heading_follows = True
            break
        if len(ahead) > 100 or _ends_sentence(ahead):
            break
    else:
        heading_follows = True
    letters = [c for c in _REDACTED.sub("", " ".join(so_far)) if c.isalpha()]
    upper = bool(letters) and all(c.isupper() for c in letters)
    line_upper = not any(c.islower() for c in _REDACTED.sub("", line))
    if upper and not line_upper:
        return False
    if heading_follows:
        return len(line) <= 130
    return upper and not after_blank and len(line) <= 80 and not _ends_sentence(line)


def _continues(label: str, values: list[str], line: str) -> bool:
    """Whether a line that starts with no label carries on the field above it (REF and Classified By wrap)."""
    if label == "ref":
        return bool(re.match(r"(?i)^(?:¶\s?)?(?:[A-Z][.)]|\(?[A-Z]\)|\d{2,6}\b|[A-Z]+\s+\d+|AND\b|[A-Z0-9 ./;,()-]+$)",
                             line)) and len(line) < 120
    if label == "by":
        so_far = " ".join(values).rstrip()
        if re.search(r"\b1\.$", so_far) and line[:1].isdigit():
            return True  # `for reasons 1.` / `4 (b/d).`
        if len(line) < 50 and _REASONS_GO_ON.match(line) and not re.search(r"\breasons?\b.*\breasons?\b",
                                                                         so_far + " " + line, re.I):
            return True  # `... 1.4 (b)` / `and (d).`, `Reasons 1.4 (b and d).`
        return not so_far.endswith((".", ")")) and len(line) < 80
    if label == "tags":
        return bool(re.fullmatch(r"(?:[A-Z]{2,8}[,;]?\s*)+", line))
    return False


def _read_head(lines: list[str], start: int) -> tuple[int, int | None, re.Match[str] | None, _Fields, list[str],
                                                     re.Match[str] | None]:
    """The lines from `start` up to the text: where the text starts, the classification line (index and match),
    the fields, the telegram header lines found among them, and the date line."""
    f = _Fields()
    header_lines: list[str] = []
    class_idx: int | None = None
    class_match: re.Match[str] | None = None
    date_line: re.Match[str] | None = None
    current: str | None = None  # the field the last line belonged to
    last: str | None = None  # the field before the last blank line
    since_class = f.seen  # the fields seen since the classification line (all of them until it is found)
    i = start
    n = len(lines)
    while i < n:
        raw = lines[i]
        line = raw.strip()
        if not line:
            if current not in (None, "header"):
                last = current
            current = None if current != "header" else current
            i += 1
            continue
        if current in ("ref", "subject") and _LETTERED_REF.match(line):
            current = "ref"
            f.seen.add("ref")
        if current is None and last == "ref" and re.match(r"^¶?\(?[B-Zb-z][.)]\s", line):
            current = "ref"  # `REF: A. BAKU 1761`, a blank line, `¶B. BAKU 1819`
        if current is None and last == "by" and not re.search(r"\d\.\d", " ".join(f.by)) \
                and _continues("by", f.by, line):
            current = "by"  # `Classified By: ... for reasons`, a blank line, `1.4 (b) and (d)`
        if current is None and last in ("subject", "ref") and _LETTERED_REF.match(line):
            current = "ref"  # lettered references whose `REF:` the release lost
            f.seen.add("ref")
        if current is None and last == "subject" and "ref" not in f.seen and "by" not in f.seen \
                and _subject_goes_on(lines, i, f.subject, after_blank=True):
            current = "subject"  # a subject wrapped over a blank line
        label = _LABEL.match(line)
        if label is None and not (current in ("ref", "subject") and _LETTERED_REF.match(line)):
            if _paragraph_line(line):
                break
            if (_MARK_ONLY.match(line) and not _HANDLING_NOTE.match(line)) or (
                    f.seen & {"subject", "tags", "by"} and _SUMMARY_START.match(line)):
                break
        if class_idx is None and label is None and (m := _class_line(line)) is not None:
            class_idx, class_match, current = i, m, None
            since_class = set()  # fields before the classification line do not end the addressing after it
            i += 1
            continue
        if label is None and date_line is None and (d := _DATE_LINE.match(line)):
            date_line, current = d, None
            i += 1
            continue
        if label is None and class_idx is None and not f.seen and (_HEADER_LINE.match(line) or (
                current == "header" and not _CAVEAT_LINE.match(line) and line.upper() == line and len(line) < 100)):
            header_lines.append(line)
            current = "header"
            i += 1
            continue
        if label is not None:
            name = next(k for k, v in label.groupdict().items() if v)
            if name == "eo" and label["eo"].upper().startswith("DECL") and "eo" in f.seen and current == "eo":
                f.eo.append(line)
                i += 1
                continue
            if (glued := _GLUED_NUMBER.search(line)) is not None:
                f.glued = (int(glued["num"]), glued["mark"])
                line = line[:glued.start()]
            for part_label, part in _split_labels(line, name):
                if part_label in f.seen and part_label != "eo":  # a later section repeats its fields
                    current = "repeat"
                    continue
                f.seen.add(part_label)
                since_class.add(part_label)
                getattr(f, part_label).append(part if part_label == "eo" else _label_value(part_label, part))
                current = part_label
            i += 1
            continue
        if _CAVEAT_LINE.match(line) or _HANDLING_NOTE.match(line):
            _add_caveats(f.caveats, line.replace(",", ""))
            current = None
            i += 1
            continue
        if _BARE_CLASSIFICATION.match(line) or _BREAK_LINE.match(line):  # a page break: the field goes on after it
            i += 1
            continue
        if _NOTE_LINE.match(line) or _ORIGIN_LINE.match(line):
            current = None
            i += 1
            continue
        if current == "subject" and _subject_goes_on(lines, i, f.subject, after_blank=False):
            f.subject.append(line)
            i += 1
            continue
        if current in ("ref", "by", "tags") and _continues(current, getattr(f, current), line):
            getattr(f, current).append(line)
            i += 1
            continue
        if current == "repeat":
            i += 1
            continue
        if not since_class & {"subject", "tags", "by", "ref"} and len(line) <= 120 and not _ends_sentence(line) \
                and (_DISTRIBUTION.search(line) or line.upper() == line):
            if _OFFICE_LIST.fullmatch(line.strip()):  # `EAP/J, EAP/RSP, L/LEI, G/TIP`: the offices one by one
                f.distribution += [d.strip() for d in line.split(",") if d.strip()]
            else:
                f.distribution.append(" ".join(line.split()))
            current = "distribution"
            i += 1
            continue
        if not f.seen & {"eo", "tags", "subject"} and _fields_follow(lines, i):
            current = None  # a note above the fields (`Copy from the National Archives`, `RG 59: ...`)
            i += 1
            continue
        break  # the text starts here (a cable without numbered paragraphs)
    return i, class_idx, class_match, f, header_lines, date_line


def _fields_follow(lines: list[str], at: int) -> bool:
    """Whether E.O., TAGS or SUBJECT come within the next lines, before any numbered paragraph."""
    for line in lines[at + 1:at + 20]:
        stripped = line.strip()
        if not stripped:
            continue
        label = _LABEL.match(stripped)
        if label and (label["eo"] or label["tags"] or label["subject"]):
            return True
        if _paragraph_line(stripped) or _MARK_ONLY.match(stripped):
            return False
    return False


def _parse_date_line(m: re.Match[str]) -> datetime | None:
    month = _FULL_MONTHS.get(m["month"].upper())
    try:
        return datetime(int(m["year"]), month or 0, int(m["day"]), int(m["hh"]), int(m["mm"]), tzinfo=UTC)
    except ValueError:
        return None


def _declassify_on(text: str) -> date | None:
    """`06/03/2018`, `2019/12/24`, `11/29/10`, `1/7/2014` -> a date."""
    m = re.search(r"\b(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})\b", text)
    if m:
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    else:
        m = re.search(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}(?:\d{2})?)\b", text)
        if not m:
            return None
        month, day, year = int(m[1]), int(m[2]), int(m[3])
        year = year + 2000 if year < 50 else year + 1900 if year < 100 else year
    try:
        return date(year, month, day)
    except ValueError:
        return None


_SUBJECT_TAG = re.compile(r"[ACEKMOPST][A-Z]{3}")  # the four-letter subject tags: PREL, EIND, KTIP, SNAR...


_BRACKETED = re.compile(r"\([^)]*\)?")
_TAG_SEPARATORS = re.compile(r"[\s,;]+")
_TAG_TOKEN = re.compile(r"[A-Za-z0-9-]+")


def _tags(values: list[str]) -> list[str]:
    text = _BRACKETED.sub(" ", " ".join(values))  # OVIP (CLINTON, HILLARY): the name is not a tag
    tags: list[str] = []
    for token in _TAG_SEPARATORS.split(text):
        if not _TAG_TOKEN.fullmatch(token):
            continue
        token = token.upper()
        # two subject tags the release ran together (EINDETRD), unless a name follows OVIP (PETRAEUS)
        if len(token) == 8 and _SUBJECT_TAG.fullmatch(token[:4]) and _SUBJECT_TAG.fullmatch(token[4:]) \
                and "OVIP" not in tags:
            tags += [token[:4], token[4:]]
        elif len(token) == 6 and _SUBJECT_TAG.fullmatch(token[:4]) and token[4:] in country_tags():
            tags += [token[:4], token[4:]]  # KDEMAF: a subject tag and a country's
        else:
            tags.append(token)
    return list(dict.fromkeys(tags))


def _references(values: list[str]) -> list[str]:
    """`A. STATE 162318 B. STATE 109649`, `A) BAKU 139 B) BAKU 132`, `BRASILIA 347; BRASILIA 278` -> the refs."""
    text = " ".join(values).replace("¶", " ")
    text = " ".join(re.split(r"\s{2,}(?=PLEASE\s+PASS\b)", text)[0].split())  # `STATE 6461  PLEASE PASS TO RSO`
    if not text or text.upper() in ("NONE", "N/A"):
        return []
    items: list[str] = []
    letter = "A"
    rest = text
    first = re.match(r"^\(?([A-Za-z])[.)]\s+", rest)  # A., or the first letter the release left (B.)
    if first:
        letter = first[1].upper()
        rest = rest[first.end():]
        while True:
            letter = chr(ord(letter) + 1)
            m = re.search(rf"(?:^|[\s;,])\(?[{letter}{letter.lower()}][.)]\s+", rest)
            if not m:
                items.append(rest)
                break
            items.append(rest[:m.start()])
            rest = rest[m.end():]
    else:
        items = [rest]
    result: list[str] = []
    for item in items:
        item = re.sub(r"^(?:\(?[A-Za-z][.):]\s+)+", "", item.strip())  # `A. A) 2009 BAKU 972`: the letter twice
        if re.fullmatch(r"(?:19|20)\d\d[.,]?", item) and result:  # `FEBRUARY 17`, `¶B. 2006`: the release cut it
            result[-1] += " " + item.strip(".,")
            continue
        for part in re.split(r";|:\s+(?=(?:\d{2,4}\s+)?[A-Z]+\s+\d)", item):  # `TEHRAN 1091: TEHRAN 263`
            result += [p.strip(" ,.;:") for p in _posts_pattern().split(part) if p.strip(" ,.;:")]
    return result


@cache
def _posts_pattern() -> re.Pattern[str]:
    """Where a reference without a separator begins: `STATE 297614 AND PREVIOUS 03 RANGOON 1427`."""
    names = {" ".join(post.origin.upper().split()[1:]) for post in post_table().values() if post.kind != "mission"}
    names |= {"STATE", "SECSTATE", "USUN NEW YORK", "USNATO", "USEU BRUSSELS", "UNVIE VIENNA", "USOSCE", "GENEVA"}
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True) if n)
    post = rf"(?:{alternatives})\s+\d{{1,7}}\b"
    # before a year and a post (`... 25 07 ISLAMABAD 5138`), or before a post no year stands before (`03 RANGOON`)
    return re.compile(rf"(?<=[0-9A-Z])\s+(?=\d{{2}}(?:\d{{2}})?\s+{post})|"
                      rf"(?<=[0-9A-Z])(?<!\b\d\d)(?<!\b\d{{4}})\s+(?={post})")


_CLASSIFIED_BY = re.compile(r"^(?P<who>.+?)(?:[,;]?\s+(?:for\s+|,\s*)?reasons?\s*:?\s*(?P<why>.+?))?\.?$", re.I)


def _classified_by(values: list[str]) -> tuple[str | None, str | None]:
    text = " ".join(" ".join(values).split())
    if not text:
        return None, None
    m = _CLASSIFIED_BY.match(text)
    if not m:
        return text, None
    return m["who"].strip(" ,.;:"), (m["why"].strip() if m["why"] else None)


# --- the text: page breaks out, then paragraphs ---------------------------------------------------------------

_SIGNATURE = re.compile(r"^[A-Z][A-Z .,'-]{1,40}$")
_END_MARKERS = re.compile(r"^(?:BT|NNNN|#\d+|END OF (?:CABLE|MESSAGE)|>|\W)$")
_DASHES = re.compile(r"^[-=_*](?:\s?[-=_*]){2,}\s*$")
# a paragraph number with its marking inside a line, after a sentence or a redaction: where a paragraph begins
_MIDLINE_PARA = re.compile(r"(?<=[.!?\"”’)X])[ \t]+"
                           r"(?=¶?\d{1,2}\.\s?\((?:U|SBU|C|S|TS|[CSU]/{1,2}(?:NF|FOUO)|SBU/NF)\)\s)")
# what every place _MIDLINE_PARA splits at holds, found fast (a class of characters first, not a look-behind)
_MIDLINE_HINT = re.compile(r"[.!?\"”’)X][ \t]+¶?\d{1,2}\.\s?\((?:U|SBU|C|S|TS|[CSU]/{1,2}(?:NF|FOUO)|SBU/NF)\)\s")
_REDACTED_LINE = re.compile(r"^X{6,}$")
_DASHED_HEADING = re.compile(r"^(?:-\s){2,}(?P<text>[^-].*?)(?:\s-){2,}$")  # `- - - - Summary - - - -`
_TRAILING_CLASSIFICATION = re.compile(r"\s{2,}(?:UNCLASSIFIED|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE)\s*$")
_LEVEL_ENDS = ("UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "USE", " ")


# The telegram's page and section breaks as the release left them in the text: `PAGE 02 HARARE 06677 01 OF 03
# 291400Z` (partial extracts, at the start of a line) and `BRASILIA 00000351 002 OF 003` (anywhere). Only this
# cable's own post and serial make one, which tells them from text.
_PAGE_LINE = re.compile(r"^[ \t]*PAGE\s+\d{2,3}\s+(?P<station>[A-Z][A-Z .'-]*?)\s+(?P<serial>\d{3,7})\s+"
                        r"(?:\d{2}\s+OF\s+\d{2}\s+)?\d{6}Z[ \t]*(?:\n|$)?", re.M)
_SECTION_MARK = re.compile(r"[ \t]+(?P<serial>0{2,}\d{1,7})[ \t]+\d{3}(?:\.\d)?[ \t]+OF[ \t]+\d{3}\b[ \t]*", re.I)
# _SECTION_MARK from its digits on (a literal start, "00", which the scan finds fast, where the leading blanks match
# at every space of the text): `_section_marks` gives the matches _SECTION_MARK.finditer gives, blanks included
_SECTION_MARK_DIGITS = re.compile(r"(?P<serial>000*\d{1,7})[ \t]+\d{3}(?:\.\d)?[ \t]+[Oo][Ff][ \t]+\d{3}\b[ \t]*")
_POST_BEFORE = re.compile(r"(?:\b[A-Z][A-Z.'-]*[ \t]){0,3}[A-Z][A-Z.'-]*$")


def _section_marks(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, serial) of each match of _SECTION_MARK.finditer(text), found from the digits back."""
    pos = 0
    while (m := _SECTION_MARK_DIGITS.search(text, pos)) is not None:
        start = m.start() - 1
        if start < pos or text[start] not in " \t":  # the digits must follow a blank after where the scan stands
            pos = m.start() + 1
            continue
        while start > pos and text[start - 1] in " \t":
            start -= 1
        yield start, m.end(), m["serial"]
        pos = m.end()


def _without_page_breaks(text: str, hint: re.Match[str] | None) -> str:
    """The text with this cable's page breaks taken out (its post and serial tell them from text)."""
    has_pages, has_marks = "PAGE " in text, " OF 0" in text or " of 0" in text
    if not has_pages and not has_marks:
        return text
    station, serial = (hint["station"], int(hint["serial"])) if hint else (None, None)
    if station is None:  # the reference id gives none: the classification line's
        for line in text.split("\n", 120)[:120]:
            if (m := _class_line(line)) is not None:
                station, serial = post_key_of(m["station"]), int(m["serial"])
                break
    if station is None or serial is None:
        return text
    if has_pages:
        text = _PAGE_LINE.sub(lambda m: "" if post_key_of(m["station"]) == station and int(m["serial"]) == serial
                              else m.group(0), text)
    # a mark this cable's own is its serial in eight digits: without one in the text, no need to look for marks
    if has_marks and f"{serial:08d}" in text:
        parts, at = [], 0
        for mark_start, mark_end, mark_serial in _section_marks(text):
            if int(mark_serial) != serial or len(mark_serial) != 8:
                continue
            # the post before it, as the telegram wrote it (DUBAI for RPODUBAI, VLADIVOSTO, XXXXXXXXXXXX)
            name = _POST_BEFORE.search(text, max(at, mark_start - 40), mark_start)
            start = name.start() if name else mark_start
            parts += [text[at:start], " "]
            at = mark_end
        text = "".join(parts) + text[at:] if parts else text
    return text


def _real_number(raw: int, expected: int) -> int:
    """`11.` for 1 and `12.` for 2: the release put a 1 where the paragraph sign was."""
    if raw == expected:
        return raw
    if str(raw) == "1" + str(expected):
        return expected
    return raw


def _paragraph_numbers(candidates: list[re.Match[str]]) -> list[int | None]:
    """Which numbered lines start a paragraph, and with which number (None: not a paragraph's start).

    A number after the pilcrow of the release's pages (`¶4.`) is a paragraph's, as written. Elsewhere a number is
    the next paragraph's (`11.` and `12.` are the mangled 1 and 2), or a later one where paragraphs were left out
    (a redacted one, `(C)` after the number), unless the expected number still comes a little further on: an
    enumeration inside a paragraph (`2) THERE IS ...`, `1) Governance Issues`) is not a paragraph."""
    result: list[int | None] = []
    expected = 1
    for k, m in enumerate(candidates):
        raw = int(m["num"])
        marked = bool(m["mark"])
        number: int | None = None
        if "¶" in m["raw"]:
            number = raw
        elif m["raw"].rstrip().endswith(")") or (m["raw"].rstrip().endswith(",") and not marked):
            number = None  # `1) ...`: an enumeration; paragraphs are numbered `1.` (`1, (C)` is a slip)
        elif _real_number(raw, expected) == expected:
            number = expected
        elif marked and raw < expected:
            number = raw  # a number the cable repeats (`2.(C)` twice) or goes back to: as written
        elif marked and expected < raw <= expected + 20 and not any(
                int(later["num"]) == expected or _real_number(int(later["num"]), expected) == expected
                for later in candidates[k + 1:k + 6]):
            number = raw
        elif marked and not any(n is not None for n in result) and raw <= 30:
            number = raw  # a partial extract that starts in the middle
        result.append(number)
        if number is not None:
            expected = number + 1
    return result


def _ends_sentence(text: str) -> bool:
    """Ends in . ! or ?, perhaps followed by closing quotes and brackets (looks at the end only)."""
    return text.rstrip().rstrip("\"'”’)").endswith((".", "!", "?"))


@cache
def _mark_label(mark: str | None) -> str | None:
    if not mark:
        return None
    parts = [p for p in re.split(r"/+", mark.upper()) if p]
    labels = [PARAGRAPH_MARKINGS.get(p) for p in parts]
    return "//".join(label for label in labels if label) or None


def _heading_text(line: str) -> str:
    return line.lstrip("#").strip(" -=_*:")


def _midline_paragraphs(line: str) -> list[str]:
    """A line split where a later paragraph begins inside it; `¶1. (C) Summary. 1. (C) Summary.`, the release's
    repetition of a paragraph's own number, stays one line."""
    if _MIDLINE_HINT.search(line) is None:
        return [line]
    parts = _MIDLINE_PARA.split(line)
    kept = [parts[0]]
    for part in parts[1:]:
        before, this = _PARA.match(kept[-1].lstrip()), _PARA.match(part)
        if before is not None and this is not None and int(this["num"]) <= int(before["num"]):
            kept[-1] += " " + part
        else:
            kept.append(part)
    return kept


def _paragraphs(lines: list[str], station: str, head: _Fields, subject: str | None
                ) -> tuple[list[Paragraph], str | None]:
    """Numbered (even mangled) paragraphs, or blocks separated by blank lines; the signature if there is one.

    A multi-section telegram repeats its heading (classification line, caveats, addressing, E.O. and TAGS, the end
    of the subject) at each section: those lines are left out."""
    repeated = {" ".join(d.split()).upper() for d in head.distribution}
    cleaned: list[str] = []
    skipping = False  # inside a later section's repeated header, which the release left in the text
    for raw in lines:
        stripped = raw.strip()
        if not stripped:
            cleaned.append("")
            continue
        line = raw.rstrip()
        if not skipping and _ATTENTION.match(stripped) is None:  # most lines: plain text, one look tells
            line = _TRAILING_CLASSIFICATION.sub("", line) if line.endswith(_LEVEL_ENDS) else line
            if ". (" in line or ".(" in line:
                cleaned += _midline_paragraphs(line)
            else:
                cleaned.append(line)
            continue
        if _NOT_TEXT.match(stripped):  # _BARE_CLASSIFICATION or _BREAK_LINE, in one look
            skipping = skipping or stripped.startswith(("INFO", "ACTION", "VZCZC"))
            continue
        if stripped.startswith(("SIPDIS", "Sipdis")):  # the release's SIPDIS marks, left all over the text
            stripped = stripped[6:].strip()
            if not stripped:
                continue
            line = stripped
        if (m := _class_line(stripped)) is not None and (not station or post_key_of(m["station"]) == post_key_of(
                station)):
            skipping = True
            continue
        if skipping:
            if _LABEL.match(stripped) or _CAVEAT_LINE.match(stripped) or " ".join(stripped.split()).upper() in \
                    repeated or (subject and len(stripped) > 3 and subject.upper().endswith(stripped.upper())):
                continue
            skipping = False
        line = _TRAILING_CLASSIFICATION.sub("", line) if line.endswith(_LEVEL_ENDS) else line
        if ". (" in line or ".(" in line:  # `... in Brazil. 9. (SBU) Over the last two years`: two paragraphs
            cleaned += _midline_paragraphs(line)
        else:
            cleaned.append(line)
    while cleaned and (not cleaned[-1].strip() or _END_MARKERS.match(cleaned[-1].strip())
                       or _BARE_CLASSIFICATION.match(cleaned[-1].strip())):
        cleaned.pop()
    signature = None
    if cleaned and _SIGNATURE.match(cleaned[-1].strip()) and len(cleaned[-1].split()) <= 3 \
            and not _ends_sentence(cleaned[-1]) and len(cleaned) > 1:
        signature = cleaned.pop().strip()
    # in one pass: the lines with text, each with whether a blank line is above it; the rule lines (`-----`),
    # looked at for the line, the one before and the one after; the numbered lines
    nonblank: list[tuple[str, bool]] = []
    rules: list[bool] = []
    matches: dict[int, re.Match[str]] = {}
    above_blank = False
    characters = 0
    for ln in cleaned:
        ln = ln.strip()
        if not ln:
            above_blank = True
            continue
        first = ln[0]
        if first in "0123456789¶-–•*" and (m := _PARA.match(ln)):
            matches[len(nonblank)] = m
        nonblank.append((ln, above_blank))
        rules.append(first in "-=_*" and bool(_DASHES.match(ln)))
        characters += len(ln)
        above_blank = False
    rules.append(False)
    wrapped = characters / max(len(nonblank), 1) < 100  # lines cut at ~70 characters
    paragraphs: list[dict[str, Any]] = []
    heading: str | None = None
    starts = dict(zip(matches, _paragraph_numbers(list(matches.values())), strict=True))
    numbered = any(n is not None for n in starts.values())
    boxed: set[int] = set()  # lines of a heading set between two rules, taken already
    for idx, (line, after_blank) in enumerate(nonblank):
        nxt = nonblank[idx + 1][0] if idx + 1 < len(nonblank) else None
        if rules[idx] or idx in boxed:
            continue
        after_rule = idx > 0 and rules[idx - 1]
        if after_rule and starts.get(idx) is None:
            block = _between_rules(nonblank, idx)
            if block:  # `-----` / `STEMMING PALESTINIAN TERROR FINANCE: GOI PLEASED WITH PA'S` / `PROGRESS` / `-----`
                heading = " ".join(nonblank[k][0] for k in block)
                boxed.update(block)
                continue
        number = starts.get(idx)
        if number is not None:
            m = matches[idx]
            # a paragraph that ends in a colon opens a list: what follows, headed or not, is part of it
            paragraphs.append({"number": number, "raw_number": m["raw"].strip(), "marking": m["mark"],
                               "lines": [m["rest"]], "heading": heading, "list": m["rest"].rstrip().endswith(":")})
            heading = None
            continue
        mark = _MARK_ONLY.match(line) if line[0] == "(" else None
        if mark and nxt is not None and len(mark["rest"]) <= 80 and not _ends_sentence(mark["rest"]) and (
                starts.get(idx + 1) is not None or _MARK_ONLY.match(nxt) or _DASHES.match(nxt)):
            heading = _heading_text(mark["rest"])  # `(S//NF) Summary` above a paragraph
            continue
        if mark and (not paragraphs or not numbered):
            paragraphs.append({"number": None, "raw_number": None, "marking": mark["mark"],
                               "lines": [mark["rest"]], "heading": heading})
            heading = None
            continue
        if nxt is not None and (rules[idx + 1] or line.startswith("#")) and len(line) <= 100 and (
                after_blank or not paragraphs or _ends_sentence(paragraphs[-1]["lines"][-1])):
            heading = _heading_text(line)
            continue
        if line.startswith("//") and line.endswith("//") and len(line) <= 80:  # `//Bilateral Relations//`
            heading = line.strip("/ ")
            continue
        if line[0] == "-" and (dashed := _DASHED_HEADING.match(line)):
            heading = dashed["text"].strip()
            continue
        if len(line) <= 80 and line[-1] not in ".,;:" and line[0].isupper() and _is_heading(  # the cheap no first
                line, nxt, after_blank, numbered, paragraphs,
                stands_alone=idx + 1 < len(nonblank) and nonblank[idx + 1][1]):
            heading = _heading_text(line)
            continue
        starts_block = after_blank or not wrapped
        if numbered and after_blank and paragraphs and heading is None and _REDACTED_LINE.match(line) and \
                _ends_sentence(paragraphs[-1]["lines"][-1]):
            # a redacted block between paragraphs (the release took out a paragraph or more): a paragraph
            paragraphs.append({"number": None, "raw_number": None, "marking": None, "lines": [line], "heading": None})
            continue
        if paragraphs and numbered and heading is not None and paragraphs[-1].get("list"):
            # the heads of a list the paragraph above opened (`Participants:`, `BEGIN TALKING POINTS:`)
            paragraphs[-1]["lines"] += [heading, line]
            paragraphs[-1]["list"] = True
            heading = None
        elif paragraphs and heading is None and not (
                after_rule and not paragraphs[-1].get("list") and _ends_sentence(paragraphs[-1]["lines"][-1])) and (
                numbered or not starts_block or line[0].islower() or not _ends_sentence(paragraphs[-1]["lines"][-1])):
            paragraphs[-1]["lines"].append(line)
        else:  # unnumbered, unmarked block
            paragraphs.append({"number": None, "raw_number": None, "marking": None, "lines": [line],
                               "heading": heading})
            heading = None
    if head.glued and paragraphs and paragraphs[0]["number"] is None:
        paragraphs[0].update(number=head.glued[0], raw_number=f"{head.glued[0]}.", marking=head.glued[1])
    result = [
        Paragraph(number=p["number"], raw_number=p["raw_number"], marking=p["marking"],
                  marking_label=_mark_label(p["marking"]), text=text, heading=p["heading"])
        for p in paragraphs if (text := _one_line(p["lines"]))
    ]
    return result, signature


def _one_line(lines: list[str]) -> str:
    """The lines joined, every run of whitespace one space (`" ".join(" ".join(lines).split())`), without the split
    where it changes nothing: printable ASCII has no whitespace but the space."""
    joined = " ".join(lines)
    if joined.isascii() and joined.isprintable() and "  " not in joined and joined[:1] != " " and joined[-1:] != " ":
        return joined
    return " ".join(joined.split())


def _between_rules(nonblank: list[tuple[str, bool]], at: int) -> list[int]:
    """The lines from `at` up to a closing rule line, when they are a heading of at most three short lines."""
    for end in range(at, min(at + 3, len(nonblank))):
        if len(nonblank[end][0]) > 100:
            return []
        if end + 1 < len(nonblank) and _DASHES.match(nonblank[end + 1][0]):
            return list(range(at, end + 1)) if end + 2 < len(nonblank) else []
    return []


def _is_heading(line: str, nxt: str | None, after_blank: bool, numbered: bool,
                paragraphs: list[dict[str, Any]], stands_alone: bool = False) -> bool:
    """A short line without a full stop that stands above a new paragraph."""
    if nxt is None or len(line) > 80 or line[-1] in ".,;:" or not line[0].isupper():
        return False
    if paragraphs and not _ends_sentence(paragraphs[-1]["lines"][-1]) and not after_blank:
        return False
    if numbered:
        return bool(_PARA.match(nxt)) and (after_blank or _ends_sentence(paragraphs[-1]["lines"][-1])
                                           if paragraphs else True)
    if not after_blank or _ends_sentence(line) or ": " in line or not (_MARK_ONLY.match(nxt) or nxt[0].isupper()):
        return False
    if stands_alone:  # a line between blank lines
        return True
    if line.upper() == line:  # an upper-case heading in upper-case text: shorter than the lines of text
        return len(line) <= 50 or any(c.islower() for c in nxt)
    return _title_like(line)


_MINOR_WORDS = frozenset(("a", "an", "the", "of", "to", "in", "on", "for", "and", "or", "with", "by", "at", "from",
                          "as", "vs", "is", "are", "but", "after", "over", "into", "its", "their", "his", "her",
                          "via"))


_WORDS = re.compile(r"[A-Za-z][\w'’-]*")


def _title_like(line: str) -> bool:
    """Written as a title (`Pundits Take Note of Turkey-US Relations`), not as a sentence cut at the margin."""
    words = [w for w in _WORDS.findall(line) if w.lower() not in _MINOR_WORDS]
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.75 * len(words)


# --- country, origin and report year --------------------------------------------------------------------------

_NOT_KEY = re.compile(r"[^A-Z0-9]")


def post_key_of(station_name: str) -> str:
    """The post as reference ids write it: `OSAKA KOBE` -> `OSAKAKOBE`, `PORT-AU-PRINCE` -> `PORTAUPRINCE`."""
    return _NOT_KEY.sub("", station_name.upper())


_FM_KINDS = (("AMEMBASSY", "Embassy"), ("AMCONSUL", "Consulate"), ("AMCONGEN", "Consulate"), ("USMISSION", "Mission"),
             ("USINT", "US Interests Section"), ("USOFFICE", "US Office"), ("AMEMB", "Embassy"))


def origin_of_fm(fm: str) -> str | None:
    """`AMEMBASSY HARARE` -> `Embassy Harare`, as the release names posts (`SECSTATE WASHDC` -> `Secretary of
    State`): from the table where the post is known, else from the FM line's words."""
    words = " ".join(re.sub(r"\b\d+\b", " ", fm).split()).upper()
    if not words:
        return None
    known = _origin_posts()
    for prefix, kind in _FM_KINDS:
        if words.startswith(prefix + " "):
            place = words[len(prefix) + 1:]
            post = post_table().get(post_key_of(place))
            if post is not None:
                return post.origin
            return f"{kind} {place.title()}"
    if words.startswith("SECSTATE"):
        return "Secretary of State"
    key = re.sub(r"[^A-Z]", "", words)
    if key in known:
        return known[key].origin
    post = post_table().get(key) or post_table().get(post_key_of(words.split()[0]))
    return post.origin if post else words.title()


def _country(post: Post | None, post_key: str, tags: list[str]) -> tuple[str | None, str | None, list[str]]:
    """The country a cable is filed under: its post's, or for a mission (State, USUN...) its one country tag."""
    table = country_tags()
    tagged = [t for t in tags if t in table]
    tag_iso3 = list(dict.fromkeys(table[t] for t in tagged))
    if post is not None and post.iso3:
        return post.iso3, f"post {post_key}", tagged
    if len(tag_iso3) == 1:
        return tag_iso3[0], f"tag {tagged[0]}", tagged
    if tag_iso3:
        return tag_iso3[0], f"first country tag {tagged[0]} of {len(tag_iso3)}", tagged
    return None, None, tagged


_REPORT_MENTION = re.compile(r"\b((?:19|20)\d{2})\s+(?:TIP|Trafficking\s+in\s+Persons|TIP/TVPA)\s+Report", re.I)
# The same without the leading \b, which keeps the regex engine from skipping ahead to the first digit: three times
# faster, and a text it finds nothing in cannot hold a mention (a quick no for most cables).
_REPORT_MENTION_ANYWHERE = re.compile(_REPORT_MENTION.pattern.removeprefix(r"\b"), re.I)
_REPORT_MENTION_LOWER = re.compile(r"((?:19|20)\d{2})\s+(?:tip|trafficking\s+in\s+persons|tip/tvpa)\s+report")


def _report_year(text: str, created: datetime | None) -> tuple[int | None, str | None]:
    """The report the cable reacts to: named in the text ("2008 TIP Report"), else the latest report out by then.

    TIP Reports come out in June, so a cable of June to December reacts to that year's report and one of January
    to May to the previous year's.
    """
    lowered = text.lower()  # a cheap no first: _REPORT_MENTION, with re.I, is slow to search a whole text
    hinted = ("tip" in lowered or "trafficking" in lowered) and "report" in lowered
    if hinted and text.isascii():  # the lowered text is as long, and re.I on it is the plain match
        hinted = _REPORT_MENTION_LOWER.search(lowered) is not None
    elif hinted:
        hinted = _REPORT_MENTION_ANYWHERE.search(text) is not None
    years = [int(y) for y in _REPORT_MENTION.findall(text)] if hinted else []
    if years:
        year = max(set(years), key=years.count)
        return year, f"text mentions the {year} TIP Report"
    if created is not None:
        year = created.year if created.month >= 6 else created.year - 1
        return year, f"latest report published by {created.date().isoformat()}"
    return None, None


_SUMMARY = re.compile(r"\bSummary\s*[:.]\s*", re.I)
_END_SUMMARY = re.compile(r"End\s+Summary", re.I)
# the same on a lower-cased ASCII text, without re.I and the leading \b: a literal start, found fast
_SUMMARY_LOWER, _END_SUMMARY_LOWER = re.compile(r"summary\s*[:.]\s*"), re.compile(r"end\s+summary")


def _summary(body: str) -> str | None:
    """The text after `Summary:` up to `End Summary` (or the end)."""
    if not body.isascii():
        sm = _SUMMARY.search(body)
        if sm is None or sm.end() >= len(body):
            return None
        rest = body[sm.end():]
        end = _END_SUMMARY.search(rest[1:])
        return (rest[:end.start() + 1] if end else rest).strip() or None
    lowered = body.lower()  # as long as the body, ASCII
    at, start = 0, None
    while (m := _SUMMARY_LOWER.search(lowered, at)) is not None:
        before = lowered[m.start() - 1] if m.start() else " "
        if not (before.isalnum() or before == "_"):  # \b
            start = m.end()
            break
        at = m.start() + 1
    if start is None or start >= len(body):
        return None
    end_m = _END_SUMMARY_LOWER.search(lowered, start + 1)
    return body[start:end_m.start() if end_m else len(body)].strip() or None


# --- entry points ---------------------------------------------------------------------------------------------

_REF_ID = re.compile(r"^(?P<yy>\d{2})(?P<station>[A-Z]+)(?P<serial>\d+)$")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")  # below space, other than \t \n \f \r


def decode(data: bytes, source: str | None = None) -> str:
    """Bytes of a cable file -> text; binary files are refused."""
    if not data.strip():
        raise CableParseError("empty file: no cable text", source)
    if b"\x00" in data[:4096]:
        raise CableParseError("binary file (NUL bytes): not a cable text", source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if len(_CONTROL_CHARACTERS.findall(text, 0, 4096)) > 8:
        raise CableParseError("binary file (control characters): not a cable text", source)
    return text


def _normalised(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")


def _text_sha256(text: str, header: str | None) -> str:
    """The SHA-256 a cable's text is known by: its routing header and normalised text, as stored."""
    stored = f"{header.strip()}\n\n{text}" if header and header.strip() else text
    return hashlib.sha256(stored.strip().encode("utf-8")).hexdigest()


def _filing_hint(release: Release | None, reference_hint: str | None) -> tuple[str | None, re.Match[str] | None]:
    """The reference id the release, else the file name, gives a cable, and its parts when it is one."""
    ref_hint = release.reference_id if release else reference_hint
    return ref_hint, _REF_ID.match(ref_hint.upper()) if ref_hint else None


def _reference_id(yy: int, station_key: str, serial: int) -> str:
    return f"{yy:02d}{station_key}{serial}"


def filed_as(found: CableSource, reference_hint: str | None = None) -> tuple[str, str] | None:
    """The (reference id, text SHA-256) that `parse_source` gives the cable, without parsing it, when the release
    or the file name says its reference id (the parser then files it under that); None when the parse would have
    to find it in the text. Ingest skips, unparsed, a cable already stored under both."""
    _, hint = _filing_hint(found.release, reference_hint)
    if hint is None or "\x00" in found.text or not found.text.strip():
        return None
    return (_reference_id(int(hint["yy"]), hint["station"], int(hint["serial"])),
            _text_sha256(_normalised(found.text), found.header))


def parse_cable(text: str, source: str | None = None, reference_hint: str | None = None, *,
                header: str | None = None, release: Release | None = None) -> Cable:
    """Parse one released cable.

    `text`: the cable as a plain text file holds it (the routing header, if any, then the text), or, with `header`,
    the text alone. `release`: the release's metadata. `reference_hint`: a reference id such as the file name
    `08TOKYO1528`, used where the release gives none."""
    if not text.strip():
        raise CableParseError("empty file: no cable text", source)
    if "\x00" in text:
        raise CableParseError("binary data (NUL characters): not a cable text", source)
    text = _normalised(text)
    text_sha256 = _text_sha256(text, header)  # of the text as given, before page breaks are taken out
    ref_hint, hint = _filing_hint(release, reference_hint)
    text = _without_page_breaks(text, hint)
    lines = text.split("\n")
    start, _, cm, fields_, header_lines, date_line = _read_head(lines, 0)
    warnings: list[str] = []
    body_lines = lines[start:]
    has_body = any(ln.strip() for ln in body_lines)
    head_text = "\n".join(filter(None, [header or "", "\n".join(header_lines)]))
    if not has_body and release is None:
        if cm is None and _HAS_HEADER.search(head_text or text):
            _, missing = _parse_header(head_text or text)
            lacking = ", ".join([*missing, "classification line and text"])
            raise CableParseError(f"transmission header cut short: no {lacking}", source)
        if cm is not None:
            raise CableParseError(f"no text after the heading of {cm['station'].upper()} {int(cm['serial'])}: the "
                                  "cable has no paragraphs", source)
        raise CableParseError(
            "no recognisable cable: no classification line such as 'CONFIDENTIAL TOKYO 001528' (classification, "
            "post, serial) and no text", source)
    if cm is None and hint is None:
        raise CableParseError(
            "no recognisable cable: no classification line such as 'CONFIDENTIAL TOKYO 001528' (classification, "
            "post, serial) and no reference id such as 08TOKYO1528 to file it under", source)

    transmission: TransmissionHeader | None = None
    if head_text.strip() and _HAS_HEADER.search(head_text):
        transmission, missing = _parse_header(head_text)
        if missing and transmission.date_time_group is None and transmission.origin is None:
            warnings.append("transmission header lacks " + ", ".join(missing))
    partial = "partial extract of the original cable" in head_text or "partial extract of the original cable" in \
        text[:400]

    # reference id, station, serial
    text_station = " ".join(cm["station"].upper().split()) if cm else None
    text_serial = int(cm["serial"]) if cm else None
    redacted = bool(text_station and text_station.startswith("XXX"))
    if hint is not None:
        station_key, serial = hint["station"], int(hint["serial"])
        if cm is not None and not redacted and (post_key_of(text_station or "") != station_key
                                                or text_serial != serial):
            warnings.append(f"the classification line reads {text_station} {text_serial}; the cable is filed as "
                            f"{ref_hint} ({'the release' if release else 'the file name'})")
        station_name: str = text_station if text_station and not redacted and post_key_of(text_station) == \
            station_key else station_key
    else:
        assert cm is not None and text_station is not None and text_serial is not None
        station_name, station_key, serial = text_station, post_key_of(text_station), text_serial

    # dates
    sent_at = transmission.sent_at if transmission else None
    if sent_at is None and date_line is not None:
        sent_at = _parse_date_line(date_line)
    if sent_at is None and partial:
        dtg = _DTG.search(head_text or text[:600])
        sent_at = _parse_dtg(dtg) if dtg else None
    eo_text = " ".join(fields_.eo)
    decl = re.search(r"DECL(?:ASSIFY)?\s*(?:ON)?\s*:?\s*(?P<decl>.+)$", eo_text, re.I)
    declassification = decl["decl"].strip() if decl else (eo_text.split(":", 1)[1].strip() if ":" in eo_text
                                                          else None)
    declassify_on = _declassify_on(declassification) if declassification else None
    eo = re.match(r"E\.?\s?O\.?\s*(\d{4,5})", eo_text, re.I)
    created, created_source = sent_at, ("text" if sent_at else None)
    if release is not None and release.created is not None:
        if sent_at is None:
            created, created_source = release.created, "release"
        elif sent_at.date() != release.created.date():
            warnings.append(f"the text is dated {sent_at.date()}; the release says created {release.created.date()}")
    if hint is not None:
        yy = int(hint["yy"])
    elif sent_at is not None:
        yy = sent_at.year % 100
    elif declassify_on is not None:
        yy = (declassify_on.year - 10) % 100
        warnings.append(f"reference year inferred from the declassification date {declassify_on} "
                        "(ten years after the cable)")
    else:
        raise CableParseError(
            f"cannot tell the year of cable {station_name} {serial}: no transmission header date, no DECL date, "
            "and no reference id such as 08TOKYO1528 given", source)
    if created is None and declassify_on is not None and declassify_on.year % 100 == (yy + 10) % 100:
        created = datetime(declassify_on.year - 10, declassify_on.month, min(declassify_on.day, 28), tzinfo=UTC)
        created_source = "declassification date"
        warnings.append(f"no date in the text: the cable's date is taken from the declassification date "
                        f"{declassify_on} (ten years on), which may be a few days off")
    elif created is None:
        warnings.append("no date in the text or the release")
    reference_id = _reference_id(yy, station_key, serial)

    # classification and caveats
    classification = _level_of(cm) if cm else None
    caveats: list[str] = []
    if cm:
        _add_caveats(caveats, cm["pre"] + " " + cm["trail"])
    for c in fields_.caveats:
        if c not in caveats:
            caveats.append(c)
    if classification is None:
        if release is not None and release.level:
            classification = release.level
            warnings.append(f"no classification line: {classification} from the release's metadata")
        elif transmission is not None and transmission.transmission_classification_label:
            classification = transmission.transmission_classification_label.split()[0]
            warnings.append(f"no classification line: {classification} from the transmission header")
        else:
            warnings.append("no classification line, and the release gives none")
    if release is not None and release.classification:
        for c in release.caveats:
            caveat = "FOR OFFICIAL USE ONLY" if c.upper() == "FOR OFFICIAL USE ONLY" else c.upper()
            if caveat not in caveats and not (caveat == "FOR OFFICIAL USE ONLY" and "SENSITIVE" in caveats):
                caveats.append(caveat)
                warnings.append(f"{caveat} is given by the release's metadata only, not in the text")
        if release.level and classification and release.level != classification:
            warnings.append(f"the text is classified {classification}; the release says {release.level}")

    # the text
    subject = _PORTION_MARK.sub("", " ".join(" ".join(fields_.subject).split())) or None
    paragraphs, signature = _paragraphs(body_lines, station_name if not redacted else "", fields_, subject)
    if not paragraphs and release is None:
        raise CableParseError(f"no text after the heading of {station_name} {serial}: the cable has no paragraphs",
                              source)
    if not paragraphs:
        warnings.append("the release gives the cable's heading only, no text")
    if not any(p.number is not None for p in paragraphs):
        warnings.append("no numbered paragraphs: the text is split at blank lines")

    # origin and country
    post = post_table().get(station_key)
    origin = post.origin if post else None
    if transmission is not None and transmission.origin:
        # the FM line names the sender: USEU BRUSSELS files its cables under BRUSSELS as the embassy does
        fm_origin = origin_of_fm(transmission.origin)
        origin = fm_origin or origin
        post = _origin_posts().get(re.sub(r"[^A-Z]", "", (fm_origin or "").upper())) or post
    if release is not None and release.origin:
        if origin is None:
            origin = release.origin
        elif origin.upper() != release.origin.upper():
            warnings.append(f"the text's post is {origin}; the release says {release.origin}")
    tags = _tags(fields_.tags)
    table = country_tags()
    iso3, country_source, tagged = _country(post, station_key, tags)
    references = _references(fields_.ref)
    classified_by, reasons = _classified_by(fields_.by)
    body = "\n\n".join(p.text for p in paragraphs)
    report_year, report_year_source = _report_year(f"{subject or ''}\n{body}", created)
    summary = _summary(body) if "ummary" in body or "UMMARY" in body else None
    truncated = signature is None and (not paragraphs or not _ends_sentence(paragraphs[-1].text))
    if truncated:
        warnings.append("text ends in mid-sentence: the cable is truncated")
    if subject is None:
        warnings.append("no subject line")
    return Cable(
        reference_id=reference_id,
        station_name=station_name,
        serial=serial,
        origin=origin,
        classification=classification,
        section=" ".join(cm["section"].upper().split()) if cm and cm["section"] else None,
        header=transmission,
        caveats=tuple(caveats),
        distribution=tuple(fields_.distribution),
        executive_order=f"E.O. {eo.group(1)}" if eo else None,
        declassify_on=declassify_on,
        declassification=declassification,
        tags=tuple(tags),
        subject_tags=tuple(t for t in tags if t not in table),
        country_tags=tuple(tagged),
        subject=subject,
        references=tuple(references),
        classified_by=classified_by,
        classification_reasons=reasons,
        paragraphs=tuple(paragraphs),
        summary=summary,
        signature=signature,
        truncated=truncated,
        sent_at=sent_at,
        created=created,
        created_source=created_source,
        partial_extract=partial,
        iso3=iso3,
        country_source=country_source,
        report_year=report_year,
        report_year_source=report_year_source,
        text_sha256=text_sha256,
        release=release,
        warnings=tuple(warnings),
    )


# --- the release's forms --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CableSource:
    """One cable as a form of the release gives it: the routing header, the text, the release's metadata."""

    text: str
    header: str | None = None
    release: Release | None = None
    form: str = "text"  # html, text, csv

    @property
    def stored_text(self) -> str:
        """What is kept of it, the same for every form: the header, a blank line, the text."""
        return f"{self.header.strip()}\n\n{self.text}" if self.header and self.header.strip() else self.text


_HTML_START = re.compile(r"^\s*<(?:\?xml|!DOCTYPE\s+html|html|head|body|pre|table|div)\b", re.I)
_PRE = re.compile(r"<pre[^>]*>(.*?)</pre>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")
_CELL = re.compile(r"<t([hd])[^>]*>(.*?)</t[hd]>", re.S | re.I)


def looks_like_html(text: str) -> bool:
    return bool(_HTML_START.match(text[:512]))


def _html_text(fragment: str) -> str:
    if "<" in fragment:
        fragment = _TAG.sub("", fragment)
    if "&" in fragment:
        fragment = fragment.replace("&#x000A;", "\n")  # the pages' newlines: most of their character references
        if "&" in fragment:
            fragment = html.unescape(fragment)
    return fragment


_CREATED = re.compile(r"^(?:(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})|(?P<m2>\d{2})/(?P<d2>\d{2})/(?P<y2>\d{4})) "
                      r"(?P<hh>\d{2}):(?P<mm>\d{2})$")


def _created(value: str) -> datetime | None:
    """`2000-11-29 13:01` (the HTML table) or `11/29/2000 13:01` (the CSV) -> a datetime (UTC)."""
    value = value.strip()
    if (m := _CREATED.match(value)) is not None:  # the common forms, without strptime's cost
        try:
            return datetime(int(m["y"] or m["y2"]), int(m["m"] or m["m2"]), int(m["d"] or m["d2"]), int(m["hh"]),
                            int(m["mm"]), tzinfo=UTC)
        except ValueError:
            return None
    for fmt in ("%Y-%m-%d %H:%M", "%m/%d/%Y %H:%M", "%Y-%m-%d", "%m/%d/%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _pre_blocks(page: str, start: int) -> list[str]:
    """The insides of the `<pre>` blocks from `start` on (found with str.find: the pages are ~50 KB of markup)."""
    if "<pre" not in page and "<PRE" not in page:
        return []
    if "<PRE" in page or "</PRE>" in page:  # not the release's own pages: the expression, in any case
        return _PRE.findall(page, start)
    blocks = []
    at = page.find("<pre", start)
    while at >= 0:
        open_end, close = page.find(">", at), -1
        if open_end >= 0:
            close = page.find("</pre>", open_end)
        if close < 0:
            break
        if page[at + 4] in "> \t\n":  # `<pre>` or `<pre class=...>`, not `<prefix>`
            blocks.append(page[open_end + 1:close])
            at = page.find("<pre", close + 6)
        else:
            at = page.find("<pre", at + 4)
    return blocks


def read_html_page(page: str, source: str | None = None) -> CableSource:
    """A WikiLeaks cable page: the metadata table and the `<pre>` blocks (the routing header, then the text)."""
    table_at = page.find("<table class='cable'>")
    if table_at < 0:
        table_at = page.find('<table class="cable">')
    release = None
    if table_at >= 0:
        table_end = page.find("</table>", table_at)
        cells = _CELL.findall(page[table_at:table_end])
        heads = [_html_text(c).strip().lower() for kind, c in cells if kind.lower() == "h"]
        values = [" ".join(_html_text(c).split()) for kind, c in cells if kind.lower() == "d"]
        meta = dict(zip(heads, values, strict=False))
        if meta.get("reference id"):
            release = Release(reference_id=meta["reference id"].upper(),
                              created=_created(meta.get("created", "")),
                              classification=meta.get("classification") or None,
                              origin=meta.get("origin") or None,
                              released=_created(meta.get("released", "")))
    blocks = [_html_text(b) for b in _pre_blocks(page, table_at if table_at >= 0 else 0)]
    blocks = [b for b in blocks if b.strip()]
    if not blocks:
        raise CableParseError("an HTML page without a cable: no <pre> block holds a cable text", source)
    if len(blocks) == 1:
        return CableSource(blocks[0], None, release, "html")
    return CableSource(blocks[-1], "\n".join(blocks[:-1]), release, "html")


_REFERENCE_LIST = re.compile(r"^(?:\s*\d{2}[A-Z]+\d+\s*[|,;]?)+$")


def read_release_row(row: tuple[str, ...] | list[str], source: str | None = None) -> CableSource:
    """A row of the release's cables.csv: id, created (MM/DD/YYYY HH:MM), reference id, origin, classification,
    references (or destination), header, text. Origin and classification are told apart by content (copies of
    the file differ in their order)."""
    if len(row) != 8:
        raise CableParseError(f"{len(row)} columns; a row of the release's cables.csv has 8", source)
    _, created, reference_id, third, fourth, fifth, header, content = (c.strip("\ufeff") for c in row)
    reference_id = reference_id.strip().upper()
    if not _REF_ID.match(reference_id):
        raise CableParseError(f"reference id column: {reference_id!r} is not a reference id such as 08TOKYO1528",
                              source)
    level = re.compile(r"^\s*(?:TOP SECRET|SECRET|CONFIDENTIAL|UNCLASSIFIED|LIMITED OFFICIAL USE)\b", re.I)
    classification, origin = (third, fourth) if level.match(third) and not level.match(fourth) else (fourth, third)
    references: tuple[str, ...] = ()
    destination = None
    if fifth.strip():
        if _REFERENCE_LIST.match(fifth):
            references = tuple(r for r in re.split(r"[\s|,;]+", fifth.strip().upper()) if r)
        else:
            destination = fifth.strip()
    release = Release(reference_id=reference_id, created=_created(created),
                      classification=" ".join(classification.split()).upper() or None,
                      origin=" ".join(origin.split()) or None, references=references, destination=destination)
    return CableSource(content, header or None, release, "csv")


def read_cable_file(data: bytes, name: str | None = None) -> CableSource:
    """A file's bytes -> the cable it holds: a WikiLeaks HTML page or a plain text (told apart by content)."""
    text = decode(data, source=name)
    if looks_like_html(text):
        return read_html_page(text, name)
    return CableSource(text, None, None, "text")


def parse_source(found: CableSource, source: str | None = None, reference_hint: str | None = None) -> Cable:
    return parse_cable(found.text, source, reference_hint, header=found.header, release=found.release)


def reference_hint(name: str) -> str | None:
    """`08TOKYO1528.txt` or `archive.zip:cables/08TOKYO1528.html` -> `08TOKYO1528`; None if not a reference id."""
    stem = re.split(r"[/\\:]", name)[-1].rsplit(".", 1)[0].upper()
    return stem if _REF_ID.match(stem) else None
