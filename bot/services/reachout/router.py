"""Requests of one server that arrive together are opened together.

Routing reads who is free and writes who was pinged, and two routings of one server must not interleave
(both could take a volunteer's last ping), so they take turns. Taking turns one request at a time, 200 people
asking at once would wait for 200 transactions in a row; here, the requests that arrive while one routing
runs wait for the next, and go in it together: one transaction, one read, one write, in order of arrival.
A request on its own is routed at once, as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.engine import writing
from bot.scheduler import Scheduler
from bot.services.errors import DomainError
from bot.services.reachout import requests
from bot.services.reachout.requests import Ask, Opened
from bot.tasks import create_task

BATCH_MAX = 100  # a bigger batch would hold one transaction for long


class Router:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], scheduler: Scheduler,
                 clock: Callable[[], datetime]) -> None:
        self._sessions, self._scheduler, self._clock = sessions, scheduler, clock
        self._waiting: dict[int, list[tuple[Ask, asyncio.Future[Opened]]]] = {}
        self._draining: dict[int, asyncio.Task[None]] = {}

    async def open(self, guild_id: int, ask: Ask) -> Opened:
        """Open and route `ask` in `guild_id`; raises the `DomainError` that says why it can't be sent."""
        answer: asyncio.Future[Opened] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(guild_id, []).append((ask, answer))
        if guild_id not in self._draining:
            self._draining[guild_id] = create_task(self._drain(guild_id), name=f"reachout-routing-{guild_id}")
        return await answer

    async def _drain(self, guild_id: int) -> None:
        try:
            while waiting := self._waiting.get(guild_id):
                batch, self._waiting[guild_id] = waiting[:BATCH_MAX], waiting[BATCH_MAX:]
                try:
                    async with requests.turn(guild_id), writing(self._sessions) as session:
                        results = await requests.open_requests(session, self._scheduler, guild_id,
                                                               [ask for ask, _ in batch], self._clock())
                except Exception as failed:  # the whole transaction: every request in it hears of it
                    for _, answer in batch:
                        if not answer.done():
                            answer.set_exception(failed)
                    continue
                for (_, answer), result in zip(batch, results, strict=True):
                    if answer.done():
                        continue
                    if isinstance(result, DomainError):
                        answer.set_exception(result)
                    else:
                        answer.set_result(result)
        finally:
            self._draining.pop(guild_id, None)
            for _, answer in self._waiting.pop(guild_id, []):  # only when cancelled (shutting down)
                answer.cancel()
