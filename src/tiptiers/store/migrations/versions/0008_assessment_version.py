"""assessments.version, for optimistic locking of concurrent edits

Revision ID: 0008_assessment_version
Revises: 0007_analysis
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_assessment_version"
down_revision = "0007_analysis"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.drop_column("version")
