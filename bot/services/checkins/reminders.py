"""A member's daily "how are you today?" DM, at a time on their own clock.

Each reminder is a chain of jobs, one a day, keyed by the reminder's number and the day (never the member's
id); the next day's is booked before today's runs. 20:00 in London stays 20:00 across daylight-saving
changes: each day's instant is worked out from the wall time and the zone. When the DM can't be delivered
(their DMs closed), the reminder pauses, and the member hears why the next time they use the bot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import CheckinReminder
from bot.scheduler import DueJob, NewJob, Scheduler
from bot.services import recurrence, timezones

REMIND_JOB = "checkin.remind"
LATE = timedelta(hours=1)  # a reminder later than this (the bot was down) is dropped; tomorrow's comes as usual


@dataclass(frozen=True, slots=True)
class Reminder:
    id: int
    user_id: int
    local_time: time
    zone: str
    paused: bool

    def next_at(self, after: datetime) -> datetime:
        """The first reminder instant after `after`, on the member's wall clock."""
        tz = ZoneInfo(self.zone)
        day = after.astimezone(tz).date()
        for offset in range(3):
            candidate = timezones.wall_instant(day + timedelta(days=offset), self.local_time, tz)
            if candidate > after:
                return candidate
        raise AssertionError("a daily time always comes within two days")


def _reminder(row: CheckinReminder) -> Reminder:
    return Reminder(row.id, row.user_id, row.local_time, row.zone, row.paused)


def job_for(reminder: Reminder, after: datetime) -> NewJob:
    due = reminder.next_at(after)
    local_day = due.astimezone(ZoneInfo(reminder.zone)).date()
    return NewJob(REMIND_JOB, f"checkin:reminder:{reminder.id}:{local_day.isoformat()}", due,
                  {"reminder_id": reminder.id})


async def set_daily(session: AsyncSession, scheduler: Scheduler, user_id: int, at: str, zone: str,
                    now: datetime) -> Reminder:
    """Remind the member every day at `at` (e.g. 20:00 or 8pm) in `zone`; un-pauses a paused one."""
    local_time = recurrence.parse_time(at)
    checked_zone = timezones.validate(zone)
    row = await session.scalar(select(CheckinReminder).where(CheckinReminder.user_id == user_id))
    if row is None:
        row = CheckinReminder(user_id=user_id, local_time=local_time, zone=checked_zone, paused=False,
                              tell_paused=False)
        session.add(row)
    else:
        row.local_time, row.zone, row.paused, row.tell_paused = local_time, checked_zone, False, False
    await session.flush()
    await scheduler.cancel_prefix(f"checkin:reminder:{row.id}:", session=session)
    reminder = _reminder(row)
    await scheduler.schedule_many([job_for(reminder, now)], session=session)
    return reminder


async def turn_off(session: AsyncSession, scheduler: Scheduler, user_id: int) -> bool:
    row = await session.scalar(select(CheckinReminder).where(CheckinReminder.user_id == user_id))
    if row is None:
        return False
    await scheduler.cancel_prefix(f"checkin:reminder:{row.id}:", session=session)
    await session.delete(row)
    return True


async def of(session: AsyncSession, user_id: int) -> Reminder | None:
    row = await session.scalar(select(CheckinReminder).where(CheckinReminder.user_id == user_id))
    return _reminder(row) if row else None


async def due(session: AsyncSession, reminder_id: int) -> Reminder | None:
    """The reminder a job is for, unless it was turned off or paused meanwhile."""
    row = await session.get(CheckinReminder, reminder_id)
    return _reminder(row) if row and not row.paused else None


async def following(session: AsyncSession, job: DueJob) -> NewJob | None:
    """Tomorrow's reminder, booked before today's runs."""
    reminder = await due(session, int(job.payload["reminder_id"]))
    return job_for(reminder, job.due_at) if reminder else None


async def pause(session: AsyncSession, reminder: Reminder) -> None:
    """Their DMs are closed to the bot: no more reminders until they set one again; tell them next time."""
    await session.execute(update(CheckinReminder).where(CheckinReminder.id == reminder.id)
                          .values(paused=True, tell_paused=True))


async def paused_and_untold(session: AsyncSession) -> set[int]:
    """Members whose reminder paused and who have yet to hear why."""
    return set(await session.scalars(select(CheckinReminder.user_id).where(CheckinReminder.tell_paused.is_(True))))


async def told(session: AsyncSession, user_id: int) -> bool:
    """Mark them told; False when there was nothing left to tell (their data went, or the reminder was reset)."""
    result = await session.execute(update(CheckinReminder).where(CheckinReminder.user_id == user_id,
                                                                 CheckinReminder.tell_paused.is_(True))
                                   .values(tell_paused=False))
    return bool(getattr(result, "rowcount", 0))


async def forget(session: AsyncSession, user_id: int) -> int:
    """Their reminder goes; its pending job finds nothing to remind of and ends its chain."""
    result = await session.execute(delete(CheckinReminder).where(CheckinReminder.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)
