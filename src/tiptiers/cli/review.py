"""Evidence and the government's right of reply: `tiptiers evidence ...` and `tiptiers review ...`."""

from __future__ import annotations

import getpass
import mimetypes
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import typer
from sqlalchemy.orm import Session

from tiptiers.cli.common import fail, open_store, print_json, resolve_country
from tiptiers.review import Claim, ResponseKind, SourceType, VerificationState
from tiptiers.store.attachments import store_attachment
from tiptiers.store.checks import EvidenceError, NotFound
from tiptiers.store.db import transaction
from tiptiers.store.evidence import add_evidence, list_evidence, set_state
from tiptiers.store.reviews import (
    add_final_comment,
    claims,
    complete_review,
    record_gate_override,
    resolve_dispute,
    respond,
    review_statuses,
    send_request,
)
from tiptiers.store.texts import translate

evidence_app = typer.Typer(help="Evidence: claims about a government's efforts, with source and verification state.",
                           no_args_is_help=True)
review_app = typer.Typer(help="The government's right of reply: send the draft, record answers, resolve disputes, "
                              "see what blocks publication.", no_args_is_help=True)

T = TypeVar("T")
ACTOR_HELP = "Who does this, for the activity log (default: cli:<your login>)."
LANGUAGE_HELP = ("The language the government wrote it in, a BCP 47 tag: en, fr, es, ar, pt-BR ... (default en). "
                 "It is published in that language; staff may add a translation with `tiptiers review translate`.")


def _actor(name: str | None) -> str:
    return name or f"cli:{getpass.getuser()}"


def _write(job: Callable[[Session], T]) -> T:
    """Run one change in one transaction; bad input is a clear error and nothing is stored."""
    try:
        with transaction(open_store()) as session:
            return job(session)
    except EvidenceError as exc:
        fail(str(exc), 2)
    except NotFound as exc:
        fail(str(exc))


