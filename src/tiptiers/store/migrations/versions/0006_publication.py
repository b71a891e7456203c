"""publication: report-year release times (embargo) and dated narrative versions

Revision ID: 0006_publication
Revises: 0005_review
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_publication"
down_revision = "0005_review"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "publications",
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("publish_at", sa.DateTime, nullable=False),
        sa.Column("scheduled_by", sa.String(100), nullable=False),
        sa.Column("scheduled_at", sa.DateTime, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_table(
        "narrative_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("iso3", sa.String(3), sa.ForeignKey("countries.iso3"), nullable=False, index=True),
        sa.Column("year", sa.Integer, nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("markdown", sa.Text, nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("iso3", "year", "version", name="uq_narrative_versions_version"),
    )


def downgrade() -> None:
    op.drop_table("narrative_versions")
    op.drop_table("publications")
