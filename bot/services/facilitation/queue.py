"""A run's speaking queue: raised hands, first come first served, or those who haven't shared yet first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import MeetingRun, QueuedHand, Shared
from bot.services.errors import InvalidInput, NotFound

SHOWN = 25  # hands listed on the panel; the rest are counted


async def _open(session: AsyncSession, run_id: int) -> MeetingRun:
    # Locked for the transaction (PostgreSQL; SQLite writes one at a time anyway): hands raised at the same
    # moment then queue one after another, so no two are told the same place.
    row = await session.get(MeetingRun, run_id, with_for_update=True)
    if row is None or row.ended_at is not None:
        raise NotFound("That meeting isn't running any more.")
    return row


async def raise_hands(session: AsyncSession, run_id: int, user_ids: list[int]) -> dict[int, int]:
    """Into the queue, in this order (each once, however often pressed): hands raised together in one statement.
    Returns each one's place in the queue."""
    await _open(session, run_id)
    dialect = (await session.connection()).dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    rows = [{"run_id": run_id, "user_id": user} for user in dict.fromkeys(user_ids)]
    await session.execute(insert(QueuedHand).values(rows).on_conflict_do_nothing())
    order = await hands(session, run_id)
    places = {user: place for place, user in enumerate(order, start=1)}
    return {user: places[user] for user in user_ids}


async def raise_hand(session: AsyncSession, run_id: int, user_id: int) -> int:
    """Into the queue (once, however often pressed); returns their place in it."""
    return (await raise_hands(session, run_id, [user_id]))[user_id]


async def lower_hand(session: AsyncSession, run_id: int, user_id: int) -> bool:
    await _open(session, run_id)
    result = await session.execute(delete(QueuedHand).where(QueuedHand.run_id == run_id,
                                                            QueuedHand.user_id == user_id))
    return bool(getattr(result, "rowcount", 0))


async def hands(session: AsyncSession, run_id: int) -> list[int]:
    """Everyone in the queue, in order."""
    return list(await session.scalars(select(QueuedHand.user_id).where(QueuedHand.run_id == run_id)
                                      .order_by(QueuedHand.id)))


@dataclass(frozen=True, slots=True)
class Called:
    user_id: int
    first_share: bool


async def take_next(session: AsyncSession, run_id: int, *, shares: bool) -> Called:
    """The next in line leaves the queue: called to share (`shares`), or skipped. With the run's "newcomers
    first" rule, the first in line who hasn't shared yet comes before those who have."""
    row = await _open(session, run_id)
    queued = await hands(session, run_id)
    if not queued:
        raise InvalidInput("Nobody is in the queue. Members press Raise hand (or use /queue join) to share.")
    have_shared = set(await session.scalars(select(Shared.user_id).where(Shared.run_id == run_id)))
    chosen = queued[0]
    if row.newcomers_first:
        chosen = next((u for u in queued if u not in have_shared), chosen)
    await lower_hand(session, run_id, chosen)
    first = chosen not in have_shared
    if shares and first:
        session.add(Shared(run_id=run_id, user_id=chosen))
    await session.flush()
    return Called(chosen, first)


async def clear(session: AsyncSession, run_id: int) -> int:
    await _open(session, run_id)
    result = await session.execute(delete(QueuedHand).where(QueuedHand.run_id == run_id))
    return int(getattr(result, "rowcount", 0) or 0)
