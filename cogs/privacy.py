"""/privacy: what the bot keeps about a member, a copy of it, and erasing it. In servers and in DMs.

The words and the data come from the member-data registry (bot.privacy), where every area of the bot
registers what it keeps: this cog only shows them, sends the copy and asks before erasing.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable

import discord
from discord import app_commands
from discord.ext import commands

from bot import privacy
from bot.client import RecoveryBot
from bot.db.engine import writing
from bot.dm import send_privately
from bot.render import CALM_BLUE
from bot.views import OwnedView

log = logging.getLogger(__name__)

EXPORT_FILENAME = "my-recovery-bot-data.json"


class Privacy(commands.Cog):
    def __init__(self, bot: RecoveryBot) -> None:
        self.bot = bot

    privacy = app_commands.Group(
        name="privacy",
        description="What the bot keeps about you: see it, get a copy, erase it.",
        allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=True),
    )

    @privacy.command(name="info", description="What the bot keeps about you, who can see it and for how long.")
    async def info(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(embed=info_embed(), ephemeral=True)

    @privacy.command(name="export", description="Get a copy of everything the bot keeps about you, by DM.")
    @app_commands.checks.cooldown(1, 60, key=lambda interaction: interaction.user.id)
    async def export(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self.bot.sessions() as session:
            data = await privacy.export_member(session, interaction.user.id)
        # A moderator who imported large feeds has thousands of entries: encode off the event loop.
        body = await asyncio.to_thread(privacy.as_json, data)
        copy = discord.File(io.BytesIO(body), filename=EXPORT_FILENAME)
        note = ("Everything the bot keeps about you, as of now. The `readme` at the top of the file explains "
                "it. Only you have this copy.")
        if await send_privately(interaction, content=note, file=copy):
            await interaction.followup.send("📩 Sent to your DMs: a file with everything the bot keeps about you.",
                                            ephemeral=True)

    @privacy.command(name="delete", description="Erase everything the bot keeps about you. It asks you first.")
    async def delete(self, interaction: discord.Interaction) -> None:
        view = ConfirmErase(self.bot, interaction.user.id)
        await interaction.response.send_message(embed=erase_embed(), view=view, ephemeral=True)
        view.origin = interaction


def info_embed() -> discord.Embed:
    return areas_embed(
        "🔒 What the bot keeps about you",
        "Each part of the bot that keeps anything about a member says so below, in every server you share "
        "with the bot. The bot does not read or keep your messages in channels.\n"
        "• `/privacy export` sends you a copy of all of it.\n"
        "• `/privacy delete` erases all of it.",
        CALM_BLUE, area_words)


def area_words(area: privacy.Area) -> str:
    return (f"**Kept:** {area.stored}\n**Encrypted:** {area.encrypted}\n"
            f"**Who can see it:** {area.who_sees}\n**How long:** {area.kept_for}")


def erase_embed() -> discord.Embed:
    return areas_embed(
        "Erase everything the bot keeps about you?",
        "This erases your data in every part of the bot and every server. Where a server keeps a record of "
        "what was done (a setup change, a meeting you added), the record stays and your id in it is replaced "
        "by a pseudonym: the record no longer says it was you.\n\n"
        "**This can't be undone.** Want a copy first? Use `/privacy export` before you confirm.",
        discord.Colour.dark_red(), lambda area: area.kept_for)


def areas_embed(title: str, description: str, colour: discord.Colour,
                about: Callable[[privacy.Area], str]) -> discord.Embed:
    """An embed with one field per registered area, saying `about` it."""
    embed = discord.Embed(title=title, description=description, colour=colour)
    for area in privacy.areas():
        embed.add_field(name=area.name, value=about(area), inline=False)
    return embed


class ConfirmErase(OwnedView):
    """Asks once more before erasing: one button erases, the other leaves everything as it is."""

    def __init__(self, bot: RecoveryBot, owner_id: int) -> None:
        super().__init__(owner_id, timeout=300)
        self.bot = bot

    @discord.ui.button(label="Erase everything", style=discord.ButtonStyle.danger, emoji="🗑️",
                       custom_id="privacy:erase")
    async def erase(self, interaction: discord.Interaction, _: discord.ui.Button[ConfirmErase]) -> None:
        async with writing(self.bot.sessions) as session:
            forgotten = await privacy.forget_member(session, self.owner_id)
        self.stop()
        taken_down = await self._take_down(forgotten.posts)
        lines = [f"• {name}: {count:,} erased or made anonymous" for name, count in forgotten.touched.items()
                 if count]
        if taken_down:
            lines.append(f"• {taken_down:,} of your anonymous posts taken down")
        done = ("✅ Done. Everything the bot kept about you is erased."
                + ("\n" + "\n".join(lines) if lines else " It held nothing about you."))
        await interaction.response.edit_message(content=done, embed=None, view=None)

    async def _take_down(self, posts: list[tuple[int, int]]) -> int:
        """Delete the member's anonymous posts from their channels; a post already gone counts as done."""
        done = 0
        for channel_id, message_id in posts:
            channel = self.bot.get_channel(channel_id)
            if not isinstance(channel, discord.TextChannel | discord.Thread):
                continue
            try:
                await channel.get_partial_message(message_id).delete()
            except discord.NotFound:
                pass
            except discord.HTTPException as exc:
                log.warning("an erased member's post could not be deleted (%s %s)", exc.status, exc.code)
                continue
            done += 1
        return done

    @discord.ui.button(label="Keep my data", style=discord.ButtonStyle.secondary, custom_id="privacy:keep")
    async def keep(self, interaction: discord.Interaction, _: discord.ui.Button[ConfirmErase]) -> None:
        self.stop()
        await interaction.response.edit_message(content="Nothing was erased.", embed=None, view=None)


async def setup(bot: RecoveryBot) -> None:
    await bot.add_cog(Privacy(bot))
