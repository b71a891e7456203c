"""The job interface: work queued in the database, run by a worker, retried on failure, never run twice.

Callers use only what follows; what runs the queue depends on the database:

- `enqueue(session, task, payload, key=..., run_at=..., max_attempts=...)`: in the caller's transaction (the job
  exists only if the change that asked for it commits). A `key` makes the job unique: enqueueing the same key again
  does nothing, ever (a notice is sent once however often it is asked for; a report is made once per publication).
- `@handler(task, ready=...)`: the function that runs a task, `fn(sessions, payload)`; `ready()` false leaves the
  task's jobs queued untouched (notices without SMTP settings wait in the queue).
- `run_due(sessions)`: run every job whose time has come, once (`tiptiers notify run`); `Worker`: a thread that
  keeps doing so (`tiptiers serve`); `work(sessions)`: the same in the foreground (`tiptiers worker`).
- `list_jobs`, `get_job`, `requeue`: what staff see and do (`tiptiers queue`).

On SQLite (one machine) the queue is the `jobs` table: a job is claimed by one conditional UPDATE (queued ->
running) committed before it runs, so two workers (threads, `serve --workers N` processes) never both run it.

On PostgreSQL (several app hosts) the queue is Procrastinate's (`procrastinate_jobs`, schema in migration 0016):
its workers take a job with SELECT ... FOR UPDATE SKIP LOCKED, so any number of them on any number of hosts run
each job once; they wake on its LISTEN/NOTIFY when a job is queued and send heartbeats. Procrastinate keeps
neither a job's key for good nor its error, so `job_notes` keeps those beside it. Procrastinate rather than PgQueuer:
its retries are rows in the database (a job waiting for its next attempt survives a restart of every worker; PgQueuer
retries in the memory of the worker that failed), failed jobs stay listed and can be retried (`retry_job_by_id`),
jobs can be deferred through a connection the caller already holds (so in its transaction), and its schema comes as
plain SQL for our Alembic chain.

Either way: a handler that raises is retried with a growing delay up to `max_attempts`, then marked failed with its
error. A job found running after its worker went away (SQLite: past `STALE_AFTER`; PostgreSQL: its worker's heartbeat
stopped) is marked failed, not run again: at most once, because a notice may already have left.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, Integer, String, Text, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from tiptiers.store.db import transaction
from tiptiers.store.models import Base

if TYPE_CHECKING:  # Procrastinate (and psycopg) load only when the queue runs on PostgreSQL: every CLI command
    import procrastinate  # imports this module


log = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=15)
STALE_ERROR = "the worker stopped while running it; not run again, it may have run (requeue by hand)"
STATES = ("queued", "running", "done", "failed")
HEARTBEAT_TIMEOUT = 60.0  # seconds without a heartbeat after which a PostgreSQL worker counts as gone


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Job:
    """A job as staff see it, on either backend."""

    id: int
    task: str
    state: str  # one of STATES
    attempts: int
    max_attempts: int
    run_at: datetime
    last_error: str | None = None
    finished_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "task": self.task, "state": self.state, "attempts": self.attempts,
                "max_attempts": self.max_attempts, "run_at": self.run_at.isoformat(),
                "last_error": self.last_error, "finished_at": self.finished_at.isoformat() if self.finished_at
                else None}


class JobRow(Base):
    """The queue on SQLite."""

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

    def job(self) -> Job:
        return Job(self.id, self.task, self.state, self.attempts, self.max_attempts, self.run_at, self.last_error,
                   self.finished_at)


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


def load_handlers() -> None:
    """Import the modules whose import registers the handlers a worker runs."""
    from tiptiers.publish import reportpdf  # noqa: F401  (report.pdf)
    from tiptiers.store import notices  # noqa: F401  (notice.send, mail.send)


def _postgres(bind: Any) -> bool:
    return bool(bind is not None and bind.dialect.name == "postgresql")


def _engine(sessions: sessionmaker[Session]) -> Engine:
    bind = sessions.kw["bind"]
    assert isinstance(bind, Engine)
    return bind


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

    def failure(self, job_id: int, task: str, exc: BaseException, final: bool) -> str:
        error = f"{type(exc).__name__}: {exc}"
        log.warning("job %s (%s) failed: %s\n%s", job_id, task, error, traceback.format_exc())
        if final:
            self.failed += 1
        else:
            self.retried += 1
        self.errors.append(f"job {job_id} ({task}): {error}")
        return error[:2000]


def enqueue(session: Session, task: str, payload: dict[str, Any], *, key: str | None = None,
            run_at: datetime | None = None, max_attempts: int = 5) -> Job | None:
    """Queue a job in the caller's transaction; None when a job with this `key` already exists."""
    now = utcnow()
    payload = json.loads(json.dumps(payload, sort_keys=True, default=str))
    max_attempts = max(1, max_attempts)
    if _postgres(session.get_bind()):
        return _pg_enqueue(session, task, payload, key, run_at or now, max_attempts)
    if key is not None and session.scalar(select(JobRow.id).where(JobRow.key == key)) is not None:
        return None
    row = JobRow(task=task, payload=json.dumps(payload, sort_keys=True), key=key, state="queued", attempts=0,
                 max_attempts=max_attempts, run_at=run_at or now, created_at=now)
    try:
        with session.begin_nested():  # a concurrent enqueue of the same key: theirs stands, ours is dropped
            session.add(row)
    except IntegrityError:
        return None
    return row.job()


