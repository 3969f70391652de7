"""The buttons of reach-out: on request cards, in volunteers' DMs, in threads and in the requester's DMs.

Each is a `PersistentButton` (it works after a restart: the request's number is in its custom id) and
leaves the decision of who may press it to the service (the two sides of a conversation are matched by
the requester's keyed code, never by a stored id). They hand over to the reach-out cog.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.views import BaseModal, PersistentButton

if TYPE_CHECKING:
    from cogs.reachout.cog import ReachOut

REPLY_MAX = 1500


def reach_out(interaction: discord.Interaction) -> ReachOut:
    cog = interaction.client.get_cog("ReachOut")  # type: ignore[attr-defined]
    if cog is None:
        raise RuntimeError("the reach-out extension is not loaded")
    return cog  # type: ignore[no-any-return]


class _RequestButton(PersistentButton, template=r"(?!)"):
    """A button about one request: `request_id` comes from its custom id."""

    label: str = ""
    emoji: str | None = None
    style = discord.ButtonStyle.secondary
    action: str = ""

    def __init__(self, request_id: int) -> None:
        super().__init__(discord.ui.Button(label=self.label, emoji=self.emoji, style=self.style,
                                           custom_id=f"reachout:{self.action}:{request_id}"))
        self.request_id = request_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> _RequestButton:
        return cls(int(match["id"]))


class TakeButton(_RequestButton, template=r"reachout:take:(?P<id>[0-9]{1,18})"):
    label, emoji, style, action = "I'll take it", "🤝", discord.ButtonStyle.success, "take"

    async def pressed(self, interaction: discord.Interaction) -> None:
        await reach_out(interaction).take(interaction, self.request_id)


class ReplyButton(_RequestButton, template=r"reachout:reply:(?P<id>[0-9]{1,18})"):
    label, emoji, style, action = "Reply", "💬", discord.ButtonStyle.primary, "reply"

    async def pressed(self, interaction: discord.Interaction) -> None:
        await reach_out(interaction).check_side(interaction, self.request_id)
        await interaction.response.send_modal(ReplyForm(self.request_id))


class CloseButton(_RequestButton, template=r"reachout:close:(?P<id>[0-9]{1,18})"):
    label, emoji, style, action = "Close", "🔒", discord.ButtonStyle.secondary, "close"

    async def pressed(self, interaction: discord.Interaction) -> None:
        await reach_out(interaction).close(interaction, self.request_id)


class RevealButton(_RequestButton, template=r"reachout:reveal:(?P<id>[0-9]{1,18})"):
    label, emoji, style, action = "Tell them who I am", "🪪", discord.ButtonStyle.secondary, "reveal"

    async def pressed(self, interaction: discord.Interaction) -> None:
        await reach_out(interaction).reveal(interaction, self.request_id)


class HelpedButton(_RequestButton, template=r"reachout:helped:(?P<id>[0-9]{1,18})"):
    label, emoji, style, action = "It helped", "💙", discord.ButtonStyle.success, "helped"

    async def pressed(self, interaction: discord.Interaction) -> None:
        await reach_out(interaction).feedback(interaction, self.request_id, helped=True)


class NotHelpedButton(_RequestButton, template=r"reachout:nothelped:(?P<id>[0-9]{1,18})"):
    label, emoji, style, action = "It didn't", None, discord.ButtonStyle.secondary, "nothelped"

    async def pressed(self, interaction: discord.Interaction) -> None:
        await reach_out(interaction).feedback(interaction, self.request_id, helped=False)


BUTTONS = (TakeButton, ReplyButton, CloseButton, RevealButton, HelpedButton, NotHelpedButton)


def buttons(request_id: int, *kinds: type[_RequestButton]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for kind in kinds:
        view.add_item(kind(request_id))
    return view


class ReplyForm(BaseModal, title="Reply"):
    """What one side writes to the other; passed on, never stored."""

    text: discord.ui.TextInput[ReplyForm] = discord.ui.TextInput(
        label="Your message", style=discord.TextStyle.paragraph, max_length=REPLY_MAX, custom_id="reachout:text")

    def __init__(self, request_id: int) -> None:
        super().__init__(custom_id=f"reachout:reply-form:{request_id}")
        self.request_id = request_id

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await reach_out(interaction).relay(interaction, self.request_id, self.text.value)
