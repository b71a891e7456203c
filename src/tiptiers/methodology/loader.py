"""Load a methodology (the law as data) from its dated YAML tree, as it stood on a given date.

A methodology is a folder under `tiptiers/methodology/` holding four files:

- `index.yaml`: id, name, description, metadata (references, the methodology's own choices);
- `standards.yaml` and `criteria.yaml`: one entry per standard or criterion id with `title`, `description`,
  `values:` keyed by the date it took effect (`in_force`, or null when repealed), `metadata.reference`,
  optionally `metadata.uncertain`; criteria may be `core: true`;
- `tier_rules.yaml`: one parameter per tier rule, OpenFisca style (`description`, `values:` keyed by date,
  `metadata.reference`). The parameter names are those of `TierRules`.

A second methodology is another folder; the engine reads only the `Methodology` object.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any

import yaml

from tiptiers.methodology.levels import LEVEL_RANK, RatingLevel
from tiptiers.report_years import reporting_period


class MethodologyError(ValueError):
    """The YAML tree is malformed; the message names the file and the parameter."""


@dataclass(frozen=True)
class Item:
    """A minimum standard or a criterion, as in force on the methodology's date."""

    id: str
    kind: str  # "standard" | "criterion"
    number: int
    title: str
    description: str
    since: date
    reference: str
    core: bool = False
    uncertain: str = ""


@dataclass(frozen=True)
class Parameter:
    """One dated rule value with its provenance."""

    name: str
    description: str
    value: Any
    since: date
    reference: str
    methodology_choice: bool = False
    uncertain: str = ""
    bounds: tuple[Any, Any] | None = None  # metadata.bounds: the range a robustness analysis may vary it within


@dataclass(frozen=True)
class TierRules:
    tier_1_standard_min_level: RatingLevel
    significant_efforts_min_share: float
    significant_efforts_min_level: RatingLevel
    core_criteria_min_level: RatingLevel
    watch_list: bool
    proportional_action_test: bool
    automatic_downgrade: bool
    count_watch_list_from_year: int | None
    consecutive_watch_list_years: int | None
    max_waiver_years: int | None
    post_downgrade_max_watch_list_years: int | None


@dataclass(frozen=True)
class Methodology:
    """The rules of one methodology in force on `on`.

    Vectorising the rules (numpy), for an array R of ratings ranks (countries x items, in the order of
    `standards` then `criteria`, not rated = 0, ranks from `LEVEL_RANK`):

    - Tier 1 where every standard column >= `rank(rules.tier_1_standard_min_level)`;
    - significant efforts where the count of criteria columns >= `rank(rules.significant_efforts_min_level)`
      is >= `significant_efforts_min_count` and every column of `core_ids` >= `rank(rules.core_criteria_min_level)`;
      then Tier 2, or Watch List where `rules.watch_list` and a Watch List signal holds, else Tier 3;
    - the automatic downgrade depends on the history only (`rules.count_watch_list_from_year`,
      `consecutive_watch_list_years`, `max_waiver_years`, `post_downgrade_max_watch_list_years`).
    `tiptiers.engine.determine` applies exactly these rules, one country-year at a time.
    """

    id: str
    name: str
    description: str
    on: date
    law_date: date  # the date the most recent value applied took effect
    standards: tuple[Item, ...]
    criteria: tuple[Item, ...]
    rules: TierRules
    parameters: tuple[Parameter, ...]
    known_items: dict[str, Item] = field(repr=False)  # every id of the tree, in force or not (for messages)
    metadata: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def items(self) -> tuple[Item, ...]:
        return self.standards + self.criteria

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.items)

    @property
    def core_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.criteria if c.core)

    @property
    def significant_efforts_min_count(self) -> int:
        return math.ceil(self.rules.significant_efforts_min_share * len(self.criteria) - 1e-9)

    def level_rank(self, level: RatingLevel) -> int:
        return LEVEL_RANK[level]

    def item(self, item_id: str) -> Item | None:
        return self.known_items.get(item_id)

    def reference(self, parameter: str) -> str:
        """The statute a tier rule parameter cites ("" if the parameter is not in force)."""
        return self.references.get(parameter, "")

    @cached_property
    def references(self) -> dict[str, str]:
        return {p.name: p.reference for p in self.parameters}

    @cached_property
    def rank_thresholds(self) -> tuple[int, int, int]:
        """Ranks (LEVEL_RANK) of the Tier 1 standard level, the significant-efforts level and the core level."""
        r = self.rules
        return (LEVEL_RANK[r.tier_1_standard_min_level], LEVEL_RANK[r.significant_efforts_min_level],
                LEVEL_RANK[r.core_criteria_min_level])


def report_date(year: int) -> date:
    """The law applied to a report year: the law in force at the end of its reporting period (March 31)."""
    return reporting_period(year)[1]


def available() -> list[str]:
    """The methodology ids (folders holding an index.yaml). The folders ship with the package: listed once."""
    return list(_available())


@lru_cache(maxsize=1)
def _available() -> tuple[str, ...]:
    root = resources.files("tiptiers.methodology")
    return tuple(sorted(p.name for p in root.iterdir() if p.is_dir() and p.joinpath("index.yaml").is_file()))


def _read(name: str, filename: str) -> dict[str, Any]:
    path = resources.files("tiptiers.methodology").joinpath(name, filename)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MethodologyError(f"methodology {name!r}: missing {filename}") from None
    if not isinstance(data, dict):
        raise MethodologyError(f"methodology {name!r}: {filename} must be a mapping")
    return data


