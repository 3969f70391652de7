"""When a recurring meeting happens: local wall time + IANA zone + RRULE, computed by dateutil.

A meeting at 19:00 in New York is stored as exactly that, never as a UTC instant, so it stays at
19:00 for the people in New York across daylight-saving changes; every instant is derived.

Times that do not exist (the hour skipped when clocks go forward) are refused when a schedule is
made. Times that happen twice (the hour repeated when clocks go back) mean the first of the two.

Planning reads every meeting's schedule each day, so occurrences are computed with care for speed:
dateutil starts its walk near the window asked for rather than at the series' first meeting, and
meetings whose rule, phase and window agree share one walk for their dates; each meeting then puts
its own wall time and zone on those dates. The tests check this against walking every series whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulebase, rrulestr

from bot.services import timezones
from bot.services.errors import InvalidInput

WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_WEEKDAY_NAMES = {
    "mo": "MO", "mon": "MO", "monday": "MO",
    "tu": "TU", "tue": "TU", "tues": "TU", "tuesday": "TU",
    "we": "WE", "wed": "WE", "wednesday": "WE",
    "th": "TH", "thu": "TH", "thur": "TH", "thurs": "TH", "thursday": "TH",
    "fr": "FR", "fri": "FR", "friday": "FR",
    "sa": "SA", "sat": "SA", "saturday": "SA",
    "su": "SU", "sun": "SU", "sunday": "SU",
}
RULE_EXAMPLES = (
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU (every other Tuesday) or "
    "FREQ=MONTHLY;BYDAY=1SA (the first Saturday of each month)"
)
MAX_RULE_LENGTH = 300
# How far ahead a new schedule is checked for times that do not exist: DST rules repeat yearly.
GAP_CHECK_HORIZON = timedelta(days=2 * 366)


@dataclass(frozen=True, slots=True)
class Recurrence:
    """A validated schedule. Build it with `weekly` or `from_rule`, not directly."""

    rule: str  # RRULE body without DTSTART, e.g. "FREQ=WEEKLY;BYDAY=TU,TH"
    local_time: time
    zone: str
    starts_on: date
    until: date | None = None

    @property
    def tz(self) -> ZoneInfo:
        return _zone(self.zone)


@lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo:
    # ZoneInfo keeps only the last few zones it made alive, and reads the file again for any
    # other; holding on to them all saves that when planning meetings in many zones.
    return ZoneInfo(name)


def parse_time(text: str) -> time:
    """'19:00', '7pm', '7:30 PM', '0730' -> a time; anything else is refused with examples."""
    cleaned = text.strip().lower().replace(".", "")
    match = re.fullmatch(r"(\d{1,2})(?::?(\d{2}))?\s*(am|pm)?", cleaned)
    if match:
        hour, minute, meridiem = int(match.group(1)), int(match.group(2) or 0), match.group(3)
        if meridiem and 1 <= hour <= 12:
            hour = hour % 12 + (12 if meridiem == "pm" else 0)
        elif meridiem:
            hour = 99
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise InvalidInput(f"I can't read “{text.strip()[:20]}” as a time. Use 24-hour 19:00 or 7pm / 7:30 pm.")


def parse_weekdays(text: str) -> tuple[str, ...]:
    """'Mon, Wed and Fri' -> ('MO', 'WE', 'FR'), in week order."""
    words = [w for w in re.split(r"[\s,;/&]+|\band\b", text.lower()) if w]
    unknown = [w for w in words if w not in _WEEKDAY_NAMES]
    if unknown or not words:
        raise InvalidInput(
            f"I don't recognise “{(unknown or [text])[0][:20]}” as a weekday. Use names like Monday, tue or "
            "“Mon, Wed, Fri”."
        )
    codes = {_WEEKDAY_NAMES[w] for w in words}
    return tuple(code for code in WEEKDAY_CODES if code in codes)


def weekly(weekdays: Iterable[str], local_time: time, zone: str, starts_on: date,
           until: date | None = None) -> Recurrence:
    days = tuple(weekdays)
    if not days or any(d not in WEEKDAY_CODES for d in days):
        raise InvalidInput("Pick at least one weekday, for example Monday or “Tue, Thu”.")
    return _validated(f"FREQ=WEEKLY;BYDAY={','.join(days)}", local_time, zone, starts_on, until)


def from_rule(text: str, local_time: time, zone: str, starts_on: date, until: date | None = None) -> Recurrence:
    """A full RRULE for what weekdays cannot say; validated, with examples on refusal."""
    body = text.strip().upper().removeprefix("RRULE:").strip().rstrip(";")
    if not body or len(body) > MAX_RULE_LENGTH:
        raise InvalidInput(f"Give a rule such as {RULE_EXAMPLES}.")
    parts = dict(part.partition("=")[::2] for part in body.split(";"))
    if "DTSTART" in body or {"BYHOUR", "BYMINUTE", "BYSECOND"} & parts.keys():
        raise InvalidInput(
            "Leave the start date and time out of the rule: they are separate options. "
            f"For example {RULE_EXAMPLES}."
        )
    return _validated(body, local_time, zone, starts_on, until)


def _validated(rule: str, local_time: time, zone: str, starts_on: date, until: date | None) -> Recurrence:
    zone = timezones.validate(zone)
    if until is not None and until < starts_on:
        raise InvalidInput(
            f"The series ends ({until.isoformat()}) before it starts ({starts_on.isoformat()}). "
            "Pick an end date after the start date, or leave it empty for no end."
        )
    frequency = dict(part.partition("=")[::2] for part in rule.split(";")).get("FREQ")
    if frequency in ("HOURLY", "MINUTELY", "SECONDLY"):
        raise InvalidInput(f"Meetings repeat daily at most often. Try {RULE_EXAMPLES}.")
    recurrence = Recurrence(rule, local_time.replace(second=0, microsecond=0, tzinfo=None), zone, starts_on, until)
    try:
        parsed = _rrule(recurrence)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"That rule doesn't work ({exc}). Try {RULE_EXAMPLES}.") from None
    first = parsed.after(_naive_start(recurrence), inc=True)
    if first is None:
        raise InvalidInput(f"That rule never produces a meeting after {starts_on.isoformat()}. Try {RULE_EXAMPLES}.")
    _refuse_skipped_times(recurrence, parsed)
    return recurrence


def _refuse_skipped_times(recurrence: Recurrence, parsed: rrulebase) -> None:
    tz = recurrence.tz
    start = _naive_start(recurrence)
    for local in parsed.between(start, start + GAP_CHECK_HORIZON, inc=True):
        if not _exists(local, tz):
            raise InvalidInput(
                f"{recurrence.local_time:%H:%M} doesn't exist in {recurrence.zone} on {local:%A %d %B %Y}: "
                "the clocks skip that hour for daylight saving. Pick a time outside that hour, "
                "such as 19:00."
            )


def _exists(local: datetime, tz: ZoneInfo) -> bool:
    aware = local.replace(tzinfo=tz)
    return aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == local


def _naive_start(recurrence: Recurrence) -> datetime:
    return datetime.combine(recurrence.starts_on, recurrence.local_time)


def _rrule(recurrence: Recurrence) -> rrulebase:
    return _parsed(recurrence, _naive_start(recurrence))


@lru_cache(maxsize=4096)
def _parsed(recurrence: Recurrence, dtstart: datetime) -> rrulebase:
    """The rule, starting at `dtstart`; cached, as a busy server's list asks for the same ones often."""
    rule = recurrence.rule
    if recurrence.until is not None and "UNTIL=" not in rule and "COUNT=" not in rule:
        rule += f";UNTIL={recurrence.until:%Y%m%d}T235959"
    return _started(rule, dtstart)


