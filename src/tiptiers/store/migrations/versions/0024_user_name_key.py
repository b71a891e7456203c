"""Account names unique as people read them: users.name_key (NFKC, case-folded: la, LA and fullwidth ｌａ are one
name), filled from the names on record and unique, so that two processes cannot make la and LA at once. Names on
record that already clash stop the upgrade, naming them (one must be renamed or removed first).

Revision ID: 0024
Revises: 0023_cable_speed
Create Date: 2026-12-01
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0024_user_name_key"
down_revision = "0023_cable_speed"
branch_labels = None
depends_on = None


def _key(name: str) -> str:  # store/users.py name_key, as it stands at this revision
    return unicodedata.normalize("NFKC", name or "").strip().casefold()


# A unique index, not a constraint: SQLite changes a table's constraints only by copying it, which (foreign keys on)
# would delete the sessions and tokens that reference it (see 0010). The application always sets the key.


def upgrade() -> None:
    op.add_column("users", sa.Column("name_key", sa.String(100), nullable=True))
    bind = op.get_bind()
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("name", sa.String),
                     sa.column("name_key", sa.String))
    seen: dict[str, str] = {}
    for user_id, name in bind.execute(sa.select(users.c.id, users.c.name)).all():
        key = _key(name)
        if key in seen:
            raise RuntimeError(f"users: the accounts {seen[key]!r} and {name!r} differ only in case or width; "
                               "rename or remove one (`tiptiers users ...`) and upgrade again")
        seen[key] = name
        bind.execute(sa.update(users).where(users.c.id == user_id).values(name_key=key))
    op.create_index("uq_users_name_key", "users", ["name_key"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_users_name_key", "users")
    op.execute("ALTER TABLE users DROP COLUMN name_key")  # in place on both (SQLite 3.35+): no copy of the table
