"""Fixtures for testing the Discord double against a tiny, real discord.py bot.

The tiny bot is deliberately independent of the project's bot: when one of these
tests fails, the fault is in the double (or in how it matches discord.py), not
in the bot under development.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
import yarl
from discord import app_commands
from discord.ext import commands

from tests.discord_double import DiscordDouble


def point_discord_py_at(double: DiscordDouble) -> None:
    """What the real bot does before logging in."""
    discord.http.Route.BASE = f"{double.api_base_url}/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(double.gateway_url)


class TinyBot(commands.AutoShardedBot):
    """An AutoShardedBot with just enough commands to exercise the double."""

    def __init__(self, *, intents: discord.Intents | None = None, **kwargs: Any) -> None:
        if intents is None:
            intents = discord.Intents.none()
            intents.guilds = True
            intents.voice_states = True
            intents.guild_scheduled_events = True
        super().__init__(command_prefix=commands.when_mentioned, intents=intents, guild_ready_timeout=0.05, **kwargs)
        self.seen: list[tuple[str, Any]] = []
        install_commands(self)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None  # discord.py sleeps 5 s between shards; Discord's double has no such limit

    async def setup_hook(self) -> None:
        await self.tree.sync()

    async def on_voice_state_update(self, member: discord.Member, before: Any, after: Any) -> None:
        self.seen.append(("voice", (member.id, after.channel.id if after.channel else None)))


class EchoModal(discord.ui.Modal, title="Tell me"):
    feeling: discord.ui.TextInput[EchoModal] = discord.ui.TextInput(label="How do you feel?", custom_id="feeling")
    note: discord.ui.TextInput[EchoModal] = discord.ui.TextInput(
        label="Anything else?", custom_id="note", required=False
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"feeling={self.feeling.value} note={self.note.value}", ephemeral=True)


class CheckInView(discord.ui.View):
    @discord.ui.button(label="Check in", custom_id="checkin")
    async def checkin(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await interaction.response.send_modal(EchoModal())

    @discord.ui.button(label="Done", custom_id="done")
    async def done(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await interaction.response.edit_message(content=f"done by {interaction.user.id}", view=None)

    @discord.ui.select(custom_id="mood", options=[discord.SelectOption(label=x) for x in ("good", "ok", "bad")])
    async def mood(self, interaction: discord.Interaction, select: discord.ui.Select[Any]) -> None:
        await interaction.response.send_message(f"mood={select.values[0]}", ephemeral=True)


ZONES = ["Europe/London", "Europe/Paris", "America/New_York", "Asia/Tokyo"]


def install_commands(bot: TinyBot) -> None:
    tree = bot.tree

    @tree.command(description="Repeat text")
    async def echo(interaction: discord.Interaction, text: str, times: int = 1, loud: bool = False) -> None:
        out = " ".join([text] * times)
        await interaction.response.send_message(out.upper() if loud else out)

    @tree.command(description="Describe things")
    async def describe(
        interaction: discord.Interaction,
        user: discord.Member,
        channel: discord.TextChannel,
        role: discord.Role,
        ratio: float = 0.5,
    ) -> None:
        perms = interaction.permissions.value
        await interaction.response.send_message(
            f"user={user.id}:{type(user).__name__}:{user.display_name} channel={channel.id}:{channel.name} "
            f"role={role.id}:{role.name} ratio={ratio} perms={perms}"
        )

    config = app_commands.Group(name="config", description="Configure")
    alerts = app_commands.Group(name="alerts", description="Alert settings", parent=config)

    @config.command(name="timezone", description="Set the time zone")
    async def timezone(interaction: discord.Interaction, zone: str) -> None:
        await interaction.response.send_message(f"zone={zone}", ephemeral=True)

    @timezone.autocomplete("zone")
    async def zone_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in ZONES if current.lower() in z.lower()][:25]

    @alerts.command(name="set", description="Turn alerts on or off")
    async def alerts_set(interaction: discord.Interaction, enabled: bool) -> None:
        await interaction.response.send_message(f"alerts={enabled}")

    tree.add_command(config)

    @tree.command(description="Slow work")
    async def slow(interaction: discord.Interaction, ephemeral: bool = False) -> None:
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        await interaction.followup.send("first follow-up")
        await interaction.edit_original_response(content="finished")

    @tree.command(description="Show the check-in panel")
    async def panel(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Check in below", view=CheckInView())

    @tree.command(description="Mods only")
    @app_commands.default_permissions(manage_guild=True)
    async def modonly(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("ok, mod")

    @tree.command(description="Upload a file")
    async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
        data = await file.read()
        await interaction.response.send_message(
            f"{file.filename}:{len(data)}",
            file=discord.File(fp=__import__("io").BytesIO(data[::-1]), filename="rev.bin"),
        )

    @tree.command(description="Never answers")
    async def silent(interaction: discord.Interaction) -> None:
        return None


@contextlib.asynccontextmanager
async def run_bot(double: DiscordDouble, bot: commands.Bot) -> AsyncIterator[commands.Bot]:
    """Start ``bot`` in-process against ``double``; wait until both sides are ready."""
    point_discord_py_at(double)
    task = asyncio.create_task(bot.start(double.token))
    try:
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait({ready, task}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            ready.cancel()
            task.result()  # raises the startup error
        if ready not in done:
            ready.cancel()
            raise TimeoutError("tiny bot did not become ready")
        await double.wait_until_ready(timeout=5)
        yield bot
    finally:
        await bot.close()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


@pytest.fixture
def world(double: DiscordDouble) -> dict[str, Any]:
    """A small guild: owner, a moderator, a member, #general, #mods, a voice room."""
    owner = double.add_user("owner")
    guild = double.add_guild("Recovery Circle", owner=owner)
    mod_role = double.add_role(guild, "Moderator", permissions=int(discord.Permissions(manage_guild=True).value))
    alex = double.add_user("alex")
    sam = double.add_user("sam")
    alex_m = double.add_member(guild, alex)
    sam_m = double.add_member(guild, sam, roles=[mod_role], nick="Sammy")
    general = double.add_channel(guild, "general")
    mods = double.add_channel(
        guild,
        "mods",
        overwrites={
            guild.everyone_role: (0, discord.Permissions(view_channel=True).value),
            mod_role: (discord.Permissions(view_channel=True).value, 0),
        },
    )
    voice = double.add_channel(guild, "Meeting Room", type=2)
    return {
        "guild": guild,
        "owner": owner,
        "mod_role": mod_role,
        "alex": alex,
        "sam": sam,
        "alex_m": alex_m,
        "sam_m": sam_m,
        "general": general,
        "mods": mods,
        "voice": voice,
    }


@pytest.fixture
async def bot(double: DiscordDouble, world: dict[str, Any]) -> AsyncIterator[TinyBot]:
    tiny = TinyBot()
    async with run_bot(double, tiny):
        await double.wait_for_commands()
        yield tiny
