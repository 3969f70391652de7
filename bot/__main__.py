"""`python -m bot`: read settings, migrate the database to head, run until SIGINT or SIGTERM.

Configuration mistakes exit with status 2 and a sentence that says what to fix, never a
traceback.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import signal
import sys
import time

import aiohttp
import discord
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import secret_key
from bot.client import RecoveryBot, point_at_discord
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade
from bot.scheduler import Scheduler
from bot.settings import Settings, SettingsError, load_settings
from bot.tasks import create_task

log = logging.getLogger("bot")

EXIT_CONFIG = 2
EXIT_UNREACHABLE = 1


class StartupError(Exception):
    """A problem the person running the bot must fix; the message says how."""

    def __init__(self, message: str, exit_code: int = EXIT_CONFIG) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-8s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # discord.py's gateway chatter at DEBUG drowns everything else.
    logging.getLogger("discord").setLevel(max(logging.INFO, logging.getLevelName(level)))


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as exc:
        print("The bot cannot start because of its settings:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        print("See .env.example for every setting, each with a one-line explanation.", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(settings.log_level)
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
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key = secret_key.load_or_create(
        settings.bot_secret_key.get_secret_value() if settings.bot_secret_key else None,
        settings.secret_key_file,
    )
    engine = create_engine(settings.resolved_database_url)
    try:
        await _migrate(engine, settings.resolved_database_url)
        sessions = create_session_factory(engine)
        scheduler = Scheduler(sessions, shard_ids=settings.shard_ids, shard_count=settings.shard_count)
        point_at_discord(settings.discord_api_base_url, settings.discord_gateway_url)
        bot = RecoveryBot(settings, sessions, scheduler, key)
        _stop_on_signals(bot)

        @bot.listen("on_ready")
        async def _report_startup() -> None:
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


async def _migrate(engine: AsyncEngine, url: str) -> None:
    try:
        await upgrade(engine)
    except (OperationalError, DBAPIError, OSError) as exc:
        where = make_url(url).render_as_string(hide_password=True)
        raise StartupError(f"Could not open the database at {where}: {exc}. Check DATABASE_URL.") from None
    log.info("database is at the newest migration")


def _stop_on_signals(bot: RecoveryBot) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, functools.partial(_begin_shutdown, bot, sig))


def _begin_shutdown(bot: RecoveryBot, sig: signal.Signals) -> None:
    log.info("received %s; finishing running jobs and closing", sig.name)
    create_task(bot.close(), name="shutdown")


if __name__ == "__main__":
    sys.exit(main())
