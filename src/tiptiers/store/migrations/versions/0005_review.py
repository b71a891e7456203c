"""evidence, attachments, assessments, review requests, responses, dispute resolutions, gate overrides, questionnaires

Revision ID: 0005_review
Revises: 0004_users
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_review"
down_revision = "0004_users"
branch_labels = None
depends_on = None

STATES = ("unverified", "corroborated", "confirmed_by_government", "disputed_by_government", "withdrawn")
SOURCE_TYPES = ("government", "ngo", "international_organisation", "media", "embassy_reporting", "court_record",
                "academic")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _country() -> sa.Column:
    return sa.Column("iso3", sa.String(3), sa.ForeignKey("countries.iso3"), nullable=False, index=True)


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer, primary_key=True),
        _country(),
        sa.Column("year", sa.Integer, nullable=False, index=True),
        sa.Column("criteria", sa.JSON, nullable=False),
        sa.Column("statement", sa.Text, nullable=False),
        sa.Column("original_statement", sa.Text),
        sa.Column("source_type", sa.String(30), nullable=False),
        sa.Column("source_name", sa.String(200), nullable=False),
        sa.Column("source_date", sa.Date),
        sa.Column("source_url", sa.String(500), nullable=False),
        sa.Column("attachment_sha256", sa.String(64), sa.ForeignKey("attachments.sha256")),
        sa.Column("corroborated_by_id", sa.Integer, sa.ForeignKey("evidence.id")),
        sa.Column("state", sa.String(30), nullable=False),
        sa.Column("entered_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.CheckConstraint(_in("state", STATES), name="ck_evidence_state"),
        sa.CheckConstraint(_in("source_type", SOURCE_TYPES), name="ck_evidence_source_type"),
    )
    op.create_table(
        "evidence_transitions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("evidence_id", sa.Integer, sa.ForeignKey("evidence.id"), nullable=False, index=True),
        sa.Column("from_state", sa.String(30)),
        sa.Column("to_state", sa.String(30), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer, primary_key=True),
        _country(),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("narrative", sa.Text, nullable=False),
        sa.Column("signals", sa.JSON, nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("iso3", "year", name="uq_assessments_iso3_year"),
    )
    op.create_table(
        "assessment_ratings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("assessment_id", sa.Integer, sa.ForeignKey("assessments.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("criterion", sa.String(40), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.UniqueConstraint("assessment_id", "criterion", name="uq_assessment_ratings_criterion"),
        sa.CheckConstraint(_in("level", ("not_met", "partial", "substantial", "full")),
                           name="ck_assessment_ratings_level"),
    )
    op.create_table(
        "rating_evidence",
        sa.Column("rating_id", sa.Integer, sa.ForeignKey("assessment_ratings.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("evidence_id", sa.Integer, sa.ForeignKey("evidence.id"), primary_key=True),
    )
    op.create_table(
        "review_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        _country(),
        sa.Column("year", sa.Integer, nullable=False, index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("sent_at", sa.DateTime, nullable=False),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("sent_by", sa.String(100), nullable=False),
        sa.Column("completed_at", sa.DateTime),
        sa.Column("completed_by", sa.String(100)),
        sa.CheckConstraint(_in("kind", ("draft", "questionnaire")), name="ck_review_requests_kind"),
    )
    op.create_table(
        "claim_responses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("review_requests.id"), nullable=False, index=True),
        sa.Column("evidence_id", sa.Integer, sa.ForeignKey("evidence.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("counter_evidence", sa.Text, nullable=False),
        sa.Column("counter_source_url", sa.String(500), nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.CheckConstraint(_in("kind", ("confirm", "dispute", "comment")), name="ck_claim_responses_kind"),
    )
    op.create_table(
        "dispute_resolutions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("response_id", sa.Integer, sa.ForeignKey("claim_responses.id"), nullable=False, unique=True),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("corrected_statement", sa.Text),
        sa.Column("withdrawn", sa.Boolean, nullable=False),
        sa.Column("resolved_by", sa.String(100), nullable=False),
        sa.Column("resolved_at", sa.DateTime, nullable=False),
        sa.CheckConstraint(_in("outcome", ("accepted", "maintained")), name="ck_dispute_outcome"),
    )
    op.create_table(
        "publish_gate_overrides",
        sa.Column("id", sa.Integer, primary_key=True),
        _country(),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("admin", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "questionnaire_answers",
        sa.Column("id", sa.Integer, primary_key=True),
        _country(),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("answers", sa.JSON, nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("iso3", "year", name="uq_questionnaire_iso3_year"),
    )


def downgrade() -> None:
    for table in ("questionnaire_answers", "publish_gate_overrides", "dispute_resolutions", "claim_responses",
                  "review_requests", "rating_evidence", "assessment_ratings", "assessments", "evidence_transitions",
                  "evidence", "attachments"):
        op.drop_table(table)