def _started(rule: str, dtstart: datetime) -> rrulebase:
    """The rule's text begun at `dtstart`, without parsing the text again."""
    template = _template(rule)
    if isinstance(template, rrule):
        # The same as parsing the text again with this start: what the text leaves out (the
        # weekday, the day of the month, the time) is taken from the new start as it would be.
        return template.replace(dtstart=dtstart)
    return rrulestr(rule, dtstart=dtstart)


@lru_cache(maxsize=1024)
def _template(rule: str) -> rrulebase:
    """The rule's text read once: thousands of meetings share a few hundred rules."""
    return rrulestr(rule, dtstart=_TEMPLATE_START)


_TEMPLATE_START = datetime(2000, 1, 1)


# With only these parts, a series started whole periods later has the same occurrences from its
# new start on. Not so with COUNT (it counts from the first meeting) nor BYSETPOS (it picks among
# a week's days, and dateutil cuts the series' first week short at its start).
_PERIOD_FREE_PARTS = frozenset({"FREQ", "INTERVAL", "WKST", "UNTIL", "BYDAY", "BYMONTH", "BYMONTHDAY",
                                "BYYEARDAY", "BYWEEKNO"})
_PERIOD_DAYS = {"DAILY": 1, "WEEKLY": 7}


@lru_cache(maxsize=1024)
def _period(rule: str) -> tuple[str, int] | None:
    """(FREQ, INTERVAL) when whole periods of the series can be skipped; None when they can't."""
    parts = dict(part.partition("=")[::2] for part in rule.split(";"))
    freq, interval = parts.get("FREQ"), parts.get("INTERVAL", "1")
    if not parts.keys() <= _PERIOD_FREE_PARTS or freq not in ("DAILY", "WEEKLY", "MONTHLY") or \
            not interval.isdigit() or int(interval) < 1:
        return None
    return freq, int(interval)


