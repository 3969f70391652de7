"""Storing meetings: create, change, skip a date, end, delete, and find them.

Plain values in, plain `Meeting`s out. Jobs and Discord events that follow a meeting are kept in step by
`reminders` and the meetings cog; this module only stores what is true.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import MeetingReminderOptIn, MeetingRow
from bot.services import audit, guild_config, recurrence
from bot.services.errors import InvalidInput, NotFound
from bot.services.meetings import kept
from bot.services.meetings.data import (
    DESCRIPTION_MAX,
    FELLOWSHIP_MAX,
    NAME_MAX,
    SLUG_MAX,
    Meeting,
    MeetingDraft,
    MeetingTimes,
    check_location,
    clean_text,
    slugify,
    validate_duration,
    validate_slug,
)
from bot.services.meetings.rows import (
    COLUMNS,
    GONE,
    TIMES_COLUMNS,
    by_slug,
    free_slug,
    plain_rows,
    row_of,
    skipped_of,
    summary,
    to_meeting,
    write,
)
from bot.services.meetings.schedules import occurrence_on
from bot.services.recurrence import Recurrence
from bot.services.text import clean, escape_markdown, excerpt

# An intergroup's whole online list fits; the Events tab shows the soonest 100 (Discord's limit).
MAX_MEETINGS_PER_SERVER = 2000
FALLBACK_ZONE = "UTC"


def check_details(draft: MeetingDraft) -> MeetingDraft:
    """The draft with its texts trimmed and every limit checked."""
    return dataclasses.replace(
        draft,
        location=check_location(draft.location),
        name=clean_text(draft.name, "name", NAME_MAX, required=True) or "",
        description=clean_text(draft.description, "description", DESCRIPTION_MAX, one_line=False),
        fellowship=clean_text(draft.fellowship, "fellowship", FELLOWSHIP_MAX),
        duration_minutes=validate_duration(draft.duration_minutes),
        slug=validate_slug(draft.slug) if draft.slug else None,
    )


async def server_zone(session: AsyncSession, guild_id: int, fallback: str | None) -> str:
    """The zone new meetings default to: the server's, else the bot's configured default."""
    return (await guild_config.get(session, guild_id)).timezone or fallback or FALLBACK_ZONE


async def create(session: AsyncSession, guild_id: int, actor_id: int, draft: MeetingDraft) -> Meeting:
    draft = check_details(draft)
    count = await session.scalar(select(func.count()).select_from(MeetingRow).where(MeetingRow.guild_id == guild_id))
    if (count or 0) >= MAX_MEETINGS_PER_SERVER:
        raise InvalidInput(f"This server already has {MAX_MEETINGS_PER_SERVER:,} meetings, the most I keep. "
                           "Delete meetings that no longer happen with /meeting delete.")
    slug = draft.slug or await free_slug(session, guild_id, slugify(draft.name))
    if draft.slug and await by_slug(session, guild_id, slug) is not None:
        raise InvalidInput(f"Another meeting already has the short name “{slug}”. Pick a different one.")
    row = MeetingRow(guild_id=guild_id, slug=slug, created_by=actor_id, skipped_dates=[])
    write(row, draft)
    session.add(row)
    await session.flush()
    await audit.record(session, guild_id, actor_id, "meeting.create", None, f"{row.id} {row.name}")
    return to_meeting(row)


async def replace_details(session: AsyncSession, guild_id: int, meeting_id: int, actor_id: int,
                          draft: MeetingDraft) -> Meeting:
    """Store `draft` as the meeting's details (its skipped dates stay, where still in the rule)."""
    draft = check_details(draft)
    row = await row_of(session, guild_id, meeting_id)
    if draft.slug and draft.slug != row.slug and await by_slug(session, guild_id, draft.slug) is not None:
        raise InvalidInput(f"Another meeting already has the short name “{draft.slug}”. Pick a different one.")
    before = summary(row)
    write(row, dataclasses.replace(draft, slug=draft.slug or row.slug))
    await session.flush()
    await audit.record(session, guild_id, actor_id, "meeting.edit", before, summary(row))
    return to_meeting(row)


