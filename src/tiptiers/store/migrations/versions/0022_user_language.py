"""Languages: an account's (of its e-mail notices: en, fr, es; none: English), and the whole-report PDFs one per
year and language (the primary key becomes year and language; the stored ones are English)

Revision ID: 0022
Revises: 0020_search_tsv_default
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_user_language"
down_revision = "0021_text_languages"
branch_labels = None
depends_on = None


def _report_key(columns: list[str]) -> None:
    """The primary key of report_pdfs on `columns` (PostgreSQL: in place; SQLite, which cannot change a primary
    key: a copy of the table with the new key, the rows copied over)."""
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("report_pdfs_pkey", "report_pdfs", type_="primary")
        op.create_primary_key("report_pdfs_pkey", "report_pdfs", columns)
        return
    op.create_table(
        "report_pdfs_new",
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("language", sa.String(8), nullable=False, server_default="en"),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("built_at", sa.DateTime, nullable=False),
        sa.Column("checked_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint(*columns),
    )
    op.execute("INSERT INTO report_pdfs_new (year, language, content, digest, fingerprint, built_at, checked_at) "
               "SELECT year, language, content, digest, fingerprint, built_at, checked_at FROM report_pdfs")
    op.drop_table("report_pdfs")
    op.rename_table("report_pdfs_new", "report_pdfs")


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("language", sa.String(8), nullable=True))
    op.add_column("report_pdfs", sa.Column("language", sa.String(8), nullable=False, server_default="en"))
    _report_key(["year", "language"])


def downgrade() -> None:
    op.execute("DELETE FROM report_pdfs WHERE language <> 'en'")
    _report_key(["year"])
    with op.batch_alter_table("report_pdfs") as batch:  # (SQLite: the copy keeps the column until here)
        batch.drop_column("language")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("language")
