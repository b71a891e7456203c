"""analysis: robustness runs (parameters, bounds, seed) and their per-country tier probabilities

Revision ID: 0007_analysis
Revises: 0006_publication
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_analysis"
down_revision = "0006_publication"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "robustness_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("year", sa.Integer, nullable=False, index=True),
        sa.Column("methodology", sa.String(40), nullable=False),
        sa.Column("draws", sa.Integer, nullable=False),
        sa.Column("seed", sa.BigInteger, nullable=False),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("bounds", sa.JSON, nullable=False),
        sa.Column("sources", sa.JSON, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("draws > 0", name="ck_robustness_runs_draws"),
    )
    op.create_table(
        "robustness_results",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("robustness_runs.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("iso3", sa.String(3), sa.ForeignKey("countries.iso3"), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("base_tier", sa.String(7), nullable=False),
        sa.Column("placed_tier", sa.String(7), nullable=True),
        sa.Column("p_tier_1", sa.Float, nullable=False),
        sa.Column("p_tier_2", sa.Float, nullable=False),
        sa.Column("p_watch_list", sa.Float, nullable=False),
        sa.Column("p_tier_3", sa.Float, nullable=False),
        sa.UniqueConstraint("run_id", "iso3", name="uq_robustness_results_run_iso3"),
        sa.CheckConstraint("source IN ('assessment', '3p')", name="ck_robustness_results_source"),
    )


def downgrade() -> None:
    op.drop_table("robustness_results")
    op.drop_table("robustness_runs")
