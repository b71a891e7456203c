"""Diplomatic cables as publicly released in 2010-2011: a tolerant parser. Pure: text in, `Cable` out.

The release mangled the originals in known ways, and the parser accepts all of them:
- the transmission header (``VZCZC... DE RUEHKO #1528 ... FM AMEMBASSY TOKYO TO ... INFO ...``) may be absent,
  on one line or wrapped over many;
- the classification may be spelled out (``CONFIDENTIAL``) or spaced (``C O N F I D E N T I A L``);
- paragraph numbers may be mangled (``11.`` for 1, ``- 12.`` for 2, ``¶4.``) or absent, and paragraphs may be
  wrapped, with blank lines in the middle of a sentence;
- the text may stop in mid-sentence (``truncated``).

Bad input raises `CableParseError` naming what is missing (empty, binary, no classification line, a header cut
short, no reference year).
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from typing import Any

PRECEDENCES = {"ZZ": "FLASH", "OO": "IMMEDIATE", "PP": "PRIORITY", "RR": "ROUTINE", "YY": "EMERGENCY"}
ADDRESSEE_PRECEDENCES = ("NIACT IMMEDIATE", "IMMEDIATE", "PRIORITY", "ROUTINE", "FLASH")
TRANSMISSION_CLASSIFICATIONS = {"U": "UNCLASSIFIED", "C": "CONFIDENTIAL", "S": "SECRET", "T": "TOP SECRET",
                                "E": "UNCLASSIFIED E.F.T.O."}
CLASSIFICATIONS = ("TOP SECRET", "SECRET", "CONFIDENTIAL", "LIMITED OFFICIAL USE", "UNCLASSIFIED", "UNCLAS")
CAVEATS = ("SIPDIS", "NOFORN", "SENSITIVE", "NOCONTRACT", "ORCON", "PROPIN", "EXDIS", "LIMDIS", "NODIS", "STADIS",
           "REL TO", "FOR OFFICIAL USE ONLY", "SENSITIVE BUT UNCLASSIFIED")
PARAGRAPH_MARKINGS = {"U": "UNCLASSIFIED", "SBU": "SENSITIVE BUT UNCLASSIFIED", "C": "CONFIDENTIAL", "S": "SECRET",
                      "S/NF": "SECRET//NOFORN", "C/NF": "CONFIDENTIAL//NOFORN", "U//FOUO": "FOR OFFICIAL USE ONLY",
                      "LOU": "LIMITED OFFICIAL USE", "TS": "TOP SECRET"}
MONTHS = {m: i for i, m in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)}


class CableParseError(ValueError):
    """The text is not a cable the parser can file; the message says what was missing."""

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
    marking: str | None  # "C", "U", "SBU"
    marking_label: str | None
    text: str
    heading: str | None = None  # the section heading printed above it, if any


@dataclass(frozen=True)
class Cable:
    reference_id: str  # 08TOKYO1528
    station_name: str  # TOKYO
    serial: int
    classification: str  # CONFIDENTIAL
    section: str | None  # "01 OF 02"
    header: TransmissionHeader | None
    caveats: tuple[str, ...]
    distribution: tuple[str, ...]  # office symbols: EAP/J, G/TIP
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
    sent_at: datetime | None
    iso3: str | None
    country_source: str | None
    report_year: int | None
    report_year_source: str | None
    text_sha256: str
    warnings: tuple[str, ...] = field(default=())

    @property
    def year(self) -> int:
        return 2000 + int(self.reference_id[:2]) if self.reference_id[:2] < "50" else 1900 + int(self.reference_id[:2])

    @property
    def body(self) -> str:
        return "\n\n".join(p.text for p in self.paragraphs)

    def to_dict(self) -> dict[str, Any]:
        """Every parsed field, JSON-ready (dates as ISO 8601)."""
        result: dict[str, Any] = _jsonable(self)
        return result


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

def _read_table(name: str, key: str) -> dict[str, str]:
    with resources.files("tiptiers.data").joinpath(name).open(encoding="utf-8") as f:
        return {row[key]: row["iso3"] for row in csv.DictReader(f)}


@cache
def country_tags() -> dict[str, str]:
    """State Department TAGS country codes (FIPS 10-4) -> ISO alpha-3."""
    return _read_table("state_country_tags.csv", "tag")


@cache
def posts() -> dict[str, str]:
    """Posts as written in reference ids (TOKYO, OSAKAKOBE) -> ISO alpha-3; '' for missions (STATE, USUNNEWYORK)."""
    return _read_table("cable_posts.csv", "post")


# --- header -------------------------------------------------------------------------------------------------

_SERIAL_AT_END = re.compile(r"\s(\d{1,6})$")
_TRANSMISSION = re.compile(r"(VZCZC[A-Z0-9]*)")
_PRECEDENCE = re.compile(r"(?:VZCZC[A-Z0-9]*\s+)?(ZZ|OO|PP|RR|YY)\b\s*(?P<relays>(?:R[A-Z]{3,6}\s+)*)")
_FM = re.compile(r"\bFM\s+(?P<origin>.+?)(?=\s+TO\s+|\s+INFO\s+|\s+BT\b|$)")
_TO = re.compile(r"\bTO\s+(?P<to>.+?)(?=\s+INFO\s+|\s+BT\b|$)")
_INFO = re.compile(r"\bINFO\s+(?P<info>.+?)(?=\s+BT\b|$)")
_HAS_HEADER = re.compile(r"\bVZCZC|\bDE\s+R[A-Z]{3,6}\s+#\d")
_CLASSIFIED_BY = re.compile(r"classified\s+by", re.I)
_CLOSING = "\"'”)"  # may follow the full stop that ends a sentence
_DTG = re.compile(r"\b(?P<day>\d{2})(?P<hh>\d{2})(?P<mm>\d{2})Z\s+(?P<mon>[A-Z]{3})\s+(?P<yy>\d{2,4})\b")
_DE = re.compile(r"\bDE\s+(?P<station>R[A-Z]{3,6})\s+#(?P<serial>\d{1,5})(?:/\d+)?(?:\s+(?P<julian>\d{7}))?")
_ZN = re.compile(r"\bZN[YR]\s+(?P<cls>([UCSTE])\2{4})")
_ROUTED = re.compile(r"\b(R[A-Z]{3,7})/")


def _parse_dtg(match: re.Match[str]) -> datetime | None:
    month = MONTHS.get(match["mon"])
    year = int(match["yy"])
    year = year + 2000 if year < 100 else year
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
    missing = []
    transmission = _TRANSMISSION.match(flat)
    m_prec = _PRECEDENCE.match(flat)
    de = _DE.search(flat)
    zn = _ZN.search(flat)
    dtg = _DTG.search(flat)
    fm = _FM.search(flat)
    to = _TO.search(flat)
    info = _INFO.search(flat)
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


# --- body ---------------------------------------------------------------------------------------------------

MAX_CLASS_LINE = 300  # "S E C R E T SECTION 01 OF 02 HO CHI MINH CITY 001234 NOFORN" is far shorter
_SPACED = re.compile(r"^((?:[A-Z] )+[A-Z])(?=\s|$)")
_CLASS_LINE = re.compile(
    r"^(?P<cls>TOP SECRET|SECRET|CONFIDENTIAL|LIMITED OFFICIAL USE|UNCLASSIFIED|UNCLAS)"
    r"(?P<pre>(?:\s+(?:NOFORN|SENSITIVE|EFTO|E F T O|SIPDIS))*)"
    r"(?:\s+SECTION\s+(?P<section>\d+\s+OF\s+\d+))?"
    r"\s+(?P<station>[A-Z][A-Z .'-]*?)\s+(?P<serial>\d{3,7})\b(?P<trail>.*)$"
)
_PARA = re.compile(
    r"^\s*(?P<raw>(?:[-–•*]\s*)?(?:¶\s*)?(?P<num>\d{1,3})\s*[.)])\s*(?:\((?P<mark>[A-Z/]{1,8})\)\s*)?(?P<rest>.*)$"
)
_MARK_ONLY = re.compile(r"^\s*\((?P<mark>U|SBU|C|S|S/NF|C/NF|U//FOUO|LOU|TS)\)\s+(?P<rest>.*)$")
_SIGNATURE = re.compile(r"^[A-Z][A-Z .,'-]{1,40}$")
_END_MARKERS = re.compile(r"^(?:BT|NNNN|#\d+|END OF (?:CABLE|MESSAGE))$")


def _collapse_spaced(line: str) -> str:
    m = _SPACED.match(line)
    return line[: m.start()] + m.group(1).replace(" ", "") + line[m.end():] if m else line


def _find_class_line(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        # one space between words, and no line longer than a heading can be: no quadratic backtracking
        if len(line) <= MAX_CLASS_LINE and _CLASS_LINE.match(_collapse_spaced(" ".join(line.split()))):
            return i
    return None


def _fold(lines: list[str], start: int, stop_at: re.Pattern[str]) -> tuple[str, int]:
    """A field that may wrap: lines from `start` until a blank line or a line matching `stop_at`."""
    parts = [lines[start].strip()]
    i = start + 1
    while i < len(lines) and lines[i].strip() and not stop_at.match(lines[i].strip()):
        parts.append(lines[i].strip())
        i += 1
    return " ".join(parts), i


_FIELD_START = re.compile(
    r"^(?:E\.\s?O\.|DECL|TAGS|SUBJ(?:ECT)?|REF|Classified\s+By|CLASSIFIED\s+BY|\d{1,3}\s*\.|[-¶]|\(\w+\))", re.I)


@dataclass
class _Fields:
    caveats: list[str] = field(default_factory=list)
    distribution: list[str] = field(default_factory=list)
    executive_order: str | None = None
    declassification: str | None = None
    declassify_on: date | None = None
    tags: list[str] = field(default_factory=list)
    subject: str | None = None
    references: list[str] = field(default_factory=list)
    classified_by: str | None = None
    reasons: str | None = None


def _parse_fields(lines: list[str]) -> tuple[_Fields, int]:
    """The block between the classification line and the first paragraph. Returns the fields and where text starts."""
    f = _Fields()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if not line:
            i += 1
            continue
        upper = line.upper()
        if upper.startswith(("E.O.", "E. O.", "EO ", "DECL")):
            text, i = _fold(lines, i, _FIELD_START)
            eo = re.match(r"(E\.\s?O\.\s*\d+)", text, re.I)
            f.executive_order = eo.group(1) if eo else None
            decl = re.search(r"DECL(?:ASSIFY)?\s*:?\s*(?P<decl>.+)$", text, re.I)
            if decl:
                f.declassification = decl["decl"].strip()
                d = re.search(r"(\d{1,2})/(\d{1,2})/(\d{4})", f.declassification)
                if d:
                    try:
                        f.declassify_on = date(int(d.group(3)), int(d.group(1)), int(d.group(2)))
                    except ValueError:
                        f.declassify_on = None
            elif ":" in text:
                f.declassification = text.split(":", 1)[1].strip()
            continue
        if upper.startswith("TAGS"):
            text, i = _fold(lines, i, _FIELD_START)
            f.tags = [t for t in re.split(r"[\s,;]+", text.split(":", 1)[-1].strip()) if t]
            continue
        if upper.startswith(("SUBJECT", "SUBJ:")):
            text, i = _fold(lines, i, _FIELD_START)
            f.subject = text.split(":", 1)[1].strip() if ":" in text else text
            continue
        if upper.startswith(("REF:", "REFS:", "REF ", "REFTEL")):
            text, i = _fold(lines, i, _FIELD_START)
            body = text.split(":", 1)[1] if ":" in text else text[3:]
            refs = re.split(r"(?:^|\s|;)\s*[A-Z]\.\s+|;", body.strip())
            f.references = [r.strip(" ,") for r in refs if r.strip(" ,")]
            continue
        if _CLASSIFIED_BY.match(line):
            text, i = _fold(lines, i, _FIELD_START)
            text = " ".join(text.split())  # whitespace runs made the lazy match below quadratic
            m = re.match(r"classified\s+by\s*:?\s*(?P<who>.+?)(?:,?\s+(?:for\s+)?reasons?:?\s+(?P<why>.+?))?\.?$",
                         text, re.I)
            if m:
                f.classified_by = m["who"].strip(" ,.")
                f.reasons = m["why"].strip() if m["why"] else None
            continue
        if _PARA.match(line) or _MARK_ONLY.match(line):
            return f, i
        if upper in CAVEATS or upper.startswith("REL TO") or upper in ("NOFORN SIPDIS", "SIPDIS NOFORN"):
            f.caveats += [c for c in (upper.split() if upper in ("NOFORN SIPDIS", "SIPDIS NOFORN") else [upper])]
            i += 1
            continue
        if f.subject is None and re.fullmatch(r"[A-Z][A-Z/&, -]*(?:/[A-Z]+)[A-Z/&, -]*", line) and len(line) < 200:
            f.distribution += [d.strip() for d in re.split(r",\s*|\s+AND\s+", re.sub(r"^(?:DEPT\s+)?FOR\s+", "", line))
                               if d.strip()]
            i += 1
            continue
        if f.subject is None and (upper.startswith(("DEPT FOR", "DEPARTMENT FOR", "PASS TO", "STATE FOR"))):
            f.distribution.append(line)
            i += 1
            continue
        # The first line that is none of the above is where the text starts (a cable without numbered paragraphs).
        if f.subject is not None or f.tags:
            return f, i
        i += 1
    return f, i


def _real_number(raw: int, expected: int) -> int:
    """`11.` for 1 and `12.` for 2: the release put a 1 where the paragraph sign was."""
    if raw == expected:
        return raw
    if str(raw) == "1" + str(expected):
        return expected
    return raw


def _looks_like_heading(line: str, next_line: str | None, after_blank: bool, numbered: bool) -> bool:
    """A section heading: `## ...`, or a short line without a full stop above a new paragraph."""
    if line.startswith("#"):
        return True
    if len(line) > 100 or line[-1] in ".,;:" or not line[0].isupper() or next_line is None:
        return False
    if numbered or _MARK_ONLY.match(next_line):
        return bool(_PARA.match(next_line) or _MARK_ONLY.match(next_line))
    return after_blank and len(line) <= 80 and next_line[0].isupper()


def _parse_paragraphs(lines: list[str]) -> tuple[list[Paragraph], str | None]:
    """Numbered (even mangled) paragraphs, or blocks separated by blank lines; the signature if there is one."""
    content = [ln.rstrip() for ln in lines]
    while content and (not content[-1].strip() or _END_MARKERS.match(content[-1].strip())):
        content.pop()
    signature = None
    if content and _SIGNATURE.match(content[-1].strip()) and len(content[-1].split()) <= 3:
        signature = content.pop().strip()
    numbered = sum(1 for ln in content if _PARA.match(ln))
    paragraphs: list[dict[str, Any]] = []
    heading: str | None = None
    expected = 1
    nonblank = [(ln.strip(), i > 0 and not content[i - 1].strip()) for i, ln in enumerate(content) if ln.strip()]
    for idx, (line, after_blank) in enumerate(nonblank):
        nxt = nonblank[idx + 1][0] if idx + 1 < len(nonblank) else None
        m = _PARA.match(line) if numbered else None
        mark = _MARK_ONLY.match(line) if not m else None
        if m:
            number = _real_number(int(m["num"]), expected)
            expected = number + 1
            paragraphs.append({"number": number, "raw_number": m["raw"].strip(), "marking": m["mark"],
                               "lines": [m["rest"]], "heading": heading})
            heading = None
        elif mark and (not paragraphs or not numbered):
            paragraphs.append({"number": None, "raw_number": None, "marking": mark["mark"],
                               "lines": [mark["rest"]], "heading": heading})
            heading = None
        elif _looks_like_heading(line, nxt, after_blank, bool(numbered)):
            heading = line.lstrip("# ").strip()
        elif paragraphs and (numbered or line[0].islower() or not _ends_sentence(paragraphs[-1]["lines"][-1])):
            paragraphs[-1]["lines"].append(line)
        else:  # unnumbered, unmarked block
            paragraphs.append({"number": None, "raw_number": None, "marking": None, "lines": [line],
                               "heading": heading})
            heading = None
    result = [
        Paragraph(number=p["number"], raw_number=p["raw_number"], marking=p["marking"],
                  marking_label=PARAGRAPH_MARKINGS.get(p["marking"] or ""), text=" ".join(p["lines"]).strip(),
                  heading=p["heading"])
        for p in paragraphs
    ]
    return result, signature


def _ends_sentence(text: str) -> bool:
    """Ends in . ! or ?, perhaps followed by closing quotes and brackets (looks at the end only)."""
    return text.strip().rstrip(_CLOSING).endswith((".", "!", "?"))


# --- country and report year --------------------------------------------------------------------------------

def post_key_of(station_name: str) -> str:
    """The post as reference ids write it: `OSAKA KOBE` -> `OSAKAKOBE`, `PORT-AU-PRINCE` -> `PORTAUPRINCE`."""
    return re.sub(r"[^A-Z0-9]", "", station_name.upper())


def _country(station_name: str, origin: str | None, tags: list[str]) -> tuple[str | None, str | None, list[str]]:
    table = country_tags()
    tagged = [t for t in tags if t in table]
    post_key = post_key_of(station_name)
    post_iso3 = posts().get(post_key)
    if post_iso3 is None and origin:
        origin_post = re.sub(r"^(?:AMEMBASSY|AMCONSUL|AMCONGEN|USMISSION|USDEL|AIT)\s+", "", origin).replace(" ", "")
        post_iso3 = posts().get(origin_post)
    tag_iso3 = [table[t] for t in tagged]
    if post_iso3 and post_iso3 in tag_iso3:
        return post_iso3, f"post {post_key} and tag {tagged[tag_iso3.index(post_iso3)]}", tagged
    if len(set(tag_iso3)) == 1:
        return tag_iso3[0], f"tag {tagged[0]}", tagged
    if post_iso3:
        return post_iso3, f"post {post_key}", tagged
    if tag_iso3:
        return tag_iso3[0], f"first country tag {tagged[0]} of {len(tagged)}", tagged
    return None, None, tagged


_REPORT_MENTION = re.compile(r"\b((?:19|20)\d{2})\s+(?:TIP|Trafficking\s+in\s+Persons|TIP/TVPA)\s+Report", re.I)
# The same without the leading \b, which keeps the regex engine from skipping ahead to the first digit: three times
# faster, and a text it finds nothing in cannot hold a mention (a quick no for most cables).
_REPORT_MENTION_ANYWHERE = re.compile(_REPORT_MENTION.pattern.removeprefix(r"\b"), re.I)


def _report_year(text: str, sent_at: datetime | None, cable_year: int) -> tuple[int | None, str | None]:
    """The report the cable reacts to: named in the text ("2008 TIP Report"), else the latest report out by then.

    TIP Reports come out in June, so a cable of June to December reacts to that year's report and one of January
    to May to the previous year's.
    """
    years = [int(y) for y in _REPORT_MENTION.findall(text)] if _REPORT_MENTION_ANYWHERE.search(text) else []
    if years:
        year = max(set(years), key=years.count)
        return year, f"text mentions the {year} TIP Report"
    if sent_at is not None:
        year = sent_at.year if sent_at.month >= 6 else sent_at.year - 1
        return year, f"latest report published by {sent_at.date().isoformat()}"
    return None, None


_TRAIL_CAVEATS = [(c, re.compile(rf"\b{c}\b")) for c in ("NOFORN", "SIPDIS", "SENSITIVE")]
_SUMMARY = re.compile(r"\bSummary\s*:\s*", re.I)


# --- entry point --------------------------------------------------------------------------------------------

_REF_HINT = re.compile(r"^(?P<yy>\d{2})(?P<station>[A-Z]+)(?P<serial>\d+)$")
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


def parse_cable(text: str, source: str | None = None, reference_hint: str | None = None) -> Cable:
    """Parse one released cable. `reference_hint`: a reference id such as the file name `08TOKYO1528`, used for
    the year when the text has no transmission header."""
    if not text.strip():
        raise CableParseError("empty file: no cable text", source)
    if "\x00" in text:
        raise CableParseError("binary data (NUL characters): not a cable text", source)
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    lines = text.split("\n")
    class_idx = _find_class_line(lines)
    head_text = "\n".join(lines[:class_idx] if class_idx is not None else lines)
    has_header = bool(_HAS_HEADER.search(head_text))
    if class_idx is None:
        if has_header:
            _, missing = _parse_header(head_text)
            lacking = ", ".join([*missing, "the classification line and body"])
            raise CableParseError(f"transmission header cut short: no {lacking}", source)
        raise CableParseError(
            "no recognisable cable: no classification line such as 'CONFIDENTIAL TOKYO 001528' "
            "(classification, post, serial)", source)
    warnings: list[str] = []
    header: TransmissionHeader | None = None
    if has_header:
        header, missing = _parse_header(head_text)
        if missing:
            warnings.append("transmission header lacks " + ", ".join(missing))
    cm = _CLASS_LINE.match(_collapse_spaced(" ".join(lines[class_idx].split())))
    assert cm is not None
    classification = "UNCLASSIFIED" if cm["cls"] == "UNCLAS" else cm["cls"]
    station_name = cm["station"].strip()
    serial = int(cm["serial"])
    fields, start = _parse_fields(lines[class_idx + 1:])
    trailing = cm["pre"] + cm["trail"]
    trail_caveats = [c for c, word in _TRAIL_CAVEATS if trailing and word.search(trailing)]
    caveats = list(dict.fromkeys([*trail_caveats, *fields.caveats]))
    paragraphs, signature = _parse_paragraphs(lines[class_idx + 1 + start:])
    if not paragraphs:
        raise CableParseError(f"no text after the heading of {station_name} {serial}: the cable has no paragraphs",
                              source)

    sent_at = header.sent_at if header else None
    hint = _REF_HINT.match(reference_hint or "")
    if sent_at is not None:
        yy = sent_at.year % 100
    elif hint and hint["station"] == post_key_of(station_name) and int(hint["serial"]) == serial:
        yy = int(hint["yy"])
    elif fields.declassify_on is not None:
        yy = (fields.declassify_on.year - 10) % 100
        warnings.append(f"reference year inferred from the declassification date {fields.declassify_on} "
                        "(ten years after the cable)")
    else:
        raise CableParseError(
            f"cannot tell the year of cable {station_name} {serial}: no transmission header date, no DECL date, "
            "and no reference id such as 08TOKYO1528 given", source)
    reference_id = f"{yy:02d}{post_key_of(station_name)}{serial}"

    table = country_tags()
    subject_tags = [t for t in fields.tags if t not in table]
    body = "\n\n".join(p.text for p in paragraphs)
    iso3, country_source, tagged = _country(station_name, header.origin if header else None, fields.tags)
    cable_year = 2000 + yy if yy < 50 else 1900 + yy
    report_year, report_year_source = _report_year(f"{fields.subject or ''}\n{body}", sent_at, cable_year)
    summary = None
    # two linear searches: one lazy regex up to "End Summary" backtracks quadratically over long whitespace runs
    # (an ASCII text without the word has none: a quick no, where a case-insensitive search is slow)
    sm = _SUMMARY.search(body) if not body.isascii() or "summary" in body.lower() else None
    if sm and sm.end() < len(body):
        rest = body[sm.end():]
        end = re.search(r"End\s+Summary", rest[1:], re.I)
        summary = (rest[:end.start() + 1] if end else rest).strip()
    truncated = signature is None and not _ends_sentence(paragraphs[-1].text)
    if truncated:
        warnings.append("text ends in mid-sentence: the cable is truncated")
    return Cable(
        reference_id=reference_id,
        station_name=station_name,
        serial=serial,
        classification=classification,
        section=" ".join(cm["section"].split()) if cm["section"] else None,
        header=header,
        caveats=tuple(caveats),
        distribution=tuple(fields.distribution),
        executive_order=fields.executive_order,
        declassify_on=fields.declassify_on,
        declassification=fields.declassification,
        tags=tuple(fields.tags),
        subject_tags=tuple(subject_tags),
        country_tags=tuple(tagged),
        subject=fields.subject,
        references=tuple(fields.references),
        classified_by=fields.classified_by,
        classification_reasons=fields.reasons,
        paragraphs=tuple(paragraphs),
        summary=summary,
        signature=signature,
        truncated=truncated,
        sent_at=sent_at,
        iso3=iso3,
        country_source=country_source,
        report_year=report_year,
        report_year_source=report_year_source,
        text_sha256=hashlib.sha256(text.strip().encode("utf-8")).hexdigest(),
        warnings=tuple(warnings),
    )


# --- files --------------------------------------------------------------------------------------------------

def reference_hint(name: str) -> str | None:
    """`08TOKYO1528.txt` or `archive.zip:cables/08TOKYO1528.txt` -> `08TOKYO1528`; None if not a reference id."""
    stem = re.split(r"[/\\:]", name)[-1].rsplit(".", 1)[0].upper()
    return stem if _REF_HINT.match(stem) else None
