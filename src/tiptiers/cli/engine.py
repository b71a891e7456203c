"""Tier engine commands: assess, methodology show, override, waiver, audit-history."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError

from tiptiers.cli.common import fail, open_store, print_json, resolve_country
from tiptiers.engine import Determination, HistoryEntry, Override, Waiver, determine, methodology_for_year
from tiptiers.engine.audit import FORBIDDEN, INCONSISTENCY, KINDS, audit_history
from tiptiers.engine.files import EXAMPLE, AssessmentFileError, format_validation_error, parse_assessment
from tiptiers.methodology import MethodologyError, available
from tiptiers.methodology.describe import describe
from tiptiers.report_years import check_report_year
from tiptiers.store.db import is_initialised, make_engine, session_factory, transaction
from tiptiers.store.engine import (
    EngineRecordError,
    add_override,
    add_waiver,
    all_histories,
    get_override,
    list_overrides,
    list_waivers,
    placement_history,
    placement_sources,
    waiver_records,
)
from tiptiers.store.engine_start import starting_point
from tiptiers.tiers import Tier, parse_tier

methodology_app = typer.Typer(help="The law as data: standards, criteria and tier rules in force.",
                              no_args_is_help=True)
override_app = typer.Typer(help="Overrides: a tier other than the computed one, with a written justification.",
                           no_args_is_help=True)
waiver_app = typer.Typer(help="Waivers of the automatic downgrade (22 U.S.C. 7107(b)(2)(D)(ii)).",
                         no_args_is_help=True)

JSON_HELP = "Print JSON instead of text."


def print_determination(d: Determination) -> None:
    typer.echo(f"{d.iso3} {d.year}: {d.tier.label}" + (f" (computed: {d.computed_tier.label})"
                                                       if d.computed_tier != d.tier else ""))
    typer.echo(f"Methodology {d.methodology}, law as in force from {d.law_date}\n")
    for i, r in enumerate(d.reasons, 1):
        typer.echo(f"{i}. {r.text}\n   [{r.rule}; {r.reference}]")
    if d.decisive_criteria:
        typer.echo(f"\nDecisive: {', '.join(d.decisive_criteria)}")
    if d.path_up is not None:
        typer.echo(f"\nTo reach {d.path_up.target_tier.label}:")
        for c in d.path_up.changes:
            typer.echo(f"  - {c.criterion} ({c.title}): {c.from_level.label} -> {c.to_level.label}")
        for name, value in d.path_up.signals.items():
            typer.echo(f"  - {name}: {str(value).lower()}")
        if d.path_up.note:
            typer.echo(f"  {d.path_up.note}")


def assess(
    file: Path | None = typer.Argument(None, exists=True, dir_okay=False,
                                       help="YAML with iso3, year, ratings and the Watch List signals (see "
                                            "--example). Leave out to use --country and --year."),
    country: str | None = typer.Option(None, "--country", help="Without FILE: the country (ISO code or name) whose "
                                                               "stored assessment to determine."),
    year: int | None = typer.Option(None, "--year", help="Without FILE: the report year, e.g. 2008."),
    as_json: bool = typer.Option(False, "--json", help="Print the Determination as JSON."),
    use_store: bool = typer.Option(True, "--store/--no-store",
                                   help="Take history, waivers and override from the database when it exists."),
) -> None:
    """Determine one country-year's tier from its ratings and say why, rule by rule.

    With FILE: the file's ratings; history comes from the file's `history:` mapping, else from the placements in
    the database. `tiptiers assess --example` (or `tiptiers assess-example`) prints a file to start from.

    With --country and --year instead: the ratings of the stored assessment of that country-year (ratings resting
    only on unverified evidence are flagged), or, when there is none, illustrative ratings that reproduce the
    published tier. The output says which.
    """
    if file is None:
        if country is None or year is None:
            fail("give an assessment FILE, or --country and --year of a stored assessment", 2)
        _assess_stored(resolve_country(country).iso3, year, as_json)
        return
    if country is not None or year is not None:
        fail("--country and --year are for a stored assessment: leave them out with a FILE", 2)
    try:
        assessment, history = parse_assessment(file.read_text(encoding="utf-8"), source=str(file))
    except AssessmentFileError as exc:
        fail(str(exc))
    waivers: list[Waiver] = []
    override: Override | None = None
    engine = make_engine()
    if use_store and is_initialised(engine):
        with session_factory(engine)() as session:
            if history is None:
                history = placement_history(session, assessment.iso3, before=assessment.year)
            waivers = list_waivers(session, year=assessment.year, iso3=assessment.iso3)
            override = get_override(session, assessment.iso3, assessment.year)
    d = determine(assessment, history or [], methodology_for_year(assessment.year, assessment.methodology),
                  assessment.year, waivers=waivers, override=override)
    if as_json:
        print_json(d.model_dump(mode="json"))
    else:
        print_determination(d)


def _assess_stored(iso3: str, year: int, as_json: bool) -> None:
    try:
        check_report_year(year)
    except ValueError as exc:
        fail(f"--year: {exc}", 2)
    with open_store()() as session:
        start = starting_point(session, iso3, year)
    d = determine(start.assessment, start.history, methodology_for_year(year), year, waivers=start.waivers,
                  override=start.override)
    if as_json:
        print_json({"ratings_source": start.source, "ratings_note": start.note,
                    "flagged_ratings": [{"criterion": f.criterion, "code": f.code, "text": f.text}
                                        for f in start.flags],
                    "ratings": [r.model_dump(mode="json") for r in start.assessment.ratings],
                    "determination": d.model_dump(mode="json")})
        return
    typer.echo(f"Ratings: {start.source}. {start.note}")
    for f in start.flags:
        typer.echo(f"  ! {f.criterion}: {f.text}")
    typer.echo("")
    print_determination(d)


def assess_example() -> None:
    """Print an example assessment file for `tiptiers assess`."""
    typer.echo(EXAMPLE, nl=False)


@methodology_app.command("show")
def methodology_show(
    year: int = typer.Option(..., "--year", help="Report year, e.g. 2013: the law in force on March 31 of it."),
    name: str = typer.Option("tvpa", "--name", help=f"Methodology: {', '.join(available())}."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """The standards, criteria and tier rules applied to one report year, with the statute they cite."""
    try:
        out = describe(methodology_for_year(year, name))
    except (MethodologyError, ValueError) as exc:
        fail(str(exc))
    if as_json:
        print_json(out.model_dump(mode="json"))
        return
    typer.echo(f"{out.name} for the {year} report (law read on {out.on}; latest provision {out.law_date})")
    typer.echo("\nMinimum standards:")
    for s in out.standards:
        typer.echo(f"  {s.number}. {s.title}: {s.description}  [{s.reference}]")
    typer.echo(f"\nCriteria ({len(out.criteria)} in force; core ones marked *):")
    for c in out.criteria:
        flag = "*" if c.core else " "
        typer.echo(f" {flag}{c.number:>2}. {c.title} (since {c.in_force_since})  [{c.reference}]")
        if c.uncertain:
            typer.echo(f"      uncertain: {c.uncertain}")
    typer.echo("\nTier rules:")
    for p in out.rules:
        choice = " (methodology's own choice)" if p.methodology_choice else ""
        typer.echo(f"  {p.name} = {p.value!r} since {p.since}{choice}  [{p.reference}]")
        if p.uncertain:
            typer.echo(f"      uncertain: {p.uncertain}")


def _record_or_fail(make: type[Override] | type[Waiver], **fields: object) -> Override | Waiver:
    try:
        return make.model_validate(fields)
    except ValidationError as exc:
        fail(format_validation_error(exc))


@override_app.command("add")
def override_add(
    country: str = typer.Argument(..., help="ISO alpha-3 code or name."),
    year: int = typer.Argument(..., help="Report year."),
    tier: str = typer.Argument(..., help="The tier to publish: 1, 2, 2WL, 3 or special."),
    justification: str = typer.Option(..., "--justification", "-j", help="Why, in writing (required)."),
    author: str = typer.Option(..., "--author", help="Who decides the override."),
    replace: bool = typer.Option(False, "--replace", help="Replace this country-year's existing override."),
) -> None:
    """Record a tier other than the computed one. It is shown wherever the tier is shown."""
    try:
        parsed = parse_tier(tier)
    except ValueError as exc:
        fail(f"tier: {exc}")
    found = resolve_country(country)
    record = _record_or_fail(Override, iso3=found.iso3, year=year, tier=parsed, justification=justification,
                             author=author)
    assert isinstance(record, Override)
    try:
        with transaction(open_store()) as session:
            add_override(session, record, replace=replace)
    except EngineRecordError as exc:
        fail(str(exc))
    typer.echo(f"override recorded: {found.name} {year} -> {parsed.label}")


@override_app.command("list")
def override_list(
    year: int | None = typer.Option(None, "--year", help="Only this report year."),
    country: str | None = typer.Option(None, "--country", help="Only this country."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Every override, by year."""
    _list(list_overrides, year, country, as_json,
          lambda r: f"{r.year} {r.iso3} {Tier(r.tier).label} by {r.author}: {r.justification}")


