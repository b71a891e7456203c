"""Run Alembic migrations from code. Several heads may exist (features land in parallel): upgrade all."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine

if TYPE_CHECKING:  # Alembic (with Mako and Pygments) loads only when a command migrates: every command imports this
    from alembic.config import Config


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "tiptiers.store:migrations")
    return config


def upgrade(engine: Engine) -> None:
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")


def pending_revisions(engine: Engine) -> set[str]:
    """Revisions not yet applied. The version table keeps only heads; what they imply (down revisions and
    `depends_on`) counts as applied too."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    applied = {r.revision for r in script.revision_map.iterate_revisions(current, "base") if r is not None}
    return {r.revision for r in script.walk_revisions()} - applied
