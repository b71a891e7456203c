"""engine: overrides of the computed tier and waivers of the automatic downgrade

Revision ID: 0002_engine
Revises: 0001_placements
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_engine"
down_revision = "0001_placements"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "engine_overrides",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("iso3", sa.String(3), sa.ForeignKey("countries.iso3"), nullable=False, index=True),
        sa.Column("year", sa.Integer, nullable=False, index=True),
        sa.Column("tier", sa.String(7), nullable=False),
        sa.Column("justification", sa.Text, nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("iso3", "year", name="uq_engine_overrides_iso3_year"),
        sa.CheckConstraint("tier IN ('1', '2', '2WL', '3', 'special')", name="ck_engine_overrides_tier"),
        sa.CheckConstraint("length(trim(justification)) > 0", name="ck_engine_overrides_justified"),
    )
    op.create_table(
        "engine_waivers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("iso3", sa.String(3), sa.ForeignKey("countries.iso3"), nullable=False, index=True),
        sa.Column("year", sa.Integer, nullable=False, index=True),
        sa.Column("justification", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("iso3", "year", name="uq_engine_waivers_iso3_year"),
        sa.CheckConstraint("length(trim(justification)) > 0", name="ck_engine_waivers_justified"),
    )


def downgrade() -> None:
    op.drop_table("engine_waivers")
    op.drop_table("engine_overrides")
