"""the public call for information: written information sent on the public form, waiting for its sender to confirm
the address, then unverified evidence

Revision ID: 0012_public_call
Revises: 0011_cycle
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_public_call"
down_revision = "0011_cycle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "public_submissions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("email", sa.String(320), nullable=False, index=True),
        sa.Column("sender", sa.String(200), nullable=False),
        sa.Column("source_type", sa.String(30), nullable=False),
        sa.Column("iso3", sa.String(3), sa.ForeignKey("countries.iso3"), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("statement", sa.Text, nullable=False),
        sa.Column("criteria", sa.Text, nullable=False),
        sa.Column("source_url", sa.String(500), nullable=False),
        sa.Column("attachment_sha256", sa.String(64), sa.ForeignKey("attachments.sha256"), nullable=True),
        sa.Column("client", sa.String(100), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime, nullable=False, index=True),
        sa.Column("confirmed_at", sa.DateTime, nullable=True),
        sa.Column("evidence_id", sa.Integer, sa.ForeignKey("evidence.id"), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("public_submissions")
