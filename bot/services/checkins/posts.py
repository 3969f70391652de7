"""Anonymous posts of check-ins: what a post shows, support passed on to its author, reports, blocks, and the
author taking their post down. Nothing here returns or stores who wrote a post, except to the one step
that DMs them (`author_of`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import CheckinReport, CheckinRow
from bot.services import anonymity, guild_config
from bot.services.checkins.entries import Entry, as_entry, mine
from bot.services.errors import DomainError, NotFound
from bot.services.text import checked

SUPPORT_MAX = 1000
SIGNATURE_MAX = 80


@dataclass(frozen=True, slots=True)
class ToPost:
    entry: Entry
    guild_id: int
    channel_id: int | None


async def to_post(session: AsyncSession, checkin_id: int) -> ToPost | None:
    """What the posting job needs; None when it was taken down (or erased) before its time."""
    row = await session.get(CheckinRow, checkin_id)
    if row is None or row.guild_id is None or row.removed or row.author_key is None:
        return None
    config = await guild_config.get(session, row.guild_id)
    return ToPost(as_entry(row), row.guild_id, config.checkins_channel_id)


async def record_post(session: AsyncSession, checkin_id: int, channel_id: int, message_id: int) -> None:
    await session.execute(update(CheckinRow).where(CheckinRow.id == checkin_id)
                          .values(post_channel_id=channel_id, post_message_id=message_id))


async def take_down(session: AsyncSession, checkin_id: int, user_id: int) -> tuple[int | None, int | None]:
    """The author takes their post down (or it never appears, if not posted yet); where it was."""
    row = await mine(session, checkin_id, user_id)
    if row.guild_id is None:
        raise DomainError("This check-in was never shared.")
    if row.removed:
        raise DomainError("You've taken this post down already.")
    row.removed = True
    return row.post_channel_id, row.post_message_id


async def author_of(session: AsyncSession, checkin_id: int) -> tuple[Entry, int]:
    """The post and its author's id, to DM them support; read for this moment only, never stored elsewhere."""
    row = await session.get(CheckinRow, checkin_id)
    if row is None or row.removed or row.author_secret is None:
        raise NotFound("That check-in is no longer shared.")
    return as_entry(row), int(row.author_secret)


def check_support(text: str, signature: str | None) -> tuple[str, str | None]:
    words = checked(text, "message", SUPPORT_MAX, required=True, one_line=False) or ""
    name = checked(signature, "name", SIGNATURE_MAX)
    return words, name


async def report(session: AsyncSession, checkin_id: int, reporter_id: int) -> Entry:
    """A member reports a post to the moderators; each member once per post."""
    row = await session.get(CheckinRow, checkin_id)
    if row is None or row.guild_id is None or row.removed:
        raise NotFound("That check-in is no longer shared.")
    try:
        async with session.begin_nested():
            session.add(CheckinReport(checkin_id=checkin_id, reporter_key=anonymity.author_key(reporter_id)))
    except IntegrityError:
        raise DomainError("You've reported this check-in already; the moderators have it.") from None
    return as_entry(row)


async def block_author(session: AsyncSession, guild_id: int, number: int, moderator_id: int) -> bool:
    """Block the author of check-in `number` from this server's anonymous features, without learning who."""
    return await anonymity.block_by_number(session, guild_id, CheckinRow, "check-in", number, moderator_id)


async def unblock_author(session: AsyncSession, guild_id: int, number: int, moderator_id: int) -> bool:
    return await anonymity.unblock_by_number(session, guild_id, CheckinRow, "check-in", number, moderator_id)


async def posts_of(session: AsyncSession, user_id: int) -> list[tuple[int, int]]:
    """(channel, message) of every post the member shared, for erasing their data."""
    rows = await session.execute(select(CheckinRow.post_channel_id, CheckinRow.post_message_id).where(
        CheckinRow.author_key == anonymity.author_key(user_id), CheckinRow.post_message_id.is_not(None),
        CheckinRow.removed.is_(False)))
    return [(channel, message) for channel, message in rows if channel and message]

