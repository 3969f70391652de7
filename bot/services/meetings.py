"""Recurring meetings: create, change, skip, end, delete, find and list them; reminder opt-ins.

Plain values in, plain `Meeting`s out. Jobs and Discord events that follow a meeting are kept
in step by `meeting_reminders` and the meetings cog; this module only stores what is true.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Executable, Result, Row, Table, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import GuildSettings, MeetingReminderOptIn, MeetingRow
from bot.services import audit, recurrence, timezones
from bot.services.errors import InvalidInput, NotFound
from bot.services.meeting_data import (
    DESCRIPTION_MAX,
    DURATION_MAX,
    FELLOWSHIP_MAX,
    NAME_MAX,
    SLUG_MAX,
    FeedOrigin,
    Location,
    Meeting,
    MeetingDraft,
    MeetingKind,
    MeetingTimes,
    Place,
    check_location,
    clean_text,
    slugify,
    validate_duration,
    validate_slug,
)
from bot.services.recurrence import Recurrence
from bot.services.text import clean, escape_markdown, excerpt

# An intergroup's whole online list fits; the Events tab shows the soonest 100 (Discord's limit).
MAX_MEETINGS_PER_SERVER = 2000
DEFAULT_REMINDER_OFFSETS = (60, 10)
MAX_REMINDER_OFFSETS = 3
MEMBER_REMINDER_OFFSETS = (10, 30, 60, 180, 1440)
LIST_DAYS = 7
FALLBACK_ZONE = "UTC"


# -- reading schedules typed by people ------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ScheduleText:
    """A schedule as typed into a command; any part left None keeps what the meeting has."""

    days: str | None = None
    time: str | None = None
    zone: str | None = None
    rule: str | None = None
    starts: str | None = None
    ends: str | None = None
    clear_end: bool = False  # the series should have no end date any more

    @property
    def empty(self) -> bool:
        return not (self.days or self.time or self.zone or self.rule or self.starts or self.ends or self.clear_end)


# How far ahead a typed start date may be: further is almost surely a typo for this year's date.
STARTS_WITHIN = timedelta(days=2 * 366)


def parse_date(text: str, label: str) -> date:
    cleaned = text.strip()
    try:
        return recurrence.check_date(date.fromisoformat(cleaned), label)
    except ValueError:
        raise InvalidInput(
            f"I can't read “{excerpt(cleaned, 20)}” as the {label}. Write it as year-month-day, such as 2026-12-01."
        ) from None


def build_recurrence(schedule: ScheduleText, *, default_zone: str, today: date,
                     current: Recurrence | None = None) -> Recurrence:
    """Validate a typed schedule into a Recurrence, refusing anything unclear with an example.

    Checking a rule can walk a few decades of it (milliseconds), so callers on the event loop run
    this in a thread.
    """
    if current is not None and schedule.empty:
        return current  # nothing about the schedule changes: keep it as stored
    if schedule.days and schedule.rule:
        raise InvalidInput("Give either weekdays or a rule, not both: weekdays for simple weekly meetings, "
                           f"a rule for the rest, such as {recurrence.RULE_EXAMPLES}.")
    if schedule.time:
        local_time = recurrence.parse_time(schedule.time)
    elif current is not None:
        local_time = current.local_time
    else:
        raise InvalidInput("Give the meeting's start time, such as 19:00 or 7:30 pm.")
    zone = timezones.validate(schedule.zone) if schedule.zone else (current.zone if current else default_zone)
    if schedule.starts:
        starts_on = parse_date(schedule.starts, "start date")
        if starts_on > today + STARTS_WITHIN:
            raise InvalidInput(f"The start date {starts_on.isoformat()} is more than two years away. Pick a date "
                               "sooner, or leave it empty to start today.")
    else:
        starts_on = current.starts_on if current else today
    if schedule.clear_end:
        until = None
    elif schedule.ends:
        until = parse_date(schedule.ends, "end date")
        if until < today:
            raise InvalidInput(f"The end date {until.isoformat()} has already passed. Pick a later date, or leave it "
                               "empty for no end.")
    else:
        until = current.until if current else None
    if schedule.rule:
        return recurrence.from_rule(schedule.rule, local_time, zone, starts_on, until)
    if schedule.days:
        return recurrence.weekly(recurrence.parse_weekdays(schedule.days), local_time, zone, starts_on, until)
    if current is not None:
        return recurrence.from_rule(current.rule, local_time, zone, starts_on, until)
    raise InvalidInput("Say when the meeting repeats: weekdays such as “Mon, Thu”, or a rule such as "
                       f"{recurrence.RULE_EXAMPLES}.")


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


# -- storing ----------------------------------------------------------------------------------

async def server_zone(session: AsyncSession, guild_id: int, fallback: str | None) -> str:
    """The zone new meetings default to: the server's, else the bot's configured default."""
    zone = await session.scalar(select(GuildSettings.timezone).where(GuildSettings.guild_id == guild_id))
    return zone or fallback or FALLBACK_ZONE


async def create(session: AsyncSession, guild_id: int, actor_id: int, draft: MeetingDraft) -> Meeting:
    draft = check_details(draft)
    count = await session.scalar(select(func.count()).select_from(MeetingRow).where(MeetingRow.guild_id == guild_id))
    if (count or 0) >= MAX_MEETINGS_PER_SERVER:
        raise InvalidInput(f"This server already has {MAX_MEETINGS_PER_SERVER:,} meetings, the most I keep. "
                           "Delete meetings that no longer happen with /meeting delete.")
    slug = draft.slug or await _free_slug(session, guild_id, slugify(draft.name))
    if draft.slug and await _by_slug(session, guild_id, slug) is not None:
        raise InvalidInput(f"Another meeting already has the short name “{slug}”. Pick a different one.")
    row = MeetingRow(guild_id=guild_id, slug=slug, created_by=actor_id, skipped_dates=[])
    _write(row, draft)
    session.add(row)
    await session.flush()
    await audit.record(session, guild_id, actor_id, "meeting.create", None, f"{row.id} {row.name}")
    return to_meeting(row)


async def replace_details(session: AsyncSession, guild_id: int, meeting_id: int, actor_id: int,
                          draft: MeetingDraft) -> Meeting:
    """Store `draft` as the meeting's details (its skipped dates stay, where still in the rule)."""
    draft = check_details(draft)
    row = await _row(session, guild_id, meeting_id)
    if draft.slug and draft.slug != row.slug and await _by_slug(session, guild_id, draft.slug) is not None:
        raise InvalidInput(f"Another meeting already has the short name “{draft.slug}”. Pick a different one.")
    before = _summary(row)
    _write(row, dataclasses.replace(draft, slug=draft.slug or row.slug))
    await session.flush()
    await audit.record(session, guild_id, actor_id, "meeting.edit", before, _summary(row))
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
    row = await _row(session, guild_id, meeting_id)
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
    row = await _row(session, guild_id, meeting_id)
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
    row = await _row(session, guild_id, meeting_id)
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
                _write(row, checked)
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
            _write(existing, merged)  # the origin (the feed's slug and date) is kept up to date either way
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


