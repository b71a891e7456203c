"""the second stage of the right of reply: a review request's stage (draft or final report), and the government's
final comments, published with the report

Revision ID: 0013_final_stage
Revises: 0012_public_call
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_final_stage"
down_revision = "0012_public_call"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # add_column, not a table copy: claim_responses references review_requests
    op.add_column("review_requests", sa.Column("stage", sa.String(10), nullable=False, server_default="draft"))
    op.create_table(
        "final_comments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("review_requests.id"), nullable=False, index=True),
        sa.Column("iso3", sa.String(3), sa.ForeignKey("countries.iso3"), nullable=False),
        sa.Column("year", sa.Integer, nullable=False, index=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("final_comments")
    op.drop_column("review_requests", "stage")
