"""PostgreSQL's search tsvector defaults to empty: a restore loads the documents without it, then rebuilds it

Revision ID: 0020_search_tsv_default
Revises: 0019_cable_timeline_index
Create Date: 2026-12-01
"""

from alembic import op

revision = "0020_search_tsv_default"
down_revision = "0019_cable_timeline_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE search_documents ALTER COLUMN tsv SET DEFAULT ''::tsvector")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE search_documents ALTER COLUMN tsv DROP DEFAULT")
