"""The job interface: work queued in the database, run by a worker, retried on failure, never run twice.

This module is the whole interface; callers use only what follows, so that the queue can later move to a
PostgreSQL job library (Procrastinate or PgQueuer, issue 19) by rewriting this module alone:

- `enqueue(session, task, payload, key=..., run_at=..., max_attempts=...)`: in the caller's transaction (the job
  exists only if the change that asked for it commits). A `key` makes the job unique: enqueueing the same key again
  does nothing (a reminder is queued once however often the sweep runs).
- `@handler(task, ready=...)`: the function that runs a task, `fn(sessions, payload)`; `ready()` false leaves the
  task's jobs queued untouched (notices without SMTP settings wait in the queue).
- `run_due(sessions)`: run every job whose time has come, once (`tiptiers notify run`); `Worker`: a thread that
  does so every few seconds (`tiptiers serve`).
- `list_jobs`, `Job.as_dict`: what staff see.

Semantics: a job is claimed by one conditional UPDATE (queued -> running) committed before it runs, so two workers
(threads, processes, machines) never both run it. A handler that raises is retried with a growing delay up to
`max_attempts`, then marked failed with its error. A job found `running` after its worker went away (past
`STALE_AFTER`) is marked failed, not run again: at most once, because a notice may already have left.
"""

from __future__ import annotations

import json
import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Integer, String, Text, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from tiptiers.store.models import Base

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=15)
STATES = ("queued", "running", "done", "failed")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task: Mapped[str] = mapped_column(String(100), index=True)
    payload: Mapped[str] = mapped_column(Text)
    key: Mapped[str | None] = mapped_column(String(300), unique=True)
    state: Mapped[str] = mapped_column(String(10), index=True)
    attempts: Mapped[int] = mapped_column(Integer)
    max_attempts: Mapped[int] = mapped_column(Integer)
    run_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    locked_by: Mapped[str | None] = mapped_column(String(100))
    locked_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "task": self.task, "state": self.state, "attempts": self.attempts,
                "max_attempts": self.max_attempts, "run_at": self.run_at.isoformat(),
                "last_error": self.last_error, "finished_at": self.finished_at.isoformat() if self.finished_at
                else None}


@dataclass(frozen=True)
class Handler:
    run: Callable[[sessionmaker[Session], dict[str, Any]], None]
    ready: Callable[[], bool] = lambda: True


HANDLERS: dict[str, Handler] = {}


def handler(task: str, ready: Callable[[], bool] | None = None) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register the function that runs `task` jobs."""
    def register(fn: Callable[..., None]) -> Callable[..., None]:
        HANDLERS[task] = Handler(fn, ready or (lambda: True))
        return fn
    return register


def enqueue(session: Session, task: str, payload: dict[str, Any], *, key: str | None = None,
            run_at: datetime | None = None, max_attempts: int = 5) -> Job | None:
    """Queue a job in the caller's transaction; None when a job with this `key` already exists."""
    if key is not None and session.scalar(select(Job.id).where(Job.key == key)) is not None:
        return None
    now = utcnow()
    job = Job(task=task, payload=json.dumps(payload, sort_keys=True, default=str), key=key, state="queued",
              attempts=0, max_attempts=max(1, max_attempts), run_at=run_at or now, created_at=now)
    try:
        with session.begin_nested():  # a concurrent enqueue of the same key: theirs stands, ours is dropped
            session.add(job)
    except IntegrityError:
        return None
    return job


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... at most an hour."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


@dataclass
class RunReport:
    done: int = 0
    retried: int = 0
    failed: int = 0
    waiting: int = 0  # due, but their handler is not ready (e.g. no SMTP settings)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"done": self.done, "retried": self.retried, "failed": self.failed, "waiting": self.waiting,
                "errors": self.errors}


def _claim(sessions: sessionmaker[Session], job_id: int, worker: str, now: datetime) -> bool:
    with sessions.begin() as session:
        claimed = session.execute(update(Job).where(Job.id == job_id, Job.state == "queued")
                                  .values(state="running", locked_by=worker[:100], locked_at=now,
                                          attempts=Job.attempts + 1))
        return bool(getattr(claimed, "rowcount", 0))


def _fail_stale(sessions: sessionmaker[Session], now: datetime) -> None:
    with sessions.begin() as session:
        session.execute(update(Job).where(Job.state == "running", Job.locked_at < now - STALE_AFTER).values(
            state="failed", finished_at=now,
            last_error="the worker stopped while running it; not run again, it may have run (requeue by hand)"))


def run_due(sessions: sessionmaker[Session], *, now: datetime | None = None, worker: str = "worker",
            limit: int = 100) -> RunReport:
    """Run the jobs due now (oldest first), each in its own claim; what happened, counted."""
    now = now or utcnow()
    report = RunReport()
    _fail_stale(sessions, now)
    with sessions() as session:
        due = session.execute(select(Job.id, Job.task).where(Job.state == "queued", Job.run_at <= now)
                              .order_by(Job.run_at, Job.id).limit(limit)).all()
    for job_id, task in due:
        entry = HANDLERS.get(task)
        if entry is None or not entry.ready():
            report.waiting += 1
            continue
        if not _claim(sessions, job_id, worker, now):
            continue  # another worker has it
        with sessions() as session:
            payload = json.loads(session.get_one(Job, job_id).payload)
        try:
            entry.run(sessions, payload)
        except Exception as exc:  # a handler's failure is the job's, never the worker's
            error = f"{type(exc).__name__}: {exc}"
            log.warning("job %s (%s) failed: %s\n%s", job_id, task, error, traceback.format_exc())
            with sessions.begin() as session:
                job = session.get_one(Job, job_id)
                job.last_error = error[:2000]
                if job.attempts < job.max_attempts:
                    job.state, job.run_at, job.locked_by = "queued", now + backoff(job.attempts), None
                    report.retried += 1
                else:
                    job.state, job.finished_at = "failed", now
                    report.failed += 1
            report.errors.append(f"job {job_id} ({task}): {error}")
            continue
        with sessions.begin() as session:
            session.execute(update(Job).where(Job.id == job_id).values(state="done", finished_at=utcnow(),
                                                                        last_error=None))
        report.done += 1
    return report


def list_jobs(session: Session, state: str | None = None, limit: int = 200) -> list[Job]:
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if state:
        query = query.where(Job.state == state)
    return list(session.scalars(query))


def requeue(session: Session, job_id: int) -> Job:
    """Put a failed job back in the queue (by hand: the staff member judged it safe to run again)."""
    job = session.get(Job, job_id)
    if job is None or job.state != "failed":
        raise LookupError(f"job: no failed job #{job_id}")
    job.state, job.run_at, job.attempts, job.locked_by = "queued", utcnow(), 0, None
    return job


class Worker(threading.Thread):
    """Runs `run_due` every `interval` seconds until `stop()`; what `tiptiers serve` starts."""

    def __init__(self, sessions: sessionmaker[Session], interval: float = 5.0, name: str = "tiptiers-worker",
                 before_each: Callable[[sessionmaker[Session]], object] | None = None):
        """`before_each(sessions)` runs before every round (e.g. queue the reminders that fall due)."""
        super().__init__(name=name, daemon=True)
        self.sessions, self.interval, self.before_each = sessions, interval, before_each
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                if self.before_each is not None:
                    self.before_each(self.sessions)
                run_due(self.sessions, worker=self.name)
            except Exception:  # the database away for a moment: try again next round
                log.exception("the job worker could not run the queue")
            self._stop_event.wait(self.interval)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop_event.set()
        self.join(timeout)
