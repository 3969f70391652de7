"""The bot: intents, mentions, extensions, command sync and the shared services cogs use."""

from __future__ import annotations

import hashlib
import json
import logging
import pkgutil
from typing import Any

import discord
import yarl
from discord import app_commands
from discord.ext import commands
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import cogs
from bot.errors import on_app_command_error
from bot.scheduler import Scheduler
from bot.services import bot_state
from bot.settings import Settings
from bot.tasks import settle

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 10.0  # seconds for work in flight at shutdown

DISCORD_API_VERSION = 10

# The bot never joins voice (it only sees who is in a meeting channel): no voice libraries needed.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


def point_at_discord(api_base_url: str | None, gateway_url: str | None) -> None:
    """Aim discord.py's REST client and gateway at a Discord-compatible server, or at Discord.

    discord.py builds every REST URL, interaction callbacks and webhooks included, from
    `Route.BASE`, and falls back to `DEFAULT_GATEWAY` when it has no gateway URL from Discord.
    """
    discord.http.Route.BASE = f"{api_base_url or 'https://discord.com/api'}/v{DISCORD_API_VERSION}"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url or "wss://gateway.discord.gg/")


def intents() -> discord.Intents:
    """No privileged intents: everything works through interactions and stored ids."""
    chosen = discord.Intents.none()
    chosen.guilds = True  # channels and roles for setup, permission checks
    chosen.voice_states = True  # who is in a meeting's voice channel
    chosen.guild_scheduled_events = True  # meetings on the server's Events tab
    return chosen


def extension_names() -> list[str]:
    """Every module in cogs/ except private helpers (names starting with an underscore)."""
    return sorted(
        f"{cogs.__name__}.{module.name}"
        for module in pkgutil.iter_modules(cogs.__path__)
        if not module.name.startswith("_")
    )


class RecoveryTree(app_commands.CommandTree[Any]):
    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await on_app_command_error(interaction, error)


class RecoveryBot(commands.AutoShardedBot):
    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        scheduler: Scheduler,
        secret_keys: tuple[bytes, ...],
        **options: Any,
    ) -> None:
        if settings.shard_ids is not None:
            options["shard_ids"] = list(settings.shard_ids)
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            shard_count=settings.shard_count,
            chunk_guilds_at_startup=False,
            tree_cls=RecoveryTree,
            member_cache_flags=discord.MemberCacheFlags.none(),
            **options,
        )
        self.settings = settings
        self.sessions = sessions
        self.scheduler = scheduler
        # Every key, the one that encrypts first; bot.db.encryption already holds them for the columns.
        self.secret_keys = secret_keys

    async def setup_hook(self) -> None:
        for name in extension_names():
            await self.load_extension(name)
        log.info("loaded %d extensions", len(extension_names()))
        await self.sync_commands_if_changed()
        self.scheduler.start()

    async def sync_commands_if_changed(self) -> bool:
        """Register the command tree with Discord only when it differs from the last sync.

        Discord limits command registrations per day; restarts must not spend them.
        """
        if self.settings.shard_ids is not None and 0 not in self.settings.shard_ids:
            log.info("command sync is left to the process that runs shard 0")
            return False
        guild = discord.Object(self.settings.dev_guild_id) if self.settings.dev_guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        digest = self.command_tree_hash(guild)
        key = f"command-sync:{self.application_id}:{guild.id if guild else 'global'}"
        async with self.sessions.begin() as session:
            if await bot_state.get(session, key) == digest:
                log.info("application commands unchanged since the last sync; not registering them again")
                return False
        await self.tree.sync(guild=guild)
        async with self.sessions.begin() as session:
            await bot_state.put(session, key, digest)
        log.info("registered %d application commands %s", len(self.tree.get_commands(guild=guild)),
                 f"to guild {guild.id}" if guild else "globally")
        return True

    def command_tree_hash(self, guild: discord.abc.Snowflake | None) -> str:
        payload = [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]
        canonical = json.dumps(sorted(payload, key=lambda c: str(c.get("name"))), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()

    async def on_ready(self) -> None:
        log.info("ready as %s in %d servers (shards %s)", self.user, len(self.guilds), sorted(self.shards))

    async def on_guild_join(self, guild: discord.Guild) -> None:
        # Deliberately silent: no welcome post, no DMs. A manager runs /setup when ready.
        log.info("joined a server (%d channels); waiting for /setup", len(guild.channels))

    async def close(self) -> None:
        await self.scheduler.stop()
        # In order, while the gateway and HTTP still work: the interactions being answered finish; the cogs
        # unload (each stops its own background work); whatever else is left finishes or is cancelled. Nothing is
        # then left holding a database connection when the engine is disposed.
        await settle(SHUTDOWN_GRACE, handlers_only=True)
        for name in tuple(self.extensions):
            try:
                await self.unload_extension(name)
            except Exception:  # one cog failing to unload must not keep the others (or the bot) from stopping
                log.exception("could not unload %s at shutdown", name)
        await settle(SHUTDOWN_GRACE)
        await super().close()
