"""Timing the /meeting list service call, shared by the benchmarks that fill a server with meetings."""

from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import meetings
from bot.services.meetings import kept


async def list_calls(sessions: async_sessionmaker[AsyncSession], guild_id: int, now: datetime, calls: int,
                     cold_every: int) -> tuple[list[float], list[float], int]:
    """Seconds per `meetings.upcoming` call, each in a fresh session. Cold: the server's week worked out
    afresh (the day's first list, or after a change), every `cold_every`th call; warm: the week kept in
    memory, as every other list that day. Also how many occurrences the list held."""
    cold: list[float] = []
    warm: list[float] = []
    found = 0
    for call in range(calls):
        if call % cold_every == 0:
            kept._servers.clear()  # a benchmark may look inside: forget every server's meetings and week
        async with sessions() as session:
            began = time.perf_counter()
            found = len(await meetings.upcoming(session, guild_id, now))
            (cold if call % cold_every == 0 else warm).append(time.perf_counter() - began)
    return cold, warm, found
