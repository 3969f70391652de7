"""When a recurring meeting happens: local wall time + IANA zone + RRULE, computed by dateutil.

A meeting at 19:00 in New York is stored as exactly that, never as a UTC instant, so it stays at
19:00 for the people in New York across daylight-saving changes; every instant is derived.

Times that do not exist (the hour skipped when clocks go forward) are refused when a schedule is
made. Times that happen twice (the hour repeated when clocks go back) mean the first of the two.

A rule is typed by a moderator, so it is read by our own strict reader before dateutil sees it:
only the parts a meeting needs, each within its range, and every refusal says what to type
instead. dateutil walks a rule period by period until it finds a meeting, and a rule that never
meets walks all the way to the year 9999, seconds of blocked event loop; an INTERVAL of 0 never
ends at all. So the reader refuses what cannot advance, daily and weekly rules may only take
parts that meet every period, and the one walk that could still find nothing (a monthly or yearly
rule whose parts contradict each other) is made on a copy of the series moved whole 400-year
Gregorian cycles ahead, where it ends within one cycle. Every later walk is bounded by a count.

Planning reads every meeting's schedule each day, so occurrences are computed with care for speed:
dateutil starts its walk near the window asked for rather than at the series' first meeting, and
meetings whose rule, phase and window agree share one walk for their dates; each meeting then puts
its own wall time and zone on those dates. The tests check this against walking every series whole.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import islice
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulebase, rrulestr

from bot.services import timezones
from bot.services.errors import InvalidInput
from bot.services.text import excerpt

log = logging.getLogger(__name__)

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
# A schedule whose first meeting is further off than this is almost surely a mistyped rule.
FIRST_MEETING_HORIZON = timedelta(days=2 * 366)
# The dates a schedule may use at all: far enough for any real series, near enough that every
# library (dateutil, icalendar, zoneinfo) computes with them without overflowing.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2199, 12, 31)
MAX_COUNT = 1000
# Meetings here repeat at least once a year, so walks between two meetings are short.
MAX_INTERVAL = {"DAILY": 365, "WEEKLY": 52, "MONTHLY": 12, "YEARLY": 1}
_DAY_NAMES = dict(zip(WEEKDAY_CODES, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
                      strict=True))
_UNITS = {"DAILY": "days", "WEEKLY": "weeks", "MONTHLY": "months", "YEARLY": "years"}
# The most dates one walk may yield: ten years of a daily meeting. Callers ask for days or weeks.
MAX_WALK = 4000
_GREGORIAN_CYCLE_YEARS = 400  # the calendar (weekdays and leap years alike) repeats every 400 years
_LAST_PROBE_YEAR = 9997  # dateutil walks no further than 9999


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


_NAMED_TIMES = {"noon": time(12), "12 noon": time(12), "midday": time(12), "midnight": time(0)}


def parse_time(text: str) -> time:
    """'19:00', '7pm', '7:30 PM', '0730', '19:30:00', 'noon' -> a time; anything else is refused with examples."""
    cleaned = text.strip().lower().replace(".", "")
    if cleaned in _NAMED_TIMES:
        return _NAMED_TIMES[cleaned]
    match = re.fullmatch(r"([0-9]{1,2})(?::?([0-9]{2}))?(?::[0-9]{2})?\s*(am|pm)?", cleaned)
    if match:
        hour, minute, meridiem = int(match.group(1)), int(match.group(2) or 0), match.group(3)
        if meridiem and 1 <= hour <= 12:
            hour = hour % 12 + (12 if meridiem == "pm" else 0)
        elif meridiem:
            hour = 99
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise InvalidInput(f"I can't read “{excerpt(text, 20)}” as a time. Use 24-hour 19:00 or 7pm / 7:30 pm.")


def parse_weekdays(text: str) -> tuple[str, ...]:
    """'Mon, Wed and Fri' -> ('MO', 'WE', 'FR'), in week order."""
    words = [w for w in re.split(r"[\s,;/&]+|\band\b", text.lower()) if w]
    unknown = [w for w in words if w not in _WEEKDAY_NAMES]
    if unknown or not words:
        raise InvalidInput(
            f"I don't recognise “{excerpt((unknown or [text])[0], 20)}” as a weekday. Use names like Monday, tue or "
            "“Mon, Wed, Fri”."
        )
    codes = {_WEEKDAY_NAMES[w] for w in words}
    return tuple(code for code in WEEKDAY_CODES if code in codes)


def weekly(weekdays: Iterable[str], local_time: time, zone: str, starts_on: date,
           until: date | None = None, *, refuse_skipped_hour: bool = True) -> Recurrence:
    """Every week on `weekdays`. An import keeps a time the clocks skip once a year
    (`refuse_skipped_hour=False`): that day it lands an hour later, as calendars do."""
    days = tuple(weekdays)
    if not days or any(d not in WEEKDAY_CODES for d in days):
        raise InvalidInput("Pick at least one weekday, for example Monday or “Tue, Thu”.")
    return _validated(f"FREQ=WEEKLY;BYDAY={','.join(days)}", local_time, zone, starts_on, until,
                      refuse_skipped_hour=refuse_skipped_hour)


def from_rule(text: str, local_time: time, zone: str, starts_on: date, until: date | None = None) -> Recurrence:
    """A full RRULE for what weekdays cannot say; validated, with examples on refusal."""
    zone = timezones.validate(zone)
    return _validated(read_rule(text, zone), local_time, zone, starts_on, until)


# -- reading a rule typed by a person ---------------------------------------------------------

_SIGNED = r"[+-]?[0-9]{1,3}"
_ORDINAL_DAY = re.compile(r"([+-]?[0-9]{1,2})?(MO|TU|WE|TH|FR|SA|SU)")
_UNTIL = re.compile(r"([0-9]{8})(?:T([0-9]{6})(Z?))?")
# The parts a meeting's rule may have, in the order they are written back.
_PART_ORDER = ("FREQ", "INTERVAL", "BYMONTH", "BYMONTHDAY", "BYDAY", "BYSETPOS", "WKST", "COUNT", "UNTIL")
# Parts that pick days within a month or year. With them a daily or weekly rule could go years
# without a meeting (or never meet), so only monthly and yearly rules take them.
_CALENDAR_PARTS = frozenset({"BYMONTH", "BYMONTHDAY", "BYSETPOS"})
_SEPARATE = "Leave the start date and time out of the rule: they are separate options (`starts` and `time`)"
_REFUSED_PARTS = {"DTSTART": _SEPARATE, "BYHOUR": _SEPARATE, "BYMINUTE": _SEPARATE, "BYSECOND": _SEPARATE}


def read_rule(text: str, zone: str = "UTC") -> str:
    """A typed RRULE checked part by part and written back in one spelling, or InvalidInput.

    `zone` reads an UNTIL given in UTC (ending in Z) as the meeting's own wall time, which is how
    every other part of a schedule is kept.
    """
    body = text.strip().upper()
    body = body.removeprefix("RRULE:").strip().rstrip(";").strip()
    if not body or len(body) > MAX_RULE_LENGTH:
        raise InvalidInput(f"Give a rule such as {RULE_EXAMPLES}.")
    parts: dict[str, str] = {}
    for raw in filter(str.strip, body.split(";")):
        key, equals, value = (piece.strip() for piece in raw.partition("="))
        if not equals or not key or not value:
            raise InvalidInput(f"I can't read “{excerpt(raw, 30)}” in that rule: each part is NAME=VALUE, "
                               f"separated by semicolons, such as {RULE_EXAMPLES}.")
        if key in _REFUSED_PARTS:
            raise InvalidInput(f"{_REFUSED_PARTS[key]}. For example {RULE_EXAMPLES}.")
        if key not in _PART_ORDER:
            raise InvalidInput(f"I don't use “{excerpt(key, 20)}” in meeting rules. A rule can have FREQ, INTERVAL, "
                               f"BYDAY, BYMONTHDAY, BYMONTH, BYSETPOS, WKST, COUNT and UNTIL, such as {RULE_EXAMPLES}.")
        if key in parts:
            raise InvalidInput(f"{key} appears twice in that rule; give it once.")
        parts[key] = value
    freq = parts.get("FREQ")
    if freq in ("HOURLY", "MINUTELY", "SECONDLY"):
        raise InvalidInput(f"Meetings repeat daily at most often. Try {RULE_EXAMPLES}.")
    if freq not in MAX_INTERVAL:
        raise InvalidInput(f"A rule needs FREQ=DAILY, WEEKLY, MONTHLY or YEARLY, such as {RULE_EXAMPLES}.")
    checked = {"FREQ": freq}
    for key, value in parts.items():
        if key != "FREQ":
            checked[key] = _CHECKS[key](freq, value, zone)
    if "COUNT" in checked and "UNTIL" in checked:
        raise InvalidInput("Give COUNT or UNTIL, not both: either how many meetings there are, or the last date.")
    calendar = _CALENDAR_PARTS & checked.keys()
    if freq in ("DAILY", "WEEKLY") and calendar:
        raise InvalidInput(f"{min(calendar)} only works with FREQ=MONTHLY or FREQ=YEARLY. For example "
                           "FREQ=MONTHLY;BYMONTHDAY=15 (the 15th of each month).")
    if "BYSETPOS" in checked and not {"BYDAY", "BYMONTHDAY"} & checked.keys():
        raise InvalidInput("BYSETPOS picks among the days BYDAY or BYMONTHDAY give, so it needs one of them, "
                           "such as FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1 (the last weekday).")
    if freq == "DAILY" and "BYDAY" in checked and checked.get("INTERVAL", "1") != "1":
        # Every 7th day is always the same weekday: such a rule could never meet.
        raise InvalidInput("A daily rule with BYDAY meets on those weekdays every week, so it can't also skip days. "
                           "For every other week use FREQ=WEEKLY;INTERVAL=2;BYDAY=TU.")
    return ";".join(f"{key}={checked[key]}" for key in _PART_ORDER if key in checked)


def _number(value: str, low: int, high: int, *, zero: bool = False) -> int | None:
    """`value` as a whole number within [low, high] (never 0 unless `zero`), else None."""
    if not re.fullmatch(_SIGNED, value):
        return None
    number = int(value)
    return number if low <= number <= high and (zero or number != 0) else None


def _check_interval(freq: str, value: str, zone: str) -> str:
    highest = MAX_INTERVAL[freq]
    number = _number(value, 1, highest)
    if number is None:
        if highest == 1:
            raise InvalidInput("A yearly rule meets every year here (INTERVAL=1): meetings repeat at least once "
                               "a year.")
        raise InvalidInput(f"INTERVAL is how many {_UNITS[freq]} apart the meetings are: a whole number from 1 to "
                           f"{highest} for FREQ={freq}, such as FREQ={freq};INTERVAL=2.")
    return str(number)


def _check_list(value: str, label: str, check: re.Pattern[str] | None, low: int, high: int) -> list[str]:
    items = [item.strip() for item in value.split(",")]
    if not all(items) or len(items) > 31:
        raise InvalidInput(f"{label} takes a list separated by commas, such as {label}=1,15.")
    if check is None:
        numbers = [_number(item, low, high) for item in items]
        if any(n is None for n in numbers):
            bad = next(item for item, n in zip(items, numbers, strict=True) if n is None)
            raise InvalidInput(f"{label}={bad[:10]} is out of range: use whole numbers from {low} to {high}"
                               f"{' (or -1 to -' + str(high) + ' counting from the end)' if low < 0 else ''}, "
                               "never 0.")
        return [str(n) for n in numbers]
    return items


def _check_byday(freq: str, value: str, zone: str) -> str:
    highest = {"MONTHLY": 5, "YEARLY": 53}.get(freq, 0)
    cleaned = []
    for item in _check_list(value, "BYDAY", _ORDINAL_DAY, 0, 0):
        match = _ORDINAL_DAY.fullmatch(item)
        if match is None:
            raise InvalidInput(f"I can't read BYDAY={item[:10]}: use two-letter weekdays such as BYDAY=MO,TH, or for "
                               "monthly rules a position and a weekday, such as 1SA (first Saturday) or -1FR (last "
                               "Friday).")
        ordinal, weekday = match.groups()
        if ordinal is None:
            cleaned.append(weekday)
            continue
        if highest == 0:
            raise InvalidInput(f"BYDAY={item[:10]}: {freq.lower()} rules take plain weekdays, such as BYDAY=MO. "
                               "A position such as 1SA (the first Saturday) needs FREQ=MONTHLY, as in "
                               "FREQ=MONTHLY;BYDAY=1SA.")
        number = _number(ordinal, -highest, highest)
        if number is None:
            unit = "month" if freq == "MONTHLY" else "year"
            raise InvalidInput(f"BYDAY={item[:10]} asks for a {_DAY_NAMES[weekday]} that no {unit} has: use 1 to "
                               f"{highest} from the start of the {unit} or -1 to -{highest} from its end, such as 1SA "
                               "(the first Saturday) or -1FR (the last Friday).")
        cleaned.append(f"{number}{weekday}")
    return ",".join(dict.fromkeys(cleaned))


def _check_bymonthday(freq: str, value: str, zone: str) -> str:
    return ",".join(dict.fromkeys(_check_list(value, "BYMONTHDAY", None, -31, 31)))


def _check_bymonth(freq: str, value: str, zone: str) -> str:
    return ",".join(dict.fromkeys(_check_list(value, "BYMONTH", None, 1, 12)))


def _check_bysetpos(freq: str, value: str, zone: str) -> str:
    return ",".join(dict.fromkeys(_check_list(value, "BYSETPOS", None, -366, 366)))


def _check_wkst(freq: str, value: str, zone: str) -> str:
    if value not in WEEKDAY_CODES:
        raise InvalidInput("WKST is the day weeks start on: a two-letter weekday such as WKST=MO or WKST=SU.")
    return value


def _check_count(freq: str, value: str, zone: str) -> str:
    number = _number(value, 1, MAX_COUNT)
    if number is None:
        raise InvalidInput(f"COUNT is how many meetings the series has: a whole number from 1 to {MAX_COUNT}. "
                           "For a longer series leave COUNT out, or give an end date with `ends`.")
    return str(number)


def _check_until(freq: str, value: str, zone: str) -> str:
    match = _UNTIL.fullmatch(value)
    moment = None
    if match:
        day, clock, utc_marker = match.groups()
        try:
            moment = datetime.strptime(day + (clock or "235959"), "%Y%m%d%H%M%S")
        except ValueError:
            moment = None
    if moment is None or not EARLIEST_DATE <= moment.date() <= LATEST_DATE:
        raise InvalidInput("UNTIL is the series' last date, written like UNTIL=20270630 (30 June 2027). "
                           "You can also leave it out and use the `ends` option.")
    if utc_marker:
        moment = moment.replace(tzinfo=UTC).astimezone(_zone(zone)).replace(tzinfo=None)
    return f"{moment:%Y%m%dT%H%M%S}"


_CHECKS = {
    "INTERVAL": _check_interval, "BYDAY": _check_byday, "BYMONTHDAY": _check_bymonthday, "BYMONTH": _check_bymonth,
    "BYSETPOS": _check_bysetpos, "WKST": _check_wkst, "COUNT": _check_count, "UNTIL": _check_until,
}


# -- validating a schedule --------------------------------------------------------------------

def check_date(day: date, label: str) -> date:
    """A date a schedule can use at all; refuses the far past and the far future."""
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise InvalidInput(f"The {label} {day.isoformat()} is too far off. Pick a date between "
                           f"{EARLIEST_DATE.year} and {LATEST_DATE.year}.")
    return day


def _validated(rule: str, local_time: time, zone: str, starts_on: date, until: date | None, *,
               refuse_skipped_hour: bool = True) -> Recurrence:
    # fold=0: of a repeated hour, the first (a time typed in never says otherwise).
    checked = _checked(rule, local_time.replace(second=0, microsecond=0, tzinfo=None, fold=0), zone, starts_on,
                       until, refuse_skipped_hour)
    if isinstance(checked, str):
        raise InvalidInput(checked)
    return checked


@lru_cache(maxsize=4096)
def _checked(rule: str, local_time: time, zone: str, starts_on: date, until: date | None,
             refuse_skipped_hour: bool) -> Recurrence | str:
    """The schedule, or why it is refused. Cached: an intergroup's feed has thousands of meetings
    on a few hundred different weekday, time and zone combinations."""
    try:
        zone = timezones.validate(zone)
        check_date(starts_on, "start date")
        if until is not None:
            check_date(until, "end date")
        if until is not None and until < starts_on:
            raise InvalidInput(
                f"The series ends ({until.isoformat()}) before it starts ({starts_on.isoformat()}). "
                "Pick an end date after the start date, or leave it empty for no end."
            )
        recurrence = Recurrence(rule, local_time, zone, starts_on, until)
        try:
            _rrule(recurrence)
        except (ValueError, TypeError):
            # read_rule lets through only what dateutil takes, so this is a gap in the reader.
            log.warning("dateutil refused a rule the reader accepted: %s", rule)
            raise InvalidInput(f"That rule doesn't work. Try {RULE_EXAMPLES}.") from None
        _refuse_rare_meetings(recurrence)
        skipped = first_skipped_hour(recurrence) if refuse_skipped_hour else None
        if skipped is not None:
            raise InvalidInput(
                f"{recurrence.local_time:%H:%M} doesn't exist in {recurrence.zone} on {skipped:%A %d %B %Y}: "
                "the clocks skip that hour for daylight saving. Pick a time outside that hour, such as 19:00."
            )
    except InvalidInput as refusal:
        return refusal.message
    return recurrence


def _moved(recurrence: Recurrence) -> tuple[Recurrence, int]:
    """The series moved whole 400-year cycles towards the year 9999, and by how many years.

    The Gregorian calendar repeats every 400 years (weekdays and leap years alike), so the copy
    meets on the same dates of its cycle. dateutil gives up looking for a meeting at the year 9999,
    so on the copy a search for a meeting that never comes ends within one cycle (milliseconds),
    where on the real series it would walk eight thousand years.
    """
    years = (_LAST_PROBE_YEAR - recurrence.starts_on.year) // _GREGORIAN_CYCLE_YEARS * _GREGORIAN_CYCLE_YEARS
    rule = re.sub(r"UNTIL=([0-9]{4})", lambda m: f"UNTIL={int(m.group(1)) + years:04d}", recurrence.rule)
    # An end stored before dates were checked can be as late as 9999; past the last date a
    # schedule may use, it changes nothing about the first meeting.
    last = min(recurrence.until, LATEST_DATE) if recurrence.until else None
    until = last.replace(year=last.year + years) if last else None
    starts_on = recurrence.starts_on.replace(year=recurrence.starts_on.year + years)
    return Recurrence(rule, recurrence.local_time, recurrence.zone, starts_on, until), years


def first_occurrence(recurrence: Recurrence) -> datetime | None:
    """The series' first meeting as naive local wall time, or None if it never meets; never a long walk."""
    moved, years = _moved(recurrence)
    start = _naive_start(moved)
    found = _parsed(moved, start).after(start, inc=True)
    return None if found is None else found.replace(year=found.year - years)


