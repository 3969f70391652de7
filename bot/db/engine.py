"""Engine and session factory for SQLite (the default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 5000


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create an engine; on SQLite turn on WAL, foreign keys and a busy timeout for every connection."""
    # A failed statement's error names its parameters, and errors are logged: those can be what a member
    # wrote (a note, before encryption) or an anonymous author's id. Never in the log.
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return create_async_engine(url, **kwargs)

    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, **kwargs)
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # The wait first: switching a new file to WAL needs it alone, and another process may be there too.
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class BotSession(AsyncSession):
    """An AsyncSession that skips closing when it never began: most interactions are answered from
    memory (bot.db.changes) and open a session only in case. SQLAlchemy's close runs in a task and a
    greenlet either way, about 55 µs, a tenth of a whole interaction; with no transaction and no objects
    there is nothing to release."""

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        if self.sync_session.in_transaction() or len(self.sync_session.identity_map):
            await super().__aexit__(type_, value, traceback)


# SQLite has one writer at a time, and a waiting writer sleeps in its busy handler (up to 100 ms a try): in one
# process, writers taking turns on an asyncio lock are far faster than connections colliding. One lock per
# database and event loop; PostgreSQL needs none.
_write_turns: weakref.WeakKeyDictionary[Any, weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]] = \
    weakref.WeakKeyDictionary()


def write_turn(sessions: async_sessionmaker[AsyncSession]) -> contextlib.AbstractAsyncContextManager[Any]:
    """Hold while writing to the database behind `sessions`: a lock on SQLite, nothing on PostgreSQL."""
    bind = sessions.kw.get("bind")
    if bind is None or bind.dialect.name != "sqlite":
        return contextlib.nullcontext()
    turns = _write_turns.setdefault(bind.sync_engine, weakref.WeakKeyDictionary())
    return turns.setdefault(asyncio.get_running_loop(), asyncio.Lock())


@contextlib.asynccontextmanager
async def writing(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A write transaction that takes its turn (see `write_turn`)."""
    async with write_turn(sessions), sessions.begin() as session:
        yield session


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=BotSession, expire_on_commit=False)
