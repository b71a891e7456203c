"""several app hosts: whole-report PDFs in the database; on PostgreSQL the job queue is Procrastinate's (its schema,
and job_notes for what it does not keep: a job's key for good, its last error); notices.job_id then names a
Procrastinate job, so its foreign key to the SQLite queue's table goes

Revision ID: 0016_hosts
Revises: 0015_history
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_hosts"
down_revision = "0015_history"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_pdfs",
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),  # of the HTML it was made from, printed time left out
        sa.Column("fingerprint", sa.Text, nullable=False),  # of the narratives and publication it was made from
        sa.Column("built_at", sa.DateTime, nullable=False),
        sa.Column("checked_at", sa.DateTime, nullable=False),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager

    # The schema of the Procrastinate release in the lock file; a later release's delta files (in its
    # sql/migrations) go into a new migration of this chain.
    driver = op.get_bind().connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:  # no parameters: its % signs stay as written
        cursor.execute(SchemaManager.get_schema())
    op.create_table(
        "job_notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(300), nullable=True, unique=True),
        sa.Column("job_id", sa.BigInteger, nullable=True, unique=True),
        sa.Column("last_error", sa.Text, nullable=True),
    )
    op.drop_constraint("notices_job_id_fkey", "notices", type_="foreignkey")


def downgrade() -> None:
    op.drop_table("report_pdfs")
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_table("job_notes")
    op.execute("UPDATE notices SET job_id = NULL WHERE job_id NOT IN (SELECT id FROM jobs)")
    op.create_foreign_key("notices_job_id_fkey", "notices", "jobs", ["job_id"], ["id"])
    # Procrastinate ships no script that removes its schema: every object of its name in this schema goes.
    op.execute("""
        DO $$
        DECLARE item record;
        BEGIN
            FOR item IN SELECT tablename FROM pg_tables
                        WHERE schemaname = current_schema() AND tablename LIKE 'procrastinate%' LOOP
                EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', item.tablename);
            END LOOP;
            FOR item IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
                        JOIN pg_namespace n ON n.oid = p.pronamespace
                        WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate%' LOOP
                EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', item.signature);
            END LOOP;
            FOR item IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                        WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate%'
                        AND t.typtype IN ('e', 'c', 'd') LOOP
                EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', item.typname);
            END LOOP;
        END $$""")
