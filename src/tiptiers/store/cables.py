"""Cables in the store: every version of each cable, its reaction codes and disputed claims, and its search entry.

Ingest is batched (one executemany per table per batch) and idempotent: a cable whose reference id and text are
already stored is skipped; a changed text is kept as a new version, which becomes the current one.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    cast,
    func,
    literal,
    select,
)
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, sessionmaker

from tiptiers.sources.cable_files import CableInput
from tiptiers.sources.cables import (
    Cable,
    CableParseError,
    CableSource,
    filed_as,
    parse_source,
    read_cable_file,
    read_release_row,
    reference_hint,
)
from tiptiers.sources.reactions import ReactionCoding, code_reactions
from tiptiers.store import activity
from tiptiers.store.db import transaction
from tiptiers.store.models import Base
from tiptiers.store.search import DocumentIn, core_insert, index_rows, pack_bytes, unpack

SEARCH_KIND = "cable"


class CableRecord(Base):
    __tablename__ = "cables"
    __table_args__ = (UniqueConstraint("reference_id", "version", name="uq_cables_reference_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference_id: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean)
    text_sha256: Mapped[str] = mapped_column(String(64))
    station: Mapped[str] = mapped_column(String(60))
    serial: Mapped[int] = mapped_column(Integer)
    classification: Mapped[str] = mapped_column(String(40))
    caveats: Mapped[str] = mapped_column(String(200))
    iso3: Mapped[str | None] = mapped_column(String(3), index=True)
    report_year: Mapped[int | None] = mapped_column(Integer, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    subject: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[str] = mapped_column(String(400))
    reactions: Mapped[str] = mapped_column(String(400))
    # the text as released and every parsed field (JSON), compressed together: the paragraphs repeat the text, which
    # one zstd stream stores once (about 6 KB for a cable of 10 KB; the two apart, about 9)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    source: Mapped[str] = mapped_column(String(500))
    ingested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    reaction_rows: Mapped[list[CableReactionRecord]] = relationship(order_by="CableReactionRecord.id",
                                                                    cascade="all, delete-orphan")
    disputed_claims: Mapped[list[DisputedClaimRecord]] = relationship(order_by="DisputedClaimRecord.id",
                                                                      cascade="all, delete-orphan")


    @property
    def text(self) -> str:
        return _unpacked(self)[0]

    @property
    def parsed(self) -> dict[str, Any]:
        return _unpacked(self)[1]


def pack_content(text: str, parsed_json: str | bytes) -> bytes:
    """Text and fields (JSON, as text or UTF-8) in one stream; a cable's text has no NUL (the parser refuses one)."""
    encoded = parsed_json if isinstance(parsed_json, bytes) else parsed_json.encode("utf-8")
    return pack_bytes(text.encode("utf-8") + b"\x00" + encoded)


def cable_json(cable: Cable) -> bytes:
    """`Cable.to_dict()` as JSON (UTF-8), made by orjson from the dataclasses themselves: the same values in a
    fifth of the time (0.13 -> 0.03 ms per real cable). The standard library's where orjson cannot (a lone
    surrogate)."""
    try:
        return orjson.dumps(cable)
    except orjson.JSONEncodeError:
        return json.dumps(cable.to_dict()).encode("utf-8")


def unpack_content(content: bytes) -> tuple[str, dict[str, Any]]:
    text, _, parsed = unpack(content).partition("\x00")
    return text, orjson.loads(parsed)  # the values json.loads gives, in a third of the time


def cable_bodies(connection: Connection, refs: Sequence[str]) -> dict[str, str]:
    """The current versions' bodies (paragraphs, as the search index is built from them), by reference id: on
    PostgreSQL the search documents of cables keep no body of their own (store/search.py, _BODY_SOURCES)."""
    found: dict[str, str] = {}
    for i in range(0, len(refs), 500):
        for ref, content in connection.execute(select(CableRecord.reference_id, CableRecord.content).where(
                CableRecord.reference_id.in_(refs[i:i + 500]), CableRecord.is_current.is_(True))):
            found[ref] = "\n\n".join(p["text"] for p in unpack_content(content)[1]["paragraphs"])
    return found


def _unpacked(record: CableRecord) -> tuple[str, dict[str, Any]]:
    """The record's text and fields, unpacked once per loaded record."""
    cached = record.__dict__.get("_unpacked")
    if cached is None or cached[0] is not record.content:
        cached = (record.content, unpack_content(record.content))
        record.__dict__["_unpacked"] = cached
    return cached[1]


