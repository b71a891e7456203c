"""A generic full-text index over documents of any kind (cables now, evidence later).

One repository API on both backends: `index_document(...)` / `index_documents(...)` to add or replace a document,
`remove_document(...)`, and `search(session, query, filters)`. A document's body is kept compressed (`body_z`, zstd:
about 40% of the text); the index is built from the text as it is added. SQLite uses a contentless FTS5 table
(porter stemming) written here, beside the row (a contentless index keeps no copy of the text: a deletion gives it
the words to take out); PostgreSQL a tsvector column, computed on insert, with a GIN index. Snippets are cut from the
page's hits in Python, the same on both. Every query of the index is built in `_filtered`, the one place a
visibility rule (who may see what) is applied.

Query syntax, the same on both backends (web-search style): words are ANDed, "a quoted phrase" matches as a
phrase, `OR` between words, `-word` excludes.
"""

from __future__ import annotations

import bisect
import itertools
import re
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import zstandard
from sqlalchemy import (
    Connection,
    Integer,
    LargeBinary,
    Select,
    String,
    Table,
    Text,
    UniqueConstraint,
    any_,
    column,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    table,
)
from sqlalchemy import cast as cast_
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, Session, mapped_column, object_session
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import ColumnElement

from tiptiers.store.models import Base

SNIPPET_START, SNIPPET_END = "\x02", "\x03"  # around matched words in snippets; pages turn them into <mark>
MAX_QUERY_LENGTH = 500
# Ranking costs ~10 µs per matching document (bm25 on SQLite, ts_rank_cd on PostgreSQL: ~350 ms for 43,000 matches
# of 100,000 cables), so a query matching tens of thousands would take seconds. On both backends, above RANK_WINDOW
# matches the best are chosen among the RANK_WINDOW most recently indexed ones (the page says so); counting stops at
# COUNT_CAP ("10,000+").
RANK_WINDOW = 2_000
COUNT_CAP = 10_000


_FTS = table("search_fts", column("rowid", Integer), column("rank"))  # SQLite only: the FTS5 index


def core_insert(model: type[Base]) -> Insert:
    """A Core INSERT of the model's table: executemany without the ORM's per-row work (bulk ingest)."""
    return insert(cast(Table, model.__table__))


