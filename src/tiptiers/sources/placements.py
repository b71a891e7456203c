"""Read a placements CSV into validated rows: columns iso3, year, tier, and optionally the provenance of each row
(`source`, `method` listed|derived, `evidence`, and `country_name` or `country`, the name as the source spells it);
other columns are ignored.

Every bad row is reported with its line number and field; a file with any bad row yields nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tiptiers.countries import UnknownCountry, country_table
from tiptiers.report_years import check_report_year
from tiptiers.tiers import Tier, parse_tier

REQUIRED_COLUMNS = ("iso3", "year", "tier")
METHODS = ("listed", "derived")
MAX_REPORTED_ERRORS = 20
MAX_SOURCE = 2000


@dataclass(frozen=True)
class PlacementRow:
    iso3: str
    year: int
    tier: Tier
    line: int
    source: str | None = None  # the row's own source; None: the file's
    method: str | None = None  # listed | derived; None: not said
    evidence: str | None = None
    country_name: str | None = None  # the name as the source spells it


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, field {self.field!r}: {self.message}"


def error_report(source: str, errors: list[Any], what: str) -> str:
    """'FILE: 3 bad row(s), nothing imported' and the first errors, one a line."""
    shown = "\n".join(f"  {e}" for e in errors[:MAX_REPORTED_ERRORS])
    more = len(errors) - MAX_REPORTED_ERRORS
    tail = f"\n  ... and {more} more" if more > 0 else ""
    return f"{source}: {len(errors)} {what}, nothing imported\n{shown}{tail}"


class PlacementFileError(ValueError):
    def __init__(self, source: str, errors: list[RowError]):
        self.source = source
        self.errors = errors
        super().__init__(error_report(source, errors, "bad row(s)"))


def read_placements_file(path: Path) -> list[PlacementRow]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PlacementFileError(str(path), [RowError(1, "file", f"not UTF-8 text ({exc.reason})")]) from None
    return parse_placements(text, source=str(path))


def parse_placements(text: str, source: str = "<placements>") -> list[PlacementRow]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return _parse_rows(reader, source)
    except csv.Error as exc:  # malformed CSV (a NUL byte, a stray quote): name the line
        raise PlacementFileError(source, [RowError(max(reader.line_num, 1), "file", f"not valid CSV: {exc}")]) from None


def _parse_rows(reader: csv.DictReader[str], source: str) -> list[PlacementRow]:
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise PlacementFileError(source, [RowError(1, c, "missing column") for c in missing])
    reader.fieldnames = header

    table = country_table()
    rows: list[PlacementRow] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, int], PlacementRow] = {}
    for record in reader:
        line = reader.line_num
        if None in record:  # more cells than the header names
            errors.append(RowError(line, "row", f"{len(header) + len(record[None])} cells, header has {len(header)}"))
            continue
        row_errors: list[RowError] = []
        values = {c: (record.get(c) or "").strip() for c in REQUIRED_COLUMNS}
        for column in REQUIRED_COLUMNS:
            if not values[column]:
                row_errors.append(RowError(line, column, "empty"))
        if row_errors:
            errors.extend(row_errors)
            continue
        iso3 = year = tier = None
        try:
            iso3 = table.resolve(values["iso3"]).iso3
        except UnknownCountry as exc:
            errors.append(RowError(line, "iso3", str(exc)))
        try:
            year = check_report_year(int(values["year"]))
        except ValueError as exc:
            msg = str(exc) if values["year"].lstrip("-").isdigit() else f"{values['year']!r} is not a year"
            errors.append(RowError(line, "year", msg))
        try:
            tier = parse_tier(values["tier"])
        except ValueError as exc:
            errors.append(RowError(line, "tier", str(exc)))
        extra = {c: (record.get(c) or "").strip() or None for c in ("source", "method", "evidence", "country_name")}
        extra["country_name"] = extra["country_name"] or (record.get("country") or "").strip() or None
        if extra["method"] is not None and extra["method"] not in METHODS:
            errors.append(RowError(line, "method", f"{extra['method']!r} is not one of {', '.join(METHODS)}"))
            continue
        for column in ("source", "evidence"):
            if len(extra[column] or "") > MAX_SOURCE:
                errors.append(RowError(line, column, f"longer than {MAX_SOURCE} characters"))
        if len(extra["country_name"] or "") > 200:
            errors.append(RowError(line, "country_name", "longer than 200 characters"))
        if iso3 is None or year is None or tier is None or (errors and errors[-1].line == line):
            continue
        row = PlacementRow(iso3, year, tier, line, **extra)
        earlier = seen.get((iso3, year))
        if earlier and earlier.tier != tier:
            message = f"{iso3} {year} already placed on line {earlier.line} as {earlier.tier}"
            errors.append(RowError(line, "tier", message))
            continue
        if not earlier:
            seen[(iso3, year)] = row
            rows.append(row)
    if errors:
        raise PlacementFileError(source, errors)
    return rows
