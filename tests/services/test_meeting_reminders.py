"""The jobs that follow each meeting, in the real queue on databases made by the migrations.

What people notice: each announcement and reminder arrives once, at the right time, never for a
cancelled or moved occurrence, and never a second time after the bot restarts.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import JobState
from bot.scheduler import DueJob, Scheduler
from bot.services import meeting_reminders, meetings, recurrence
from bot.services.meeting_data import Location, Meeting, MeetingDraft, MeetingKind, Place
from bot.services.meeting_reminders import ANNOUNCE, EVENT_END, EVENT_START, PLAN, REMIND, OccurrenceJob

Sessions = async_sessionmaker[AsyncSession]

GUILD, OTHER_GUILD = 1001, 1002
MODERATOR = 2002
ALEX, SAM, ROBIN = 3001, 3002, 3003
NY = "America/New_York"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday; 07:00 in New York
# Mondays and Thursdays at 19:00 in New York are 00:00 UTC the next day. Within 8 days of NOW:
MON_23 = datetime(2026, 11, 24, tzinfo=UTC)
THU_26 = datetime(2026, 11, 27, tzinfo=UTC)
MON_30 = datetime(2026, 12, 1, tzinfo=UTC)
STARTS = (MON_23, THU_26, MON_30)


def stamp(start: datetime) -> str:
    return f"{start:%Y-%m-%dT%H:%M}Z"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def draft(name: str = "Monday Night Big Book", days: tuple[str, ...] = ("MO", "TH"), at: time = time(19),
          **changes: object) -> MeetingDraft:
    base = MeetingDraft(name=name, recurrence=recurrence.weekly(days, at, NY, NOW.date()),
                        kind=MeetingKind.TWELVE_STEP, location=Location(Place.VOICE, channel_id=555))
    return dataclasses.replace(base, **changes)


async def add(sessions: Sessions, new: MeetingDraft | None = None, guild: int = GUILD) -> Meeting:
    async with sessions.begin() as session:
        return await meetings.create(session, guild, MODERATOR, new or draft())


async def plan(sessions: Sessions, scheduler: Scheduler, *planned: Meeting, now: datetime = NOW) -> int:
    async with sessions.begin() as session:
        return await meeting_reminders.plan(session, scheduler, planned, now)


def channel_and_event_keys(meeting: Meeting, starts: tuple[datetime, ...] = STARTS,
                           offsets: tuple[int, ...] = (60, 10)) -> set[str]:
    p = meeting_reminders.prefix(meeting.id)
    found: set[str] = set()
    for start in starts:
        found |= {f"{p}event-start:{stamp(start)}", f"{p}event-end:{stamp(start)}"}
        found |= {f"{p}announce:{stamp(start)}:{offset}" for offset in offsets}
    return found


async def keys(scheduler: Scheduler, prefix: str = "meeting:") -> set[str]:
    return {j.key for j in await scheduler.jobs(prefix) if j.state == JobState.PENDING}


# -- what gets planned --------------------------------------------------------------------------------------------


async def test_plan_books_announcements_events_and_the_reminders_members_chose(sessions: Sessions) -> None:
    meeting = await add(sessions)
    async with sessions.begin() as session:
        await meetings.opt_in(session, meeting.id, ALEX, 30)
        await meetings.opt_in(session, meeting.id, SAM, 30)  # same time: one job DMs both
        await meetings.opt_in(session, meeting.id, ROBIN, 1440)  # a day before: too late for tonight
    scheduler = Scheduler(sessions, clock=Clock(NOW))

    assert await plan(sessions, scheduler, meeting) == 17

    p = meeting_reminders.prefix(meeting.id)
    reminders = {f"{p}remind:{stamp(s)}:30" for s in STARTS} | {f"{p}remind:{stamp(s)}:1440" for s in STARTS[1:]}
    jobs = {j.key: j for j in await scheduler.jobs(p)}
    assert set(jobs) == channel_and_event_keys(meeting) | reminders
    assert all(j.state == JobState.PENDING for j in jobs.values())
    tonight = stamp(MON_23)
    assert {k: (jobs[k].kind, jobs[k].due_at) for k in jobs if tonight in k} == {
        f"{p}event-start:{tonight}": (EVENT_START, MON_23),
        f"{p}event-end:{tonight}": (EVENT_END, MON_23 + timedelta(hours=1)),
        f"{p}announce:{tonight}:60": (ANNOUNCE, MON_23 - timedelta(minutes=60)),
        f"{p}announce:{tonight}:10": (ANNOUNCE, MON_23 - timedelta(minutes=10)),
        f"{p}remind:{tonight}:30": (REMIND, MON_23 - timedelta(minutes=30)),
    }
    assert jobs[f"{p}remind:{stamp(THU_26)}:1440"].due_at == THU_26 - timedelta(days=1)


def test_a_job_says_which_meeting_occurrence_and_offset_it_is_for() -> None:
    meeting = Meeting(id=7, guild_id=GUILD, slug="big-book", name="Big Book", kind=MeetingKind.OTHER,
                      recurrence=recurrence.weekly(("MO", "TH"), time(19), NY, NOW.date()), duration_minutes=90,
                      location=Location())
    jobs = {job.key: job for job in meeting_reminders.jobs_for(meeting, NOW, (60,), (30,))}
    announce = jobs[f"meeting:7:announce:{stamp(MON_23)}:60"]
    end = jobs[f"meeting:7:event-end:{stamp(THU_26)}"]
    assert (announce.kind, announce.guild_id) == (ANNOUNCE, GUILD)
    assert OccurrenceJob.from_payload(announce.payload) == OccurrenceJob(7, MON_23, 60)
    assert OccurrenceJob.from_payload(end.payload) == OccurrenceJob(7, THU_26, None)
    assert end.due_at == THU_26 + timedelta(minutes=90)
    assert meeting_reminders.still_happening(meeting, MON_23)
    assert not meeting_reminders.still_happening(meeting, MON_23 + timedelta(hours=1))


def test_jobs_for_never_books_what_is_already_due() -> None:
    meeting = Meeting(id=7, guild_id=GUILD, slug="big-book", name="Big Book", kind=MeetingKind.OTHER,
                      recurrence=recurrence.weekly(("MO", "TH"), time(19), NY, NOW.date()), duration_minutes=60,
                      location=Location())
    five_to = MON_23 - timedelta(minutes=5)
    soon = {j.key for j in meeting_reminders.jobs_for(meeting, five_to, (60, 10), (30, 1440))
            if stamp(MON_23) in j.key}
    assert soon == {f"meeting:7:event-start:{stamp(MON_23)}", f"meeting:7:event-end:{stamp(MON_23)}"}
    at_start = {j.key for j in meeting_reminders.jobs_for(meeting, MON_23, (60, 10), (30,)) if stamp(MON_23) in j.key}
    assert at_start == {f"meeting:7:event-end:{stamp(MON_23)}"}  # in progress: its event still has to end
    just_over = {j.key for j in meeting_reminders.jobs_for(meeting, MON_23 + timedelta(hours=1), (60,), ())}
    assert not any(stamp(MON_23) in k for k in just_over)
    for now in (NOW, five_to, MON_23, MON_23 + timedelta(minutes=59), THU_26 - timedelta(seconds=1)):
        jobs = meeting_reminders.jobs_for(meeting, now, (60, 10), (10, 30, 60, 180, 1440))
        assert jobs and all(j.due_at > now for j in jobs)
        assert all(j.due_at < now + meeting_reminders.HORIZON + timedelta(hours=1) for j in jobs)


async def test_planning_twice_books_nothing_twice(sessions: Sessions) -> None:
    meeting = await add(sessions)
    async with sessions.begin() as session:
        await meetings.opt_in(session, meeting.id, ALEX, 60)
    scheduler = Scheduler(sessions, clock=Clock(NOW))
    await plan(sessions, scheduler, meeting)
    first = await scheduler.jobs()
    await plan(sessions, scheduler, meeting)
    await plan(sessions, scheduler, meeting, now=NOW + timedelta(minutes=1))
    again = await scheduler.jobs()
    assert len(first) == len(again) == 15
    assert Counter(j.key for j in again).most_common(1)[0][1] == 1
    assert sorted((j.key, j.due_at) for j in first) == sorted((j.key, j.due_at) for j in again)


async def test_a_reminder_that_ran_is_never_sent_again_after_a_restart(sessions: Sessions) -> None:
    meeting = await add(sessions)
    clock = Clock(NOW)
    before_restart = Scheduler(sessions, clock=clock)
    await plan(sessions, before_restart, meeting)
    sent: list[str] = []

    async def announce(job: DueJob) -> None:
        sent.append(job.key)

    before_restart.register(ANNOUNCE, announce)
    clock.now = MON_23 - timedelta(minutes=59)  # the hour-before announcement is due
    assert await before_restart.run_due() == 1
    hour_before = f"{meeting_reminders.prefix(meeting.id)}announce:{stamp(MON_23)}:60"
    assert sent == [hour_before]

    # The bot restarts and plans again, from a clock that has not caught up (or from start-up state).
    after_restart = Scheduler(sessions, clock=clock)
    after_restart.register(ANNOUNCE, announce)
    await plan(sessions, after_restart, meeting, now=NOW)
    async with sessions.begin() as session:
        await meeting_reminders.replan(session, after_restart, meeting, NOW)
    assert await after_restart.run_due() == 0
    assert sent == [hour_before]
    [ran] = await after_restart.jobs(hour_before)
    assert (ran.state, ran.attempts) == (JobState.DONE, 1)

    clock.now = MON_23 - timedelta(minutes=9)
    assert await after_restart.run_due() == 1
    assert sent == [hour_before, f"{meeting_reminders.prefix(meeting.id)}announce:{stamp(MON_23)}:10"]


# -- keeping jobs in step with the meeting ------------------------------------------------------------------------


async def test_a_new_time_moves_every_job(sessions: Sessions) -> None:
    meeting = await add(sessions)
    async with sessions.begin() as session:
        await meetings.opt_in(session, meeting.id, ALEX, 30)
    scheduler = Scheduler(sessions, clock=Clock(NOW))
    await plan(sessions, scheduler, meeting)
    async with sessions.begin() as session:
        moved = await meetings.replace_details(session, GUILD, meeting.id, MODERATOR, dataclasses.replace(
            meetings.draft_of(meeting), recurrence=recurrence.weekly(("MO", "TH"), time(18), NY, NOW.date())))
        await meeting_reminders.replan(session, scheduler, moved, NOW)

    new_starts = tuple(s - timedelta(hours=1) for s in STARTS)  # 18:00 New York is 23:00 UTC
    p = meeting_reminders.prefix(meeting.id)
    assert await keys(scheduler) == channel_and_event_keys(moved, new_starts) | {
        f"{p}remind:{stamp(s)}:30" for s in new_starts}
    assert not meeting_reminders.still_happening(moved, MON_23)
    assert meeting_reminders.still_happening(moved, MON_23 - timedelta(hours=1))


async def test_a_cancelled_date_loses_its_jobs_and_the_others_stay(sessions: Sessions) -> None:
    meeting = await add(sessions)
    scheduler = Scheduler(sessions, clock=Clock(NOW))
    await plan(sessions, scheduler, meeting)
    async with sessions.begin() as session:
        skipped = await meetings.skip_occurrence(session, GUILD, meeting.id, MODERATOR, date(2026, 11, 26))
        await meeting_reminders.replan(session, scheduler, skipped, NOW)
    assert await keys(scheduler) == channel_and_event_keys(meeting, (MON_23, MON_30))
    assert not meeting_reminders.still_happening(skipped, THU_26)
    assert meeting_reminders.still_happening(skipped, MON_30)


async def test_an_ended_series_replans_to_nothing_new(sessions: Sessions) -> None:
    meeting = await add(sessions)
    scheduler = Scheduler(sessions, clock=Clock(NOW))
    await plan(sessions, scheduler, meeting)
    async with sessions.begin() as session:
        ended = await meetings.end_series(session, GUILD, meeting.id, MODERATOR, NOW)
        assert await meeting_reminders.replan(session, scheduler, ended, NOW) == 0
    assert await scheduler.jobs() == []
    assert not any(meeting_reminders.still_happening(ended, s) for s in STARTS)


async def test_unplan_drops_only_that_meetings_pending_jobs(sessions: Sessions) -> None:
    first = await add(sessions, draft("Meeting 1"))
    # Meeting 1's key prefix must not swallow meeting 10's.
    later = [await add(sessions, draft(f"Meeting {n}")) for n in range(2, 11)]
    tenth = later[-1]
    assert str(tenth.id).startswith(str(first.id)) and tenth.id != first.id
    clock = Clock(NOW)
    scheduler = Scheduler(sessions, clock=clock)
    await plan(sessions, scheduler, first, tenth)

    async def announce(job: DueJob) -> None:
        pass

    scheduler.register(ANNOUNCE, announce)
    clock.now = MON_23 - timedelta(minutes=30)
    assert await scheduler.run_due() == 2  # each meeting's hour-before announcement
    async with sessions.begin() as session:
        await meetings.delete_meeting(session, GUILD, first.id, MODERATOR)
        assert await meeting_reminders.unplan(session, scheduler, first.id) == 11
    assert await keys(scheduler, meeting_reminders.prefix(first.id)) == set()
    assert len(await keys(scheduler, meeting_reminders.prefix(tenth.id))) == 11
    # What already ran stays in the history.
    assert [j.state for j in await scheduler.jobs(meeting_reminders.prefix(first.id))] == [JobState.DONE]


async def test_new_server_reminder_times_replan_only_the_announcements(sessions: Sessions) -> None:
    meeting = await add(sessions)
    theirs = await add(sessions, draft("Their Meeting"), guild=OTHER_GUILD)
    async with sessions.begin() as session:
        await meetings.opt_in(session, meeting.id, ALEX, 180)
    scheduler = Scheduler(sessions, clock=Clock(NOW))
    await plan(sessions, scheduler, meeting, theirs)
    p = meeting_reminders.prefix(meeting.id)
    reminders = {f"{p}remind:{stamp(s)}:180" for s in STARTS}

    async with sessions.begin() as session:
        offsets = await meetings.set_reminder_offsets(session, GUILD, MODERATOR, meetings.parse_offsets("30"))
        await meeting_reminders.replan_announcements(session, scheduler, GUILD, NOW)
    assert offsets == (30,)
    assert await keys(scheduler, p) == channel_and_event_keys(meeting, offsets=(30,)) | reminders
    assert await keys(scheduler, meeting_reminders.prefix(theirs.id)) == channel_and_event_keys(theirs)

    async with sessions.begin() as session:
        await meetings.set_reminder_offsets(session, GUILD, MODERATOR, meetings.parse_offsets("none"))
        await meeting_reminders.replan_announcements(session, scheduler, GUILD, NOW)
    assert await keys(scheduler, p) == channel_and_event_keys(meeting, offsets=()) | reminders
    assert await keys(scheduler, meeting_reminders.prefix(theirs.id)) == channel_and_event_keys(theirs)


async def test_plan_everything_plans_every_server_and_books_tomorrows_run(sessions: Sessions) -> None:
    ours = await add(sessions)
    theirs = await add(sessions, draft("Their Meeting"), guild=OTHER_GUILD)
    async with sessions.begin() as session:
        await meetings.set_reminder_offsets(session, OTHER_GUILD, MODERATOR, (15,))
    scheduler = Scheduler(sessions, clock=Clock(NOW))
    for _ in range(2):
        async with sessions.begin() as session:
            assert await meeting_reminders.plan_everything(session, scheduler, NOW) == 12 + 9

    assert await keys(scheduler, meeting_reminders.prefix(ours.id)) == channel_and_event_keys(ours)
    assert await keys(scheduler, meeting_reminders.prefix(theirs.id)) == channel_and_event_keys(theirs, offsets=(15,))
    [daily] = await scheduler.jobs("meetings-plan:")
    assert (daily.key, daily.kind, daily.due_at) == (
        "meetings-plan:2026-11-24", PLAN, datetime(2026, 11, 24, 0, 5, tzinfo=UTC))
    async with sessions.begin() as session:
        await meeting_reminders.plan_everything(session, scheduler, datetime(2026, 11, 24, 0, 5, tzinfo=UTC))
    assert [j.key for j in await scheduler.jobs("meetings-plan:")] == [
        "meetings-plan:2026-11-24", "meetings-plan:2026-11-25"]