class SearchDocument(Base):
    """One searchable document. `tags` and `reactions` are space-separated codes, padded with spaces."""

    __tablename__ = "search_documents"
    __table_args__ = (UniqueConstraint("kind", "ref_id", name="uq_search_documents_kind_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    ref_id: Mapped[str] = mapped_column(String(80))
    iso3: Mapped[str | None] = mapped_column(String(3), index=True)
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    tags: Mapped[str] = mapped_column(String(400))
    classification: Mapped[str | None] = mapped_column(String(40))
    reactions: Mapped[str] = mapped_column(String(400))
    title: Mapped[str] = mapped_column(Text)
    body_z: Mapped[bytes] = mapped_column(LargeBinary)  # the body, compressed (pack/unpack)
    facets: Mapped[str] = mapped_column(Text, default="")  # filter values as words, see facet_tokens

    @property
    def body(self) -> str:
        if self.body_z:
            return unpack(self.body_z)
        session = object_session(self)
        return _bodies(session.connection(), [self])[self.id] if session is not None else ""


# Documents whose body is kept elsewhere too (a cable's, in its compressed content; index_rows(...,
# body_kept_elsewhere=True)): on PostgreSQL their `body_z` is left empty (b"") and the body read from there for
# snippets and for a rebuild of the index, which keeps the database within twice the text's size. SQLite keeps
# `body_z`: its contentless FTS5 index needs the old words to delete them.
BodySource = Callable[[Connection, Sequence[str]], dict[str, str]]


def _body_source(kind: str) -> BodySource | None:
    """The function giving the bodies of a kind's documents by ref id, for the kinds kept elsewhere."""
    if kind == "cable":
        from tiptiers.store.cables import cable_bodies  # a real import, here: store/cables.py imports this module

        return cable_bodies
    return None


def _bodies(connection: Connection, documents: Sequence[Any]) -> dict[int, str]:
    """The bodies of documents (anything with id, kind, ref_id, body_z), by id: unpacked, or from their source."""
    result = {d.id: unpack(d.body_z) for d in documents if d.body_z}
    for kind in {d.kind for d in documents if not d.body_z}:
        wanted = [d for d in documents if not d.body_z and d.kind == kind]
        source = _body_source(kind)
        found = source(connection, sorted({d.ref_id for d in wanted})) if source is not None else {}
        result.update({d.id: found.get(d.ref_id, "") for d in wanted})
    return result


ZSTD_LEVEL = 3
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"  # a zstd frame begins so; a zlib stream (rows stored before 0023) with 0x78
_codecs = threading.local()  # zstd's (de)compressor objects are not for two threads at once


def _zstd() -> tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor]:
    pair = getattr(_codecs, "pair", None)
    if pair is None:
        pair = _codecs.pair = (zstandard.ZstdCompressor(level=ZSTD_LEVEL), zstandard.ZstdDecompressor())
    return pair


def pack(text: str) -> bytes:
    """A text as stored: zstd, level 3 (a cable of 10 KB to about 3.7 KB in ~0.05 ms; zlib at its default level,
    used before, took 0.2 ms for 3.6 KB)."""
    return pack_bytes(text.encode("utf-8"))


def pack_bytes(data: bytes) -> bytes:
    """`pack` of a text already encoded (UTF-8)."""
    return _zstd()[0].compress(data)


def unpack(data: bytes) -> str:
    """A stored text: zstd, or zlib as rows stored before migration 0023 have it."""
    if data[:4] == _ZSTD_MAGIC:
        return _zstd()[1].decompress(data).decode("utf-8")
    return zlib.decompress(data).decode("utf-8")


@dataclass(frozen=True)
class DocumentIn:
    kind: str
    ref_id: str
    title: str
    body: str
    iso3: str | None = None
    year: int | None = None
    tags: Sequence[str] = ()
    classification: str | None = None
    reactions: Sequence[str] = ()

    def row(self) -> dict[str, object]:
        """The search_documents row, and `body`, the text the index is built from (not a column)."""
        return {"kind": self.kind, "ref_id": self.ref_id, "title": self.title, "body_z": pack(self.body),
                "body": self.body, "iso3": self.iso3,
                "year": self.year, "tags": _codes(self.tags), "classification": self.classification,
                "reactions": _codes(self.reactions),
                "facets": " ".join([ALL_DOCUMENTS, _facet("kind", self.kind), _facet("iso3", self.iso3),
                                    _facet("year", self.year), _facet("cls", self.classification),
                                    *(_facet("tag", t) for t in self.tags),
                                    *(_facet("rx", r) for r in self.reactions)])}


@dataclass(frozen=True)
class SearchFilters:
    kind: str | None = None
    iso3: str | None = None
    year: int | None = None
    tag: str | None = None
    classification: str | None = None
    reaction: str | None = None
    # Access control: when set, only documents of these classifications (None = unclassified evidence) are seen.
    visible_classifications: frozenset[str | None] | None = None


@dataclass(frozen=True)
class SearchHit:
    kind: str
    ref_id: str
    title: str
    snippet: str
    iso3: str | None
    year: int | None
    classification: str | None
    tags: tuple[str, ...]
    reactions: tuple[str, ...]
    rank: float


@dataclass(frozen=True)
class SearchResults:
    query: str
    total: int
    hits: list[SearchHit] = field(default_factory=list)
    total_exact: bool = True  # False: at least `total` documents match (SQLite stops counting at COUNT_CAP)
    ranked_among: int | None = None  # set when the best were chosen among the newest RANK_WINDOW matches


class SearchQueryError(ValueError):
    pass


ALL_DOCUMENTS = "xall0"  # a facet every document has


def _facet(name: str, value: object) -> str:
    """A filter value as one word of the FTS5 index: ('iso3', 'JPN') -> xiso3jpn0; None -> xiso3none0.

    Letters and digits only (one token for the unicode61 tokenizer), ending in a digit (the porter stemmer
    leaves it alone)."""
    return f"x{name}{re.sub(r'[^a-z0-9]', '', str(value).lower()) if value is not None else 'none'}0"


def _codes(values: Iterable[str]) -> str:
    return " " + " ".join(v.upper() for v in values if v) + " "


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def index_documents(session: Session, documents: Sequence[DocumentIn]) -> None:
    """Add or replace documents (by kind and ref id) in the caller's transaction, in one batch."""
    index_rows(session, [d.row() for d in documents])


def index_rows(session: Session, rows: Sequence[dict[str, object]], *, body_kept_elsewhere: bool = False) -> None:
    """`index_documents` of rows made beforehand by `DocumentIn.row()` (bulk ingest makes them in its workers).

    `body_kept_elsewhere`: the bodies are stored beside, where their kind's body source reads them
    (_BODY_SOURCES): PostgreSQL keeps no copy of them."""
    if not rows:
        return
    by_key = {(str(r["kind"]), str(r["ref_id"])): r for r in rows}  # the last one of a key wins
    for kind in {k for k, _ in by_key}:
        _remove(session, kind, [r for k, r in by_key if k == kind])
    documents = list(by_key.values())
    columns = [c for c in documents[0] if c != "body"]
    if _dialect(session) != "sqlite":
        # the tsvector from the text given alongside, which the row keeps compressed only, or not at all where the
        # body is kept beside it (_body_source)
        if body_kept_elsewhere:
            assert all(_body_source(str(d["kind"])) for d in documents), "a body kept elsewhere needs its source"
            documents = [{**d, "body_z": b""} for d in documents]
        session.execute(sql_text(
            f"INSERT INTO search_documents ({', '.join(columns)}, tsv) VALUES "
            f"({', '.join(':' + c for c in columns)}, setweight(to_tsvector('english', :title), 'A') || "
            "setweight(to_tsvector('english', :body), 'B'))"), documents)
        return
    # SQLite: a few hundred rows per INSERT statement, then their words into the FTS5 index in as few statements
    # (FTS5 writes its pending terms to disk at every statement's savepoint: one statement per row writes a tiny
    # index segment per document and takes twice as long).
    connection = session.connection()
    for i in range(0, len(documents), _ROWS_PER_INSERT):
        part = documents[i:i + _ROWS_PER_INSERT]
        placeholders = "(" + ", ".join("?" * len(columns)) + ")"
        ids = {(k, r): row_id for row_id, k, r in connection.exec_driver_sql(
            f"INSERT INTO search_documents ({', '.join(columns)}) VALUES {', '.join([placeholders] * len(part))} "
            "RETURNING id, kind, ref_id", tuple(d[c] for d in part for c in columns)).all()}
        connection.exec_driver_sql(
            f"INSERT INTO search_fts(rowid, title, body, facets) VALUES {', '.join(['(?, ?, ?, ?)'] * len(part))}",
            tuple(v for d in part for v in (ids[(d["kind"], d["ref_id"])], d["title"], d["body"], d["facets"])))


def _remove(session: Session, kind: str, refs: Sequence[str]) -> None:
    """Take documents out of the table and, on SQLite, their words out of the contentless index (which needs the
    words it was given: the text, unpacked)."""
    for i in range(0, len(refs), 500):
        chunk = refs[i:i + 500]
        if _dialect(session) == "sqlite":
            old = session.execute(select(SearchDocument.id, SearchDocument.title, SearchDocument.body_z,
                                         SearchDocument.facets).where(SearchDocument.kind == kind,
                                                                      SearchDocument.ref_id.in_(chunk))).all()
            if old:
                session.connection().exec_driver_sql(
                    "INSERT INTO search_fts(search_fts, rowid, title, body, facets) VALUES ('delete', ?, ?, ?, ?)",
                    [(row_id, title, unpack(body_z), facets) for row_id, title, body_z, facets in old])
        session.execute(delete(SearchDocument).where(SearchDocument.kind == kind, SearchDocument.ref_id.in_(chunk)))


_ROWS_PER_INSERT = 500  # x 11 columns: well under SQLite's limit of 32,766 parameters per statement


def index_document(session: Session, kind: str, ref_id: str, title: str, body: str, *, iso3: str | None = None,
                   year: int | None = None, tags: Sequence[str] = (), classification: str | None = None,
                   reactions: Sequence[str] = ()) -> None:
    """Add or replace one document. For evidence: `index_document(s, "evidence", str(id), title, statement, ...)`."""
    index_documents(session, [DocumentIn(kind, ref_id, title, body, iso3, year, tags, classification, reactions)])


def reindex(connection: Connection) -> None:
    """The index built again from `search_documents` (after a restore, which loads the rows only): SQLite's FTS5
    emptied and refilled, PostgreSQL's tsvector recomputed, a batch of unpacked bodies at a time."""
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.exec_driver_sql("INSERT INTO search_fts(search_fts) VALUES ('delete-all')")
    last = 0
    while rows := connection.execute(select(SearchDocument.id, SearchDocument.kind, SearchDocument.ref_id,
                                            SearchDocument.title, SearchDocument.body_z, SearchDocument.facets)
                                     .where(SearchDocument.id > last).order_by(SearchDocument.id)
                                     .limit(_ROWS_PER_INSERT)).all():
        last = rows[-1][0]
        bodies = _bodies(connection, rows)
        values = [(r.id, r.title, bodies[r.id], r.facets) for r in rows]
        if sqlite:
            kept_elsewhere = [{"id": r.id, "z": pack(bodies[r.id])} for r in rows if not r.body_z]
            if kept_elsewhere:  # a PostgreSQL backup restored here: SQLite keeps every body (see _BODY_SOURCES)
                connection.execute(sql_text("UPDATE search_documents SET body_z = :z WHERE id = :id"),
                                   kept_elsewhere)
            connection.exec_driver_sql("INSERT INTO search_fts(rowid, title, body, facets) VALUES (?, ?, ?, ?)",
                                       values)
        else:
            connection.execute(sql_text(
                "UPDATE search_documents SET tsv = setweight(to_tsvector('english', :title), 'A') || "
                "setweight(to_tsvector('english', :body), 'B') WHERE id = :id"),
                [{"id": i, "title": title, "body": body} for i, title, body, _ in values])


def remove_document(session: Session, kind: str, ref_id: str) -> None:
    _remove(session, kind, [ref_id])


# --- queries ------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


def fts5_query(query: str, columns: str = "") -> str:
    """Web-search syntax -> a safe FTS5 MATCH expression (every term quoted, so no syntax error is possible).

    `columns`: a column filter put before every phrase, e.g. "{title body} : ". A query of exclusions only
    ("-fraud") excludes from every document."""
    positive: list[str] = []
    negative: list[str] = []
    pending_or = False
    for m in _TOKEN.finditer(query):
        neg, phrase, word = m.group(1), m.group(2), m.group(3)
        if word == "OR":
            pending_or = bool(positive)
            continue
        if word is not None and word.startswith("-") and len(word) > 1:
            neg, word = "-", word[1:]
        words = re.findall(r"\w+", phrase if phrase is not None else word or "")
        if not words:
            continue
        term = columns + '"' + " ".join(words) + '"'
        if neg:
            negative.append(term)
        elif pending_or:
            positive[-1] = f"{positive[-1]} OR {term}"
            pending_or = False
        else:
            positive.append(term)
    if not positive and not negative:
        return ""
    expression = " AND ".join(f"({p})" if " OR " in p else p for p in positive) or f'facets : "{ALL_DOCUMENTS}"'
    for n in negative:
        expression = f"({expression}) NOT {n}"
    return expression


def _facet_match(filters: SearchFilters) -> str | None:
    """The filters, and the visibility rule, as an FTS5 expression over the facets column (SQLite); None when
    nothing can be visible. Twin of `_filtered`: a filter added there is added here."""
    terms = []
    for name, value in (("kind", filters.kind), ("iso3", filters.iso3), ("year", filters.year),
                        ("tag", filters.tag), ("cls", filters.classification), ("rx", filters.reaction)):
        if value is not None and value != "":
            terms.append(f'facets : "{_facet(name, value)}"')
    if filters.visible_classifications is not None:
        if not filters.visible_classifications:
            return None
        terms.append("(" + " OR ".join(f'facets : "{_facet("cls", c)}"'
                                       for c in sorted(filters.visible_classifications, key=str)) + ")")
    return " AND ".join(terms)


def _filtered(stmt: Select[Any], filters: SearchFilters) -> Select[Any]:
    """Every filter, and the visibility rule, in one place."""
    d = SearchDocument
    conditions: list[ColumnElement[bool]] = []
    if filters.kind:
        conditions.append(d.kind == filters.kind)
    if filters.iso3:
        conditions.append(d.iso3 == filters.iso3.upper())
    if filters.year is not None:
        conditions.append(d.year == filters.year)
    if filters.tag:
        conditions.append(d.tags.contains(f" {filters.tag.upper()} ", autoescape=True))
    if filters.classification:
        conditions.append(d.classification == filters.classification.upper())
    if filters.reaction:
        conditions.append(d.reactions.contains(f" {filters.reaction.upper()} ", autoescape=True))
    if filters.visible_classifications is not None:
        named = [c for c in filters.visible_classifications if c is not None]
        visible = d.classification.in_(named)
        conditions.append(visible | d.classification.is_(None) if None in filters.visible_classifications
                          else visible)
    return stmt.where(*conditions)


def _hit(row: object, snippet: str, rank: float) -> SearchHit:
    doc: SearchDocument = row  # type: ignore[assignment]
    return SearchHit(kind=doc.kind, ref_id=doc.ref_id, title=doc.title, snippet=snippet, iso3=doc.iso3,
                     year=doc.year, classification=doc.classification, tags=tuple(doc.tags.split()),
                     reactions=tuple(doc.reactions.split()), rank=rank)


def search(session: Session, query: str, filters: SearchFilters | None = None, limit: int = 20,
           offset: int = 0) -> SearchResults:
    """Documents matching `query` (best first) and the filters. An empty query lists by year, newest first."""
    filters = filters or SearchFilters()
    if len(query) > MAX_QUERY_LENGTH:
        raise SearchQueryError(f"query is {len(query)} characters long; at most {MAX_QUERY_LENGTH}")
    d = SearchDocument
    dialect = _dialect(session)
    filtered = any((filters.kind, filters.iso3, filters.year, filters.tag, filters.classification,
                    filters.reaction, filters.visible_classifications is not None))
    if dialect != "postgresql" and (query.strip() or filtered):
        return _search_fts5(session, query, filters, limit, offset)
    if not query.strip():
        return _listing(session, query, _filtered(select(d), filters), limit, offset)
    if dialect == "postgresql":
        return _search_postgresql(session, query, filters, limit, offset)
    return _search_fts5(session, query, filters, limit, offset)


@contextmanager
def _bitmap_scans_only(session: Session) -> Iterator[None]:
    """PostgreSQL: plan the next queries on the GIN index's bitmap, never by reading rows in order and testing each.

    Testing a row's `tsv @@ query` reads its tsvector (about 7 KB a cable, kept out of line): ~5 µs a row. The
    planner does not count that, and for `LIMIT` and `ORDER BY id DESC LIMIT` it takes a scan of the table or of the
    primary key that tests tens of thousands of rows (150 ms for a word in 7% of 250,000 cables). The bitmap of the
    GIN index says which rows match without reading their tsvector (phrases excepted: only rows holding every word
    of one are read). The settings are the transaction's own and are put back afterwards."""
    connection = session.connection()
    seq, index = connection.exec_driver_sql(
        "SELECT current_setting('enable_seqscan'), current_setting('enable_indexscan'), "
        "set_config('enable_seqscan', 'off', true), set_config('enable_indexscan', 'off', true)").one()[:2]
    try:
        yield
    finally:
        connection.exec_driver_sql("SELECT set_config('enable_seqscan', %(seq)s, true), "
                                   "set_config('enable_indexscan', %(index)s, true)", {"seq": seq, "index": index})


def _search_postgresql(session: Session, query: str, filters: SearchFilters, limit: int, offset: int
                       ) -> SearchResults:
    """PostgreSQL: the matches from the GIN index's bitmap, the count and the ranking window from them, then
    ts_rank_cd over the window only.

    One scan gives the first COUNT_CAP + 1 matches: when there are no more, they are all of them, and the window is
    their newest RANK_WINDOW. When there are more, the newest RANK_WINDOW are looked for among the most recent rows
    only (a range of ids the density of the matches found predicts, widened until it holds enough)."""
    d = SearchDocument
    tsq = func.websearch_to_tsquery("english", query)
    tsv: Any = literal_column("search_documents.tsv")
    matching = _filtered(select(d.id).where(tsv.op("@@")(tsq)), filters)
    first = matching.limit(COUNT_CAP + 1).subquery()
    newest_ids: Any = literal_column(f"(array_agg(id ORDER BY id DESC))[1:{RANK_WINDOW}]")
    with _bitmap_scans_only(session):
        row = session.execute(select(func.count(), func.max(first.c.id), newest_ids).select_from(first)).one()
    found, last, newest = int(row[0]), row[1], row[2]
    exact = found <= COUNT_CAP
    window = (newest or []) if exact else _newest_matches(session, matching, found, last)
    total = min(found, COUNT_CAP)
    windowed = total > RANK_WINDOW
    rank = func.ts_rank_cd(tsv, tsq)
    ids = cast_(literal("{" + ",".join(map(str, window)) + "}"), ARRAY(Integer))  # 2,000 ids as one literal: 0.2 ms
    page = session.execute(select(d, rank).where(d.id == any_(ids)).order_by(rank.desc(), d.ref_id)
                           .limit(limit).offset(offset)).all() if window else []
    bodies = _bodies(session.connection(), [r[0] for r in page])
    marks = _marker(query)
    return SearchResults(query, total, [_hit(r[0], snippet(bodies[r[0].id], marks), float(r[1])) for r in page],
                         exact, RANK_WINDOW if windowed else None)


def _newest_matches(session: Session, matching: Select[Any], found: int, last: int) -> list[int]:
    """The RANK_WINDOW highest ids among more than COUNT_CAP matches. `found` matches were the first the bitmap
    gave, in the table's order, which is about the order of ids, the highest of them `last`: how far they spread
    tells how dense the matches are, so how far back from the newest row RANK_WINDOW of them reach."""
    d = SearchDocument
    low, high = session.execute(select(func.min(d.id), func.max(d.id))).one()  # on the primary key: two probes
    density = found / max(last - low + 1, 1)
    span = int(RANK_WINDOW * 1.5 / max(density, 1e-6))
    with _bitmap_scans_only(session):
        while True:
            since = high - span
            window = list(session.scalars(matching.where(d.id > since).order_by(d.id.desc()).limit(RANK_WINDOW)))
            if len(window) >= RANK_WINDOW or since < low:
                return window
            span *= 4


def _search_fts5(session: Session, query: str, filters: SearchFilters, limit: int, offset: int) -> SearchResults:
    """SQLite: text and filters are one FTS5 MATCH (filters are facet words), so the index does the
    intersection, the count and the ranking; only the page's rows are read from search_documents."""
    text, facets = fts5_query(query, "{title body} : "), _facet_match(filters)
    if facets is None:
        return SearchResults(query, 0, [])
    match = " AND ".join(f"({part})" for part in (text, facets) if part)
    if not match:  # no word in the query ("-", "()") and no filter
        return _listing(session, query, select(SearchDocument), limit, offset)
    total = session.execute(sql_text("SELECT count(*) FROM (SELECT rowid FROM search_fts WHERE search_fts MATCH :m "
                                     "LIMIT :cap)"), {"m": match, "cap": COUNT_CAP + 1}).scalar_one()
    exact = total <= COUNT_CAP
    total = min(total, COUNT_CAP)
    if text:
        windowed = total > RANK_WINDOW
        params = {"m": match, "window": RANK_WINDOW, "limit": limit, "offset": offset}
        ranked = session.execute(sql_text(
            "SELECT rowid, rank FROM (SELECT rowid, rank FROM search_fts WHERE search_fts MATCH :m "
            "ORDER BY rowid DESC LIMIT :window) ORDER BY rank LIMIT :limit OFFSET :offset" if windowed else
            "SELECT rowid, rank FROM search_fts WHERE search_fts MATCH :m ORDER BY rank LIMIT :limit OFFSET :offset"),
            params).all()
        ranks = {row_id: rank for row_id, rank in ranked}
        docs = {d.id: d for d in session.scalars(select(SearchDocument).where(SearchDocument.id.in_(ranks)))}
        marks = _marker(query)
        hits = [_hit(docs[i], snippet(docs[i].body, marks), -float(rank)) for i, rank in ranked if i in docs]
        return SearchResults(query, total, hits, exact, RANK_WINDOW if windowed else None)
    ids: Select[Any] = (select(literal_column("rowid")).select_from(_FTS)
                        .where(literal_column("search_fts").op("MATCH")(match)))
    found = _listing(session, query, select(SearchDocument).where(SearchDocument.id.in_(ids)), limit, offset, total)
    return SearchResults(query, total, found.hits, exact)


_ENDINGS = ("ations", "ation", "ments", "ment", "ings", "ing", "ions", "ion", "ers", "er", "ies", "ed", "es", "s", "ly",
            "y", "e")


def _stem(word: str) -> str:
    """A word's stem, roughly as the porter stemmer cuts it: `recruiting`, `recruitment`, `recruiters` -> recruit."""
    word = word.lower()
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[:-len(ending)]
    return word


def _marker(query: str) -> re.Pattern[str] | None:
    """The words of a query (not those excluded) as one expression matching them and their inflections."""
    stems = {_stem(w) for m in _TOKEN.finditer(query) if not m.group(1) and not (m.group(3) or "").startswith("-")
             and m.group(3) != "OR" for w in re.findall(r"\w+", m.group(2) if m.group(2) is not None else m.group(3))}
    if not stems:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(s) for s in sorted(stems, key=len, reverse=True)) + r")\w*",
                      re.I)


