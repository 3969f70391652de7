"""Work that arrives together is done together: what comes in while one batch runs goes in the next.

A write transaction per item makes a burst wait for as many transactions in a row (SQLite has one writer;
on PostgreSQL each commit waits for the disk). Here the first item goes at once, alone; those arriving
meanwhile wait for it, then go together, one transaction for them all. Each item still gets its own answer,
or its own error, and items with different keys (different servers) never wait for each other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from bot.tasks import create_task

In = TypeVar("In")
Out = TypeVar("Out")

# The batch runner answers each item, in order: its result, or the exception that item alone raised.
Runner = Callable[[Hashable, list[In]], Awaitable[list[Out | Exception]]]


class Batcher(Generic[In, Out]):
    def __init__(self, run: Runner[In, Out], *, largest: int = 100, name: str = "batch") -> None:
        self._run, self._largest, self._name = run, largest, name
        self._waiting: dict[Hashable, list[tuple[In, asyncio.Future[Out]]]] = {}
        self._draining: dict[Hashable, asyncio.Task[None]] = {}

    async def submit(self, key: Hashable, item: In) -> Out:
        """Do `item` (with others of the same `key` that arrive together); its result, or its error, raised."""
        answer: asyncio.Future[Out] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append((item, answer))
        if key not in self._draining:
            self._draining[key] = create_task(self._drain(key), name=f"{self._name}-{key}")
        return await answer

    async def _drain(self, key: Hashable) -> None:
        try:
            while waiting := self._waiting.get(key):
                batch, self._waiting[key] = waiting[:self._largest], waiting[self._largest:]
                try:
                    results = await self._run(key, [item for item, _ in batch])
                except Exception as failed:  # the whole batch failed: every item in it hears of it
                    results = [failed] * len(batch)
                for (_, answer), result in zip(batch, results, strict=True):
                    if answer.done():
                        continue
                    if isinstance(result, Exception):
                        answer.set_exception(result)
                    else:
                        answer.set_result(result)
        finally:
            self._draining.pop(key, None)
            for _, answer in self._waiting.pop(key, []):  # only when cancelled (shutting down)
                answer.cancel()
