"""What committed writes changed, so the in-process caches of hot reads know when what they hold is stale.

Why caching in the process is safe at all: every interaction of a server reaches the one process that runs
its shard, and that process also runs the server's jobs (the scheduler claims only its own shards' servers'
jobs). So every write about a server goes through this process's sessions, and these events see it. Writes
that bypass the Session (raw SQL, another program) are not seen: none of the bot's code makes them to a
watched table, and a restart empties every cache.

How: a session notes which watched tables (and which servers' rows, where the row names its `guild_id`) its
flushes and statements touched; when it commits, each of those gets a new generation. A cached value carries
the generation it was read at (its `Stamp`), and is good while that is current. A value may only be stored
when no watched commit happened since the reading transaction began: otherwise it could have been read from
before that commit (SQLite keeps a transaction's snapshot) and be stored as if it were new.
"""

from __future__ import annotations

import itertools
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction

T = TypeVar("T")

Stamp = tuple[int, int]  # (the table's generation for every server, its generation for one server)

_TOUCHED = "bot.db.changes.touched"  # session.info: {(table, guild_id or None)} written, not yet committed
_BEGAN = "bot.db.changes.began"  # session.info: the commit count when its transaction began

_watched: set[str] = set()
_ticket = itertools.count(1)


class _Database:
    """Generations of one database's watched tables, as this process has seen them change."""

    def __init__(self) -> None:
        self.kept: dict[ReadCache[Any], OrderedDict[int, _Kept[Any]]] = {}  # each cache's values here
        self.generations: dict[tuple[str, int | None], int] = {}
        self.commits = 0  # commits that changed a watched table

    def stamp(self, table: str, guild_id: int | None) -> Stamp:
        return self.generations.get((table, None), 0), self.generations.get((table, guild_id), 0)


_databases: weakref.WeakKeyDictionary[Engine, _Database] = weakref.WeakKeyDictionary()


def watch(table: str) -> None:
    """Track commits to `table` (a cache of it calls this when it is defined)."""
    _watched.add(table)


def _database(session: Session) -> _Database | None:
    bind = session.bind
    engine = getattr(bind, "engine", None)
    if not isinstance(engine, Engine):
        return None
    return _databases.setdefault(engine, _Database())


def _note(session: Session, table: str, guild_id: int | None) -> None:
    session.info.setdefault(_TOUCHED, set()).add((table, guild_id))


@event.listens_for(Session, "after_begin")
def _began(session: Session, _transaction: SessionTransaction, _connection: Any) -> None:
    database = _database(session)
    if database is not None and _BEGAN not in session.info:
        session.info[_BEGAN] = database.commits


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _flush: UOWTransaction) -> None:
    for instance in itertools.chain(session.new, session.dirty, session.deleted):
        table = getattr(getattr(instance, "__table__", None), "name", None)
        if table in _watched:
            guild_id = getattr(instance, "guild_id", None)
            _note(session, table, guild_id if isinstance(guild_id, int) else None)


@event.listens_for(Session, "do_orm_execute")
def _statement(state: ORMExecuteState) -> None:
    # An INSERT, UPDATE or DELETE statement may touch any server's rows: the whole table is stale.
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(getattr(state.statement, "table", None), "name", None)
        if table in _watched:
            _note(state.session, table, None)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    touched = session.info.pop(_TOUCHED, None)
    session.info.pop(_BEGAN, None)
    database = _database(session)
    if not touched or database is None:
        return
    database.commits += 1
    for key in touched:
        database.generations[key] = next(_ticket)


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    # Rolled back or closed without committing: what it wrote never happened.
    if transaction.parent is None:
        session.info.pop(_TOUCHED, None)
        session.info.pop(_BEGAN, None)


@dataclass(slots=True)
class _Kept(Generic[T]):
    stamp: Stamp
    value: T


class ReadCache(Generic[T]):
    """Values read from `table`, one per key and database, kept until a commit changes `table`.

    `per_server`: the key is a server's id and the table's rows name their `guild_id`, so only a change to
    that server's rows makes its value stale (a server's settings, its meetings). Otherwise (a member's
    reminder choices, keyed by member) any commit to the table does. Beyond `kept` keys, the least
    recently used are let go.
    """

    def __init__(self, table: str, *, per_server: bool = True, kept: int = 512) -> None:
        watch(table)
        self.table = table
        self.per_server = per_server
        self.kept = kept

    def clear(self) -> None:
        """Let every kept value go (as after a restart)."""
        for database in list(_databases.values()):
            database.kept.pop(self, None)

    def applies(self, session: AsyncSession) -> bool:
        """False while the session holds writes of its own not yet committed: only the database has those,
        so the caller reads the database (the few rows it needs, rather than a whole `load`)."""
        sync = session.sync_session
        return _database(sync) is not None and not _writing(sync)

    async def get(self, session: AsyncSession, key: int, load: Callable[[], Awaitable[T]]) -> T:
        """The kept value for `key`, or `load()`'s (kept for next time when that is safe)."""
        sync = session.sync_session
        database = _database(sync)
        if database is None or _writing(sync):
            return await load()
        values: OrderedDict[int, _Kept[T]] = database.kept.setdefault(self, OrderedDict())
        stamp = database.stamp(self.table, key if self.per_server else None)
        kept = values.get(key)
        if kept is not None and kept.stamp == stamp:
            values.move_to_end(key)
            return kept.value
        value = await load()
        if sync.info.get(_BEGAN, database.commits) == database.commits:  # nothing committed meanwhile
            values[key] = _Kept(stamp, value)
            values.move_to_end(key)
            while len(values) > self.kept:
                values.popitem(last=False)
        return value


def _writing(session: Session) -> bool:
    """Whether the session holds writes not yet committed (flushed or not)."""
    return bool(session.info.get(_TOUCHED) or session.new or session.deleted or session.dirty)
