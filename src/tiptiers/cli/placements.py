"""Placement commands: history, placements, import placements, import lists."""

from __future__ import annotations

import getpass
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import typer

from tiptiers.cli.common import EXIT_USAGE, fail, open_store, print_csv, print_json, resolve_country
from tiptiers.countries import country_table
from tiptiers.coverage import YearCoverage
from tiptiers.engine.model import Override
from tiptiers.report_years import FIRST_REPORT_YEAR, check_report_year
from tiptiers.sources.placements import PlacementFileError, read_placements_file
from tiptiers.sources.report_lists import ReportListsError, parse_report_lists
from tiptiers.store.db import transaction
from tiptiers.store.engine import list_overrides
from tiptiers.store.models import Placement, PlacementCorrection
from tiptiers.store.placements import (
    ImportRefused,
    all_coverage,
    correction_dict,
    country_history,
    import_placements,
    import_report_lists,
    placement_corrections,
    report_years,
    year_coverage,
    year_placements,
)
from tiptiers.store.publication import PublicationError
from tiptiers.tiers import TIER_ORDER, Tier

import_app = typer.Typer(help="Load data files into the database.", no_args_is_help=True)
PLACEMENT_COLUMNS = ("iso3", "country", "year", "tier", "country_name", "method", "source")
ACTOR_HELP = "Who does this, for the activity log and any correction (default: cli:<your login>)."


def _actor(name: str | None) -> str:
    return name or f"cli:{getpass.getuser()}"


def _override_note(o: Override) -> str:
    """An override next to a published tier: the tier stays; the determination was set to another one."""
    return f"[override: determination set to {o.tier.label} by {o.author}: {o.justification}]"


def _override_json(o: Override) -> dict[str, str]:
    return {"tier": o.tier.value, "author": o.author, "justification": o.justification}


def _correction_note(c: PlacementCorrection) -> str:
    was = Tier(c.previous_tier).label if c.previous_tier else "no placement"
    return f"[corrected {c.at:%Y-%m-%d} by {c.author}: {c.reason}; was {was}]"


def placement_json(p: Placement, name: str, corrections: list[PlacementCorrection]) -> dict[str, Any]:
    """A placement with its provenance, as every --json output gives it."""
    data: dict[str, Any] = {"iso3": p.iso3, "country": name, "year": p.year, "tier": p.tier,
                            "name_at_the_time": country_table().name_in(p.iso3, p.year),
                            "country_name": p.country_name, "source": p.source, "method": p.method}
    if p.evidence:
        data["evidence"] = p.evidence
    if corrections:
        data["corrections"] = [correction_dict(c) for c in corrections]
    return data


def history(
    country: str = typer.Argument(..., help="ISO alpha-3 code or name, any case: JPN, Japan, japan."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list, one entry per report year: the placement "
                                 "with its source and method, or tier null with what the record says (presence "
                                 "not_ranked or not_in_sources)."),
) -> None:
    """A country's tier placement, year by year, with the source and method of each, any dated correction and any
    override; a year without a placement says whether the country was not ranked or is not in the sources."""
    found = resolve_country(country)
    with open_store()() as session:
        rows = {p.year: p for p in country_history(session, found.iso3)}
        overrides = {o.year: o for o in list_overrides(session, iso3=found.iso3)}
        corrections: dict[int, list[PlacementCorrection]] = {}
        for c in placement_corrections(session, iso3=found.iso3):
            corrections.setdefault(c.year, []).append(c)
        coverage = all_coverage(session)
        years = report_years(session)
    last_report = max([*rows, *years[-1:]], default=0)
    # an override for a year not yet reported (a draft's) is listed too, after the last report
    span = range(min([*rows, *years[:1]], default=FIRST_REPORT_YEAR), max([last_report, *overrides]) + 1)
    if as_json:
        out: list[dict[str, Any]] = []
        for y in span:
            p = rows.get(y)
            if p is not None:
                entry = placement_json(p, found.name, corrections.get(y, []))
            else:
                cov = coverage.get(y) or YearCoverage(y)
                entry = {"iso3": found.iso3, "country": found.name, "year": y, "tier": None,
                         "presence": cov.presence(found.iso3, None).value, "note": cov.absent_means(found.iso3)}
            if y in overrides:
                entry["override"] = _override_json(overrides[y])
            out.append(entry)
        print_json(out)
        return
    typer.echo(f"{found.name} ({found.iso3})")
    if not rows:
        typer.echo("  no placements recorded")
    last_source = None
    for y in span:
        p = rows.get(y)
        note = f"  {_override_note(overrides[y])}" if y in overrides else ""
        if p is None:
            if y in overrides or rows:
                what = ("no report yet" if y > last_report
                        else (coverage.get(y) or YearCoverage(y)).absent_means(found.iso3))
                typer.echo(f"  {y}  {what}{note}")
            continue
        at_the_time = country_table().name_in(p.iso3, y)
        named = f" (as {at_the_time})" if at_the_time != found.name else ""
        fixed = "".join(f"  {_correction_note(c)}" for c in corrections.get(y, []))
        typer.echo(f"  {y}  {Tier(p.tier).label:<18} {p.method or 'method not stated'}{named}{fixed}{note}")
        if p.source != last_source:
            typer.echo(f"        source: {p.source}")
            last_source = p.source


