"""countries, placements and the 3P index

Revision ID: 0001_placements
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_placements"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "countries",
        sa.Column("iso3", sa.String(3), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("iso_status", sa.String(10), nullable=False),
        sa.Column("iso_numeric", sa.String(3)),
    )
    op.create_table(
        "placements",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("iso3", sa.String(3), sa.ForeignKey("countries.iso3"), nullable=False, index=True),
        sa.Column("year", sa.Integer, nullable=False, index=True),
        sa.Column("tier", sa.String(7), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.UniqueConstraint("iso3", "year", name="uq_placements_iso3_year"),
        sa.CheckConstraint("tier IN ('1', '2', '2WL', '3', 'special')", name="ck_placements_tier"),
    )
    op.create_table(
        "three_p_scores",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("iso3", sa.String(3), sa.ForeignKey("countries.iso3"), nullable=False, index=True),
        sa.Column("year", sa.Integer, nullable=False, index=True),
        sa.Column("prosecution", sa.Integer),
        sa.Column("protection", sa.Integer),
        sa.Column("prevention", sa.Integer),
        sa.Column("total", sa.Integer),
        sa.UniqueConstraint("iso3", "year", name="uq_three_p_iso3_year"),
    )


def downgrade() -> None:
    op.drop_table("three_p_scores")
    op.drop_table("placements")
    op.drop_table("countries")