# --- SQLite: the jobs table ---------------------------------------------------------------------------------------


def _claim(sessions: sessionmaker[Session], job_id: int, worker: str, now: datetime) -> bool:
    with transaction(sessions) as session:
        claimed = session.execute(update(JobRow).where(JobRow.id == job_id, JobRow.state == "queued")
                                  .values(state="running", locked_by=worker[:100], locked_at=now,
                                          attempts=JobRow.attempts + 1))
        return bool(getattr(claimed, "rowcount", 0))


def _fail_stale(sessions: sessionmaker[Session], now: datetime) -> None:
    with transaction(sessions) as session:
        session.execute(update(JobRow).where(JobRow.state == "running", JobRow.locked_at < now - STALE_AFTER).values(
            state="failed", finished_at=now,
            last_error=STALE_ERROR))


def _sqlite_run_due(sessions: sessionmaker[Session], now: datetime, worker: str, limit: int) -> RunReport:
    report = RunReport()
    _fail_stale(sessions, now)
    with sessions() as session:
        due = session.execute(select(JobRow.id, JobRow.task).where(JobRow.state == "queued", JobRow.run_at <= now)
                              .order_by(JobRow.run_at, JobRow.id).limit(limit)).all()
    for job_id, task in due:
        entry = HANDLERS.get(task)
        if entry is None or not entry.ready():
            report.waiting += 1
            continue
        if not _claim(sessions, job_id, worker, now):
            continue  # another worker has it
        with sessions() as session:
            payload = json.loads(session.get_one(JobRow, job_id).payload)
        try:
            entry.run(sessions, payload)
        except Exception as exc:  # a handler's failure is the job's, never the worker's
            with transaction(sessions) as session:
                row = session.get_one(JobRow, job_id)
                final = row.attempts >= row.max_attempts
                row.last_error = report.failure(job_id, task, exc, final)
                if final:
                    row.state, row.finished_at = "failed", now
                else:
                    row.state, row.run_at, row.locked_by = "queued", now + backoff(row.attempts), None
            continue
        with transaction(sessions) as session:
            session.execute(update(JobRow).where(JobRow.id == job_id).values(state="done", finished_at=utcnow(),
                                                                              last_error=None))
        report.done += 1
    return report


# --- PostgreSQL: Procrastinate ------------------------------------------------------------------------------------

_PG_STATES = {"todo": "queued", "doing": "running", "succeeded": "done", "failed": "failed", "cancelled": "failed",
              "aborting": "running", "aborted": "failed"}