class CableReactionRecord(Base):
    __tablename__ = "cable_reactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cable_id: Mapped[int] = mapped_column(ForeignKey("cables.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40), index=True)
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class DisputedClaimRecord(Base):
    __tablename__ = "cable_disputed_claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cable_id: Mapped[int] = mapped_column(ForeignKey("cables.id", ondelete="CASCADE"), index=True)
    claim: Mapped[str] = mapped_column(Text)
    sentence: Mapped[str] = mapped_column(Text)
    paragraph: Mapped[int | None] = mapped_column(Integer)
    speaker: Mapped[str | None] = mapped_column(String(100))
    rule: Mapped[str] = mapped_column(String(60))



@dataclass(frozen=True)
class ParsedCable:
    """What ingest stores for one file, as the rows to insert: plain strings and numbers, JSON columns as JSON
    text. Made where the file is parsed (a worker process), so that handing it over is cheap and the process that
    writes does little more than insert."""

    reference_id: str
    text_sha256: str
    row: dict[str, Any]  # the cables row, less version, is_current and ingested_at; `content` packed
    reactions: list[dict[str, Any]]  # cable_reactions rows less cable_id; `citations` as JSON text
    claims: list[dict[str, Any]]  # cable_disputed_claims rows less cable_id
    document: dict[str, object]  # its search_documents row

    @classmethod
    def of(cls, cable: Cable, text: str, source: str, coding: ReactionCoding | None = None) -> ParsedCable:
        coding = coding if coding is not None else code_reactions(cable)
        row = {
            "reference_id": cable.reference_id, "text_sha256": cable.text_sha256, "station": cable.station_name,
            "serial": cable.serial, "classification": cable.classification or "", "caveats": " ".join(cable.caveats),
            "iso3": cable.iso3, "report_year": cable.report_year, "sent_at": cable.created, "subject": cable.subject,
            "tags": " ".join(cable.tags), "reactions": " ".join(coding.codes),
            "content": pack_content(text, cable_json(cable)), "source": source[:500],
        }
        reactions = [{"code": r.code, "citations": json.dumps(
            [{"paragraph": cite.paragraph, "sentence": cite.sentence, "rule": cite.rule, "speaker": cite.speaker}
             for cite in r.citations])}
            for r in coding.reactions]
        claims = [{"claim": d.claim, "sentence": d.sentence, "paragraph": d.paragraph, "speaker": d.speaker,
                   "rule": d.rule} for d in coding.disputed_claims]
        document = DocumentIn(kind=SEARCH_KIND, ref_id=cable.reference_id, title=cable.subject or cable.reference_id,
                              body=cable.body, iso3=cable.iso3, year=cable.report_year, tags=cable.tags,
                              classification=cable.classification, reactions=coding.codes).row()
        return cls(cable.reference_id, cable.text_sha256, row, reactions, claims, document)


@dataclass
class IngestResult:
    added: int = 0
    new_versions: int = 0
    skipped: int = 0
    added_refs: list[str] = field(default_factory=list)

    def __iadd__(self, other: IngestResult) -> IngestResult:
        self.added += other.added
        self.new_versions += other.new_versions
        self.skipped += other.skipped
        self.added_refs += other.added_refs
        return self

    def __str__(self) -> str:
        return f"{self.added} added, {self.new_versions} new versions, {self.skipped} unchanged (skipped)"


def _json_text(name: str, dialect: str) -> Any:
    """A bound JSON column value given as JSON text (PostgreSQL is told it is JSON, SQLite stores text anyway)."""
    value = bindparam(name, type_=Text)
    return cast(value, JSON) if dialect == "postgresql" else value


def stored_texts(session: Session, refs: Sequence[str]) -> dict[str, set[str]]:
    """The text SHA-256 of every stored version of these cables, by reference id."""
    found: dict[str, set[str]] = {}
    for i in range(0, len(refs), 500):
        for ref, sha in session.execute(select(CableRecord.reference_id, CableRecord.text_sha256).where(
                CableRecord.reference_id.in_(refs[i:i + 500]))):
            found.setdefault(ref, set()).add(sha)
    return found


