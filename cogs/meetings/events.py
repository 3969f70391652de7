"""Keeping each meeting's next occurrence on the server's Events tab (Discord scheduled events).

A meeting never depends on its event: when Discord refuses (a missing permission, the server's
limit of 100 upcoming events), the meeting goes on and the reason is stored and shown to
moderators in words they can act on.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime
from urllib.parse import urlsplit

import discord

from bot.services.meetings.data import Meeting, Place, describe_types

log = logging.getLogger(__name__)

UNKNOWN_EVENT = 10070
MAX_EVENTS = 30038

MISSING_PERMISSION = (
    "I can't add it to the Events tab: I need the **Manage Events** permission (or **Create Events**). "
    "A server manager can grant it in Server Settings → Roles; the meeting works without it."
)
TOO_MANY_EVENTS = (
    "I can't add it to the Events tab: the server already has 100 upcoming events, Discord's limit. "
    "It will be added when a slot frees up; the meeting works without it."
)
NO_PLACE = "It isn't on the Events tab yet: give it a channel or a link with /meeting edit."
REFUSED = ("Discord didn't accept it on the Events tab just now ({detail}). The meeting works without it, "
           "and I'll try again tomorrow.")
# Discord's limit for an external event's location; a longer link goes in the description instead.
LOCATION_MAX = 100


class EventKeeper:
    """Creates, moves, starts, ends and deletes meetings' events for one bot."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def show_next(self, meeting: Meeting, now: datetime) -> tuple[int | None, datetime | None, str | None]:
        """(event id, the occurrence it shows, problem): the event for the next occurrence.

        An event for an occurrence in progress is left alone: it is ended when the meeting ends.
        """
        guild = self.client.get_guild(meeting.guild_id)
        if guild is None:
            return meeting.event_id, meeting.event_start, None
        current = meeting.current_or_next(now)
        if current is not None and current <= now and meeting.event_id and meeting.event_start == current:
            return meeting.event_id, meeting.event_start, None
        target = meeting.next_occurrence(now)
        existing = await self.fetch(guild, meeting.event_id)
        if target is None or meeting.location.place is None:
            if existing is not None:
                await self.remove(existing)
            return None, None, None if target is None else NO_PLACE
        try:
            event = await self._put(guild, meeting, existing, target)
        except discord.HTTPException as exc:
            # The meeting stands whatever Discord says of its event; the reason is kept and it is tried again.
            if isinstance(exc, discord.Forbidden):
                problem = MISSING_PERMISSION
            elif exc.code == MAX_EVENTS:
                problem = TOO_MANY_EVENTS
            else:
                log.warning("Discord refused the event of meeting %d: %s %s", meeting.id, exc.status, exc.code)
                problem = REFUSED.format(detail=f"HTTP {exc.status}")
            return await self._without_stale_event(guild, meeting, problem)
        return event.id, target, None

    async def _without_stale_event(self, guild: discord.Guild, meeting: Meeting,
                                   problem: str) -> tuple[int | None, datetime | None, str]:
        """After Discord refused to move a meeting's event: the old one would show the wrong time or place,
        so it goes; if even that is refused, it stays the meeting's, so it is never left behind untracked."""
        stale = await self.fetch(guild, meeting.event_id)
        if stale is None:
            return None, None, problem
        try:
            await self.remove(stale)
        except discord.HTTPException:
            return stale.id, meeting.event_start, problem
        return None, None, problem

    async def _put(self, guild: discord.Guild, meeting: Meeting, existing: discord.ScheduledEvent | None,
                   start: datetime) -> discord.ScheduledEvent:
        end = start + meeting.duration
        description = _description(meeting)
        channel = self._channel(guild, meeting)
        entity_type = (discord.EntityType.external if channel is None else
                       discord.EntityType.stage_instance if isinstance(channel, discord.StageChannel)
                       else discord.EntityType.voice)
        reusable = existing is not None and existing.entity_type == entity_type and \
            existing.status is discord.EventStatus.scheduled
        if existing is not None and not reusable:
            await self.remove(existing)
            existing = None
        location = _location(meeting)
        if channel is None:
            if existing is not None:
                with contextlib.suppress(discord.NotFound):  # deleted by hand meanwhile: make a new one
                    return await existing.edit(name=meeting.name, description=description, start_time=start,
                                               end_time=end, location=location,
                                               entity_type=discord.EntityType.external)
            return await guild.create_scheduled_event(
                name=meeting.name, description=description, start_time=start, end_time=end,
                entity_type=discord.EntityType.external, location=location,
                privacy_level=discord.PrivacyLevel.guild_only)
        if existing is not None:
            with contextlib.suppress(discord.NotFound):
                return await existing.edit(name=meeting.name, description=description, start_time=start,
                                           end_time=end, channel=channel)
        return await guild.create_scheduled_event(
            name=meeting.name, description=description, start_time=start, end_time=end,
            channel=channel, privacy_level=discord.PrivacyLevel.guild_only)

    @staticmethod
    def _channel(guild: discord.Guild, meeting: Meeting) -> discord.VoiceChannel | discord.StageChannel | None:
        """The voice or stage channel the event happens in; None for text channels and links."""
        if meeting.location.place not in (Place.VOICE, Place.STAGE) or meeting.location.channel_id is None:
            return None
        channel = guild.get_channel(meeting.location.channel_id)
        return channel if isinstance(channel, discord.VoiceChannel | discord.StageChannel) else None

    async def fetch(self, guild: discord.Guild, event_id: int | None) -> discord.ScheduledEvent | None:
        if event_id is None:
            return None
        cached = guild.get_scheduled_event(event_id)
        if cached is not None:
            return cached
        try:
            return await guild.fetch_scheduled_event(event_id)
        except discord.NotFound:
            return None

    async def remove(self, event: discord.ScheduledEvent) -> None:
        with contextlib.suppress(discord.NotFound):  # someone deleted it already
            await event.delete()

    async def _showing(self, meeting: Meeting, start: datetime) -> discord.ScheduledEvent | None:
        """The meeting's event, if it shows the occurrence at `start`."""
        guild = self.client.get_guild(meeting.guild_id)
        if guild is None or meeting.event_start != start:
            return None
        return await self.fetch(guild, meeting.event_id)

    async def go_live(self, meeting: Meeting, start: datetime) -> None:
        """At the start: mark the event active, which tells everyone who pressed Interested."""
        event = await self._showing(meeting, start)
        if event is not None and event.status is discord.EventStatus.scheduled:
            try:
                await event.start()
            except discord.HTTPException as exc:
                log.info("could not start the event of meeting %d: %s", meeting.id, exc)

    async def finish(self, meeting: Meeting, start: datetime) -> None:
        """At the end: close this occurrence's event, so the next one can be shown."""
        event = await self._showing(meeting, start)
        if event is None:
            return
        with contextlib.suppress(discord.NotFound):
            if event.status is discord.EventStatus.active:
                await event.end()
            elif event.status is discord.EventStatus.scheduled:
                await event.delete()


def _description(meeting: Meeting) -> str:
    # The link first: Discord cuts descriptions at 1,000 characters, and it matters most.
    where = meeting.location
    online = where.place is Place.LINK
    parts = [f"Join: {meeting.link()}" if online and meeting.link() else "",
             f"Dial: {where.phone}" if online and where.phone else "",
             f"In person: {where.in_person}" if where.in_person else ""]
    if meeting.types:
        parts.append(f"Format: {describe_types(meeting.types)}")
    parts.append(meeting.description or "")
    return "\n\n".join(p for p in parts if p)[:1000]


def _location(meeting: Meeting) -> str:
    """Where an external event happens, within Discord's 100 characters: the link, or its site
    when the link is longer (the whole link is in the description)."""
    link = meeting.link() or ""
    if not link and meeting.location.phone:
        return f"By phone: {meeting.location.phone}"[:LOCATION_MAX]
    if len(link) <= LOCATION_MAX:
        return link
    host = urlsplit(link).hostname or "online"
    return f"Online at {host} (link in the description)"[:LOCATION_MAX]
