"""Who is reminded when: a server's channel reminder times, and members' own DM reminders."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import GuildSettings, MeetingReminderOptIn
from bot.services import audit
from bot.services.errors import InvalidInput
from bot.services.meetings import kept

DEFAULT_REMINDER_OFFSETS = (60, 10)
MAX_REMINDER_OFFSETS = 3
MEMBER_REMINDER_OFFSETS = (10, 30, 60, 180, 1440)


async def reminder_offsets(session: AsyncSession, guild_id: int) -> tuple[int, ...]:
    """Minutes before a meeting that its channel is told, largest first."""
    stored = await session.scalar(select(GuildSettings.meeting_reminder_offsets)
                                  .where(GuildSettings.guild_id == guild_id))
    return tuple(stored) if stored is not None else DEFAULT_REMINDER_OFFSETS


async def reminder_offsets_by_guild(session: AsyncSession) -> dict[int, tuple[int, ...]]:
    """Every server that changed its offsets; the rest use DEFAULT_REMINDER_OFFSETS."""
    rows = await session.execute(select(GuildSettings.guild_id, GuildSettings.meeting_reminder_offsets)
                                 .where(GuildSettings.meeting_reminder_offsets.is_not(None)))
    return {guild_id: tuple(offsets or ()) for guild_id, offsets in rows}


def parse_offsets(text: str) -> tuple[int, ...]:
    """'60, 10' -> (60, 10); 'none' -> () to turn channel reminders off."""
    cleaned = text.strip().lower()
    if cleaned in ("none", "off", "0", ""):
        return ()
    words = [w for w in re.split(r"[\s,;]+", cleaned) if w]
    try:
        minutes = sorted({int(w.removesuffix("m").removesuffix("min")) for w in words}, reverse=True)
    except ValueError:
        raise InvalidInput("Give minutes before the meeting, separated by commas, such as “60, 10”, or "
                           "“none” to turn channel reminders off.") from None
    if len(minutes) > MAX_REMINDER_OFFSETS or any(not 1 <= m <= 1440 for m in minutes):
        raise InvalidInput(f"Give up to {MAX_REMINDER_OFFSETS} reminders between 1 and 1440 minutes "
                           "(a day) before, such as “60, 10”.")
    return tuple(minutes)


async def set_reminder_offsets(session: AsyncSession, guild_id: int, actor_id: int,
                               offsets: Sequence[int]) -> tuple[int, ...]:
    row = await session.get(GuildSettings, guild_id)
    if row is None:
        row = GuildSettings(guild_id=guild_id)
        session.add(row)
    stored = row.meeting_reminder_offsets
    old = tuple(stored) if stored is not None else DEFAULT_REMINDER_OFFSETS
    new = tuple(offsets)
    if old != new:
        row.meeting_reminder_offsets = list(new)
        await audit.record(session, guild_id, actor_id, "config.meeting_reminder_offsets", old, new or "off")
    await session.flush()
    return new


async def opt_in(session: AsyncSession, meeting_id: int, user_id: int, offset_minutes: int) -> None:
    if offset_minutes not in MEMBER_REMINDER_OFFSETS:
        raise InvalidInput("Pick one of the reminder times offered.")
    existing = await session.scalar(select(MeetingReminderOptIn).where(
        MeetingReminderOptIn.meeting_id == meeting_id, MeetingReminderOptIn.user_id == user_id))
    if existing is None:
        session.add(MeetingReminderOptIn(meeting_id=meeting_id, user_id=user_id, offset_minutes=offset_minutes))
    else:
        existing.offset_minutes = offset_minutes
    await session.flush()


async def opt_out(session: AsyncSession, meeting_id: int, user_id: int) -> bool:
    result = await session.execute(delete(MeetingReminderOptIn).where(
        MeetingReminderOptIn.meeting_id == meeting_id, MeetingReminderOptIn.user_id == user_id))
    return bool(getattr(result, "rowcount", 0))


async def reminder_of(session: AsyncSession, meeting_id: int, user_id: int) -> int | None:
    """The member's chosen offset for this meeting, or None when they asked for no reminder."""
    if kept.applies(session):
        return (await kept.reminders_of(session, user_id)).get(meeting_id)
    return await session.scalar(select(MeetingReminderOptIn.offset_minutes).where(
        MeetingReminderOptIn.meeting_id == meeting_id, MeetingReminderOptIn.user_id == user_id))


async def reminder_recipients(session: AsyncSession, meeting_id: int, offset_minutes: int | None = None) -> list[int]:
    """Who asked for a DM before this meeting (at this offset, if given)."""
    query = select(MeetingReminderOptIn.user_id).where(MeetingReminderOptIn.meeting_id == meeting_id)
    if offset_minutes is not None:
        query = query.where(MeetingReminderOptIn.offset_minutes == offset_minutes)
    return list(await session.scalars(query.order_by(MeetingReminderOptIn.user_id)))


async def member_offsets(session: AsyncSession, meeting_ids: Iterable[int] | None = None) -> dict[int, set[int]]:
    """meeting id -> the distinct offsets its members chose."""
    query = select(MeetingReminderOptIn.meeting_id, MeetingReminderOptIn.offset_minutes).distinct()
    if meeting_ids is not None:
        query = query.where(MeetingReminderOptIn.meeting_id.in_(list(meeting_ids)))
    found: dict[int, set[int]] = {}
    for meeting_id, offset in await session.execute(query):
        found.setdefault(meeting_id, set()).add(offset)
    return found

