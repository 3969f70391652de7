"""The one "now": cogs, services, the scheduler and stored timestamps all ask it.

Tests and the end-to-end scenarios move this clock (`travel`) instead of the system's, so every part
of the bot sees the same moved time, while what must stay real (asyncio's timers, discord.py's
heartbeat, TLS) does. It is aware UTC, always.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

_offset = timedelta()
_stopped_at: datetime | None = None


def now() -> datetime:
    """The current instant, aware UTC, as this process's clock says."""
    if _stopped_at is not None:
        return _stopped_at
    return datetime.now(UTC) + _offset


@contextlib.contextmanager
def travel(to: datetime, *, tick: bool = True) -> Iterator[None]:
    """Move the clock to `to` for the block: ticking on from there, or stopped there."""
    global _offset, _stopped_at
    if to.tzinfo is None:
        raise ValueError("travel to an aware datetime: a naive one has no place in time")
    saved = _offset, _stopped_at
    if tick:
        _offset, _stopped_at = to - datetime.now(UTC), None
    else:
        _stopped_at = to.astimezone(UTC)
    try:
        yield
    finally:
        _offset, _stopped_at = saved
