"""PostgreSQL: every activity-log entry NOTIFYs tiptiers_activity (with its number), so each app host follows the
changes without a query per request (web/changes.py); whoever writes (a host, the worker, the CLI, a restore) is
heard. SQLite needs nothing: a host reads PRAGMA data_version.

Revision ID: 0018_activity_notify
Revises: 0017_compressed_cables
Create Date: 2026-12-01
"""

from alembic import op

revision = "0018_activity_notify"
down_revision = "0017_compressed_cables"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE FUNCTION tiptiers_activity_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('tiptiers_activity', NEW.seq::text);
            RETURN NULL;
        END $$""")
    op.execute("""
        CREATE TRIGGER activity_log_notify AFTER INSERT ON activity_log
        FOR EACH ROW EXECUTE FUNCTION tiptiers_activity_notify()""")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS activity_log_notify ON activity_log")
    op.execute("DROP FUNCTION IF EXISTS tiptiers_activity_notify()")
