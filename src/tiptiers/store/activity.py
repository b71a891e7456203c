"""The activity log: who changed what, when, before and after. Append-only and tamper-evident.

Each entry is numbered (`seq`, 1, 2, 3, ... with no gaps) and stores `hash = SHA-256(prev_hash + canonical JSON of
the entry)`, where `prev_hash` is its predecessor's hash (64 zeros for the first). A one-row head table (made with
the first entry) holds the number and hash of the last entry; appending updates it first, which serialises writers
on SQLite and PostgreSQL alike (no forked chain) and lets `verify` notice the last entries being deleted, not only
edited or removed ones.

Call `record` inside the transaction of the change it describes: both commit, or neither does. That is enforced,
not only asked: a Session transaction that inserted, updated or deleted rows of a table of stored data and wrote no
entry is refused at commit (`UnloggedWrite`, everything rolled back). The few tables that are bookkeeping, not
stored data, are listed in `BOOKKEEPING`, each with its reason.

Subjects name what changed as `kind:REST`, where REST is, for whatever belongs to a country's report year,
`ISO3/YEAR` (`assessment:JPN/2026`, `review:JPN/2026`, `narrative:JPN/2008`, `override:JPN/2010`,
`placement:JPN/2010`), for a whole report year `YEAR` (`publication:2026`, `placements:2010`), for a span of
years `FIRST-LAST` (`placements:2001-2025`), and otherwise the record's own key (`evidence:17`, `user:ann`,
`cable:08TOKYO1528`). `scope(entry)` reads the country and year a change belongs to (from the subject, else the
entry's before/after), for whoever must know what a change touched (the page cache invalidates those pages).

The chain alone cannot catch someone with write access who edits an entry and then recomputes every later hash and
the head. An anchor closes that: the number and hash of an entry written down outside the database (`tiptiers log
head`, kept in a release note, an e-mail, a file in git); `verify(anchors=...)` then checks the log still holds that
exact entry, so a rewrite of anything at or before an anchored entry is found.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, Text, event, select, update
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, UOWTransaction, mapped_column
from sqlalchemy.sql.elements import TextClause

from tiptiers.store.models import Base

GENESIS = "0" * 64
HEAD_ID = 1


class ActivityEntry(Base):
    __tablename__ = "activity_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(100), index=True)
    subject: Mapped[str] = mapped_column(String(300), index=True)
    before_json: Mapped[str | None] = mapped_column(Text)
    after_json: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    @property
    def before(self) -> Any:
        return json.loads(self.before_json) if self.before_json is not None else None

    @property
    def after(self) -> Any:
        return json.loads(self.after_json) if self.after_json is not None else None

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": self.at.isoformat(), "actor": self.actor, "action": self.action,
                "subject": self.subject, "before": self.before, "after": self.after, "hash": self.hash}


class ActivityHead(Base):
    """The number and hash of the last entry (one row, id 1)."""

    __tablename__ = "activity_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


@dataclass(frozen=True)
class Problem:
    seq: int | None  # the entry at fault, when one can be named
    message: str

    def __str__(self) -> str:
        return self.message


def insert_if_absent(session: Session, model: type[Base], values: dict[str, Any]) -> None:
    """INSERT unless a row with this primary key exists (a concurrent insert of the same row is no error)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(model).values(**values).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(sqlite_insert(model).values(**values).on_conflict_do_nothing())


