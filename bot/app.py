"""Turning settings into a bot: shared by `python -m bot` and the tests, so both start the same way."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import secret_key
from bot.client import RecoveryBot, point_at_discord
from bot.db import encryption, migrate
from bot.db.engine import create_session_factory
from bot.scheduler import Scheduler
from bot.settings import Settings

log = logging.getLogger(__name__)

EXIT_CONFIG = 2
EXIT_UNREACHABLE = 1


class StartupError(Exception):
    """A problem the person running the bot must fix; the message says how."""

    def __init__(self, message: str, exit_code: int = EXIT_CONFIG) -> None:
        super().__init__(message)
        self.exit_code = exit_code


async def build(settings: Settings, engine: AsyncEngine, **bot_options: Any) -> RecoveryBot:
    """Everything between settings and a bot ready to log in; the tests build their bot here too."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        keys = secret_key.load_or_create(
            settings.bot_secret_key.get_secret_value() if settings.bot_secret_key else None,
            settings.secret_key_file,
        )
    except secret_key.SecretKeyError as exc:
        raise StartupError(str(exc)) from None
    # Before anything touches the database: an encrypted column is unusable until the keys are known.
    encryption.configure(keys)
    await _migrate(engine, settings.resolved_database_url)
    sessions = create_session_factory(engine)
    scheduler = Scheduler(sessions, shard_ids=settings.shard_ids, shard_count=settings.shard_count)
    point_at_discord(settings.discord_api_base_url, settings.discord_gateway_url)
    return RecoveryBot(settings, sessions, scheduler, keys, **bot_options)


async def _migrate(engine: AsyncEngine, url: str) -> None:
    where = make_url(url).render_as_string(hide_password=True)
    try:
        migrated = await migrate.to_head(engine, url)
    except (OperationalError, DBAPIError, OSError) as exc:
        raise StartupError(f"Could not open the database at {where}: {exc}. Check DATABASE_URL.") from None
    except migrate.MigrationFailed as exc:
        raise StartupError(f"{exc}. Check DATABASE_URL.") from None
    if not migrated:
        log.info("database is at the newest migration")
