"""stored cable texts and search bodies compressed with zstd (5x faster to write than zlib, about as small); on
PostgreSQL a cable's search document keeps no copy of its body

Revision ID: 0023
Revises: 0020_search_tsv_default
Create Date: 2026-12-01

`cables.content` and `search_documents.body_z` were zlib streams (0017); they are now zstd frames (level 3), which
ingest makes in a fifth of the time. The application reads both (a zstd frame begins with its magic number, a zlib
stream with 0x78), so the upgrade converts the existing rows only to make them uniform; the downgrade converts them
back to zlib, which the code before this revision (and 0017's downgrade) reads.

On PostgreSQL the search document of a cable leaves `body_z` empty: its body is the current version's paragraphs,
read from `cables.content` for snippets (store/search.py, _BODY_SOURCES), which keeps the database within twice the
text's size. SQLite keeps it (its contentless FTS5 index needs the words to delete them). The downgrade writes the
bodies back.
"""

import json
import zlib
from collections.abc import Callable

import sqlalchemy as sa
import zstandard
from alembic import op

revision = "0023_cable_speed"
down_revision = "0022_user_language"
branch_labels = None
depends_on = None

BATCH = 500
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def _to_zstd(data: bytes) -> bytes:  # frozen here as this revision writes them (store/search.py pack)
    if not data or data[:4] == ZSTD_MAGIC:  # empty: a body kept in its cable (PostgreSQL)
        return data
    return zstandard.ZstdCompressor(level=3).compress(zlib.decompress(data))


def _to_zlib(data: bytes) -> bytes:
    return zlib.compress(zstandard.ZstdDecompressor().decompress(data)) if data[:4] == ZSTD_MAGIC else data


def _convert(table: str, column: str, convert: Callable[[bytes], bytes]) -> None:
    """Every row's `column` rewritten by `convert`, a batch at a time."""
    conn = op.get_bind()
    last = 0
    while rows := conn.execute(sa.text(f"SELECT id, {column} FROM {table} WHERE id > :last ORDER BY id "
                                       f"LIMIT {BATCH}"), {"last": last}).all():
        last = rows[-1][0]
        changed = [{"id": i, "v": new} for i, old in rows if (new := convert(bytes(old))) != bytes(old)]
        if changed:
            conn.execute(sa.text(f"UPDATE {table} SET {column} = :v WHERE id = :id"), changed)


CURRENT_CABLE = "kind = 'cable' AND ref_id IN (SELECT reference_id FROM cables WHERE is_current)"


def _body(content: bytes) -> str:
    """A cable's body as its search document had it: the paragraphs of its stored fields."""
    data = zstandard.ZstdDecompressor().decompress(content) if content[:4] == ZSTD_MAGIC else zlib.decompress(content)
    fields = json.loads(data.decode("utf-8").partition("\x00")[2])
    return "\n\n".join(p["text"] for p in fields["paragraphs"])


def upgrade() -> None:
    _convert("cables", "content", _to_zstd)
    _convert("search_documents", "body_z", _to_zstd)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"UPDATE search_documents SET body_z = ''::bytea WHERE {CURRENT_CABLE}")


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        while rows := conn.execute(sa.text(
                "SELECT d.id, c.content FROM search_documents d JOIN cables c ON c.reference_id = d.ref_id AND "
                f"c.is_current WHERE d.kind = 'cable' AND length(d.body_z) = 0 LIMIT {BATCH}")).all():
            conn.execute(sa.text("UPDATE search_documents SET body_z = :z WHERE id = :id"),
                         [{"id": i, "z": zlib.compress(_body(bytes(content)).encode("utf-8"))} for i, content in rows])
    _convert("cables", "content", _to_zlib)
    _convert("search_documents", "body_z", _to_zlib)