def _json(value: dict[str, Any] | None) -> str | None:
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_hash(prev_hash: str, seq: int, at: datetime, actor: str, action: str, subject: str,
               before_json: str | None, after_json: str | None) -> str:
    canonical = json.dumps([seq, at.isoformat(timespec="microseconds"), actor, action, subject, before_json,
                            after_json], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def record(session: Session, actor: str, action: str, subject: str, before: dict[str, Any] | None,
           after: dict[str, Any] | None) -> ActivityEntry:
    """Append an entry in the caller's transaction. `before`/`after` are JSON-able dicts (other values as str)."""
    for field, value, limit in (("actor", actor, 200), ("action", action, 100), ("subject", subject, 300)):
        if not value or not str(value).strip():
            raise ValueError(f"{field}: must not be empty in an activity-log entry")
        if len(value) > limit:
            raise ValueError(f"{field}: {len(value)} characters, at most {limit}")
    # Take the head row first: the write lock (SQLite) or row lock (PostgreSQL) orders concurrent appends.
    bump = update(ActivityHead).where(ActivityHead.id == HEAD_ID).values(seq=ActivityHead.seq + 1)
    if not getattr(session.execute(bump), "rowcount", 1):  # the very first entry: make the head, then take it
        insert_if_absent(session, ActivityHead, {"id": HEAD_ID, "seq": 0, "hash": GENESIS})
        session.execute(bump)
    head = session.execute(select(ActivityHead.seq, ActivityHead.hash).where(ActivityHead.id == HEAD_ID)).one()
    seq, prev_hash = int(head.seq), str(head.hash)
    at = datetime.now(UTC).replace(tzinfo=None)
    before_json, after_json = _json(before), _json(after)
    digest = entry_hash(prev_hash, seq, at, actor, action, subject, before_json, after_json)
    entry = ActivityEntry(seq=seq, at=at, actor=actor, action=action, subject=subject, before_json=before_json,
                          after_json=after_json, prev_hash=prev_hash, hash=digest)
    session.add(entry)
    session.execute(update(ActivityHead).where(ActivityHead.id == HEAD_ID).values(hash=digest))
    session.flush()
    session.info[_LOGGED] = True
    return entry


# --- nothing stored unlogged ---------------------------------------------------------------------------------------

BOOKKEEPING: dict[str, str] = {  # tables written without an entry: not what the system stores, or the log itself
    "activity_log": "the log itself",
    "activity_head": "the log's head row, moved by every entry",
    "alembic_version": "the schema's migration state (tiptiers db upgrade)",
    "user_sessions": "a browser's sign-in: login and logout are logged; last-seen times and expiry are not changes",
    "login_failures": "the login throttle's counters, kept for its window",
    "app_secrets": "the cookie-signing key, made on first use",
    "jobs": "the job queue (SQLite): work in flight, not data",
    "job_notes": "the job queue's notes (PostgreSQL): work in flight, not data",
    "search_documents": "the full-text index, derived from the cables it indexes",
    "countries": "the country table, copied from the package's ISO 3166 list (tiptiers.countries), never edited here",
    "report_pdfs": "whole-report PDFs, made by the queue from the published narratives (a rendering, not data)",
}


class UnloggedWrite(RuntimeError):
    """A transaction changed stored data and wrote no activity-log entry: refused, nothing of it stored."""


_WRITTEN = "tiptiers_written_tables"
_LOGGED = "tiptiers_logged"
_TEXT_DML = re.compile(r"^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)


def _note_pending(session: Session) -> None:
    """The tables of the ORM changes about to be flushed (new, deleted, and really modified objects)."""
    written: set[str] = session.info.setdefault(_WRITTEN, set())
    for obj in (*session.new, *session.deleted, *(o for o in session.dirty if session.is_modified(o))):
        mapper = getattr(obj, "__mapper__", None)
        if mapper is not None:
            written.update(t.name for t in mapper.tables)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    _note_pending(session)


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    """INSERT/UPDATE/DELETE statements run through the session (Core or text), not only the unit of work."""
    statement = state.statement
    table = None
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(getattr(statement, "table", None), "name", None)
    elif isinstance(statement, TextClause):
        found = _TEXT_DML.match(statement.text)
        table = found.group(1) if found else None
    if table:
        state.session.info.setdefault(_WRITTEN, set()).add(table)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint: the outer transaction's commit is checked
        return
    _note_pending(session)  # commit flushes after this event: count what it is about to write
    changed = sorted(t for t in session.info.get(_WRITTEN, set()) - set(BOOKKEEPING)
                     if not t.startswith("procrastinate_"))  # the job queue on PostgreSQL: work in flight
    if changed and not session.info.get(_LOGGED):
        raise UnloggedWrite(f"this transaction changed {', '.join(changed)} without an activity-log entry: call "
                            "activity.record(...) in the same transaction (or, for bookkeeping that is not stored "
                            "data, list the table in activity.BOOKKEEPING with the reason); nothing was stored")


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the outermost transaction: committed or rolled back, start afresh
        session.info.pop(_WRITTEN, None)
        session.info.pop(_LOGGED, None)


# --- what a change touched -----------------------------------------------------------------------------------------

_ISO3_YEAR = re.compile(r"(?:^|[:/])([A-Z]{3})/(\d{4})(?:$|[/:])")
_YEAR = re.compile(r"^[a-z_]+:(\d{4})(?:-(\d{4}))?$")


def scope(entry: ActivityEntry | dict[str, Any]) -> tuple[str | None, int | None]:
    """The country (ISO3) and report year a change belongs to, each None when it is not about one: from the subject
    (`narrative:JPN/2008` -> ("JPN", 2008); `publication:2026` -> (None, 2026); `placements:2001-2025` -> (None,
    None), several years; `user:ann` -> (None, None)), else from the `iso3` and `year` of its after (or before) state
    (`evidence:17` of Japan's 2026 claim -> ("JPN", 2026)). Pure: reads the entry, not the database."""
    if isinstance(entry, ActivityEntry):
        subject, states = entry.subject, (entry.after, entry.before)
    else:
        subject, states = str(entry.get("subject", "")), (entry.get("after"), entry.get("before"))
    found = _ISO3_YEAR.search(subject)
    if found:
        return found.group(1), int(found.group(2))
    years = _YEAR.match(subject)
    if years:
        return None, int(years.group(1)) if years.group(2) is None else None
    for state in states:
        if isinstance(state, dict):
            iso3, year = state.get("iso3"), state.get("year")
            iso3 = iso3 if isinstance(iso3, str) and re.fullmatch(r"[A-Z]{3}", iso3) else None
            year = year if isinstance(year, int) and not isinstance(year, bool) else None
            if iso3 or year:
                return iso3, year
    return None, None


def entries(session: Session, *, actor: str | None = None, action: str | None = None, subject: str | None = None,
            before_seq: int | None = None, limit: int = 100) -> Sequence[ActivityEntry]:
    """Newest first. `action` and `subject` match a prefix (`evidence.` or `JPN/2026`); `before_seq` pages back."""
    query = select(ActivityEntry).order_by(ActivityEntry.seq.desc()).limit(max(1, min(limit, 1000)))
    if actor:
        query = query.where(ActivityEntry.actor == actor)
    if action:
        query = query.where(ActivityEntry.action.startswith(action, autoescape=True))
    if subject:
        query = query.where(ActivityEntry.subject.startswith(subject, autoescape=True))
    if before_seq is not None:
        query = query.where(ActivityEntry.seq < before_seq)
    return session.scalars(query).all()


def _walk(session: Session) -> Iterator[ActivityEntry]:
    yield from session.scalars(select(ActivityEntry).order_by(ActivityEntry.seq).execution_options(yield_per=1000))


def count(session: Session) -> int:
    """How many entries the log should hold (the head's number)."""
    row = session.get(ActivityHead, HEAD_ID)
    return row.seq if row else 0


@dataclass(frozen=True)
class Anchor:
    """An entry's number and hash, kept outside the database."""

    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> Anchor:
        """`SEQ:HASH` or `SEQ HASH` (what `tiptiers log head` prints); ValueError naming what is wrong."""
        parts = text.replace(":", " ").split()
        if len(parts) != 2 or not parts[0].isdigit() or int(parts[0]) < 1:
            raise ValueError(f"{text.strip()!r} is not an anchor: write the entry number and its hash, e.g. "
                             f"'42:{'ab' * 32}'")
        digest = parts[1].lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError(f"{text.strip()!r}: the hash must be 64 hexadecimal digits (SHA-256)")
        return cls(int(parts[0]), digest)


def head(session: Session) -> Anchor | None:
    """The last entry's number and hash, to keep outside the database; None while the log is empty."""
    row = session.get(ActivityHead, HEAD_ID)
    return Anchor(row.seq, row.hash) if row else None


def verify(session: Session, progress: Callable[[int], None] | None = None,
           anchors: Sequence[Anchor] = ()) -> list[Problem]:
    """Every break in the chain: an entry edited, deleted (a gap, or the last ones gone) or inserted out of order,
    and every anchor the log no longer matches.

    `progress(n)` is called after every n entries checked (for a progress bar).
    """
    problems: list[Problem] = []
    anchored = {a.seq: a for a in anchors}
    expected_seq, prev_hash = 1, GENESIS
    for i, entry in enumerate(_walk(session), 1):
        if progress is not None and i % 1000 == 0:
            progress(1000)
        if entry.seq != expected_seq:
            missing = f"{expected_seq}" if entry.seq == expected_seq + 1 else f"{expected_seq}-{entry.seq - 1}"
            problems.append(Problem(expected_seq, f"entry {missing} deleted (the log jumps to {entry.seq})"))
        if entry.prev_hash != prev_hash:
            problems.append(Problem(entry.seq, f"entry {entry.seq}: does not follow its predecessor "
                                               "(its prev_hash does not match; an entry before it was changed)"))
        recomputed = entry_hash(entry.prev_hash, entry.seq, entry.at, entry.actor, entry.action, entry.subject,
                                entry.before_json, entry.after_json)
        if recomputed != entry.hash:
            problems.append(Problem(entry.seq, f"entry {entry.seq}: edited (its content does not match its hash)"))
        anchor = anchored.pop(entry.seq, None)
        if anchor is not None and anchor.hash != entry.hash:
            problems.append(Problem(entry.seq, f"entry {entry.seq}: does not match its anchor {anchor} kept outside "
                                               f"the database; the log was rewritten at or before entry {entry.seq}"))
        expected_seq, prev_hash = entry.seq + 1, entry.hash
    last = session.get(ActivityHead, HEAD_ID)
    last_seq = expected_seq - 1
    if last is None:
        if last_seq:  # made with the first entry, never removed
            problems.append(Problem(None, "the log's head row was deleted"))
    elif last.seq != last_seq or last.hash != prev_hash:
        if last.seq > last_seq:
            gone = f"{last_seq + 1}" if last.seq == last_seq + 1 else f"{last_seq + 1}-{last.seq}"
            problems.append(Problem(last_seq + 1, f"entry {gone} deleted (the log should end at entry {last.seq})"))
        else:
            problems.append(Problem(last.seq, f"the log's head (entry {last.seq}) does not match its last entry "
                                              f"({last_seq})"))
    for anchor in sorted(anchored.values(), key=lambda a: a.seq):
        problems.append(Problem(anchor.seq, f"entry {anchor.seq} of anchor {anchor} is missing from the log: "
                                            "entries were deleted"))
    return problems
