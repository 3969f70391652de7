"""Meeting rows and plain `Meeting`s, both ways, and the reads every other meetings module shares."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Executable, Result, Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import MeetingRow
from bot.services.errors import NotFound
from bot.services.meetings.data import (
    SLUG_MAX,
    FeedOrigin,
    Location,
    Meeting,
    MeetingDraft,
    MeetingKind,
    Place,
)
from bot.services.recurrence import Recurrence

# Every column, to read meetings as plain rows: loading thousands as ORM objects, tracked for
# changes nobody will make, costs twice as much. (Still an ORM select, so it flushes first.)
COLUMNS = tuple(getattr(MeetingRow, column.key) for column in MeetingRow.__mapper__.column_attrs)
TIMES_COLUMNS = (MeetingRow.id, MeetingRow.guild_id, MeetingRow.rule, MeetingRow.local_time, MeetingRow.zone,
                  MeetingRow.starts_on, MeetingRow.until, MeetingRow.duration_minutes, MeetingRow.skipped_dates)


async def plain_rows(session: AsyncSession, query: Executable) -> Result[Any]:
    """Rows of columns, read through the session's connection: the busiest reads (planning every
    meeting, a server's list) need none of the session's object handling, which costs a third more."""
    return await (await session.connection()).execute(query)


def skipped_of(stored: list[str] | None) -> frozenset[date]:
    return frozenset(date.fromisoformat(d) for d in stored or ())


def to_meeting(row: MeetingRow | Row[Any]) -> Meeting:
    return Meeting(
        id=row.id, guild_id=row.guild_id, slug=row.slug, name=row.name, kind=MeetingKind(row.kind),
        recurrence=Recurrence(row.rule, row.local_time, row.zone, row.starts_on, row.until),
        duration_minutes=row.duration_minutes,
        location=Location(Place(row.place) if row.place else None, row.channel_id, row.url, row.phone,
                          row.url_notes, row.phone_notes, row.venue, row.address),
        types=tuple(row.types or ()), description=row.description, fellowship=row.fellowship,
        facilitator_role_id=row.facilitator_role_id, ping_role_id=row.ping_role_id,
        skipped=skipped_of(row.skipped_dates),
        event_id=row.event_id, event_start=row.event_start, event_problem=row.event_problem,
        origin=FeedOrigin(row.feed_slug, row.feed_id, row.listed_updated_at) if row.feed_slug is not None else None,
        created_at=row.created_at, updated_at=row.updated_at,
    )


def write(row: MeetingRow, draft: MeetingDraft) -> None:
    rec = draft.recurrence
    row.name, row.kind, row.fellowship = draft.name, draft.kind.value, draft.fellowship
    row.types, row.description = list(draft.types), draft.description
    where = draft.location
    row.place = where.place.value if where.place else None
    row.channel_id, row.url, row.phone = where.channel_id, where.url, where.phone
    row.url_notes, row.phone_notes, row.venue, row.address = where.url_notes, where.phone_notes, where.venue, \
        where.address
    origin = draft.origin
    row.feed_slug, row.feed_id, row.listed_updated_at = (origin.slug, origin.feed_id, origin.updated) if origin \
        else (None, None, None)
    row.duration_minutes = draft.duration_minutes
    row.facilitator_role_id, row.ping_role_id = draft.facilitator_role_id, draft.ping_role_id
    row.rule, row.local_time, row.zone, row.starts_on, row.until = (
        rec.rule, rec.local_time, rec.zone, rec.starts_on, rec.until)
    if draft.slug:
        row.slug = draft.slug


def summary(row: MeetingRow) -> str:
    return f"{row.id} {row.name}: {row.rule} {row.local_time:%H:%M} {row.zone} {row.duration_minutes}min"


GONE = "That meeting no longer exists. See /meeting list for the current ones."


async def row_of(session: AsyncSession, guild_id: int, meeting_id: int) -> MeetingRow:
    row = await session.get(MeetingRow, meeting_id)
    if row is None or row.guild_id != guild_id:
        raise NotFound(GONE)
    return row


async def by_slug(session: AsyncSession, guild_id: int, slug: str) -> MeetingRow | None:
    row: MeetingRow | None = await session.scalar(
        select(MeetingRow).where(MeetingRow.guild_id == guild_id, MeetingRow.slug == slug))
    return row


async def free_slug(session: AsyncSession, guild_id: int, base: str) -> str:
    """`base`, or `base-2`, `base-3`… cut so that the number still fits in SLUG_MAX."""
    taken = set(await session.scalars(select(MeetingRow.slug).where(MeetingRow.guild_id == guild_id)))
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        suffix = f"-{n}"
        candidate = base[:SLUG_MAX - len(suffix)].rstrip("-") + suffix
    return candidate
