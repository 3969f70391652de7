"""Alembic environment: async engines, batch mode for SQLite, the models' naming convention.

`bot.db.migrate` hands in a live connection through `config.attributes["connection"]`; the
`alembic` command line builds its own engine from DATABASE_URL (or the bot's default).
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from bot.db import models  # noqa: F401  (registers every table on Base.metadata)
from bot.db.base import Base
from bot.db.engine import create_engine

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
    """The URL the command line migrates: DATABASE_URL, else the bot's default SQLite file."""
    data_dir = os.environ.get("DATA_DIR", "data")
    return (
        os.environ.get("DATABASE_URL")
        or f"sqlite+aiosqlite:///{data_dir}/bot.db"
    )


async def _run_async() -> None:
    engine = create_engine(_url())
    async with engine.connect() as connection:
        await connection.run_sync(_configure)
        await connection.commit()
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
