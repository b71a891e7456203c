"""SQLite: the full-text index merges its segments sixteen at a time instead of four (FTS5 'automerge' 16,
'crisismerge' 64)

Revision ID: 0025
Revises: 0024_user_name_key
Create Date: 2026-12-01

FTS5 writes each INSERT's terms as a new segment and merges the segments of a level into one of the next once
`automerge` of them are there (4 by default; at `crisismerge`, 16 by default, a write merges them at once). In a bulk
ingest of cables (about 10 KB of text each) the merges are a third of the index's CPU at 250,000 cables, and their
share grows with the index: each term is rewritten once per level it passes through. Sixteen at a time halves the
levels. Measured on the shared corpus's bodies, 253,200 documents inserted 500 per statement and 1,000 per
transaction as ingest does: 0.41 -> 0.27 ms CPU per document for the index (0.34 -> 0.27 at 50,000), the index the
same size (1,013 / 1,017 MiB), and the searches bench/ingest.py times no slower (median 4.9 / 4.3 ms: a query reads
a few more segments of the upper levels, which are few). The settings are kept in the index's own config table, so
every later write follows them. PostgreSQL: nothing to do. The downgrade restores FTS5's defaults.
"""

from alembic import op

revision = "0025_fts_automerge"
down_revision = "0024_user_name_key"
branch_labels = None
depends_on = None

MERGE = {"automerge": 16, "crisismerge": 64}
DEFAULTS = {"automerge": 4, "crisismerge": 16}


def _configure(values: dict[str, int]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name, value in values.items():
            op.execute(f"INSERT INTO search_fts(search_fts, rank) VALUES ('{name}', {value})")


def upgrade() -> None:
    _configure(MERGE)


def downgrade() -> None:
    _configure(DEFAULTS)