# -- finding ----------------------------------------------------------------------------------

async def get(session: AsyncSession, guild_id: int, meeting_id: int) -> Meeting:
    return to_meeting(await _row(session, guild_id, meeting_id))


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
    row = None
    picked = meeting_id(text)
    if picked is not None:
        row = await session.scalar(select(MeetingRow).where(MeetingRow.guild_id == guild_id, MeetingRow.id == picked))
    if row is None and len(text) <= SLUG_MAX:
        row = await _by_slug(session, guild_id, text.lower())
    if row is None and len(text) <= NAME_MAX:
        # Compared in Python: SQLite's lower() folds only ASCII, and names are often not.
        wanted = text.casefold()
        names = await _plain_rows(session, select(MeetingRow.id, MeetingRow.name)
                                  .where(MeetingRow.guild_id == guild_id))
        matches = [row.id for row in names if row.name.casefold() == wanted]
        if len(matches) == 1:
            row = await session.get(MeetingRow, matches[0])
    if row is None:
        raise NotFound(f"I can't find a meeting called “{excerpt(text, 60)}” here. Start typing its name and "
                       "pick it from the suggestions, or see /meeting list.")
    return to_meeting(row)


async def all_in(session: AsyncSession, guild_id: int) -> list[Meeting]:
    rows = await _plain_rows(session, select(*_COLUMNS).where(MeetingRow.guild_id == guild_id)
                             .order_by(MeetingRow.name, MeetingRow.id))
    return [to_meeting(r) for r in rows]


