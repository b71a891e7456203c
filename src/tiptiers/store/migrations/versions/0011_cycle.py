"""the annual cycle: e-mail addresses of accounts, the job queue, notices and each user's choice of them, Tier 3
determinations, the year lists (policy or pattern, Child Soldiers), interim assessments of Watch List countries

Revision ID: 0011_cycle
Revises: 0010_ngo_submissions
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_cycle"
down_revision = "0010_ngo_submissions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("email", sa.String(320), nullable=True))  # add_column: no table copy
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("task", sa.String(100), nullable=False, index=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("key", sa.String(300), nullable=True, unique=True),
        sa.Column("state", sa.String(10), nullable=False, index=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("max_attempts", sa.Integer, nullable=False),
        sa.Column("run_at", sa.DateTime, nullable=False, index=True),
        sa.Column("locked_by", sa.String(100), nullable=True),
        sa.Column("locked_at", sa.DateTime, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=True),
        sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name="ck_jobs_state"),
    )
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("key", sa.String(300), nullable=True, unique=True),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body_text", sa.Text, nullable=False),
        sa.Column("body_html", sa.Text, nullable=False),
        sa.Column("link", sa.String(500), nullable=False),
        sa.Column("address", sa.String(320), nullable=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime, nullable=True),
        sa.CheckConstraint("state IN ('queued', 'sent', 'off', 'no_address', 'failed')", name="ck_notices_state"),
    )
    op.create_table(
        "notice_preferences",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("kind", sa.String(40), primary_key=True),
        sa.Column("enabled", sa.Boolean, nullable=False),
    )
    op.create_table(
        "tier3_determinations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("iso3", sa.String(3), sa.ForeignKey("countries.iso3"), nullable=False),
        sa.Column("year", sa.Integer, nullable=False, index=True),
        sa.Column("paragraph", sa.String(2), nullable=False),
        sa.Column("scope", sa.String(12), nullable=False),
        sa.Column("programmes", sa.Text, nullable=False),
        sa.Column("determined_on", sa.Date, nullable=False),
        sa.Column("signed_by", sa.String(200), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("iso3", "year", name="uq_tier3_determinations_iso3_year"),
        sa.CheckConstraint("paragraph IN ('d1', 'd2', 'd3', 'd4', 'd5')", name="ck_tier3_determinations_paragraph"),
        sa.CheckConstraint("scope IN ('whole', 'programmes')", name="ck_tier3_determinations_scope"),
    )
    op.create_table(
        "year_list_entries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("year", sa.Integer, nullable=False, index=True),
        sa.Column("list", sa.String(20), nullable=False),
        sa.Column("iso3", sa.String(3), sa.ForeignKey("countries.iso3"), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("year", "list", "iso3", name="uq_year_list_entries"),
        sa.CheckConstraint("list IN ('policy_or_pattern', 'child_soldiers')", name="ck_year_list_entries_list"),
    )
    op.create_table(
        "interim_assessments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("iso3", sa.String(3), sa.ForeignKey("countries.iso3"), nullable=False),
        sa.Column("year", sa.Integer, nullable=False, index=True),
        sa.Column("progress", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("evidence_ids", sa.Text, nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("sent_on", sa.Date, nullable=True),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("iso3", "year", name="uq_interim_assessments_iso3_year"),
    )


def downgrade() -> None:
    for table in ("interim_assessments", "year_list_entries", "tier3_determinations", "notice_preferences",
                  "notices", "jobs"):
        op.drop_table(table)
    op.drop_column("users", "email")  # ALTER TABLE DROP COLUMN (SQLite 3.35+): no table copy, sessions kept
