"""The bot's one clock (bot.clock) moved for a while, as after running until then: reminders, escalations and
rollovers then happen through the same code as in production."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from bot import clock


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """The bot's clock at `moment` (ticking on) inside the block."""
    with clock.travel(moment):
        yield
