"""Who may do what, in one place: the roles the bot knows, for commands and for panels' buttons alike.

The design names four: a **manager** (Manage Server), a **moderator** (the moderator role from /setup,
or Manage Events or Manage Server), a **facilitator** (the facilitator role, or a moderator) and a
**volunteer** (the volunteer role). `requires(role)` both sets what Discord shows by default and checks
at run time; `holds(interaction, role)` answers the same question for a button. Server owners can change
who sees a command in their Integrations settings, so the run-time check is what really protects.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Protocol, TypeVar

import discord
from discord import app_commands
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import guild_config

T = TypeVar("T")


# For a command group members use in servers and in DMs with the bot alike (/checkin, /milestone).
ANYWHERE = app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=True)


class Role(StrEnum):
    MANAGER = "manager"
    MODERATOR = "moderator"
    FACILITATOR = "facilitator"
    VOLUNTEER = "volunteer"


REFUSALS = {
    Role.MANAGER: "You need the **Manage Server** permission to use this.",
    Role.MODERATOR: "Only moderators can do that: it needs the server's moderator role (set in /setup), "
                    "or the **Manage Events** permission.",
    Role.FACILITATOR: "Only facilitators can do that: it needs the server's facilitator role (set in /setup), "
                      "or a moderator.",
    Role.VOLUNTEER: "Only volunteers can do that: it needs the server's volunteer role. A moderator can give it "
                    "to you.",
}


class Refused(app_commands.CheckFailure):
    """A check that failed for a reason the person should read, as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _HasSessions(Protocol):
    sessions: async_sessionmaker[AsyncSession]


async def holds(interaction: discord.Interaction, role: Role) -> bool:
    """Whether the person behind `interaction` holds `role` in the interaction's server."""
    member = interaction.user
    if interaction.guild is None or not isinstance(member, discord.Member):
        return False
    permissions = interaction.permissions
    if role is Role.MANAGER:
        return permissions.manage_guild
    if role is Role.MODERATOR and (permissions.manage_guild or permissions.manage_events):
        return True
    client: _HasSessions = interaction.client  # type: ignore[assignment]
    async with client.sessions() as session:
        config = await guild_config.get(session, interaction.guild.id)
    chosen = {Role.MODERATOR: config.moderator_role_id, Role.FACILITATOR: config.facilitator_role_id,
              Role.VOLUNTEER: config.volunteer_role_id}[role]
    if chosen is not None and member.get_role(chosen) is not None:
        return True
    return role is Role.FACILITATOR and await holds(interaction, Role.MODERATOR)


async def ensure(interaction: discord.Interaction, role: Role) -> None:
    """Raise `Refused` (a kind sentence saying who can) unless the person holds `role`."""
    if not await holds(interaction, role):
        raise Refused(REFUSALS[role])


def requires(role: Role) -> Callable[[T], T]:
    """For a command: only in servers, shown by default to those Discord can tell hold `role` (managers:
    Manage Server; a server role can't be named here, so role-based commands stay visible and refuse
    kindly), and checked at run time."""

    async def predicate(interaction: discord.Interaction) -> bool:
        await ensure(interaction, role)
        return True

    def decorator(func: T) -> T:
        if role is Role.MANAGER:
            func = app_commands.default_permissions(manage_guild=True)(func)
        func = app_commands.guild_only()(func)
        return app_commands.check(predicate)(func)

    return decorator


def defaults_for(role: Role) -> discord.Permissions | None:
    """What Discord should ask of a member to show them a command group meant for `role`."""
    return discord.Permissions(manage_guild=True) if role is Role.MANAGER else None


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
