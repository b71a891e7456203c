"""The engine's interface: ratings and signals in, a Determination out. Pure pydantic, no store, no web.

Every other layer (store, review, analysis, web, cli) speaks these names.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from tiptiers.methodology import MethodologyError, RatingLevel, available, methodology_for_year
from tiptiers.report_years import FIRST_REPORT_YEAR, last_allowed_year
from tiptiers.tiers import Tier

__all__ = [
    "AssessmentInput",
    "Determination",
    "HistoryEntry",
    "Override",
    "PathUp",
    "Rating",
    "RatingChange",
    "RatingLevel",
    "Reason",
    "Waiver",
]


def _check_year(year: int) -> int:
    if year < FIRST_REPORT_YEAR:
        raise ValueError(f"year {year} is before the first TIP Report ({FIRST_REPORT_YEAR})")
    if year > last_allowed_year():
        raise ValueError(f"year {year} is after {last_allowed_year()}, the latest report that may be drafted")
    return year


def _check_iso3(value: str) -> str:
    value = value.strip().upper()
    if len(value) != 3 or not value.isalpha():
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-3 code such as JPN")
    return value


class _CountryYear(BaseModel):
    """A record about one country in one report year."""

    model_config = ConfigDict(frozen=True)

    iso3: str = Field(description="ISO 3166-1 alpha-3 code")
    year: int = Field(description="Report year (first report: 2001)")

    @field_validator("iso3")
    @classmethod
    def _iso3(cls, value: str) -> str:
        return _check_iso3(value)

    @field_validator("year")
    @classmethod
    def _year(cls, value: int) -> int:
        return _check_year(value)


class Rating(BaseModel):
    """How far one standard or criterion is met, and the evidence the rating rests on."""

    model_config = ConfigDict(frozen=True)

    criterion: str = Field(description="A standard or criterion id of the methodology, e.g. standard_1, criterion_7")
    level: RatingLevel
    evidence: list[str] = Field(default_factory=list, description="Evidence ids, or free text until records exist")
    note: str = ""


class AssessmentInput(_CountryYear):
    """One country-year's ratings and the Watch List signals of 22 U.S.C. 7107(b)(2)(A)."""

    model_config = ConfigDict(frozen=False)

    methodology: str = Field("tvpa", description="Methodology id (a folder under tiptiers/methodology)")
    ratings: list[Rating]
    victims_significant_or_increasing: bool = Field(
        False,
        description="The (estimated, from 2019) number of victims is very significant or significantly increasing")
    proportional_action: bool = Field(
        False, description="From the 2019 report: the government takes proportional concrete actions (offsets the"
                           " victims test)")
    increasing_efforts_shown: bool = Field(True, description="Evidence of increasing efforts over the previous year")
    concrete_actions: bool = Field(
        True, description="Significant efforts rest on concrete actions, not on commitments to take future steps")

    @field_validator("methodology")
    @classmethod
    def _methodology(cls, value: str) -> str:
        if value not in available():
            raise ValueError(f"unknown methodology {value!r}; available: {', '.join(available())}")
        return value

    @field_validator("ratings")
    @classmethod
    def _ratings(cls, ratings: list[Rating], info: ValidationInfo) -> list[Rating]:
        year, name = info.data.get("year"), info.data.get("methodology")
        if year is None or name is None:
            return ratings  # the year or methodology error is reported on its own field
        try:
            method = methodology_for_year(year, name)
        except MethodologyError as exc:
            raise ValueError(str(exc)) from None
        in_force = set(method.ids)
        seen: set[str] = set()
        for i, rating in enumerate(ratings):
            if rating.criterion in seen:
                raise ValueError(f"ratings[{i}].criterion: {rating.criterion!r} is rated twice")
            seen.add(rating.criterion)
            if rating.criterion in in_force:
                continue
            item = method.item(rating.criterion)
            if item is None:
                known = ", ".join(method.ids)
                raise ValueError(f"ratings[{i}].criterion: unknown criterion {rating.criterion!r}; "
                                 f"in force in {year}: {known}")
            raise ValueError(f"ratings[{i}].criterion: {rating.criterion} ({item.title}) was not yet in force in the "
                             f"{year} report (in force from {item.since.isoformat()})")
        missing = [s.id for s in method.standards if s.id not in seen]
        if missing:
            raise ValueError(f"ratings: missing standard {', '.join(missing)} (every minimum standard must be rated)")
        return ratings

    def level_of(self) -> dict[str, RatingLevel]:
        return {r.criterion: r.level for r in self.ratings}


class HistoryEntry(BaseModel):
    """A published (or determined) placement of an earlier report year, or a year not in the sources.

    A history lists the years a country was placed; a year it omits was not a Watch List year. A year whose record
    is partial, so that the country may have been on the Watch List, is listed with `tier` null: a rule that counts
    it then says it cannot tell rather than guess.
    """

    model_config = ConfigDict(frozen=True)

    year: int
    tier: Tier | None = Field(description="The tier; null: not in the sources (on the Watch List or not: unknown)")


class Waiver(_CountryYear):
    """A presidential waiver of the automatic downgrade (22 U.S.C. 7107(b)(2)(D)(ii)) for one country-year."""

    justification: str = Field(min_length=1)
    source: str | None = Field(None, description="The record the waiver comes from (e.g. the memorandum)")

    @field_validator("justification")
    @classmethod
    def _justified(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a waiver needs a written justification")
        return value.strip()


class Override(_CountryYear):
    """A tier other than the computed one, never silent: who decided it and why, in writing."""

    tier: Tier
    justification: str = Field(min_length=1)
    author: str = Field(min_length=1)

    @field_validator("justification", "author")
    @classmethod
    def _not_blank(cls, value: str, info: ValidationInfo) -> str:
        if not value.strip():
            raise ValueError(f"an override needs a written {info.field_name}")
        return value.strip()


class Reason(BaseModel):
    """One step of the path of rules that decided the tier. Frozen: the engine shares equal reasons."""

    model_config = ConfigDict(frozen=True)

    rule: str = Field(description="Rule id, e.g. tier_1, significant_efforts, watch_list, automatic_downgrade")
    reference: str = Field(description="The statute the rule applies")
    text: str = Field(description="The step in words a diplomat can read")


class RatingChange(BaseModel):
    """One rating to raise. Frozen: the engine shares equal changes."""

    model_config = ConfigDict(frozen=True)

    criterion: str
    title: str
    from_level: RatingLevel
    to_level: RatingLevel


class PathUp(BaseModel):
    """The smallest change that would move the country up: rating changes, and Watch List signals to turn."""

    target_tier: Tier
    changes: list[RatingChange] = Field(default_factory=list)
    signals: dict[str, bool] = Field(default_factory=dict, description="Watch List signals that must take these values")
    note: str = ""


class Determination(BaseModel):
    """The tier of one country-year under one methodology, and why."""

    iso3: str
    year: int
    tier: Tier = Field(description="Final tier: after waiver and override")
    computed_tier: Tier = Field(description="The tier the rules give, before any waiver or override")
    reasons: list[Reason]
    decisive_criteria: list[str]
    path_up: PathUp | None = Field(description="None at Tier 1")
    override: Override | None = None
    waiver_applied: bool = False
    methodology: str
    law_date: str = Field(description="Date the most recent provision applied took effect (YYYY-MM-DD)")
    counts: dict[str, Any] = Field(default_factory=dict, description="Figures the reasons quote")
