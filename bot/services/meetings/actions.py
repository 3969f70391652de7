"""One call for each thing people do to meetings: checked, stored and planned together.

A command asks one of these and renders what comes back; what a change means for the durable queue
(reminders to move, a chain to drop) is decided here, in the same transaction as the change, so it
exists exactly when the change commits.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduler import Scheduler
from bot.services import timezones
from bot.services.errors import InvalidInput
from bot.services.meetings import reminder_choices, reminders, schedules, store
from bot.services.meetings.data import DEFAULT_DURATION, Location, Meeting, MeetingDraft, MeetingKind
from bot.services.meetings.schedules import ScheduleText
from bot.services.recurrence import Recurrence

WHOLE_SERIES = "series"


@dataclass(frozen=True, slots=True)
class MeetingFields:
    """A meeting's details other than when it meets, as a command gives them."""

    name: str
    kind: MeetingKind = MeetingKind.OTHER
    duration_minutes: int = DEFAULT_DURATION
    location: Location = field(default_factory=Location)
    types: tuple[str, ...] = ()
    description: str | None = None
    fellowship: str | None = None
    facilitator_role_id: int | None = None
    ping_role_id: int | None = None


async def checked_schedule(schedule: ScheduleText, *, default_zone: str, now: datetime,
                           current: Recurrence | None = None) -> Recurrence:
    """A typed schedule validated, in a thread: checking a rule can walk decades of it (milliseconds)."""
    today = local_today(now, schedule.zone or default_zone)
    return await asyncio.to_thread(schedules.build_recurrence, schedule, default_zone=default_zone, today=today,
                                   current=current)


def local_today(now: datetime, zone: str) -> date:
    """Today's date where the meeting is; a mistyped zone is reported by the validation that follows."""
    try:
        return now.astimezone(ZoneInfo(timezones.validate(zone))).date()
    except InvalidInput:
        return now.date()


async def add(session: AsyncSession, scheduler: Scheduler, guild_id: int, actor_id: int, schedule: ScheduleText,
              fields: MeetingFields, now: datetime, *, fallback_zone: str | None) -> Meeting:
    """/meeting create: the schedule checked, the meeting stored and its reminders planned."""
    zone = await store.server_zone(session, guild_id, fallback_zone)
    checked = await checked_schedule(schedule, default_zone=zone, now=now)
    details = {f.name: getattr(fields, f.name) for f in dataclasses.fields(fields)}  # shallow: keeps the Location
    created = await store.create(session, guild_id, actor_id, MeetingDraft(recurrence=checked, **details))
    await reminders.plan(session, scheduler, [created], now)
    return created


async def change(session: AsyncSession, scheduler: Scheduler, guild_id: int, actor_id: int, current: Meeting,
                 schedule: ScheduleText, changes: Mapping[str, Any], now: datetime) -> Meeting:
    """/meeting edit: what changed stored, and the meeting's reminders planned again from it."""
    checked = await checked_schedule(schedule, default_zone=current.recurrence.zone, now=now,
                                     current=current.recurrence)
    before = store.draft_of(current)
    draft = dataclasses.replace(before, recurrence=checked, **changes)
    if draft == before:
        raise InvalidInput("That changes nothing. Give at least one new detail, such as `time`.")
    updated = await store.replace_details(session, guild_id, current.id, actor_id, draft)
    await reminders.replan(session, scheduler, updated, now)
    return updated


@dataclass(frozen=True, slots=True)
class Cancelled:
    meeting: Meeting  # as it is now
    start: datetime | None  # the occurrence cancelled (or the next one a series ending would have had)
    day: date | None  # the local date cancelled; None when the series ended
    recipients: list[int]  # members who asked for reminders: they are told

    @property
    def whole_series(self) -> bool:
        return self.day is None


async def cancel(session: AsyncSession, scheduler: Scheduler, guild_id: int, actor_id: int, reference: str,
                 when: str, now: datetime) -> Cancelled:
    """/meeting cancel: one date skipped, or (`when` = "series") the series ended; reminders follow."""
    current = await store.resolve(session, guild_id, reference)
    if when.strip().lower() == WHOLE_SERIES:
        start = current.next_occurrence(now)
        changed = await store.end_series(session, guild_id, current.id, actor_id, now)
        day = None
    else:
        day = schedules.cancellable_date(when, local_today(now, current.recurrence.zone))
        start = schedules.occurrence_on(current, day)
        if start is not None and start <= now:
            raise InvalidInput(f"The {day:%A %d %B} meeting has already started, so I can't cancel it.")
        changed = await store.skip_occurrence(session, guild_id, current.id, actor_id, day)
    recipients = await reminder_choices.reminder_recipients(session, current.id)
    await reminders.replan(session, scheduler, changed, now)
    return Cancelled(changed, start, day, recipients)


async def delete(session: AsyncSession, scheduler: Scheduler, guild_id: int, actor_id: int,
                 meeting_id: int) -> Meeting:
    """/meeting delete (once confirmed): the meeting, members' reminder choices and its jobs."""
    gone = await store.delete_meeting(session, guild_id, meeting_id, actor_id)
    await reminders.unplan(session, scheduler, gone.id)
    return gone


async def choose_reminder(session: AsyncSession, scheduler: Scheduler, meeting: Meeting, user_id: int,
                          minutes: int | None, now: datetime) -> None:
    """A member's own DM reminder for a meeting: `minutes` before each, or (None) no more."""
    if minutes:
        await reminder_choices.opt_in(session, meeting.id, user_id, minutes)
        await reminders.plan(session, scheduler, [meeting], now)
    else:
        await reminder_choices.opt_out(session, meeting.id, user_id)


async def set_channel_reminders(session: AsyncSession, scheduler: Scheduler, guild_id: int, actor_id: int,
                                text: str, now: datetime) -> tuple[int, ...]:
    """/config meeting-reminders: the server's channel reminder times, and every meeting planned again."""
    saved = await reminder_choices.set_reminder_offsets(session, guild_id, actor_id,
                                                        reminder_choices.parse_offsets(text))
    await reminders.replan_many(session, scheduler, await store.all_in(session, guild_id), now)
    return saved