async def every_schedule(session: AsyncSession) -> list[MeetingTimes]:
    """When every meeting of every server happens, for planning reminders ahead; only what that needs."""
    rows = await _plain_rows(session, select(*_TIMES_COLUMNS).order_by(MeetingRow.id))
    return [MeetingTimes(row.id, row.guild_id, Recurrence(row.rule, row.local_time, row.zone, row.starts_on, row.until),
                         row.duration_minutes, _skipped(row.skipped_dates)) for row in rows]


async def without_event(session: AsyncSession, guild_id: int | None = None) -> list[Meeting]:
    """Meetings with a place but no Discord event (refused earlier, or never made), to try again."""
    query = select(*_COLUMNS).where(MeetingRow.event_id.is_(None), MeetingRow.place.is_not(None))
    if guild_id is not None:
        query = query.where(MeetingRow.guild_id == guild_id)
    return [to_meeting(r) for r in await _plain_rows(session, query.order_by(MeetingRow.id))]


async def servers_waiting_for_events(session: AsyncSession) -> list[int]:
    """Servers with meetings that have a place but no Discord event."""
    return list(await session.scalars(select(MeetingRow.guild_id).where(
        MeetingRow.event_id.is_(None), MeetingRow.place.is_not(None)).distinct()))


async def waiting_for_events(session: AsyncSession, guild_id: int, now: datetime) -> list[Meeting]:
    """The server's meetings without a Discord event, soonest next meeting first: the order in which
    free places on the Events tab (Discord allows 100) are given out."""
    soonest: dict[int, Meeting] = {}
    for entry in await _week(session, guild_id, now):
        if entry.start > now and entry.meeting.event_id is None and entry.meeting.location.place is not None:
            soonest.setdefault(entry.meeting.id, entry.meeting)
    later = [m for m in await without_event(session, guild_id) if m.id not in soonest]
    far_future = now + timedelta(days=3660)
    later.sort(key=lambda m: m.next_occurrence(now) or far_future)
    return [*soonest.values(), *later]


async def note_event_problem(session: AsyncSession, guild_id: int, problem: str) -> None:
    """Record why the server's meetings without an event have none, when the reason is the server's
    (a missing permission, the event limit): one attempt told it, so no need to ask Discord for each."""
    await session.execute(update(MeetingRow).where(
        MeetingRow.guild_id == guild_id, MeetingRow.event_id.is_(None), MeetingRow.place.is_not(None),
        or_(MeetingRow.event_problem.is_(None), MeetingRow.event_problem != problem)).values(event_problem=problem))


async def search(session: AsyncSession, guild_id: int, text: str, limit: int = 25) -> list[Meeting]:
    """Meetings whose name or short name contains `text`, for autocomplete."""
    needle = text.strip().casefold()
    # Filtered in Python (SQLite's LIKE folds only ASCII), over names alone: only the few shown
    # are read whole, so a server with thousands of meetings still answers each keystroke quickly.
    names = await _plain_rows(session, select(MeetingRow.id, MeetingRow.name, MeetingRow.slug)
                              .where(MeetingRow.guild_id == guild_id).order_by(MeetingRow.name, MeetingRow.id))
    chosen = [row.id for row in names if needle in row.name.casefold() or needle in row.slug][:limit]
    if not chosen:
        return []
    rows = {row.id: row for row in await _plain_rows(session, select(*_COLUMNS).where(MeetingRow.id.in_(chosen)))}
    return [to_meeting(rows[found]) for found in chosen if found in rows]


@dataclass(frozen=True, slots=True)
class Upcoming:
    meeting: Meeting
    start: datetime

    @property
    def end(self) -> datetime:
        return self.start + self.meeting.duration


