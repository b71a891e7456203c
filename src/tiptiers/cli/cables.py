"""Cable commands: ingest cables, cable show|list, search."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from tiptiers.cli.common import fail, open_store, print_json, resolve_country
from tiptiers.sources.cable_files import ZipLimits, count_cable_inputs, iter_cable_inputs
from tiptiers.sources.reactions import reaction_labels
from tiptiers.store.cables import CableRecord, country_cables, get_cable, ingest
from tiptiers.store.search import SNIPPET_END, SNIPPET_START, SearchFilters, SearchQueryError, search

ingest_app = typer.Typer(help="Read source documents into the database (diplomatic cables).", no_args_is_help=True)
cable_app = typer.Typer(help="Look at stored diplomatic cables.", no_args_is_help=True)


@ingest_app.command("cables")
def ingest_cables(
    paths: list[Path] = typer.Argument(..., help="Cables as the release published them: WikiLeaks HTML pages, plain "
                                                 "text, the release's cables.csv; folders of them (read recursively) "
                                                 "and zip archives of them. Told apart by their content."),
    batch_size: int = typer.Option(500, "--batch-size", min=1, help="Cables stored per transaction; an interruption "
                                                                    "loses at most one batch, re-run to resume."),
    workers: int = typer.Option(min(2, os.cpu_count() or 1), "--workers", min=1,
                                help="Processes that parse and code cables (1: this process only). Each takes "
                                     "about a core: with more cores, more of them ingest faster, until the one "
                                     "process that writes is the limit (about 1,500 cables/s on SQLite)."),
    max_member_size: int = typer.Option(ZipLimits.max_member_bytes // 2**20, "--max-member-size", min=1,
                                        help="MiB: a larger file, or zip member once unpacked, is reported and not "
                                             "read (a cable is kilobytes)."),
    max_members: int = typer.Option(ZipLimits.max_members, "--max-members", min=1,
                                    help="A zip archive of more files is reported and not read."),
    max_total_size: int = typer.Option(ZipLimits.max_total_bytes // 2**30, "--max-total-size", min=1,
                                       help="GiB: a zip archive that unpacks to more is reported and not read."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Parse cables, code the government's reaction, file them by country and report year, and index them.

    Idempotent: a cable already stored with the same text is skipped; a changed text is kept as a new version.
    A bad file (empty, binary, not a cable, over a limit, a damaged, encrypted or unsafe zip member) is reported
    and skipped, and the rest is read; the exit status is 1 if there was any.
    """
    factory = open_store()
    limits = ZipLimits(max_members=max_members, max_member_bytes=max_member_size * 2**20,
                       max_total_bytes=max_total_size * 2**30)
    count = count_cable_inputs(paths, limits)
    done = MofNCompleteColumn() if count.exact else TextColumn("{task.completed:,.0f} of about {task.total:,.0f}")
    with Progress(TextColumn("ingesting cables"), BarColumn(), done, TimeRemainingColumn(),
                  disable=as_json, transient=False) as bar:
        task = bar.add_task("cables", total=count.total)
        report = ingest(factory, iter_cable_inputs(paths, limits), batch_size=batch_size, workers=workers,
                        actor=f"cli:{getpass.getuser()}",
                        progress=lambda n: bar.advance(task, n))
    result = report.result
    if as_json:
        print_json({"files": report.files, "added": result.added, "new_versions": result.new_versions,
                    "skipped": result.skipped, "bad": [{"file": f, "error": e} for f, e in report.errors]})
    else:
        for name, error in report.errors:
            typer.echo(f"bad file: {name}: {error}", err=True)
        typer.echo(f"{report.files} files: {result}, {len(report.errors)} bad")
    if report.errors:
        raise typer.Exit(1)


def cable_data(record: CableRecord) -> dict[str, Any]:
    """Every parsed field of a stored cable, with its version, reaction codes and disputed claims."""
    labels = reaction_labels()
    return {
        **record.parsed,
        "version": record.version,
        "source": record.source,
        "ingested_at": record.ingested_at.isoformat(),
        "reactions": [{"code": r.code, "label": labels.get(r.code, r.code), "citations": r.citations}
                      for r in record.reaction_rows],
        "disputed_claims": [{"claim": c.claim, "sentence": c.sentence, "paragraph": c.paragraph,
                             "speaker": c.speaker, "rule": c.rule} for c in record.disputed_claims],
    }


