"""Running a meeting: starting a run of an occurrence, its steps, the chair, the speaker and the share timer,
and ending it with a summary that names nobody."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Attendance, MeetingRun, QueuedHand, Shared
from bot.scheduler import NewJob
from bot.services.errors import DomainError, InvalidInput, NotFound
from bot.services.facilitation import attendance
from bot.services.facilitation.formats import Format, Step, check_share_minutes
from bot.services.meetings.data import Meeting, Place

TIMER_JOB = "facilitation.timer"
STARTS_EARLY = timedelta(minutes=60)  # a run started this long before an occurrence belongs to it
MAX_OPEN = 500  # open runs read at start (one per meeting running now)


@dataclass(frozen=True, slots=True)
class Run:
    id: int
    guild_id: int
    meeting_id: int | None
    meeting_name: str
    occurrence: datetime
    started_at: datetime
    ended_at: datetime | None
    chair_id: int
    chair_role_id: int | None  # besides the server's facilitators and moderators, this role may chair it
    channel_id: int
    voice_channel_id: int | None
    panel_message_id: int | None
    steps: tuple[Step, ...]
    step: int
    share_minutes: int
    newcomers_first: bool
    speaker_id: int | None
    timer_ends_at: datetime | None
    turn: int
    shares: int

    @property
    def current_step(self) -> Step:
        return self.steps[min(self.step, len(self.steps) - 1)]


def _run(row: MeetingRun) -> Run:
    return Run(row.id, row.guild_id, row.meeting_id, row.meeting_name, row.occurrence, row.started_at, row.ended_at,
               row.chair_id, row.chair_role_id, row.channel_id, row.voice_channel_id, row.panel_message_id,
               tuple(Step(s["title"], s["text"]) for s in row.steps), row.step, row.share_minutes,
               row.newcomers_first, row.speaker_id, row.timer_ends_at, row.turn, row.shares)


class AlreadyRunning(DomainError):
    def __init__(self, run: Run) -> None:
        super().__init__(f"“{run.meeting_name}” is already running, chaired by its live panel.")
        self.run = run


@dataclass(frozen=True, slots=True)
class Summary:
    minutes: int
    attendees: int
    shares: int


async def _row(session: AsyncSession, run_id: int, *, open_only: bool = True) -> MeetingRun:
    row = await session.get(MeetingRun, run_id)
    if row is None or (open_only and row.ended_at is not None):
        raise NotFound("That meeting isn't running any more.")
    return row


async def get(session: AsyncSession, run_id: int, *, open_only: bool = True) -> Run:
    return _run(await _row(session, run_id, open_only=open_only))


async def running_of(session: AsyncSession, meeting_id: int) -> Run | None:
    row = await session.scalar(select(MeetingRun).where(MeetingRun.meeting_id == meeting_id,
                                                        MeetingRun.ended_at.is_(None)))
    return _run(row) if row else None


async def open_runs(session: AsyncSession) -> list[Run]:
    rows = await session.scalars(select(MeetingRun).where(MeetingRun.ended_at.is_(None)).limit(MAX_OPEN))
    return [_run(row) for row in rows]


async def here(session: AsyncSession, guild_id: int, channel_id: int | None) -> Run:
    """The run chaired in this channel (or its voice channel); else the server's only one running."""
    rows = list(await session.scalars(select(MeetingRun).where(MeetingRun.guild_id == guild_id,
                                                               MeetingRun.ended_at.is_(None)).limit(MAX_OPEN)))
    for row in rows:
        if channel_id in (row.channel_id, row.voice_channel_id):
            return _run(row)
    if len(rows) == 1:
        return _run(rows[0])
    if not rows:
        raise NotFound("No meeting is running here right now. A facilitator starts one with /meeting start.")
    raise InvalidInput("Several meetings are running: use this in the channel of the one you're in.")


def occurrence_for(meeting: Meeting, now: datetime) -> datetime:
    """The occurrence under way or starting within the hour; else the run stands on its own, from now."""
    coming = meeting.current_or_next(now)
    if coming is not None and coming - STARTS_EARLY <= now:
        return coming
    return now


async def start(session: AsyncSession, meeting: Meeting, chosen: Format, chair_id: int, channel_id: int,
                now: datetime) -> Run:
    existing = await running_of(session, meeting.id)
    if existing is not None:
        raise AlreadyRunning(existing)
    voice = meeting.location.channel_id if meeting.location.place in (Place.VOICE, Place.STAGE) else None
    row = MeetingRun(guild_id=meeting.guild_id, meeting_id=meeting.id, meeting_name=meeting.name,
                     occurrence=occurrence_for(meeting, now), started_at=now, chair_id=chair_id,
                     chair_role_id=meeting.facilitator_role_id,
                     channel_id=channel_id, voice_channel_id=voice,
                     steps=[{"title": s.title, "text": s.text} for s in chosen.steps], step=0,
                     share_minutes=chosen.share_minutes, newcomers_first=chosen.newcomers_first, turn=0, shares=0)
    session.add(row)
    await session.flush()
    return _run(row)


async def set_panel(session: AsyncSession, run_id: int, message_id: int) -> None:
    (await _row(session, run_id, open_only=False)).panel_message_id = message_id


async def next_step(session: AsyncSession, run_id: int) -> Run:
    row = await _row(session, run_id)
    if row.step >= len(row.steps) - 1:
        raise InvalidInput("This is the format's last step. End the meeting with /meeting end when you're ready.")
    row.step += 1
    return _run(row)


async def take_over(session: AsyncSession, run_id: int, user_id: int) -> Run:
    row = await _row(session, run_id)
    row.chair_id = user_id
    return _run(row)


async def speak(session: AsyncSession, run_id: int, speaker_id: int | None, now: datetime,
                minutes: int | None = None) -> tuple[Run, NewJob | None]:
    """`speaker_id` has the floor (None: the floor is open) with a share timer; the timer's job to book."""
    row = await _row(session, run_id)
    row.speaker_id = speaker_id if speaker_id is not None else row.speaker_id
    length = check_share_minutes(minutes) if minutes is not None else row.share_minutes
    row.turn += 1
    row.timer_ends_at = now + timedelta(minutes=length)
    job = NewJob(TIMER_JOB, f"facilitation:{row.id}:timer:{row.turn}", row.timer_ends_at,
                 {"run_id": row.id, "turn": row.turn}, row.guild_id)
    return _run(row), job


async def counted_share(session: AsyncSession, run_id: int) -> None:
    (await _row(session, run_id)).shares += 1


async def timer_is_current(session: AsyncSession, run_id: int, turn: int) -> Run | None:
    """The run, when its share timer `turn` is still the one running (not replaced, not ended)."""
    row = await session.get(MeetingRun, run_id)
    if row is None or row.ended_at is not None or row.turn != turn:
        return None
    return _run(row)


async def end(session: AsyncSession, run_id: int, now: datetime) -> tuple[Run, Summary]:
    row = await _row(session, run_id)
    await attendance.close_all(session, run_id, now)
    count = await session.scalar(select(func.count()).select_from(Attendance).where(Attendance.run_id == run_id)) or 0
    row.ended_at, row.attendees, row.timer_ends_at = now, count, None
    # Who raised a hand and who shared matter only while the meeting runs (the privacy page says so).
    await session.execute(delete(QueuedHand).where(QueuedHand.run_id == run_id))
    await session.execute(delete(Shared).where(Shared.run_id == run_id))
    minutes = max(0, round((now - row.started_at).total_seconds() / 60))
    return _run(row), Summary(minutes, count, row.shares)