async def upcoming(session: AsyncSession, guild_id: int, now: datetime, *, days: int = LIST_DAYS,
                   kind: MeetingKind | None = None, types: Iterable[str] = ()) -> list[Upcoming]:
    """Every occurrence from now (including those in progress) for `days` days, soonest first."""
    entries: Sequence[Upcoming]
    if days <= LIST_DAYS:
        entries = await _week(session, guild_id, now)
    else:
        rows = list(await _plain_rows(session, select(*_COLUMNS).where(MeetingRow.guild_id == guild_id)))
        entries = await asyncio.to_thread(_occurrences_of, rows, now - _LONGEST_MEETING, now + timedelta(days=days))
    before, wanted = now + timedelta(days=days), set(types)
    return [entry for entry in entries if entry.end > now and entry.start < before
            and (kind is None or entry.meeting.kind is kind) and wanted <= set(entry.meeting.types)]


@dataclass(frozen=True, slots=True)
class _Week:
    fingerprint: tuple[Any, ...]
    day: date  # the UTC day whose week (and a day either side) `entries` covers
    entries: tuple[Upcoming, ...]


# A server's week of meetings, worked out once and kept (per database) until the server's meetings
# change or the day turns: with 2,000 meetings that is a tenth of a second of work, and members ask
# for the list far more often than moderators change it.
_weeks: weakref.WeakKeyDictionary[Any, OrderedDict[int, _Week]] = weakref.WeakKeyDictionary()
_WEEKS_KEPT = 512  # servers per database
_LONGEST_MEETING = timedelta(minutes=DURATION_MAX)


async def _week(session: AsyncSession, guild_id: int, now: datetime) -> tuple[Upcoming, ...]:
    kept = _weeks.setdefault(session.get_bind().engine, OrderedDict())  # one cache per database
    fingerprint = tuple((await _plain_rows(session, select(
        func.count(MeetingRow.id), func.max(MeetingRow.updated_at), func.coalesce(func.sum(MeetingRow.id), 0))
        .where(MeetingRow.guild_id == guild_id))).one())
    day = now.astimezone(UTC).date()
    week = kept.get(guild_id)
    if week is None or week.fingerprint != fingerprint or week.day != day:
        rows = list(await _plain_rows(session, select(*_COLUMNS).where(MeetingRow.guild_id == guild_id)))
        midnight = datetime.combine(day, datetime.min.time(), UTC)
        # Computed in a thread: the bot keeps answering everyone while a big server's week is worked out.
        entries = await asyncio.to_thread(_occurrences_of, rows, midnight - _LONGEST_MEETING - timedelta(days=1),
                                          midnight + timedelta(days=LIST_DAYS + 2))
        week = _Week(fingerprint, day, tuple(entries))
        kept[guild_id] = week
    kept.move_to_end(guild_id)
    while len(kept) > _WEEKS_KEPT:
        kept.popitem(last=False)
    return week.entries


def _occurrences_of(rows: list[Row[Any]], after: datetime, before: datetime) -> list[Upcoming]:
    return occurrences_between((to_meeting(row) for row in rows), after, before)


def occurrences_between(meetings: Iterable[Meeting], now: datetime, before: datetime) -> list[Upcoming]:
    found = [
        Upcoming(meeting, start)
        for meeting in meetings
        for start in meeting.occurrences(now - meeting.duration + timedelta(microseconds=1), before)
    ]
    return sorted(found, key=lambda u: (u.start, u.meeting.name))


def cancellable_date(text: str, today: date) -> date:
    """A typed date of one meeting to cancel: from today to two years ahead."""
    day = parse_date(text, "date")
    if day < today:
        raise InvalidInput(f"{day:%d %B %Y} has already passed. Pick one of the dates suggested as you type.")
    if day > today + STARTS_WITHIN:
        raise InvalidInput(f"{day:%d %B %Y} is more than two years away. Pick one of the dates suggested as you type, "
                           "or end the whole series.")
    return day


def occurrence_on(meeting: Meeting, on: date) -> datetime | None:
    """The meeting's start on local date `on` (skipped or not), or None if it doesn't meet that day."""
    # Search a little past the local day on both sides: zones are up to 14 hours off UTC.
    day_start = datetime.combine(on, datetime.min.time(), meeting.recurrence.tz)
    starts = recurrence.occurrences(meeting.recurrence, day_start - timedelta(hours=1), day_start + timedelta(hours=26))
    return next((s for s in starts if recurrence.local_date(meeting.recurrence, s) == on), None)


