"""The jobs that follow each meeting: channel announcements, members' DMs and the Discord event.

Each occurrence has a timeline of steps: the channel announcements and the members' DMs at their
offsets before the start, the event going live at the start, the event ending at the end. A
meeting's steps, across its occurrences and in the order they fall due, are a chain in the
durable queue: the meeting has one pending job, its next step, and each step books the one after
it before it runs (`Scheduler.register(then=...)`), so a step that is late, dropped or failing
never loses the rest. Planning ten thousand meetings therefore writes one row per meeting, not one
per step of every occurrence.

Keys name the meeting, the step and the occurrence: "meeting:<id>:<step>:<start, UTC>[:<offset>]".
Planning again (at start-up, daily, after an edit) never duplicates anything: a pending job is
moved, one that already ran is left alone, and a chain that meets a step already booked joins it.
A change to a meeting cancels its pending jobs and plans afresh from the new schedule; a step
already running for an occurrence that no longer exists finds so, and ends its chain there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import now as current_time
from bot.scheduler import DueJob, Handler, NewJob, Scheduler
from bot.services import meetings
from bot.services.meetings.data import Meeting, MeetingTimes

ANNOUNCE = "meeting.announce"  # a post in the meeting's channel, N minutes before
REMIND = "meeting.remind"  # DMs to the members who asked, N minutes before
EVENT_START = "meeting.event-start"  # the Discord event goes live
EVENT_END = "meeting.event-end"  # the Discord event ends and the next occurrence's is made
PLAN = "meetings.plan"  # the daily run that plans the days ahead
STEPS = (ANNOUNCE, REMIND, EVENT_START, EVENT_END)

# Planned a day further than the daily run reaches, so a late or missed run loses nothing.
HORIZON = timedelta(days=8)
PLAN_AT = time(0, 5)
# A reminder for a meeting that has started is useless; the handler also checks the start.
REMINDER_LATENESS = timedelta(minutes=5)
# How late each step may still run: an event that never went live is left for Discord to show as
# scheduled, but a shown event always has to be ended.
LATENESS: dict[str, timedelta | None] = {
    ANNOUNCE: REMINDER_LATENESS, REMIND: REMINDER_LATENESS, EVENT_START: timedelta(minutes=30), EVENT_END: None,
}
# DMs go out once: a retry would DM again the members already reached.
ATTEMPTS = {ANNOUNCE: 5, REMIND: 1, EVENT_START: 5, EVENT_END: 5}
# Steps at the same instant (a channel announcement and members' DMs at the same offset) run in this order.
_RANK = {kind: rank for rank, kind in enumerate(STEPS)}


@dataclass(frozen=True, slots=True)
class OccurrenceJob:
    """What a meeting job's payload says, read back."""

    meeting_id: int
    start: datetime
    offset_minutes: int | None

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> OccurrenceJob:
        return cls(int(payload["meeting_id"]), datetime.fromisoformat(payload["start"]), payload.get("offset"))


@dataclass(frozen=True, slots=True)
class Step:
    """One step of an occurrence's timeline, placed relative to its start."""

    kind: str
    delta: timedelta  # from the start: negative for reminders, the duration for the end
    offset: int | None = None

    @property
    def order(self) -> tuple[timedelta, int]:
        return self.delta, _RANK[self.kind]


def prefix(meeting_id: int) -> str:
    """The key prefix of all of one meeting's jobs."""
    return f"meeting:{meeting_id}:"


def timeline(duration: timedelta, channel_offsets: Iterable[int], member_offsets: Iterable[int]) -> tuple[Step, ...]:
    """An occurrence's steps, in the order they happen."""
    return _timeline(duration, frozenset(channel_offsets), frozenset(member_offsets))


@lru_cache(maxsize=1024)
def _timeline(duration: timedelta, channel_offsets: frozenset[int], member_offsets: frozenset[int]) -> tuple[Step, ...]:
    # Cached: ten thousand meetings have a few dozen different timelines.
    steps = [Step(ANNOUNCE, -timedelta(minutes=o), o) for o in channel_offsets]
    steps += [Step(REMIND, -timedelta(minutes=o), o) for o in member_offsets]
    steps += [Step(EVENT_START, timedelta()), Step(EVENT_END, duration)]
    return tuple(sorted(steps, key=lambda step: step.order))


def step_job(meeting: MeetingTimes, start: datetime, step: Step) -> NewJob:
    begins = start.astimezone(UTC).isoformat()
    # "2026-11-24T00:00:00+00:00" -> "2026-11-24T00:00Z"
    key = f"{prefix(meeting.id)}{step.kind.removeprefix('meeting.')}:{begins[:16]}Z"
    payload: dict[str, Any] = {"meeting_id": meeting.id, "start": begins}
    if step.offset is not None:
        key += f":{step.offset}"
        payload["offset"] = step.offset
    return NewJob(step.kind, key, start + step.delta, payload, meeting.guild_id)


def jobs_for(meeting: MeetingTimes, now: datetime, channel_offsets: Iterable[int], member_offsets: Iterable[int],
             horizon: timedelta = HORIZON) -> list[NewJob]:
    """The meeting's next step, if one of its occurrences within `horizon` has a step still to come."""
    steps = timeline(meeting.duration, channel_offsets, member_offsets)
    step = _next_step(meeting, steps, (now, len(STEPS), _LAST), now, now + horizon)
    return [] if step is None else [step]


