"""The one place where times and crisis resources are turned into what people see."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import discord

from bot.services.crisis import DANGER_LINE, RegionResources
from bot.services.text import escape_markdown

TimestampStyle = Literal["t", "T", "d", "D", "f", "F", "R"]

CALM_BLUE = discord.Colour(0x5B8DEF)


def timestamp(moment: datetime, style: TimestampStyle = "F") -> str:
    """A Discord timestamp: every viewer sees it in their own time zone."""
    if moment.tzinfo is None:
        raise ValueError("refusing to render a naive datetime: its zone is unknown")
    return discord.utils.format_dt(moment, style)


def calendar_day(day: date) -> str:
    """A day on someone's own calendar (a milestone's day), as words: unlike a Discord timestamp, which is an
    instant each viewer sees in their own zone, it reads the same for everyone."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def plain(text: str) -> str:
    """Text someone typed, shown as the characters it is: no formatting, links or mentions."""
    return escape_markdown(text)


def link(label: str, url: str) -> str:
    """A masked link whose URL can't end it early: ( ) and spaces would close or break it."""
    safe = url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
    return f"[{plain(label)}]({safe})"


def crisis_embed(resources: RegionResources) -> discord.Embed:
    emergency = f"call **{resources.emergency}**" if resources.emergency else "call your local emergency number"
    embed = discord.Embed(
        title=f"Support and crisis lines: {resources.name}",
        description=(
            f"🆘 {DANGER_LINE.replace('call your local emergency number', emergency)}\n"
            "Reaching out is a strength. These lines are free and confidential."
        ),
        colour=CALM_BLUE,
    )
    for line in (*resources.lines, *resources.fallback):
        embed.add_field(name=line.name, value=f"{line.contact}\n{line.hours} · [source]({line.source})", inline=False)
    embed.add_field(name="Right now, you could try", value="\n".join(f"• {c}" for c in resources.coping), inline=False)
    oldest = min(line.last_verified for line in (*resources.lines, *resources.fallback))
    embed.set_footer(text=f"Numbers last checked {oldest.isoformat()}. Only you can see this message.")
    return embed