def store_cables(session: Session, items: Sequence[ParsedCable], actor: str = "system") -> IngestResult:
    """Store a batch in the caller's transaction: new cables, new versions of changed ones; skip the unchanged.
    One activity-log entry for the batch names every cable stored, its country and its report year."""
    result = IngestResult()
    if not items:
        return result
    refs = sorted({i.reference_id for i in items})
    current: dict[str, tuple[int, str, int]] = {}  # reference id -> (row id, sha256, version)
    for i in range(0, len(refs), 500):
        query = select(CableRecord.reference_id, CableRecord.id, CableRecord.text_sha256, CableRecord.version).where(
            CableRecord.reference_id.in_(refs[i:i + 500]), CableRecord.is_current.is_(True))
        current.update({r: (row_id, sha, v) for r, row_id, sha, v in session.execute(query)})
    known_shas = stored_texts(session, [r for r in refs if r in current])
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    row_of: dict[str, int] = {}  # reference id -> its last row in this batch
    kept: list[ParsedCable] = []
    superseded: list[int] = []
    for item in items:
        ref, sha = item.reference_id, item.text_sha256
        if sha in known_shas.get(ref, set()) or (ref in current and current[ref][1] == sha):
            result.skipped += 1
            continue
        version = 1
        if ref in current:
            row_id, _, old_version = current[ref]
            version = old_version + 1
            if row_id > 0:
                superseded.append(row_id)
            result.new_versions += 1
        else:
            result.added += 1
            result.added_refs.append(ref)
        current[ref] = (0, sha, version)
        known_shas.setdefault(ref, set()).add(sha)
        # a second version of the same cable in this batch supersedes the first one
        if ref in row_of:
            rows[row_of[ref]]["is_current"] = False
        row_of[ref] = len(rows)
        rows.append({**item.row, "version": version, "is_current": True, "ingested_at": now})
        kept.append(item)
    if not rows:
        return result
    dialect = session.get_bind().dialect.name
    if superseded:
        session.execute(sql_update(CableRecord).where(CableRecord.id.in_(superseded)).values(is_current=False))
    # executemany; ids read back below (RETURNING is slower here)
    session.execute(core_insert(CableRecord), rows)
    stored: dict[tuple[str, int], int] = {}
    new_refs = sorted(row_of)
    for i in range(0, len(new_refs), 500):
        stored.update({(r, v): row_id for row_id, r, v in session.execute(
            select(CableRecord.id, CableRecord.reference_id, CableRecord.version).where(
                CableRecord.reference_id.in_(new_refs[i:i + 500])))})
    ids = [stored[(row["reference_id"], row["version"])] for row in rows]
    reaction_rows = [{**r, "cable_id": cable_id} for cable_id, item in zip(ids, kept, strict=True)
                     for r in item.reactions]
    claim_rows = [{**d, "cable_id": cable_id} for cable_id, item in zip(ids, kept, strict=True) for d in item.claims]
    if reaction_rows:
        session.execute(core_insert(CableReactionRecord).values(citations=_json_text("citations", dialect)),
                        reaction_rows)
    if claim_rows:
        session.execute(core_insert(DisputedClaimRecord), claim_rows)
    index_rows(session, [item.document for item, row in zip(kept, rows, strict=True) if row["is_current"]],
               body_kept_elsewhere=True)  # the body is the current version's paragraphs (cable_bodies)
    stored_refs = sorted({row["reference_id"] for row in rows})
    one = rows[0] if len(stored_refs) == 1 else None
    activity.record(session, actor, "cables.ingest",
                    f"cable:{stored_refs[0]}" if one else f"cables:{stored_refs[0]}..{stored_refs[-1]}", None,
                    {"cables": [[row["reference_id"], row.get("iso3"), row.get("report_year"), row["version"]]
                                for row in rows],
                     **({"iso3": one.get("iso3"), "year": one.get("report_year")} if one else {})})
    return result


def get_cable(session: Session, reference_id: str, version: int | None = None) -> CableRecord | None:
    """The current version of a cable (or the version asked for); reference ids match in any case."""
    query = select(CableRecord).where(CableRecord.reference_id == reference_id.upper())
    query = query.where(CableRecord.version == version) if version else query.where(CableRecord.is_current.is_(True))
    return session.scalars(query).first()


def cable_versions(session: Session, reference_id: str) -> list[tuple[int, str, datetime]]:
    query = (select(CableRecord.version, CableRecord.text_sha256, CableRecord.ingested_at)
             .where(CableRecord.reference_id == reference_id.upper()).order_by(CableRecord.version))
    return [(v, sha, at) for v, sha, at in session.execute(query)]


def country_cables(session: Session, iso3: str) -> list[CableRecord]:
    """Current cables about a country, oldest first."""
    query = (select(CableRecord).where(CableRecord.iso3 == iso3, CableRecord.is_current.is_(True))
             .order_by(CableRecord.sent_at.asc().nulls_last(), CableRecord.reference_id))
    return list(session.scalars(query))


