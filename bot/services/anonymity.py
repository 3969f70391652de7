"""Anonymous authors, matched without being known: keyed hashes, and the blocks moderators put on them.

Every anonymous feature (reach-out requests now, check-ins next) stores an author only as `author_key`,
an HMAC of their Discord id under a key derived from the bot's secret key. The same member always has the
same key, so cooldowns, caps and blocks work; nobody with the database and without the bot's key can tell
who it is, and nobody with both learns it without trying every member's id. A block names the public
number it was made by ("request 42"), never the person.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import privacy
from bot.db import encryption
from bot.db.changes import ReadCache
from bot.db.models import AnonBlock
from bot.services import audit
from bot.services.errors import NotFound


def author_key(user_id: int) -> str:
    """The keyed hash that stands for a member wherever they write anonymously."""
    return hmac.new(encryption.signing_key(), f"author:{user_id}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Block:
    number: str
    created_at: datetime


# Asked at every anonymous post; blocks are rare: a server's set of blocked keys is kept in this process until a
# commit changes it (bot.db.changes).
_blocked: ReadCache[frozenset[str]] = ReadCache(AnonBlock.__tablename__)


async def is_blocked(session: AsyncSession, guild_id: int, key: str) -> bool:
    return key in await _blocked.get(session, guild_id, lambda: _read_blocked(session, guild_id))


async def _read_blocked(session: AsyncSession, guild_id: int) -> frozenset[str]:
    return frozenset(await session.scalars(select(AnonBlock.author_key).where(AnonBlock.guild_id == guild_id)))


async def block(session: AsyncSession, guild_id: int, key: str, number: str, moderator_id: int) -> bool:
    """Block the author behind `key` from this server's anonymous features; False if already blocked."""
    if await is_blocked(session, guild_id, key):
        return False
    session.add(AnonBlock(guild_id=guild_id, author_key=key, number=number, blocked_by=moderator_id))
    await audit.record(session, guild_id, moderator_id, "anon.block", None, number)
    await session.flush()
    return True


async def unblock(session: AsyncSession, guild_id: int, key: str, number: str, moderator_id: int) -> bool:
    """Lift the block on the author behind `key`; False if they were not blocked."""
    result = await session.execute(delete(AnonBlock).where(AnonBlock.guild_id == guild_id,
                                                           AnonBlock.author_key == key))
    if not getattr(result, "rowcount", 0):
        return False
    await audit.record(session, guild_id, moderator_id, "anon.unblock", number, None)
    return True


class _Numbered(Protocol):
    guild_id: Any
    author_key: Any


async def _author_of_number(session: AsyncSession, guild_id: int, model: type[_Numbered], label: str,
                            number: int) -> str:
    row = await session.get(model, number)
    if row is None or row.guild_id != guild_id or row.author_key is None:
        raise NotFound(f"There is no {label} #{number} in this server.")
    key: str = row.author_key
    return key


async def block_by_number(session: AsyncSession, guild_id: int, model: type[_Numbered], label: str, number: int,
                          moderator_id: int) -> bool:
    """Block the author of the anonymous post `label #number` (a request, a check-in), learning nothing of who."""
    key = await _author_of_number(session, guild_id, model, label, number)
    return await block(session, guild_id, key, f"{label} {number}", moderator_id)


async def unblock_by_number(session: AsyncSession, guild_id: int, model: type[_Numbered], label: str, number: int,
                            moderator_id: int) -> bool:
    key = await _author_of_number(session, guild_id, model, label, number)
    return await unblock(session, guild_id, key, f"{label} {number}", moderator_id)


async def export_member(session: AsyncSession, user_id: int) -> dict[str, Any]:
    rows = await session.execute(select(AnonBlock.guild_id, AnonBlock.number, AnonBlock.created_at)
                                 .where(AnonBlock.blocked_by == user_id).order_by(AnonBlock.id))
    blocked = await session.execute(select(AnonBlock.guild_id, AnonBlock.created_at)
                                    .where(AnonBlock.author_key == author_key(user_id)))
    return {
        "anonymous_authors_you_blocked": [{"server": str(g), "by": number, "at": at.isoformat()}
                                          for g, number, at in rows],
        "servers_that_blocked_your_anonymous_posts": [{"server": str(g), "since": at.isoformat()}
                                                      for g, at in blocked],
    }


async def forget_member(session: AsyncSession, user_id: int) -> int:
    """Blocks a moderator made stay the server's, under a pseudonym. A block on the member stays too: it
    holds no id, and erasing it would let anyone blocked for abuse lift their own block."""
    result = await session.execute(update(AnonBlock).where(AnonBlock.blocked_by == user_id)
                                   .values(blocked_by=privacy.pseudonym(user_id)))
    return int(getattr(result, "rowcount", 0) or 0)


privacy.register(privacy.Area(
    name="Anonymous posting",
    stored="If a moderator blocked your anonymous posts in a server: a coded stand-in for you (not your id) and "
           "the public number they blocked it by. If you blocked someone as a moderator: that it was you.",
    encrypted="The stand-in is a keyed code that can't be turned back into who you are.",
    who_sees="Nobody can see who a block is on, moderators included; they see only its public number.",
    kept_for="Until a moderator lifts it. Deleting your data doesn't lift a block on you (it names nobody); blocks "
             "you made stay the server's, under a pseudonym.",
    tables=("anon_blocks",),
    export=export_member,
    forget=forget_member,
))