def _in_transaction(session: Session) -> Any:
    """A Procrastinate connector that runs its queries on the session's own connection, inside its transaction."""
    import procrastinate
    connection = session.connection().connection.driver_connection

    class InTransaction(procrastinate.SyncPsycopgConnector):
        @property
        def pool(self) -> Any:
            return self  # stands in for the pool: lends the one connection, never commits it

        def connection(self) -> Any:
            return contextlib.nullcontext(connection)

    return InTransaction()


def _pg_app(connector: Any) -> procrastinate.App:
    import procrastinate

    app = procrastinate.App(connector=connector)
    for task in HANDLERS:
        app.task(name=task, queue=task, pass_context=True, retry=_per_job_retry())(_pg_task(task))
    return app


def _pg_enqueue(session: Session, task: str, payload: dict[str, Any], key: str | None, run_at: datetime,
                max_attempts: int) -> Job | None:
    import procrastinate

    try:
        with session.begin_nested():
            if key is not None:
                session.execute(text("INSERT INTO job_notes (key) VALUES (:key)"), {"key": key})
            app = procrastinate.App(connector=_in_transaction(session))
            job_id = app.configure_task(name=task, queue=task, allow_unknown=True,
                                        schedule_at=run_at.replace(tzinfo=UTC)).defer(
                payload=payload, max_attempts=max_attempts)
            if key is not None:
                session.execute(text("UPDATE job_notes SET job_id = :id WHERE key = :key"), {"id": job_id, "key": key})
    except IntegrityError:  # the key was taken, now or by a concurrent transaction
        return None
    return Job(job_id, task, "queued", 0, max_attempts, run_at)


def _per_job_retry() -> Any:
    """Procrastinate's retry decision from the job's own max_attempts, with our back-off."""
    from procrastinate.retry import BaseRetryStrategy, RetryDecision

    class PerJobRetry(BaseRetryStrategy):
        def get_retry_decision(self, *, exception: BaseException, job: Any) -> RetryDecision | None:
            attempts = job.attempts + 1  # this one included
            if attempts >= int(job.task_kwargs.get("max_attempts", 5)):
                return None
            return RetryDecision(retry_in={"seconds": int(backoff(attempts).total_seconds())})

    return PerJobRetry()


def _pg_task(task: str) -> Callable[..., None]:
    def run(context: Any, payload: dict[str, Any], max_attempts: int = 5) -> None:
        extra = context.additional_context
        sessions: sessionmaker[Session] = extra["sessions"]
        report: RunReport = extra["report"]
        entry = HANDLERS[task]
        try:
            entry.run(sessions, payload)
        except Exception as exc:
            final = context.job.attempts + 1 >= max_attempts
            _note_error(sessions, context.job.id, report.failure(context.job.id, task, exc, final))
            raise
        report.done += 1
    run.__name__ = run.__qualname__ = f"run_{task.replace('.', '_')}"
    return run


def _conninfo(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _ready_queues() -> list[str]:
    return [task for task, entry in HANDLERS.items() if entry.ready()]


def _pg_waiting(sessions: sessionmaker[Session]) -> int:
    unready = [task for task, entry in HANDLERS.items() if not entry.ready()]
    if not unready:
        return 0
    with sessions() as session:
        return int(session.scalar(text(
            "SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo' AND scheduled_at <= now() "
            "AND queue_name = ANY(:queues)"), {"queues": unready}) or 0)


async def _pg_fail_stalled(app: procrastinate.App, sessions: sessionmaker[Session]) -> None:
    """Jobs whose worker stopped sending heartbeats: failed (at most once), for staff to retry by hand."""
    from procrastinate import jobs as pjobs

    for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=HEARTBEAT_TIMEOUT):
        assert job.id is not None
        log.warning("job %s (%s): its worker stopped; marked failed, not run again", job.id, job.task_name)
        await app.job_manager.finish_job_by_id_async(job.id, status=pjobs.Status.FAILED, delete_job=False)
        await asyncio.to_thread(_note_error, sessions, job.id, STALE_ERROR)