def snippet(body: str, marks: re.Pattern[str] | None, width: int = 220) -> str:
    """About `width` characters of the body where most of the query's words are (as FTS5's snippet chooses), the
    matches between SNIPPET_START and SNIPPET_END, `…` where the body goes on."""
    first = None
    if marks is not None:
        found = list(itertools.islice(marks.finditer(body), 300))
        starts = [m.start() for m in found]  # increasing: the matches within reach of one are the next few
        stems = [_stem(m.group(0)) for m in found]  # each match's word, once
        reach = width * 3 // 4
        best = -1
        for k, m in enumerate(found):  # the window from each match on: how many different words it holds
            words = len(set(stems[k:bisect.bisect_left(starts, starts[k] + reach, k, min(k + 40, len(found)))]))
            if words > best:
                first, best = m, words
    start = 0 if first is None else max(0, first.start() - width // 4)
    if start:
        space = body.find(" ", start)
        start = space + 1 if 0 <= space < first.start() else start  # type: ignore[union-attr]
    end = min(len(body), start + width)
    if end < len(body):
        space = body.rfind(" ", start, end)
        end = space if space > start else end
    part = body[start:end]
    if marks is not None:
        part = marks.sub(lambda m: f"{SNIPPET_START}{m.group(0)}{SNIPPET_END}", part)
    return ("…" if start else "") + part + ("…" if end < len(body) else "")


def _listing(session: Session, query: str, base: Select[Any], limit: int, offset: int,
             total: int | None = None) -> SearchResults:
    """Documents without a text to rank by: newest report year first."""
    d = SearchDocument
    if total is None:
        total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = list(session.scalars(base.order_by(d.year.desc().nulls_last(), d.ref_id).limit(limit).offset(offset)))
    bodies = _bodies(session.connection(), rows)
    return SearchResults(query, total, [_hit(r, bodies[r.id][:240], 0.0) for r in rows])
