"""Publication commands: export (open data), publish (schedule a year, write the static site), narrative."""

from __future__ import annotations

import sys
import time
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session, sessionmaker

from tiptiers.cli.common import fail, open_store, print_json, resolve_country
from tiptiers.publish import opendata
from tiptiers.publish.report import country_year
from tiptiers.store import publication as pubstore
from tiptiers.store.db import database_url, transaction
from tiptiers.store.texts import check_language

NARRATIVE_LANGUAGE_HELP = ("The narrative's language, a BCP 47 tag (default en, the original; fr, es, ar ... are its "
                           "translations).")
narrative_app = typer.Typer(help="Country narratives: show, edit (new dated versions), list versions.",
                            no_args_is_help=True)


def export(
    year: int | None = typer.Option(None, "--year", help="One report year (default: every published year)."),
    fmt: str = typer.Option("csv", "--format", help="csv, json or parquet."),
    table: str | None = typer.Option(None, "--table", help=f"One table: {', '.join(opendata.DATASETS)}. "
                                     "Without --out it is printed (csv, json)."),
    out: Path | None = typer.Option(None, "--out", help="Folder to write TABLE.FORMAT files into (created)."),
    zip_file: Path | None = typer.Option(None, "--zip", help="Also write the whole dataset (CSV + Parquet) as a zip."),
) -> None:
    """Export the open data: every table (or one) as CSV, JSON or Parquet, as the web serves it.

    Years under embargo are left out; CSV cells a spreadsheet would run as formulas are escaped.
    Examples: `tiptiers export --year 2008 --format csv --table placements`,
    `tiptiers export --format parquet --out data/`.
    """
    if fmt not in opendata.FORMATS:
        fail(f"--format: {fmt!r} is not one of {', '.join(opendata.FORMATS)}", 2)
    names = [table] if table else list(opendata.DATASETS)
    if table and table not in opendata.DATASETS:
        fail(f"--table: unknown table {table!r}; tables: {', '.join(opendata.DATASETS)}", 2)
    if out is None and (len(names) > 1 or fmt == "parquet"):
        fail("--out: give a folder to write several tables or Parquet into (or --table with csv/json)", 2)
    with open_store()() as session:
        for name in names:
            dataset, rows = opendata.export_rows(session, name, year)
            body = opendata.serialise(dataset, rows, fmt)
            if out is None:
                sys.stdout.write(body.decode("utf-8"))
                continue
            out.mkdir(parents=True, exist_ok=True)
            path = out / f"{name}{f'-{year}' if year else ''}.{fmt}"
            path.write_bytes(body)
            typer.echo(f"{path}: {len(rows)} rows", err=True)
        if zip_file:
            zip_file.parent.mkdir(parents=True, exist_ok=True)
            zip_file.write_bytes(opendata.dataset_zip(session, year))
            typer.echo(f"{zip_file}: every table, CSV and Parquet, with the data dictionary", err=True)


