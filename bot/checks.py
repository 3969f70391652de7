"""Permission checks for application commands, in one place so every cog asks the same way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

import discord
from discord import app_commands
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import guild_config

T = TypeVar("T")


def manager_only() -> Callable[[T], T]:
    """Manage Server, twice over: hidden from others by Discord, and checked again at run time.

    Server owners can change a command's visibility in Integrations settings, so the run-time
    check is what really protects setup.
    """

    def decorator(func: T) -> T:
        func = app_commands.default_permissions(manage_guild=True)(func)
        func = app_commands.guild_only()(func)
        return app_commands.checks.has_permissions(manage_guild=True)(func)

    return decorator


def permission_names(permissions: list[str]) -> str:
    """['manage_guild'] -> 'Manage Server', in Discord's own words."""
    words = {"manage_guild": "Manage Server", "manage_channels": "Manage Channels",
             "manage_roles": "Manage Roles", "manage_events": "Manage Events",
             "create_events": "Create Events", "send_messages": "Send Messages",
             "view_channel": "View Channel", "embed_links": "Embed Links"}
    names = [words.get(p, p.replace("_", " ").title()) for p in permissions]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def bot_can_post(channel: discord.abc.GuildChannel, me: discord.Member) -> bool:
    perms = channel.permissions_for(me)
    return perms.view_channel and perms.send_messages


class Refused(app_commands.CheckFailure):
    """A check that failed for a reason the person should read, as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _HasSessions(Protocol):
    sessions: async_sessionmaker[AsyncSession]


async def is_moderator(interaction: discord.Interaction) -> bool:
    """Manage Server or Manage Events, or the server's moderator role from /setup."""
    if interaction.guild is None or not isinstance(interaction.user, discord.Member):
        return False
    if interaction.permissions.manage_guild or interaction.permissions.manage_events:
        return True
    client: _HasSessions = interaction.client  # type: ignore[assignment]
    async with client.sessions() as session:
        role_id = (await guild_config.get(session, interaction.guild.id)).moderator_role_id
    return role_id is not None and interaction.user.get_role(role_id) is not None


def moderator_only() -> Callable[[T], T]:
    """For commands that change what everyone sees, such as the meeting schedule."""

    async def predicate(interaction: discord.Interaction) -> bool:
        if await is_moderator(interaction):
            return True
        raise Refused("Only moderators can do that: it needs the server's moderator role (set in /setup), "
                      "or the **Manage Events** permission.")

    return app_commands.check(predicate)
