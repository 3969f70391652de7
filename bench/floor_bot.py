"""The floor for bench.hot_path: a bare discord.py bot that only answers.

    DISCORD_TOKEN=… DISCORD_API_BASE_URL=http://127.0.0.1:…/api DISCORD_GATEWAY_URL=ws://127.0.0.1:…/gateway \
        .venv/bin/python -m bench.floor_bot

Same client set-up as the real bot where it costs discord.py work (the intents of `bot.client.intents()`,
auto-sharded, no member cache, no chunking, no mentions), the same command names (`/resources`,
`/meeting list`, `/meeting info meeting:<text>`), each answered at once with a fixed ephemeral message. No
database, no cogs, no scheduler: what is left is discord.py reading the gateway, dispatching the
interaction to the command tree and posting the callback. It deliberately imports nothing from bot/, so
its memory is discord.py's alone. Logs "ready as …" like the real bot; exits 0 on SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import sys
from typing import Any

import discord
import yarl
from discord import app_commands

log = logging.getLogger("floor")

ANSWER = "Here you are."


def intents() -> discord.Intents:
    """The real bot's intents (bench.hot_path checks they still match `bot.client.intents()`)."""
    chosen = discord.Intents.none()
    chosen.guilds = True
    chosen.voice_states = True
    chosen.guild_scheduled_events = True
    return chosen


class FloorBot(discord.AutoShardedClient):
    def __init__(self) -> None:
        super().__init__(
            intents=intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            chunk_guilds_at_startup=False,
            member_cache_flags=discord.MemberCacheFlags.none(),
        )
        self.tree: app_commands.CommandTree[FloorBot] = app_commands.CommandTree(self)
        install_commands(self.tree)

    async def setup_hook(self) -> None:
        self.add_dynamic_items(RaiseHand)
        await self.tree.sync()
        log.info("registered %d application commands globally", len(self.tree.get_commands()))

    async def on_ready(self) -> None:
        log.info("ready as %s in %d servers (shards %s)", self.user, len(self.guilds), sorted(self.shards))


class RaiseHand(discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=r"run:hand:(?P<id>[0-9]+)"):
    """The meeting panel's Raise hand button (bench.facilitation), answered at once."""

    def __init__(self, run_id: int) -> None:
        super().__init__(discord.ui.Button(label="Raise hand", custom_id=f"run:hand:{run_id}"))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> RaiseHand:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(ANSWER, ephemeral=True)


def install_commands(tree: app_commands.CommandTree[FloorBot]) -> None:
    @tree.command(name="resources", description="Crisis lines and coping tools. Only you will see this.")
    async def resources(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(ANSWER, ephemeral=True)

    meeting = app_commands.Group(name="meeting", description="Recurring meetings.", guild_only=True)

    @meeting.command(name="list", description="Meetings in the next 7 days, in your own time zone.")
    async def list_(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(ANSWER, ephemeral=True)

    @meeting.command(name="info", description="A meeting's details, and your reminder for it.")
    @app_commands.describe(meeting="The meeting")
    async def info(interaction: discord.Interaction, meeting: str) -> None:
        await interaction.response.send_message(ANSWER, ephemeral=True)

    tree.add_command(meeting)


async def run() -> None:
    api = os.environ.get("DISCORD_API_BASE_URL") or "https://discord.com/api"
    discord.http.Route.BASE = f"{api}/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(
        os.environ.get("DISCORD_GATEWAY_URL") or "wss://gateway.discord.gg/")
    client = FloorBot()
    loop = asyncio.get_running_loop()
    closing: set[asyncio.Task[None]] = set()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: closing.add(loop.create_task(client.close())))
    async with client:
        await client.start(os.environ["DISCORD_TOKEN"])
    log.info("shut down cleanly")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)-8s %(name)s: %(message)s",
                        stream=sys.stderr)
    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
