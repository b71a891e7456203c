"""stored cable texts and search bodies compressed with zstd (5x faster to write than zlib, about as small)

Revision ID: 0023
Revises: 0020_search_tsv_default
Create Date: 2026-12-01

`cables.content` and `search_documents.body_z` were zlib streams (0017); they are now zstd frames (level 3), which
ingest makes in a fifth of the time. The application reads both (a zstd frame begins with its magic number, a zlib
stream with 0x78), so the upgrade converts the existing rows only to make them uniform; the downgrade converts them
back to zlib, which the code before this revision (and 0017's downgrade) reads.
"""

import zlib
from collections.abc import Callable

import sqlalchemy as sa
import zstandard
from alembic import op

revision = "0023"
down_revision = "0020_search_tsv_default"
branch_labels = None
depends_on = None

BATCH = 500
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def _to_zstd(data: bytes) -> bytes:  # frozen here as this revision writes them (store/search.py pack)
    return data if data[:4] == ZSTD_MAGIC else zstandard.ZstdCompressor(level=3).compress(zlib.decompress(data))


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


def upgrade() -> None:
    _convert("cables", "content", _to_zstd)
    _convert("search_documents", "body_z", _to_zstd)


def downgrade() -> None:
    _convert("cables", "content", _to_zlib)
    _convert("search_documents", "body_z", _to_zlib)
