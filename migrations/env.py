"""Alembic environment: async engines, batch mode for SQLite, the models' naming convention.

`bot.db.migrate` hands in a live connection through `config.attributes["connection"]`; the
`alembic` command line builds its own engine from the bot's database settings (bot.settings).
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from bot.db import models  # noqa: F401  (registers every table on Base.metadata)
from bot.db.base import Base
from bot.db.engine import create_engine
from bot.db.migrate import locked_transaction
from bot.settings import SettingsError, load_database_settings

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    """The URL the command line migrates: the bot's own (DATABASE_URL, else its SQLite file in DATA_DIR)."""
    try:
        return load_database_settings().resolved_database_url
    except SettingsError as exc:
        raise SystemExit("The database settings have problems:\n  - " + "\n  - ".join(exc.problems)) from None


async def _run_async() -> None:
    engine = create_engine(_url())
    try:
        async with locked_transaction(engine) as connection:  # the lock the bot takes, so a start waits
            await connection.run_sync(_configure)
    finally:
        await engine.dispose()


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, render_as_batch=True,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
elif (connection := config.attributes.get("connection")) is not None:
    _configure(connection)
else:
    asyncio.run(_run_async())
