"""A volunteer's weekly hours, as they type them: "Mon-Fri 18:00-22:00, Sun 10:00-14:00".

Hours are wall-clock times in the volunteer's own zone, so 18:00 stays 18:00 across daylight-saving
changes. A window may run past midnight ("Fri 22:00-02:00" ends on Saturday). Plain Python, bounded:
at most `MAX_WINDOWS` windows, and every question about them looks at eight days at most.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.services.errors import InvalidInput
from bot.services.text import excerpt

MAX_TEXT = 300
MAX_WINDOWS = 21
EXAMPLE = "Mon-Fri 18:00-22:00, Sun 10:00-14:00"

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAYS = {name: number for number, names in enumerate((
    ("mon", "monday", "mo"), ("tue", "tues", "tuesday", "tu"), ("wed", "weds", "wednesday", "we"),
    ("thu", "thur", "thurs", "thursday", "th"), ("fri", "friday", "fr"), ("sat", "saturday", "sa"),
    ("sun", "sunday", "su"),
)) for name in names}
_GROUPS = {"daily": range(7), "everyday": range(7), "weekdays": range(5), "weekends": range(5, 7)}
_RANGE = re.compile(r"(?<![\d:])(?P<start>\d{1,2}(?::\d{2})?)\s*(?:-|–|to)\s*(?P<end>\d{1,2}(?::\d{2})?)(?![\d:])")


@dataclass(frozen=True, slots=True)
class Window:
    day: int  # 0 = Monday
    start: time
    end: time  # earlier than (or equal to) start: the window runs into the next day

    @property
    def overnight(self) -> bool:
        return self.end <= self.start


@dataclass(frozen=True, slots=True)
class Hours:
    windows: tuple[Window, ...]
    zone: str

    @property
    def text(self) -> str:
        return describe(self.windows)

    def on_call(self, moment: datetime) -> bool:
        """Whether `moment` (any zone) falls inside one of the windows, on the wall clock of `zone`."""
        local = moment.astimezone(ZoneInfo(self.zone))
        day, clock = local.weekday(), local.time().replace(tzinfo=None)
        for window in self.windows:
            if window.overnight:
                if (day == window.day and clock >= window.start) or \
                        (day == (window.day + 1) % 7 and clock < window.end):
                    return True
            elif day == window.day and window.start <= clock < window.end:
                return True
        return False

    def next_start(self, moment: datetime) -> datetime | None:
        """When the next window opens after `moment` (as an aware datetime), within the coming week."""
        tz = ZoneInfo(self.zone)
        today = moment.astimezone(tz).date()
        found: list[datetime] = []
        for offset in range(8):
            day = today + timedelta(days=offset)
            for window in self.windows:
                if window.day == day.weekday():
                    start = _local(day, window.start, tz)
                    if start > moment:
                        found.append(start)
            if found:
                return min(found)
        return None


def _local(day: date, at: time, tz: ZoneInfo) -> datetime:
    # A time the clocks skip (02:30 on the spring-forward night) is read as the moment after the skip.
    return datetime.combine(day, at, tz).astimezone(ZoneInfo("UTC")).astimezone(tz)


def parse(text: str, zone: str) -> Hours:
    """Read typed hours; `InvalidInput` says what is wrong and shows an example."""
    cleaned = " ".join(text.replace("\n", ",").split())
    if not cleaned:
        raise InvalidInput(f"Give your hours as days and times, for example: {EXAMPLE}")
    if len(cleaned) > MAX_TEXT:
        raise InvalidInput(f"That is {len(cleaned):,} characters; keep your hours to {MAX_TEXT}. "
                           f"For example: {EXAMPLE}")
    # Each time range closes an item; the days are whatever stands before it, since the last one.
    windows: list[Window] = []
    taken = 0
    for match in _RANGE.finditer(cleaned):
        item = cleaned[taken:match.end()].strip(" ,;")
        days_text = cleaned[taken:match.start()].strip(" ,;")
        if not days_text:
            raise InvalidInput(f"“{excerpt(item, 40)}” needs its days, like “Mon-Fri 18:00-22:00”. "
                               f"For example: {EXAMPLE}")
        start, end = _time(match["start"], item), _time(match["end"], item)
        if start == end:
            raise InvalidInput(f"“{excerpt(item, 40)}” starts and ends at the same time. For example: {EXAMPLE}")
        windows.extend(Window(day, start, end) for day in _days(days_text.lower(), item))
        taken = match.end()
    rest = cleaned[taken:].strip(" ,;")
    if rest or not windows:
        raise InvalidInput(f"I can't read “{excerpt(rest or cleaned, 40)}”: write days then a time range, like "
                           f"“Mon-Fri 18:00-22:00”. All of it, for example: {EXAMPLE}")
    unique = tuple(sorted(set(windows), key=lambda w: (w.day, w.start, w.end)))
    if len(unique) > MAX_WINDOWS:
        raise InvalidInput(f"That is {len(unique)} windows; {MAX_WINDOWS} a week at most. For example: {EXAMPLE}")
    return Hours(unique, zone)


def _time(text: str, item: str) -> time:
    hour_text, _, minute_text = text.partition(":")
    hour, minute = int(hour_text), int(minute_text or 0)
    if hour == 24 and minute == 0:
        return time(0, 0)  # "until 24:00" is midnight: an end that runs into the next day
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise InvalidInput(f"“{excerpt(text, 8)}” in “{excerpt(item, 40)}” is not a time on a 24-hour clock, "
                           f"like 09:30 or 18:00. For example: {EXAMPLE}")
    return time(hour, minute)


def _days(text: str, item: str) -> list[int]:
    days: list[int] = []
    text = re.sub(r"\s*[-–]\s*", "-", text)  # "Mon - Fri" is "Mon-Fri"
    for part in re.split(r"[\s/&+,]+|\band\b", text.strip()):
        if not part:
            continue
        if part.replace(" ", "") in _GROUPS:
            days.extend(_GROUPS[part.replace(" ", "")])
            continue
        first, dash, last = part.partition("-")
        if first not in _DAYS or (dash and last not in _DAYS):
            raise InvalidInput(f"“{excerpt(part, 16)}” in “{excerpt(item, 40)}” is not a day. Use Mon, Tue, Wed, "
                               f"Thu, Fri, Sat, Sun, a range like Mon-Fri, or daily. For example: {EXAMPLE}")
        if not dash:
            days.append(_DAYS[first])
        else:
            begin, finish = _DAYS[first], _DAYS[last]
            days.extend((begin + step) % 7 for step in range((finish - begin) % 7 + 1))
    return sorted(set(days))


def describe(windows: tuple[Window, ...]) -> str:
    """The windows in the typed form, days with the same times grouped: 'Mon-Fri 18:00-22:00, Sun ...'."""
    by_times: dict[tuple[time, time], list[int]] = {}
    for window in windows:
        by_times.setdefault((window.start, window.end), []).append(window.day)
    parts = []
    for (start, end), days in sorted(by_times.items(), key=lambda item: (min(item[1]), item[0])):
        parts.append(f"{_day_ranges(sorted(days))} {start:%H:%M}-{'24:00' if end == time(0) else f'{end:%H:%M}'}")
    return ", ".join(parts)


def _day_ranges(days: list[int]) -> str:
    if days == list(range(7)):
        return "Daily"
    runs: list[list[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ",".join(DAY_NAMES[r[0]] if len(r) == 1 else f"{DAY_NAMES[r[0]]}-{DAY_NAMES[r[-1]]}" for r in runs)