def _refuse_rare_meetings(recurrence: Recurrence) -> None:
    """Refuse a rule that never meets, first meets years away, or goes more than a year between meetings.

    Daily and weekly rules meet every period by construction (read_rule refuses the parts that
    would thin them out). Monthly and yearly rules are walked on the moved copy for a few decades
    (weekdays fall on the same dates again every 28 years within a century): long gaps come from
    parts that pick rare dates (the 29th of February, a fifth Monday in February), and a rule
    that meets GAP_SCAN_MEETINGS times sooner than that doesn't pick only rare dates.
    """
    first = first_occurrence(recurrence)
    if first is None:
        raise InvalidInput(f"That rule never produces a meeting after {recurrence.starts_on.isoformat()}. "
                           f"Try {RULE_EXAMPLES}.")
    if first - _naive_start(recurrence) > FIRST_MEETING_HORIZON:
        raise InvalidInput(f"With that rule the first meeting would be on {first:%A %d %B %Y}, more than two years "
                           f"after the start. Check the rule, or try {RULE_EXAMPLES}.")
    if recurrence.rule.startswith(("FREQ=DAILY", "FREQ=WEEKLY")):
        return
    moved, _years = _moved(recurrence)
    start = _naive_start(moved)
    scan_end = start.replace(year=start.year + GAP_SCAN_YEARS) if start.year + GAP_SCAN_YEARS <= 9999 else None
    previous = None
    for local in islice(_parsed(moved, start).xafter(start, inc=True), GAP_SCAN_MEETINGS):
        if scan_end is not None and local > scan_end:
            break
        if previous is not None and local - previous > LONGEST_GAP:
            later = "the next year" if local.year - previous.year == 1 else f"{local.year - previous.year} years later"
            raise InvalidInput(f"That rule can go more than a year without a meeting (from {previous:%d %B} one year "
                               f"to {local:%d %B} {later}). Meetings here repeat at least once a year. Try "
                               f"{RULE_EXAMPLES}.")
        previous = local


