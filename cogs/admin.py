"""/admin: what moderators need to look after the server without reading anyone's private data.

For now: blocking the author of an anonymous request or check-in by its public number, without anyone learning who it
is (the author is matched by a keyed code; a blocked member still gets the crisis lines when they ask).
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import Role, requires
from bot.client import RecoveryBot
from bot.db.engine import writing
from bot.services.checkins import posts
from bot.services.reachout import requests

WHAT = [app_commands.Choice(name="a reach-out request", value="request"),
        app_commands.Choice(name="a shared check-in", value="check-in")]
# what -> (its name, block, unblock): the author is found by the post's number, and only by their keyed code.
KINDS = {"request": ("request", requests.block_author, requests.unblock_author),
         "check-in": ("check-in", posts.block_author, posts.unblock_author)}


class Admin(commands.Cog):
    def __init__(self, bot: RecoveryBot) -> None:
        self.bot = bot

    admin = app_commands.Group(name="admin", description="Look after the server: blocks and more.", guild_only=True)

    @admin.command(name="anon-block", description="Block an anonymous author by their post's number, unmasking nobody.")
    @app_commands.describe(number="The number, e.g. 42 for request #42 or check-in #42",
                           what="A reach-out request or a shared check-in (default: request)")
    @app_commands.choices(what=WHAT)
    @requires(Role.MODERATOR)
    async def anon_block(self, interaction: discord.Interaction, number: app_commands.Range[int, 1],
                         what: app_commands.Choice[str] | None = None) -> None:
        assert interaction.guild_id is not None
        label, block, _ = KINDS[what.value if what else "request"]
        async with writing(self.bot.sessions) as session:
            blocked = await block(session, interaction.guild_id, number, interaction.user.id)
        await interaction.response.send_message(
            f"The author of {label} #{number} can no longer post anonymously here (requests or check-ins). Nobody, "
            "you included, learns who it is; if they ask for help, they still see the crisis lines. "
            "/admin anon-unblock lifts it." if blocked
            else f"The author of {label} #{number} is already blocked.", ephemeral=True)

    @admin.command(name="anon-unblock", description="Lift the block on an anonymous author.")
    @app_commands.describe(number="The number of the post they were blocked by",
                           what="A reach-out request or a shared check-in (default: request)")
    @app_commands.choices(what=WHAT)
    @requires(Role.MODERATOR)
    async def anon_unblock(self, interaction: discord.Interaction, number: app_commands.Range[int, 1],
                           what: app_commands.Choice[str] | None = None) -> None:
        assert interaction.guild_id is not None
        label, _, unblock = KINDS[what.value if what else "request"]
        async with writing(self.bot.sessions) as session:
            lifted = await unblock(session, interaction.guild_id, number, interaction.user.id)
        await interaction.response.send_message(
            f"The block on the author of {label} #{number} is lifted." if lifted
            else f"The author of {label} #{number} wasn't blocked.", ephemeral=True)


async def setup(bot: RecoveryBot) -> None:
    await bot.add_cog(Admin(bot))
