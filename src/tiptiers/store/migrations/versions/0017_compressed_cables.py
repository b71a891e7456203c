"""cables and search bodies kept compressed: storage at most twice the text, indexes included

Revision ID: 0017_compressed_cables
Revises: 0016_hosts
Create Date: 2026-12-01

A cable's text and its parsed fields (JSON) were two columns, and the search body a third copy: about 37 KB per
10 KB cable. Now `cables.content` holds text and fields in one zlib stream (the paragraphs repeat the text, which one
stream stores once) and `search_documents.body_z` the body, compressed. SQLite's FTS5 index becomes contentless
(it kept no text of its own, but read it from `search_documents` through triggers): the application writes it
beside the row. PostgreSQL's tsvector, generated from the body column, becomes a column the insert computes.
Existing rows are converted in batches; the downgrade converts them back.
"""

import json
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0017_compressed_cables"
down_revision = "0016_hosts"
branch_labels = None
depends_on = None

BATCH = 500
TSV = ("setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
       "setweight(to_tsvector('english', coalesce(body, '')), 'B')")


def _pack(text: str) -> bytes:  # as tiptiers.store.search.pack, frozen here as this migration wrote it
    return zlib.compress(text.encode("utf-8"))


def _unpack(data: bytes) -> str:
    return zlib.decompress(data).decode("utf-8")


def _batches(conn: sa.Connection, query: str) -> Iterator[Any]:
    last = 0
    while True:
        rows = conn.execute(sa.text(f"{query} WHERE id > :last ORDER BY id LIMIT {BATCH}"), {"last": last}).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _rewrite(conn: sa.Connection, query: str, update: str, values: Callable[[Any], dict[str, Any]]) -> None:
    """Every row of `query` (id first), in batches, written back by `update` with the values made from it."""
    for rows in _batches(conn, query):
        conn.execute(sa.text(update), [values(row) for row in rows])


def _unpacked_cable(row: Any) -> dict[str, Any]:
    text, _, parsed = _unpack(row[1]).partition("\x00")
    return {"id": row[0], "text": text, "parsed": parsed}


def _parsed_text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)  # SQLite gives JSON text, psycopg a dict


def _drop(table: str, column: str, postgres: bool, not_null: str | None = None) -> None:
    """Drop a column (and make another NOT NULL, on PostgreSQL). SQLite drops in place (3.35+): a batch copy of
    `cables` would drop the table its reactions' ON DELETE CASCADE keys point to, with foreign keys on."""
    if postgres:
        if not_null:
            op.alter_column(table, not_null, nullable=False)
        op.drop_column(table, column)
    else:
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")


def upgrade() -> None:
    conn = op.get_bind()
    postgres = conn.dialect.name == "postgresql"
    op.add_column("cables", sa.Column("content", sa.LargeBinary))
    _rewrite(conn, "SELECT id, text, parsed FROM cables", "UPDATE cables SET content = :content WHERE id = :id",
             lambda r: {"id": r[0], "content": _pack(f"{r[1]}\x00{_parsed_text(r[2])}")})
    _drop("cables", "text", postgres, not_null="content")
    _drop("cables", "parsed", postgres)

    if not postgres:
        for trigger in ("search_documents_ai", "search_documents_ad", "search_documents_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.add_column("search_documents", sa.Column("body_z", sa.LargeBinary))
    _rewrite(conn, "SELECT id, body FROM search_documents", "UPDATE search_documents SET body_z = :z WHERE id = :id",
             lambda r: {"id": r[0], "z": _pack(r[1])})
    if postgres:
        op.execute("DROP INDEX IF EXISTS ix_search_documents_tsv")
        op.execute("ALTER TABLE search_documents DROP COLUMN tsv")
        op.execute("ALTER TABLE search_documents ADD COLUMN tsv tsvector")
        op.execute(f"UPDATE search_documents SET tsv = {TSV}")
        op.execute("ALTER TABLE search_documents ALTER COLUMN tsv SET NOT NULL")
        op.execute("CREATE INDEX ix_search_documents_tsv ON search_documents USING GIN (tsv)")
    else:
        op.execute("CREATE VIRTUAL TABLE search_fts USING fts5(title, body, facets, content='', "
                   "tokenize='porter unicode61')")
        op.execute("INSERT INTO search_fts(rowid, title, body, facets) SELECT id, title, body, facets "
                   "FROM search_documents")
    _drop("search_documents", "body", postgres, not_null="body_z")


def downgrade() -> None:
    conn = op.get_bind()
    postgres = conn.dialect.name == "postgresql"
    op.add_column("search_documents", sa.Column("body", sa.Text))
    _rewrite(conn, "SELECT id, body_z FROM search_documents", "UPDATE search_documents SET body = :b WHERE id = :id",
             lambda r: {"id": r[0], "b": _unpack(r[1])})
    if postgres:
        op.execute("DROP INDEX IF EXISTS ix_search_documents_tsv")
        op.execute("ALTER TABLE search_documents DROP COLUMN tsv")
    else:
        op.execute("DROP TABLE IF EXISTS search_fts")
    _drop("search_documents", "body_z", postgres, not_null="body")
    if postgres:
        op.execute(f"ALTER TABLE search_documents ADD COLUMN tsv tsvector GENERATED ALWAYS AS ({TSV}) STORED")
        op.execute("CREATE INDEX ix_search_documents_tsv ON search_documents USING GIN (tsv)")
    else:  # as 0003 made them
        op.execute("CREATE VIRTUAL TABLE search_fts USING fts5(title, body, facets, content='search_documents', "
                   "content_rowid='id', tokenize='porter unicode61')")
        op.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
        op.execute(
            "CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN "
            "INSERT INTO search_fts(rowid, title, body, facets) VALUES (new.id, new.title, new.body, new.facets); END")
        op.execute(
            "CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN "
            "INSERT INTO search_fts(search_fts, rowid, title, body, facets) "
            "VALUES ('delete', old.id, old.title, old.body, old.facets); END")
        op.execute(
            "CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN "
            "INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); "
            "INSERT INTO search_fts(rowid, title, body, facets) VALUES (new.id, new.title, new.body, new.facets); END")

    op.add_column("cables", sa.Column("text", sa.Text))
    op.add_column("cables", sa.Column("parsed", sa.JSON))
    parsed = "CAST(:parsed AS JSON)" if postgres else ":parsed"
    _rewrite(conn, "SELECT id, content FROM cables",
             f"UPDATE cables SET text = :text, parsed = {parsed} WHERE id = :id", _unpacked_cable)
    _drop("cables", "content", postgres, not_null="text")
    if postgres:
        op.alter_column("cables", "parsed", nullable=False)
