"""Check-ins that arrive together are kept together (bot.batching): a burst of them, the evening the daily
reminders go out, waits for a few transactions rather than one each."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.batching import Batcher
from bot.db.engine import writing
from bot.services.checkins import entries
from bot.services.checkins.entries import Entry, NewCheckin


class Recorder:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Callable[[], datetime]) -> None:
        self._sessions, self._clock = sessions, clock
        self._batches: Batcher[NewCheckin, Entry] = Batcher(self._record, name="checkins")

    async def record(self, new: NewCheckin) -> Entry:
        """Keep `new`; raises the `InvalidInput` that says why it can't be kept."""
        return await self._batches.submit(None, new)

    async def _record(self, _: Hashable, batch: list[NewCheckin]) -> list[Entry | Exception]:
        async with writing(self._sessions) as session:
            return await entries.record_many(session, batch, self._clock())
