"""Databases for tests, always built by the real migrations.

SQLite: a fresh file per test. PostgreSQL (when TEST_DATABASE_URL is set): a fresh schema per
test on that database, dropped afterwards, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import create_engine
from bot.db.migrate import upgrade

PG_SKIP_REASON = (
    "PostgreSQL tests need TEST_DATABASE_URL, e.g. "
    "postgresql+asyncpg://postgres@127.0.0.1:5432/test (.ci/run sets it)"
)


def postgres_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


def sqlite_database(folder: Path) -> Database:
    return Database(f"sqlite+aiosqlite:///{(folder / 'bot.db').as_posix()}")


@dataclass(frozen=True)
class Database:
    url: str
    search_path: str | None = None

    def engine(self) -> AsyncEngine:
        if self.search_path is None:
            return create_engine(self.url)
        return create_engine(self.url, connect_args={"server_settings": {"search_path": self.search_path}})


@asynccontextmanager
async def postgres_schema() -> AsyncIterator[Database]:
    """Yield a database whose connections use a new, empty schema."""
    base = postgres_url()
    if base is None:
        pytest.skip(PG_SKIP_REASON)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield Database(base, schema)
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@asynccontextmanager
async def migrated_engine(database: Database) -> AsyncIterator[AsyncEngine]:
    engine = database.engine()
    await upgrade(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards: for a whole bot process or
    in-process bot, which reads its database from a URL alone (no schema of its own)."""
    base = postgres_url()
    if base is None:
        pytest.skip(PG_SKIP_REASON)
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
