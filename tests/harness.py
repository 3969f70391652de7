"""The real bot, in this process, connected to the Discord double.

It is built by `bot.app.build`, the same function `python -m bot` uses, so the cog tests
exercise the real wiring: settings, migrations, extensions, command sync, the scheduler.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bot.app import build
from bot.client import RecoveryBot, point_at_discord
from bot.db.engine import create_engine
from bot.db.migrate import upgrade
from bot.settings import Settings
from tests.discord_double import DiscordDouble


def settings_for(double: DiscordDouble, data_dir: Path, **overrides: Any) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        discord_token=double.token,
        data_dir=data_dir,
        discord_api_base_url=double.api_base_url,
        discord_gateway_url=double.gateway_url,
        **overrides,
    )


@contextlib.asynccontextmanager
async def bot_in_process(double: DiscordDouble, data_dir: Path, **overrides: Any) -> AsyncIterator[RecoveryBot]:
    """Start the bot against `double` and wait until it is ready and its commands are registered."""
    settings = settings_for(double, data_dir, **overrides)
    engine = create_engine(settings.resolved_database_url)
    # Migrated here, in the test process, as a deploy step would: `build` then finds the schema current and
    # starts no migrating child process (tests/e2e start from empty databases and go through that path).
    await upgrade(engine)
    # The double sends every GUILD_CREATE at once; no need to wait Discord's 2 s for stragglers.
    bot = await build(settings, engine, guild_ready_timeout=0.05)
    runner = asyncio.create_task(bot.start(double.token), name="bot-under-test")
    try:
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait({ready, runner}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        if runner in done:
            ready.cancel()
            runner.result()  # raises whatever stopped the bot from starting
        if ready not in done:
            raise TimeoutError("the bot did not become ready within 30 s")
        await double.wait_for_commands(guild=None)
        yield bot
    finally:
        await bot.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(runner, timeout=10)
        await engine.dispose()
        point_at_discord(None, None)
