"""cables, their reaction codes and disputed claims; the full-text search index

Revision ID: 0003_cables
Revises: 0002_engine
Create Date: 2026-11-26

The search index is `search_documents`; SQLite indexes it with an FTS5 table kept in step by triggers,
PostgreSQL with a generated tsvector column and a GIN index.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_cables"
down_revision = "0002_engine"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cables",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reference_id", sa.String(40), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("is_current", sa.Boolean, nullable=False),
        sa.Column("text_sha256", sa.String(64), nullable=False),
        sa.Column("station", sa.String(60), nullable=False),
        sa.Column("serial", sa.Integer, nullable=False),
        sa.Column("classification", sa.String(40), nullable=False),
        sa.Column("caveats", sa.String(200), nullable=False),
        sa.Column("iso3", sa.String(3), index=True),
        sa.Column("report_year", sa.Integer, index=True),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("subject", sa.Text),
        sa.Column("tags", sa.String(400), nullable=False),
        sa.Column("reactions", sa.String(400), nullable=False),
        sa.Column("parsed", sa.JSON, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("reference_id", "version", name="uq_cables_reference_version"),
    )
    op.create_table(
        "cable_reactions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("cable_id", sa.Integer, sa.ForeignKey("cables.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("code", sa.String(40), nullable=False, index=True),
        sa.Column("citations", sa.JSON, nullable=False),
    )
    op.create_table(
        "cable_disputed_claims",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("cable_id", sa.Integer, sa.ForeignKey("cables.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("claim", sa.Text, nullable=False),
        sa.Column("sentence", sa.Text, nullable=False),
        sa.Column("paragraph", sa.Integer),
        sa.Column("speaker", sa.String(100)),
        sa.Column("rule", sa.String(60), nullable=False),
    )
    op.create_table(
        "search_documents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("ref_id", sa.String(80), nullable=False),
        sa.Column("iso3", sa.String(3), index=True),
        sa.Column("year", sa.Integer, index=True),
        sa.Column("tags", sa.String(400), nullable=False),
        sa.Column("classification", sa.String(40)),
        sa.Column("reactions", sa.String(400), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        # filter values as words (xiso3jpn0 xyear20080 ...): SQLite filters inside the FTS5 index with them
        sa.Column("facets", sa.Text, nullable=False, server_default=""),
        sa.UniqueConstraint("kind", "ref_id", name="uq_search_documents_kind_ref"),
    )
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE search_documents ADD COLUMN tsv tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
            "setweight(to_tsvector('english', coalesce(body, '')), 'B')) STORED"
        )
        op.execute("CREATE INDEX ix_search_documents_tsv ON search_documents USING GIN (tsv)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, facets, content='search_documents', "
            "content_rowid='id', tokenize='porter unicode61')"
        )
        op.execute(
            "CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN "
            "INSERT INTO search_fts(rowid, title, body, facets) VALUES (new.id, new.title, new.body, new.facets); END"
        )
        op.execute(
            "CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN "
            "INSERT INTO search_fts(search_fts, rowid, title, body, facets) "
            "VALUES ('delete', old.id, old.title, old.body, old.facets); END"
        )
        op.execute(
            "CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN "
            "INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); "
            "INSERT INTO search_fts(rowid, title, body, facets) VALUES (new.id, new.title, new.body, new.facets); END"
        )


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        for trigger in ("search_documents_ai", "search_documents_ad", "search_documents_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table("search_documents")
    op.drop_table("cable_disputed_claims")
    op.drop_table("cable_reactions")
    op.drop_table("cables")
