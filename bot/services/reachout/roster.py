"""The volunteer roster: who is on it, and who is on call when.

A volunteer is on call when they said they are available (for a while, or until they say otherwise), or
when it is inside their weekly hours, on their own clock; never while away.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.changes import ReadCache
from bot.db.models import Volunteer
from bot.services import timezones
from bot.services.errors import InvalidInput, NotFound
from bot.services.reachout import hours as weekly

MAX_AVAILABLE_HOURS = 72
NOT_ON_ROSTER = "You're not on this server's volunteer roster yet. Join it with /volunteer join."


@dataclass(frozen=True, slots=True)
class VolunteerInfo:
    guild_id: int
    user_id: int
    status: str  # hours, available, away
    available_until: datetime | None
    hours: weekly.Hours | None
    missed_in_a_row: int

    def on_call(self, now: datetime) -> bool:
        if self.status == "away":
            return False
        if self.status == "available" and (self.available_until is None or self.available_until > now):
            return True
        return self.hours is not None and self.hours.on_call(now)


@lru_cache(maxsize=1024)  # the same few rosters are read at every request
def _hours(text: str, zone: str) -> weekly.Hours:
    return weekly.parse(text, zone)


def _info(row: Volunteer) -> VolunteerInfo:
    hours = _hours(row.hours, row.zone) if row.hours and row.zone else None
    return VolunteerInfo(row.guild_id, row.user_id, row.status, row.available_until, hours, row.missed_in_a_row)


async def _row(session: AsyncSession, guild_id: int, user_id: int) -> Volunteer | None:
    row: Volunteer | None = await session.scalar(
        select(Volunteer).where(Volunteer.guild_id == guild_id, Volunteer.user_id == user_id))
    return row


async def _required(session: AsyncSession, guild_id: int, user_id: int) -> Volunteer:
    row = await _row(session, guild_id, user_id)
    if row is None:
        raise NotFound(NOT_ON_ROSTER)
    return row


async def get(session: AsyncSession, guild_id: int, user_id: int) -> VolunteerInfo | None:
    row = await _row(session, guild_id, user_id)
    return _info(row) if row else None


async def join(session: AsyncSession, guild_id: int, user_id: int) -> tuple[VolunteerInfo, bool]:
    """Put the member on the roster (following their hours, which they have yet to give); whether they were
    new to it."""
    row = await _row(session, guild_id, user_id)
    if row is not None:
        return _info(row), False
    row = Volunteer(guild_id=guild_id, user_id=user_id, status="hours", missed_in_a_row=0)
    session.add(row)
    await session.flush()
    return _info(row), True


async def leave(session: AsyncSession, guild_id: int, user_id: int) -> bool:
    result = await session.execute(delete(Volunteer).where(Volunteer.guild_id == guild_id,
                                                           Volunteer.user_id == user_id))
    return bool(getattr(result, "rowcount", 0))


async def available(session: AsyncSession, guild_id: int, user_id: int, now: datetime,
                    for_hours: float | None = None) -> VolunteerInfo:
    """On call now: for `for_hours` hours (then back to their weekly hours), or until they say away."""
    if for_hours is not None and not 0 < for_hours <= MAX_AVAILABLE_HOURS:
        raise InvalidInput(f"Give a number of hours between 0.5 and {MAX_AVAILABLE_HOURS}, like 2 or 1.5; or "
                           "leave it out to stay on call until you use /volunteer away.")
    row = await _required(session, guild_id, user_id)
    row.status = "available"
    row.available_until = now + timedelta(hours=for_hours) if for_hours is not None else None
    row.missed_in_a_row = 0
    await session.flush()
    return _info(row)


async def away(session: AsyncSession, guild_id: int, user_id: int) -> VolunteerInfo:
    row = await _required(session, guild_id, user_id)
    row.status, row.available_until = "away", None
    await session.flush()
    return _info(row)


async def set_hours(session: AsyncSession, guild_id: int, user_id: int, text: str, zone: str) -> VolunteerInfo:
    """Their weekly hours, in `zone`; from now on they are on call inside them."""
    checked_zone = timezones.validate(zone)
    parsed = weekly.parse(text, checked_zone)
    row = await _required(session, guild_id, user_id)
    row.hours, row.zone = parsed.text, checked_zone
    row.status, row.available_until = "hours", None
    row.missed_in_a_row = 0
    await session.flush()
    return _info(row)


# Every request reads its server's roster, and volunteers change their status now and then: read once and
# kept in this process until a commit changes it (bot.db.changes says why that is safe).
_rosters: ReadCache[tuple[VolunteerInfo, ...]] = ReadCache(Volunteer.__tablename__)


async def all_of(session: AsyncSession, guild_id: int) -> tuple[VolunteerInfo, ...]:
    """The server's roster, in the order they joined."""
    return await _rosters.get(session, guild_id, lambda: _read_all(session, guild_id))


async def _read_all(session: AsyncSession, guild_id: int) -> tuple[VolunteerInfo, ...]:
    rows = await session.scalars(select(Volunteer).where(Volunteer.guild_id == guild_id).order_by(Volunteer.id))
    return tuple(_info(row) for row in rows)
