"""Year-over-year movements ("Changes in YEAR"): each country placed in a report compared with the report before,
grouped the way a reader on release day asks (into Tier 3 first, then other downgrades, upgrades, new, previous
year unknown, unchanged), each with its reason in words; the filters the page, its JSON twin and its CSV share; and
the flows between tiers that the chart draws. Pure: placements, the previous year's coverage and the downgrade
rule's verdicts in, rows out.

The downgrade verdicts are the engine's `audit_history` events (the logic of `tiptiers audit-history`); the
caller gives them with the coverage and the waivers on record applied. A country absent from the year before is
"new" only when that year is complete (it was not ranked); otherwise its previous placement is not in the sources
("previous year unknown"), never taken for new.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from tiptiers.coverage import YearCoverage
from tiptiers.engine.audit import DOWNGRADE, WAIVER, AuditEvent, audit_history
from tiptiers.engine.model import HistoryEntry
from tiptiers.tiers import TIER_ORDER, Tier
from tiptiers.web.i18n import N_  # titles translated where shown

# up | down | same | new (not ranked the year before) | unknown (the year before is not in the sources for it) |
# special (to or from a special case: not a move on the scale)
MOVEMENTS = ("up", "down", "same", "new", "unknown", "special")
# The page's sections, in the order a reader on release day wants them.
GROUPS = ("tier_3", "down", "up", "new", "unknown", "special", "same")
GROUP_TITLES = {
    "tier_3": N_("Into Tier 3"), "down": N_("Other downgrades"), "up": N_("Upgrades"), "new": N_("New in the report"),
    "unknown": N_("Previous year unknown"), "special": N_("Special cases"), "same": N_("Unchanged"),
}
DIRECTIONS = {"down": ("tier_3", "down"), "up": ("up",), "new": ("new",), "unknown": ("unknown",),
              "special": ("special",), "same": ("same",)}
FIRST_REPORT = 2001
NOT_ASSESSED = "Not assessed in tiptiers: the report's own narrative gives its reasons."


@dataclass(frozen=True)
class Movement:
    iso3: str
    country: str
    year: int
    previous_tier: str | None
    tier: str
    movement: str  # one of MOVEMENTS
    automatic_downgrade: bool  # Tier 3 because the Watch List years ran out
    waiver: bool  # kept on the Watch List by a waiver of the automatic downgrade
    rule: str = ""  # the engine's audit of the downgrade rule that year, in words ("" when it did not engage)
    group: str = ""  # one of GROUPS
    reason: str = ""  # why, in words a reader follows
    previous_year: str = ""  # the year before in words: a tier, "not ranked" or "not in the sources we have"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _span(years: Iterable[int]) -> str:
    ys = sorted(years)
    return f"{ys[0]}-{ys[-1]}" if len(ys) > 1 else str(ys[0]) if ys else ""


def _direction(before: Tier | None, now: Tier, known_absent: bool) -> str:
    if before is None:
        return "new" if known_absent else "unknown"
    if before == now:
        return "same"
    if Tier.SPECIAL in (before, now):
        return "special"
    return "up" if now.rank < before.rank else "down"


def _group(direction: str, now: Tier) -> str:
    return "tier_3" if direction == "down" and now == Tier.TIER_3 else direction


def _reason(m: Movement, event: AuditEvent | None, decisive: str) -> str:
    """Why, in words: the downgrade rule where it engaged, the assessment's decisive criteria where one exists,
    otherwise what the record says (the bundled history keeps tiers, not the report's reasons)."""
    parts = []
    if event is not None and event.kind == DOWNGRADE:
        years = event.watch_list_years
        n = f"{len(years)} year{'s' if len(years) != 1 else ''}"
        if "after a downgrade" in event.text:  # the post-downgrade limit (since 2019)
            parts.append(f"Tier 3 by the automatic downgrade: {n} on the Watch List ({_span(years)}) after an "
                         "earlier automatic downgrade, the most the law allows (22 U.S.C. 7107(b)(2)(D)(iv)).")
        else:
            waived = f", after waivers in {', '.join(map(str, event.waiver_years))}" if event.waiver_years else ""
            parts.append(f"Tier 3 by the automatic downgrade, after {n} in a row on the Watch List "
                         f"({_span(years)}){waived}: the law allows no more (22 U.S.C. 7107(b)(2)(D)).")
    elif event is not None and event.kind == WAIVER:
        parts.append(f"Kept on the Watch List by a waiver of the automatic downgrade "
                     f"(Watch List year {len(event.watch_list_years) + 1} in a row).")
    elif event is not None:
        parts.append(f"Downgrade rule: {event.text}.")
    if decisive:
        parts.append(decisive)
    if not parts:
        parts.append({
            "tier_3": NOT_ASSESSED,
            "down": NOT_ASSESSED,
            "up": NOT_ASSESSED,
            "new": f"Not ranked in {m.year - 1}: first placed in {m.year}." if m.year > FIRST_REPORT
            else "The first report.",
            "unknown": f"Its {m.year - 1} placement is not in the sources we have.",
            "special": "A special case: the report does not rank it on the tiers that year (or did not the year "
                       "before).",
            "same": "",
        }[m.group])
    return " ".join(parts)


def audit_events(history: Mapping[str, Mapping[int, str]], year: int) -> dict[str, AuditEvent]:
    """The engine's `audit_history` events of `year` by country, from placements alone (no coverage, no waivers on
    record): for callers that have nothing more. The web pages give the store's events instead."""
    histories = {iso3: [HistoryEntry(year=y, tier=Tier(t)) for y, t in by_year.items() if y <= year]
                 for iso3, by_year in history.items() if year in by_year}
    return {e.iso3: e for e in audit_history(histories) if e.year == year}


def movements(history: Mapping[str, Mapping[int, str]], names: Mapping[str, str], year: int,
              previous: YearCoverage | None = None, events: Mapping[str, AuditEvent] | None = None,
              decisive: Mapping[str, str] | None = None) -> list[Movement]:
    """Every country placed in `year`, compared with its placement of `year - 1`, ordered by country name.

    `previous`: the coverage of `year - 1` (None: nothing is known to be complete, so an absent country is
    "previous year unknown"; before the first report every country is new). `events`: the downgrade rule's audit
    of `year` by country (default: from these placements alone). `decisive`: for an assessed country, its decisive
    criteria in words."""
    events = audit_events(history, year) if events is None else events
    decisive = decisive or {}
    rows = []
    for iso3, by_year in history.items():
        if year not in by_year:
            continue
        now = Tier(by_year[year])
        before = Tier(by_year[year - 1]) if year - 1 in by_year else None
        known_absent = year == FIRST_REPORT or (previous is not None and previous.complete)
        direction = _direction(before, now, known_absent)
        event = events.get(iso3)
        kind = event.kind if event else ""
        if before is not None:
            previous_words = before.label
        elif year == FIRST_REPORT:
            previous_words = "no report"
        else:
            previous_words = "not ranked" if known_absent else "not in the sources we have"
        row = Movement(iso3, names.get(iso3, iso3), year, before.value if before else None, now.value, direction,
                       kind == DOWNGRADE, kind == WAIVER, event.text if event else "", _group(direction, now),
                       previous_year=previous_words)
        rows.append(replace(row, reason=_reason(row, event, decisive.get(iso3, ""))))
    return sorted(rows, key=lambda m: m.country)


def summary(rows: Iterable[Movement]) -> dict[str, int]:
    rows = list(rows)
    counts = {m: 0 for m in MOVEMENTS}
    for r in rows:
        counts[r.movement] += 1
    counts["into_tier_3"] = sum(1 for r in rows if r.group == "tier_3")
    counts["automatic_downgrades"] = sum(1 for r in rows if r.automatic_downgrade)
    counts["waivers"] = sum(1 for r in rows if r.waiver)
    return counts


def grouped(rows: Iterable[Movement]) -> list[tuple[str, str, list[Movement]]]:
    """(group, title, rows) in the page's order, empty groups left out."""
    by_group: dict[str, list[Movement]] = {g: [] for g in GROUPS}
    for r in rows:
        by_group[r.group].append(r)
    return [(g, GROUP_TITLES[g], by_group[g]) for g in GROUPS if by_group[g]]


def parse_filters(to: str | None, direction: str | None) -> tuple[Tier | None, str | None]:
    """`?to=3` (a tier: 1, 2, 2WL, 3, special) and `?direction=down` (down, up, new, unknown, special, same);
    empty or absent: no filter. A bad value raises ValueError naming the field and the accepted values."""
    tier = None
    if to:
        try:
            tier = Tier(to)
        except ValueError:
            raise ValueError(f"to: {to!r} is not a tier; use one of {', '.join(t.value for t in TIER_ORDER)}") \
                from None
    if direction and direction not in DIRECTIONS:
        raise ValueError(f"direction: {direction!r} is not one of {', '.join(DIRECTIONS)}")
    return tier, direction or None


def filtered(rows: Iterable[Movement], to: Tier | None = None, direction: str | None = None) -> list[Movement]:
    return [r for r in rows if (to is None or r.tier == to.value)
            and (direction is None or r.group in DIRECTIONS[direction])]


def flows(rows: Iterable[Movement]) -> dict[tuple[str, str], int]:
    """(from, to) -> how many countries, for the flow chart: `from` is the previous tier, `new` or `unknown`."""
    counts: Counter[tuple[str, str]] = Counter()
    for r in rows:
        source = r.previous_tier or ("new" if r.movement == "new" else "unknown")
        counts[(source, r.tier)] += 1
    return dict(counts)


def filter_words(to: Tier | None, direction: str | None) -> str:
    """The filters in words, for the page's heading and the download's name: "" when none."""
    parts = []
    if direction:
        parts.append({"down": "downgrades", "up": "upgrades", "new": "new in the report",
                      "unknown": "previous year unknown", "special": "special cases",
                      "same": "unchanged"}[direction])
    if to:
        parts.append(f"now {to.label}")
    return ", ".join(parts)
