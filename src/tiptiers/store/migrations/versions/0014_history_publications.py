"""history publications: the June 1 rule becomes rows. A year is public only from its `publications` row; each year
with placements, no row, a report already out (its day in data/report_releases.csv, else June 1) and no drafts,
reviews or assessments (evidence, assessments, review_requests) is recorded as published then by "history", as an
import now records it. A year with drafts and no row (one the old rule made public on June 1) stays unpublished
until someone publishes it.

Revision ID: 0014_history_publications
Revises: 0013_final_stage
Create Date: 2026-12-01
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from tiptiers.report_years import history_releases

revision = "0014_history_publications"
down_revision = "0013_final_stage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    now = datetime.now(UTC).replace(tzinfo=None)
    scheduled = {row[0] for row in connection.execute(sa.text("SELECT year FROM publications"))}
    prepared: set[int] = set()
    for table in ("evidence", "assessments", "review_requests"):
        prepared |= {row[0] for row in connection.execute(sa.text(f"SELECT DISTINCT year FROM {table}"))}
    placed = sorted(row[0] for row in connection.execute(sa.text("SELECT DISTINCT year FROM placements")))
    for year in placed:
        released = history_releases().get(year)
        at = datetime(released.year, released.month, released.day) if released else datetime(year, 6, 1)
        if year in scheduled or year in prepared or at > now:
            continue
        connection.execute(sa.text("INSERT INTO publications (year, publish_at, scheduled_by, scheduled_at, note) "
                                   "VALUES (:year, :at, 'history', :now, :note)"),
                           {"year": year, "at": at, "now": now,
                            "note": "imported history: the day the TIP Report came out"})


def downgrade() -> None:
    op.execute("DELETE FROM publications WHERE scheduled_by = 'history'")
