"""Permission checks for application commands, in one place so every cog asks the same way."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import discord
from discord import app_commands

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
