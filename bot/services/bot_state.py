"""Small facts the bot remembers about itself between runs."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import BotState


async def get(session: AsyncSession, key: str) -> str | None:
    row = await session.get(BotState, key)
    return row.value if row else None


async def put(session: AsyncSession, key: str, value: str) -> None:
    row = await session.get(BotState, key)
    if row is None:
        session.add(BotState(key=key, value=value))
    else:
        row.value = value
