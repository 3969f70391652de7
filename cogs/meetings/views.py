"""What meetings look like on Discord: embeds, the paged list, reminder panels and buttons."""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import discord

from bot.dm import DMS_CLOSED_HINT, send_dm
from bot.render import CALM_BLUE, link, plain, timestamp
from bot.services import recurrence
from bot.services.meetings import Upcoming
from bot.services.meetings.data import KIND_LABELS, Location, Meeting, Place, describe_types
from bot.views import OwnedView, PersistentButton

PAGE_SIZE = 8
OFFSET_LABELS = {10: "10 minutes before", 30: "30 minutes before", 60: "1 hour before", 180: "3 hours before",
                 1440: "1 day before"}


def offset_words(minutes: int) -> str:
    return OFFSET_LABELS.get(minutes, f"{minutes} minutes before")


# The texts below are asked for again and again (each list page, each info) about the same few hundred
# meetings: worked out once each, they cost the hot path nothing.

def local_words(meeting: Meeting, start: datetime) -> str:
    """'Tue 24 Nov 19:00 (America/New_York)': for menus, where Discord timestamps don't render."""
    return _local_words(meeting.recurrence.zone, start)


@functools.lru_cache(maxsize=4096)
def _local_words(zone: str, start: datetime) -> str:
    return f"{start.astimezone(ZoneInfo(zone)):%a %d %b %H:%M} ({zone})"[:100]


def where(meeting: Meeting) -> str:
    """'<#channel>', '[Join link](…) · 📞 +1646…', plus ' · in person at …' for a hybrid meeting."""
    return _where(meeting.location)


@functools.lru_cache(maxsize=4096)
def _where(location: Location) -> str:
    parts = []
    if location.place in (Place.VOICE, Place.STAGE, Place.TEXT) and location.channel_id:
        parts.append(f"<#{location.channel_id}>")
    if location.url:
        parts.append(link("Join link", location.url))
    if location.phone:
        parts.append(f"📞 {plain(location.phone)}")
    if location.in_person:
        parts.append(f"in person at {plain(location.in_person)}")
    return " · ".join(parts) or "Place to be announced"


def joining_notes(meeting: Meeting) -> str | None:
    """What people need to get in (a passcode, a meeting id to dial), when the feed said."""
    location = meeting.location
    notes = [f"Link: {plain(location.url_notes)}" if location.url_notes else "",
             f"Phone: {plain(location.phone_notes)}" if location.phone_notes else ""]
    return "\n".join(note for note in notes if note) or None


def meeting_embed(meeting: Meeting, now: datetime, *, reminder: int | None = None,
                  for_moderator: bool = False) -> discord.Embed:
    embed = discord.Embed(title=plain(meeting.name), description=plain(meeting.description or "") or None,
                          colour=CALM_BLUE)
    start = meeting.current_or_next(now)
    if start is None:
        embed.add_field(name="Next meeting", value="The series has ended.", inline=False)
    elif start <= now:
        ends = timestamp(start + meeting.duration, "t")
        embed.add_field(name="Now", value=f"Started {timestamp(start, 'R')}; ends {ends}", inline=False)
    else:
        embed.add_field(name="Next meeting", value=f"{timestamp(start, 'F')} ({timestamp(start, 'R')})", inline=False)
    embed.add_field(name="Repeats", value=f"{recurrence.describe(meeting.recurrence)}, {meeting.duration_minutes} min",
                    inline=False)
    embed.add_field(name="Where", value=where(meeting)[:1024])
    if (notes := joining_notes(meeting)) is not None:
        embed.add_field(name="To get in", value=notes[:1024], inline=False)
    kind = KIND_LABELS[meeting.kind] + (f" · {plain(meeting.fellowship)}" if meeting.fellowship else "")
    embed.add_field(name="Kind", value=kind)
    if meeting.types:
        embed.add_field(name="Format", value=describe_types(meeting.types), inline=False)
    first_day = None if start is None else recurrence.local_date(meeting.recurrence, start)
    upcoming_skips = sorted(d for d in meeting.skipped if first_day is None or d >= first_day)
    if upcoming_skips:
        embed.add_field(name="Cancelled", value=", ".join(f"{d:%a %d %b}" for d in upcoming_skips[:6]), inline=False)
    if for_moderator and meeting.event_problem:
        embed.add_field(name="Events tab", value=meeting.event_problem, inline=False)
    footer = f"Reminder: {offset_words(reminder)} (DM)" if reminder else "Times show in your own time zone."
    embed.set_footer(text=f"{footer} · short name: {meeting.slug}")
    return embed


