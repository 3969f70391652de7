"""/volunteer: the on-call roster. Volunteers join, say when they're on call, and see where they stand;
moderators also see the server's reach-out figures in /volunteer status."""

from __future__ import annotations

from datetime import datetime, timedelta

import discord
from discord import app_commands
from discord.ext import commands

from bot import clock
from bot.checks import REFUSALS, Role, holds, requires
from bot.client import RecoveryBot
from bot.render import CALM_BLUE, timestamp
from bot.services import guild_config, timezones
from bot.services.errors import DomainError
from bot.services.reachout import figures, requests, roster
from bot.services.reachout.hours import EXAMPLE
from bot.services.reachout.roster import VolunteerInfo


class Volunteers(commands.Cog):
    def __init__(self, bot: RecoveryBot) -> None:
        self.bot = bot

    volunteer = app_commands.Group(name="volunteer", description="The on-call roster of volunteer peers.",
                                   guild_only=True)

    @volunteer.command(name="join", description="Join this server's roster of volunteer peers.")
    async def join(self, interaction: discord.Interaction) -> None:
        guild = _guild(interaction)
        if not await holds(interaction, Role.VOLUNTEER):
            async with self.bot.sessions() as session:
                config = await guild_config.get(session, guild.id)
            role = guild.get_role(config.volunteer_role_id or 0)
            moderators = guild.get_role(config.moderator_role_id or 0)
            who = f"a moderator (the **{moderators.name}** role)" if moderators else "a moderator"
            needed = f"the **{role.name}** role" if role else "the volunteer role (a manager sets it in /setup)"
            raise DomainError(f"Joining the roster needs {needed}. Ask {who} to give it to you; thank you for "
                              "offering to help.")
        async with self.bot.sessions.begin() as session:
            _, new = await roster.join(session, guild.id, interaction.user.id)
        await interaction.response.send_message(
            ("Welcome to the roster. 💙 " if new else "You're already on the roster. ")
            + "You're not on call yet: say when you are with /volunteer available (now) or /volunteer hours "
            f"(every week, e.g. “{EXAMPLE}”).", ephemeral=True)

    @volunteer.command(name="leave", description="Leave the roster. You can join again any time.")
    @requires(Role.VOLUNTEER)
    async def leave(self, interaction: discord.Interaction) -> None:
        async with self.bot.sessions.begin() as session:
            left = await roster.leave(session, _guild(interaction).id, interaction.user.id)
        await interaction.response.send_message(
            "You've left the roster; you won't be pinged. Thank you for the time you gave. 💙" if left
            else "You weren't on the roster.", ephemeral=True)

    @volunteer.command(name="available", description="Be on call now, for a few hours or until you say away.")
    @app_commands.describe(hours="For how many hours (e.g. 2 or 1.5); leave out to stay on call until /volunteer away")
    @requires(Role.VOLUNTEER)
    async def available(self, interaction: discord.Interaction,
                        hours: app_commands.Range[float, 0.5, 72.0] | None = None) -> None:
        async with self.bot.sessions.begin() as session:
            info = await roster.available(session, _guild(interaction).id, interaction.user.id, clock.now(), hours)
        until = f" until {timestamp(info.available_until, 'f')}" if info.available_until else \
            " until you use /volunteer away"
        await interaction.response.send_message(f"You're on call{until}. Thank you. 💙", ephemeral=True)

    @volunteer.command(name="away", description="Stop being on call, hours or not, until you say available.")
    @requires(Role.VOLUNTEER)
    async def away(self, interaction: discord.Interaction) -> None:
        async with self.bot.sessions.begin() as session:
            await roster.away(session, _guild(interaction).id, interaction.user.id)
        await interaction.response.send_message(
            "You're away: no pings until you use /volunteer available or set your hours again. Rest well.",
            ephemeral=True)

    @volunteer.command(name="hours", description="Your weekly on-call hours, in your own time zone.")
    @app_commands.describe(when=f"Days and times, e.g. {EXAMPLE}",
                           zone="Your time zone, e.g. Europe/London (default: the server's)")
    @requires(Role.VOLUNTEER)
    async def hours(self, interaction: discord.Interaction, when: app_commands.Range[str, 1, 300],
                    zone: str | None = None) -> None:
        guild = _guild(interaction)
        async with self.bot.sessions.begin() as session:
            chosen = zone or (await guild_config.get(session, guild.id)).timezone or \
                self.bot.settings.default_timezone
            info = await roster.set_hours(session, guild.id, interaction.user.id, when, chosen)
        assert info.hours is not None
        following = info.hours.next_start(clock.now())
        on_call = "You're on call now." if info.on_call(clock.now()) else \
            f"Next on call {timestamp(following, 'F')}." if following else ""
        await interaction.response.send_message(
            f"Your hours: **{info.hours.text}** ({info.hours.zone}). {on_call} You'll only be pinged inside them.",
            ephemeral=True)

    @hours.autocomplete("zone")
    async def zone_autocomplete(self, interaction: discord.Interaction,
                                current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in timezones.search(current)[:25]]

    @volunteer.command(name="status", description="Where you stand: on call or not, your hours, your requests.")
    async def status(self, interaction: discord.Interaction) -> None:
        guild = _guild(interaction)
        now = clock.now()
        moderator = await holds(interaction, Role.MODERATOR)
        async with self.bot.sessions() as session:
            info = await roster.get(session, guild.id, interaction.user.id)
            holding = await requests.held_by(session, guild.id, interaction.user.id)
            weeks = await figures.by_week(session, guild.id, now) if moderator else []
        if info is None and not moderator:
            raise DomainError(REFUSALS[Role.VOLUNTEER] if not await holds(interaction, Role.VOLUNTEER)
                              else roster.NOT_ON_ROSTER)
        embed = discord.Embed(title="Reach-out: where you stand", colour=CALM_BLUE)
        if info is not None:
            embed.add_field(name="On call", value=_state(info, now), inline=False)
            embed.add_field(name="Weekly hours", value=f"{info.hours.text} ({info.hours.zone})" if info.hours
                            else f"None set. Set them with /volunteer hours, e.g. “{EXAMPLE}”.", inline=False)
            embed.add_field(name="Requests you hold", value="\n".join(
                f"#{r.id}" + (f": <#{r.thread_id}>" if r.thread_id else "") for r in holding) or "None",
                inline=False)
        if weeks:
            embed.add_field(name="This server, by week (for moderators)", value="\n".join(
                _week(w) for w in weeks), inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True)


def _state(info: VolunteerInfo, now: datetime) -> str:
    if info.on_call(now):
        if info.status == "available":
            return "Yes" + (f", until {timestamp(info.available_until, 'f')}" if info.available_until else
                            ", until you use /volunteer away") + "."
        return "Yes, inside your hours."
    if info.status == "away":
        return "No: you're away. /volunteer available when you're ready."
    following = info.hours.next_start(now) if info.hours else None
    return f"No. Next: {timestamp(following, 'F')}." if following else \
        "No. Use /volunteer available, or set your hours."


def _week(week: figures.Week) -> str:
    def minutes(value: timedelta | None) -> str:
        return "n/a" if value is None else f"{round(value.total_seconds() / 60)} min"
    return (f"Week of {week.starts:%d %b}: {week.requests} request{'s' if week.requests != 1 else ''}, "
            f"first claim median {minutes(week.median_to_claim)}, 90% within {minutes(week.p90_to_claim)}, "
            f"{week.unclaimed} unclaimed; helped {week.helped}, didn't {week.not_helped}")


def _guild(interaction: discord.Interaction) -> discord.Guild:
    if interaction.guild is None:
        raise DomainError("This works only inside a server.")
    return interaction.guild
