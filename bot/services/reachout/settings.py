"""A server's reach-out settings: how many volunteers are pinged, how fast it escalates, and the limits that
keep volunteers well. Every change is audited; a server that never changed them uses the defaults."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.changes import ReadCache
from bot.db.models import ReachoutSettings
from bot.services import audit
from bot.services.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Settings:
    max_open: int = 1  # requests one volunteer may hold open at once
    daily_pings: int = 10  # pings one volunteer gets in 24 hours at most
    missed_before_away: int = 3  # pings in a row a volunteer lets pass before they are set away, gently
    cooldown_minutes: int = 10  # between two requests of one member
    ping_count: int = 3  # volunteers pinged at each step
    next_volunteers_after: int = 5  # minutes unclaimed before the next volunteers are pinged
    moderators_after: int = 10  # ... before the moderators are
    tell_requester_after: int = 15  # ... before the requester is told honestly that nobody is free yet


# name: (the option's label, lowest, highest)
LIMITS: dict[str, tuple[str, int, int]] = {
    "max_open": ("open requests per volunteer", 1, 10),
    "daily_pings": ("pings per volunteer a day", 1, 100),
    "missed_before_away": ("missed pings before a volunteer is set away", 1, 20),
    "cooldown_minutes": ("minutes between two requests of one member", 0, 240),
    "ping_count": ("volunteers pinged at each step", 1, 10),
    "next_volunteers_after": ("minutes before the next volunteers are pinged", 1, 120),
    "moderators_after": ("minutes before the moderators are pinged", 1, 240),
    "tell_requester_after": ("minutes before the requester is told nobody is free yet", 1, 480),
}

_kept: ReadCache[Settings] = ReadCache(ReachoutSettings.__tablename__)


async def get(session: AsyncSession, guild_id: int) -> Settings:
    return await _kept.get(session, guild_id, lambda: _read(session, guild_id))


async def _read(session: AsyncSession, guild_id: int) -> Settings:
    row = await session.get(ReachoutSettings, guild_id)
    if row is None:
        return Settings()
    return Settings(**{f.name: getattr(row, f.name) for f in fields(Settings)})


async def change(session: AsyncSession, guild_id: int, actor_id: int, **changes: int) -> Settings:
    """Change some settings (each checked against its range; the escalation steps must come in order),
    one audit row per value that differs."""
    current = await get(session, guild_id)
    for name, value in changes.items():
        label, low, high = LIMITS[name]
        if not low <= value <= high:
            raise InvalidInput(f"The {label} must be between {low} and {high}; you gave {value}.")
    wanted = replace(current, **changes)
    if not wanted.next_volunteers_after < wanted.moderators_after < wanted.tell_requester_after:
        raise InvalidInput(
            "The steps must come in order: the next volunteers, then the moderators, then telling the requester. "
            f"That would be {wanted.next_volunteers_after}, {wanted.moderators_after} and "
            f"{wanted.tell_requester_after} minutes; for example 5, 10 and 15.")
    row = await session.get(ReachoutSettings, guild_id)
    if row is None:
        row = ReachoutSettings(guild_id=guild_id, **{f.name: getattr(current, f.name) for f in fields(Settings)})
        session.add(row)
    for name, value in changes.items():
        old = getattr(row, name)
        if old != value:
            setattr(row, name, value)
            await audit.record(session, guild_id, actor_id, f"reachout.{name}", old, value)
    await session.flush()
    return wanted
