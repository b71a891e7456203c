"""an index a country's page of cables is read from: filtered, ordered and counted without reading the rows

Revision ID: 0019_cable_timeline_index
Revises: 0018_activity_notify
Create Date: 2026-12-01

`store.cables.timeline_page` filters a country's current cables by report year, TAGS, classification and reaction
and orders them by date: with these columns in the index (after the key, INCLUDE on PostgreSQL) it reads the index
alone, not one table page per cable (each row holds its compressed text).
"""

from alembic import op

revision = "0019_cable_timeline_index"
down_revision = "0018_activity_notify"
branch_labels = None
depends_on = None

KEY = "iso3, is_current, sent_at, reference_id"
LISTED = "report_year, classification, tags, reactions, subject"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE INDEX ix_cables_country_timeline ON cables ({KEY}) INCLUDE ({LISTED})")
    else:
        op.execute(f"CREATE INDEX ix_cables_country_timeline ON cables ({KEY}, {LISTED})")


def downgrade() -> None:
    op.execute("DROP INDEX ix_cables_country_timeline")
