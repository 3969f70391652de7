"""Two shard processes started at the same instant on one empty database: the schema is migrated once,
under the lock, and both reach ready; with a new data folder they also share one secret key."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from tests.databases import postgres_database
from tests.discord_double import DiscordDouble
from tests.e2e.conftest import StartBot
from tests.e2e.process import BotProcess

MIGRATED = "migrated the database from empty to"


async def start_two_at_once(start_bot: StartBot, double: DiscordDouble, **env: str) -> list[BotProcess]:
    double.shard_count = 2
    for shard in (0, 1):
        double.add_channel(double.add_guild(f"Group on shard {shard}", shard_id=shard), "general")
    processes = await asyncio.gather(*(start_bot(wait=False, SHARD_COUNT="2", SHARD_IDS=str(shard), **env)
                                       for shard in (0, 1)))
    await asyncio.gather(*(process.wait_ready() for process in processes))
    return list(processes)


def assert_migrated_once(processes: list[BotProcess]) -> None:
    logs = [process.log for process in processes]
    assert sum(log.count(MIGRATED) for log in logs) == 1, "\n\n".join(logs)
    for log in logs:
        assert "Traceback" not in log


async def test_two_processes_on_one_empty_postgresql_database(start_bot: StartBot, double: DiscordDouble) -> None:
    async with postgres_database() as url:
        processes = await start_two_at_once(start_bot, double, DATABASE_URL=url)
        assert_migrated_once(processes)
        for process in processes:
            assert await process.stop() == 0


async def test_two_processes_on_one_new_data_folder(start_bot: StartBot, double: DiscordDouble,
                                                    tmp_path: Path) -> None:
    processes = await start_two_at_once(start_bot, double)  # SQLite, the default, in one DATA_DIR
    assert_migrated_once(processes)
    key_file = tmp_path / "data" / "secret.key"
    assert len(key_file.read_text().split()) == 1  # one key, which both processes use
    assert sum("created a new key" in process.log for process in processes) == 1
    assert not list(key_file.parent.glob(".secret.key.*")), "no half-made key left behind"
    for process in processes:
        assert await process.stop() == 0


@pytest.mark.parametrize("module", ["alembic", "icalendar", "matplotlib"])
async def test_a_running_bot_holds_none_of_the_libraries_needed_only_now_and_then(
    start_bot: StartBot, double: DiscordDouble, module: str
) -> None:
    bot = await start_bot(runner="tests.e2e.module_probe")
    loaded = re.search(r"modules loaded: (.*)", bot.log)
    assert loaded is not None, bot.log
    assert module not in loaded.group(1).split(","), f"{module} is resident in the running bot"
