"""Instants are stored as UTC and come back aware, whatever zone they were given in."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import AuditEntry


async def test_an_instant_round_trips_as_aware_utc(sessions: async_sessionmaker[AsyncSession]) -> None:
    new_york_evening = datetime(2026, 3, 8, 19, 0, tzinfo=ZoneInfo("America/New_York"))
    async with sessions.begin() as session:
        session.add(AuditEntry(guild_id=1, actor_id=2, action="x", created_at=new_york_evening))
    async with sessions() as session:
        stored = (await session.get(AuditEntry, 1))
        assert stored is not None
        assert stored.created_at == new_york_evening
        assert stored.created_at.utcoffset() == timedelta(0)


async def test_a_naive_datetime_is_refused(sqlite_sessions: async_sessionmaker[AsyncSession]) -> None:
    with pytest.raises(Exception, match="naive"):
        async with sqlite_sessions.begin() as session:
            session.add(AuditEntry(guild_id=1, actor_id=2, action="x", created_at=datetime(2026, 1, 1, 12)))


async def test_an_offset_is_normalised(sqlite_sessions: async_sessionmaker[AsyncSession]) -> None:
    plus_five = datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=5)))
    async with sqlite_sessions.begin() as session:
        session.add(AuditEntry(guild_id=1, actor_id=2, action="x", created_at=plus_five))
    async with sqlite_sessions() as session:
        stored = await session.get(AuditEntry, 1)
        assert stored is not None
        assert stored.created_at.hour == 7
