"""The errors and field checks shared by the stores of the review season: evidence, assessments, reviews,
questionnaires, attachments and submissions.

Bad input raises `EvidenceError` whose message starts with the name of the field at fault; a missing record raises
`NotFound`. The web turns them into 422 and 404, the CLI into one line.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from enum import Enum
from typing import TypeVar

from sqlalchemy.orm import Session

from tiptiers.countries import country_table
from tiptiers.report_years import check_report_year
from tiptiers.store.db import fits_id
from tiptiers.store.models import Base

E = TypeVar("E", bound=Enum)
M = TypeVar("M", bound=Base)


class EvidenceError(ValueError):
    """Bad input; the message starts with the field at fault."""


class NotFound(LookupError):
    pass


def utcnow() -> datetime:
    """Naive UTC, the same on SQLite and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


def sql_in(column: str, values: Sequence[str]) -> str:
    """The text of a CHECK constraint that keeps `column` to `values` (as the migrations wrote it)."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def check_country_year(iso3: str, year: int) -> tuple[str, int]:
    """The canonical ISO code and the year, or EvidenceError naming `iso3` or `year`."""
    country = country_table().get(iso3.upper()) if isinstance(iso3, str) else None
    if country is None:
        raise EvidenceError(f"iso3: unknown country {iso3!r}; use an ISO 3166-1 alpha-3 code such as JPN")
    try:
        return country.iso3, check_report_year(int(year))
    except ValueError as exc:
        raise EvidenceError(f"year: {exc}") from None


def check_text(field: str, value: str | None, limit: int, required: bool = True) -> str:
    """The text stripped, or EvidenceError naming `field` (empty when required, a NUL, longer than `limit`)."""
    value = (value or "").strip()
    if required and not value:
        raise EvidenceError(f"{field}: must not be empty")
    if "\x00" in value:  # PostgreSQL text cannot hold it: bad input, not a server error
        raise EvidenceError(f"{field}: must not contain a NUL character")
    if len(value) > limit:
        raise EvidenceError(f"{field}: {len(value)} characters, at most {limit}")
    return value


def check_url(field: str, value: str | None) -> str:
    """An http(s) link or the empty string."""
    value = check_text(field, value, 500, required=False)
    if value and not value.lower().startswith(("http://", "https://")):
        raise EvidenceError(f"{field}: {value!r} is not an http(s) link")
    return value


def check_enum(field: str, kind: type[E], value: str) -> E:
    try:
        return kind(value)
    except ValueError:
        raise EvidenceError(f"{field}: {value!r} is not one of {', '.join(k.value for k in kind)}") from None


def get_row(session: Session, model: type[M], row_id: int) -> M | None:
    """session.get, with ids beyond a 64-bit integer (from a URL) not found instead of a driver OverflowError."""
    return session.get(model, row_id) if fits_id(row_id) else None
