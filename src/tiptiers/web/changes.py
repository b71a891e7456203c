"""What changed in the database since this process last looked, from the activity log: the one source of change for
the state a process keeps (the page cache of published pages, the publication schedule the embargo checks).

Every write records an activity-log entry in its own transaction (store/activity.py), numbered without gaps, so
"the entries after the last one seen" is exactly what changed, and each entry's subject names the country and
year it touched (`Scope`). How a process learns that there are new entries:
- SQLite: `PRAGMA data_version` on a connection of its own, read on every request (no I/O: it changes whenever
  another connection commits); when it moved, one query for the entries since.
- PostgreSQL: each insert into activity_log NOTIFYs `tiptiers_activity` (a trigger, migration 0018); a thread of
  the process LISTENs on a connection of its own and reads the entries since on each notice, so a write on one
  host drops the pages it changed on every host within milliseconds, with no query per request. A commit made by
  this process is also seen before its next request (read your own writes), without waiting for the notice.
  While the listening connection is down nothing is kept (`live` is False) and the schedule is read per request;
  once it is back, the entries missed are read as usual.
If the log went backwards or was rewritten (a restore into the running database), everything is dropped.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import weakref
from collections.abc import Callable, Hashable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from tiptiers.countries import country_table
from tiptiers.store import publication as pubstore
from tiptiers.store.activity import ActivityEntry, ActivityHead
from tiptiers.store.db import NOTIFY_CHANNEL, listen, notices

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scope:
    """What a change touched, or what a page shows: a country, a year, both, or (None, None) anything."""

    iso3: str | None = None
    year: int | None = None

    def overlaps(self, other: Scope) -> bool:
        return ((self.iso3 is None or other.iso3 is None or self.iso3 == other.iso3)
                and (self.year is None or other.year is None or self.year == other.year))


EVERYTHING = Scope()
NO_PUBLIC_EFFECT = ("user:",)  # accounts, sessions, tokens, notice preferences: no published page shows them
NOT_EMBARGOED = ("cable",)  # cables are shown whatever their report year (a country's timeline, search)
_COUNTRY_YEAR = re.compile(r"(?<![A-Za-z])([A-Z]{3})/(\d{4})(?!\d)|(?<!\d)(\d{4})/(?:[^/]*/)?([A-Z]{3})(?![A-Za-z])")
_YEARS = re.compile(r"(?<![\d.])(\d{4})(?:-(\d{4}))?(?![\d.])")


def scopes_of(subject: str) -> list[Scope]:
    """What the entry with this subject may have changed (`JPN/2026`, `list:tier2wl/2026/JPN`, `placements:2001-2015`,
    `2027`); [] for a change no published page shows; [EVERYTHING] when the subject names neither."""
    if subject.startswith(NO_PUBLIC_EFFECT):
        return []
    known = country_table()
    found = [Scope(m[1] or m[4], int(m[2] or m[3])) for m in _COUNTRY_YEAR.finditer(subject)
             if known.get(m[1] or m[4]) is not None]
    if found:
        return found
    years = [(int(m[1]), int(m[2] or m[1])) for m in _YEARS.finditer(subject)]
    if years and all(1990 <= a <= b < a + 100 for a, b in years):
        return [Scope(None, y) for a, b in years for y in range(a, b + 1)]
    return [EVERYTHING]


_EVIDENCE = re.compile(r"^evidence:(\d+)$")


def _evidence_scopes(session: Session, subjects: list[str]) -> dict[str, list[Scope]]:
    """`evidence:ID` subjects (a claim recorded, answered, corrected) with their country and year, in one query."""
    from tiptiers.store.evidence import Evidence

    ids = {int(m[1]): s for s in subjects if (m := _EVIDENCE.match(s))}
    if not ids:
        return {}
    rows = session.execute(select(Evidence.id, Evidence.iso3, Evidence.year).where(Evidence.id.in_(list(ids))))
    return {ids[r.id]: [Scope(r.iso3, r.year)] for r in rows}


@dataclass(frozen=True)
class Batch:
    """New entries seen at once: the scopes they touched (only those a published page may show), or everything."""

    scopes: tuple[Scope, ...]
    everything: bool = False


Listener = Callable[[Batch], None]
T = TypeVar("T")
MAX_REMEMBERED = 512


class Changes:
    """One per app: the activity log's head as last seen, the publication schedule, and who to tell."""

    def __init__(self, engine: Engine, sessions: sessionmaker[Session]):
        self.engine = engine
        # Catching up reads on a connection of its own: from the app's pool it would wait behind the routes (and
        # every anonymous request waits for the catch-up). PostgreSQL: one per catch-up (once per burst of writes),
        # so that an app holds only its listening connection while idle.
        postgres = engine.url.get_backend_name() == "postgresql"
        self._reader = create_engine(engine.url, poolclass=NullPool) if postgres else \
            create_engine(engine.url, pool_size=1, max_overflow=0)
        self.sessions = sessionmaker(self._reader)
        self.backend = engine.url.get_backend_name()
        self._listeners: list[Listener] = []
        self._remembered: dict[Hashable, Any] = {}  # values derived from published data (`remembered`)
        self._remembered_epoch = 0
        self._listeners.append(self._forget)
        self._lock = threading.Lock()  # one catch-up at a time (request threads, the listening thread)
        self._head: tuple[int, str] | None = None  # (seq, hash) of the last entry seen; None: not read yet
        self._schedule: pubstore.Schedule | None = None
        self._dirty = True  # read the log before trusting anything
        self._live = False  # SQLite: the data version can be read; PostgreSQL: the listening connection is up
        self._broken = False  # the last catch-up failed
        self._stopped = threading.Event()
        in_memory = self.backend == "sqlite" and engine.url.database in (None, "", ":memory:")
        self._version = _SqliteVersion(engine) if self.backend == "sqlite" and not in_memory else None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()  # PostgreSQL: the listening thread made its first attempt
        self.listening_pid: int | None = None
        self._supported = self.backend == "postgresql" or self._version is not None
        _ALL.add(self)

    # --- what others ask ---------------------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remembered(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`, kept until the next change a published page may show: for a value derived from published
        data only (the key names every input, the published years included), such as the year's movements that the
        home, movements and year pages all show and that take tens of milliseconds to audit. Logged-in visitors,
        whose pages the page cache does not keep, get it too. Computed afresh while changes are not followed."""
        if self.pending():
            self.catch_up()
        if not self.live:
            return compute()
        try:
            return self._remembered[key]
        except KeyError:
            pass
        epoch = self._remembered_epoch
        value = compute()
        if epoch == self._remembered_epoch:  # nothing changed while it was computed
            if len(self._remembered) >= MAX_REMEMBERED:
                self._remembered.clear()
            self._remembered[key] = value
        return value

    def _forget(self, batch: Batch) -> None:
        self._remembered_epoch += 1
        self._remembered = {}

    @property
    def live(self) -> bool:
        """Changes are being followed: what was kept may be trusted."""
        return self._supported and self._live and not self._broken

    def pending(self) -> bool:
        """Called before each request is answered, cheap: True when `catch_up` should run first (SQLite: another
        connection committed; PostgreSQL: this process committed, or the listening thread is not started)."""
        if not self._supported:
            return False
        if self._version is not None:
            version = self._version()
            self._live = version is not None
            if version is not None and version != self._version.seen:
                self._version.seen = version
                self._dirty = True
        elif not self._ready.is_set():
            return True
        # a catch-up under way (the listening thread's) may not have told the listeners yet: wait for it
        return (self._dirty or self._lock.locked()) and (self._live or self._version is None)

    @property
    def cached_schedule(self) -> pubstore.Schedule | None:
        """The schedule as last read (a new object only when it changed); None before the first catch-up."""
        return self._schedule

    def schedule(self, session: Session) -> pubstore.Schedule:
        """The publication schedule: as last read while changes are followed, else from `session`."""
        cached = self._schedule
        if cached is not None and self.live and not self._dirty:
            return cached
        return pubstore.schedule(session)

    def poke(self) -> None:
        """This process committed a change: read the log before the next answer."""
        self._dirty = True

    def stop(self) -> None:
        self._stopped.set()
        self._reader.dispose()
        if self._version is not None:
            self._version.close()

    # --- catching up ---------------------------------------------------------------------------------------------

    def catch_up(self) -> None:
        """Read the entries since the last seen and the schedule; tell the listeners what they touched."""
        if self.backend == "postgresql" and not self._ready.is_set():
            self._start_listening()
            self._ready.wait(5)  # the first request: LISTEN first, so that nothing is missed after it
        self._catch_up()

    def _catch_up(self, woken: bool = False) -> None:
        with self._lock:  # also waits for a catch-up under way, whose result the caller needs
            if not (self._dirty or woken):
                return
            self._dirty = False
            try:
                batch = self._read()
            except Exception:  # the database went away: trust nothing until it is back
                log.warning("could not read the activity log; published pages are not kept meanwhile", exc_info=True)
                self._dirty = self._broken = True
                self._head = None
                return
            self._broken = False
            if batch is not None:
                for listener in self._listeners:
                    listener(batch)

    def _read(self) -> Batch | None:
        with self.sessions() as session:
            head = session.execute(select(ActivityHead.seq, ActivityHead.hash)).first()
            now_head = (int(head.seq), str(head.hash)) if head else (0, "")
            schedule = pubstore.schedule(session)
            first = self._head is None
            changed_schedule = self._schedule is not None and schedule != self._schedule
            if self._schedule is None or changed_schedule:
                self._schedule = schedule
            if first or changed_schedule:
                self._head = now_head
                return Batch((), everything=True)
            assert self._head is not None
            seen_seq, seen_hash = self._head
            if now_head == self._head:
                return None
            self._head = now_head
            if now_head[0] < seen_seq:  # the log went backwards: a restore
                return Batch((), everything=True)
            rows = session.execute(select(ActivityEntry.seq, ActivityEntry.subject, ActivityEntry.prev_hash)
                                   .where(ActivityEntry.seq > seen_seq).order_by(ActivityEntry.seq)).all()
            if not rows or (rows[0].prev_hash != seen_hash and seen_seq):  # rewritten under us
                return Batch((), everything=True)
            found = _evidence_scopes(session, [r.subject for r in rows])
        scopes: list[Scope] = []
        for row in rows:
            for scope in found.get(row.subject) or scopes_of(row.subject):
                if scope.year is not None and not row.subject.startswith(NOT_EMBARGOED) \
                        and not schedule.is_public(scope.year, pubstore.utcnow()):
                    continue  # a year under embargo: no published page shows it (its publication drops everything)
                if scope == EVERYTHING:
                    return Batch((), everything=True)
                scopes.append(scope)
        return Batch(tuple(dict.fromkeys(scopes))) if scopes else None

    # --- PostgreSQL: LISTEN in a thread of its own ----------------------------------------------------------------

    def _start_listening(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=_follow, args=(weakref.ref(self), self.engine),
                                                    name="tiptiers-changes", daemon=True)
                    self._thread.start()


def _follow(ref: weakref.ref[Changes], engine: Engine) -> None:
    """The listening thread: holds the app's Changes only weakly, so an app no longer used ends it."""
    delay = 0.5
    while True:
        changes = ref()
        if changes is None or changes._stopped.is_set():
            return
        del changes
        try:
            with listen(engine, NOTIFY_CHANNEL) as connection:
                changes = ref()
                if changes is None:
                    return
                changes.listening_pid = connection.info.backend_pid  # for a test that cuts it
                changes._dirty = True  # what was missed before LISTEN took effect
                changes._live = True
                changes._catch_up()
                changes._ready.set()
                del changes
                delay = 0.5
                while True:
                    woken = notices(connection, timeout=1.0)
                    changes = ref()
                    if changes is None or changes._stopped.is_set():
                        return
                    if woken:
                        changes._catch_up(woken=True)
                    del changes
        except Exception:
            log.warning("lost the connection that follows changes; retrying", exc_info=True)
        changes = ref()
        if changes is not None:
            changes._live = False
            changes._ready.set()  # nobody waits for a database that is not there
        del changes
        time.sleep(delay)
        delay = min(delay * 2, 5.0)


