"""Looking for a plaintext in a database as someone with a copy of it would, without the bot's key.

`assert_not_stored` proves a secret is not readable from the raw database; `assert_stored` is its
control: a test shows a plain column's text IS found by the same search, so an absence can't come
from looking in the wrong place.

SQLite: the bytes of the database file and of its `-wal` (the engine runs in WAL mode, so a fresh
commit is often only in the `-wal`) and `-journal`, as a copied file or backup would hold them,
deleted rows' leftovers included. PostgreSQL: every row of every table in the connection's current
schema (a test's own schema through its search_path), as `SELECT t::text`, as a dump would show it.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from sqlalchemy import JSON, BigInteger, String, Text, cast, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.types import TypeDecorator

import bot.db.models  # noqa: F401  (every table registers with Base.metadata)
from bot.db.base import Base
from tests.databases import Database

# A short needle turns up by chance (in a token's base64, an id, a page header); a long one can be
# split across SQLite overflow pages and so be missed. Quotes, backslashes and control characters
# are written escaped in PostgreSQL's row text and in JSON, so a needle with them could be missed too.
MIN_BYTES, MAX_BYTES = 8, 256
_ESCAPED = re.compile(r'["\\\x00-\x1f\x7f]')


async def assert_not_stored(where: Database | AsyncEngine, plaintext: str) -> None:
    """Fail if `plaintext` can be read from the raw database (a test's `database` or `engine`)."""
    found, _ = await _search(where, plaintext)
    assert not found, f"{plaintext!r} is stored readably in {', '.join(found)}"


async def assert_stored(where: Database | AsyncEngine, plaintext: str) -> None:
    """Fail unless `plaintext` can be read from the raw database: the control for `assert_not_stored`."""
    found, searched = await _search(where, plaintext)
    assert found, f"{plaintext!r} is not in the raw database; searched {', '.join(searched) or 'nothing'}"


async def assert_id_not_stored(engine: AsyncEngine, user_id: int) -> None:
    """Fail if any column of any of the bot's tables holds `user_id`: as a number, or written in text or JSON.

    An id is stored as a binary integer in SQLite, so the file's bytes can't show it; this asks every column
    instead (which a search of the files can't do for integers), on both databases."""
    found = await _columns_holding(engine, user_id)
    assert not found, f"member {user_id} is still stored in {', '.join(found)}"


async def assert_id_stored(engine: AsyncEngine, user_id: int) -> None:
    """The control for `assert_id_not_stored`: fail unless some column holds `user_id`."""
    assert await _columns_holding(engine, user_id), f"member {user_id} is stored nowhere"


async def _columns_holding(engine: AsyncEngine, user_id: int) -> list[str]:
    found: list[str] = []
    async with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, BigInteger):  # a smaller integer can't hold a snowflake
                    holds = column == user_id
                elif isinstance(column.type, String | Text | JSON | TypeDecorator):
                    holds = cast(column, Text).contains(str(user_id))
                else:
                    continue
                if (await conn.execute(select(func.count()).select_from(table).where(holds))).scalar_one():
                    found.append(f"{table.name}.{column.name}")
    return found


async def _search(where: Database | AsyncEngine, plaintext: str) -> tuple[list[str], list[str]]:
    """(where the plaintext was found, everything searched)."""
    needle = plaintext.encode("utf-8")
    if not MIN_BYTES <= len(needle) <= MAX_BYTES or _ESCAPED.search(plaintext):
        raise ValueError(
            f"search for {MIN_BYTES} to {MAX_BYTES} UTF-8 bytes without quotes, backslashes or control "
            f"characters, so a match is neither chance nor missed; got {plaintext!r}"
        )
    url = make_url(where.url)
    if url.get_backend_name() == "sqlite":
        return await asyncio.to_thread(_search_sqlite_files, url.database, needle)
    if isinstance(where, AsyncEngine):
        return await _search_postgres(where, plaintext)
    engine = where.engine()
    try:
        return await _search_postgres(engine, plaintext)
    finally:
        await engine.dispose()


def _search_sqlite_files(database: str | None, needle: bytes) -> tuple[list[str], list[str]]:
    if not database or database == ":memory:":
        raise ValueError("an in-memory SQLite database has no file to read")
    main = Path(database)
    if not main.exists():
        raise FileNotFoundError(f"{main} does not exist: nothing was written, or this is the wrong database")
    found: list[str] = []
    searched: list[str] = []
    for path in (main, main.with_name(main.name + "-wal"), main.with_name(main.name + "-journal")):
        if path.exists():
            searched.append(path.name)
            if needle in path.read_bytes():
                found.append(path.name)
    return found, searched


async def _search_postgres(engine: AsyncEngine, plaintext: str) -> tuple[list[str], list[str]]:
    # bytea shows as hex in row text, so a plaintext kept as bytes is looked for that way too.
    as_hex = plaintext.encode("utf-8").hex()
    found: list[str] = []
    searched: list[str] = []
    async with engine.connect() as conn:
        schema = (await conn.execute(text("SELECT current_schema()"))).scalar_one()
        tables = (await conn.execute(
            text("SELECT table_name FROM information_schema.tables "
                 "WHERE table_schema = :schema AND table_type = 'BASE TABLE' ORDER BY table_name"),
            {"schema": schema},
        )).scalars().all()
        quote = conn.dialect.identifier_preparer.quote
        for table in tables:
            searched.append(f"{schema}.{table}")
            rows = (await conn.execute(text(f"SELECT t::text FROM {quote(schema)}.{quote(table)} t"))).scalars()
            if any(plaintext in row or as_hex in row.lower() for row in rows):
                found.append(f"{schema}.{table}")
    return found, searched
