"""Fixtures shared by every test layer."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db import encryption
from bot.db.engine import create_session_factory
from tests.community import Community, build_community
from tests.databases import Database, migrated_engine, postgres_schema, sqlite_database
from tests.discord_double import DiscordDouble
from tests.feed_site import FeedSite, feed_site


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """An empty database of each kind: SQLite always, PostgreSQL where TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        yield sqlite_database(tmp_path)
    else:
        async with postgres_schema() as db:
            yield db


@pytest.fixture
async def engine(database: Database) -> AsyncIterator[AsyncEngine]:
    """A database of each kind, upgraded to head by the real migrations."""
    async with migrated_engine(database) as engine:
        yield engine


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(engine)


@pytest.fixture
async def double() -> AsyncIterator[DiscordDouble]:
    """The Discord double; a test fails if the bot called a route the double does not know."""
    async with DiscordDouble() as double:
        yield double
        double.assert_no_unknown_routes()


@pytest.fixture
def community(double: DiscordDouble) -> Community:
    """A recovery group's server with a manager, a volunteer, a facilitator and two members."""
    return build_community(double)


@pytest.fixture
async def sqlite_sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """SQLite only, for the many service tests where the dialect does not matter."""
    async with migrated_engine(sqlite_database(tmp_path)) as engine:
        yield create_session_factory(engine)


@pytest.fixture
async def site() -> AsyncIterator[FeedSite]:
    """An intergroup's website on 127.0.0.1 serving a Meeting Guide feed the test sets."""
    async with feed_site() as serving:
        yield serving


@pytest.fixture
def bot_key(monkeypatch: pytest.MonkeyPatch) -> bytes:
    """A fresh key in bot.db.encryption for one test (encrypted columns, pseudonyms); the process's keys
    (an in-process bot's) come back afterwards."""
    monkeypatch.setattr(encryption, "_keyring", None)
    monkeypatch.setattr(encryption, "_signing", None)
    key = Fernet.generate_key()
    encryption.configure([key])
    return key


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Skips once per reason, with how many tests it covers."""
    reasons: Counter[str] = Counter()
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reasons[reason.removeprefix("Skipped: ")] += 1
    if reasons:
        terminalreporter.write_sep("=", "skipped, by reason")
        for reason, count in reasons.most_common():
            terminalreporter.write_line(f"SKIPPED {count} {'test' if count == 1 else 'tests'}: {reason}")
