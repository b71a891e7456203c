"""the public history to 2025: each placement's provenance (source as long as it needs, method, evidence, the
name the source used, who owns the row), dated corrections of published placements, each year's coverage, and
the source of each waiver

Revision ID: 0015_history
Revises: 0014_history_publications
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_history"
down_revision = "0014_history_publications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite does not enforce VARCHAR lengths, and changing a type there means copying the table; PostgreSQL does.
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("placements", "source", type_=sa.Text, existing_nullable=False)
    op.add_column("placements", sa.Column("method", sa.String(10)))
    op.add_column("placements", sa.Column("evidence", sa.Text))
    op.add_column("placements", sa.Column("country_name", sa.String(200)))
    op.add_column("placements", sa.Column("origin", sa.String(10), nullable=False, server_default="import"))
    # Rows the bundled load wrote are the bundle's own; an import wrote "import:FILE".
    op.execute("UPDATE placements SET origin = 'bundled' WHERE source LIKE 'bundled:%'")
    op.create_table(
        "placement_corrections",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("iso3", sa.String(3), sa.ForeignKey("countries.iso3"), nullable=False, index=True),
        sa.Column("year", sa.Integer, nullable=False, index=True),
        sa.Column("previous_tier", sa.String(7)),
        sa.Column("previous_source", sa.Text),
        sa.Column("tier", sa.String(7), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False, index=True),
    )
    op.create_table(
        "year_coverage",
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("full_tiers", sa.String(40), nullable=False),
        sa.Column("gaps_json", sa.Text, nullable=False),
        sa.Column("waivers", sa.String(10), nullable=False),
        sa.Column("official_count", sa.Integer),
        sa.Column("official_source", sa.Text),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("origin", sa.String(10), nullable=False),
    )
    op.add_column("engine_waivers", sa.Column("source", sa.Text))
    op.add_column("engine_waivers", sa.Column("origin", sa.String(10), nullable=False, server_default="user"))


def downgrade() -> None:
    op.drop_column("engine_waivers", "origin")
    op.drop_column("engine_waivers", "source")
    op.drop_table("year_coverage")
    op.drop_table("placement_corrections")
    for column in ("origin", "country_name", "evidence", "method"):
        op.drop_column("placements", column)
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("placements", "source", type_=sa.String(200), existing_nullable=False)
