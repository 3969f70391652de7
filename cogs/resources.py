"""/resources: crisis lines and coping tools, always private, in servers and in DMs."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import RecoveryBot
from bot.dm import send_privately
from bot.render import crisis_embed
from bot.services import crisis, guild_config
from bot.views import OwnedView

REGION_CHOICES = [app_commands.Choice(name=name, value=code) for code, name in crisis.region_choices()]


class Resources(commands.Cog):
    def __init__(self, bot: RecoveryBot) -> None:
        self.bot = bot

    @app_commands.command(name="resources", description="Crisis lines and coping tools. Only you will see this.")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.describe(region="Show another country's lines (defaults to this server's region)")
    @app_commands.choices(region=REGION_CHOICES)
    async def resources(self, interaction: discord.Interaction,
                        region: app_commands.Choice[str] | None = None) -> None:
        code = region.value if region else await self.server_region(interaction.guild_id)
        embed = crisis_embed(crisis.for_region(code))
        if interaction.guild_id is None:  # already in DMs: nothing to send there
            await interaction.response.send_message(embed=embed, ephemeral=True)
            return
        view = KeepInDms(interaction.user.id, embed)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)
        view.origin = interaction

    async def server_region(self, guild_id: int | None) -> str | None:
        if guild_id is None:
            return None
        async with self.bot.sessions() as session:
            return (await guild_config.get(session, guild_id)).crisis_region


class KeepInDms(OwnedView):
    """Lets someone keep the lines where they can find them again later."""

    def __init__(self, owner_id: int, embed: discord.Embed) -> None:
        super().__init__(owner_id)
        self.embed = embed

    @discord.ui.button(label="Send these to my DMs", emoji="📩", custom_id="resources:dm")
    async def send_to_dms(self, interaction: discord.Interaction, button: discord.ui.Button[KeepInDms]) -> None:
        # If DMs are closed, the lines are still in the message above: only say why they didn't arrive.
        if await send_privately(interaction, resend_here=False, embed=self.embed):
            button.disabled = True
            button.label = "Sent to your DMs"
            await interaction.response.edit_message(view=self)


async def setup(bot: RecoveryBot) -> None:
    await bot.add_cog(Resources(bot))