def _value_on(name: str, filename: str, key: str, node: Any, on: date) -> tuple[Any, date | None]:
    if not isinstance(node, dict) or not isinstance(node.get("values"), dict):
        raise MethodologyError(f"{name}/{filename}: {key} needs a `values:` mapping keyed by date")
    chosen: tuple[Any, date | None] = (None, None)
    for when, entry in sorted(node["values"].items(), key=lambda kv: str(kv[0])):
        if not isinstance(when, date):
            raise MethodologyError(f"{name}/{filename}: {key}: {when!r} is not a date (YYYY-MM-DD)")
        if not isinstance(entry, dict) or "value" not in entry:
            raise MethodologyError(f"{name}/{filename}: {key}: {when} needs `value:`")
        if when <= on:
            chosen = (entry["value"], when)
    return chosen


def _meta(node: dict[str, Any]) -> dict[str, Any]:
    meta = node.get("metadata") or {}
    return meta if isinstance(meta, dict) else {}


def _reference(meta: dict[str, Any]) -> str:
    ref = meta.get("reference", "")
    return "; ".join(ref) if isinstance(ref, list) else str(ref).strip()


def _items(name: str, filename: str, kind: str, on: date) -> tuple[list[Item], dict[str, Item], list[date]]:
    in_force: list[Item] = []
    known: dict[str, Item] = {}
    dates: list[date] = []
    for key, node in _read(name, filename).items():
        number = int(str(key).rsplit("_", 1)[-1]) if str(key).rsplit("_", 1)[-1].isdigit() else len(known) + 1
        first = min((d for d in (node.get("values") or {}) if isinstance(d, date)), default=None)
        value, since = _value_on(name, filename, key, node, on)
        meta = _meta(node)
        item = Item(id=str(key), kind=kind, number=number, title=str(node.get("title", key)),
                    description=str(node.get("description", "")).strip(), since=since or first or on,
                    reference=_reference(meta), core=bool(node.get("core", False)),
                    uncertain=str(meta.get("uncertain", "")).strip())
        known[item.id] = item
        if value is not None and since is not None:
            in_force.append(item)
            dates.append(since)
    return sorted(in_force, key=lambda i: i.number), known, dates


_LEVEL_RULES = {"tier_1_standard_min_level", "significant_efforts_min_level", "core_criteria_min_level"}


def _bounds(name: str, key: str, raw: Any) -> tuple[Any, Any] | None:
    """`metadata.bounds: [low, high]`: numbers, or rating levels for the level rules."""
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) != 2:
        raise MethodologyError(f"{name}/tier_rules.yaml: {key}: metadata.bounds must be [low, high]")
    if key in _LEVEL_RULES:
        try:
            low, high = RatingLevel(raw[0]), RatingLevel(raw[1])
        except ValueError:
            raise MethodologyError(f"{name}/tier_rules.yaml: {key}: metadata.bounds must be rating levels") from None
        if LEVEL_RANK[low] > LEVEL_RANK[high]:
            raise MethodologyError(f"{name}/tier_rules.yaml: {key}: metadata.bounds low is above high")
        return (low, high)
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in raw) or raw[0] > raw[1]:
        raise MethodologyError(f"{name}/tier_rules.yaml: {key}: metadata.bounds must be two numbers, low <= high")
    return (raw[0], raw[1])


@lru_cache(maxsize=256)
def load_methodology(name: str = "tvpa", on: date | None = None) -> Methodology:
    """The methodology `name` as it stood on `on` (default: today). Cached: the tree is read once per date."""
    on = on or date.today()
    if name not in available():
        raise MethodologyError(f"unknown methodology {name!r}; available: {', '.join(available())}")
    index = _read(name, "index.yaml")
    standards, known_s, dates_s = _items(name, "standards.yaml", "standard", on)
    criteria, known_c, dates_c = _items(name, "criteria.yaml", "criterion", on)
    if not standards:
        raise MethodologyError(f"methodology {name!r} has no standard in force on {on}")
    parameters: list[Parameter] = []
    values: dict[str, Any] = {}
    for key, node in _read(name, "tier_rules.yaml").items():
        value, since = _value_on(name, "tier_rules.yaml", key, node, on)
        if key in _LEVEL_RULES:
            try:
                value = RatingLevel(value)
            except ValueError:
                raise MethodologyError(f"{name}/tier_rules.yaml: {key}: {value!r} is not a rating level") from None
        values[key] = value
        meta = _meta(node)
        if since is not None:
            parameters.append(Parameter(name=key, description=str(node.get("description", "")).strip(), value=value,
                                        since=since, reference=_reference(meta),
                                        methodology_choice=bool(meta.get("methodology_choice", False)),
                                        uncertain=str(meta.get("uncertain", "")).strip(),
                                        bounds=_bounds(name, key, meta.get("bounds"))))
    missing = [f for f in TierRules.__dataclass_fields__ if f not in values]
    if missing:
        raise MethodologyError(f"{name}/tier_rules.yaml: missing {', '.join(missing)}")
    rules = TierRules(**{f: values[f] for f in TierRules.__dataclass_fields__})
    law_date = max([*dates_s, *dates_c, *(p.since for p in parameters)])
    return Methodology(id=str(index.get("id", name)), name=str(index.get("name", name)),
                       description=str(index.get("description", "")).strip(), on=on, law_date=law_date,
                       standards=tuple(standards), criteria=tuple(criteria), rules=rules,
                       parameters=tuple(parameters), known_items={**known_s, **known_c},
                       metadata=_meta(index))


def methodology_for_year(year: int, name: str = "tvpa") -> Methodology:
    return load_methodology(name, report_date(year))