def upcoming_dates(meeting: Meeting, now: datetime, count: int = 10) -> list[datetime]:
    """The next `count` occurrences, for choosing one to cancel."""
    found: list[datetime] = []
    after = now
    while len(found) < count:
        start = meeting.next_occurrence(after)
        if start is None:
            break
        found.append(start)
        after = start + timedelta(seconds=1)
    return found


# -- reminders --------------------------------------------------------------------------------

async def reminder_offsets(session: AsyncSession, guild_id: int) -> tuple[int, ...]:
    """Minutes before a meeting that its channel is told, largest first."""
    stored = await session.scalar(select(GuildSettings.meeting_reminder_offsets)
                                  .where(GuildSettings.guild_id == guild_id))
    return tuple(stored) if stored is not None else DEFAULT_REMINDER_OFFSETS


async def reminder_offsets_by_guild(session: AsyncSession) -> dict[int, tuple[int, ...]]:
    """Every server that changed its offsets; the rest use DEFAULT_REMINDER_OFFSETS."""
    rows = await session.execute(select(GuildSettings.guild_id, GuildSettings.meeting_reminder_offsets)
                                 .where(GuildSettings.meeting_reminder_offsets.is_not(None)))
    return {guild_id: tuple(offsets or ()) for guild_id, offsets in rows}


def parse_offsets(text: str) -> tuple[int, ...]:
    """'60, 10' -> (60, 10); 'none' -> () to turn channel reminders off."""
    cleaned = text.strip().lower()
    if cleaned in ("none", "off", "0", ""):
        return ()
    words = [w for w in re.split(r"[\s,;]+", cleaned) if w]
    try:
        minutes = sorted({int(w.removesuffix("m").removesuffix("min")) for w in words}, reverse=True)
    except ValueError:
        raise InvalidInput("Give minutes before the meeting, separated by commas, such as “60, 10”, or "
                           "“none” to turn channel reminders off.") from None
    if len(minutes) > MAX_REMINDER_OFFSETS or any(not 1 <= m <= 1440 for m in minutes):
        raise InvalidInput(f"Give up to {MAX_REMINDER_OFFSETS} reminders between 1 and 1440 minutes "
                           "(a day) before, such as “60, 10”.")
    return tuple(minutes)


async def set_reminder_offsets(session: AsyncSession, guild_id: int, actor_id: int,
                               offsets: Sequence[int]) -> tuple[int, ...]:
    row = await session.get(GuildSettings, guild_id)
    if row is None:
        row = GuildSettings(guild_id=guild_id)
        session.add(row)
    stored = row.meeting_reminder_offsets
    old = tuple(stored) if stored is not None else DEFAULT_REMINDER_OFFSETS
    new = tuple(offsets)
    if old != new:
        row.meeting_reminder_offsets = list(new)
        await audit.record(session, guild_id, actor_id, "config.meeting_reminder_offsets", old, new or "off")
    await session.flush()
    return new


async def opt_in(session: AsyncSession, meeting_id: int, user_id: int, offset_minutes: int) -> None:
    if offset_minutes not in MEMBER_REMINDER_OFFSETS:
        raise InvalidInput("Pick one of the reminder times offered.")
    existing = await session.scalar(select(MeetingReminderOptIn).where(
        MeetingReminderOptIn.meeting_id == meeting_id, MeetingReminderOptIn.user_id == user_id))
    if existing is None:
        session.add(MeetingReminderOptIn(meeting_id=meeting_id, user_id=user_id, offset_minutes=offset_minutes))
    else:
        existing.offset_minutes = offset_minutes
    await session.flush()


async def opt_out(session: AsyncSession, meeting_id: int, user_id: int) -> bool:
    result = await session.execute(delete(MeetingReminderOptIn).where(
        MeetingReminderOptIn.meeting_id == meeting_id, MeetingReminderOptIn.user_id == user_id))
    return bool(getattr(result, "rowcount", 0))