def _note_error(sessions: sessionmaker[Session], job_id: int, error: str) -> None:
    with transaction(sessions) as session:
        session.execute(text("INSERT INTO job_notes (job_id, last_error) VALUES (:id, :error) "
                             "ON CONFLICT (job_id) DO UPDATE SET last_error = EXCLUDED.last_error"),
                        {"id": job_id, "error": error})


async def _pg_work(sessions: sessionmaker[Session], report: RunReport, *, wait: bool, name: str,
                   concurrency: int = 1, before_each: Callable[[sessionmaker[Session]], object] | None = None,
                   interval: float = 5.0) -> None:
    import procrastinate

    app = _pg_app(procrastinate.PsycopgConnector(conninfo=_conninfo(_engine(sessions)), min_size=1,
                                                 max_size=concurrency + 2))
    options: dict[str, Any] = dict(queues=_ready_queues(), wait=wait, name=name, concurrency=concurrency,
                                   install_signal_handlers=False, listen_notify=wait,
                                   additional_context={"sessions": sessions, "report": report},
                                   stalled_worker_timeout=HEARTBEAT_TIMEOUT, fetch_job_polling_interval=interval)
    async with app.open_async():
        await _pg_fail_stalled(app, sessions)
        if not options["queues"]:
            return
        if not wait:
            if before_each is not None:
                await asyncio.to_thread(before_each, sessions)
            await app.run_worker_async(**options)
            return

        async def rounds() -> None:
            while True:
                try:
                    if before_each is not None:
                        await asyncio.to_thread(before_each, sessions)
                    await _pg_fail_stalled(app, sessions)
                except Exception:  # the database away for a moment: next round
                    log.exception("the job worker's round failed")
                await asyncio.sleep(max(interval, 30.0))

        side = asyncio.create_task(rounds())
        try:
            await app.run_worker_async(**options)
        finally:
            side.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await side


# --- either backend -----------------------------------------------------------------------------------------------


def run_due(sessions: sessionmaker[Session], *, now: datetime | None = None, worker: str = "worker",
            limit: int = 100) -> RunReport:
    """Run the jobs due now (oldest first), each once; what happened, counted. `now` (SQLite only, for tests of the
    back-off) pretends the clock says so."""
    if _postgres(_engine(sessions)):
        if now is not None:
            raise ValueError("now: the PostgreSQL queue runs by the database's clock (requeue a job to run it now)")
        report = RunReport(waiting=_pg_waiting(sessions))
        asyncio.run(_pg_work(sessions, report, wait=False, name=worker))
        return report
    return _sqlite_run_due(sessions, now or utcnow(), worker, limit)


def work(sessions: sessionmaker[Session], *, concurrency: int = 1, name: str = "tiptiers-worker",
         before_each: Callable[[sessionmaker[Session]], object] | None = None, interval: float = 5.0,
         stop: threading.Event | None = None) -> None:
    """Run the queue until `stop` is set (or Ctrl-C): `tiptiers worker`, and the thread of `tiptiers serve`."""
    stop = stop or threading.Event()
    if not _postgres(_engine(sessions)):
        while not stop.is_set():
            try:
                if before_each is not None:
                    before_each(sessions)
                run_due(sessions, worker=name)
            except Exception:  # the database away for a moment: try again next round
                log.exception("the job worker could not run the queue")
            stop.wait(interval)
        return

    async def until_stopped() -> None:
        task = asyncio.create_task(_pg_work(sessions, RunReport(), wait=True, name=name, concurrency=concurrency,
                                            before_each=before_each, interval=interval))
        while not task.done() and not stop.is_set():
            await asyncio.sleep(0.2)
        task.cancel()  # Procrastinate lets the running jobs finish
        with contextlib.suppress(asyncio.CancelledError):
            await task

    while not stop.is_set():
        try:
            asyncio.run(until_stopped())
        except Exception:  # the database away: start again
            log.exception("the job worker stopped; starting again")
            stop.wait(interval)


