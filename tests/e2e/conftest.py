"""End-to-end fixtures: a Discord double, a community in it, and the real bot process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path

import pytest

from tests.community import Community
from tests.discord_double import DiscordDouble
from tests.e2e.process import BotProcess

pytestmark = pytest.mark.e2e


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


StartBot = Callable[..., Awaitable[BotProcess]]


@pytest.fixture
async def start_bot(double: DiscordDouble, tmp_path: Path) -> AsyncIterator[StartBot]:
    """Start `python -m bot` (extra environment as keywords) and wait until it is ready.

    `clock_at` starts it with its clock moved to that instant, as after downtime until then.
    """
    started: list[BotProcess] = []

    async def start(*, wait: bool = True, clock_at: datetime | None = None, runner: str = "bot",
                    **env: str) -> BotProcess:
        process = await BotProcess(double, tmp_path, clock_at=clock_at, runner=runner, **env).start()
        started.append(process)
        if wait:
            await process.wait_ready()
            await double.wait_for_commands()
        return process

    yield start
    for process in started:
        if process.process is not None and process.process.returncode is None:
            await process.stop()


@pytest.fixture
async def running_bot(start_bot: StartBot, community: Community) -> BotProcess:
    return await start_bot()


@pytest.fixture
async def configured(running_bot: BotProcess, community: Community) -> Community:
    """The bot running, and the server set up by its manager: the usual start of a scenario."""
    await community.configure()
    return community