@dataclass(frozen=True)
class CableRow:
    """What a list of cables shows of one: no text."""

    reference_id: str
    sent_at: datetime | None
    report_year: int | None
    subject: str | None
    classification: str
    tags: tuple[str, ...]
    reactions: tuple[str, ...]


@dataclass(frozen=True)
class CablePage:
    total: int  # the country's cables that pass the filters
    cables: list[CableRow]


def _padded(column: Any) -> Any:
    """A space-separated codes column as ' A B ': a code is matched whole with LIKE '% A %'."""
    return literal(" ") + column + literal(" ")


def timeline_page(session: Session, iso3: str, *, year: int | None = None, tag: str | None = None,
                  classification: str | None = None, reaction: str | None = None, limit: int = 50,
                  offset: int = 0, newest_first: bool = False) -> CablePage:
    """A page of a country's current cables, oldest first (or newest), filtered by report year, TAGS code,
    classification and reaction code; the count of all that pass. Reads the listed columns only, along the index
    on (iso3, is_current, sent_at), so a page costs the same at 250,000 cables as at 600."""
    c = CableRecord
    conditions = [c.iso3 == iso3.upper(), c.is_current.is_(True)]
    if year is not None:
        conditions.append(c.report_year == year)
    if tag:
        conditions.append(_padded(c.tags).contains(f" {tag.upper()} ", autoescape=True))
    if classification:
        conditions.append(c.classification == classification.upper())
    if reaction:
        conditions.append(_padded(c.reactions).contains(f" {reaction} ", autoescape=True))
    total = session.scalar(select(func.count()).select_from(c).where(*conditions)) or 0
    order = ([c.sent_at.desc().nulls_last(), c.reference_id.desc()] if newest_first
             else [c.sent_at.asc().nulls_last(), c.reference_id])
    rows = session.execute(select(c.reference_id, c.sent_at, c.report_year, c.subject, c.classification, c.tags,
                                  c.reactions).where(*conditions).order_by(*order).limit(limit).offset(offset))
    return CablePage(total, [CableRow(r.reference_id, r.sent_at, r.report_year, r.subject, r.classification,
                                      tuple(r.tags.split()), tuple(r.reactions.split())) for r in rows])


def cable_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(CableRecord).where(CableRecord.is_current.is_(True))) or 0


# --- ingest -------------------------------------------------------------------------------------------------

@dataclass
class IngestReport:
    result: IngestResult = field(default_factory=IngestResult)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (file, what was wrong)
    files: int = 0


def _source_of(item: CableInput) -> CableSource:
    """The cable an input holds, as its form gives it (a CSV row, or a file's bytes: an HTML page or a text)."""
    return read_release_row(item.row, item.name) if item.row is not None else read_cable_file(item.data, item.name)


def prepare(item: CableInput) -> ParsedCable | tuple[str, str]:
    """Read (an HTML page, a plain text, a CSV row: told apart by content), parse, code and make the rows of one
    input; a bad one gives (name, message) instead. Runs in worker processes."""
    name = item.name
    if item.error is not None:
        return name, item.error
    try:
        found = _source_of(item)
        cable = parse_source(found, name, reference_hint(name))
    except CableParseError as exc:
        return name, str(exc).removeprefix(f"{name}: ")
    return ParsedCable.of(cable, found.stored_text, name)


class _StoredSkipper:
    """Takes out of a batch, before it is parsed, the inputs already stored with the same text: running an
    interrupted ingest again goes through what it stored at the speed of reading, not of parsing (the release's
    cables.csv: seconds instead of minutes). Looks while it finds some, so that a new file costs it one batch."""

    def __init__(self, factory: sessionmaker[Session]):
        with factory() as session:
            self.looking = session.scalar(select(CableRecord.id).limit(1)) is not None
        self.factory = factory

    def unstored(self, chunk: list[CableInput]) -> list[CableInput]:
        if not self.looking:
            return chunk
        filed: list[tuple[str, str] | None] = []
        for item in chunk:
            try:
                filed.append(filed_as(_source_of(item), reference_hint(item.name)) if item.error is None else None)
            except CableParseError:
                filed.append(None)
        with self.factory() as session:
            stored = stored_texts(session, sorted({f[0] for f in filed if f is not None}))
        kept = [item for item, f in zip(chunk, filed, strict=True) if f is None or f[1] not in stored.get(f[0], ())]
        self.looking = len(kept) < len(chunk)
        return kept