def draft_of(meeting: Meeting) -> MeetingDraft:
    """A meeting's details as a draft, to change some of them with dataclasses.replace."""
    return MeetingDraft(
        name=meeting.name, recurrence=meeting.recurrence, kind=meeting.kind,
        duration_minutes=meeting.duration_minutes, location=meeting.location, types=meeting.types,
        description=meeting.description, fellowship=meeting.fellowship,
        facilitator_role_id=meeting.facilitator_role_id, ping_role_id=meeting.ping_role_id, slug=meeting.slug,
        origin=meeting.origin,
    )


async def skip_occurrence(session: AsyncSession, guild_id: int, meeting_id: int, actor_id: int,
                          on: date) -> Meeting:
    """Cancel the occurrence on local date `on`; the series goes on."""
    row = await row_of(session, guild_id, meeting_id)
    meeting = to_meeting(row)
    if on in meeting.skipped:
        raise InvalidInput(f"The {on:%A %d %B} meeting is already cancelled.")
    if occurrence_on(meeting, on) is None:
        raise InvalidInput(f"**{escape_markdown(meeting.name)}** doesn't meet on {on:%A %d %B %Y}. Pick one of the "
                           "dates suggested as you type.")
    row.skipped_dates = sorted({*row.skipped_dates, on.isoformat()})
    await audit.record(session, guild_id, actor_id, "meeting.skip", None, f"{row.id} {on.isoformat()}")
    await session.flush()
    return to_meeting(row)


async def end_series(session: AsyncSession, guild_id: int, meeting_id: int, actor_id: int,
                     now: datetime) -> Meeting:
    """Stop the series: no occurrence after `now` happens. The meeting stays until deleted."""
    row = await row_of(session, guild_id, meeting_id)
    meeting = to_meeting(row)
    upcoming = meeting.next_occurrence(now)
    if upcoming is None:
        raise InvalidInput(f"**{escape_markdown(meeting.name)}** has no meetings left to cancel; /meeting delete "
                           "removes it.")
    last_day = recurrence.local_date(meeting.recurrence, upcoming) - timedelta(days=1)
    # An end before the start date is how a series that never met is ended.
    row.until = last_day
    await audit.record(session, guild_id, actor_id, "meeting.end", None, f"{row.id} until {last_day.isoformat()}")
    await session.flush()
    return to_meeting(row)


async def delete_meeting(session: AsyncSession, guild_id: int, meeting_id: int, actor_id: int) -> Meeting:
    row = await row_of(session, guild_id, meeting_id)
    meeting = to_meeting(row)
    await session.execute(delete(MeetingReminderOptIn).where(MeetingReminderOptIn.meeting_id == row.id))
    await session.delete(row)
    await audit.record(session, guild_id, actor_id, "meeting.delete", f"{meeting.id} {meeting.name}", None)
    await session.flush()
    return meeting


async def record_event(session: AsyncSession, meeting_id: int, event_id: int | None,
                       event_start: datetime | None, problem: str | None) -> None:
    """Remember which Discord event shows the meeting (or why there is none)."""
    row = await session.get(MeetingRow, meeting_id)
    if row is not None:
        row.event_id, row.event_start, row.event_problem = event_id, event_start, problem
        await session.flush()


async def get(session: AsyncSession, guild_id: int, meeting_id: int) -> Meeting:
    if kept.applies(session):
        found = (await kept.of_server(session, guild_id)).by_id.get(meeting_id)
        if found is None:
            raise NotFound(GONE)
        return found
    return to_meeting(await row_of(session, guild_id, meeting_id))


async def find(session: AsyncSession, meeting_id: int) -> Meeting | None:
    """A meeting by id in any server (for jobs, which carry only the id), or None if deleted."""
    row = await session.get(MeetingRow, meeting_id)
    return to_meeting(row) if row else None


def meeting_id(text: str) -> int | None:
    """The meeting id an autocomplete choice carries, or None for anything else typed.

    Only ASCII digits that fit a database id: `str.isdigit` also takes "²", and twenty nines
    overflow every database's integer.
    """
    return int(text) if re.fullmatch(r"[0-9]{1,18}", text) else None


async def resolve(session: AsyncSession, guild_id: int, reference: str) -> Meeting:
    """A meeting from what was typed or picked: its id (from autocomplete), short name or name."""
    text = clean(reference, one_line=True)  # PostgreSQL refuses a NUL even in a query's parameter
    found = await (_resolve_kept(session, guild_id, text) if kept.applies(session)
                   else _resolve_stored(session, guild_id, text))
    if found is None:
        raise NotFound(f"I can't find a meeting called “{excerpt(text, 60)}” here. Start typing its name and "
                       "pick it from the suggestions, or see /meeting list.")
    return found


