"""The annual cycle: `tiptiers calendar YEAR` (the law's dated steps, the reply windows, what is done and late),
`tiptiers sanctions` (Tier 3 determinations), `tiptiers lists` (policy or pattern, Child Soldiers) and
`tiptiers interim` (interim assessments of the Watch List)."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from datetime import date
from typing import TypeVar

import typer
from sqlalchemy.orm import Session

from tiptiers.cli.common import EXIT_USAGE, fail, open_store, print_json, resolve_country
from tiptiers.countries import country_name
from tiptiers.engine.calendar import Calendar, compute_calendar
from tiptiers.report_years import check_planned_year
from tiptiers.review.windows import PRESETS, ReplyWindows, parse_windows, windows_from_environment
from tiptiers.store import cycle as store
from tiptiers.store.cycle import year_calendar
from tiptiers.store.db import DatabaseNotInitialised, make_engine, require_initialised, session_factory, transaction

T = TypeVar("T")
ACTOR_HELP = "Who records it, for the activity log (default: cli:LOGIN)."
sanctions_app = typer.Typer(help="Tier 3 consequences: the President's determinations under 22 U.S.C. 7107(d).",
                            no_args_is_help=True)
lists_app = typer.Typer(help="A year's lists: policy or pattern of trafficking, Child Soldiers Prevention Act.",
                        no_args_is_help=True)
interim_app = typer.Typer(help="Interim assessments of the Watch List countries, due February 1.",
                          no_args_is_help=True)


def _write(job: Callable[[Session], T]) -> T:
    """One change in one transaction; bad input is a clear error (exit 2) and nothing is stored."""
    try:
        with transaction(open_store()) as session:
            return job(session)
    except store.CycleError as exc:
        fail(str(exc), EXIT_USAGE)


def _actor(name: str | None) -> str:
    return name or f"cli:{getpass.getuser()}"


def _day(field: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{field}: {text!r} is not a date such as 2027-08-20", EXIT_USAGE)


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


@sanctions_app.command("record")
def sanctions_record(
    country: str = typer.Argument(..., help="A Tier 3 country of that year: JPN or Japan."),
    year: int = typer.Argument(..., help="The report year."),
    paragraph: str = typer.Option(..., "--paragraph", "-p", help="Which determination of 22 U.S.C. 7107(d): "
                                  + "; ".join(f"{k} {v}" for k, v in store.PARAGRAPHS.items())),
    on: str = typer.Option(..., "--on", help="The day it was determined, e.g. 2027-09-10 (due 45-90 days after the "
                           "report)."),
    signed_by: str = typer.Option(..., "--signed-by", help="Who signed it, e.g. 'The President'."),
    programmes: str = typer.Option("", "--programmes", help="For a waiver (d4, d5) only: the programmes it covers; "
                                   "without it the determination is in whole."),
    note: str = typer.Option("", "--note", help="Anything else, e.g. the Presidential Determination's number."),
    actor: str | None = typer.Option(None, "--as", help=ACTOR_HELP),
) -> None:
    """Record (or correct) the determination for a Tier 3 government; shown on its narrative and in the open data.
    Example: `tiptiers sanctions record PRK 2027 -p d1 --on 2027-09-10 --signed-by "The President"`."""
    row = _write(lambda s: store.record_determination(s, country, year, paragraph, _day("--on", on), signed_by,
                                                      _actor(actor), programmes=programmes, note=note))
    typer.echo(f"{row.iso3} {row.year}: {store.PARAGRAPHS[row.paragraph]}, {row.scope}, {row.determined_on}")


@sanctions_app.command("list")
def sanctions_list(
    year: int = typer.Option(..., "--year", help="The report year."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Every Tier 3 government of the year with its determination (or none yet), and whether it came in its window."""
    with open_store()() as session:
        window = store.tier3_window(session, year)
        made = {d.iso3: d.as_dict(window) for d in store.determinations(session, year)}
        rows = [made.get(iso3) or {"iso3": iso3, "country": country_name(iso3), "year": year, "paragraph": None}
                for iso3 in sorted(set(store.tier3_countries(session, year)) | set(made))]
    if as_json:
        print_json({"year": year, "window": [d.isoformat() for d in window] if window else None, "countries": rows})
        return
    typer.echo(f"Tier 3 of {year}: determinations due {window[0]} to {window[1]}" if window
               else f"Tier 3 of {year}: the report is not out yet")
    for r in rows:
        if r["paragraph"] is None:
            typer.echo(f"  {r['country']} ({r['iso3']}): no determination recorded")
        else:
            typer.echo(f"  {r['country']} ({r['iso3']}): {r['determination']}, {r['scope']}"
                       + (f" ({r['programmes']})" if r["programmes"] else "")
                       + f"; {r['determined_on']}, {r['timing']}; signed by {r['signed_by']}")
    if not rows:
        typer.echo("  no Tier 3 government that year")


