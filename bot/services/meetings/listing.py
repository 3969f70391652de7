"""What meets when: a server's coming meetings for /meeting list and the Events tab.

A server's week is worked out once, in a thread, and kept per database until the server's meetings change
or the day turns.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import MeetingRow
from bot.services.meetings.data import (
    DURATION_MAX,
    Meeting,
    MeetingKind,
)
from bot.services.meetings.rows import COLUMNS, plain_rows, to_meeting
from bot.services.meetings.store import without_event

LIST_DAYS = 7


@dataclass(frozen=True, slots=True)
class Upcoming:
    meeting: Meeting
    start: datetime

    @property
    def end(self) -> datetime:
        return self.start + self.meeting.duration


async def upcoming(session: AsyncSession, guild_id: int, now: datetime, *, days: int = LIST_DAYS,
                   kind: MeetingKind | None = None, types: Iterable[str] = ()) -> list[Upcoming]:
    """Every occurrence from now (including those in progress) for `days` days, soonest first."""
    entries: Sequence[Upcoming]
    if days <= LIST_DAYS:
        entries = await _week(session, guild_id, now)
    else:
        rows = list(await plain_rows(session, select(*COLUMNS).where(MeetingRow.guild_id == guild_id)))
        entries = await asyncio.to_thread(_occurrences_of, rows, now - _LONGEST_MEETING, now + timedelta(days=days))
    before, wanted = now + timedelta(days=days), set(types)
    return [entry for entry in entries if entry.end > now and entry.start < before
            and (kind is None or entry.meeting.kind is kind) and wanted <= set(entry.meeting.types)]


@dataclass(frozen=True, slots=True)
class _Week:
    fingerprint: tuple[Any, ...]
    day: date  # the UTC day whose week (and a day either side) `entries` covers
    entries: tuple[Upcoming, ...]


# A server's week of meetings, worked out once and kept (per database) until the server's meetings
# change or the day turns: with 2,000 meetings that is a tenth of a second of work, and members ask
# for the list far more often than moderators change it.
_weeks: weakref.WeakKeyDictionary[Any, OrderedDict[int, _Week]] = weakref.WeakKeyDictionary()
_WEEKS_KEPT = 512  # servers per database
_LONGEST_MEETING = timedelta(minutes=DURATION_MAX)


async def _week(session: AsyncSession, guild_id: int, now: datetime) -> tuple[Upcoming, ...]:
    kept = _weeks.setdefault(session.get_bind().engine, OrderedDict())  # one cache per database
    fingerprint = tuple((await plain_rows(session, select(
        func.count(MeetingRow.id), func.max(MeetingRow.updated_at), func.coalesce(func.sum(MeetingRow.id), 0))
        .where(MeetingRow.guild_id == guild_id))).one())
    day = now.astimezone(UTC).date()
    week = kept.get(guild_id)
    if week is None or week.fingerprint != fingerprint or week.day != day:
        rows = list(await plain_rows(session, select(*COLUMNS).where(MeetingRow.guild_id == guild_id)))
        midnight = datetime.combine(day, datetime.min.time(), UTC)
        # Computed in a thread: the bot keeps answering everyone while a big server's week is worked out.
        entries = await asyncio.to_thread(_occurrences_of, rows, midnight - _LONGEST_MEETING - timedelta(days=1),
                                          midnight + timedelta(days=LIST_DAYS + 2))
        week = _Week(fingerprint, day, tuple(entries))
        kept[guild_id] = week
    kept.move_to_end(guild_id)
    while len(kept) > _WEEKS_KEPT:
        kept.popitem(last=False)
    return week.entries


def _occurrences_of(rows: list[Row[Any]], after: datetime, before: datetime) -> list[Upcoming]:
    return occurrences_between((to_meeting(row) for row in rows), after, before)


def occurrences_between(meetings: Iterable[Meeting], now: datetime, before: datetime) -> list[Upcoming]:
    found = [
        Upcoming(meeting, start)
        for meeting in meetings
        for start in meeting.occurrences(now - meeting.duration + timedelta(microseconds=1), before)
    ]
    return sorted(found, key=lambda u: (u.start, u.meeting.name))


async def waiting_for_events(session: AsyncSession, guild_id: int, now: datetime) -> list[Meeting]:
    """The server's meetings without a Discord event, soonest next meeting first: the order in which
    free places on the Events tab (Discord allows 100) are given out."""
    soonest: dict[int, Meeting] = {}
    for entry in await _week(session, guild_id, now):
        if entry.start > now and entry.meeting.event_id is None and entry.meeting.location.place is not None:
            soonest.setdefault(entry.meeting.id, entry.meeting)
    later = [m for m in await without_event(session, guild_id) if m.id not in soonest]
    far_future = now + timedelta(days=3660)
    later.sort(key=lambda m: m.next_occurrence(now) or far_future)
    return [*soonest.values(), *later]