def _date(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{field}: {value!r} is not a date like 2026-03-31", 2)


def _attach(session: Session, file: Path | None, who: str) -> str | None:
    """Store the file (once per SHA-256) and give its SHA-256; None without a file."""
    if file is None:
        return None
    media = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    return store_attachment(session, file.name, file.read_bytes(), media, who).sha256


@evidence_app.command("add")
def evidence_add(
    country: str = typer.Argument(..., help="ISO alpha-3 code or name: JPN, Japan."),
    year: int = typer.Argument(..., help="Report year the evidence is for, e.g. 2026."),
    statement: str = typer.Option(..., "--statement", "-s", help="The claim, as the report would state it."),
    criteria: list[str] = typer.Option(..., "--criterion", "-c",
                                       help="Criterion or standard it bears on (repeat), e.g. criterion_1."),
    source_type: SourceType = typer.Option(..., "--source-type", help="Kind of source."),
    source_name: str = typer.Option(..., "--source", help="Who says so, e.g. 'Polaris Project'."),
    source_date: str | None = typer.Option(None, "--source-date", help="Date of the source, YYYY-MM-DD."),
    url: str = typer.Option("", "--url", help="Link to the source (http or https)."),
    file: Path | None = typer.Option(None, "--file", exists=True, dir_okay=False,
                                     help="Attach a file (stored once per SHA-256)."),
    actor: str | None = typer.Option(None, "--as", help=ACTOR_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the new record as JSON."),
) -> None:
    """Record a piece of evidence; it starts `unverified`.

    Example: tiptiers evidence add JPN 2026 -c criterion_1 --source-type ngo --source "Polaris Project"
    -s "Japanese law does not criminalise labour recruitment through fraud."
    """
    iso3 = resolve_country(country).iso3
    when = _date(source_date, "source_date")
    who = _actor(actor)

    def job(session: Session) -> dict[str, Any]:
        sha = _attach(session, file, who)
        return add_evidence(session, iso3=iso3, year=year, criteria=criteria, statement=statement,
                            source_type=source_type.value, source_name=source_name, entered_by=who,
                            source_date=when, source_url=url, attachment_sha256=sha).as_dict()

    row = _write(job)
    if as_json:
        print_json(row)
    else:
        typer.echo(f"evidence #{row['id']} recorded for {iso3} {year} ({row['state']})")


@evidence_app.command("list")
def evidence_list(
    country: str | None = typer.Argument(None, help="Only this country (code or name)."),
    year: int | None = typer.Option(None, "--year", help="Only this report year."),
    state: VerificationState | None = typer.Option(None, "--state", help="Only this verification state."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list."),
) -> None:
    """Evidence records, by country and year, with their verification state."""
    iso3 = resolve_country(country).iso3 if country else None
    with open_store()() as session:
        rows = [e.as_dict() for e in list_evidence(session, iso3, year, state.value if state else None)]
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo("no evidence recorded")
    for r in rows:
        typer.echo(f"#{r['id']:<5} {r['iso3']} {r['year']}  {r['state']:<24} {r['source_name']}: {r['statement']}")


@evidence_app.command("corroborate")
def evidence_corroborate(
    evidence_id: int = typer.Argument(..., help="The record to mark corroborated."),
    by: int = typer.Option(..., "--by", help="The id of the independent record that corroborates it."),
    reason: str = typer.Option("", "--reason", help="Why this source corroborates the claim."),
    actor: str | None = typer.Option(None, "--as", help=ACTOR_HELP),
) -> None:
    """Mark a record corroborated by an independent source (another record, from another source)."""
    _write(lambda s: set_state(s, evidence_id, "corroborated", _actor(actor), reason, corroborated_by=by))
    typer.echo(f"evidence #{evidence_id} corroborated by #{by}")


@evidence_app.command("withdraw")
def evidence_withdraw(
    evidence_id: int = typer.Argument(..., help="The record to withdraw."),
    reason: str = typer.Option(..., "--reason", help="Why it is withdrawn (kept in the record)."),
    actor: str | None = typer.Option(None, "--as", help=ACTOR_HELP),
) -> None:
    """Withdraw a record: it is no longer published or counted. Final."""
    _write(lambda s: set_state(s, evidence_id, "withdrawn", _actor(actor), reason))
    typer.echo(f"evidence #{evidence_id} withdrawn")


@review_app.command("send")
def review_send(
    country: str = typer.Argument(..., help="ISO alpha-3 code or name."),
    year: int = typer.Argument(..., help="Report year of the draft."),
    deadline: str | None = typer.Option(None, "--deadline", help="Last day to answer, YYYY-MM-DD (default: the "
                                        "reply window of TIPTIERS_REPLY_WINDOWS, four weeks for a draft, two for "
                                        "the final report)."),
    questionnaire: bool = typer.Option(False, "--questionnaire", help="Send the yearly questionnaire instead."),
    final: bool = typer.Option(False, "--final", help="Send the final report (the resolved claims, the tier, the "
                               "narrative) for final comments, once the draft's window is over and every dispute "
                               "resolved; the final comments are published beside the report."),
    actor: str | None = typer.Option(None, "--as", help=ACTOR_HELP),
) -> None:
    """Send the draft (ratings, tier, narrative, cited evidence) to the government's liaison for review, or with
    --final the final report. The liaison is told by e-mail (see `tiptiers notify`)."""
    iso3 = resolve_country(country).iso3
    if final and questionnaire:
        fail("--final: the final report is the draft's second stage; drop --questionnaire", 2)
    kind = "questionnaire" if questionnaire else "draft"
    row = _write(lambda s: send_request(s, iso3, year, _actor(actor), kind, _date(deadline, "deadline"),
                                        stage="final" if final else "draft"))
    what = "final report" if final else kind
    typer.echo(f"{what} of {iso3} {year} sent (request #{row.id}); answers due by {row.deadline.isoformat()}")


@review_app.command("complete")
def review_complete(
    country: str = typer.Argument(..., help="ISO alpha-3 code or name."),
    year: int = typer.Argument(..., help="Report year."),
    actor: str = typer.Option(..., "--as", help="Who said so (e.g. the liaison's name), for the activity log."),
) -> None:
    """Record that the government has no more comments on the stage open now (the draft, or the final report once
    sent), when it said so otherwise than through the site (a letter): its deadline no longer holds things back,
    and the final report can go out before the draft's window ends."""
    iso3 = resolve_country(country).iso3
    row = _write(lambda s: complete_review(s, iso3, year, actor))
    typer.echo(f"the government's comments on the {row.domain().label} of {iso3} {year} are complete "
               f"(request #{row.id})")


@review_app.command("final-comments")
def review_final_comments(
    country: str = typer.Argument(..., help="ISO alpha-3 code or name."),
    year: int = typer.Argument(..., help="Report year."),
    text: str = typer.Option(..., "--text", help="The government's final comments, as received."),
    author: str = typer.Option(..., "--author", help="Who sent them (e.g. the liaison's name)."),
    language: str = typer.Option("en", "--language", help=LANGUAGE_HELP),
) -> None:
    """Record the government's final comments on the final report received otherwise than through the site (a
    letter); published beside the report."""
    iso3 = resolve_country(country).iso3
    row = _write(lambda s: add_final_comment(s, iso3, year, text, author, language=language))
    typer.echo(f"final comments #{row.id} of {iso3} {year} recorded")


@review_app.command("status")
def review_status_cmd(
    year: int | None = typer.Option(None, "--year", help="Only this report year."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list."),
) -> None:
    """Every country-year under review: requests sent this year, deadline, open disputes, what blocks publication."""
    with open_store()() as session:
        rows = [s.as_dict() for s in review_statuses(session, year)]
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo("nothing under review")
    for r in rows:
        sent = f"due {r['deadline']}" if r["deadline"] else "draft not sent"
        if r["completed_at"]:
            sent = f"answered {r['completed_at'][:10]}"
        typer.echo(f"{r['iso3']} {r['year']}  requests this year: {r['requests_sent']}  {sent}  "
                   f"claims: {r['claims']}  open disputes: {r['open_disputes']}")
        for reason in r["blocking"]:
            typer.echo(f"    blocks publication: {reason}")
        if r["override"]:
            typer.echo(f"    publication allowed by {r['override']['admin']}: {r['override']['reason']}")
        elif not r["blocking"]:
            typer.echo("    ready to publish")


def _claim_dict(c: Claim) -> dict[str, Any]:
    return {
        "id": c.evidence_id, "statement": c.statement, "original_statement": c.original_statement,
        "state": c.state.value, "source": c.source_name, "source_type": c.source_type.value,
        "criteria": list(c.criteria),
        "responses": [{"id": r.id, "kind": r.kind.value, "text": r.text, "counter_evidence": r.counter_evidence,
                       "author": r.author, "language": r.language,
                       "translations": [{"language": t.language, "text": t.text, "translator": t.translator,
                                         "at": t.at.isoformat(timespec="seconds")} for t in r.translations],
                       "attachment": {"sha256": r.attachment.sha256, "filename": r.attachment.filename,
                                      "public": r.attachment_public} if r.attachment else None}
                      for r in c.comments],
        "disputes": [{"id": d.id, "open": d.is_open,
                      "resolution": None if d.resolution is None else {
                          "outcome": d.resolution.outcome.value, "reason": d.resolution.reason,
                          "corrected_statement": d.resolution.corrected_statement,
                          "withdrawn": d.resolution.withdrawn}} for d in c.disputes],
    }


@review_app.command("claims")
def review_claims(
    country: str = typer.Argument(..., help="ISO alpha-3 code or name."),
    year: int = typer.Argument(..., help="Report year."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list."),
) -> None:
    """The claims of a country-year with the government's answers and the resolution of each dispute."""
    iso3 = resolve_country(country).iso3
    with open_store()() as session:
        rows = [_claim_dict(c) for c in claims(session, iso3, year)]
    if as_json:
        print_json(rows)
        return
    for c in rows:
        typer.echo(f"#{c['id']} [{c['state']}] {c['statement']}")
        if c["original_statement"]:
            typer.echo(f"    (corrected; originally: {c['original_statement']})")
        for r in c["responses"]:
            said = f"{r['text']} {r['counter_evidence']}".strip()
            typer.echo(f"    government {r['kind']} (response #{r['id']}, in {r['language']}): {said}")
            for t in r["translations"]:
                typer.echo(f"        translation ({t['language']}) by {t['translator']}: {t['text']}")
            if r["attachment"]:
                a = r["attachment"]
                typer.echo(f"        file {a['filename']} ({a['sha256'][:12]}, "
                           f"{'publishable' if a['public'] else 'not for publication'})")
        for d in c["disputes"]:
            res = d["resolution"]
            typer.echo(f"    dispute #{d['id']}: " + ("OPEN" if res is None else f"{res['outcome']} {res['reason']}"))


@review_app.command("respond")
def review_respond(
    country: str = typer.Argument(..., help="ISO alpha-3 code or name."),
    year: int = typer.Argument(..., help="Report year."),
    claim: int = typer.Argument(..., help="The claim (evidence id) answered."),
    kind: ResponseKind = typer.Argument(..., help="confirm, dispute or comment."),
    text: str = typer.Option("", "--text", help="The government's words."),
    counter_evidence: str = typer.Option("", "--counter-evidence", help="For a dispute: what shows the claim wrong, "
                                                                         "e.g. the article of law."),
    url: str = typer.Option("", "--url", help="Link to the counter-evidence."),
    file: Path | None = typer.Option(None, "--file", exists=True, dir_okay=False,
                                     help="Attach a file to a dispute or comment, e.g. a copy of the law article "
                                          "(stored once per SHA-256)."),
    publishable: bool = typer.Option(False, "--publishable",
                                     help="The government lets the public download the file once the report is "
                                          "published (default: staff and the liaison only)."),
    actor: str | None = typer.Option(None, "--as", help="The liaison answering (e.g. their user name)."),
    language: str = typer.Option("en", "--language", help=LANGUAGE_HELP),
) -> None:
    """Record a government's answer to a claim (e.g. one received by letter) while the review is open."""
    iso3 = resolve_country(country).iso3
    who = _actor(actor)

    def job(session: Session) -> Any:
        sha = _attach(session, file, who)
        return respond(session, iso3, year, claim, kind.value, text, who, counter_evidence, url,
                       attachment_sha256=sha, attachment_public=publishable, language=language)

    row = _write(job)
    typer.echo(f"{kind.value} recorded (response #{row.id})" + (" : the dispute awaits an analyst's resolution"
                                                                 if kind is ResponseKind.DISPUTE else ""))


@review_app.command("translate")
def review_translate(
    country: str = typer.Argument(..., help="ISO alpha-3 code or name."),
    year: int = typer.Argument(..., help="Report year."),
    response: int | None = typer.Option(None, "--response", help="The answer to a claim to translate (its response "
                                                                 "id, see `tiptiers review claims COUNTRY YEAR`)."),
    final_comment: int | None = typer.Option(None, "--final-comment", help="The final comments to translate (their "
                                                                           "id, see `tiptiers review claims`)."),
    answer: str | None = typer.Option(None, "--answer", help="The questionnaire answer to translate (its question "
                                                             "id, e.g. laws)."),
    language: str = typer.Option("en", "--language", help="The language of the translation (BCP 47; default en)."),
    text: str = typer.Option(..., "--text", help="The translation."),
    actor: str | None = typer.Option(None, "--as", help=ACTOR_HELP),
) -> None:
    """Add the office's translation of a government's text (give exactly one of --response, --final-comment,
    --answer). The government's words stay as written; the translation is printed beside them, marked as the
    office's. A second translation into the same language replaces the first (the log keeps it).

    Example: tiptiers review translate JPN 2027 --response 12 --language en --text "The 2005 law ..." --as ana"""
    chosen = [(kind, str(value)) for kind, value in (("response", response), ("final_comment", final_comment),
                                                     ("answer", answer)) if value is not None]
    if len(chosen) != 1:
        fail("give exactly one of --response, --final-comment, --answer: the text to translate", 2)
    [(kind, ref)] = chosen
    iso3 = resolve_country(country).iso3
    row = _write(lambda s: translate(s, iso3, year, kind, ref, language, text, _actor(actor)))
    typer.echo(f"translation ({row.language}) of {kind.replace('_', ' ')} {ref} of {iso3} {year} saved")


@review_app.command("resolve")
def review_resolve(
    dispute: int = typer.Argument(..., help="The dispute id (see `tiptiers review claims`)."),
    outcome: str = typer.Argument(..., help="accepted (the claim is corrected or withdrawn) or maintained."),
    reason: str = typer.Option("", "--reason", help="Why; required when maintained."),
    corrected: str | None = typer.Option(None, "--corrected", help="accepted: the corrected statement."),
    withdraw: bool = typer.Option(False, "--withdraw", help="accepted: withdraw the claim instead of correcting it."),
    actor: str | None = typer.Option(None, "--as", help=ACTOR_HELP),
) -> None:
    """Resolve a government's dispute of a claim."""
    _write(lambda s: resolve_dispute(s, dispute, outcome, _actor(actor), reason, corrected, withdraw))
    typer.echo(f"dispute #{dispute} {outcome}")


@review_app.command("override")
def review_override(
    country: str = typer.Argument(..., help="ISO alpha-3 code or name."),
    year: int = typer.Argument(..., help="Report year."),
    reason: str = typer.Option(..., "--reason", help="Why publication may go ahead despite what blocks it."),
    actor: str | None = typer.Option(None, "--as", help="The administrator taking the decision."),
) -> None:
    """Administrators: allow publication despite open disputes or an open review, with a written reason."""
    iso3 = resolve_country(country).iso3
    _write(lambda s: record_gate_override(s, iso3, year, reason, _actor(actor)))
    typer.echo(f"publication of {iso3} {year} allowed: {reason}")


def _cable_text(source: str) -> str:
    path = Path(source)
    if path.is_file():
        return path.read_bytes().decode("utf-8", errors="replace")
    from tiptiers.store.cables import get_cable

    with open_store()() as session:
        record = get_cable(session, source.upper())
    if record is None:
        fail(f"{source}: neither a file nor a stored cable (ingest it with `tiptiers ingest cables`)")
    return record.text


@review_app.command("dispute-from-cable")
def review_dispute_from_cable(
    source: str = typer.Argument(..., help="A cable file, or the reference id of a stored cable (08TOKYO1528)."),
    claim: int | None = typer.Option(None, "--claim", help="The evidence id the cable disputes (default: the one "
                                                           "claim of that country-year that clearly matches)."),
    actor: str | None = typer.Option(None, "--as", help="Who records it (default: cli:<your login>)."),
) -> None:
    """Record as the government's dispute what a cable reports it saying is wrong in the draft.

    The dispute quotes the cable's sentence and cites the cable and paragraph; it needs an open review of the
    country-year (`tiptiers review send`). Then an analyst resolves it like any other.
    """
    from tiptiers.review.matching import rank_claims, unique_match
    from tiptiers.sources.cables import CableParseError, parse_cable
    from tiptiers.sources.reactions import disputed_claims

    try:
        cable = parse_cable(_cable_text(source), source=source)
    except CableParseError as exc:
        fail(f"{source}: {exc}", 2)
    found = disputed_claims(cable)
    if not found:
        fail(f"{cable.reference_id or source}: the cable reports no disputed claim")
    if cable.iso3 is None or cable.report_year is None:
        fail(f"{cable.reference_id or source}: cannot tell the country or report year the cable is about")
    iso3, year = cable.iso3, cable.report_year
    with open_store()() as session:
        candidates = [(e.id, e.statement) for e in list_evidence(session, iso3, year) if e.state != "withdrawn"]
    for disputed in found:
        ranked = rank_claims(disputed.claim, candidates)
        target = claim if claim is not None else (m.evidence_id if (m := unique_match(ranked)) else None)
        if target is None:
            typer.echo(f"The cable disputes: {disputed.claim!r}. Closest claims of {iso3} {year}:")
            for m in ranked[:5]:
                typer.echo(f"  #{m.evidence_id} ({m.score:.0%}) {m.statement}")
            fail("say which with --claim ID" if ranked else f"no evidence recorded for {iso3} {year}")
        where = f"{cable.reference_id} ¶{disputed.paragraph}" if disputed.paragraph else str(cable.reference_id)
        text = f"{disputed.speaker or 'The government'}, as reported in {where}: {disputed.sentence}"
        row = _write(partial(respond, iso3=iso3, year=year, evidence_id=target, kind="dispute", text=text,
                             author=_actor(actor), counter_evidence=f"diplomatic reporting {where}"))
        typer.echo(f"dispute #{row.id} of claim #{target} ({iso3} {year}) recorded from {where}")


def register(app: typer.Typer) -> None:
    app.add_typer(evidence_app, name="evidence")
    app.add_typer(review_app, name="review")
