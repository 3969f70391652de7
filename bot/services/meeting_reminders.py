"""The jobs that follow each meeting: channel announcements, members' DMs and the Discord event.

Every occurrence in the next few days gets its jobs in the durable queue, under keys that name
the meeting, the occurrence and the offset. Planning again (at start-up, daily, after an edit)
therefore never duplicates anything: a pending job is moved, one that already ran is left alone.
A change to a meeting cancels its pending jobs and plans them afresh from the new schedule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduler import NewJob, Scheduler
from bot.services import meetings
from bot.services.meeting_data import Meeting

ANNOUNCE = "meeting.announce"  # a post in the meeting's channel, N minutes before
REMIND = "meeting.remind"  # DMs to the members who asked, N minutes before
EVENT_START = "meeting.event-start"  # the Discord event goes live
EVENT_END = "meeting.event-end"  # the Discord event ends and the next occurrence's is made
PLAN = "meetings.plan"  # the daily run that plans the days ahead

# Planned a day further than the daily run reaches, so a late or missed run loses nothing.
HORIZON = timedelta(days=8)
PLAN_AT = time(0, 5)
# A reminder for a meeting that has started is useless; the handler also checks the start.
REMINDER_LATENESS = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class OccurrenceJob:
    """What a meeting job's payload says, read back."""

    meeting_id: int
    start: datetime
    offset_minutes: int | None

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> OccurrenceJob:
        return cls(int(payload["meeting_id"]), datetime.fromisoformat(payload["start"]), payload.get("offset"))


def prefix(meeting_id: int) -> str:
    """The key prefix of all of one meeting's jobs."""
    return f"meeting:{meeting_id}:"


def jobs_for(meeting: Meeting, now: datetime, channel_offsets: Iterable[int], member_offsets: Iterable[int],
             horizon: timedelta = HORIZON) -> list[NewJob]:
    """Every job the meeting's occurrences within `horizon` need; none already due."""
    # Keys are "meeting:<id>:<what>:<start, UTC to the minute>[:<offset>]". Planning makes tens of
    # thousands of jobs, so what all of one occurrence's jobs share is worked out once.
    channel = [(offset, timedelta(minutes=offset)) for offset in channel_offsets]
    member = [(offset, timedelta(minutes=offset)) for offset in member_offsets]
    meeting_id, guild_id, duration = meeting.id, meeting.guild_id, meeting.duration
    head = prefix(meeting_id)
    jobs: list[NewJob] = []
    # From a meeting's length ago: an occurrence in progress still needs its event ended.
    for start in meeting.occurrences(now - duration, now + horizon):
        end = start + duration
        stamp = start.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
        begins = start.isoformat()
        if start > now:
            jobs.append(NewJob(EVENT_START, f"{head}event-start:{stamp}", start,
                               {"meeting_id": meeting_id, "start": begins}, guild_id))
        if end > now:
            jobs.append(NewJob(EVENT_END, f"{head}event-end:{stamp}", end,
                               {"meeting_id": meeting_id, "start": begins}, guild_id))
        for offset, before in channel:
            due = start - before
            if due > now:
                jobs.append(NewJob(ANNOUNCE, f"{head}announce:{stamp}:{offset}", due,
                                   {"meeting_id": meeting_id, "start": begins, "offset": offset}, guild_id))
        for offset, before in member:
            due = start - before
            if due > now:
                jobs.append(NewJob(REMIND, f"{head}remind:{stamp}:{offset}", due,
                                   {"meeting_id": meeting_id, "start": begins, "offset": offset}, guild_id))
    return jobs


async def plan(session: AsyncSession, scheduler: Scheduler, planned: Iterable[Meeting], now: datetime,
               horizon: timedelta = HORIZON) -> int:
    """Schedule the jobs of `planned` meetings' coming occurrences; returns how many jobs."""
    chosen = list(planned)
    offsets = await meetings.reminder_offsets_by_guild(session)
    members = await meetings.member_offsets(session, [m.id for m in chosen] if len(chosen) < 500 else None)
    jobs = [
        job
        for meeting in chosen
        for job in jobs_for(meeting, now, offsets.get(meeting.guild_id, meetings.DEFAULT_REMINDER_OFFSETS),
                            members.get(meeting.id, ()), horizon)
    ]
    await scheduler.schedule_many(jobs, session=session)
    return len(jobs)


async def replan(session: AsyncSession, scheduler: Scheduler, meeting: Meeting, now: datetime) -> int:
    """After a change: drop the meeting's pending jobs and plan them again from what is true now."""
    return await replan_many(session, scheduler, [meeting], now)


async def replan_many(session: AsyncSession, scheduler: Scheduler, changed: Iterable[Meeting], now: datetime) -> int:
    """`replan` for several meetings at once (an import), planned in one batch."""
    chosen = list(changed)
    for meeting in chosen:
        await scheduler.cancel_prefix(prefix(meeting.id), session=session)
    return await plan(session, scheduler, chosen, now)


async def replan_announcements(session: AsyncSession, scheduler: Scheduler, guild_id: int, now: datetime) -> int:
    """After the server changed its reminder offsets: re-plan its meetings' channel reminders."""
    server_meetings = await meetings.all_in(session, guild_id)
    for meeting in server_meetings:
        await scheduler.cancel_prefix(f"{prefix(meeting.id)}announce:", session=session)
    return await plan(session, scheduler, server_meetings, now)


async def unplan(session: AsyncSession, scheduler: Scheduler, meeting_id: int) -> int:
    """A deleted meeting: drop every pending job it had."""
    return await scheduler.cancel_prefix(prefix(meeting_id), session=session)


async def plan_everything(session: AsyncSession, scheduler: Scheduler, now: datetime) -> int:
    """Plan every server's meetings and book the next daily run."""
    count = await plan(session, scheduler, await meetings.every_meeting(session), now)
    tomorrow = datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), PLAN_AT, UTC)
    await book_daily_plan(scheduler, tomorrow, session=session)
    return count


async def book_daily_plan(scheduler: Scheduler, due: datetime, *, session: AsyncSession | None = None) -> None:
    """The planning run of `due`'s day (UTC). Its key is the day, so booking it again is harmless:
    at start-up this plans at once only when today's run never happened (a first start)."""
    await scheduler.schedule(PLAN, f"meetings-plan:{due.astimezone(UTC):%Y-%m-%d}", due, session=session)


def still_happening(meeting: Meeting, start: datetime) -> bool:
    """Whether `start` is still one of the meeting's occurrences (not skipped, not moved)."""
    return bool(meeting.occurrences(start, start + timedelta(seconds=1)))