def _prepare_many(chunk: list[CableInput]) -> list[ParsedCable | tuple[str, str]]:
    return [prepare(item) for item in chunk]


BATCH_BYTES = 32 * 2**20  # a batch holds at most this much input as well: members may be megabytes each


def _batches(items: Iterable[CableInput], size: int) -> Iterator[list[CableInput]]:
    batch: list[CableInput] = []
    held = 0
    for item in items:
        batch.append(item)
        held += len(item.data) + (sum(map(len, item.row)) if item.row else 0)
        if len(batch) >= size or held >= BATCH_BYTES:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch


Prepared = list[ParsedCable | tuple[str, str]]
BATCHES_AHEAD = 2
# PostgreSQL: the tables a batch reads by reference id (the cables stored, the search entries to replace) and writes.
ANALYZED_TABLES = ("cables", "search_documents", "cable_reactions", "cable_disputed_claims")
FIRST_ANALYZE = 1000


class _Statistics:
    """Keeps PostgreSQL's planner statistics of the ingest's tables up to date while a large ingest grows them.

    Without statistics (a new database, or a server whose autovacuum is off or has not come round yet) the planner
    takes the cables table for a small one and reads each batch's lookups by reference id, and the search entries
    to replace, by scanning the whole table: every batch then costs more than the one before (measured: from 314
    cables/s down to 80/s by 160,000 cables). ANALYZE (a sample: a fraction of a second) once the ingest has stored
    FIRST_ANALYZE cables and again whenever it has doubled what was there at the last one keeps every lookup on its
    index: about 10 times for the whole release, never for a small ingest. SQLite plans those lookups on the index
    without statistics."""

    def __init__(self, factory: sessionmaker[Session]):
        self.engine = factory.kw["bind"]
        self.on = self.engine.dialect.name == "postgresql"
        self.stored = 0
        self.next_at = FIRST_ANALYZE

    def grew(self, rows: int) -> None:
        if not self.on:
            return
        self.stored += rows
        if self.stored >= self.next_at:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE " + ", ".join(ANALYZED_TABLES))
                connection.commit()
                present = connection.scalar(select(func.count()).select_from(CableRecord)) or 0
            self.next_at = self.stored + max(present, FIRST_ANALYZE)


def ingest(factory: sessionmaker[Session], files: Iterable[CableInput], *, batch_size: int = 500,
           workers: int = 1, progress: Callable[[int], None] | None = None, actor: str = "system") -> IngestReport:
    """Parse, code and store cables, one transaction per batch: an interruption loses at most the batch in
    flight, and running again skips what is stored. Bad files are reported, never stored, and do not stop the rest.

    `workers` > 1 parses in that many processes, up to BATCHES_AHEAD batches ahead of this process, which
    writes."""
    report = IngestReport()
    skipper = _StoredSkipper(factory)
    batches = ((len(chunk), skipper.unstored(chunk)) for chunk in _batches(files, batch_size))
    statistics = _Statistics(factory)

    def store(chunk_size: int, prepared: Prepared) -> None:
        report.result.skipped += chunk_size - len(prepared)  # stored already, not parsed again
        good = [p for p in prepared if isinstance(p, ParsedCable)]
        report.errors.extend(p for p in prepared if not isinstance(p, ParsedCable))
        with transaction(factory) as session:
            stored = store_cables(session, good, actor)
        report.result += stored
        statistics.grew(stored.added + stored.new_versions)
        report.files += chunk_size
        if progress:
            progress(chunk_size)

    if workers <= 1:
        for size, chunk in batches:
            store(size, _prepare_many(chunk))
        return report
    with ProcessPoolExecutor(workers) as pool:
        def submit(size: int, chunk: list[CableInput]) -> tuple[int, list[Future[Prepared]]]:
            step = max(1, -(-len(chunk) // workers))
            return size, [pool.submit(_prepare_many, chunk[i:i + step]) for i in range(0, len(chunk), step)]

        def store_next() -> None:
            size, futures = pending.popleft()
            store(size, [p for f in futures for p in f.result()])

        # Batches in flight ahead of the one being stored, so that the workers never wait for this process.
        pending: deque[tuple[int, list[Future[Prepared]]]] = deque()
        try:
            for size, chunk in batches:
                pending.append(submit(size, chunk))
                if len(pending) > BATCHES_AHEAD:
                    store_next()
            while pending:
                store_next()
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise
    return report
