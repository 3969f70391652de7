"""A meeting's live panel: what it shows, its buttons (which keep working after a restart), and its edits,
coalesced so a room of people pressing at once never pushes the bot past Discord's limits on one message."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from bot.checks import Role
from bot.render import CALM_BLUE, calendar_day, plain, timestamp
from bot.services.facilitation.formats import render
from bot.services.facilitation.queue import SHOWN
from bot.services.facilitation.runs import Run
from bot.services.milestones.dates import Upcoming
from bot.tasks import create_task
from bot.views import PersistentButton

if TYPE_CHECKING:
    from cogs.facilitation.cog import Facilitation

log = logging.getLogger(__name__)

def chairs_only(own_role: bool) -> str:
    """Who may chair a meeting, for someone who may not."""
    who = "its own facilitator role, the server's facilitator role, or a moderator" if own_role else \
        "the server's facilitator role (set in /setup), or a moderator"
    return f"Only the meeting's chairs can do that: {who}. To share, press ✋ Raise hand."

# Discord lets a bot edit one message about 5 times in 5 seconds, and the channel shares that budget with the
# bot's other messages there ("you have the floor"): one edit at most every 1.5 s leaves room for them.
EDIT_GAP = 1.5


def facilitation(interaction: discord.Interaction) -> Facilitation:
    cog = interaction.client.get_cog("Facilitation")  # type: ignore[attr-defined]
    if cog is None:
        raise RuntimeError("the facilitation extension is not loaded")
    return cog  # type: ignore[no-any-return]


def milestone_words(coming: Upcoming | None) -> str:
    """Who celebrates soon, for a step with {milestones}: those who chose to be named, and a count of the others."""
    if coming is None:
        return ""
    named = ", ".join(f"<@{c.user_id}> ({c.milestone.title}, {calendar_day(c.day)})" for c in coming.named[:15])
    anonymous = f" {coming.anonymous} more celebrate soon, anonymously." if coming.anonymous else ""
    return (f"Celebrating soon: {named}." if named else "No one has asked to be named this week.") + anonymous


def panel_embed(run: Run, hands: list[int], present: int, coming: Upcoming | None) -> discord.Embed:
    step = run.current_step
    embed = discord.Embed(title=f"🟢 {plain(run.meeting_name)}: live", colour=CALM_BLUE)
    embed.add_field(name=f"Step {min(run.step, len(run.steps) - 1) + 1} of {len(run.steps)} · {plain(step.title)}",
                    value=(render(step, run.share_minutes, milestone_words(coming)) or "…")[:1024], inline=False)
    if run.speaker_id is not None:
        timer = f" · time's up {timestamp(run.timer_ends_at, 'R')}" if run.timer_ends_at else ""
        embed.add_field(name="Sharing now", value=f"<@{run.speaker_id}>{timer}", inline=False)
    elif run.timer_ends_at is not None:
        embed.add_field(name="Timer", value=f"time's up {timestamp(run.timer_ends_at, 'R')}", inline=False)
    listed = "\n".join(f"{n}. <@{user}>" for n, user in enumerate(hands[:SHOWN], start=1))
    if len(hands) > SHOWN:
        listed += f"\n… and {len(hands) - SHOWN} more"
    embed.add_field(name=f"Queue ({len(hands)})", value=listed or "Nobody yet: press ✋ Raise hand to share.",
                    inline=False)
    rule = " · who hasn't shared goes first" if run.newcomers_first else ""
    embed.set_footer(text=f"Shares: about {run.share_minutes} min{rule} · present: {present}")
    embed.description = f"Chaired by <@{run.chair_id}>."
    return embed


def closed_embed(run: Run) -> discord.Embed:
    return discord.Embed(title=f"⚪ {plain(run.meeting_name)}: ended", colour=CALM_BLUE,
                         description="Thank you for being here. Attended and need proof? Press 📄 Attendance slip: "
                                     "it comes to you by DM, and only if you ask.")


class _RunButton(PersistentButton, template=r"(?!)"):
    """A panel button: the run's number is in its custom id."""

    label: str = ""
    emoji: str | None = None
    style = discord.ButtonStyle.secondary
    action: str = ""
    row_number = 0

    def __init__(self, run_id: int, chair_role_id: int | None = None) -> None:
        role = f":{chair_role_id}" if chair_role_id else ""
        super().__init__(discord.ui.Button(label=self.label, emoji=self.emoji, style=self.style, row=self.row_number,
                                           custom_id=f"run:{self.action}:{run_id}{role}"))
        self.run_id, self.chair_role_id = run_id, chair_role_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> _RunButton:
        role = match.groupdict().get("role")
        return cls(int(match["id"]), int(role) if role else None)


