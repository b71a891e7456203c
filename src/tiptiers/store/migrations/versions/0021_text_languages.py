"""the languages of what governments write (answers to claims, final comments, questionnaire answers), the office's
translations of those texts, and narrative versions per language (the original English and its translations)

Every existing text and narrative version is in English ("en"); an existing questionnaire answer is too (an answer
missing from `languages` is English).

Revision ID: 0021
Revises: 0020_search_tsv_default
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_text_languages"
down_revision = "0020_search_tsv_default"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # add_column, not a table copy: other tables reference claim_responses and review_requests
    op.add_column("claim_responses", sa.Column("language", sa.String(35), nullable=False, server_default="en"))
    op.add_column("final_comments", sa.Column("language", sa.String(35), nullable=False, server_default="en"))
    op.add_column("questionnaire_answers", sa.Column("languages", sa.JSON, nullable=False,
                                                     server_default=sa.text("'{}'")))
    # the version number is per language now: the unique constraint gains the language (a table copy on SQLite;
    # nothing references narrative_versions)
    with op.batch_alter_table("narrative_versions") as batch:
        batch.add_column(sa.Column("language", sa.String(35), nullable=False, server_default="en"))
        batch.drop_constraint("uq_narrative_versions_version", type_="unique")
        batch.create_unique_constraint("uq_narrative_versions_version", ["iso3", "year", "language", "version"])
    op.create_table(
        "text_translations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("ref", sa.String(100), nullable=False, index=True),
        sa.Column("iso3", sa.String(3), nullable=False, index=True),
        sa.Column("year", sa.Integer, nullable=False, index=True),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("original", sa.Text, nullable=False),
        sa.Column("translator", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("kind", "ref", "language", name="uq_text_translations_text_language"),
        sa.CheckConstraint("kind IN ('response', 'final_comment', 'answer')", name="ck_text_translations_kind"),
    )


def downgrade() -> None:
    op.drop_table("text_translations")
    op.execute("DELETE FROM narrative_versions WHERE language <> 'en'")
    with op.batch_alter_table("narrative_versions") as batch:
        batch.drop_constraint("uq_narrative_versions_version", type_="unique")
        batch.create_unique_constraint("uq_narrative_versions_version", ["iso3", "year", "version"])
        batch.drop_column("language")
    op.drop_column("questionnaire_answers", "languages")
    op.drop_column("final_comments", "language")
    op.drop_column("claim_responses", "language")
