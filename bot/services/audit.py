"""The moderators' audit log: who changed what, from what to what, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AuditEntry

MAX_VALUE_LENGTH = 200


@dataclass(frozen=True, slots=True)
class AuditRecord:
    actor_id: int
    action: str
    old_value: str | None
    new_value: str | None
    created_at: datetime


async def record(
    session: AsyncSession,
    guild_id: int,
    actor_id: int,
    action: str,
    old_value: object | None,
    new_value: object | None,
) -> None:
    session.add(
        AuditEntry(
            guild_id=guild_id,
            actor_id=actor_id,
            action=action,
            old_value=_text(old_value),
            new_value=_text(new_value),
        )
    )


async def recent(session: AsyncSession, guild_id: int, limit: int = 25) -> list[AuditRecord]:
    rows = await session.scalars(
        select(AuditEntry)
        .where(AuditEntry.guild_id == guild_id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    return [AuditRecord(r.actor_id, r.action, r.old_value, r.new_value, r.created_at) for r in rows]


def _text(value: object | None) -> str | None:
    return None if value is None else str(value)[:MAX_VALUE_LENGTH]
