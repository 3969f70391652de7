"""Importing meetings from a feed's drafts: matched, created, updated, ended, in one pass."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import MeetingRow
from bot.services import audit, recurrence
from bot.services.errors import InvalidInput
from bot.services.meetings.data import (
    Meeting,
    MeetingDraft,
    slugify,
)
from bot.services.meetings.rows import to_meeting, write
from bot.services.meetings.store import MAX_MEETINGS_PER_SERVER, check_details, draft_of


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import stored: meetings created, changed, already as the feed says, and (for a synced
    feed) ended because the feed no longer lists them; drafts refused, with the reason."""

    created: list[Meeting]
    updated: list[Meeting]
    unchanged: int
    ended: list[Meeting]
    refused: list[tuple[MeetingDraft, str]]
    # Meetings the feed stopped listing but that were left running: so many vanished at once that
    # the feed is more likely broken than the meetings ended.
    held_back: int = 0

    @property
    def changed(self) -> list[Meeting]:
        return [*self.created, *self.updated, *self.ended]


# A synced feed that suddenly lists far fewer of its meetings is more likely broken than right.
ENDING_HELD_BACK_ABOVE = 0.5
ENDING_ALWAYS_ALLOWED = 5


async def import_drafts(session: AsyncSession, guild_id: int, actor_id: int, drafts: Iterable[MeetingDraft],
                        now: datetime, *, feed_id: int | None = None, end_missing: bool = False,
                        source: str = "a file") -> ImportResult:
    """Create or update meetings from a feed's drafts, matched by the feed's slug, else our short name.

    A feed says nothing of Discord roles or kinds, so those stay as the server set them; a feed row whose
    link is the meeting's own Discord channel (our export writes one) keeps the channel. With
    `end_missing`, meetings of feed `feed_id` that the feed no longer lists are ended, not deleted, unless
    more than half of them vanished at once. One audit row records the whole import.
    """
    rows = list(await session.scalars(select(MeetingRow).where(MeetingRow.guild_id == guild_id)))
    by_slug = {row.slug: row for row in rows}
    by_origin: dict[str, MeetingRow] = {}
    for row in sorted(rows, key=lambda r: r.feed_id != feed_id):  # this feed's own meetings win a tie
        if row.feed_slug is not None:
            by_origin.setdefault(row.feed_slug, row)
    count = len(rows)
    created_rows: list[MeetingRow] = []
    updated: list[Meeting] = []
    refused: list[tuple[MeetingDraft, str]] = []
    matched: set[int] = set()
    unchanged = 0
    for draft in drafts:
        existing = (by_origin.get(draft.origin.slug) if draft.origin else None) or by_slug.get(draft.slug or "")
        if existing is not None and existing.id in matched:
            refused.append((draft, "Another row of the feed already updated this meeting."))
            continue
        try:
            if existing is None:
                if count >= MAX_MEETINGS_PER_SERVER:
                    raise InvalidInput(f"The server has {MAX_MEETINGS_PER_SERVER:,} meetings, the most I keep.")
                checked = check_details(draft)
                slug = checked.slug or slugify(checked.name)
                if slug in by_slug:
                    raise InvalidInput(f"Another meeting already has the short name “{slug}”.")
                row = MeetingRow(guild_id=guild_id, slug=slug, created_by=actor_id, skipped_dates=[])
                write(row, checked)
                by_slug[slug] = row
                created_rows.append(row)
                count += 1
                continue
            matched.add(existing.id)
            current = to_meeting(existing)
            merged = check_details(_merged(current, draft))
            if dataclasses.replace(merged, origin=None) == dataclasses.replace(draft_of(current), origin=None):
                unchanged += 1
            else:
                updated.append(current)
            write(existing, merged)  # the origin (the feed's slug and date) is kept up to date either way
        except InvalidInput as refusal:
            refused.append((draft, refusal.message))
    ended: list[Meeting] = []
    held_back = 0
    if end_missing and feed_id is not None:
        ended, held_back = _end_missing(rows, feed_id, matched, now)
    await session.flush()
    await _insert_all(session, created_rows, now)
    updated = [to_meeting(by_slug[meeting.slug]) for meeting in updated]
    created = [to_meeting(row) for row in created_rows]
    summary = f"{len(created)} new, {len(updated)} changed, {len(ended)} ended from {source}"
    await audit.record(session, guild_id, actor_id, "meeting.import", None, summary[:200])
    return ImportResult(created, updated, unchanged, ended, refused, held_back)


