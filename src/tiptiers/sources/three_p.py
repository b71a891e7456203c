"""Read Cho's 3P Anti-trafficking Policy Index (iso3, year, prosecution, protection, prevention, total)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from tiptiers.countries import country_table
from tiptiers.sources.placements import PlacementFileError, RowError

SCORE_COLUMNS = ("prosecution", "protection", "prevention", "total")


@dataclass(frozen=True)
class ThreePRow:
    iso3: str
    year: int
    prosecution: int | None
    protection: int | None
    prevention: int | None
    total: int | None


def parse_three_p(text: str, source: str = "<3p index>") -> list[ThreePRow]:
    reader = csv.DictReader(io.StringIO(text))
    table = country_table()
    rows: list[ThreePRow] = []
    errors: list[RowError] = []
    for record in reader:
        line = reader.line_num
        country = table.find(record.get("iso3") or "")
        if country is None:
            errors.append(RowError(line, "iso3", f"unknown country {record.get('iso3')!r}"))
            continue
        scores: dict[str, int | None] = {}
        for column in SCORE_COLUMNS:
            cell = (record.get(column) or "").strip()
            if cell and not cell.isdigit():
                errors.append(RowError(line, column, f"{cell!r} is not a whole number"))
            scores[column] = int(cell) if cell.isdigit() else None
        year = (record.get("year") or "").strip()
        if not year.isdigit():
            errors.append(RowError(line, "year", f"{year!r} is not a year"))
            continue
        rows.append(ThreePRow(country.iso3, int(year), **scores))
    if errors:
        raise PlacementFileError(source, errors)
    return rows
