"""Report years. The reporting period is derived from the report year, never typed by hand."""

from __future__ import annotations

import csv
import re
from datetime import date
from functools import lru_cache
from importlib import resources

FIRST_REPORT_YEAR = 2001  # the first TIP Report, under the TVPA of 2000


def last_allowed_year(today: date | None = None) -> int:
    """Drafts for next June's report may exist, nothing later."""
    return (today or date.today()).year + 1


def check_report_year(year: int) -> int:
    if not FIRST_REPORT_YEAR <= year <= last_allowed_year():
        raise ValueError(f"year {year} is outside the report years {FIRST_REPORT_YEAR}-{last_allowed_year()}")
    return year


_FOUR_DIGITS = re.compile(r"[1-9][0-9]{3}")


def parse_year(text: str) -> int:
    """A year as written in an address or a query: exactly four digits, no sign, zero, space or decimal point. Any
    other spelling (`02027`, `+2027`, `2027 `, `2027.0`) names no year: one address per year, and no spelling that
    slips past a check written for the canonical one."""
    if not isinstance(text, str) or not _FOUR_DIGITS.fullmatch(text):
        raise ValueError(f"{str(text)[:20]!r} is not a year written as four digits, such as 2008")
    return int(text)


@lru_cache(maxsize=1)
def history_releases() -> dict[int, date]:
    """The day each bundled report came out (data/report_releases.csv)."""
    text = resources.files("tiptiers.data").joinpath("report_releases.csv").read_text(encoding="utf-8")
    return {int(row["year"]): date.fromisoformat(row["released"]) for row in csv.DictReader(text.splitlines())}


def reporting_period(year: int) -> tuple[date, date]:
    """The TIP Report of June `year` covers April 1 of the previous year to March 31 of `year`."""
    return date(year - 1, 4, 1), date(year, 3, 31)


PLANNING_YEARS = 10  # how far ahead the calendar plans: the law needs no records to give a year's dates


def last_planned_year(today: date | None = None) -> int:
    return (today or date.today()).year + PLANNING_YEARS


def check_planned_year(year: int, today: date | None = None) -> int:
    """A year the law's calendar covers: any report year from the first, up to ten years ahead."""
    if not FIRST_REPORT_YEAR <= year <= last_planned_year(today):
        raise ValueError(f"year {year} is outside the years the calendar covers, "
                         f"{FIRST_REPORT_YEAR}-{last_planned_year(today)}")
    return year
