"""Realistic variants of the real cable 08TOKYO1528, made from it the way the 2010-2011 release varies:
no header, other stations, precedences and dates, UNCLAS or SECRET, NOFORN, unnumbered paragraphs, truncation."""

from __future__ import annotations

import re
from pathlib import Path

FIXTURE = Path("/work/shared/fixtures/cables/08TOKYO1528.txt")
if not FIXTURE.exists():  # a clone with shared/ beside the repository
    FIXTURE = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "cables" / "08TOKYO1528.txt"


def original() -> str:
    return FIXTURE.read_text(encoding="utf-8")


def split(text: str) -> tuple[str, str]:
    """(transmission header, the rest from the classification line on)."""
    at = text.index("CONFIDENTIAL TOKYO 001528")
    return text[:at], text[at:]


def without_header() -> str:
    return split(original())[1]


def wrapped_header() -> str:
    """The header as the release often has it: one element per line, ending with BT."""
    header, body = split(original())
    for word in (" OO ", " DE ", " ZNY ", " O ", " FM ", " TO ", " INFO "):
        header = header.replace(word, "\n" + word.lstrip(), 1)
    return header.strip() + "\nBT\n" + body


def at_station(station: str, post_line: str, tag: str, routing: str, serial: int = 2071) -> str:
    text = original().replace("DE RUEHKO #1528", f"DE {routing} #{serial}")
    text = text.replace("FM AMEMBASSY TOKYO", f"FM {post_line}")
    text = text.replace("CONFIDENTIAL TOKYO 001528", f"CONFIDENTIAL {station} {serial:06d}")
    return text.replace("KWMN JA", f"KWMN {tag}")


def with_date(dtg: str, decl: str = "06/03/2018") -> str:
    return original().replace("042255Z JUN 08", dtg).replace("06/03/2018", decl)


def with_precedence(code: str, letter: str) -> str:
    return original().replace("VZCZCXRO1491 OO", f"VZCZCXRO1491 {code}").replace(" ZZH O 0", f" ZZH {letter} 0")


def classified(line: str, marker: str, transmission: str) -> str:
    text = original().replace("CONFIDENTIAL TOKYO 001528", line).replace("ZNY CCCCC", transmission)
    return text.replace("(C) ", f"({marker}) ")


def without_numbers() -> str:
    """Paragraph numbers gone: each paragraph starts with its marking only."""
    return re.sub(r"^(?:- |¶)?1?\d\. (\(C\))", r"\1", original(), flags=re.M)


def without_numbers_or_markings() -> str:
    return re.sub(r"^(?:- |¶)?1?\d\. \(C\) ", "", original(), flags=re.M)


def complete() -> str:
    """The fixture with its last sentence finished and the ambassador's signature, as a whole cable ends."""
    return original().rstrip() + " to no avail.\nSCHIEFFER\n"


def cooperative() -> str:
    """A cable in which the government welcomes its placement and asks how to improve: no negative code."""
    header, _ = split(original())
    header = header.replace("DE RUEHKO #1528", "DE RUEHML #1702").replace("FM AMEMBASSY TOKYO", "FM AMEMBASSY MANILA")
    return header + """UNCLAS MANILA 001702

SIPDIS

E.O. 12958: N/A
TAGS: PHUM KTIP KCRM RP

SUBJECT: PHILIPPINES WELCOMES 2008 TIP REPORT

1. (U) Summary: Foreign Secretary Romulo thanked the Ambassador for the 2008 TIP Report, said the government
welcomes its recommendations, and asked how the Philippines could improve its ranking next year. End Summary.

2. (U) The Philippines appreciates the work of G/TIP and is pleased that the report recognized its achievements
in prosecuting traffickers, Romulo said. The government will continue to work closely with the United States and
is committed to implementing the recommendations, he added.

3. (U) The Ambassador welcomed the government's commitment and offered technical assistance.
KENNEY
"""


def neutral() -> str:
    """A cable about something else entirely: no reaction code at all."""
    header, _ = split(original())
    return header + """UNCLAS TOKYO 001600

SIPDIS

E.O. 12958: N/A
TAGS: ECON ETRD JA

SUBJECT: JAPAN RICE IMPORT TENDER RESULTS

1. (U) The Ministry of Agriculture published the results of the June rice import tender on June 3. Volumes were
in line with the previous tender.

2. (U) Prices rose slightly because of higher freight costs.
SCHIEFFER
"""


def test_the_variants_really_differ_from_the_original():
    variants = [without_header(), wrapped_header(), with_date("151200Z SEP 09"), without_numbers(),
                without_numbers_or_markings(), complete(), classified("UNCLAS TOKYO 001528", "U", "ZNR UUUUU")]
    assert all(v != original() for v in variants)
    assert "VZCZC" not in without_header()
    assert "11. (C)" not in without_numbers() and "(C) Summary" in without_numbers()
