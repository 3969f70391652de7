"""The database's schema brought to the newest migration: at the bot's start, by the tests, by hand.

`upgrade` runs the Alembic migrations under a lock, so several shard processes started at once on one
empty database migrate it once: the first takes the lock and migrates, the others wait, then find nothing
left to do. The lock is PostgreSQL's transaction-scoped advisory lock (released when the migrating
transaction ends, even if the process dies), or for SQLite an exclusive lock on a file beside the database.

The running bot needs Alembic only when there is something to migrate, and Alembic with what it pulls in
(Mako, Pygments) holds about 12 MB for as long as a process lives once imported. So `to_head`, what
`python -m bot` calls, compares the database's revision with the newest migration file first (plain SQL,
no Alembic), and when they differ migrates in a child process: `python -m bot.db.migrate`.

    DATABASE_URL=postgresql+asyncpg://… python -m bot.db.migrate     # what the bot runs; also by hand
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import logging
import os
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VERSIONS = PROJECT_ROOT / "migrations" / "versions"
# Any 64-bit number the bot alone uses: "recovery bot migrations" as bytes.
ADVISORY_LOCK_KEY = int.from_bytes(b"rbot-mig", "big") & 0x7FFF_FFFF_FFFF_FFFF


class MigrationFailed(RuntimeError):
    """The child process could not migrate the database; the message is what it said."""


def alembic_config() -> Config:
    from alembic.config import Config  # only here: see the module's docstring

    return Config(toml_file=str(PROJECT_ROOT / "pyproject.toml"))


async def upgrade(engine: AsyncEngine, revision: str = "head") -> tuple[str | None, str | None]:
    """Migrate to `revision` in this process, under the lock; the revisions before and after (None: empty),
    both read once the lock is held, so a process that waited for another's migration finds them equal."""
    async with locked_transaction(engine) as connection:
        before = await connection.run_sync(_revision_on)
        await connection.run_sync(_run, "upgrade", revision)
        return before, await connection.run_sync(_revision_on)


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    async with locked_transaction(engine) as connection:
        await connection.run_sync(_run, "downgrade", revision)


def _run(connection: Connection, direction: str, revision: str) -> None:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    getattr(command, direction)(config, revision)


@contextlib.asynccontextmanager
async def locked_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One transaction holding the migration lock: every migration runs in it (both databases roll DDL
    back), and a second process's migration starts only once the first's has committed."""
    url = engine.url
    async with _file_lock(url.database if url.get_backend_name() == "sqlite" else None):
        async with engine.begin() as connection:
            if url.get_backend_name() == "postgresql":
                await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            yield connection


@contextlib.asynccontextmanager
async def _file_lock(database: str | None) -> AsyncIterator[None]:
    """For SQLite: an exclusive lock on `<database>.migrating`, waited for in a thread."""
    if not database or database == ":memory:":
        yield
        return
    lock_path = Path(f"{database}.migrating")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock = await asyncio.to_thread(lock_path.open, "a")
    try:
        await asyncio.to_thread(fcntl.flock, lock, fcntl.LOCK_EX)
        yield
    finally:
        lock.close()  # closing releases the lock


@functools.cache
def newest_revision() -> str | None:
    """The head of migrations/versions, read from the files' `revision` and `down_revision` lines (a test
    checks it against Alembic's own answer); None if there is not exactly one head."""
    revisions: set[str] = set()
    replaced: set[str] = set()
    for path in VERSIONS.glob("*.py"):
        source = path.read_text("utf-8")
        found = re.search(r"^revision\b[^=]*=\s*['\"]([^'\"]+)['\"]", source, re.M)
        down = re.search(r"^down_revision\b[^=]*=\s*(.+)$", source, re.M)
        if found:
            revisions.add(found.group(1))
        if down:
            replaced.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    heads = revisions - replaced
    return next(iter(heads)) if len(heads) == 1 else None


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at; None for an empty database."""
    async with engine.connect() as connection:
        return await connection.run_sync(_revision_on)


def _revision_on(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None  # nothing was ever migrated
    revision: str | None = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
    return revision


async def to_head(engine: AsyncEngine, url: str) -> bool:
    """Bring the database at `url` to the newest migration for the bot's start: nothing when it is there
    already, else a child process migrates it. True when migrations ran."""
    newest = newest_revision()
    # Under the SQLite file lock too: the first connection to a new file turns on WAL, which needs the file
    # alone, and two processes doing that at once make SQLite refuse one at once rather than wait.
    async with _file_lock(engine.url.database if engine.url.get_backend_name() == "sqlite" else None):
        current = await current_revision(engine)
    if newest is not None and current == newest:
        return False
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.db.migrate",
        env={**os.environ, "DATABASE_URL": url}, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await child.communicate()
    said = output.decode(errors="replace").strip()
    if child.returncode != 0:
        raise MigrationFailed(said.splitlines()[-1] if said else f"exit status {child.returncode}")
    for line in said.splitlines():
        log.info("%s", line)
    return True


async def _main() -> int:
    from bot.db.engine import create_engine

    url = os.environ.get("DATABASE_URL")
    if not url:
        print("DATABASE_URL is not set: say which database to migrate.", file=sys.stderr)
        return 2
    engine = create_engine(url)
    try:
        before, after = await upgrade(engine)
    except Exception as exc:
        where = make_url(url).render_as_string(hide_password=True)
        first_line = (str(exc).splitlines() or [type(exc).__name__])[0]  # SQLAlchemy adds a links line
        print(f"Could not migrate the database at {where}: {first_line}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    if before == after:
        print(f"the database was already at migration {after} (another process migrated it)")
    else:
        print(f"migrated the database from {before or 'empty'} to {after}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(_main()))
