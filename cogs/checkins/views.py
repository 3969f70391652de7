"""What check-ins look like on Discord: the mood buttons, the short form, the anonymous post and its buttons.

Every button lasts (the check-in's number is in its custom id) and hands over to the check-ins cog; who may
press what is decided by the service, by keyed code, never by a stored id. A post shows nothing about its
author: no name, avatar or time but the post's own, and what they wrote can mention nobody.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.render import CALM_BLUE, plain
from bot.services.checkins.entries import MOODS, NOTE_MAX, Entry
from bot.services.checkins.posts import SIGNATURE_MAX, SUPPORT_MAX
from bot.views import BaseModal, PersistentButton

if TYPE_CHECKING:
    from cogs.checkins.cog import CheckIns


def checkins(interaction: discord.Interaction) -> CheckIns:
    cog = interaction.client.get_cog("CheckIns")  # type: ignore[attr-defined]
    if cog is None:
        raise RuntimeError("the check-ins extension is not loaded")
    return cog  # type: ignore[no-any-return]


def mood_line(entry: Entry) -> str:
    emoji, words = MOODS[entry.mood]
    return f"{emoji} {words} ({entry.mood}/5)"


def post_embed(entry: Entry) -> discord.Embed:
    """The anonymous post: mood, craving and note, and nothing that could point at who wrote it."""
    embed = discord.Embed(title=f"Anonymous check-in #{entry.id}",
                          description=plain(entry.note) if entry.note else None, colour=CALM_BLUE)
    embed.add_field(name="Mood", value=mood_line(entry))
    embed.add_field(name="Craving", value=f"{entry.craving}/10")
    embed.set_footer(text="Shared anonymously. Send support and it reaches them by DM; nobody learns who they are.")
    return embed


# -- buttons -------------------------------------------------------------------------------------------

class MoodButton(PersistentButton, template=r"checkin:mood:(?P<mood>[1-5])"):
    """One of the five mood buttons of the daily reminder: one tap, then the short form."""

    def __init__(self, mood: int) -> None:
        emoji, words = MOODS[mood]
        super().__init__(discord.ui.Button(label=words.capitalize(), emoji=emoji, custom_id=f"checkin:mood:{mood}",
                                           style=discord.ButtonStyle.secondary))
        self.mood = mood

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> MoodButton:
        return cls(int(match["mood"]))

    async def pressed(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(CheckinForm(self.mood))


def mood_buttons() -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for mood in MOODS:
        view.add_item(MoodButton(mood))
    return view


class _CheckinButton(PersistentButton, template=r"(?!)"):
    """A button about one check-in: its number is in the custom id."""

    label: str = ""
    emoji: str | None = None
    style = discord.ButtonStyle.secondary
    action: str = ""

    def __init__(self, checkin_id: int, extra: str = "") -> None:
        super().__init__(discord.ui.Button(label=self.label, emoji=self.emoji, style=self.style,
                                           custom_id=f"checkin:{self.action}:{checkin_id}{extra}"))
        self.checkin_id = checkin_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> _CheckinButton:
        return cls(int(match["id"]))


class SupportButton(_CheckinButton, template=r"checkin:support:(?P<id>[0-9]{1,18})"):
    label, emoji, style, action = "Send support", "💙", discord.ButtonStyle.primary, "support"

    async def pressed(self, interaction: discord.Interaction) -> None:
        signature = interaction.user.display_name[:SIGNATURE_MAX]
        await interaction.response.send_modal(SupportForm(self.checkin_id, signature))


class ReportButton(_CheckinButton, template=r"checkin:report:(?P<id>[0-9]{1,18})"):
    label, emoji, style, action = "Report", "🚩", discord.ButtonStyle.secondary, "report"

    async def pressed(self, interaction: discord.Interaction) -> None:
        await checkins(interaction).report(interaction, self.checkin_id)


class TakeDownButton(_CheckinButton, template=r"checkin:takedown:(?P<id>[0-9]{1,18})"):
    label, emoji, style, action = "Take my post down", "🗑️", discord.ButtonStyle.secondary, "takedown"

    async def pressed(self, interaction: discord.Interaction) -> None:
        await checkins(interaction).take_down(interaction, self.checkin_id)


class ShareButton(_CheckinButton, template=r"checkin:share:(?P<id>[0-9]{1,18}):(?P<guild>[0-9]{1,20})"):
    """Share the check-in anonymously with one server (its id is in the custom id)."""

    label, emoji, style, action = "Share anonymously", "🤝", discord.ButtonStyle.secondary, "share"

    def __init__(self, checkin_id: int, guild_id: int = 0, server: str | None = None) -> None:
        super().__init__(checkin_id, f":{guild_id}")
        if server:
            self.item.label = f"Share anonymously in {server}"[:80]
        self.guild_id = guild_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> ShareButton:
        return cls(int(match["id"]), int(match["guild"]))

    async def pressed(self, interaction: discord.Interaction) -> None:
        await checkins(interaction).share(interaction, self.checkin_id, self.guild_id)


class ReachOutButton(_CheckinButton, template=r"checkin:reach:(?P<id>[0-9]{1,18}):(?P<anon>[01])"):
    """From a hard check-in straight to a volunteer: the /reachout form, filled in with the note."""

    label, emoji, style, action = "Reach out to a volunteer", "🤝", discord.ButtonStyle.success, "reach"

    def __init__(self, checkin_id: int, anonymous: bool = False) -> None:
        super().__init__(checkin_id, f":{int(anonymous)}")
        if anonymous:
            self.item.label, self.item.style = "Reach out anonymously", discord.ButtonStyle.secondary
        self.anonymous = anonymous

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> ReachOutButton:
        return cls(int(match["id"]), match["anon"] == "1")

    async def pressed(self, interaction: discord.Interaction) -> None:
        await checkins(interaction).open_reach_out(interaction, self.checkin_id, self.anonymous)


BUTTONS = (MoodButton, SupportButton, ReportButton, TakeDownButton, ShareButton, ReachOutButton)


def post_buttons(checkin_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(SupportButton(checkin_id))
    view.add_item(ReportButton(checkin_id))
    return view


# -- forms -------------------------------------------------------------------------------------------

class CheckinForm(BaseModal, title="How are you today?"):
    craving: discord.ui.TextInput[CheckinForm] = discord.ui.TextInput(
        label="Craving, from 0 (none) to 10 (overwhelming)", max_length=2, custom_id="checkin:craving",
        placeholder="0")
    note: discord.ui.TextInput[CheckinForm] = discord.ui.TextInput(
        label="Anything you'd like to note (only you see it)", style=discord.TextStyle.paragraph, required=False,
        max_length=NOTE_MAX, custom_id="checkin:note")

    def __init__(self, mood: int) -> None:
        super().__init__(custom_id=f"checkin:form:{mood}")
        self.mood = mood

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await checkins(interaction).record_from_form(interaction, self.mood, self.craving.value, self.note.value)


class SupportForm(BaseModal, title="Send support"):
    text: discord.ui.TextInput[SupportForm] = discord.ui.TextInput(
        label="Your message (it reaches them by DM)", style=discord.TextStyle.paragraph, max_length=SUPPORT_MAX,
        custom_id="checkin:support-text")
    signature: discord.ui.TextInput[SupportForm] = discord.ui.TextInput(
        label="Signed as (clear it to stay anonymous too)", required=False, max_length=SIGNATURE_MAX,
        custom_id="checkin:signature")

    def __init__(self, checkin_id: int, signature: str) -> None:
        super().__init__(custom_id=f"checkin:support-form:{checkin_id}")
        self.checkin_id = checkin_id
        self.signature.default = signature

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await checkins(interaction).send_support(interaction, self.checkin_id, self.text.value,
                                                 self.signature.value)


class ReachOutForm(BaseModal, title="Reach out to a volunteer"):
    message: discord.ui.TextInput[ReachOutForm] = discord.ui.TextInput(
        label="What's going on (the volunteer reads this)", style=discord.TextStyle.paragraph, required=False,
        max_length=1000, custom_id="checkin:reach-message")

    def __init__(self, checkin_id: int, anonymous: bool, prefilled: str | None) -> None:
        super().__init__(custom_id=f"checkin:reach-form:{checkin_id}")
        self.checkin_id, self.anonymous = checkin_id, anonymous
        self.message.default = prefilled

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await checkins(interaction).reach_out(interaction, self.checkin_id, self.anonymous, self.message.value)
