"""A server's meetings kept in memory for the reads members make most: /meeting list, info and autocomplete.

Read once per server and kept until a commit changes that server's meetings (bot.db.changes says why that
is safe); the week of meetings the list shows is worked out once per day on top of it. A member's own
reminder choices are kept the same way, per member.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.changes import ReadCache
from bot.db.models import MeetingReminderOptIn, MeetingRow
from bot.services.meetings.data import Meeting
from bot.services.meetings.rows import COLUMNS, plain_rows, to_meeting

# Turning rows into meetings costs about 15 µs each: past this many, it is done in a thread.
_IN_A_THREAD_FROM = 100


@dataclass(frozen=True, slots=True)
class Week:
    """Each occurrence of a server's meetings over a day's week (and a day either side), soonest first;
    and the lists made from it, each kept while it stays true (see listing.upcoming)."""

    day: date
    entries: tuple[Any, ...]  # listing.Upcoming
    lists: dict[Any, Any] = field(default_factory=dict, compare=False)


@dataclass(slots=True)
class ServerMeetings:
    meetings: tuple[Meeting, ...]  # by name, then id
    by_id: dict[int, Meeting]
    by_slug: dict[str, Meeting]
    by_name: dict[str, list[Meeting]]  # casefolded name -> the meetings with it
    names: tuple[tuple[str, Meeting], ...]  # (casefolded name, meeting), in the order of `meetings`
    week: Week | None = field(default=None)  # set by listing, for the day it covers


_servers: ReadCache[ServerMeetings] = ReadCache(MeetingRow.__tablename__)
_reminders: ReadCache[dict[int, int]] = ReadCache(MeetingReminderOptIn.__tablename__, per_server=False, kept=4096)


def applies(session: AsyncSession) -> bool:
    """Whether the kept meetings answer for this session (not while it holds its own uncommitted writes)."""
    return _servers.applies(session)


async def of_server(session: AsyncSession, guild_id: int) -> ServerMeetings:
    return await _servers.get(session, guild_id, lambda: _load(session, guild_id))


async def _load(session: AsyncSession, guild_id: int) -> ServerMeetings:
    rows = list(await plain_rows(session, select(*COLUMNS).where(MeetingRow.guild_id == guild_id)
                                  .order_by(MeetingRow.name, MeetingRow.id)))
    if len(rows) < _IN_A_THREAD_FROM:
        return _build(rows)
    return await asyncio.to_thread(_build, rows)


def _build(rows: list[Row[Any]]) -> ServerMeetings:
    meetings = tuple(to_meeting(row) for row in rows)
    names = tuple((meeting.name.casefold(), meeting) for meeting in meetings)
    by_name: dict[str, list[Meeting]] = {}
    for folded, meeting in names:
        by_name.setdefault(folded, []).append(meeting)
    return ServerMeetings(meetings, {m.id: m for m in meetings}, {m.slug: m for m in meetings}, by_name, names)


async def reminders_of(session: AsyncSession, user_id: int) -> dict[int, int]:
    """meeting id -> minutes before, for every meeting the member asked to be reminded of."""
    return await _reminders.get(session, user_id, lambda: _load_reminders(session, user_id))


async def _load_reminders(session: AsyncSession, user_id: int) -> dict[int, int]:
    rows = await plain_rows(session, select(MeetingReminderOptIn.meeting_id, MeetingReminderOptIn.offset_minutes)
                            .where(MeetingReminderOptIn.user_id == user_id))
    return {row.meeting_id: row.offset_minutes for row in rows}
