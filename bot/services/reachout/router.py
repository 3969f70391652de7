"""Requests of one server that arrive together are opened together.

Routing reads who is free and writes who was pinged, and two routings of one server must not interleave
(both could take a volunteer's last ping), so they take turns. Taking turns one request at a time, 200 people
asking at once would wait for 200 transactions in a row; with `bot.batching`, the requests that arrive while
one routing runs go in the next, together: one transaction, one read, one write, in order of arrival.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.batching import Batcher
from bot.db.engine import writing
from bot.scheduler import Scheduler
from bot.services.reachout import requests
from bot.services.reachout.requests import Ask, Opened


class Router:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], scheduler: Scheduler,
                 clock: Callable[[], datetime]) -> None:
        self._sessions, self._scheduler, self._clock = sessions, scheduler, clock
        self._batches: Batcher[Ask, Opened] = Batcher(self._open, name="reachout-routing")

    async def open(self, guild_id: int, ask: Ask) -> Opened:
        """Open and route `ask` in `guild_id`; raises the `DomainError` that says why it can't be sent."""
        return await self._batches.submit(guild_id, ask)

    async def _open(self, guild_id: Hashable, asks: list[Ask]) -> list[Opened | Exception]:
        assert isinstance(guild_id, int)
        async with requests.turn(guild_id), writing(self._sessions) as session:
            return list(await requests.open_requests(session, self._scheduler, guild_id, asks, self._clock()))