async def _resolve_kept(session: AsyncSession, guild_id: int, text: str) -> Meeting | None:
    server = await kept.of_server(session, guild_id)
    picked = meeting_id(text)
    found = server.by_id.get(picked) if picked is not None else None
    if found is None:
        found = server.by_slug.get(text.lower())
    if found is None:
        named = server.by_name.get(text.casefold(), [])
        found = named[0] if len(named) == 1 else None
    return found


async def _resolve_stored(session: AsyncSession, guild_id: int, text: str) -> Meeting | None:
    row = None
    picked = meeting_id(text)
    if picked is not None:
        row = await session.scalar(select(MeetingRow).where(MeetingRow.guild_id == guild_id, MeetingRow.id == picked))
    if row is None and len(text) <= SLUG_MAX:
        row = await by_slug(session, guild_id, text.lower())
    if row is None and len(text) <= NAME_MAX:
        # Compared in Python: SQLite's lower() folds only ASCII, and names are often not.
        wanted = text.casefold()
        names = await plain_rows(session, select(MeetingRow.id, MeetingRow.name)
                                  .where(MeetingRow.guild_id == guild_id))
        matches = [row.id for row in names if row.name.casefold() == wanted]
        if len(matches) == 1:
            row = await session.get(MeetingRow, matches[0])
    return to_meeting(row) if row is not None else None


async def all_in(session: AsyncSession, guild_id: int) -> list[Meeting]:
    """The server's meetings by name (then id)."""
    if kept.applies(session):
        return list((await kept.of_server(session, guild_id)).meetings)
    rows = await plain_rows(session, select(*COLUMNS).where(MeetingRow.guild_id == guild_id)
                             .order_by(MeetingRow.name, MeetingRow.id))
    return [to_meeting(r) for r in rows]


async def every_schedule(session: AsyncSession) -> list[MeetingTimes]:
    """When every meeting of every server happens, for planning reminders ahead; only what that needs."""
    rows = await plain_rows(session, select(*TIMES_COLUMNS).order_by(MeetingRow.id))
    return [MeetingTimes(row.id, row.guild_id, Recurrence(row.rule, row.local_time, row.zone, row.starts_on, row.until),
                         row.duration_minutes, skipped_of(row.skipped_dates)) for row in rows]


async def without_event(session: AsyncSession, guild_id: int | None = None) -> list[Meeting]:
    """Meetings with a place but no Discord event (refused earlier, or never made), to try again."""
    query = select(*COLUMNS).where(MeetingRow.event_id.is_(None), MeetingRow.place.is_not(None))
    if guild_id is not None:
        query = query.where(MeetingRow.guild_id == guild_id)
    return [to_meeting(r) for r in await plain_rows(session, query.order_by(MeetingRow.id))]


async def servers_waiting_for_events(session: AsyncSession) -> list[int]:
    """Servers with meetings that have a place but no Discord event."""
    return list(await session.scalars(select(MeetingRow.guild_id).where(
        MeetingRow.event_id.is_(None), MeetingRow.place.is_not(None)).distinct()))


async def note_event_problem(session: AsyncSession, guild_id: int, problem: str) -> None:
    """Record why the server's meetings without an event have none, when the reason is the server's
    (a missing permission, the event limit): one attempt told it, so no need to ask Discord for each."""
    await session.execute(update(MeetingRow).where(
        MeetingRow.guild_id == guild_id, MeetingRow.event_id.is_(None), MeetingRow.place.is_not(None),
        or_(MeetingRow.event_problem.is_(None), MeetingRow.event_problem != problem)).values(event_problem=problem))


async def search(session: AsyncSession, guild_id: int, text: str, limit: int = 25) -> list[Meeting]:
    """Meetings whose name or short name contains `text`, for autocomplete (asked at each keystroke)."""
    needle = text.strip().casefold()
    # Filtered in Python: SQLite's LIKE folds only ASCII.
    server = await kept.of_server(session, guild_id)
    return [m for folded, m in server.names if needle in folded or needle in m.slug][:limit]
