"""The job queue: `tiptiers worker` runs it, `tiptiers queue` shows it and retries what failed."""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

import typer

from tiptiers.cli.common import EXIT_USAGE, fail, open_store, print_json
from tiptiers.store import jobs, notices
from tiptiers.store.db import transaction

queue_app = typer.Typer(help="The job queue (notices, whole-report PDFs): list jobs, retry failed ones.",
                        no_args_is_help=True)


def worker(
    concurrency: int = typer.Option(1, "--concurrency", min=1, max=32, help="Jobs run side by side (PostgreSQL "
                                    "only; SQLite runs one at a time)."),
    name: str = typer.Option(f"worker@{os.uname().nodename}", "--name", help="How this worker is named in logs."),
    once: bool = typer.Option(False, "--once", help="Run the jobs due now, say what happened, and exit (from cron, "
                              "or to empty the queue before a backup)."),
    as_json: bool = typer.Option(False, "--json", help="With --once: print what happened as JSON."),
) -> None:
    """Run queued jobs until stopped (Ctrl-C or SIGTERM lets the running job finish). Start it on any number of
    hosts: on PostgreSQL each job runs once, however many workers there are. `tiptiers serve` runs one too unless
    started with --no-jobs."""
    jobs.load_handlers()
    sessions = open_store()
    if once:
        notices.sweep(sessions)
        report = jobs.run_due(sessions, worker=name)
        if as_json:
            print_json(report.as_dict())
        else:
            typer.echo(f"{report.done} done, {report.retried} to retry, {report.failed} failed, "
                       f"{report.waiting} waiting for settings" + "".join(f"\n  {e}" for e in report.errors))
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    typer.echo(f"{name}: running the job queue ({', '.join(sorted(jobs.HANDLERS))}); Ctrl-C stops", err=True)
    jobs.work(sessions, concurrency=concurrency, name=name, before_each=notices.sweep, stop=stop)


def _row(job: jobs.Job) -> str:
    when = job.finished_at if job.finished_at else job.run_at
    error = f"\n    {job.last_error}" if job.last_error else ""
    return (f"#{job.id:<6} {job.state:<8} {job.task:<14} attempts {job.attempts}/{job.max_attempts}  "
            f"{'finished' if job.finished_at else 'due'} {when:%Y-%m-%d %H:%M:%S}{error}")


@queue_app.command("list")
def queue_list(
    state: str | None = typer.Option(None, "--state", help=f"Only jobs in this state: {', '.join(jobs.STATES)}."),
    limit: int = typer.Option(50, "--limit", min=1, max=10000, help="At most this many, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Jobs, newest first: queued (with when they are due), running, done, failed (with their error)."""
    if state is not None and state not in jobs.STATES:
        fail(f"--state: {state!r} is not one of {', '.join(jobs.STATES)}", EXIT_USAGE)
    with open_store()() as session:
        found = jobs.list_jobs(session, state, limit)
    if as_json:
        print_json([j.as_dict() for j in found])
        return
    for job in found:
        typer.echo(_row(job))
    if not found:
        typer.echo("no jobs" + (f" {state}" if state else ""))


@queue_app.command("retry")
def queue_retry(
    job_ids: list[int] = typer.Argument(None, help="Jobs to run again (numbers from `tiptiers queue list`)."),
    all_failed: bool = typer.Option(False, "--all-failed", help="Every failed job."),
    as_json: bool = typer.Option(False, "--json", help="Print the jobs as JSON."),
) -> None:
    """Put failed jobs back in the queue for one more attempt, or run a job waiting for its next attempt now.
    A job failed because its worker stopped may have run already (a notice may have left): check before."""
    if not job_ids and not all_failed:
        fail("give job numbers or --all-failed", EXIT_USAGE)
    done: list[dict[str, Any]] = []
    with transaction(open_store()) as session:
        ids = list(job_ids or []) + ([j.id for j in jobs.list_jobs(session, "failed", 10000)] if all_failed else [])
        for job_id in dict.fromkeys(ids):
            try:
                done.append(jobs.requeue(session, job_id).as_dict())
            except LookupError as exc:
                fail(str(exc), EXIT_USAGE)  # nothing requeued: the transaction rolls back
    if as_json:
        print_json(done)
    else:
        typer.echo(f"{len(done)} job(s) queued to run now" + "".join(f"\n  #{j['id']} {j['task']}" for j in done))


def register(app: typer.Typer) -> None:
    app.command()(worker)
    app.add_typer(queue_app, name="queue")