class _SqliteVersion:
    """`PRAGMA data_version` on a connection of its own, outside the pool: changes when another connection
    commits; None when it cannot be read."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.seen: object = None
        self._connection: Any = None
        self._lock = threading.Lock()  # the test client may call from more than one thread

    def __call__(self) -> object | None:
        with self._lock:
            try:
                if self._connection is None:
                    pooled = self.engine.raw_connection()
                    self._connection = pooled.driver_connection
                    pooled.detach()  # kept for good, outside the pool's count
                    self._connection.isolation_level = None
                cursor = self._connection.cursor()
                cursor.execute("PRAGMA data_version")
                row = cursor.fetchone()
                cursor.close()
                return row[0] if row else None
            except Exception:  # the file went away: keep nothing, reconnect next time
                self.close()
                return None

    def close(self) -> None:
        if self._connection is not None:
            with suppress(Exception):  # closing a broken connection
                self._connection.close()
            self._connection = None


# --- this process's own commits: seen before its next answer ----------------------------------------------------

_ALL: weakref.WeakSet[Changes] = weakref.WeakSet()
_WROTE = "tiptiers.changes.wrote"


def _touches(objects: Iterable[object]) -> bool:
    return any(isinstance(o, ActivityEntry | pubstore.Publication) for o in objects)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    if _touches(session.new) or _touches(session.dirty) or _touches(session.deleted):
        session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_WROTE, False):
        for changes in list(_ALL):
            changes.poke()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_WROTE, None)
