"""Read a TIP Report's own lists, as the State Department publishes them: country names under headings.

    TIER 1
    Argentina, Australia, ..., Korea, South, ...
    TIER 2 WATCH LIST
    Congo, Democratic Republic of the; ...

Headings (any case, an optional colon; names may follow on the same line): TIER 1, TIER 2, TIER 2 WATCH LIST,
TIER 3, SPECIAL CASES. Names are separated by commas, semicolons or new lines. Since names contain commas
("Korea, South"), a comma-separated run is matched longest name first, not split on every comma. A name that
matches no country, or more than one ("Congo"), and a country listed twice, are errors naming the line and the
closest names; a file with any error yields nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tiptiers.countries import CountryTable, country_table
from tiptiers.sources.placements import error_report
from tiptiers.tiers import Tier

HEADING = re.compile(r"^\s*(tier\s*(?:1|one|2|two|3|three)(?:\s*[-–]?\s*watch\s*list)?|special\s*cases?)\s*:?\s*(.*)$",
                     re.IGNORECASE)
LONGEST_NAME_PIECES = 6  # "Congo, Democratic Republic of the" is 2 pieces; no name has more than a few commas


def heading_tier(text: str) -> Tier:
    words = " ".join(text.lower().replace("-", " ").replace("–", " ").split())
    if words.startswith("special"):
        return Tier.SPECIAL
    if "watch" in words:
        return Tier.WATCH_LIST
    number = words.split()[1] if len(words.split()) > 1 else words[4:]
    return {"1": Tier.TIER_1, "one": Tier.TIER_1, "2": Tier.TIER_2, "two": Tier.TIER_2, "3": Tier.TIER_3,
            "three": Tier.TIER_3}[number]


@dataclass(frozen=True)
class ListedCountry:
    iso3: str
    tier: Tier
    name: str  # as the file writes it
    line: int


@dataclass(frozen=True)
class ReportLists:
    countries: list[ListedCountry]
    headings: frozenset[Tier]  # the lists the file gives

    def by_tier(self) -> dict[Tier, list[ListedCountry]]:
        out: dict[Tier, list[ListedCountry]] = {t: [] for t in self.headings}
        for c in self.countries:
            out[c.tier].append(c)
        return out


class ReportListsError(ValueError):
    """The lines that match no country (or repeat one); `matched` holds the names that did match, so that a
    preview can show them beside the refusals."""

    def __init__(self, source: str, errors: list[str], matched: ReportLists | None = None):
        self.source = source
        self.errors = errors
        self.matched = matched if matched is not None else ReportLists([], frozenset())
        super().__init__(error_report(source, errors, "error(s)"))


def _match(pieces: list[str], table: CountryTable) -> tuple[int, str | None]:
    """How many pieces from the start form the longest known name, and its country (0 pieces: none matches)."""
    for n in range(min(len(pieces), LONGEST_NAME_PIECES), 0, -1):
        found = table.find(", ".join(pieces[:n]))
        if found is not None:
            return n, found.iso3
        if table.candidates(", ".join(pieces[:n])):
            return n, None  # ambiguous: reported by the caller
    return 0, None


def _problem(name: str, table: CountryTable) -> str:
    candidates = table.candidates(name)
    if candidates:
        full = " or ".join(f"{table.by_iso3[i].name} ({i})" for i in candidates)
        return f"{name!r} may be more than one country: {full}; write the name in full"
    suggestions = table.suggest(name)
    hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
    return f"{name!r} is not a country name tiptiers knows{hint}"


def parse_report_lists(text: str, source: str = "<lists>") -> ReportLists:
    table = country_table()
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    errors: list[str] = []
    tier: Tier | None = None
    heading_lines: dict[Tier, int] = {}
    seen: dict[str, ListedCountry] = {}
    listed: list[ListedCountry] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.replace("\t", " ").replace("\u00a0", " ").strip()
        if not line:
            continue
        heading = HEADING.match(line)
        if heading:
            tier = heading_tier(heading.group(1))
            if tier in heading_lines:
                errors.append(f"line {number}: heading {tier.label} already given on line {heading_lines[tier]}")
            heading_lines.setdefault(tier, number)
            line = heading.group(2).strip()
            if not line:
                continue
        if tier is None:
            errors.append(f"line {number}: {line[:60]!r} comes before any heading (TIER 1, TIER 2, TIER 2 WATCH "
                          "LIST, TIER 3, SPECIAL CASES)")
            continue
        for segment in line.split(";"):
            pieces = [p.strip() for p in segment.split(",")]
            pieces = [p for p in pieces if p]
            while pieces:
                n, iso3 = _match(pieces, table)
                if n == 0 or iso3 is None:
                    name = ", ".join(pieces[:max(n, 1)])
                    errors.append(f"line {number}: {_problem(name, table)}")
                    pieces = pieces[max(n, 1):]
                    continue
                name, pieces = ", ".join(pieces[:n]), pieces[n:]
                entry = ListedCountry(iso3, tier, name, number)
                earlier = seen.get(iso3)
                if earlier is not None:
                    errors.append(f"line {number}: {name!r} ({iso3}) is listed twice: already on line {earlier.line} "
                                  f"as {earlier.name!r} under {earlier.tier.label}")
                    continue
                seen[iso3] = entry
                listed.append(entry)
    if not heading_lines:
        errors.append("no heading found: the lists start with TIER 1, TIER 2, TIER 2 WATCH LIST, TIER 3 or SPECIAL "
                      "CASES")
    elif not listed and not errors:
        errors.append("no country listed under the headings")
    if errors:
        raise ReportListsError(source, errors, ReportLists(listed, frozenset(heading_lines)))
    return ReportLists(listed, frozenset(heading_lines))
