"""Meeting Guide feeds a server imports: a file once, or an intergroup's feed URL, kept in step daily.

Storing a parsed feed (meetings created, changed, ended) and planning their reminders is one step for
both. A feed URL is remembered with when it was last read and why it changed nothing, if so; a daily job
in the durable queue reads it again. The words a moderator reads afterwards, a short summary plus the
full list of rows when it is long, are written here too, so the command and the daily job say the same.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import MeetingFeed, MeetingRow
from bot.scheduler import DueJob, NewJob, Scheduler
from bot.services import audit, meetings
from bot.services.errors import InvalidInput
from bot.services.meetings import ImportResult
from bot.services.meetings import reminders as meeting_reminders
from bot.services.meetings.guide_import import FeedImport, RowKind, RowNote
from bot.services.text import escape_markdown, unescape_markdown

MAX_FEEDS_PER_SERVER = 5
SYNC = "meetings.feed-sync"
# Daily syncs start at this hour (UTC), spread over the next three hours by feed, so a thousand servers'
# feeds don't all download at once (nor hit one intergroup's site at once).
SYNC_FROM = time(4, 0)
SYNC_SPREAD_MINUTES = 180
SUMMARY_MAX = 1900  # what fits in one Discord message with room to spare


@dataclass(frozen=True, slots=True)
class FeedInfo:
    id: int
    guild_id: int
    url: str
    sync_daily: bool
    checked_at: datetime | None = None
    synced_at: datetime | None = None
    problem: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    meetings: int = 0


async def follow(session: AsyncSession, guild_id: int, url: str, actor_id: int, *, sync_daily: bool) -> FeedInfo:
    """Remember `url` as one of the server's feeds (or update whether it syncs daily)."""
    row = await session.scalar(select(MeetingFeed).where(MeetingFeed.guild_id == guild_id, MeetingFeed.url == url))
    if row is None:
        count = await session.scalar(select(func.count()).select_from(MeetingFeed)
                                     .where(MeetingFeed.guild_id == guild_id)) or 0
        if count >= MAX_FEEDS_PER_SERVER:
            raise InvalidInput(f"This server already follows {MAX_FEEDS_PER_SERVER} feeds, the most I keep. "
                               "Stop one first with /meeting import url:… sync:False.")
        row = MeetingFeed(guild_id=guild_id, url=url, sync_daily=sync_daily, created_by=actor_id)
        session.add(row)
        await audit.record(session, guild_id, actor_id, "meeting.feed.follow", None, url[:200])
    elif row.sync_daily != sync_daily:
        await audit.record(session, guild_id, actor_id, "meeting.feed.sync", str(row.sync_daily), str(sync_daily))
        row.sync_daily = sync_daily
    await session.flush()
    return _info(row)


async def find(session: AsyncSession, feed_id: int) -> FeedInfo | None:
    row = await session.get(MeetingFeed, feed_id)
    return _info(row) if row is not None else None


async def of_server(session: AsyncSession, guild_id: int) -> list[FeedInfo]:
    """The server's feeds, each with how many of its meetings came from it."""
    counted = await session.execute(
        select(MeetingRow.feed_id, func.count()).where(MeetingRow.guild_id == guild_id, MeetingRow.feed_id.is_not(None))
        .group_by(MeetingRow.feed_id))
    counts = {feed_id: count for feed_id, count in counted}
    rows = await session.scalars(select(MeetingFeed).where(MeetingFeed.guild_id == guild_id).order_by(MeetingFeed.id))
    return [_info(row, counts.get(row.id, 0)) for row in rows]


async def record_attempt(session: AsyncSession, feed_id: int, now: datetime, *, problem: str | None = None,
                         etag: str | None = None, last_modified: str | None = None) -> None:
    """Remember when the feed was last read and, if that changed nothing, why."""
    row = await session.get(MeetingFeed, feed_id)
    if row is None:
        return
    row.checked_at, row.problem = now, problem[:500] if problem else None
    if problem is None:
        row.synced_at = now
        row.etag, row.last_modified = (etag or None), (last_modified or None)
        if row.etag is not None and len(row.etag) > 300:
            row.etag = None  # a validator that long is not worth keeping; the feed is downloaded whole
        if row.last_modified is not None and len(row.last_modified) > 100:
            row.last_modified = None
    await session.flush()


async def store(session: AsyncSession, scheduler: Scheduler, guild_id: int, actor_id: int, parsed: FeedImport,
                now: datetime, *, feed_id: int | None, source: str) -> ImportResult:
    """Create, update (and, for a feed URL, end) the meetings a parsed feed describes, and plan their reminders.

    A feed URL is the whole truth for its meetings, so those it no longer lists are ended; a file may be
    a part of a feed (large feeds were once split to import them), so a file never ends anything.
    """
    drafts = parsed.drafts
    if feed_id is not None:  # every meeting of a feed URL belongs to it, also those read before it was stored
        drafts = [dataclasses.replace(d, origin=dataclasses.replace(d.origin, feed_id=feed_id)) if d.origin else d
                  for d in drafts]
    result = await meetings.import_drafts(session, guild_id, actor_id, drafts, now, feed_id=feed_id,
                                          end_missing=feed_id is not None, source=source)
    await meeting_reminders.plan(session, scheduler, result.created, now)
    await meeting_reminders.replan_many(session, scheduler, [*result.updated, *result.ended], now)
    return result


# -- the daily sync --------------------------------------------------------------------------------