def _start_near(recurrence: Recurrence, lo: datetime) -> datetime:
    """The series' start moved forward by whole periods to at most `lo` (naive local time).

    dateutil walks every occurrence from the start, so a series begun two years ago would cost a
    hundred steps per window; from here it costs a handful, and yields the same occurrences from `lo` on.
    """
    start = _naive_start(recurrence)
    period = _period(recurrence.rule)
    if period is None or lo <= start:
        return start
    freq, interval = period
    if freq == "MONTHLY":
        if start.day > 28:  # not every month has the day: it can't move
            return start
        months = (lo.year - start.year) * 12 + lo.month - start.month - 1  # to the month before lo's
        skip = months // interval * interval
        if skip <= 0:
            return start
        years, month = divmod(start.month - 1 + skip, 12)
        return start.replace(year=start.year + years, month=month + 1)
    step = _PERIOD_DAYS[freq] * interval
    return start + timedelta(days=(lo - start).days // step * step)




def occurrences(recurrence: Recurrence, after: datetime, before: datetime,
                skipped: Iterable[date] = ()) -> list[datetime]:
    """Start instants (aware UTC) with after <= instant < before, less the skipped local dates."""
    if after.tzinfo is None or before.tzinfo is None:
        raise ValueError("after and before must be timezone-aware")
    tz = recurrence.tz
    skip = frozenset(skipped)
    # Search a day wider on each side in local wall time, then filter exactly in UTC.
    lo = after.astimezone(tz).replace(tzinfo=None) - timedelta(days=1)
    hi = before.astimezone(tz).replace(tzinfo=None) + timedelta(days=1)
    at, until = recurrence.local_time, recurrence.until
    found = []
    for day in _local_dates(recurrence, lo, hi):
        # The series' own end date applies whatever the rule says (COUNT, its own UNTIL).
        if day in skip or (until is not None and day > until):
            continue
        # fold=0: of a repeated hour, the first. A skipped hour (refused at creation, but a
        # zone's rules can change later) lands an hour later in wall time, as calendars do.
        instant = datetime.combine(day, at, tz).astimezone(UTC)
        if after <= instant < before:
            found.append(instant)
    return found


def _local_dates(recurrence: Recurrence, lo: datetime, hi: datetime) -> tuple[date, ...]:
    """The local dates of the series' occurrences from `lo` to `hi` (naive local times), give or take a day."""
    anchor = _start_near(recurrence, lo)
    if "UNTIL=" in recurrence.rule:
        # The rule's own UNTIL is a wall time, so which days it allows depends on the time of day.
        starts = _parsed(recurrence, anchor).between(lo, hi, inc=True)
        return tuple(start.date() for start in starts)
    return _dates(recurrence.rule, anchor.date(), lo.date(), hi.date())


@lru_cache(maxsize=16384)
def _dates(rule: str, anchor: date, first: date, last: date) -> tuple[date, ...]:
    """The dates dateutil gives `rule` begun on `anchor`, from `first` to `last`.

    Without BYHOUR and the like (refused) and without UNTIL, a rule's dates do not depend on the
    time of day, so one walk serves every meeting with the same rule, anchor and window: planning
    thousands of meetings needs a few hundred walks, not one each.
    """
    parsed = _started(rule, datetime.combine(anchor, time()))
    window_end = datetime.combine(last, time.max)
    return tuple(start.date() for start in parsed.between(datetime.combine(first, time()), window_end, inc=True))


def next_occurrence(recurrence: Recurrence, after: datetime, skipped: Iterable[date] = ()) -> datetime | None:
    """The first start at or after `after`, or None when the series has ended."""
    window = timedelta(days=40)
    start = after
    for _ in range(40):  # up to ~4 years ahead: long enough for any yearly rule
        found = occurrences(recurrence, start, start + window, skipped)
        if found:
            return found[0]
        start += window
    return None


def local_date(recurrence: Recurrence, instant: datetime) -> date:
    """The date, in the meeting's own zone, of one of its occurrences (for skipping it)."""
    return instant.astimezone(recurrence.tz).date()


_DAY_NAMES = dict(zip(WEEKDAY_CODES, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
                      strict=True))
_ORDINALS = {"1": "first", "2": "second", "3": "third", "4": "fourth", "-1": "last"}


def describe(recurrence: Recurrence) -> str:
    """'Every Monday and Thursday at 19:00 (America/New_York)': the schedule in words."""
    parts = dict(part.partition("=")[::2] for part in recurrence.rule.split(";"))
    freq, interval = parts.get("FREQ"), parts.get("INTERVAL", "1")
    byday = [d for d in parts.get("BYDAY", "").split(",") if d]
    plain = set(parts) <= {"FREQ", "INTERVAL", "BYDAY", "WKST"}
    when = f"at {recurrence.local_time:%H:%M} ({recurrence.zone})"
    if freq == "DAILY" and plain and not byday and interval == "1":
        return f"Every day {when}"
    if freq == "WEEKLY" and plain and all(d in _DAY_NAMES for d in byday):
        days = [_DAY_NAMES[d] for d in byday] or [_DAY_NAMES[WEEKDAY_CODES[recurrence.starts_on.weekday()]]]
        listed = days[0] if len(days) == 1 else f"{', '.join(days[:-1])} and {days[-1]}"
        every = {"1": "Every", "2": "Every other"}.get(interval, f"Every {interval} weeks on")
        return f"{every} {listed} {when}"
    if freq == "MONTHLY" and plain and interval == "1" and len(byday) == 1:
        match = re.fullmatch(r"([+-]?\d)?([A-Z]{2})", byday[0])
        if match and match.group(1) in _ORDINALS and match.group(2) in _DAY_NAMES:
            return f"The {_ORDINALS[match.group(1)]} {_DAY_NAMES[match.group(2)]} of each month {when}"
    return f"{recurrence.rule} {when}"