def list_embed(entries: Sequence[Upcoming], page: int, now: datetime, title: str) -> discord.Embed:
    pages = max(1, -(-len(entries) // PAGE_SIZE))
    shown = entries[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    embed = discord.Embed(title=title, colour=CALM_BLUE)
    if not shown:
        embed.description = ("No meetings in the next 7 days. Moderators can add one with /meeting create.")
    for entry in shown:
        m = entry.meeting
        live = " · **now**" if entry.start <= now else ""
        formats = f" · {describe_types(m.types)}" if m.types else ""
        embed.add_field(
            name=plain(m.name)[:256],
            value=f"{timestamp(entry.start, 'F')} ({timestamp(entry.start, 'R')}){live}\n{where(m)}{formats}"[:1024],
            inline=False,
        )
    embed.set_footer(text=f"Page {page + 1} of {pages} · times show in your own time zone")
    return embed


class ListPager(OwnedView):
    """/meeting list: pages of upcoming meetings, and a menu to open one for details."""

    def __init__(self, owner_id: int, entries: Sequence[Upcoming], now: datetime, title: str,
                 open_meeting: Callable[[discord.Interaction, int], Awaitable[None]]) -> None:
        super().__init__(owner_id)
        self.entries, self.now, self.title, self.page = entries, now, title, 0
        self.open_meeting = open_meeting
        self.pages = max(1, -(-len(entries) // PAGE_SIZE))
        self.refresh()

    def embed(self) -> discord.Embed:
        return list_embed(self.entries, self.page, self.now, self.title)

    def refresh(self) -> None:
        self.previous_page.disabled = self.earlier_day.disabled = self.page == 0
        self.next_page.disabled = self.later_day.disabled = self.page >= self.pages - 1
        shown = self.entries[self.page * PAGE_SIZE:(self.page + 1) * PAGE_SIZE]
        menu: discord.ui.Select[ListPager] = self.details
        menu.options = [
            discord.SelectOption(label=e.meeting.name[:100], value=str(e.meeting.id),
                                 description=local_words(e.meeting, e.start))
            for e in {e.meeting.id: e for e in reversed(shown)}.values()
        ] or [discord.SelectOption(label="No meetings", value="0")]
        menu.disabled = not shown

    @discord.ui.button(label="Previous", emoji="◀️", custom_id="meeting-list:previous")
    async def previous_page(self, interaction: discord.Interaction, button: discord.ui.Button[ListPager]) -> None:
        self.page = max(0, self.page - 1)
        self.refresh()
        await interaction.response.edit_message(embed=self.embed(), view=self)

    @discord.ui.button(label="Next", emoji="▶️", custom_id="meeting-list:next")
    async def next_page(self, interaction: discord.Interaction, button: discord.ui.Button[ListPager]) -> None:
        self.page = min(self.pages - 1, self.page + 1)
        self.refresh()
        await interaction.response.edit_message(embed=self.embed(), view=self)

    # A server with an intergroup's whole list has hundreds of meetings a day: these move by a day
    # (24 hours from the first meeting shown), which reads the same in every viewer's time zone.
    @discord.ui.button(label="Day earlier", emoji="⏪", custom_id="meeting-list:earlier-day")
    async def earlier_day(self, interaction: discord.Interaction, button: discord.ui.Button[ListPager]) -> None:
        first = self.entries[self.page * PAGE_SIZE].start - timedelta(days=1)
        self.page = self._page_of(first)
        self.refresh()
        await interaction.response.edit_message(embed=self.embed(), view=self)

    @discord.ui.button(label="Day later", emoji="⏩", custom_id="meeting-list:later-day")
    async def later_day(self, interaction: discord.Interaction, button: discord.ui.Button[ListPager]) -> None:
        first = self.entries[self.page * PAGE_SIZE].start + timedelta(days=1)
        self.page = min(self.pages - 1, max(self.page + 1, self._page_of(first)))
        self.refresh()
        await interaction.response.edit_message(embed=self.embed(), view=self)

    def _page_of(self, moment: datetime) -> int:
        """The page holding the first meeting that starts at or after `moment`."""
        index = next((i for i, entry in enumerate(self.entries) if entry.start >= moment), len(self.entries) - 1)
        return max(0, index) // PAGE_SIZE

    @discord.ui.select(placeholder="Details and reminders for…", custom_id="meeting-list:details")
    async def details(self, interaction: discord.Interaction, select: discord.ui.Select[ListPager]) -> None:
        await self.open_meeting(interaction, int(select.values[0]))


class ReminderPanel(OwnedView):
    """A member's own reminder for one meeting: pick how long before, or stop."""

    def __init__(self, owner_id: int, meeting: Meeting, current: int | None,
                 save: Callable[[int, int | None], Awaitable[datetime | None]]) -> None:
        super().__init__(owner_id)
        self.meeting, self.current, self.save = meeting, current, save
        menu: discord.ui.Select[ReminderPanel] = self.when
        menu.options = [
            discord.SelectOption(label=label, value=str(minutes), default=minutes == current)
            for minutes, label in OFFSET_LABELS.items()
        ]
        self.stop_reminders.disabled = current is None

    @discord.ui.select(placeholder="Remind me by DM…", custom_id="meeting-reminder:offset")
    async def when(self, interaction: discord.Interaction, select: discord.ui.Select[ReminderPanel]) -> None:
        minutes = int(select.values[0])
        next_start = await self.save(minutes, self.current)
        self.current = minutes
        self.stop_reminders.disabled = False
        first = f" The next one is {timestamp(next_start, 'F')}." if next_start else ""
        confirmed = await send_dm(interaction.user, content=(
            f"I'll remind you here {offset_words(minutes)} each **{plain(self.meeting.name)}**.{first} "
            "To stop, open /meeting info and press “Stop reminders”."))
        note = "" if confirmed else f"\n\n⚠️ {DMS_CLOSED_HINT}"
        await interaction.response.edit_message(
            content=f"Done: I'll DM you {offset_words(minutes)} each **{plain(self.meeting.name)}**.{first}{note}",
            view=self)

    @discord.ui.button(label="Stop reminders", style=discord.ButtonStyle.secondary,
                       custom_id="meeting-reminder:stop")
    async def stop_reminders(self, interaction: discord.Interaction, button: discord.ui.Button[ReminderPanel]) -> None:
        await self.save(0, self.current)
        self.current = None
        button.disabled = True
        await interaction.response.edit_message(
            content=f"Reminders for **{plain(self.meeting.name)}** are off.", view=self)


class RemindMeButton(PersistentButton, template=r"meeting:remind:(?P<id>[0-9]{1,18})"):
    """The "Remind me" button under announcements and meeting details; survives restarts."""

    opener: Callable[[discord.Interaction, int], Awaitable[None]] | None = None

    def __init__(self, meeting_id: int) -> None:
        super().__init__(discord.ui.Button(label="Remind me", emoji="🔔", style=discord.ButtonStyle.primary,
                                           custom_id=f"meeting:remind:{meeting_id}"))
        self.meeting_id = meeting_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> RemindMeButton:
        return cls(int(match["id"]))

    async def pressed(self, interaction: discord.Interaction) -> None:
        if RemindMeButton.opener is not None:
            await RemindMeButton.opener(interaction, self.meeting_id)


def remind_me_view(meeting_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(RemindMeButton(meeting_id))
    return view


class ConfirmDelete(OwnedView):
    def __init__(self, owner_id: int, meeting: Meeting, delete: Callable[[], Awaitable[str]]) -> None:
        super().__init__(owner_id, timeout=120)
        self.meeting, self.delete = meeting, delete

    @discord.ui.button(label="Delete it", style=discord.ButtonStyle.danger, custom_id="meeting-delete:confirm")
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmDelete]) -> None:
        summary = await self.delete()
        await interaction.response.edit_message(content=summary, view=None, embed=None)
        self.stop()

    @discord.ui.button(label="Keep it", style=discord.ButtonStyle.secondary, custom_id="meeting-delete:keep")
    async def keep(self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmDelete]) -> None:
        await interaction.response.edit_message(content=f"Kept **{plain(self.meeting.name)}**. Nothing changed.",
                                                view=None, embed=None)
        self.stop()


def announcement(meeting: Meeting, start: datetime, ping_role_id: int | None) -> dict[str, Any]:
    """The channel post before a meeting, with the Remind me button."""
    ping = f"<@&{ping_role_id}> " if ping_role_id else ""
    join = ""
    if meeting.location.place is Place.LINK:
        join = "".join([f"\nJoin: <{meeting.location.url}>" if meeting.location.url else "",
                        f"\nDial: {plain(meeting.location.phone)}" if meeting.location.phone else ""])
    return {
        "content": f"{ping}🗓️ **{plain(meeting.name)}** starts {timestamp(start, 'R')} ({timestamp(start, 't')}) "
                   f"in {where(meeting)}.{join}\nEveryone is welcome to join.",
        "view": remind_me_view(meeting.id),
        "allowed_mentions": discord.AllowedMentions(roles=[discord.Object(ping_role_id)] if ping_role_id else False,
                                                    users=False, everyone=False),
    }


def reminder_dm(meeting: Meeting, start: datetime, guild_name: str) -> discord.Embed:
    embed = discord.Embed(
        title=f"Reminder: {plain(meeting.name)}",
        description=f"Starts {timestamp(start, 'R')}, at {timestamp(start, 'F')}.\nWhere: {where(meeting)}",
        colour=CALM_BLUE,
    )
    embed.set_footer(text=f"You asked for this in {guild_name}. To stop, use /meeting info there.")
    return embed


def cancelled_dm(meeting: Meeting, start: datetime, next_start: datetime | None, guild_name: str) -> str:
    after = (f" The next one is {timestamp(next_start, 'F')}." if next_start
             else " There are no more meetings in this series.")
    return f"**{plain(meeting.name)}** on {timestamp(start, 'D')} is cancelled ({plain(guild_name)}).{after}"


def member_count_words(count: int) -> str:
    return f"{count} member{'s' if count != 1 else ''}"