class Worker(threading.Thread):
    """`work` in a thread until `stop()`: what `tiptiers serve` starts."""

    def __init__(self, sessions: sessionmaker[Session], interval: float = 5.0, name: str = "tiptiers-worker",
                 before_each: Callable[[sessionmaker[Session]], object] | None = None):
        """`before_each(sessions)` runs before every round (e.g. queue the reminders that fall due)."""
        super().__init__(name=name, daemon=True)
        self.sessions, self.interval, self.before_each = sessions, interval, before_each
        self._stop_event = threading.Event()

    def run(self) -> None:
        work(self.sessions, name=self.name, before_each=self.before_each, interval=self.interval,
             stop=self._stop_event)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop_event.set()
        self.join(timeout)


_PG_LIST = """
SELECT j.id, j.task_name, j.status, j.attempts, j.scheduled_at, j.args, n.last_error,
       (SELECT max(e.at) FROM procrastinate_events e WHERE e.job_id = j.id
         AND e.type IN ('succeeded', 'failed', 'cancelled', 'aborted')) AS finished_at
  FROM procrastinate_jobs j LEFT JOIN job_notes n ON n.job_id = j.id
"""


def _pg_job(row: Any) -> Job:
    def naive(at: datetime | None) -> datetime | None:
        return at.astimezone(UTC).replace(tzinfo=None) if at is not None else None

    state = _PG_STATES.get(row.status, "failed")
    args = row.args if isinstance(row.args, dict) else json.loads(row.args or "{}")
    return Job(int(row.id), row.task_name, state, int(row.attempts), int(args.get("max_attempts", 5)),
               naive(row.scheduled_at) or utcnow(), row.last_error if state != "done" else None,
               naive(row.finished_at))


def list_jobs(session: Session, state: str | None = None, limit: int = 200) -> list[Job]:
    """Newest first; `state` one of STATES."""
    if state is not None and state not in STATES:
        raise ValueError(f"state: {state!r} is not one of {', '.join(STATES)}")
    if _postgres(session.get_bind()):
        statuses = [s for s, ours in _PG_STATES.items() if state in (None, ours)]
        rows = session.execute(text(_PG_LIST + " WHERE j.status::text = ANY(:statuses) ORDER BY j.id DESC LIMIT :n"),
                               {"statuses": statuses, "n": limit})
        return [_pg_job(r) for r in rows]
    query = select(JobRow).order_by(JobRow.id.desc()).limit(limit)
    if state:
        query = query.where(JobRow.state == state)
    return [r.job() for r in session.scalars(query)]


def get_job(session: Session, job_id: int) -> Job | None:
    if _postgres(session.get_bind()):
        row = session.execute(text(_PG_LIST + " WHERE j.id = :id"), {"id": job_id}).first()
        return _pg_job(row) if row is not None else None
    found = session.get(JobRow, job_id)
    return found.job() if found is not None else None


def requeue(session: Session, job_id: int) -> Job:
    """A failed job back in the queue for one more attempt (by hand: staff judged it safe to run again; failing
    again, it is failed again); a job waiting for its next attempt runs now."""
    job = get_job(session, job_id)
    if job is None or job.state not in ("failed", "queued"):
        raise LookupError(f"job: no failed or queued job #{job_id}")
    if _postgres(session.get_bind()):
        import procrastinate

        if job.state == "failed":
            procrastinate.App(connector=_in_transaction(session)).job_manager.retry_job_by_id(
                job_id, retry_at=datetime.now(UTC))
        else:
            session.execute(text("UPDATE procrastinate_jobs SET scheduled_at = now() "
                                 "WHERE id = :id AND status = 'todo'"), {"id": job_id})
    else:
        row = session.get_one(JobRow, job_id)
        row.state, row.run_at, row.locked_by = "queued", utcnow(), None
    session.flush()
    found = get_job(session, job_id)
    assert found is not None
    return found