def sync_time(feed_id: int, after: datetime) -> datetime:
    """The feed's next daily sync after `after`: the same minute every day, spread by feed."""
    minute = zlib.crc32(str(feed_id).encode()) % SYNC_SPREAD_MINUTES
    day = after.astimezone(UTC).date()
    for offset in range(3):
        moment = datetime.combine(day + timedelta(days=offset), SYNC_FROM, UTC) + timedelta(minutes=minute)
        if moment > after:
            return moment
    raise AssertionError("a sync time within three days always exists")


def sync_job(feed: FeedInfo, after: datetime) -> NewJob:
    due = sync_time(feed.id, after)
    return NewJob(SYNC, f"meeting-feed:{feed.id}:{due:%Y-%m-%d}", due, {"feed_id": feed.id}, feed.guild_id)


async def book_sync(session: AsyncSession, scheduler: Scheduler, feed: FeedInfo, after: datetime) -> None:
    """Book the feed's next daily sync (drop it when the feed no longer syncs)."""
    await scheduler.cancel_prefix(f"meeting-feed:{feed.id}:", session=session)
    if feed.sync_daily:
        await scheduler.schedule_many([sync_job(feed, after)], session=session)


async def following_sync(session: AsyncSession, job: DueJob) -> NewJob | None:
    """The chain's next day: booked before a sync runs, so a failing sync never stops the next one."""
    feed = await find(session, int(job.payload["feed_id"]))
    if feed is None or not feed.sync_daily:
        return None
    return sync_job(feed, job.due_at)


# -- what the moderator reads ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Report:
    summary: str  # one message's worth
    details: str | None  # every skipped and changed row, as a text file, when the summary can't hold them

    @property
    def changed_anything(self) -> bool:
        return not self.summary.startswith(NOTHING_CHANGED)


NOTHING_CHANGED = "Nothing changed"


def report(parsed: FeedImport, result: ImportResult, *, source: str) -> Report:
    """The import in a few lines, grouped by reason; each skipped or changed row in a file when there are many."""
    refused = [RowNote(0, draft.origin.slug if draft.origin else draft.name, reason, RowKind.LIMIT
                       if "the most I keep" in reason else RowKind.OTHER) for draft, reason in result.refused]
    skipped = [*parsed.skipped, *refused]
    counts = (f"{len(result.created):,} new, {len(result.updated):,} changed, {result.unchanged:,} unchanged"
              + (f", {len(result.ended):,} ended" if result.ended else "") + f", {len(skipped):,} skipped")
    changed = bool(result.created or result.updated or result.ended)
    head = f"**Imported {source}**: {counts}." if changed else f"{NOTHING_CHANGED} in {source}: {counts}."
    lines = [head]
    if parsed.in_person or parsed.inactive:
        left = [f"{parsed.in_person:,} in-person meeting{_s(parsed.in_person)}"] if parsed.in_person else []
        if parsed.inactive:
            left.append(f"{parsed.inactive:,} marked inactive")
        lines.append(f"• Left out {' and '.join(left)}: this server lists meetings people join online.")
    if parsed.zone_defaulted:
        lines.append(f"• {parsed.zone_defaulted:,} meeting{_s(parsed.zone_defaulted)} had no time zone, so "
                     f"{'they use' if parsed.zone_defaulted != 1 else 'it uses'} this server's zone, "
                     f"**{parsed.default_zone}**. If the feed's meetings are elsewhere, set the server's zone with "
                     "/config timezone and import again.")
    if skipped:
        lines.append(f"• Skipped: {_grouped(skipped)}.")
    changes = [note for note in parsed.warnings if note.kind != RowKind.TYPES]
    if changes:
        lines.append(f"• Imported with a change: {_grouped(changes)}.")
    if parsed.unknown_types:
        codes = ", ".join(f"{escape_markdown(code)} ({count})" for code, count in parsed.unknown_types.most_common(8))
        more = " and more" if len(parsed.unknown_types) > 8 else ""
        lines.append(f"• Left out type codes I don't know: {codes}{more}. The meetings were imported without them.")
    if result.held_back:
        lines.append(f"• {result.held_back:,} of this feed's meetings are missing from it, more than half of them at "
                     "once, so I left them running: a feed that loses most of its meetings overnight is usually "
                     "broken. If they really ended, end them with /meeting cancel.")
    detail_lines = [*(_line(note, "skipped") for note in skipped), *(_line(note, "imported") for note in
                                                                       parsed.warnings)]
    summary = "\n".join(lines)
    details = None
    if detail_lines:
        listed = "\n".join(f"{line}" for line in detail_lines)
        inline = f"{summary}\n{listed}"
        if len(inline) <= SUMMARY_MAX and len(detail_lines) <= 10:
            summary = inline
        else:
            summary += "\nEvery skipped or changed row, with its reason, is in the attached file."
            details = _details(source, lines, detail_lines)
    return Report(summary[:SUMMARY_MAX], details)


def _grouped(notes: list[RowNote]) -> str:
    kinds = Counter(note.kind for note in notes)
    return ", ".join(f"{count:,} × {kind}" for kind, count in kinds.most_common())


def _line(note: RowNote, what: str) -> str:
    where = f"Row {note.index} ({note.label})" if note.index else note.label
    return f"- {escape_markdown(where)} {what}: {note.reason}"


def _details(source: str, summary: list[str], lines: list[str]) -> str:
    """The report as a plain text file: no bold, no escapes."""
    plain = [unescape_markdown(line.replace("**", "")) for line in [f"Import report: {source}", "", *summary, "",
                                                                     *lines]]
    return "\n".join(plain) + "\n"


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _info(row: MeetingFeed, meetings_count: int = 0) -> FeedInfo:
    return FeedInfo(row.id, row.guild_id, row.url, row.sync_daily, row.checked_at, row.synced_at, row.problem,
                    row.etag, row.last_modified, meetings_count)
