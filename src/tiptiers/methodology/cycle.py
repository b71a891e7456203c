"""The annual cycle as dated law: the steps the statute sets around the tier rules, as in force for a report year.

`cycle.yaml` in a methodology folder holds one entry per step (the request for information, the reporting period,
the interim assessment, the report deadline, the lists the report carries, the waiver justifications, the Tier 3
determinations), OpenFisca style like `tier_rules.yaml`: `values:` keyed by the date each version took effect,
`metadata.reference` citing the statute, `uncertain:` where not verified. `cycle_law(year)` returns the rules in
force on March 31 of the report year (the date the tier rules use too), without those not yet applying to it.
Dates are computed in `tiptiers.engine.calendar`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from tiptiers.methodology.loader import MethodologyError, _read, report_date

KINDS = ("window", "period", "deadline", "list")


@dataclass(frozen=True)
class When:
    """When a step falls, relative to its report year Y (see cycle.yaml for the forms)."""

    on: tuple[int, int, int] | None = None  # (year offset, month, day)
    start: tuple[int, int, int] | None = None  # a fixed period's first day
    end: tuple[int, int, int] | None = None  # a fixed period's last day
    after: str | None = None  # the step this one is counted from
    days: int | None = None  # a deadline `days` after `after`
    min_days: int | None = None  # a window from `min_days` to `max_days` after `after`
    max_days: int | None = None
    with_step: str | None = None  # published with that step


@dataclass(frozen=True)
class StepRule:
    key: str
    title: str
    description: str
    kind: str  # window | period | deadline | list
    when: When
    since: date  # the date this version took effect
    reference: str
    practice: bool = False  # the Department's practice, not the statute
    uncertain: str = ""


def _day(where: str, text: Any, offset: Any) -> tuple[int, int, int]:
    try:
        month, day = (int(p) for p in str(text).split("-"))
        date(2000, month, day)  # a leap year: 02-29 is a day
    except ValueError:
        raise MethodologyError(f"{where}: {text!r} is not a day of the year as MM-DD") from None
    if offset not in (-1, 0):
        raise MethodologyError(f"{where}: the year offset must be -1 (the year before) or 0 (the report year)")
    return (int(offset), month, day)


def _when(where: str, raw: Any, keys: set[str]) -> When:
    if not isinstance(raw, dict):
        raise MethodologyError(f"{where}: `value` must be a mapping such as {{day: 02-01, year: 0}}")
    if "day" in raw:  # not `on:`, which YAML 1.1 reads as true
        return When(on=_day(where, raw["day"], raw.get("year", 0)))
    if "from" in raw:
        return When(start=_day(where, raw["from"], raw.get("from_year", 0)),
                    end=_day(where, raw.get("to"), raw.get("to_year", 0)))
    anchor = raw.get("after") or raw.get("with")
    if anchor is not None and anchor not in keys:
        raise MethodologyError(f"{where}: counted from unknown step {anchor!r}")
    if "with" in raw:
        return When(with_step=str(raw["with"]))
    if "after" in raw:
        numbers = {k: raw.get(k) for k in ("days", "min_days", "max_days")}
        if not all(v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0) for v in numbers.values()):
            raise MethodologyError(f"{where}: days, min_days and max_days must be whole numbers >= 0")
        if (numbers["days"] is None) == (numbers["min_days"] is None or numbers["max_days"] is None):
            raise MethodologyError(f"{where}: give either `days` or both `min_days` and `max_days`")
        return When(after=str(raw["after"]), **numbers)
    raise MethodologyError(f"{where}: `value` needs one of day, from, after, with")


def _text(value: Any) -> str:
    return "; ".join(map(str, value)) if isinstance(value, list) else str(value or "").strip()


@lru_cache(maxsize=4)
def _tree(name: str) -> dict[str, Any]:
    return _read(name, "cycle.yaml")


@lru_cache(maxsize=256)
def cycle_law(year: int, name: str = "tvpa") -> tuple[StepRule, ...]:
    """The steps in force for report year `year` (the law of March 31 of that year), in file order."""
    tree = _tree(name)
    on = report_date(year)
    rules: list[StepRule] = []
    for key, node in tree.items():
        where = f"{name}/cycle.yaml: {key}"
        if not isinstance(node, dict) or not isinstance(node.get("values"), dict):
            raise MethodologyError(f"{where}: needs a `values:` mapping keyed by date")
        kind = node.get("kind")
        if kind not in KINDS:
            raise MethodologyError(f"{where}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
        chosen: tuple[date, dict[str, Any]] | None = None
        for when, entry in sorted(node["values"].items(), key=lambda kv: str(kv[0])):
            if not isinstance(when, date):
                raise MethodologyError(f"{where}: {when!r} is not a date (YYYY-MM-DD)")
            if not isinstance(entry, dict) or "value" not in entry:
                raise MethodologyError(f"{where}: {when} needs `value:`")
            if entry["value"] is not None:
                _when(f"{where}: {when}", entry["value"], set(tree))  # every version is checked, in force or not
            if when <= on:
                chosen = (when, entry)
        if chosen is None or chosen[1]["value"] is None or year < int(chosen[1].get("from_report_year", 0)):
            continue
        since, entry = chosen
        meta = node.get("metadata") or {}
        rules.append(StepRule(
            key=str(key), title=str(node.get("title", key)), description=_text(node.get("description")),
            kind=str(kind), when=_when(f"{where}: {since}", entry["value"], set(tree)), since=since,
            reference=_text(entry.get("reference") or meta.get("reference")),
            practice=bool(entry.get("practice", meta.get("practice", False))),
            uncertain=_text(entry.get("uncertain") or meta.get("uncertain"))))
    return tuple(rules)