# Where a step stands in its meeting's chain: when it is due, then (for steps at the same instant)
# its kind, then which occurrence it belongs to (a daily meeting's reminder a day ahead can fall
# at the start of the day's own meeting).
_Place = tuple[datetime, int, datetime]
_LAST = datetime.max.replace(tzinfo=UTC)


def _lead(steps: tuple[Step, ...]) -> timedelta:
    """How long before its start an occurrence's first step is."""
    return max(-steps[0].delta, timedelta())


def _next_step(meeting: MeetingTimes, steps: tuple[Step, ...], after: _Place, now: datetime,
               starting_before: datetime) -> NewJob | None:
    """The first step after `after` among the occurrences starting before `starting_before`,
    passing over hopeless ones."""
    lead = _lead(steps)
    best: tuple[_Place, datetime, Step] | None = None
    # From a meeting's length before `after`: an occurrence in progress still has its end to come.
    for start in meeting.occurrences(after[0] - meeting.duration, starting_before):
        if best is not None and start - lead > best[0][0]:
            break  # this occurrence and the later ones start their steps after the best found
        for step in steps:
            due = start + step.delta
            place = (due, _RANK[step.kind], start)
            if place > after and not _hopeless(step, due, now):
                if best is None or place < best[0]:
                    best = (place, start, step)
                break  # an occurrence's steps are in order: the first that fits is its earliest
    return None if best is None else step_job(meeting, best[1], best[2])


def _hopeless(step: Step, due: datetime, now: datetime) -> bool:
    lateness = LATENESS[step.kind]
    return lateness is not None and now - due > lateness


async def following(session: AsyncSession, job: DueJob, now: datetime) -> NewJob | None:
    """The meeting's step after `job`, as things stand now; None when none is within the horizon.

    Steps that are already too late to be of use are passed over, so after downtime the chain goes
    straight to what still matters (ending a live event) instead of queueing stale reminders.
    """
    occurrence = OccurrenceJob.from_payload(job.payload)
    meeting = await meetings.find(session, occurrence.meeting_id)
    if meeting is None or not still_happening(meeting, occurrence.start):
        return None  # deleted, skipped or moved: the change re-planned the meeting's chain
    channel = await meetings.reminder_offsets(session, meeting.guild_id)
    member = (await meetings.member_offsets(session, [meeting.id])).get(meeting.id, ())
    steps = timeline(meeting.duration, channel, member)
    after = (job.due_at, _RANK[job.kind], occurrence.start)
    return _next_step(meeting.times, steps, after, now, job.due_at + _lead(steps) + HORIZON)


def register(scheduler: Scheduler, sessions: async_sessionmaker[AsyncSession], handlers: Mapping[str, Handler],
             clock: Callable[[], datetime] = current_time) -> None:
    """Give the queue the handler of each step, each chained to the step after it."""
    async def then(job: DueJob) -> NewJob | None:
        async with sessions() as session:
            return await following(session, job, clock())

    for kind in STEPS:
        scheduler.register(kind, handlers[kind], max_lateness=LATENESS[kind], max_attempts=ATTEMPTS[kind], then=then)


async def plan(session: AsyncSession, scheduler: Scheduler, planned: Iterable[Meeting | MeetingTimes],
               now: datetime, horizon: timedelta = HORIZON) -> int:
    """Book the next step of each of `planned` meetings (whose chain goes on from there); returns how many."""
    chosen = [m.times if isinstance(m, Meeting) else m for m in planned]
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
    """`replan` for several meetings at once (an import, new reminder times), planned in one batch."""
    chosen = list(changed)
    for meeting in chosen:
        await scheduler.cancel_prefix(prefix(meeting.id), session=session)
    return await plan(session, scheduler, chosen, now)


async def unplan(session: AsyncSession, scheduler: Scheduler, meeting_id: int) -> int:
    """A deleted meeting: drop every pending job it had."""
    return await scheduler.cancel_prefix(prefix(meeting_id), session=session)


async def plan_everything(session: AsyncSession, scheduler: Scheduler, now: datetime) -> int:
    """Plan every server's meetings and book the next daily run."""
    count = await plan(session, scheduler, await meetings.every_schedule(session), now)
    tomorrow = datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), PLAN_AT, UTC)
    await book_daily_plan(scheduler, tomorrow, session=session)
    return count


async def book_daily_plan(scheduler: Scheduler, due: datetime, *, session: AsyncSession | None = None) -> None:
    """The planning run of `due`'s day (UTC). Its key is the day, so booking it again is harmless:
    at start-up this plans at once only when today's run never happened (a first start)."""
    await scheduler.schedule(PLAN, f"meetings-plan:{due.astimezone(UTC):%Y-%m-%d}", due, session=session)


def still_happening(meeting: Meeting | MeetingTimes, start: datetime) -> bool:
    """Whether `start` is still one of the meeting's occurrences (not skipped, not moved)."""
    return bool(meeting.occurrences(start, start + timedelta(seconds=1)))
