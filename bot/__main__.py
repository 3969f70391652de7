"""`python -m bot`: read settings, migrate the database to head, run until SIGINT or SIGTERM.

Configuration mistakes exit with status 2 and a sentence that says what to fix, never a
traceback.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import signal
import sys
import time

import aiohttp
import discord

from bot import logs
from bot.app import EXIT_CONFIG, EXIT_UNREACHABLE, StartupError, build
from bot.client import RecoveryBot
from bot.db.engine import create_engine
from bot.settings import Settings, SettingsError, load_settings
from bot.tasks import create_task

log = logging.getLogger("bot")


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as exc:
        print("The bot cannot start because of its settings:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        print("See .env.example for every setting, each with a one-line explanation.", file=sys.stderr)
        return EXIT_CONFIG
    logs.configure(settings.log_level)
    try:
        asyncio.run(run(settings))
    except StartupError as exc:
        log.error("%s", exc)
        return exc.exit_code
    except KeyboardInterrupt:
        pass
    return 0


async def run(settings: Settings) -> None:
    started = time.perf_counter()
    engine = create_engine(settings.resolved_database_url)
    try:
        bot = await build(settings, engine)
        _stop_on_signals(bot)

        @bot.listen("on_ready")
        async def _report_startup() -> None:
            if not gc.isenabled() or gc.get_freeze_count() == 0:
                # What is alive once ready (modules, discord.py's cache, settings) lives as long as the process.
                # Left to the collector, each full collection walks all of it again: a pause of about 100 ms in
                # the middle of whoever's interaction it falls on. Frozen, collections walk only new objects.
                gc.collect()
                gc.freeze()
                # Each interaction leaves a few thousand short-lived objects (discord.py's models, panels);
                # collecting the young every 700 allocations, as by default, and the old every 10th time,
                # put about 10 ms on the slowest 1 in 100 interactions (bench/hot_path.py: /meeting list p99
                # 33 ms -> 23 ms). Collected less often, the same garbage goes in fewer, similar pauses.
                gc.set_threshold(20_000, 20, 20)
            log.info("start-up to ready took %.2f s", time.perf_counter() - started)

        async with bot:
            try:
                await bot.start(settings.discord_token.get_secret_value())
            except discord.LoginFailure:
                raise StartupError(
                    "Discord refused DISCORD_TOKEN. Copy a fresh token from "
                    "https://discord.com/developers/applications -> your application -> Bot."
                ) from None
            except aiohttp.ClientConnectionError as exc:
                raise StartupError(
                    f"Could not reach Discord at {discord.http.Route.BASE}: {exc}. Check the network, "
                    "or DISCORD_API_BASE_URL if you set it.", EXIT_UNREACHABLE,
                ) from None
        log.info("shut down cleanly")
    finally:
        await engine.dispose()


def _stop_on_signals(bot: RecoveryBot) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, functools.partial(_begin_shutdown, bot, sig))


def _begin_shutdown(bot: RecoveryBot, sig: signal.Signals) -> None:
    log.info("received %s; finishing running jobs and closing", sig.name)
    create_task(bot.close(), name="shutdown")


if __name__ == "__main__":
    sys.exit(main())
