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


# What discord.py names the tasks that run the bot's handlers: slash commands, components and modals, events.
_HANDLER_TASKS = ("CommandTree-invoker", "discord-ui-", "discord.py: ")


async def settle(grace: float, *, handlers_only: bool = False) -> None:
    """At shutdown: let the work in flight finish, for up to `grace` seconds: the handlers answering people, and
    (unless `handlers_only`) background tasks; then cancel what is left and wait for it to unwind, so no
    database connection is left half-used."""
    current = asyncio.current_task()
    in_flight = {task for task in asyncio.all_tasks() if task is not current and not task.done() and (
        task.get_name().startswith(_HANDLER_TASKS) or (not handlers_only and task in _background))}
    if not in_flight:
        return
    _, late = await asyncio.wait(in_flight, timeout=grace)
    for task in late:
        task.cancel()
    if late:
        log.info("stopped %d tasks still running at shutdown", len(late))
        await asyncio.wait(late, timeout=grace)
