"""The milestone sweep: every quarter hour, what has come due is found with one indexed range scan, each
milestone is claimed in the ledger of celebrations, and each server's announcements are booked as jobs.

At most once, ever: a celebration's key is a keyed hash of (server, member, label, clean date, milestone
day), inserted with ON CONFLICT DO NOTHING. Only the sweep whose insert made the row announces it, so a
restart, a second process sweeping at the same moment, or the member setting the same date again never
announces it twice. The ledger and the booked announcements commit together; an announcement that fails on
Discord's side is retried by the job queue with backoff (one job per message, so a retry repeats nothing).

After downtime, a milestone is still celebrated up to `LATE_LIMIT` days late ("yesterday", "this week");
an older one is passed over silently. When several fell in the gap, only the latest is announced.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import encryption
from bot.db.models import Celebration, MilestoneChoice, MilestoneDue, MilestoneRow
from bot.scheduler import DueJob, NewJob, Scheduler
from bot.services import anonymity, guild_config, timezones
from bot.services.guild_config import ChannelPurpose
from bot.services.milestones.dates import THREAD_FROM, Mode, Timing, announce_at, timing
from bot.services.milestones.schedules import Milestone

SWEEP_JOB = "milestones.sweep"
ANNOUNCE_JOB = "milestones.announce"
EVERY = timedelta(minutes=15)  # zones are whole, half or quarter hours off UTC: a quarter-hour sweep is on time
LATE_LIMIT = 7  # days
BATCH = 5_000  # due rows one sweep takes; more wait for the next sweep, booked at once
MESSAGE_LIMIT = 2_000  # Discord's, in characters
MENTION_LIMIT = 100  # Discord's, users in one message's allowed mentions
HEADER = "🎂 **Milestones**"
FOOTER = "Congratulations! Every day counts, and so does every one of you. 💙"


def next_sweep_at(after: datetime) -> datetime:
    """The first quarter hour strictly after `after`."""
    moment = after.astimezone(UTC).replace(second=0, microsecond=0)
    moment -= timedelta(minutes=moment.minute % 15)
    return moment + EVERY


def sweep_job(due: datetime) -> NewJob:
    return NewJob(SWEEP_JOB, f"milestones-sweep:{due.astimezone(UTC):%Y-%m-%dT%H:%MZ}", due, {})


async def book_sweep(scheduler: Scheduler, now: datetime) -> None:
    """At start: the next quarter hour's sweep (a pending one left by a stop runs first, however late)."""
    await scheduler.schedule_many([sweep_job(next_sweep_at(now))])


def following(job: DueJob, now: datetime) -> NewJob:
    """The next sweep: the quarter hour after this one, or after now when this one ran late."""
    return sweep_job(next_sweep_at(max(job.due_at, now)))


@dataclass(frozen=True, slots=True)
class Line:
    text: str
    mention: int | None  # the member named, who chose public


@dataclass(frozen=True, slots=True)
class Swept:
    celebrated: int  # lines booked for announcement
    passed_over: int  # more than LATE_LIMIT days late, or already celebrated
    more: bool  # the batch was full: sweep again at once
    jobs: list[NewJob]


@dataclass(frozen=True, slots=True)
class _Due:
    milestone_id: int
    guild_id: int
    user_id: int
    label: str | None
    start: date
    zone: str
    mode: Mode


@dataclass(frozen=True, slots=True)
class _Outcome:
    celebrate: tuple[date, Milestone, int] | None  # the day, the milestone, days late
    next_at: datetime | None


def outcome(start: date, member_zone: str, when: Timing, now: datetime) -> _Outcome:
    """What a due date comes to at `now`: the latest milestone whose announcement time has passed (if it is
    recent enough to celebrate), and when the one after it is due."""
    today = timezones.today_in(member_zone, now)
    latest: tuple[date, Milestone] | None = None
    following_at: datetime | None = None
    # Milestones before the late limit can't be celebrated: start the walk there (bounded by the schedule).
    earliest = today - timedelta(days=LATE_LIMIT + 1)
    for day, milestone in when.schedule.walk(start):
        if day < earliest:
            continue
        at = announce_at(day, when)
        if at <= now:
            latest = (day, milestone)
        else:
            following_at = at
            break
    if latest is None:
        return _Outcome(None, following_at)
    late = (today - latest[0]).days
    return _Outcome((latest[0], latest[1], late) if 0 <= late <= LATE_LIMIT else None, following_at)


def celebration_key(guild_id: int, user_id: int, label: str | None, start: date, day: date) -> str:
    message = f"milestone:{guild_id}:{user_id}:{(label or '').casefold()}:{start.isoformat()}:{day.isoformat()}"
    return hmac.new(encryption.signing_key(), message.encode(), hashlib.sha256).hexdigest()


def line_for(mode: Mode, user_id: int, milestone: Milestone, late: int) -> Line:
    when = "today" if late == 0 else "yesterday" if late == 1 else "this week"
    verb = "celebrates" if late == 0 else "reached"
    if mode is Mode.PUBLIC:
        return Line(f"🎉 <@{user_id}> {verb} **{milestone.title}** {when}!", user_id)
    return Line(f"🎉 A member {verb} **{milestone.title}** {when}!", None)


def messages_for(lines: list[Line]) -> list[tuple[str, list[int]]]:
    """One message for a channel's lines, split only where Discord's limits say (length, mentions)."""
    messages: list[tuple[str, list[int]]] = []
    text, mentions = HEADER, list[int]()
    for line in lines:
        too_long = len(text) + 1 + len(line.text) + 1 + len(FOOTER) > MESSAGE_LIMIT
        too_many = line.mention is not None and len(mentions) >= MENTION_LIMIT
        if (too_long or too_many) and text != HEADER:
            messages.append((text, mentions))
            text, mentions = HEADER, list[int]()
        text += "\n" + line.text
        if line.mention is not None:
            mentions.append(line.mention)
    messages.append((text + "\n" + FOOTER, mentions))
    return messages


