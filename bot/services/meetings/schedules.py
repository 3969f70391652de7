"""Schedules as people type them, and the dates a meeting meets on.

What a moderator types into /meeting create or edit (weekdays or a rule, a time, a zone, dates) becomes a
validated `Recurrence` here, refused with an example that works when it can't. Pure: no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.services import recurrence, timezones
from bot.services.errors import InvalidInput
from bot.services.meetings.data import (
    Meeting,
)
from bot.services.recurrence import Recurrence
from bot.services.text import excerpt


@dataclass(frozen=True, slots=True)
class ScheduleText:
    """A schedule as typed into a command; any part left None keeps what the meeting has."""

    days: str | None = None
    time: str | None = None
    zone: str | None = None
    rule: str | None = None
    starts: str | None = None
    ends: str | None = None
    clear_end: bool = False  # the series should have no end date any more

    @property
    def empty(self) -> bool:
        return not (self.days or self.time or self.zone or self.rule or self.starts or self.ends or self.clear_end)


# How far ahead a typed start date may be: further is almost surely a typo for this year's date.
STARTS_WITHIN = timedelta(days=2 * 366)


def parse_date(text: str, label: str) -> date:
    cleaned = text.strip()
    try:
        return recurrence.check_date(date.fromisoformat(cleaned), label)
    except ValueError:
        raise InvalidInput(
            f"I can't read “{excerpt(cleaned, 20)}” as the {label}. Write it as year-month-day, such as 2026-12-01."
        ) from None


def build_recurrence(schedule: ScheduleText, *, default_zone: str, today: date,
                     current: Recurrence | None = None) -> Recurrence:
    """Validate a typed schedule into a Recurrence, refusing anything unclear with an example.

    Checking a rule can walk a few decades of it (milliseconds), so callers on the event loop run
    this in a thread.
    """
    if current is not None and schedule.empty:
        return current  # nothing about the schedule changes: keep it as stored
    if schedule.days and schedule.rule:
        raise InvalidInput("Give either weekdays or a rule, not both: weekdays for simple weekly meetings, "
                           f"a rule for the rest, such as {recurrence.RULE_EXAMPLES}.")
    if schedule.time:
        local_time = recurrence.parse_time(schedule.time)
    elif current is not None:
        local_time = current.local_time
    else:
        raise InvalidInput("Give the meeting's start time, such as 19:00 or 7:30 pm.")
    zone = timezones.validate(schedule.zone) if schedule.zone else (current.zone if current else default_zone)
    if schedule.starts:
        starts_on = parse_date(schedule.starts, "start date")
        if starts_on > today + STARTS_WITHIN:
            raise InvalidInput(f"The start date {starts_on.isoformat()} is more than two years away. Pick a date "
                               "sooner, or leave it empty to start today.")
    else:
        starts_on = current.starts_on if current else today
    if schedule.clear_end:
        until = None
    elif schedule.ends:
        until = parse_date(schedule.ends, "end date")
        if until < today:
            raise InvalidInput(f"The end date {until.isoformat()} has already passed. Pick a later date, or leave it "
                               "empty for no end.")
    else:
        until = current.until if current else None
    if schedule.rule:
        return recurrence.from_rule(schedule.rule, local_time, zone, starts_on, until)
    if schedule.days:
        return recurrence.weekly(recurrence.parse_weekdays(schedule.days), local_time, zone, starts_on, until)
    if current is not None:
        return recurrence.from_rule(current.rule, local_time, zone, starts_on, until)
    raise InvalidInput("Say when the meeting repeats: weekdays such as “Mon, Thu”, or a rule such as "
                       f"{recurrence.RULE_EXAMPLES}.")


def cancellable_date(text: str, today: date) -> date:
    """A typed date of one meeting to cancel: from today to two years ahead."""
    day = parse_date(text, "date")
    if day < today:
        raise InvalidInput(f"{day:%d %B %Y} has already passed. Pick one of the dates suggested as you type.")
    if day > today + STARTS_WITHIN:
        raise InvalidInput(f"{day:%d %B %Y} is more than two years away. Pick one of the dates suggested as you type, "
                           "or end the whole series.")
    return day


def occurrence_on(meeting: Meeting, on: date) -> datetime | None:
    """The meeting's start on local date `on` (skipped or not), or None if it doesn't meet that day."""
    # Search a little past the local day on both sides: zones are up to 14 hours off UTC.
    day_start = datetime.combine(on, datetime.min.time(), meeting.recurrence.tz)
    starts = recurrence.occurrences(meeting.recurrence, day_start - timedelta(hours=1), day_start + timedelta(hours=26))
    return next((s for s in starts if recurrence.local_date(meeting.recurrence, s) == on), None)


def upcoming_dates(meeting: Meeting, now: datetime, count: int = 10) -> list[datetime]:
    """The next `count` occurrences, for choosing one to cancel."""
    found: list[datetime] = []
    after = now
    while len(found) < count:
        start = meeting.next_occurrence(after)
        if start is None:
            break
        found.append(start)
        after = start + timedelta(seconds=1)
    return found
