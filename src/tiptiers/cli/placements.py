"""Placement commands: history, placements, import placements."""

from __future__ import annotations

from pathlib import Path

import typer

from tiptiers.cli.common import fail, open_store, print_csv, print_json, resolve_country
from tiptiers.engine.model import Override
from tiptiers.sources.placements import PlacementFileError, read_placements_file
from tiptiers.store.db import transaction
from tiptiers.store.engine import list_overrides
from tiptiers.store.placements import country_history, import_placements, report_years, year_placements
from tiptiers.tiers import TIER_ORDER, Tier

import_app = typer.Typer(help="Load data files into the database.", no_args_is_help=True)
PLACEMENT_COLUMNS = ("iso3", "country", "year", "tier")


def _override_note(o: Override) -> str:
    """An override next to a published tier: the tier stays; the determination was set to another one."""
    return f"[override: determination set to {o.tier.label} by {o.author}: {o.justification}]"


def _override_json(o: Override) -> dict[str, str]:
    return {"tier": o.tier.value, "author": o.author, "justification": o.justification}


def history(
    country: str = typer.Argument(..., help="ISO alpha-3 code or name, any case: JPN, Japan, japan."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list of {iso3, year, tier}."),
) -> None:
    """A country's tier placement, year by year, and any override recorded for a year (shown next to its tier)."""
    found = resolve_country(country)
    with open_store()() as session:
        rows = country_history(session, found.iso3)
        overrides = {o.year: o for o in list_overrides(session, iso3=found.iso3)}
    if as_json:
        print_json([{"iso3": p.iso3, "year": p.year, "tier": p.tier}
                    | ({"override": _override_json(overrides[p.year])} if p.year in overrides else {}) for p in rows])
        return
    typer.echo(f"{found.name} ({found.iso3})")
    if not rows:
        typer.echo("  no placements recorded")
    for p in rows:
        note = f"  {_override_note(overrides[p.year])}" if p.year in overrides else ""
        typer.echo(f"  {p.year}  {Tier(p.tier).label}{note}")
    for year, o in sorted(overrides.items()):
        if year not in {p.year for p in rows}:
            typer.echo(f"  {year}  no placement  {_override_note(o)}")


def placements(
    year: int = typer.Option(..., "--year", help="Report year, e.g. 2008."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a list."),
    as_csv: bool = typer.Option(False, "--csv", help="Print CSV (iso3, country, year, tier)."),
) -> None:
    """Every country's placement in one report year, grouped by tier; an override recorded for a country-year is
    shown next to it (in CSV, which keeps its columns, a note on stderr says how many there are)."""
    with open_store()() as session:
        rows = [
            {"iso3": p.iso3, "country": p.country.name, "year": p.year, "tier": p.tier}
            for p in year_placements(session, year)
        ]
        years = report_years(session)
        overrides = {o.iso3: o for o in list_overrides(session, year=year)}
    if not rows:
        known = f"{years[0]}-{years[-1]}" if years else "none yet"
        fail(f"no placements for {year} (years in the database: {known})")
    if as_json:
        print_json([r | ({"override": _override_json(overrides[r["iso3"]])} if r["iso3"] in overrides else {})
                    for r in rows])
    elif as_csv:
        print_csv(PLACEMENT_COLUMNS, rows)
        if overrides:
            typer.echo(f"note: {len(overrides)} override(s) recorded for {year} "
                       f"({', '.join(sorted(overrides))}); see --json or `tiptiers history`", err=True)
    else:
        typer.echo(f"TIP Report {year}: {len(rows)} countries")
        for tier in TIER_ORDER:
            names = [f"{r['country']} ({r['iso3']})"
                     + (f"  {_override_note(overrides[r['iso3']])}" if r["iso3"] in overrides else "")
                     for r in rows if r["tier"] == tier.value]
            if names:
                typer.echo(f"\n{tier.label} ({len(names)})")
                for name in names:
                    typer.echo(f"  {name}")


@import_app.command("placements")
def import_placements_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV with columns iso3, year, tier."),
) -> None:
    """Load placements from a CSV; re-importing the same file changes nothing. Any bad row: nothing stored."""
    try:
        rows = read_placements_file(file)
    except PlacementFileError as exc:
        fail(str(exc))
    with transaction(open_store()) as session:
        result = import_placements(session, rows, source=f"import:{file.name}")
    typer.echo(f"{file}: {len(rows)} rows; {result}")


def register(app: typer.Typer) -> None:
    app.command()(history)
    app.command()(placements)
    app.add_typer(import_app, name="import")
