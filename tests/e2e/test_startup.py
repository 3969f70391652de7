"""Start-up and shutdown of the real process: migrations, login, command registration, signals."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path

from tests.community import Community
from tests.discord_double import DiscordDouble
from tests.e2e.conftest import StartBot
from tests.e2e.process import PROJECT_ROOT

FULL_SURFACE_SO_FAR = {"setup", "config", "resources", "meeting", "privacy", "reachout", "volunteer", "admin",
                       "checkin", "milestone", "queue"}


async def test_start_migrates_registers_and_stops_cleanly(
    start_bot: StartBot, double: DiscordDouble, community: Community, tmp_path: Path
) -> None:
    bot = await start_bot()
    registered = {c["name"] for c in double.commands()}
    assert registered >= FULL_SURFACE_SO_FAR
    config = next(c for c in double.commands() if c["name"] == "config")
    assert {o["name"] for o in config["options"]} == {"show", "channels", "roles", "timezone", "crisis-region",
                                                      "meeting-reminders", "reachout", "checkins",
                                                      "milestones"}
    meeting = next(c for c in double.commands() if c["name"] == "meeting")
    assert {o["name"] for o in meeting["options"]} == {"create", "edit", "cancel", "delete", "list", "info",
                                                       "calendar", "import", "export", "start", "end", "timer",
                                                       "verify", "format"}
    milestone = next(c for c in double.commands() if c["name"] == "milestone")
    assert {o["name"] for o in milestone["options"]} == {"set", "view", "reset", "privacy", "delete", "upcoming"}
    [identify] = double.identifies
    assert identify[2] & ((1 << 1) | (1 << 8) | (1 << 15)) == 0, "no privileged intent (members, presences, content)"

    with sqlite3.connect(tmp_path / "data" / "bot.db") as db:
        assert db.execute("select version_num from alembic_version").fetchone() is not None
        assert db.execute("pragma journal_mode").fetchone() == ("wal",)
    assert (tmp_path / "data" / "secret.key").stat().st_mode & 0o777 == 0o600
    assert "created a new key" in bot.log

    assert await bot.stop() == 0
    assert "shut down cleanly" in bot.log
    assert "Traceback" not in bot.log


async def test_a_restart_with_the_same_commands_does_not_register_them_again(
    start_bot: StartBot, double: DiscordDouble, community: Community
) -> None:
    first = await start_bot()
    assert await first.stop() == 0
    assert double.command_registrations == 1
    second = await start_bot(wait=False)
    await second.wait_ready()
    assert "not registering them again" in second.log
    assert double.command_registrations == 1
    assert "created a new key" not in second.log, "the key made on the first start is reused"


async def test_without_a_token_it_exits_2_and_says_what_to_do(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=tmp_path, env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": ""},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    text = (out + err).decode()
    assert process.returncode == 2
    assert "DISCORD_TOKEN is not set" in text and ".env" in text
    assert "Traceback" not in text


async def test_a_wrong_token_exits_2_without_a_traceback(start_bot: StartBot) -> None:
    bot = await start_bot(wait=False, DISCORD_TOKEN="not-the-token")
    assert await bot.exit_code() == 2
    assert "Discord refused DISCORD_TOKEN" in bot.log
    assert "Traceback" not in bot.log


# As if installed without the postgres extra: Python's own marker for a module that cannot be imported
# (find_spec answers None, import raises ModuleNotFoundError), then `python -m bot`.
WITHOUT_ASYNCPG = """
import runpy, sys
sys.modules["asyncpg"] = None
runpy.run_module("bot", run_name="__main__", alter_sys=True)
"""


async def test_postgresql_without_its_driver_exits_2_naming_the_install_command(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WITHOUT_ASYNCPG, cwd=tmp_path,
        env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": "", "DISCORD_TOKEN": "a-token",
             "DATABASE_URL": "postgresql+asyncpg://bot@127.0.0.1:5432/recovery"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    text = (out + err).decode()
    assert process.returncode == 2, text
    assert "asyncpg driver, which is not installed" in text
    assert "pip install -e '.[postgres]'" in text
    assert "Traceback" not in text
