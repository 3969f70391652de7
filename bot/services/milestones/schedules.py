"""Milestone schedules and the calendar arithmetic behind them: plain Python, no database.

A milestone is an amount of days, months or years after the clean date (day 0, the first day clean).
Months and years are calendar arithmetic, always counted from the clean date itself, never chained from
the previous milestone: 31 January + 1 month is the last day of February (28 or 29), + 2 months is
31 March. A month that lacks the day gives its last day, so a milestone never slips into the following
month; so 29 February + 1 year is 28 February in a year without a leap day (and 29 February again in a
leap year). A milestone's day begins at midnight on the member's own clock.

A schedule is a short list of milestones, optionally followed by every year after the last one listed.
Every walk over a schedule is bounded: at most `MAX_ITEMS` listed, and yearly ones up to `MAX_YEARS`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from dateutil.relativedelta import relativedelta

from bot.services.errors import InvalidInput
from bot.services.text import excerpt

MAX_ITEMS = 30
MAX_YEARS = 100  # yearly milestones stop here: nobody's date is further back than the year 1926 allows
UNITS = {"d": "day", "m": "month", "y": "year"}


@dataclass(frozen=True, slots=True, order=True)
class Milestone:
    amount: int
    unit: str  # "d", "m" or "y"
    tag: str | None = None  # a keytag colour or chip name, when the schedule gives one

    @property
    def name(self) -> str:
        if self.unit == "d" and self.amount == 1:
            return "24 hours"
        word = UNITS[self.unit]
        return f"{self.amount} {word}" + ("" if self.amount == 1 else "s")

    @property
    def title(self) -> str:
        """The name with its keytag or chip: "90 days (red keytag)"."""
        return f"{self.name} ({self.tag})" if self.tag else self.name

    def day(self, start: date) -> date:
        """The day this milestone falls on for a clean date of `start` (see the module's docstring)."""
        if self.unit == "d":
            return start + timedelta(days=self.amount)
        months = self.amount if self.unit == "m" else 12 * self.amount
        return start + relativedelta(months=months)

    @property
    def rough_days(self) -> float:
        return self.amount * {"d": 1.0, "m": 30.44, "y": 365.25}[self.unit]


class Preset(StrEnum):
    DEFAULT = "default"
    KEYTAGS = "keytags"
    CHIPS = "chips"
    MONTHLY = "monthly"
    CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class Schedule:
    listed: tuple[Milestone, ...]
    yearly: bool = True  # then every year after the last listed
    yearly_tag: str | None = None

    def walk(self, start: date) -> Iterator[tuple[date, Milestone]]:
        """Each milestone of a clean date of `start` with its day, in order of day; bounded."""
        listed = sorted(((m.day(start), m) for m in self.listed), key=lambda pair: (pair[0], pair[1].rough_days))
        last_day = listed[-1][0] if listed else start
        yield from listed
        if not self.yearly:
            return
        for years in range(1, MAX_YEARS + 1):
            milestone = Milestone(years, "y", self.yearly_tag)
            day = milestone.day(start)
            if day > last_day:
                yield day, milestone

    def describe(self) -> str:
        words = ", ".join(m.title for m in self.listed)
        return words + (", then every year" if self.yearly else "")

    def as_text(self) -> str:
        """The list as `read_custom` reads it, short ("24h"-style codes keep 30 of them within the stored 300)."""
        return ", ".join(f"{m.amount}{m.unit}" for m in self.listed) + (", yearly" if self.yearly else "")


def _m(amount: int, unit: str, tag: str | None = None) -> Milestone:
    return Milestone(amount, unit, tag)


PRESETS: dict[Preset, Schedule] = {
    Preset.DEFAULT: Schedule((_m(1, "d"), _m(7, "d"), _m(30, "d"), _m(60, "d"), _m(90, "d"), _m(6, "m"), _m(9, "m"),
                              _m(1, "y"), _m(18, "m"))),
    # Narcotics Anonymous keytags (the welcome keytag is given at the first meeting, not counted from a date).
    Preset.KEYTAGS: Schedule((_m(30, "d", "orange keytag"), _m(60, "d", "green keytag"), _m(90, "d", "red keytag"),
                              _m(6, "m", "blue keytag"), _m(9, "m", "yellow keytag"),
                              _m(1, "y", "glow-in-the-dark keytag"), _m(18, "m", "grey keytag")),
                             yearly_tag="black keytag"),
    Preset.CHIPS: Schedule((_m(1, "d", "24-hour chip"), _m(30, "d", "30-day chip"), _m(60, "d", "60-day chip"),
                            _m(90, "d", "90-day chip"), _m(6, "m", "6-month chip"), _m(9, "m", "9-month chip")),
                           yearly_tag="medallion"),
    Preset.MONTHLY: Schedule(tuple(_m(n, "m") for n in range(1, 12))),
}

PRESET_WORDS = {
    Preset.DEFAULT: "24 hours, 7, 30, 60 and 90 days, 6 and 9 months, 1 year, 18 months, then every year",
    Preset.KEYTAGS: "NA-style keytags: 30 days orange, 60 green, 90 red, 6 months blue, 9 months yellow, "
                    "1 year glow-in-the-dark, 18 months grey, multiple years black",
    Preset.CHIPS: "AA-style chips: 24 hours, 30, 60 and 90 days, 6 and 9 months, then a medallion every year",
    Preset.MONTHLY: "every month in the first year, then every year",
}

_ITEM = re.compile(r"^(\d{1,4})\s*(h|hours?|d|days?|w|weeks?|m|months?|y|years?)$")
EXAMPLE = "24h, 7d, 30d, 90d, 6m, 1y, yearly"


def read_custom(text: str) -> Schedule:
    """A custom list as a moderator types it ("24h, 7d, 30d, 6m, 1y, yearly"); refuses anything else."""
    parts = [part.strip().lower() for part in text.split(",") if part.strip()]
    yearly = "yearly" in parts
    items = [part for part in parts if part != "yearly"]
    if not items:
        raise InvalidInput(f"List at least one milestone, separated by commas, e.g. `{EXAMPLE}`.")
    if len(items) > MAX_ITEMS:
        raise InvalidInput(f"That's {len(items)} milestones; keep the list to {MAX_ITEMS} (add `yearly` for every "
                           "year after the last).")
    found: dict[date, Milestone] = {}
    for part in items:
        milestone = _read_item(part)
        found.setdefault(milestone.day(date(2001, 1, 1)), milestone)
    return Schedule(tuple(sorted(found.values(), key=lambda m: m.rough_days)), yearly=yearly)


def _read_item(part: str) -> Milestone:
    match = _ITEM.match(part)
    if match is None:
        raise InvalidInput(f"I can't read “{excerpt(part, 30)}” as a milestone. Write each as a number and a unit "
                           f"(h, d, w, m, y), e.g. `{EXAMPLE}`.")
    amount, unit = int(match[1]), match[2][0]
    if unit == "h":
        if amount % 24:
            raise InvalidInput(f"“{part}”: give hours in whole days (24h, 48h), or use days.")
        amount, unit = amount // 24, "d"
    if unit == "w":
        amount, unit = amount * 7, "d"
    limits = {"d": 36_600, "m": 1_200, "y": MAX_YEARS}
    if not 1 <= amount <= limits[unit]:
        raise InvalidInput(f"“{part}” is out of range: from 1 up to {MAX_YEARS} years.")
    return Milestone(amount, unit)


def schedule_of(preset: str | None, custom: str | None) -> Schedule:
    """A server's schedule from its stored settings; the default when it chose none."""
    if preset == Preset.CUSTOM and custom:
        return read_custom(custom)
    try:
        return PRESETS[Preset(preset or Preset.DEFAULT)]
    except (ValueError, KeyError):
        return PRESETS[Preset.DEFAULT]


def words_of(preset: str | None, custom: str | None) -> str:
    """A server's schedule in words, for its managers."""
    try:
        chosen = Preset(preset or Preset.DEFAULT)
    except ValueError:
        chosen = Preset.DEFAULT
    return PRESET_WORDS.get(chosen) or schedule_of(preset, custom).describe()


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a clean date stands on `today`."""

    start: date
    today: date
    years: int
    months: int
    rest_days: int
    current: tuple[date, Milestone] | None  # the last milestone reached
    next: tuple[date, Milestone] | None  # the one to come

    @property
    def days(self) -> int:
        return (self.today - self.start).days

    @property
    def days_to_next(self) -> int:
        return (self.next[0] - self.today).days if self.next else 0

    @property
    def share_to_next(self) -> float:
        """How far from the last milestone (or the clean date) to the next, 0 to 1."""
        if self.next is None:
            return 1.0
        since = self.current[0] if self.current else self.start
        span = (self.next[0] - since).days
        return max(0.0, min(1.0, (self.today - since).days / span)) if span > 0 else 1.0


def progress(start: date, today: date, schedule: Schedule) -> Progress:
    """Days clean, the same in years, months and days, the milestone reached and the next one."""
    span = relativedelta(today, start)
    current: tuple[date, Milestone] | None = None
    coming: tuple[date, Milestone] | None = None
    for day, milestone in schedule.walk(start):
        if day <= today:
            current = (day, milestone)
        else:
            coming = (day, milestone)
            break
    return Progress(start, today, span.years, span.months, span.days, current, coming)


def first_on_or_after(start: date, day: date, schedule: Schedule) -> tuple[date, Milestone] | None:
    """The first milestone falling on `day` or later; None when the schedule has no more."""
    return next(((d, m) for d, m in schedule.walk(start) if d >= day), None)


def between(start: date, first: date, last: date, schedule: Schedule) -> list[tuple[date, Milestone]]:
    """The milestones falling from `first` to `last`, both included."""
    found = []
    for day, milestone in schedule.walk(start):
        if day > last:
            break
        if day >= first:
            found.append((day, milestone))
    return found
