"""An account's language: the interface's and its e-mail notices' (en, fr, es; none: English)

Revision ID: 0022
Revises: 0020_search_tsv_default
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0020_search_tsv_default"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("language", sa.String(8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("language")