@lists_app.command("add")
def lists_add(year: int = typer.Argument(..., help="The report year."),
              name: str = typer.Argument(..., help=f"The list: {', '.join(store.LISTS)}."),
              country: str = typer.Argument(..., help="The government: JPN or Japan."),
              note: str = typer.Option("", "--note", help="Why (shown with the list)."),
              actor: str | None = typer.Option(None, "--as", help=ACTOR_HELP)) -> None:
    """Put a government on a year's list (shown on the year page once the year is published)."""
    row = _write(lambda s: store.set_list(s, year, name, country, _actor(actor), note=note))
    assert row is not None
    typer.echo(f"{row.iso3} is on the {year} list: {store.LISTS[row.list]}")


@lists_app.command("remove")
def lists_remove(year: int = typer.Argument(..., help="The report year."),
                 name: str = typer.Argument(..., help=f"The list: {', '.join(store.LISTS)}."),
                 country: str = typer.Argument(..., help="The government."),
                 actor: str | None = typer.Option(None, "--as", help=ACTOR_HELP)) -> None:
    """Take a government off a year's list."""
    _write(lambda s: store.set_list(s, year, name, country, _actor(actor), on=False))
    typer.echo(f"removed from the {year} {name} list")


@lists_app.command("show")
def lists_show(year: int = typer.Argument(..., help="The report year."),
               as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """A year's lists."""
    with open_store()() as session:
        lists = {name: [e.as_dict() for e in entries] for name, entries in store.year_lists(session, year).items()}
    if as_json:
        print_json({"year": year, "lists": lists})
        return
    for name, entries in lists.items():
        typer.echo(f"{store.LISTS[name]} ({year}): " + (", ".join(e["country"] for e in entries) or "none recorded"))


@interim_app.command("save")
def interim_save(country: str = typer.Argument(..., help="A country on the previous year's Watch List."),
                 year: int = typer.Argument(..., help="The report year whose February 1 it is due."),
                 progress: str = typer.Option(..., "--progress", help="Progress since April 1 of last year."),
                 summary: str = typer.Option(..., "--summary", help="The analyst's summary."),
                 evidence: str = typer.Option("", "--evidence", help="Evidence ids cited, e.g. 12,15."),
                 actor: str | None = typer.Option(None, "--as", help=ACTOR_HELP)) -> None:
    """Write (or rewrite, until sent) the interim assessment of a Watch List country."""
    try:
        ids = [int(i) for i in evidence.replace(" ", "").split(",") if i]
    except ValueError:
        fail(f"--evidence: {evidence!r} is not a list of evidence ids such as 12,15", EXIT_USAGE)
    row = _write(lambda s: store.save_interim(s, country, year, progress, summary, ids, _actor(actor)))
    typer.echo(f"Saved the interim assessment of {row.iso3} for {row.year} (not sent yet).")


@interim_app.command("send")
def interim_send(country: str = typer.Argument(..., help="The country."),
                 year: int = typer.Argument(..., help="The report year."),
                 on: str | None = typer.Option(None, "--on", help="The day sent (default: today)."),
                 actor: str | None = typer.Option(None, "--as", help=ACTOR_HELP)) -> None:
    """Mark the interim assessment sent (due February 1); it is published with the year's data."""
    day = _day("--on", on) if on else None
    row = _write(lambda s: store.send_interim(s, country, year, _actor(actor), day))
    late = row.sent_on is not None and row.sent_on > date(row.year, 2, 1)
    typer.echo(f"{row.iso3} {row.year}: sent {row.sent_on}" + (" (late: due February 1)" if late else ""))


@interim_app.command("list")
def interim_list(year: int = typer.Argument(..., help="The report year."),
                 as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The Watch List countries of the year before and their interim assessments."""
    with open_store()() as session:
        made = {r.iso3: r.as_dict() for r in store.interim_assessments(session, year)}
        rows = [made.get(i) or {"iso3": i, "country": country_name(i), "year": year, "sent_on": None,
                                "summary": None} for i in store.watch_list(session, year - 1)]
    if as_json:
        print_json(rows)
        return
    typer.echo(f"Interim assessments due {year}-02-01 for the Watch List of {year - 1}:")
    for r in rows:
        state = f"sent {r['sent_on']}" if r["sent_on"] else "written, not sent" if r["summary"] else "not written"
        typer.echo(f"  {r['country']} ({r['iso3']}): {state}")


def burden(
    year: int | None = typer.Option(None, "--year", help="One report year (default: every year)."),
    country: str | None = typer.Option(None, "--country", help="One government: JPN or Japan."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The reporting burden per government and year: requests, questions (questionnaire questions and the claims of
    each draft to answer) and deadlines sent. Published years are in the open data too (table `burden`)."""
    iso3 = resolve_country(country).iso3 if country else None
    with open_store()() as session:
        rows = store.burden(session, year, iso3)
    if as_json:
        print_json(rows)
        return
    for r in rows:
        typer.echo(f"  {r['year']} {r['country']} ({r['iso3']}): {r['requests']} requests, {r['questions']} "
                   f"questions, {r['deadlines']} deadlines")
    if not rows:
        typer.echo("  nothing sent")


def register(app: typer.Typer) -> None:
    app.command()(burden)
    app.command()(calendar)
    app.add_typer(sanctions_app, name="sanctions")
    app.add_typer(lists_app, name="lists")
    app.add_typer(interim_app, name="interim")