async def reminder_of(session: AsyncSession, meeting_id: int, user_id: int) -> int | None:
    """The member's chosen offset for this meeting, or None when they asked for no reminder."""
    return await session.scalar(select(MeetingReminderOptIn.offset_minutes).where(
        MeetingReminderOptIn.meeting_id == meeting_id, MeetingReminderOptIn.user_id == user_id))


async def reminder_recipients(session: AsyncSession, meeting_id: int, offset_minutes: int | None = None) -> list[int]:
    """Who asked for a DM before this meeting (at this offset, if given)."""
    query = select(MeetingReminderOptIn.user_id).where(MeetingReminderOptIn.meeting_id == meeting_id)
    if offset_minutes is not None:
        query = query.where(MeetingReminderOptIn.offset_minutes == offset_minutes)
    return list(await session.scalars(query.order_by(MeetingReminderOptIn.user_id)))


async def member_offsets(session: AsyncSession, meeting_ids: Iterable[int] | None = None) -> dict[int, set[int]]:
    """meeting id -> the distinct offsets its members chose."""
    query = select(MeetingReminderOptIn.meeting_id, MeetingReminderOptIn.offset_minutes).distinct()
    if meeting_ids is not None:
        query = query.where(MeetingReminderOptIn.meeting_id.in_(list(meeting_ids)))
    found: dict[int, set[int]] = {}
    for meeting_id, offset in await session.execute(query):
        found.setdefault(meeting_id, set()).add(offset)
    return found


async def forget_member(session: AsyncSession, user_id: int) -> int:
    """Delete one person's meeting data (their reminder opt-ins); returns how many rows went."""
    result = await session.execute(delete(MeetingReminderOptIn).where(MeetingReminderOptIn.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)


# -- rows <-> plain data ------------------------------------------------------------------------

# Every column, to read meetings as plain rows: loading thousands as ORM objects, tracked for
# changes nobody will make, costs twice as much. (Still an ORM select, so it flushes first.)
_COLUMNS = tuple(getattr(MeetingRow, column.key) for column in MeetingRow.__mapper__.column_attrs)
_TIMES_COLUMNS = (MeetingRow.id, MeetingRow.guild_id, MeetingRow.rule, MeetingRow.local_time, MeetingRow.zone,
                  MeetingRow.starts_on, MeetingRow.until, MeetingRow.duration_minutes, MeetingRow.skipped_dates)


async def _plain_rows(session: AsyncSession, query: Executable) -> Result[Any]:
    """Rows of columns, read through the session's connection: the busiest reads (planning every
    meeting, a server's list) need none of the session's object handling, which costs a third more."""
    return await (await session.connection()).execute(query)


def _skipped(stored: list[str] | None) -> frozenset[date]:
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
        skipped=_skipped(row.skipped_dates),
        event_id=row.event_id, event_start=row.event_start, event_problem=row.event_problem,
        origin=FeedOrigin(row.feed_slug, row.feed_id, row.listed_updated_at) if row.feed_slug is not None else None,
        created_at=row.created_at, updated_at=row.updated_at,
    )


def _write(row: MeetingRow, draft: MeetingDraft) -> None:
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


def _summary(row: MeetingRow) -> str:
    return f"{row.id} {row.name}: {row.rule} {row.local_time:%H:%M} {row.zone} {row.duration_minutes}min"


async def _row(session: AsyncSession, guild_id: int, meeting_id: int) -> MeetingRow:
    row = await session.get(MeetingRow, meeting_id)
    if row is None or row.guild_id != guild_id:
        raise NotFound("That meeting no longer exists. See /meeting list for the current ones.")
    return row


async def _by_slug(session: AsyncSession, guild_id: int, slug: str) -> MeetingRow | None:
    row: MeetingRow | None = await session.scalar(
        select(MeetingRow).where(MeetingRow.guild_id == guild_id, MeetingRow.slug == slug))
    return row


async def _free_slug(session: AsyncSession, guild_id: int, base: str) -> str:
    """`base`, or `base-2`, `base-3`… cut so that the number still fits in SLUG_MAX."""
    taken = set(await session.scalars(select(MeetingRow.slug).where(MeetingRow.guild_id == guild_id)))
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        suffix = f"-{n}"
        candidate = base[:SLUG_MAX - len(suffix)].rstrip("-") + suffix
    return candidate
