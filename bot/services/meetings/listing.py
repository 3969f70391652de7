"""What meets when: a server's coming meetings for /meeting list and the Events tab.

A server's week is worked out once, in a thread, and kept with its meetings (`kept`) until they change or
the day turns.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.meetings import kept
from bot.services.meetings.data import DURATION_MAX, Meeting, MeetingKind
from bot.services.meetings.store import without_event

LIST_DAYS = 7
_LONGEST_MEETING = timedelta(minutes=DURATION_MAX)


@dataclass(frozen=True, slots=True)
class Upcoming:
    meeting: Meeting
    start: datetime
    end: datetime = field(init=False, compare=False)  # worked out once: every list call compares it

    def __post_init__(self) -> None:
        object.__setattr__(self, "end", self.start + self.meeting.duration)


async def upcoming(session: AsyncSession, guild_id: int, now: datetime, *, days: int = LIST_DAYS,
                   kind: MeetingKind | None = None, types: Iterable[str] = ()) -> list[Upcoming]:
    """Every occurrence from now (including those in progress) for `days` days, soonest first."""
    wanted = frozenset(types)
    if days > LIST_DAYS:
        server = await kept.of_server(session, guild_id)
        entries = await asyncio.to_thread(occurrences_between, server.meetings, now, now + timedelta(days=days))
        return list(_chosen(entries, now, now + timedelta(days=days), kind, wanted).entries)
    week = await _week(session, guild_id, now)
    # The same list serves every member who asks until a meeting in it ends or the next one comes into
    # the window: most lists are asked for between those moments.
    key = (days, kind, wanted)
    kept_list: _List | None = week.lists.get(key)
    if kept_list is None or not kept_list.since <= now < kept_list.until:
        kept_list = week.lists[key] = _chosen(week.entries, now, now + timedelta(days=days), kind, wanted)
    return list(kept_list.entries)


@dataclass(frozen=True, slots=True)
class _List:
    entries: tuple[Upcoming, ...]
    since: datetime
    until: datetime  # when the first of them ends, or the next one comes into the window


def _chosen(entries: Sequence[Upcoming], now: datetime, before: datetime, kind: MeetingKind | None,
            wanted: frozenset[str]) -> _List:
    chosen: list[Upcoming] = []
    until = datetime.max.replace(tzinfo=UTC)
    for entry in entries:
        if entry.end <= now or (kind is not None and entry.meeting.kind is not kind) or \
                (wanted and not wanted <= set(entry.meeting.types)):
            continue
        if entry.start >= before:
            until = min(until, entry.start - (before - now))
            break  # sorted by start: the rest come later still
        chosen.append(entry)
        until = min(until, entry.end)
    return _List(tuple(chosen), now, until)


async def _week(session: AsyncSession, guild_id: int, now: datetime) -> kept.Week:
    """The server's meetings over today's week (UTC) and a day either side: worked out once a day, and again
    only when its meetings change. With 2,000 meetings that is a tenth of a second of work, done in a
    thread, and members ask for the list far more often than moderators change it."""
    server = await kept.of_server(session, guild_id)
    day = now.astimezone(UTC).date()
    week = server.week
    if week is None or week.day != day:
        midnight = datetime.combine(day, datetime.min.time(), UTC)
        entries = await asyncio.to_thread(occurrences_between, server.meetings,
                                          midnight - _LONGEST_MEETING - timedelta(days=1),
                                          midnight + timedelta(days=LIST_DAYS + 2))
        week = server.week = kept.Week(day, tuple(entries))
    return week


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
    for entry in (await _week(session, guild_id, now)).entries:
        if entry.start > now and entry.meeting.event_id is None and entry.meeting.location.place is not None:
            soonest.setdefault(entry.meeting.id, entry.meeting)
    later = [m for m in await without_event(session, guild_id) if m.id not in soonest]
    far_future = now + timedelta(days=3660)
    later.sort(key=lambda m: m.next_occurrence(now) or far_future)
    return [*soonest.values(), *later]