def _coverage_lines(cov: YearCoverage, placed: int) -> list[str]:
    lines = [cov.summary(placed)]
    if cov.note:
        lines.append(cov.note)
    if not cov.complete:
        lines.append(f"A country not listed here is {cov.absent_means('')}.")
    return lines


def placements(
    year: int = typer.Option(..., "--year", help="Report year, e.g. 2008."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: {year, coverage, placements}; coverage says which "
                                 "lists the sources give in full, how many countries are placed, the official count "
                                 "where known, and complete: true|false."),
    as_csv: bool = typer.Option(False, "--csv", help="Print CSV (iso3, country, year, tier, country_name, method, "
                                "source)."),
) -> None:
    """Every country's placement in one report year, grouped by tier, with how complete the year's record is (a
    country not listed is "not ranked" only in a complete year; otherwise "not in the sources we have"); an override
    recorded for a country-year is shown next to it (in CSV, which keeps its columns, a note on stderr says how many
    there are)."""
    with open_store()() as session:
        placed = year_placements(session, year) if 0 < year < 10_000 else []
        corrections: dict[str, list[PlacementCorrection]] = {}
        for c in placement_corrections(session, year=year):
            corrections.setdefault(c.iso3, []).append(c)
        rows = [placement_json(p, p.country.name, corrections.get(p.iso3, [])) for p in placed]
        years = report_years(session)
        overrides = {o.iso3: o for o in list_overrides(session, year=year)}
        cov = year_coverage(session, year)
    if not rows:
        known = f"{years[0]}-{years[-1]}" if years else "none yet"
        fail(f"no placements for {year} (years in the database: {known})")
    if as_json:
        print_json({"year": year, "coverage": cov.as_dict(len(rows)),
                    "placements": [r | ({"override": _override_json(overrides[r["iso3"]])}
                                        if r["iso3"] in overrides else {}) for r in rows]})
    elif as_csv:
        print_csv(PLACEMENT_COLUMNS, ({k: r.get(k) for k in PLACEMENT_COLUMNS} for r in rows))
        typer.echo(f"note: {cov.summary(len(rows))}", err=True)
        if overrides:
            typer.echo(f"note: {len(overrides)} override(s) recorded for {year} "
                       f"({', '.join(sorted(overrides))}); see --json or `tiptiers history`", err=True)
    else:
        typer.echo(f"TIP Report {year}: {len(rows)} countries placed")
        for line in _coverage_lines(cov, len(rows)):
            typer.echo(f"  {line}")
        for tier in TIER_ORDER:
            listed = [r for r in rows if r["tier"] == tier.value]
            if not listed:
                continue
            full = "in full" if tier in cov.full_tiers else "in part"
            typer.echo(f"\n{tier.label} ({len(listed)}, {full})")
            for r in listed:
                named = f", as {r['name_at_the_time']}" if r["name_at_the_time"] != r["country"] else ""
                extra = "".join(f"  {_correction_note(c)}" for c in corrections.get(r["iso3"], []))
                if r["iso3"] in overrides:
                    extra += f"  {_override_note(overrides[r['iso3']])}"
                typer.echo(f"  {r['country']} ({r['iso3']}{named}){'  [derived]' if r['method'] == 'derived' else ''}"
                           f"{extra}")


