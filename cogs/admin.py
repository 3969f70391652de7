"""/admin: what moderators need to look after the server without reading anyone's private data.

For now: blocking the author of an anonymous request by its public number, without anyone learning who it
is (the author is matched by a keyed code; a blocked member still gets the crisis lines when they ask).
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import Role, requires
from bot.client import RecoveryBot
from bot.services.reachout import requests


class Admin(commands.Cog):
    def __init__(self, bot: RecoveryBot) -> None:
        self.bot = bot

    admin = app_commands.Group(name="admin", description="Look after the server: blocks and more.", guild_only=True)

    @admin.command(name="anon-block", description="Block the author of an anonymous request, without unmasking them.")
    @app_commands.describe(number="The request's number, e.g. 42 for request #42")
    @requires(Role.MODERATOR)
    async def anon_block(self, interaction: discord.Interaction, number: app_commands.Range[int, 1]) -> None:
        assert interaction.guild_id is not None
        async with self.bot.sessions.begin() as session:
            blocked = await requests.block_author(session, interaction.guild_id, number, interaction.user.id)
        await interaction.response.send_message(
            f"The author of request #{number} can no longer send requests here. Nobody, you included, learns who "
            "it is; if they ask, they still see the crisis lines. /admin anon-unblock lifts it." if blocked
            else f"The author of request #{number} is already blocked.", ephemeral=True)

    @admin.command(name="anon-unblock", description="Lift the block on the author of an anonymous request.")
    @app_commands.describe(number="The number of the request they were blocked by")
    @requires(Role.MODERATOR)
    async def anon_unblock(self, interaction: discord.Interaction, number: app_commands.Range[int, 1]) -> None:
        assert interaction.guild_id is not None
        async with self.bot.sessions.begin() as session:
            lifted = await requests.unblock_author(session, interaction.guild_id, number, interaction.user.id)
        await interaction.response.send_message(
            f"The block on the author of request #{number} is lifted." if lifted
            else f"The author of request #{number} wasn't blocked.", ephemeral=True)


async def setup(bot: RecoveryBot) -> None:
    await bot.add_cog(Admin(bot))
