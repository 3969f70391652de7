"""Fire-and-forget tasks that are neither garbage-collected mid-flight nor silent when they fail."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

# The event loop keeps only weak references to tasks; this keeps them alive until done.
_background: set[asyncio.Task[Any]] = set()


def create_task(coro: Coroutine[Any, Any, T], *, name: str | None = None) -> asyncio.Task[T]:
    task = asyncio.get_running_loop().create_task(coro, name=name)
    _background.add(task)
    task.add_done_callback(_background.discard)
    task.add_done_callback(_log_failure)
    return task


def _log_failure(task: asyncio.Task[Any]) -> None:
    if task.cancelled():
        return
    if (exc := task.exception()) is not None:
        log.error("background task %s failed", task.get_name(), exc_info=exc)