@import_app.command("placements")
def import_placements_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV with columns iso3, year, tier, and "
                                "optionally source, method (listed|derived), evidence, country_name."),
    correction: str | None = typer.Option(None, "--correction", help="Why: makes each change to a published "
                                          "placement a dated correction (shown wherever the placement is shown). "
                                          "Without it such a change is refused."),
    actor: str | None = typer.Option(None, "--as", help=ACTOR_HELP),
) -> None:
    """Load placements from a CSV; re-importing the same file changes nothing. Any bad row: nothing stored.

    A placement of a published year changes only as a dated correction: give --correction "why" (and --as NAME).
    """
    try:
        rows = read_placements_file(file)
    except PlacementFileError as exc:
        fail(str(exc))
    try:
        with transaction(open_store()) as session:
            result = import_placements(session, rows, source=f"import:{file.name}", actor=_actor(actor),
                                       correction=correction)
    except ImportRefused as exc:
        fail(str(exc), EXIT_USAGE)
    typer.echo(f"{file}: {len(rows)} rows; {result}")


def _published_on(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), datetime.min.time())
    except ValueError:
        fail(f"--published-on: {value!r} is not a date YYYY-MM-DD", EXIT_USAGE)


@import_app.command("lists")
def import_lists_command(
    file: str = typer.Argument(..., help="A text file of the report's lists (or - to read a paste from stdin)."),
    year: int = typer.Option(..., "--year", help="The report year the lists are of."),
    source: str = typer.Option(..., "--source", help="Where the lists come from, e.g. \"2026 TIP Report, June 2026\"; "
                               "stored with every row."),
    complete: bool = typer.Option(False, "--complete", help="The file is the whole report: a country on no list was "
                                  "not ranked that year."),
    published_on: str | None = typer.Option(None, "--published-on", help="When the report came out (YYYY-MM-DD): "
                                            "the year is published as of then. Needed for a year not yet public."),
    correction: str | None = typer.Option(None, "--correction", help="Why: makes each change to a published "
                                          "placement a dated correction. Without it such a change is refused."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the matched countries and store nothing."),
    actor: str | None = typer.Option(None, "--as", help=ACTOR_HELP),
) -> None:
    """Import a report's lists the way the State Department publishes them: headings TIER 1, TIER 2, TIER 2 WATCH
    LIST, TIER 3, SPECIAL CASES (any case), country names separated by commas, semicolons or new lines, written as the
    report writes them ("Korea, South", "Congo, Democratic Republic of the", "Cote d'Ivoire").

    The headings present say which lists the file gives in full (the year's coverage); --complete says it is the
    whole report. A name that matches no country or more than one ("Congo"), or a country listed twice, stores
    nothing and exits 2 naming it with the closest names. Example:

        tiptiers import lists tip2026.txt --year 2026 --source "2026 TIP Report, June 2026" --published-on 2026-06-24
    """
    try:
        check_report_year(year)
    except ValueError as exc:
        fail(f"--year: {exc}", EXIT_USAGE)
    try:
        raw = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        fail(f"{file}: cannot read ({exc.strerror})", EXIT_USAGE)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        fail(f"{file}: not UTF-8 text ({exc.reason})", EXIT_USAGE)
    try:
        lists = parse_report_lists(text, source=file)
    except ReportListsError as exc:
        fail(str(exc), EXIT_USAGE)
    for tier, listed in lists.by_tier().items():
        typer.echo(f"{tier.label} ({len(listed)}): " + ", ".join(f"{c.name} ({c.iso3})" for c in listed))
    if dry_run:
        typer.echo("dry run: nothing stored")
        return
    try:
        with transaction(open_store()) as session:
            result = import_report_lists(session, lists, year, source, _actor(actor), complete=complete,
                                         published_on=_published_on(published_on), correction=correction)
            summary = year_coverage(session, year).summary(len(year_placements(session, year)))
    except (ImportRefused, PublicationError) as exc:
        fail(str(exc), EXIT_USAGE)
    typer.echo(f"{file}: {len(lists.countries)} countries for {year}; {result}\n{summary}")


def register(app: typer.Typer) -> None:
    app.command()(history)
    app.command()(placements)
    app.add_typer(import_app, name="import")
