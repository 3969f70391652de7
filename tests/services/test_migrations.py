"""The migrations are the schema: they build it from empty, tear it down, and match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.db.base import Base
from bot.db.migrate import downgrade, upgrade
from tests.databases import Database

TABLES = {"guild_settings", "audit_log", "jobs", "bot_state", "alembic_version"}


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


def _diff(conn: Connection) -> list[object]:
    context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
    return list(compare_metadata(context, Base.metadata))


async def test_upgrade_from_empty_then_down_to_base(database: Database) -> None:
    engine = database.engine()
    try:
        await upgrade(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) >= TABLES
        await downgrade(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) <= {"alembic_version"}
        await upgrade(engine)  # and back up again: downgrades leave nothing behind that blocks it
    finally:
        await engine.dispose()


async def test_models_and_migrations_agree(database: Database) -> None:
    engine = database.engine()
    try:
        await upgrade(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
    finally:
        await engine.dispose()


def test_the_newest_revision_read_from_the_files_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    from bot.db.migrate import alembic_config, newest_revision

    assert newest_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()


async def test_a_database_at_the_newest_revision_is_known_without_alembic(database: Database) -> None:
    from bot.db.migrate import current_revision, newest_revision

    engine = database.engine()
    try:
        assert await current_revision(engine) is None  # empty
        await upgrade(engine)
        assert await current_revision(engine) == newest_revision()
    finally:
        await engine.dispose()