class RaiseHand(_RunButton, template=r"run:hand:(?P<id>[0-9]{1,18})"):
    label, emoji, style, action = "Raise hand", "✋", discord.ButtonStyle.primary, "hand"

    async def pressed(self, interaction: discord.Interaction) -> None:
        await facilitation(interaction).raise_hand(interaction, self.run_id)


class LowerHand(_RunButton, template=r"run:lower:(?P<id>[0-9]{1,18})"):
    label, emoji, action = "Lower hand", "👇", "lower"

    async def pressed(self, interaction: discord.Interaction) -> None:
        await facilitation(interaction).lower_hand(interaction, self.run_id)


class ImHere(_RunButton, template=r"run:here:(?P<id>[0-9]{1,18})"):
    label, emoji, action = "I'm here", "🙋", "here"

    async def pressed(self, interaction: discord.Interaction) -> None:
        await facilitation(interaction).here(interaction, self.run_id)


class SlipButton(_RunButton, template=r"run:slip:(?P<id>[0-9]{1,18})"):
    label, emoji, action = "Attendance slip", "📄", "slip"

    async def pressed(self, interaction: discord.Interaction) -> None:
        await facilitation(interaction).send_slip(interaction, self.run_id)


class _ChairButton(_RunButton, template=r"(?!)"):
    """The chair's buttons: for the server's facilitators and moderators, and the meeting's own facilitator role
    (carried in the custom id)."""

    who = Role.FACILITATOR
    row_number = 1

    def listed_roles(self) -> tuple[int, ...]:
        return (self.chair_role_id,) if self.chair_role_id else ()

    def refusal(self, owned: bool, by_role: bool) -> str:
        return chairs_only(by_role)


class NextSpeaker(_ChairButton, template=r"run:next:(?P<id>[0-9]{1,18})(?::(?P<role>[0-9]{1,20}))?"):
    label, emoji, style, action = "Next speaker", "▶️", discord.ButtonStyle.success, "next"

    async def pressed(self, interaction: discord.Interaction) -> None:
        await facilitation(interaction).call_next(interaction, self.run_id, shares=True)


class Skip(_ChairButton, template=r"run:skip:(?P<id>[0-9]{1,18})(?::(?P<role>[0-9]{1,20}))?"):
    label, emoji, action = "Skip", "⏭️", "skip"

    async def pressed(self, interaction: discord.Interaction) -> None:
        await facilitation(interaction).call_next(interaction, self.run_id, shares=False)


class NextStep(_ChairButton, template=r"run:step:(?P<id>[0-9]{1,18})(?::(?P<role>[0-9]{1,20}))?"):
    label, emoji, action = "Next step", "📜", "step"

    async def pressed(self, interaction: discord.Interaction) -> None:
        await facilitation(interaction).next_step(interaction, self.run_id)


class TakeOver(_ChairButton, template=r"run:chair:(?P<id>[0-9]{1,18})(?::(?P<role>[0-9]{1,20}))?"):
    label, emoji, action = "Take over", "🪑", "chair"

    async def pressed(self, interaction: discord.Interaction) -> None:
        await facilitation(interaction).take_over(interaction, self.run_id)


BUTTONS: tuple[type[_RunButton], ...] = (RaiseHand, LowerHand, ImHere, SlipButton, NextSpeaker, Skip, NextStep,
                                         TakeOver)


def live_view(run: Run) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for button in BUTTONS:
        view.add_item(button(run.id, run.chair_role_id if issubclass(button, _ChairButton) else None))
    return view


def closed_view(run_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(SlipButton(run_id))
    return view


class PanelKeeper:
    """Edits each run's panel when it changes, at most once every `EDIT_GAP` seconds: presses that arrive
    while an edit waits are all shown by the next one."""

    def __init__(self, redraw: Callable[[int], Awaitable[None]]) -> None:
        self._redraw = redraw
        self._dirty: set[int] = set()
        self._workers: dict[int, asyncio.Task[None]] = {}
        self.edits = 0

    def changed(self, run_id: int) -> None:
        self._dirty.add(run_id)
        if run_id not in self._workers:
            self._workers[run_id] = create_task(self._work(run_id), name=f"panel-{run_id}")

    async def _work(self, run_id: int) -> None:
        try:
            while run_id in self._dirty:
                self._dirty.discard(run_id)
                try:
                    await self._redraw(run_id)
                    self.edits += 1
                except Exception:  # a failed redraw must not stop later ones; it is logged once
                    log.exception("could not redraw the panel of run %d", run_id)
                await asyncio.sleep(EDIT_GAP)
        finally:
            self._workers.pop(run_id, None)

    async def close(self) -> None:
        for task in list(self._workers.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