# A yearly meeting on "the 20th Monday" moves within the calendar: up to a week more than a year apart.
LONGEST_GAP = timedelta(days=366 + 7)
GAP_SCAN_YEARS = 60
GAP_SCAN_MEETINGS = 400


@lru_cache(maxsize=4096)
def first_skipped_hour(recurrence: Recurrence) -> date | None:
    """The first day within two years when the meeting's wall time doesn't exist (the clocks skip it).

    Only a day the clocks change on can skip a time, so only those days are looked at: a zone has a
    few in two years, and whether the rule meets on one is a question about a single day.
    """
    tz = recurrence.tz
    first = recurrence.starts_on
    last = first + GAP_CHECK_HORIZON
    for day in _change_days(recurrence.zone, first.year, last.year):
        if not first <= day <= last or _exists(datetime.combine(day, recurrence.local_time), tz):
            continue
        around = datetime.combine(day, time())
        if day in _local_dates(recurrence, around - timedelta(days=1), around + timedelta(days=2)):
            return day
    return None


@lru_cache(maxsize=1024)
def _change_days(zone: str, first_year: int, last_year: int) -> tuple[date, ...]:
    """The days in those years when the zone's clocks change (its UTC offset differs from one
    midnight to the next)."""
    tz = _zone(zone)
    day, end = date(first_year, 1, 1), date(last_year, 12, 31)
    found = []
    offset = datetime.combine(day, time(), tz).utcoffset()
    while day <= end:
        following = datetime.combine(day + timedelta(days=1), time(), tz).utcoffset()
        if following != offset:
            found.append(day)
        day, offset = day + timedelta(days=1), following
    return tuple(found)


