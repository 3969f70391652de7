"""Condition waiting without guessing sleeps.

Every change in the double (a request handled, a gateway session becoming
ready, a socket closing) calls :meth:`Notifier.notify`; waiters re-check their
predicate each time, so tests wait exactly as long as needed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Notifier:
    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Wake every waiter; they re-check their predicates."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait_for(self, predicate: Callable[[], T], timeout: float, what: str) -> T:
        """Return the first truthy ``predicate()`` value, or raise ``TimeoutError`` naming ``what``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"discord double: timed out after {timeout:g}s waiting for {what}")
            event = self._event
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)


async def eventually(predicate: Callable[[], T], what: str = "condition", timeout: float = 5.0) -> T:
    """Poll a condition on the *bot's* side (its cache), which the double's own waits cannot see.

    The double's ``wait_for`` wakes only when the double itself changes; the bot updates its
    state asynchronously after receiving an event, so tests of bot state poll instead.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if loop.time() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.01)