@waiver_app.command("add")
def waiver_add(
    country: str = typer.Argument(..., help="ISO alpha-3 code or name."),
    year: int = typer.Argument(..., help="Report year the downgrade is waived for."),
    justification: str = typer.Option(..., "--justification", "-j", help="The waiver's grounds, in writing."),
    replace: bool = typer.Option(False, "--replace", help="Replace this country-year's existing waiver."),
) -> None:
    """Record a waiver of the automatic downgrade; the engine applies it."""
    found = resolve_country(country)
    record = _record_or_fail(Waiver, iso3=found.iso3, year=year, justification=justification)
    assert isinstance(record, Waiver)
    try:
        with transaction(open_store()) as session:
            add_waiver(session, record, replace=replace, actor=f"cli:{getpass.getuser()}")
    except EngineRecordError as exc:
        fail(str(exc))
    typer.echo(f"waiver recorded: {found.name} {year}")


@waiver_app.command("list")
def waiver_list(
    year: int | None = typer.Option(None, "--year", help="Only this report year."),
    country: str | None = typer.Option(None, "--country", help="Only this country."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Every waiver, by year."""
    _list(list_waivers, year, country, as_json, lambda r: f"{r.year} {r.iso3}: {r.justification}")


def _list(fetch: Callable[..., Sequence[Override | Waiver]], year: int | None, country: str | None, as_json: bool,
          line: Callable[[Any], str]) -> None:
    iso3 = resolve_country(country).iso3 if country else None
    with open_store()() as session:
        rows = fetch(session, year=year, iso3=iso3)
    if as_json:
        print_json([r.model_dump(mode="json") for r in rows])
        return
    if not rows:
        typer.echo("none recorded")
    for r in rows:
        typer.echo(line(r))


def audit_history_command(
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    year: int | None = typer.Option(None, "--year", help="Only this report year."),
) -> None:
    """Replay the automatic-downgrade rules over the stored placements, year by year (from 2009, when Watch List
    years start to count).

    Lists every waiver year (on record, or implied by a placement where the year's waivers are not in the sources),
    automatic downgrades to Tier 3, Watch List years the rule in force forbids, inconsistencies between the
    placements and the waivers on record (for a person to check, with both sources), and every sequence the
    record cannot decide ("cannot tell: 2017 not in the sources") rather than a guess.
    """
    with open_store()() as session:
        histories: dict[str, list[HistoryEntry]] = all_histories(session)
        waivers, sources = waiver_records(session), placement_sources(session)
    events = [e for e in audit_history(histories, waivers=waivers, sources=sources) if year is None or e.year == year]
    if as_json:
        print_json([e.as_dict() for e in events])
        return
    for y in sorted({e.year for e in events}):
        typer.echo(f"\n{y}")
        for e in events:
            if e.year == y:
                tier = e.tier.label if e.tier else "not in the sources"
                typer.echo(f"  {e.iso3}  {tier:<18} {e.kind:<20} {e.text}")
                for source in e.sources if e.kind in (INCONSISTENCY, FORBIDDEN) else ():  # for the person to check
                    typer.echo(f"        source: {source}")
    if not events:
        typer.echo("no country engaged the downgrade rules")
        return
    counts = {k: sum(1 for e in events if e.kind == k) for k in KINDS}
    typer.echo("\n" + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items() if n))


def register(app: typer.Typer) -> None:
    app.command()(assess)
    app.command("assess-example")(assess_example)
    app.command("audit-history")(audit_history_command)
    app.add_typer(methodology_app, name="methodology")
    app.add_typer(override_app, name="override")
    app.add_typer(waiver_app, name="waiver")