def _between(parsed: rrulebase, lo: datetime, hi: datetime) -> list[datetime]:
    """dateutil's `between(lo, hi, inc=True)`, stopped after MAX_WALK dates."""
    found = list(islice(_walk(parsed, lo, hi), MAX_WALK + 1))
    if len(found) > MAX_WALK:
        log.warning("a walk over a rule was cut short after %d dates", MAX_WALK)
        del found[MAX_WALK:]
    return found


def _walk(parsed: rrulebase, lo: datetime, hi: datetime) -> Iterator[datetime]:
    for local in parsed:
        if local > hi:
            return
        if local >= lo:
            yield local


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
    if not _within_calendar(after) or not _within_calendar(before):
        return []
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


def _within_calendar(moment: datetime) -> bool:
    """Whether `moment` is within the dates schedules use; outside them no meeting happens (and
    arithmetic near the year 1 or 9999 would overflow)."""
    return EARLIEST_DATE - timedelta(days=2) <= moment.astimezone(UTC).date() <= LATEST_DATE + timedelta(days=2)


def _local_dates(recurrence: Recurrence, lo: datetime, hi: datetime) -> tuple[date, ...]:
    """The local dates of the series' occurrences from `lo` to `hi` (naive local times), give or take a day."""
    anchor = _start_near(recurrence, lo)
    if "UNTIL=" in recurrence.rule:
        # The rule's own UNTIL is a wall time, so which days it allows depends on the time of day.
        starts = _between(_parsed(recurrence, anchor), lo, hi)
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
    return tuple(start.date() for start in _between(parsed, datetime.combine(first, time()), window_end))


def next_occurrence(recurrence: Recurrence, after: datetime, skipped: Iterable[date] = ()) -> datetime | None:
    """The first start at or after `after`, or None when the series has ended.

    One walk from near `after`: validation keeps every series to at least a meeting a year, so
    the walk is short, and it gives up after the skipped dates and a walk's worth more.
    """
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    if not _within_calendar(after):
        return None
    tz, at, until = recurrence.tz, recurrence.local_time, recurrence.until
    skip = frozenset(skipped)
    lo = after.astimezone(tz).replace(tzinfo=None) - timedelta(days=1)
    parsed = _parsed(recurrence, _start_near(recurrence, lo))
    for local in islice(parsed.xafter(lo, inc=True), len(skip) + MAX_WALK):
        day = local.date()
        if until is not None and day > until:
            return None
        if day in skip:
            continue
        instant = datetime.combine(day, at, tz).astimezone(UTC)
        if instant >= after:
            return instant
    return None


def local_date(recurrence: Recurrence, instant: datetime) -> date:
    """The date, in the meeting's own zone, of one of its occurrences (for skipping it)."""
    return instant.astimezone(recurrence.tz).date()


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
