"""A server's meetings as one iCalendar (.ics) file, for Google Calendar, Outlook and Apple Calendar.

Each meeting becomes one recurring VEVENT that says what the bot itself believes: the local wall
time in the meeting's IANA zone, the same RRULE, the same end date and the same cancelled dates.
A calendar app expanding the file therefore lands on exactly the instants `Meeting.occurrences`
gives, across daylight-saving changes, which the tests check by expanding the file again.

Pure: no Discord, no database. The cog decides what to say, and when there is nothing to export.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.parser import parse as parse_datetime
from icalendar import Calendar, Event, vRecur

from bot.services.meetings.data import Meeting, describe_types
from bot.services.recurrence import LATEST_DATE, Recurrence, first_occurrence

log = logging.getLogger(__name__)

PRODID = "-//Recovery Bot//Meetings//EN"
UID_DOMAIN = "recovery-bot"
# VTIMEZONE components list every transition explicitly (icalendar writes RDATEs, not a yearly
# rule), so they describe a zone only up to a chosen date. Clients that read them instead of the
# IANA name (Outlook) need that to reach past the meetings they show; a subscribed feed is
# regenerated, so ten years past the latest date in play is plenty without bloating the file.
TIMEZONE_YEARS_AHEAD = 10
# The end of the `until` day, as recurrence.py applies it: the last moment a meeting may start.
_END_OF_DAY = time(23, 59, 59)


def calendar_ics(meetings: Iterable[Meeting], *, calendar_name: str, generated_at: datetime) -> bytes:
    """One VCALENDAR with a recurring VEVENT per meeting, as CRLF-terminated, folded bytes.

    `generated_at` (timezone-aware) becomes every event's DTSTAMP. No meetings gives a valid,
    empty calendar.
    """
    return calendar_export(meetings, calendar_name=calendar_name, generated_at=generated_at)[0]


def calendar_export(meetings: Iterable[Meeting], *, calendar_name: str,
                    generated_at: datetime) -> tuple[bytes, list[Meeting]]:
    """`calendar_ics`, plus the meetings it had to leave out: ones stored before today's checks
    whose schedule a calendar can't express (a COUNT past RFC 5545's range, say)."""
    if generated_at.tzinfo is None:
        raise ValueError("generated_at must be timezone-aware")
    stamp = generated_at.astimezone(UTC)
    chosen = list(meetings)

    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    # PUBLISH: a read-only copy to show, not an invitation that expects a reply.
    calendar.add("METHOD", "PUBLISH")
    calendar.add("X-WR-CALNAME", calendar_name)
    zones = {meeting.recurrence.zone for meeting in chosen}
    if len(zones) == 1:
        # Google reads this as the calendar's own zone. With several zones there is no honest
        # single answer, and every event carries its own TZID anyway.
        calendar.add("X-WR-TIMEZONE", next(iter(zones)))

    first_starts = []
    left_out: list[Meeting] = []
    for meeting in chosen:
        try:
            start = first_start(meeting.recurrence)
            event = _event(meeting, start, stamp)
        except (ValueError, OverflowError):
            # One meeting stored before today's checks must not take everyone's calendar down.
            log.warning("meeting %d left out of a calendar: its schedule can't be written", meeting.id)
            left_out.append(meeting)
            continue
        first_starts.append(start)
        calendar.add_component(event)

    if first_starts:
        # Outlook relies on a VTIMEZONE, not the IANA name, for every TZID used; icalendar builds
        # them from zoneinfo. They must begin no later than the earliest DTSTART they describe,
        # and reach a while past today: a subscribed feed is regenerated, so a series ending in
        # 2150 needs no zone rules written out to 2160.
        earliest = min(start.date() for start in first_starts)
        latest_year = max(stamp.year, *(s.year for s in first_starts))
        calendar.add_missing_timezones(first_date=date(earliest.year, 1, 1),
                                       last_date=date(latest_year + TIMEZONE_YEARS_AHEAD, 1, 1))
    data: bytes = calendar.to_ical()  # icalendar folds lines at 75 octets and ends each with CRLF
    return data, left_out


def uid(meeting: Meeting) -> str:
    """The same for every export of a meeting, so re-importing updates it instead of adding a copy."""
    return f"meeting-{meeting.id}-{meeting.guild_id}@{UID_DOMAIN}"


def first_start(recurrence: Recurrence) -> datetime:
    """The first real occurrence, as an aware local datetime in the meeting's zone.

    RFC 5545 always counts DTSTART as an instance, while dateutil (and so the bot) only counts
    dates that match the rule: a Tuesday meeting "starting" on a Monday must get DTSTART on the
    Tuesday, or calendars would show a Monday meeting that never happens. Moving DTSTART to a
    real occurrence keeps INTERVAL's phase, COUNT and the rule's dtstart-derived defaults
    (BYMONTHDAY, BYMONTH) unchanged, because that occurrence shares all of them with starts_on.
    """
    naive_start = datetime.combine(recurrence.starts_on, recurrence.local_time)
    # A bounded search (see recurrence.first_occurrence); validation guarantees one exists.
    first = first_occurrence(recurrence)
    return (first or naive_start).replace(tzinfo=recurrence.tz)


def _event(meeting: Meeting, start: datetime, stamp: datetime) -> Event:
    recurrence = meeting.recurrence
    tz = recurrence.tz
    event = Event()
    event.add("UID", uid(meeting))
    event.add("DTSTAMP", stamp)
    if meeting.updated_at is not None:
        event.add("LAST-MODIFIED", _as_utc(meeting.updated_at))
    event.add("SUMMARY", meeting.name)
    event.add("DTSTART", start)
    _add_end(event, start, meeting.duration)
    event.add("RRULE", rrule(recurrence))
    if meeting.skipped:
        # Same TZID and wall time as DTSTART: EXDATE removes an instance only on an exact match.
        cancelled = [datetime.combine(day, recurrence.local_time, tzinfo=tz) for day in sorted(meeting.skipped)]
        event.add("EXDATE", cancelled)
    link = meeting.link()
    if link:
        event.add("URL", link)
    # A hybrid meeting's street address is where a calendar should send people; else the link or number.
    place = meeting.location.in_person or link or meeting.location.phone
    if place:
        event.add("LOCATION", place)
    description = _description(meeting, link)
    if description:
        event.add("DESCRIPTION", description)
    event.add("CATEGORIES", [meeting.kind.value])
    return event


def _add_end(event: Event, start: datetime, duration: timedelta) -> None:
    """DTEND, which every client understands; DURATION when the first instance spans a clock change.

    A recurring event's length is taken from its first instance, and clients measure it in wall
    time. When that instance crosses a clock change (a 01:00 meeting the night clocks go forward
    lasts 01:00 to 03:00 on the wall), DTEND would make every later meeting an hour too long or
    short; when it ends in the repeated hour, the end is ambiguous. DURATION is exact in both cases.
    """
    end = (start.astimezone(UTC) + duration).astimezone(start.tzinfo)
    unambiguous = end.replace(fold=0).astimezone(UTC) == end.astimezone(UTC)
    if unambiguous and end.utcoffset() == start.utcoffset():
        event.add("DTEND", end)
    else:
        event.add("DURATION", duration)


def rrule(recurrence: Recurrence) -> vRecur:
    """The stored rule, with its end made explicit in UTC.

    RFC 5545: when DTSTART has a TZID, UNTIL must be UTC. The bot ends a series at the end of the
    `until` day in the meeting's zone (unless the rule has its own UNTIL or a COUNT), and reads a
    rule's own UNTIL as local wall time; both are converted to the same instants here.
    """
    tz = recurrence.tz
    parts = [part for part in recurrence.rule.split(";") if part]
    keys = [part.partition("=")[0] for part in parts]
    if "UNTIL" in keys:
        index = keys.index("UNTIL")
        parts[index] = f"UNTIL={_utc_until(parse_datetime(parts[index].partition('=')[2]), tz)}"
    elif recurrence.until is not None and recurrence.until <= LATEST_DATE and "COUNT" not in keys:
        # (An end stored before dates were checked, as late as 9999, means no end in practice.)
        parts.append(f"UNTIL={_utc_until(datetime.combine(recurrence.until, _END_OF_DAY), tz)}")
    recur: vRecur = vRecur.from_ical(";".join(parts))
    return recur


def _utc_until(moment: datetime, tz: ZoneInfo) -> str:
    # A naive moment is wall time in the meeting's zone, as dateutil compared it (fold=0: the first
    # of a repeated hour, as recurrence.py reads every local time).
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)
    return f"{aware.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def _description(meeting: Meeting, link: str | None) -> str:
    where = meeting.location
    parts = []
    if meeting.description:
        parts.append(meeting.description)
    if meeting.types:
        parts.append(f"Types: {describe_types(meeting.types)}")
    if link:
        parts.append(f"Join: {link}" + (f" ({where.url_notes})" if where.url_notes else ""))
    if where.phone:
        parts.append(f"Dial: {where.phone}" + (f" ({where.phone_notes})" if where.phone_notes else ""))
    if where.in_person:
        parts.append(f"In person: {where.in_person}")
    return "\n\n".join(parts)


def _as_utc(instant: datetime) -> datetime:
    # Stored instants come back aware UTC (bot.db.types.UTCDateTime); a naive one can only be UTC.
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)
