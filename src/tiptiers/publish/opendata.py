"""Open data: every public table as CSV, JSON and Parquet, the whole dataset as one zip, and a data dictionary.

Columns are stable and documented in `DATASETS` (the data dictionary is generated from it); a new column is only
ever appended. Years under embargo are left out. CSV cells that a spreadsheet would read as a formula (starting
with = + - @, a tab or a carriage return) are prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tiptiers.countries import country_table
from tiptiers.coverage import unknown_year
from tiptiers.engine.audit import audit_history
from tiptiers.publish.movements import Movement, movements
from tiptiers.store.engine import all_histories, list_waivers, placement_sources, waiver_records
from tiptiers.store.models import Country, Placement, PlacementCorrection, ThreePScore
from tiptiers.store.placements import all_coverage, correction_dict, placed_counts, placement_corrections
from tiptiers.store.publication import HISTORY, Publication, public_years
from tiptiers.tiers import N_, Tier

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "json", "parquet")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # string | integer | boolean | datetime
    description: str


@dataclass(frozen=True)
class Dataset:
    name: str
    description: str
    columns: tuple[Column, ...]
    rows: Callable[[Session, int | None, datetime | None], list[dict[str, Any]]]
    by_year: bool = True
    # A wide table's columns that depend on the data (one per report year): from its rows, after `columns`.
    expand: Callable[[list[dict[str, Any]]], tuple[Column, ...]] | None = None

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def columns_for(self, rows: list[dict[str, Any]]) -> tuple[Column, ...]:
        return self.columns + (self.expand(rows) if self.expand else ())


def escape_cell(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe; other values pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row[c] is None else escape_cell(row[c]) for c in columns])
    return out.getvalue()


def to_json(dataset: Dataset, rows: list[dict[str, Any]]) -> str:
    return json.dumps({"dataset": dataset.name, "columns": [c.name for c in dataset.columns_for(rows)], "rows": rows},
                      ensure_ascii=False, default=str)


def _arrow_type(kind: str) -> Any:
    import pyarrow as pa

    return {"string": pa.string(), "integer": pa.int64(), "boolean": pa.bool_(),
            "datetime": pa.timestamp("s")}[kind]


def to_parquet(dataset: Dataset, rows: list[dict[str, Any]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([pa.field(c.name, _arrow_type(c.type), metadata={"description": c.description})
                        for c in dataset.columns_for(rows)], metadata={"description": dataset.description})
    table = pa.Table.from_pylist(rows, schema=schema)
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


# --- the tables ---------------------------------------------------------------------------------------------


def _years(session: Session, year: int | None, now: datetime | None) -> list[int]:
    stored = session.scalars(select(Placement.year).distinct())
    visible = public_years(session, stored, now)
    return [y for y in visible if year is None or y == year]


def _countries(session: Session, _year: int | None, _now: datetime | None) -> list[dict[str, Any]]:
    return [{"iso3": c.iso3, "name": c.name, "iso_status": c.iso_status, "iso_numeric": c.iso_numeric}
            for c in session.scalars(select(Country).order_by(Country.iso3))]


def _placements(session: Session, year: int | None, now: datetime | None) -> list[dict[str, Any]]:
    years = _years(session, year, now)
    query = (select(Placement, Country.name).join(Country).where(Placement.year.in_(years))
             .order_by(Placement.year, Placement.iso3))
    corrected = {(iso3, y) for iso3, y in session.execute(select(PlacementCorrection.iso3, PlacementCorrection.year)
                                                          .where(PlacementCorrection.year.in_(years)))}
    table = country_table()
    return [{"iso3": p.iso3, "country": name, "year": p.year, "tier": p.tier, "tier_label": Tier(p.tier).label,
             "source": p.source, "method": p.method, "evidence": p.evidence, "country_name": p.country_name,
             "name_at_the_time": table.name_in(p.iso3, p.year), "corrected": (p.iso3, p.year) in corrected,
             "tier_number": TIER_NUMBERS.get(Tier(p.tier))}
            for p, name in session.execute(query)]


# The tiers as an ordinal scale for statistics (higher is worse); a special case is not on it.
TIER_NUMBERS = {Tier.TIER_1: 1, Tier.TIER_2: 2, Tier.WATCH_LIST: 3, Tier.TIER_3: 4}


def _placements_wide(session: Session, year: int | None, now: datetime | None) -> list[dict[str, Any]]:
    """One row per country, one column per published report year holding its tier (empty: no placement)."""
    years = _years(session, year, now)
    wide: dict[str, dict[str, Any]] = {}
    query = (select(Placement.iso3, Placement.year, Placement.tier, Country.name).join(Country)
             .where(Placement.year.in_(years)).order_by(Country.name))
    for iso3, y, tier, name in session.execute(query):
        row = wide.setdefault(iso3, {"iso3": iso3, "country": name} | {str(x): None for x in years})
        row[str(y)] = tier
    return sorted(wide.values(), key=lambda r: r["country"])


def _year_columns(rows: list[dict[str, Any]]) -> tuple[Column, ...]:
    years = [k for k in (rows[0] if rows else {}) if k.isdigit()]
    return tuple(Column(y, "string", YEAR_COLUMN % {"year": y}) for y in years)


YEAR_COLUMN = N_("Tier in the %(year)s report: 1, 2, 2WL, 3 or special; empty: no placement in the sources (see the "
                 "coverage table for what that means that year)")


def _coverage(session: Session, year: int | None, now: datetime | None) -> list[dict[str, Any]]:
    coverage, placed = all_coverage(session), placed_counts(session)
    rows = []
    for y in _years(session, year, now):
        c = coverage.get(y) or unknown_year(y)
        d = c.as_dict(placed.get(y, 0))
        rows.append({"year": y, "complete": d["complete"], "full_tiers": " ".join(d["full_tiers"]),
                     "partial_tiers": " ".join(d["partial_tiers"]), "placed": d["placed"],
                     "official_count": c.official_count, "official_source": c.official_source or None,
                     "gaps": "; ".join(f"{k}: {v}" for k, v in d["gaps"].items()) or None,
                     "waivers": c.waivers.value, "note": c.note, "source": c.source})
    return rows


def _corrections(session: Session, year: int | None, now: datetime | None) -> list[dict[str, Any]]:
    years = set(_years(session, year, now))
    return [correction_dict(c) | {"at": c.at} for c in placement_corrections(session) if c.year in years]


def _waivers(session: Session, year: int | None, now: datetime | None) -> list[dict[str, Any]]:
    years = set(_years(session, year, now))
    return [{"iso3": w.iso3, "year": w.year, "justification": w.justification, "source": w.source}
            for w in list_waivers(session) if w.year in years]


def _three_p(session: Session, year: int | None, now: datetime | None) -> list[dict[str, Any]]:
    query = select(ThreePScore).order_by(ThreePScore.year, ThreePScore.iso3)
    if year is not None:
        query = query.where(ThreePScore.year == year)
    return [{"iso3": s.iso3, "year": s.year, "prosecution": s.prosecution, "protection": s.protection,
             "prevention": s.prevention, "total": s.total} for s in session.scalars(query)]


def placement_history(session: Session, up_to: int | None = None) -> tuple[dict[str, dict[int, str]], dict[str, str]]:
    """{iso3: {year: tier}} of the stored placements (optionally up to a year) and {iso3: name}."""
    history: dict[str, dict[int, str]] = {}
    names: dict[str, str] = {}
    query = select(Placement.iso3, Placement.year, Placement.tier, Country.name).join(Country)
    if up_to is not None:
        query = query.where(Placement.year <= up_to)
    for iso3, y, tier, name in session.execute(query):
        history.setdefault(iso3, {})[y] = tier
        names[iso3] = name
    return history, names


def year_movements(session: Session, years: Iterable[int], shown: Iterable[int]) -> dict[int, list[Movement]]:
    """The movements of each of `years` (published ones) against the year before, with the previous year's coverage
    (absent: new, or previous year unknown), the downgrade rule's audit with the coverage and the waivers on record
    applied (as `tiptiers audit-history` makes it), and for an assessed country its decisive criteria in words.
    `shown`: the years the visitor may see (a year under embargo is never the year before)."""
    from tiptiers.publish.report import decisive_words

    years, visible = sorted(set(years)), set(shown)
    if not years:
        return {}
    history, names = placement_history(session, up_to=max(years))
    history = {iso3: {y: t for y, t in h.items() if y in visible} for iso3, h in history.items()}
    events: dict[int, dict[str, Any]] = {y: {} for y in years}
    # Only the countries placed in those years, and their years up to the last: the audit of the rest is not shown.
    placed = {iso3 for iso3, h in history.items() if any(y in h for y in years)}
    histories = {iso3: [e for e in entries if e.year <= years[-1]]
                 for iso3, entries in all_histories(session).items() if iso3 in placed}
    for e in audit_history(histories, waivers=waiver_records(session), sources=placement_sources(session)):
        if e.year in events:
            events[e.year][e.iso3] = e
    coverage = all_coverage(session)
    return {y: movements(history, names, y, coverage.get(y - 1) if y - 1 in visible else None, events[y],
                         decisive_words(session, y)) for y in years}


def _movements(session: Session, year: int | None, now: datetime | None) -> list[dict[str, Any]]:
    shown = _years(session, None, now)
    by_year = year_movements(session, _years(session, year, now), shown)
    return [m.as_dict() for y in sorted(by_year) for m in by_year[y]]


def _publications(session: Session, year: int | None, now: datetime | None) -> list[dict[str, Any]]:
    rows = {p.year: p for p in session.scalars(select(Publication))}
    return [{"year": y, "published_at": rows[y].publish_at, "scheduled": rows[y].scheduled_by != HISTORY}
            for y in _years(session, year, now)]


def _determinations(session: Session, year: int | None, now: datetime | None) -> list[dict[str, Any]]:
    from tiptiers.store import cycle

    years = set(_years(session, year, now))
    rows = []
    for d in cycle.determinations(session, year):
        if d.year in years:
            row = d.as_dict(cycle.tier3_window(session, d.year))
            rows.append({k: row[k] for k in ("iso3", "country", "year", "paragraph", "determination", "scope",
                                             "programmes", "determined_on", "signed_by", "timing")})
    return rows


def _year_lists(session: Session, year: int | None, now: datetime | None) -> list[dict[str, Any]]:
    from tiptiers.store import cycle

    return [e.as_dict() for y in _years(session, year, now) for entries in cycle.year_lists(session, y).values()
            for e in entries]


def _interim(session: Session, year: int | None, now: datetime | None) -> list[dict[str, Any]]:
    from tiptiers.store import cycle

    return [{k: v for k, v in r.as_dict().items() if k != "evidence_ids"}
            | {"evidence_ids": " ".join(map(str, r.evidence))}
            for y in _years(session, year, now) for r in cycle.interim_assessments(session, y) if r.sent_on]


def _burden(session: Session, year: int | None, now: datetime | None) -> list[dict[str, Any]]:
    from tiptiers.store import cycle

    return [row for y in _years(session, year, now) for row in cycle.burden(session, y)]


# the columns most datasets begin with
ISO3 = Column("iso3", "string", N_("Country, ISO 3166-1 alpha-3"))
COUNTRY = Column("country", "string", N_("Country name"))

DATASETS: dict[str, Dataset] = {d.name: d for d in (
    Dataset("countries", N_("Countries and territories the TIP Report ranks, by ISO 3166-1 alpha-3 code."), (
        Column("iso3", "string",
               N_("ISO 3166-1 alpha-3 code (historic or user-assigned codes such as XKX where ISO has none)")),
        Column("name", "string", N_("Today's name as tiptiers shows it (ISO 3166-1, or the TIP Report's usage where it "
                                    "differs, e.g. Burma); the name a report used in its year is "
                                    "placements.name_at_the_time")),
        Column("iso_status", "string",
               N_("yes: in ISO 3166-1; historic: withdrawn (ISO 3166-3); no: not coded by ISO")),
        Column("iso_numeric", "string", N_("ISO 3166-1 numeric code, empty where none")),
    ), _countries, by_year=False),
    Dataset("placements", N_("Each country's tier in each published report year."), (
        ISO3,
        COUNTRY,
        Column("year", "integer", N_("Report year (the report of June of that year)")),
        Column("tier", "string", N_("1, 2, 2WL (Tier 2 Watch List), 3 or special")),
        Column("tier_label", "string", N_("The tier in words")),
        Column("source", "string", N_("Where the row was read from: the page or file and its version (bundled "
                                      "history), or import:FILE / the --source of an import")),
        Column("method", "string", N_("listed: the source states the tier of that country in that year; derived: the "
                                      "report's words in another year state it (\"remained on Tier 1\"); empty: not "
                                      "said")),
        Column("evidence", "string", N_("The few words of the source that state the tier, where recorded")),
        Column("country_name", "string", N_("The name as the source spells it (e.g. Korea, South; Congo (ROC))")),
        Column("name_at_the_time", "string", N_("The name the TIP Report of that year used (Macedonia in 2008), else "
                                                "today's name")),
        Column("corrected", "boolean", N_("True when the placement was changed after publication: see the "
                                          "corrections table")),
        Column("tier_number", "integer", N_("The tier as a number for statistics: 1 Tier 1, 2 Tier 2, 3 Tier 2 "
                                        "Watch List, 4 Tier 3 (an ordinal scale, higher is worse); empty for a "
                                        "special case")),
    ), _placements),
    Dataset("placements_wide", N_("The placements as a wide table: one row per country, one column per published "
                                  "report year (country x year), each cell the tier."), (
        ISO3,
        COUNTRY,
    ), _placements_wide, expand=_year_columns),
    Dataset("coverage", N_("How complete the record of each report year is. A country with no placement in a year "
                           "is 'not ranked' only where complete is true; otherwise it is 'not in the sources we "
                           "have'."), (
        Column("year", "integer", N_("Report year")),
        Column("complete", "boolean", N_("Every list of the report is in the sources (and no country is a known gap)")),
        Column("full_tiers", "string", N_("The lists the sources give in full, space-separated (1 2 2WL 3 special)")),
        Column("partial_tiers", "string", N_("The lists the sources give in part or not at all")),
        Column("placed", "integer", N_("Countries placed in the data")),
        Column("official_count", "integer", N_("How many countries the report placed, where a source says so")),
        Column("official_source", "string", N_("The source of official_count")),
        Column("gaps", "string", N_("Countries missing although the lists are otherwise full (iso3: why)")),
        Column("waivers", "string", N_("The year's waivers of the automatic downgrade on record: complete, partial "
                                       "or none")),
        Column("note", "string", N_("What is known of the year's sources")),
        Column("source", "string", N_("Where this statement of coverage comes from (bundled history version, or an "
                                      "import of the report's lists)")),
    ), _coverage),
    Dataset("corrections", N_("Dated corrections of published placements: who, when, why, and the previous value."), (
        ISO3,
        Column("year", "integer", N_("Report year of the placement")),
        Column("at", "datetime", N_("When the correction was made, UTC")),
        Column("author", "string", N_("Who made it")),
        Column("reason", "string", N_("Why")),
        Column("previous_tier", "string", N_("The tier before; empty when there was no placement")),
        Column("previous_source", "string", N_("The source of the previous tier")),
        Column("tier", "string", N_("The corrected tier")),
        Column("source", "string", N_("The source of the corrected tier")),
    ), _corrections),
    Dataset("waivers", N_("Waivers of the automatic downgrade (22 U.S.C. 7107(b)(2)(D)(ii)) on record."), (
        ISO3,
        Column("year", "integer", N_("Report year the waiver kept the country on the Watch List")),
        Column("justification", "string", N_("The justification (for the bundled history: the memorandum)")),
        Column("source", "string", N_("The record the waiver comes from")),
    ), _waivers),
    Dataset("movements", N_("Year-over-year movements of each country placed in a report year."), (
        ISO3,
        COUNTRY,
        Column("year", "integer", N_("Report year")),
        Column("previous_tier", "string", N_("Tier of the year before; empty when not placed then")),
        Column("tier", "string", N_("Tier of this year")),
        Column("movement", "string", N_("up, down, same, new (not ranked the year before, a year whose every list is "
                                        "in the sources), unknown (the year before is not in the sources for it) or "
                                        "special (to or from a special case)")),
        Column("automatic_downgrade", "boolean",
               N_("Tier 3 by the automatic downgrade of 22 U.S.C. 7107(b)(2)(D): Watch List years and waivers ran "
                  "out")),
        Column("waiver", "boolean", N_("Kept on the Watch List by a waiver of the automatic downgrade")),
        Column("rule", "string", N_("What the automatic-downgrade rule said that year (tiptiers audit-history); empty "
                                    "when it did not engage")),
        Column("group", "string", N_("The section of /movements/YEAR: tier_3 (down into Tier 3), down, up, new, "
                                     "unknown, special or same")),
        Column("reason", "string", N_("Why, in words: the automatic downgrade or the waiver, an assessment's decisive "
                                      "criteria, or what the record says")),
        Column("previous_year", "string", N_("The year before in words: its tier, not ranked, or not in the sources we "
                                             "have")),
    ), _movements),
    Dataset("three_p_scores", N_("Cho's 3P Anti-trafficking Policy Index (1 worst to 5 best per P)."), (
        ISO3,
        Column("year", "integer", N_("Year scored")),
        Column("prosecution", "integer", N_("Prosecution score 1-5; empty where not coded")),
        Column("protection", "integer", N_("Protection score 1-5; empty where not coded")),
        Column("prevention", "integer", N_("Prevention score 1-5; empty where not coded")),
        Column("total", "integer", N_("Sum of the three, 3-15; empty where not coded")),
    ), _three_p),
    Dataset("publications", N_("When each report year was (or counts as) published."), (
        Column("year", "integer", N_("Report year")),
        Column("published_at", "datetime", N_("Publication time, UTC (imported history: June 1 of the year)")),
        Column("scheduled", "boolean",
               N_("True when the time was set with `tiptiers publish`, false for imported history (June 1)")),
    ), _publications),
    Dataset("tier3_determinations",
            N_("The President's determination for each Tier 3 government (22 U.S.C. 7107(d))."), (
        ISO3,
        COUNTRY,
        Column("year", "integer", N_("Report year")),
        Column("paragraph", "string", N_("d1 withhold assistance, d2 already restricted, d3 subsequent compliance, "
                                         "d4 national-interest waiver, d5 waiver for vulnerable populations")),
        Column("determination", "string", N_("The paragraph in words")),
        Column("scope", "string", N_("whole, or programmes (a waiver for some programmes only)")),
        Column("programmes", "string", N_("The programmes a partial waiver covers; empty when whole")),
        Column("determined_on", "string", N_("The day determined (ISO 8601)")),
        Column("signed_by", "string", N_("Who signed it")),
        Column("timing", "string", N_("in time, early or late against 45-90 days after the report (7107(c))")),
    ), _determinations),
    Dataset("year_lists", N_("The lists a report carries: policy or pattern, Child Soldiers Prevention Act."), (
        Column("year", "integer", N_("Report year")),
        Column("list", "string",
               N_("policy_or_pattern (22 U.S.C. 7107(b)(3)(B)) or child_soldiers (22 U.S.C. 2370c-1)")),
        ISO3,
        COUNTRY,
        Column("note", "string", N_("Why, where recorded")),
    ), _year_lists),
    Dataset("interim_assessments", N_("Interim assessments of the Watch List countries, due February 1 of the report "
               "year (22 U.S.C. 7107(b)(2)(C))."), (
        ISO3,
        COUNTRY,
        Column("year", "integer", N_("Report year (due February 1 of it; the Watch List of the year before)")),
        Column("progress", "string", N_("Progress since the last report")),
        Column("summary", "string", N_("The analyst's summary")),
        Column("evidence_ids", "string", N_("Evidence records cited, space-separated ids")),
        Column("author", "string", N_("Who wrote it")),
        Column("sent_on", "string", N_("The day sent (ISO 8601)")),
    ), _interim),
    Dataset("burden", N_("What each government was asked per report year: the reporting burden, counted."), (
        ISO3,
        COUNTRY,
        Column("year", "integer", N_("Report year")),
        Column("requests", "integer", N_("Requests sent: drafts, final reports and questionnaires")),
        Column("drafts", "integer", N_("Drafts and final reports sent for comments")),
        Column("questionnaires", "integer", N_("Questionnaires sent (last year's answers pre-filled)")),
        Column("questions", "integer", N_("Questionnaire questions plus the claims each draft asked it to answer")),
        Column("claims_to_answer", "integer", N_("Claims of the draft (not withdrawn)")),
        Column("deadlines", "integer", N_("Distinct deadlines set")),
    ), _burden),
)}


def dataset_or_error(name: str) -> Dataset:
    try:
        return DATASETS[name]
    except KeyError:
        raise ValueError(f"table: unknown table {name!r}; tables: {', '.join(DATASETS)}") from None


def export_rows(session: Session, name: str, year: int | None = None,
                now: datetime | None = None) -> tuple[Dataset, list[dict[str, Any]]]:
    dataset = dataset_or_error(name)
    return dataset, dataset.rows(session, year, now)


YEAR_COLUMNS = N_("One column per published report year (2001, 2002, ...): the tier in that report")
CSV_NOTES = {"encoding": "UTF-8", "line_end": "CRLF", "null": N_("empty cell"),
             "formula_escape": N_("a text cell starting with = + - @ tab or CR gets a leading apostrophe")}


def data_dictionary() -> dict[str, Any]:
    return {"tables": [{"name": d.name, "description": d.description, "filtered_by_year": d.by_year,
                        "columns": [{"name": c.name, "type": c.type, "description": c.description}
                                    for c in d.columns]
                        + ([{"name": "YEAR", "type": "string", "description": YEAR_COLUMNS}] if d.expand else [])}
                       for d in DATASETS.values()],
            "csv": dict(CSV_NOTES),
            "cite": citation()}


# --- how to cite ----------------------------------------------------------------------------------------------

TITLE = "tiptiers: US Trafficking in Persons Report tier placements, with their sources and coverage"
CODE_LICENCE = {"name": "MIT", "title": "MIT License", "path": "https://opensource.org/licenses/MIT"}
# Each data source, what it gives, and the terms it comes under (CITATION.cff says the same: a test compares).
SOURCES: tuple[dict[str, str], ...] = (
    {"title": "Kelley, Judith G. and Andrew Heiss, Scorecard Diplomacy replication data",
     "path": "https://github.com/andrewheiss/scorecard-diplomacy", "gives": N_("placements 2001-2015"),
     "licence": N_("MIT License")},
    {"title": "US Department of State, Trafficking in Persons Report (annual, 2001-2025): its tier lists, country "
              "narratives and memoranda of justification (waivers), as public copies give them, with the CIA World "
              "Factbook's lists and a CRS report",
     "path": "https://www.state.gov/trafficking-in-persons-report/",
     "gives": N_("placements 2009-2025 and waivers (each row names the copy it was read from)"),
     "licence": N_("Public domain in the United States: works of the US Government (17 U.S.C. 105)")},
    {"title": "Cho, Seo-Young, 3P Anti-trafficking Policy Index", "path": "",
     "gives": N_("three_p_scores 2000-2014 (as merged in the Kelley & Heiss replication data)"),
     "licence": N_("No licence is stated in the copy we have: cite the index")},
    {"title": "ISO 3166-1 and 3166-3 country codes, via the pycountry package",
     "path": "https://pypi.org/project/pycountry/", "gives": N_("countries"),
     "licence": "pycountry: LGPL-2.1"},
)


DATA_LICENCE = N_("The tables tiptiers writes (coverage, movements, determinations): the MIT License, as the code; "
                  "each source's rows: that source's terms (below)")


def citation() -> dict[str, Any]:
    """Title, version, date and licences of the dataset: the code's version and the bundled history's."""
    from tiptiers import __version__
    from tiptiers.sources.history import read_bundle

    bundle = read_bundle()
    return {"title": TITLE, "version": __version__, "data_version": bundle.version,
            "date": bundle.date.isoformat(), "code_licence": CODE_LICENCE["title"],
            "data_licence": DATA_LICENCE,
            "sources": [dict(s) for s in SOURCES],
            "text": (f"tiptiers contributors ({bundle.date.year}). {TITLE}. Software version {__version__}, "
                     f"bundled history {bundle.version} ({bundle.date.isoformat()}). MIT License. Cite also the "
                     "original source of the rows you use (each placement's source column).")}


def how_to_cite_markdown() -> str:
    c = citation()
    lines = ["## How to cite", "", c["text"], "", f"- Title: {c['title']}", f"- Version: {c['version']} (bundled "
             f"history {c['data_version']})", f"- Date: {c['date']}", f"- Licence of the code: {c['code_licence']}",
             f"- Licence of the data: {c['data_licence']}", "", "Sources:", ""]
    lines += [f"- {s['title']}{' <' + s['path'] + '>' if s['path'] else ''}: {s['gives']}. Licence: {s['licence']}."
              for s in c["sources"]]
    return "\n".join(lines) + "\n"


def data_dictionary_markdown() -> str:
    lines = ["# tiptiers open data", "", how_to_cite_markdown(), "# Data dictionary", ""]
    for d in DATASETS.values():
        lines += [f"## {d.name}", "", d.description, "", "| column | type | description |", "|---|---|---|"]
        lines += [f"| {c.name} | {c.type} | {c.description} |" for c in d.columns]
        if d.expand:
            lines.append("| YEAR | string | One column per published report year (2001, 2002, ...): the tier |")
        lines.append("")
    return "\n".join(lines)


FRICTIONLESS_TYPES = {"string": "string", "integer": "integer", "boolean": "boolean", "datetime": "datetime"}


def datapackage(tables: dict[str, tuple[Dataset, list[dict[str, Any]]]]) -> dict[str, Any]:
    """A Frictionless Data Package (datapackage.json, https://specs.frictionlessdata.io/data-package/) describing
    the zip's CSV files: each a tabular resource with its schema, the columns as the data dictionary gives them."""
    c = citation()
    resources = []
    for name, (dataset, rows) in tables.items():
        fields = []
        for col in dataset.columns_for(rows):
            field: dict[str, Any] = {"name": col.name, "type": FRICTIONLESS_TYPES[col.type],
                                     "description": col.description}
            if col.type == "datetime":
                field["format"] = "any"  # Python's isoformat: "2026-06-20 14:00:00"
            if col.type == "boolean":
                field["trueValues"], field["falseValues"] = ["True"], ["False"]
            fields.append(field)
        resources.append({"name": name.replace("_", "-"), "path": f"{name}.csv", "profile": "tabular-data-resource",
                          "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
                          "description": dataset.description,
                          "dialect": {"delimiter": ",", "lineTerminator": "\r\n", "header": True},
                          "schema": {"fields": fields, "missingValues": [""]}})
    return {"profile": "tabular-data-package", "name": "tiptiers", "title": c["title"],
            "version": c["version"] + "+data." + c["data_version"], "created": c["date"] + "T00:00:00Z",
            "description": c["text"], "licenses": [CODE_LICENCE],
            "sources": [{"title": s["title"], **({"path": s["path"]} if s["path"] else {})} for s in SOURCES],
            "resources": resources}


def dataset_zip(session: Session, year: int | None = None, now: datetime | None = None,
                parquet: bool = True) -> bytes:
    """Every table as CSV (and Parquet), a Frictionless datapackage.json describing them, and a README with how to
    cite and the data dictionary, in one zip."""
    sink = io.BytesIO()
    tables = {}
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as z:
        for name, dataset in DATASETS.items():
            rows = dataset.rows(session, year, now)
            tables[name] = (dataset, rows)
            z.writestr(f"{name}.csv", to_csv([c.name for c in dataset.columns_for(rows)], rows))
            if parquet:
                z.writestr(f"{name}.parquet", to_parquet(dataset, rows))
        z.writestr("datapackage.json", json.dumps(datapackage(tables), indent=2))
        z.writestr("dictionary.json", json.dumps(data_dictionary(), indent=2))
        z.writestr("README.md", data_dictionary_markdown())
    return sink.getvalue()


def serialise(dataset: Dataset, rows: list[dict[str, Any]], fmt: str) -> bytes:
    if fmt == "csv":
        return to_csv([c.name for c in dataset.columns_for(rows)], rows).encode("utf-8")
    if fmt == "json":
        return to_json(dataset, rows).encode("utf-8")
    if fmt == "parquet":
        return to_parquet(dataset, rows)
    raise ValueError(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")
