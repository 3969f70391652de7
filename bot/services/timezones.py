"""IANA time zones: validation with helpful messages, and search for autocomplete."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time
from functools import cache

from bot.services.errors import InvalidInput
from bot.services.text import excerpt

EXAMPLES = "America/New_York, Europe/London, Australia/Sydney or UTC"
# Deprecated aliases (US/Eastern, Etc/GMT+5, ...) still validate but are not suggested: their
# names mislead (Etc/GMT+5 is five hours *behind* GMT).
_SUGGESTED_AREAS = ("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/",
                    "Europe/", "Indian/", "Pacific/")


@cache
def _all_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@cache
def _suggestable() -> tuple[str, ...]:
    return (*sorted(z for z in _all_zones() if z.startswith(_SUGGESTED_AREAS)), "UTC")


def validate(name: str) -> str:
    """Return the zone's canonical spelling, or raise InvalidInput with examples that work."""
    cleaned = name.strip().replace(" ", "_")
    if cleaned in _all_zones():
        return cleaned
    by_lower = {z.lower(): z for z in _all_zones()}
    if cleaned.lower() in by_lower:
        return by_lower[cleaned.lower()]
    suggestions = search(name, limit=3)
    hint = f" Did you mean {', '.join(suggestions)}?" if suggestions else ""
    raise InvalidInput(
        f"I don't know the time zone “{excerpt(name, 64)}”.{hint} Use a name from the IANA list, "
        f"such as {EXAMPLES}; start typing a city and pick from the suggestions."
    )


def search(query: str, limit: int = 25) -> list[str]:
    """Zones matching `query`: the city part first, then anywhere in the name."""
    needle = query.strip().lower().replace(" ", "_")
    zones = _suggestable()
    if not needle:
        return list(zones[:limit])
    starts = [z for z in zones if z.lower().rsplit("/", 1)[-1].startswith(needle) or z.lower().startswith(needle)]
    contains = [z for z in zones if needle in z.lower() and z not in starts]
    return (starts + contains)[:limit]


def wall_instant(day: date, at: time, zone: str | zoneinfo.ZoneInfo) -> datetime:
    """The UTC instant of `at` on `day` on `zone`'s wall clock. A time the clocks skip (02:30 on the
    spring-forward night) is read as the moment after the skip; a repeated one as its first pass."""
    tz = zone if isinstance(zone, zoneinfo.ZoneInfo) else zoneinfo.ZoneInfo(zone)
    return datetime.combine(day, at, tz).astimezone(UTC)


def today_in(zone: str, now: datetime) -> date:
    """The date on `zone`'s wall clock at `now`."""
    return now.astimezone(zoneinfo.ZoneInfo(zone)).date()
