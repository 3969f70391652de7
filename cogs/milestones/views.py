"""The milestones area's panels: the announcement choice (asked after /milestone set), erasing a date, and
how a date's progress is shown."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import discord

from bot.render import CALM_BLUE, calendar_day, plain
from bot.services.milestones.dates import MODE_WORDS, CleanDate, Mode
from bot.services.milestones.schedules import Progress
from bot.views import OwnedView

BAR_CELLS = 12


def progress_bar(share: float) -> str:
    filled = round(share * BAR_CELLS)
    return "▰" * filled + "▱" * (BAR_CELLS - filled) + f" {share:.0%}"


def _span(p: Progress) -> str:
    parts = [(p.years, "year"), (p.months, "month"), (p.rest_days, "day")]
    words = [f"{n} {unit}" + ("" if n == 1 else "s") for n, unit in parts if n]
    return ", ".join(words) if words else "today is day one"


def date_field(found: CleanDate, p: Progress) -> tuple[str, str]:
    """One date as an embed field: days clean, the same in years/months/days, where it stands, what comes next."""
    name = f"Clean since {found.start.isoformat()}" + (f" · {plain(found.label)}" if found.label else "")
    lines = [f"**{p.days:,} day{'' if p.days == 1 else 's'}** clean ({_span(p)})"]
    if p.current is not None:
        lines.append(f"Reached: **{p.current[1].title}** on {calendar_day(p.current[0])}")
    if p.next is not None:
        days = p.days_to_next
        when = "tomorrow" if days == 1 else f"in {days:,} days"
        lines.append(f"Next: **{p.next[1].title}** on {calendar_day(p.next[0])}, {when}")
        lines.append(progress_bar(p.share_to_next))
    lines.append(f"Days begin at midnight in {found.zone}.")
    return name, "\n".join(lines)


def view_embed(fields: list[tuple[str, str]], choice_line: str) -> discord.Embed:
    embed = discord.Embed(title="Your milestones", colour=CALM_BLUE)
    for name, value in fields:
        embed.add_field(name=name, value=value, inline=False)
    embed.set_footer(text=choice_line)
    return embed


CHOICE_BUTTONS = {
    Mode.PUBLIC: ("Announce with my name", discord.ButtonStyle.success, "🎉"),
    Mode.ANONYMOUS: ("Announce anonymously", discord.ButtonStyle.primary, "🕊️"),
    Mode.OFF: ("Keep them private", discord.ButtonStyle.secondary, "🔒"),
}


class AnnouncementChoice(OwnedView):
    """Asked after a first /milestone set in a server: how its milestones may be announced here."""

    def __init__(self, owner_id: int, choose: Callable[[discord.Interaction, Mode], Awaitable[None]]) -> None:
        super().__init__(owner_id, timeout=900)
        self.choose = choose
        for mode, (label, style, emoji) in CHOICE_BUTTONS.items():
            button: discord.ui.Button[AnnouncementChoice] = discord.ui.Button(
                label=label, style=style, emoji=emoji, custom_id=f"milestones:choose:{mode.value}")
            button.callback = self._pressed(mode)  # type: ignore[method-assign, assignment]
            self.add_item(button)

    def _pressed(self, mode: Mode) -> Callable[[discord.Interaction], Coroutine[Any, Any, None]]:
        async def callback(interaction: discord.Interaction) -> None:
            self.stop()
            await self.choose(interaction, mode)
        return callback


def choice_words(mode: Mode | None) -> str:
    if mode is None:
        return "Here, your milestones are not announced (you haven't chosen: /milestone privacy)."
    return f"Here, your milestones are {MODE_WORDS[mode]}."


class ConfirmErase(OwnedView):
    """Erasing a date can't be undone: asked once."""

    def __init__(self, owner_id: int, erase: Callable[[discord.Interaction], Awaitable[None]]) -> None:
        super().__init__(owner_id, timeout=300)
        self.erase = erase

    @discord.ui.button(label="Erase it", style=discord.ButtonStyle.danger, custom_id="milestones:erase")
    async def confirm(self, interaction: discord.Interaction, _button: discord.ui.Button[ConfirmErase]) -> None:
        self.stop()
        await self.erase(interaction)

    @discord.ui.button(label="Keep it", style=discord.ButtonStyle.secondary, custom_id="milestones:keep")
    async def keep(self, interaction: discord.Interaction, _button: discord.ui.Button[ConfirmErase]) -> None:
        self.stop()
        await interaction.response.edit_message(content="Kept. Nothing changed.", view=None)
