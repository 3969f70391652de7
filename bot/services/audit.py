"""The moderators' audit log: who changed what, from what to what, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import privacy
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


# -- a member's data ------------------------------------------------------------------------------

async def export_member(session: AsyncSession, user_id: int) -> dict[str, Any]:
    rows = await session.scalars(select(AuditEntry).where(AuditEntry.actor_id == user_id)
                                 .order_by(AuditEntry.created_at, AuditEntry.id))
    return {"changes_you_made": [{"server": str(r.guild_id), "action": r.action, "from": r.old_value,
                                  "to": r.new_value, "at": r.created_at.isoformat()} for r in rows]}


async def forget_member(session: AsyncSession, user_id: int) -> int:
    """The member's audit rows stay (what was done matters to a server), under a pseudonym."""
    result = await session.execute(update(AuditEntry).where(AuditEntry.actor_id == user_id)
                                   .values(actor_id=privacy.pseudonym(user_id)))
    return int(getattr(result, "rowcount", 0) or 0)


privacy.register(privacy.Area(
    name="Server setup log",
    stored="If you changed a server's setup or its meetings as a moderator or manager: what you changed, from "
           "what to what, and when (the server's audit log).",
    encrypted="Nothing: these are a server's settings, not personal notes.",
    who_sees="It is kept for the server's moderators; today the bot shows it to nobody.",
    kept_for="As long as the server keeps its log. Deleting your data replaces your id in it with a pseudonym: "
             "what was done stays, not who did it.",
    tables=("audit_log",),
    export=export_member,
    forget=forget_member,
))