@cable_app.command("show")
def cable_show(
    reference_id: str = typer.Argument(..., help="Reference id, e.g. 08TOKYO1528 (any case)."),
    version: int | None = typer.Option(None, "--version", help="An earlier version (default: the current one)."),
    as_json: bool = typer.Option(False, "--json", help="Print every parsed field as JSON."),
) -> None:
    """One cable: header, tags, paragraphs, the reaction codes with the sentences that carry them."""
    with open_store()() as session:
        record = get_cable(session, reference_id, version)
        if record is None:
            fail(f"no cable {reference_id.upper()}" + (f" version {version}" if version else "")
                 + " (ingest it with `tiptiers ingest cables FILE`)")
        data = cable_data(record)
    if as_json:
        print_json(data)
        return
    typer.echo(f"{data['reference_id']} (version {data['version']}) {data['classification']}"
               f"{' ' + ' '.join(data['caveats']) if data['caveats'] else ''}")
    typer.echo(f"  sent      {data['sent_at'] or 'unknown (no header)'}")
    typer.echo(f"  country   {data['iso3'] or 'unknown'} ({data['country_source'] or 'no tag or post'})")
    typer.echo(f"  report    {data['report_year'] or 'unknown'} ({data['report_year_source'] or '-'})")
    typer.echo(f"  tags      {' '.join(data['tags'])}")
    typer.echo(f"  subject   {data['subject']}")
    for warning in data["warnings"]:
        typer.echo(f"  warning   {warning}")
    typer.echo("\nReactions:" if data["reactions"] else "\nNo reaction to the report coded.")
    for r in data["reactions"]:
        typer.echo(f"  {r['label']}")
        for c in r["citations"][:3]:
            where = f"¶{c['paragraph']}" if c["paragraph"] else "subject"
            who = f" ({c['speaker']})" if c.get("speaker") else ""
            typer.echo(f"    {where}{who}: {c['sentence']}")
    for c in data["disputed_claims"]:
        typer.echo(f"\nDisputed claim (¶{c['paragraph']}, {c['speaker'] or 'the government'}): {c['claim']}")


@cable_app.command("list")
def cable_list(
    country: str = typer.Argument(..., help="ISO alpha-3 code or name: JPN, Japan."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list."),
) -> None:
    """A country's cables, oldest first, with their reaction codes."""
    found = resolve_country(country)
    with open_store()() as session:
        rows: list[dict[str, Any]] = [
            {"reference_id": c.reference_id, "sent_at": c.sent_at.isoformat() if c.sent_at else None,
             "report_year": c.report_year, "subject": c.subject, "reactions": c.reactions.split()}
            for c in country_cables(session, found.iso3)]
    if as_json:
        print_json(rows)
        return
    typer.echo(f"{found.name} ({found.iso3}): {len(rows)} cables")
    for r in rows:
        typer.echo(f"  {r['reference_id']:<20} {r['report_year'] or '':<5} {r['subject'] or ''}"
                   f"{'  [' + ', '.join(r['reactions']) + ']' if r['reactions'] else ''}")


def search_command(
    query: str = typer.Argument("", help='Words (all must match), "a phrase", OR, -exclude. Empty: filters only.'),
    country: str | None = typer.Option(None, "--country", help="ISO alpha-3 code or name."),
    year: int | None = typer.Option(None, "--year", help="Report year."),
    tag: str | None = typer.Option(None, "--tag", help="A TAGS code, e.g. KTIP or JA."),
    classification: str | None = typer.Option(None, "--classification", help="e.g. CONFIDENTIAL, UNCLASSIFIED."),
    reaction: str | None = typer.Option(None, "--reaction", help="A reaction code, e.g. objection, not_fair."),
    kind: str | None = typer.Option(None, "--kind", help="cable or evidence (default: both)."),
    limit: int = typer.Option(20, "--limit", min=1, max=500, help="How many results."),
    as_json: bool = typer.Option(False, "--json", help="Print {total, hits} as JSON."),
) -> None:
    """Full-text search over cables and evidence, best match first, with filters."""
    iso3 = resolve_country(country).iso3 if country else None
    filters = SearchFilters(kind=kind, iso3=iso3, year=year, tag=tag, classification=classification,
                            reaction=reaction)
    with open_store()() as session:
        try:
            results = search(session, query, filters, limit=limit)
        except SearchQueryError as exc:
            fail(str(exc), 2)
    if as_json:
        print_json({"query": query, "total": results.total, "total_exact": results.total_exact,
                    "ranked_among": results.ranked_among, "hits": [
            {"kind": h.kind, "ref_id": h.ref_id, "title": h.title, "iso3": h.iso3, "year": h.year,
             "classification": h.classification, "tags": list(h.tags), "reactions": list(h.reactions),
             "snippet": h.snippet.replace(SNIPPET_START, "").replace(SNIPPET_END, ""), "rank": h.rank}
            for h in results.hits]})
        return
    typer.echo(f"{results.total:,}{'' if results.total_exact else '+'} found"
               + (f", first {len(results.hits)}" if results.total > len(results.hits) else "")
               + (f" (best among the {results.ranked_among:,} most recently indexed matches: narrow the query)"
                  if results.ranked_among else ""))
    for h in results.hits:
        typer.echo(f"\n{h.kind} {h.ref_id}  {h.iso3 or ''} {h.year or ''}  {h.title}")
        typer.echo("  " + h.snippet.replace(SNIPPET_START, "[").replace(SNIPPET_END, "]").replace("\n", " "))


def register(app: typer.Typer) -> None:
    app.add_typer(ingest_app, name="ingest")
    app.add_typer(cable_app, name="cable")
    app.command("search")(search_command)
