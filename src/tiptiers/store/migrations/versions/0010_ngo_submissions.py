"""ngo accounts (users.organisation), shadow-report submissions, files attached to a government's replies, and who
uploaded which file

Revision ID: 0010_ngo_submissions
Revises: 0008_assessment_version
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_ngo_submissions"
down_revision = "0008_assessment_version"
branch_labels = None
depends_on = None

OLD_ROLES = "role IN ('admin', 'analyst', 'reviewer', 'liaison')"
NEW_ROLES = "role IN ('admin', 'analyst', 'reviewer', 'liaison', 'ngo')"
NGO_ORGANISATION = "(role = 'ngo' AND organisation IS NOT NULL) OR (role <> 'ngo' AND organisation IS NULL)"


def _alter_users(drop: list[str], create: list[tuple[str, str]], drop_columns: tuple[str, ...] = ()) -> None:
    """Drop and create named CHECK constraints (and drop columns) of `users`.

    SQLite changes a CHECK constraint only by copying the table. With foreign keys on (as tiptiers runs SQLite),
    dropping the old copy deletes the sessions and API tokens that reference it (ON DELETE CASCADE), so they are
    kept aside and put back; the references are checked at commit, when `users` holds the same ids again."""
    bind = op.get_bind()
    kept: list[str] = []
    if bind.dialect.name == "sqlite":
        bind.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        inspector = sa.inspect(bind)
        for table in inspector.get_table_names():
            if any(fk["referred_table"] == "users" for fk in inspector.get_foreign_keys(table)):
                bind.exec_driver_sql(f'CREATE TEMP TABLE "keep_{table}" AS SELECT * FROM "{table}"')
                kept.append(table)
    with op.batch_alter_table("users") as batch:
        for name in drop:
            batch.drop_constraint(name, type_="check")
        for column in drop_columns:
            batch.drop_column(column)
        for name, condition in create:
            batch.create_check_constraint(name, condition)
    for table in kept:
        bind.exec_driver_sql(f'DELETE FROM "{table}"')
        bind.exec_driver_sql(f'INSERT INTO "{table}" SELECT * FROM "keep_{table}"')
        bind.exec_driver_sql(f'DROP TABLE "keep_{table}"')


def upgrade() -> None:
    op.add_column("users", sa.Column("organisation", sa.String(200), nullable=True))
    _alter_users(["ck_users_role"], [("ck_users_role", NEW_ROLES), ("ck_users_ngo_organisation", NGO_ORGANISATION)])
    op.create_table(
        "attachment_uploads",
        sa.Column("sha256", sa.String(64), sa.ForeignKey("attachments.sha256"), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True,
                  index=True),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "response_attachments",
        sa.Column("response_id", sa.Integer, sa.ForeignKey("claim_responses.id"), primary_key=True),
        sa.Column("sha256", sa.String(64), sa.ForeignKey("attachments.sha256"), nullable=False, index=True),
        sa.Column("public", sa.Boolean, nullable=False),
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.Column("iso3", sa.String(3), sa.ForeignKey("countries.iso3"), nullable=False, index=True),
        sa.Column("year", sa.Integer, nullable=False, index=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "submission_claims",
        sa.Column("evidence_id", sa.Integer, sa.ForeignKey("evidence.id"), primary_key=True),
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), nullable=False, index=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("analyst_note", sa.Text, nullable=False),
        sa.Column("note_by", sa.String(100), nullable=True),
        sa.Column("note_at", sa.DateTime, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("submission_claims")
    op.drop_table("submissions")
    op.drop_table("response_attachments")
    op.drop_table("attachment_uploads")
    _alter_users(["ck_users_ngo_organisation", "ck_users_role"], [("ck_users_role", OLD_ROLES)], ("organisation",))
