"""The annual cycle: `tiptiers calendar YEAR` (the law's dated steps, the reply windows, what is done and late)."""

from __future__ import annotations

import typer

from tiptiers.cli.common import EXIT_USAGE, fail, print_json
from tiptiers.engine.calendar import Calendar, compute_calendar
from tiptiers.report_years import check_planned_year
from tiptiers.review.windows import PRESETS, ReplyWindows, parse_windows, windows_from_environment
from tiptiers.store.cycle import year_calendar
from tiptiers.store.db import DatabaseNotInitialised, make_engine, require_initialised, session_factory


def _windows(option: str | None) -> ReplyWindows:
    try:
        return parse_windows(option) if option else windows_from_environment()
    except ValueError as exc:
        fail(f"--windows: {exc}" if option else f"TIPTIERS_REPLY_WINDOWS: {exc}", EXIT_USAGE)


def _dates(start: object, due: object) -> str:
    return f"{start} to {due}" if start else f"{due}"


def print_calendar(cal: Calendar) -> None:
    start, end = cal.period
    typer.echo(f"Report year {cal.year}: reporting period {start} to {end}; reply windows {cal.windows.describe()}")
    for step in cal.steps:
        typer.echo(f"  {_dates(step.start, step.due):<26} {step.title}: {step.summary}"
                   + (f" ({step.note})" if step.note else ""))
        typer.echo(f"  {'':<26}   {step.reference}" + ("  [uncertain]" if step.uncertain else ""))
    for warning in cal.warnings:
        typer.echo(f"Warning: {warning}", err=True)


def calendar(
    year: int = typer.Argument(..., help="Report year, past or planned (2001 to ten years ahead), e.g. 2027."),
    as_json: bool = typer.Option(False, "--json", help="Print the calendar as JSON."),
    windows: str | None = typer.Option(
        None, "--windows", help=f"Reply windows: a preset ({', '.join(PRESETS)}) or e.g. draft=6w,final=3w "
        "(default: TIPTIERS_REPLY_WINDOWS, else tip: four weeks, then two)."),
    public: bool = typer.Option(False, "--public", help="Only what the public calendar shows (no reply details)."),
) -> None:
    """The dated steps of a report year, computed from the law in force and the reply windows, each with its
    statute reference: the request for information, the reporting period, the interim assessment, the draft and
    final comment windows, the report's deadline, the waiver justifications and the Tier 3 determinations.

    Steps done show when; steps past their date show how late. Works without a database (the law's dates only).
    Examples: `tiptiers calendar 2027`, `tiptiers calendar 2013 --json`, `tiptiers calendar 2028 --windows greta`.
    """
    try:
        check_planned_year(year)
    except ValueError as exc:
        fail(f"YEAR: {exc}", EXIT_USAGE)
    chosen = _windows(windows)
    try:
        sessions = session_factory(require_initialised(make_engine()))
    except DatabaseNotInitialised:
        cal = compute_calendar(year, chosen)
        typer.echo("(no database: the law's dates only; run `tiptiers init` to see what was done)", err=True)
    else:
        with sessions() as session:
            cal = year_calendar(session, year, chosen, staff=not public)
    if as_json:
        print_json(cal.as_dict())
        return
    print_calendar(cal)


def register(app: typer.Typer) -> None:
    app.command()(calendar)