async def _insert_all(session: AsyncSession, rows: list[MeetingRow], now: datetime) -> None:
    """Insert new meetings in batches of one statement each: a first import brings thousands, and the
    session inserts one row per statement when it must read each new id back."""
    if not rows:
        return
    columns = [column.key for column in MeetingRow.__table__.columns if column.key != "id"]
    for row in rows:
        row.created_at = row.updated_at = now
    values = [{key: getattr(row, key) for key in columns} for row in rows]
    # Matched back by slug (unique in the server): asking for the ids in order would cost the batching.
    table = cast(Table, MeetingRow.__table__)  # the table itself: the session's bulk path splits on None values
    inserted = await session.execute(insert(table).returning(table.c.id, table.c.slug), values)
    ids = {slug: new_id for new_id, slug in inserted}
    for row in rows:
        row.id = ids[row.slug]


def _merged(current: Meeting, draft: MeetingDraft) -> MeetingDraft:
    """`draft` as an update of `current`: what the feed can't say is kept, and an unchanged schedule
    keeps its start date (and so its place in every-other-week rules), or comes back if it had ended."""
    kept = draft_of(current)
    location = draft.location
    if draft.location.url is not None and draft.location.url == current.link() and current.location.channel_id:
        location = dataclasses.replace(kept.location, venue=draft.location.venue, address=draft.location.address)
    schedule = draft.recurrence
    was = current.recurrence
    if (schedule.rule, schedule.local_time, schedule.zone) == (was.rule, was.local_time, was.zone):
        schedule = dataclasses.replace(was, until=None)
    origin = draft.origin
    if origin and current.origin:
        # A feed we exported names the meeting by our short name and dates it by its last change here:
        # the meeting's origin in its intergroup's feed stays what it was.
        if origin.slug == current.slug:
            origin = dataclasses.replace(origin, slug=current.origin.slug)
        if origin.feed_id is None:  # a file doesn't take a meeting away from the feed it syncs from
            origin = dataclasses.replace(origin, feed_id=current.origin.feed_id)
        if current.origin.updated is None and current.updated_at and origin.updated and \
                origin.updated.replace(microsecond=0) == current.updated_at.replace(microsecond=0):
            origin = dataclasses.replace(origin, updated=None)
    return dataclasses.replace(draft, slug=current.slug, kind=kept.kind, location=location, recurrence=schedule,
                               facilitator_role_id=kept.facilitator_role_id, ping_role_id=kept.ping_role_id,
                               fellowship=draft.fellowship or kept.fellowship, origin=origin)


def _end_missing(rows: list[MeetingRow], feed_id: int, matched: set[int],
                 now: datetime) -> tuple[list[Meeting], int]:
    """End the feed's meetings it no longer lists (their next meeting no longer happens); or, when more
    than half of the feed's running meetings vanished at once, none of them, and say how many."""
    running = [(row, to_meeting(row)) for row in rows if row.feed_id == feed_id]
    running = [(row, meeting) for row, meeting in running if meeting.next_occurrence(now) is not None]
    gone = [(row, meeting) for row, meeting in running if row.id not in matched]
    if len(gone) > ENDING_ALWAYS_ALLOWED and len(gone) > ENDING_HELD_BACK_ABOVE * len(running):
        return [], len(gone)
    ended = []
    for row, meeting in gone:
        upcoming = meeting.next_occurrence(now)
        assert upcoming is not None
        row.until = recurrence.local_date(meeting.recurrence, upcoming) - timedelta(days=1)
        ended.append(to_meeting(row))
    return ended, 0