def due_query(now: datetime) -> Select[int, int, int, str | None, date, str, str]:
    """What has come due: one range scan of the `next_at` index, soonest first, at most a batch."""
    return (select(MilestoneDue.milestone_id, MilestoneDue.guild_id, MilestoneRow.user_id, MilestoneRow.label,
                   MilestoneRow.start_date, MilestoneRow.zone, MilestoneChoice.mode)
            .join(MilestoneRow, MilestoneRow.id == MilestoneDue.milestone_id)
            .join(MilestoneChoice, (MilestoneChoice.user_id == MilestoneRow.user_id)
                  & (MilestoneChoice.guild_id == MilestoneDue.guild_id))
            .where(MilestoneDue.next_at <= now)
            .order_by(MilestoneDue.next_at).limit(BATCH))


async def sweep(session: AsyncSession, now: datetime) -> Swept:
    """Find what is due, claim it, move each date on to its next milestone, and return the announcement jobs to
    book in this same transaction (the caller books them: `scheduler.schedule_many(swept.jobs, session=...)`)."""
    query = due_query(now)
    dialect = (await session.connection()).dialect.name
    if dialect == "postgresql":
        # Another process sweeping at the same moment takes other rows rather than waiting for these.
        query = query.with_for_update(of=MilestoneDue, skip_locked=True)
    due = [_Due(mid, gid, uid, label, start, zone, Mode(mode))
           for mid, gid, uid, label, start, zone, mode in (await session.execute(query)).all()]
    if not due:
        return Swept(0, 0, False, [])
    configs = await guild_config.read_many(session, {d.guild_id for d in due})

    def work() -> list[_Outcome]:
        return [outcome(d.start, d.zone, timing(configs[d.guild_id], d.mode, d.zone), now) for d in due]

    outcomes = await asyncio.to_thread(work) if len(due) > THREAD_FROM else work()

    wanted: dict[str, tuple[_Due, Line]] = {}
    for item, result in zip(due, outcomes, strict=True):
        channel = configs[item.guild_id].channel(ChannelPurpose.ANNOUNCEMENTS)
        if result.celebrate is None or channel is None:
            continue
        day, milestone, late = result.celebrate
        key = celebration_key(item.guild_id, item.user_id, item.label, item.start, day)
        wanted[key] = (item, line_for(item.mode, item.user_id, milestone, late))
    claimed = await _claim(session, wanted, now, dialect)

    await _move_on(session, due, outcomes)
    by_channel: dict[tuple[int, int], list[Line]] = defaultdict(list)
    for key in sorted(claimed):
        item, line = wanted[key]
        channel = configs[item.guild_id].channel(ChannelPurpose.ANNOUNCEMENTS)
        assert channel is not None
        by_channel[(item.guild_id, channel)].append(line)
    jobs = [job for (guild_id, channel), lines in by_channel.items()
            for job in announcement_jobs(guild_id, channel, lines, now)]
    return Swept(len(claimed), len(due) - len(claimed), len(due) == BATCH, jobs)


async def _claim(session: AsyncSession, wanted: dict[str, tuple[_Due, Line]], now: datetime,
                 dialect: str) -> set[str]:
    """Insert the ledger rows; the keys this insert made are the ones to announce."""
    if not wanted:
        return set()
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    rows = [{"key": key, "member_key": anonymity.author_key(item.user_id), "guild_id": item.guild_id,
             "celebrated_at": now} for key, (item, _line) in wanted.items()]
    claimed: set[str] = set()
    for start in range(0, len(rows), 500):
        statement = insert(Celebration).values(rows[start:start + 500]).on_conflict_do_nothing().returning(
            Celebration.key)
        claimed.update(await session.scalars(statement))
    return claimed


async def _move_on(session: AsyncSession, due: list[_Due], outcomes: list[_Outcome]) -> None:
    ended = [(d.milestone_id, d.guild_id) for d, o in zip(due, outcomes, strict=True) if o.next_at is None]
    for milestone_id, guild_id in ended:
        await session.execute(delete(MilestoneDue).where(MilestoneDue.milestone_id == milestone_id,
                                                         MilestoneDue.guild_id == guild_id))
    moved = [{"milestone_id": d.milestone_id, "guild_id": d.guild_id, "next_at": o.next_at}
             for d, o in zip(due, outcomes, strict=True) if o.next_at is not None]
    if moved:
        await session.execute(update(MilestoneDue), moved)


def announcement_jobs(guild_id: int, channel_id: int, lines: list[Line], now: datetime) -> list[NewJob]:
    """One job per message. Keys carry the server, channel, sweep time and a hash of the lines: no member."""
    digest = hashlib.sha256("\n".join(line.text for line in lines).encode()).hexdigest()[:16]
    stamp = f"{now.astimezone(UTC):%Y-%m-%dT%H:%MZ}"
    return [NewJob(ANNOUNCE_JOB, f"milestones-announce:{guild_id}:{channel_id}:{stamp}:{digest}:{n}", now,
                   {"channel_id": channel_id, "content": content, "mentions": mentions}, guild_id)
            for n, (content, mentions) in enumerate(messages_for(lines))]


def announcement(job: DueJob) -> tuple[int, str, list[int]]:
    payload: dict[str, Any] = job.payload
    return int(payload["channel_id"]), str(payload["content"]), [int(m) for m in payload["mentions"]]