def _parse_at(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        fail(f"--at: {value!r} is not a date and time such as 2027-06-20T14:00 (UTC unless an offset is given)", 2)


def _progress(hidden: bool) -> Progress:
    """On stderr (stdout stays clean for --json); pages written of those found so far, as the crawl finds more."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TextColumn("{task.fields[path]}"), console=Console(stderr=True), disable=hidden)


def _make_report_pdf(sessions: sessionmaker[Session], year: int, hidden: bool) -> dict[str, Any]:
    from tiptiers.publish import reportpdf

    started = time.monotonic()
    with Console(stderr=True).status(f"Making the whole-report PDF of {year} (a minute or so)", spinner="line") \
            if not hidden else nullcontext():
        try:
            made = reportpdf.build(sessions, year)
        except reportpdf.ReportError as exc:
            fail(str(exc))
    return {"url": f"/reports/{year}.pdf", "bytes": made.size, "built_at": made.built_at.isoformat(),
            "laid_out": made.built_at == made.checked_at, "seconds": round(time.monotonic() - started, 1)}


def publish(
    year: int = typer.Argument(..., help="Report year to publish, e.g. 2015."),
    at: str | None = typer.Option(None, "--at", help="Publication time (ISO 8601, UTC unless an offset is given). "
                                  "Before it nothing of the year is public (embargo). Default: now, unless the year "
                                  "is already public."),
    static: Path | None = typer.Option(None, "--static", help="Write the whole public site as static files here, "
                                       "as it is at the publication time (HTML, JSON, CSV, PDF, map)."),
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Once the year is public, make its whole-report PDF now "
                             "(a minute or so) for the web app to serve; the job queue also makes it at the "
                             "publication time."),
    jobs: int = typer.Option(0, "--jobs", min=0, help="Processes rendering the static site side by side "
                             "(default 0: one per core)."),
    actor: str = typer.Option("cli", "--actor", help="Who publishes, for the record."),
    note: str = typer.Option("", "--note", help="A note kept with the publication."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Publish a report year: set its publication time (consulting the review gate of every assessed country),
    make its whole-report PDF once public, and optionally write the static site.

    A year already public is frozen: its time cannot move, and narrative changes become dated corrections.
    Example: `tiptiers publish 2015 --static site/`, then serve site/ with any web server.
    """
    sessions = open_store()
    when = _parse_at(at)
    result: dict[str, object] = {"year": year}
    try:
        with transaction(sessions) as session:
            public = pubstore.is_public(session, year)
            if when is not None or not public:
                from tiptiers.publish import reportpdf

                row, report = pubstore.schedule_publication(session, year, when or pubstore.utcnow(), actor, note)
                reportpdf.queue_at_publication(session, year, row.publish_at)  # a running worker makes it then
                result["warnings"] = report.warnings
            published_at = pubstore.publication_time(session, year)  # scheduled above if it was not
            result["published_at"] = published_at.isoformat() if published_at else None
            result["public"] = pubstore.is_public(session, year)
    except pubstore.PublicationError as exc:
        fail(str(exc))
    if not as_json:
        state = "public since" if result["public"] else "embargoed until"
        typer.echo(f"Report {year}: {state} {result['published_at']} UTC")
        for w in result.get("warnings") or []:  # type: ignore[attr-defined]
            typer.echo(f"Warning: {w}", err=True)
    if pdf and result["public"]:
        made = _make_report_pdf(sessions, year, as_json)
        result["report_pdf"] = made
        if not as_json:
            typer.echo(f"Whole report: {made['url']} ({int(made['bytes']) // 1024} KiB, {made['seconds']} s)"
                       if made["laid_out"] else f"Whole report: {made['url']} (unchanged, checked)")
    if static is not None:
        from tiptiers.publish.static import export_site

        at_time = datetime.fromisoformat(str(result["published_at"]))
        with _progress(as_json) as bar:
            task = bar.add_task("Writing the static site", total=None, path="")

            def progress(path: str, done: int, found: int) -> None:
                bar.update(task, completed=done, total=found, path=path[-50:])

            exported = export_site(database_url(), year, static, at_time, progress, jobs=jobs or None)
        result["static"] = {"out": str(static), "pages": exported.pages, "files": exported.files,
                            "bytes": exported.bytes, "failed": exported.failed}
        if not as_json:
            typer.echo(f"{static}: {exported.files} files ({exported.pages} pages, {exported.bytes // 1024} KiB)")
            for path, status in sorted(exported.failed.items()):
                typer.echo(f"Warning: linked {path} answered {status}; not written", err=True)
    if as_json:
        print_json(result)


def _language(tag: str) -> str:
    try:
        return check_language("language", tag)
    except ValueError as exc:
        fail(str(exc), 2)


@narrative_app.command("show")
def narrative_show(
    country: str = typer.Argument(..., help="ISO alpha-3 code or name."),
    year: int = typer.Argument(..., help="Report year."),
    draft: bool = typer.Option(False, "--draft", help="The latest version, even under embargo (staff)."),
    language: str = typer.Option("en", "--language", help=NARRATIVE_LANGUAGE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print tier, version and Markdown as JSON."),
) -> None:
    """Print a narrative's Markdown (the published one, or with --draft the latest version)."""
    found = resolve_country(country)
    with open_store()() as session:
        try:
            cy = country_year(session, found.iso3, year, draft=draft, language=language)
        except pubstore.PublicationError as exc:
            fail(str(exc), 2)
    if cy is None:
        fail(f"report {year} is not published yet, or has no {language} translation; use --draft to see the latest "
             "version")
    if as_json:
        print_json({"iso3": found.iso3, "year": year, "language": cy.language, "languages": cy.languages,
                    "tier": cy.tier, "version": cy.version, "assessed": cy.data.assessed, "markdown": cy.markdown})
    else:
        typer.echo(cy.markdown)


@narrative_app.command("edit")
def narrative_edit(
    country: str = typer.Argument(..., help="ISO alpha-3 code or name."),
    year: int = typer.Argument(..., help="Report year."),
    file: Path = typer.Option(..., "--file", help="Markdown file with the new text ('-' for standard input). "
                              "Start from `tiptiers narrative show --draft COUNTRY YEAR > f.md`."),
    author: str = typer.Option(..., "--author", help="Who wrote this version."),
    note: str = typer.Option("", "--note", help="What changed and why (required once the year is published)."),
    language: str = typer.Option("en", "--language", help=NARRATIVE_LANGUAGE_HELP + " A translation is versioned "
                                 "like the original; its first version after publication needs no note."),
) -> None:
    """Save a new dated version of a narrative, or of its translation into another language (--language es).
    After publication it is a correction, shown with its note."""
    found = resolve_country(country)
    text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
    try:
        with transaction(open_store()) as session:
            row = pubstore.save_narrative(session, found.iso3, year, text, author, note, language=language)
            correction = pubstore.is_public(session, year)
    except pubstore.PublicationError as exc:
        fail(str(exc))
    kind = "correction" if correction else "draft"
    typer.echo(f"{found.name} {year}: version {row.version}" + (f" of the {row.language} translation"
               if row.language != pubstore.ORIGINAL_LANGUAGE else "") + f" saved ({kind})")


@narrative_app.command("versions")
def narrative_list(
    country: str = typer.Argument(..., help="ISO alpha-3 code or name."),
    year: int = typer.Argument(..., help="Report year."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    language: str = typer.Option("en", "--language", help=NARRATIVE_LANGUAGE_HELP),
) -> None:
    """List the stored versions of a narrative (or of one translation) with their dates, authors and notes."""
    found = resolve_country(country)
    with open_store()() as session:
        rows = [{"version": v.version, "language": v.language, "created_at": v.created_at.isoformat(),
                 "author": v.author, "note": v.note}
                for v in pubstore.narrative_versions(session, found.iso3, year, _language(language))]
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo(f"{found.name} {year}: no stored version; the narrative is generated from the assessment")
    for r in rows:
        typer.echo(f"  v{r['version']}  {r['created_at']}  {r['author']}  {r['note']}")


def register(app: typer.Typer) -> None:
    app.command("export")(export)
    app.command("publish")(publish)
    app.add_typer(narrative_app, name="narrative")
