"""The form that edits a meeting's format: its share length, its queue rule, and its steps as text."""

from __future__ import annotations

import discord

from bot.services.errors import InvalidInput
from bot.services.facilitation import formats
from bot.views import BaseModal
from cogs.facilitation.panel import facilitation


class FormatForm(BaseModal):
    def __init__(self, meeting_id: int, name: str, current: formats.Format, steps: str) -> None:
        super().__init__(title=f"Format: {name}"[:45], custom_id=f"format:{meeting_id}")
        self.meeting_id, self.name = meeting_id, name
        self.share: discord.ui.TextInput[FormatForm] = discord.ui.TextInput(
            label="Share length, in minutes", default=str(current.share_minutes), max_length=2,
            custom_id="format:share")
        self.first: discord.ui.TextInput[FormatForm] = discord.ui.TextInput(
            label="Who hasn't shared yet goes first? (yes or no)", default="yes" if current.newcomers_first else "no",
            max_length=3, custom_id="format:first")
        self.steps: discord.ui.TextInput[FormatForm] = discord.ui.TextInput(
            label="Steps: each starts with a line ## and its title", style=discord.TextStyle.paragraph,
            default=steps, max_length=4000, custom_id="format:steps")
        for item in (self.share, self.first, self.steps):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        share = self.share.value.strip()
        first = self.first.value.strip().lower()
        if not share.isdigit():
            raise InvalidInput("Give the share length as a number of minutes, e.g. 3.")
        if first not in ("yes", "no"):
            raise InvalidInput("Answer yes or no to whether who hasn't shared yet goes first.")
        chosen = formats.read_text(self.steps.value, share_minutes=formats.check_share_minutes(int(share)),
                                   newcomers_first=first == "yes")
        await facilitation(interaction).save_format(interaction, self.meeting_id, self.name, chosen)
