"""The jobs that follow each meeting, in the real queue on databases made by the migrations.

What people notice: each announcement and reminder arrives once, at the right time, never for a
cancelled or moved occurrence, and never a second time after the bot restarts. Most tests plan,
then live through the days ahead with the queue running each step as it falls due (each step
booking the next), and check what happened and when.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import JobState
from bot.scheduler import DueJob, Scheduler
from bot.services import meetings, recurrence
from bot.services.meetings import reminders as meeting_reminders
from bot.services.meetings.data import Location, Meeting, MeetingDraft, MeetingKind, Place
from bot.services.meetings.reminders import ANNOUNCE, EVENT_END, EVENT_START, PLAN, STEPS, OccurrenceJob, Step

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


class Steps:
    """The bot's step handlers, replaced by a record of which step ran and what the clock said."""

    def __init__(self, sessions: Sessions, clock: Clock | None = None) -> None:
        """A bot's queue (a process of its own: pass the clock of the one it restarts) running the steps."""
        self.ran: list[tuple[str, datetime]] = []
        self.clock = clock or Clock(NOW)
        self.scheduler = Scheduler(sessions, clock=self.clock)
        meeting_reminders.register(self.scheduler, sessions, dict.fromkeys(STEPS, self.record), self.clock)

    async def record(self, job: DueJob) -> None:
        self.ran.append((job.key, self.clock.now))

    async def live_until(self, until: datetime) -> None:
        """Move the clock from each due job to the next, running them as the bot would, up to `until`."""
        while True:
            pending = [j.run_at for j in await self.scheduler.jobs("meeting:") if j.state == JobState.PENDING]
            soonest = min(pending, default=None)
            if soonest is None or soonest > until:
                self.clock.now = max(self.clock.now, until)
                return
            self.clock.now = max(self.clock.now, soonest)
            await self.scheduler.run_due()

    def ran_keys(self) -> set[str]:
        return {key for key, _ in self.ran}

    def each_once_on_time(self) -> bool:
        """No step ran twice, and each ran at the instant it was due (from its key)."""
        return len(self.ran) == len(self.ran_keys()) and all(when == due_from_key(key) for key, when in self.ran)


def due_from_key(key: str) -> datetime:
    """meeting:<id>:<step>:<start>[:<offset>] -> when that step is due (meetings here last an hour)."""
    parts = key.split(":")  # the start's own colon splits it in two
    step, start = parts[2], datetime.strptime(f"{parts[3]}:{parts[4]}", "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)
    if step == "event-end":
        return start + timedelta(hours=1)
    return start - timedelta(minutes=int(parts[5])) if len(parts) > 5 else start


# -- what gets planned, and what then happens --------------------------------------------------------------------


async def test_every_step_of_every_occurrence_runs_once_at_its_time(sessions: Sessions) -> None:
    meeting = await add(sessions)
    async with sessions.begin() as session:
        await meetings.opt_in(session, meeting.id, ALEX, 30)
        await meetings.opt_in(session, meeting.id, SAM, 30)  # same time: one job DMs both
        await meetings.opt_in(session, meeting.id, ROBIN, 1440)  # a day before: too late for tonight
    steps = Steps(sessions)
    scheduler = steps.scheduler

    # One job per meeting: its next step, which books the one after it when it runs.
    assert await plan(sessions, scheduler, meeting) == 1
    p = meeting_reminders.prefix(meeting.id)
    assert await keys(scheduler) == {f"{p}announce:{stamp(MON_23)}:60"}

    await steps.live_until(MON_30 + timedelta(hours=2))
    reminders = {f"{p}remind:{stamp(s)}:30" for s in STARTS} | {f"{p}remind:{stamp(s)}:1440" for s in STARTS[1:]}
    assert steps.ran_keys() == channel_and_event_keys(meeting) | reminders
    assert steps.each_once_on_time()
    tonight = [key for key, _ in steps.ran if stamp(MON_23) in key]
    assert tonight == [f"{p}announce:{stamp(MON_23)}:60", f"{p}remind:{stamp(MON_23)}:30",
                       f"{p}announce:{stamp(MON_23)}:10", f"{p}event-start:{stamp(MON_23)}",
                       f"{p}event-end:{stamp(MON_23)}"]
    # The chain goes on: next is the day-before DM for Thursday 3 December.
    assert await keys(scheduler) == {f"{p}remind:{stamp(THU_26 + timedelta(days=7))}:1440"}


async def test_a_daily_meeting_with_day_before_reminders_runs_every_step_in_order(sessions: Sessions) -> None:
    """Tomorrow's day-before DM falls at the very start of today's meeting: the chain takes both."""
    daily = await add(sessions, draft("Daily Reflections", days=recurrence.WEEKDAY_CODES, at=time(19)))
    async with sessions.begin() as session:
        await meetings.opt_in(session, daily.id, ALEX, 1440)
        await meetings.opt_in(session, daily.id, SAM, 60)
    steps = Steps(sessions)
    await plan(sessions, steps.scheduler, daily)
    until = NOW + timedelta(days=3)
    await steps.live_until(until)

    p = meeting_reminders.prefix(daily.id)
    expected = set()
    for start in daily.occurrences(NOW - timedelta(days=1), until + timedelta(days=2)):
        expected |= channel_and_event_keys(daily, (start,)) | {f"{p}remind:{stamp(start)}:{m}" for m in (1440, 60)}
    expected = {key for key in expected if NOW < due_from_key(key) <= until}
    assert steps.ran_keys() == expected
    assert steps.each_once_on_time()
    assert [due_from_key(key) for key, _ in steps.ran] == sorted(due_from_key(key) for key, _ in steps.ran)
    assert len(await keys(steps.scheduler, p)) == 1  # still one step waiting: the chain goes on


def test_a_job_says_which_meeting_occurrence_and_offset_it_is_for() -> None:
    meeting = Meeting(id=7, guild_id=GUILD, slug="big-book", name="Big Book", kind=MeetingKind.OTHER,
                      recurrence=recurrence.weekly(("MO", "TH"), time(19), NY, NOW.date()), duration_minutes=90,
                      location=Location())
    jobs = {job.key: job for job in meeting_reminders.jobs_for(meeting.times, NOW, (60,), (30,))}
    assert set(jobs) == {f"meeting:7:announce:{stamp(MON_23)}:60"}
    announce = jobs[f"meeting:7:announce:{stamp(MON_23)}:60"]
    assert (announce.kind, announce.guild_id, announce.due_at) == (ANNOUNCE, GUILD, MON_23 - timedelta(hours=1))
    assert OccurrenceJob.from_payload(announce.payload) == OccurrenceJob(7, MON_23, 60)
    [start, end] = meeting_reminders.timeline(meeting.duration, (60,), (30,))[-2:]
    ending = meeting_reminders.step_job(meeting.times, THU_26, end)
    assert (start.kind, end) == (EVENT_START, Step(EVENT_END, timedelta(minutes=90)))
    assert (ending.key, ending.kind, ending.due_at) == (f"meeting:7:event-end:{stamp(THU_26)}", EVENT_END,
                                                        THU_26 + timedelta(minutes=90))
    assert OccurrenceJob.from_payload(ending.payload) == OccurrenceJob(7, THU_26, None)
    assert meeting_reminders.still_happening(meeting, MON_23)
    assert not meeting_reminders.still_happening(meeting, MON_23 + timedelta(hours=1))


def test_jobs_for_never_books_what_is_already_due() -> None:
    meeting = Meeting(id=7, guild_id=GUILD, slug="big-book", name="Big Book", kind=MeetingKind.OTHER,
                      recurrence=recurrence.weekly(("MO", "TH"), time(19), NY, NOW.date()), duration_minutes=60,
                      location=Location()).times

    def tonight(now: datetime, channel: tuple[int, ...], member: tuple[int, ...]) -> set[str]:
        return {j.key for j in meeting_reminders.jobs_for(meeting, now, channel, member) if stamp(MON_23) in j.key}

    five_to = MON_23 - timedelta(minutes=5)
    assert tonight(five_to, (60, 10), (30, 1440)) == {f"meeting:7:event-start:{stamp(MON_23)}"}
    # In progress: its event still has to end.
    assert tonight(MON_23, (60, 10), (30,)) == {f"meeting:7:event-end:{stamp(MON_23)}"}
    assert tonight(MON_23 + timedelta(hours=1), (60,), ()) == set()
    for now in (NOW, five_to, MON_23, MON_23 + timedelta(minutes=59), THU_26 - timedelta(seconds=1)):
        jobs = meeting_reminders.jobs_for(meeting, now, (60, 10), (10, 30, 60, 180, 1440))
        assert jobs and all(j.due_at > now for j in jobs)
        assert all(j.due_at < now + meeting_reminders.HORIZON + timedelta(hours=1) for j in jobs)


async def test_planning_twice_books_nothing_twice(sessions: Sessions) -> None:
    meeting = await add(sessions)
    async with sessions.begin() as session:
        await meetings.opt_in(session, meeting.id, ALEX, 60)
    steps = Steps(sessions)
    clock, scheduler = steps.clock, steps.scheduler
    await plan(sessions, scheduler, meeting)
    first = await scheduler.jobs()
    await plan(sessions, scheduler, meeting)
    await plan(sessions, scheduler, meeting, now=NOW + timedelta(minutes=1))
    again = await scheduler.jobs()
    assert len(first) == len(again) == 1
    assert sorted((j.key, j.due_at) for j in first) == sorted((j.key, j.due_at) for j in again)

    await steps.live_until(MON_23 - timedelta(minutes=30))  # the hour-before steps ran; plan again
    await plan(sessions, scheduler, meeting, now=clock.now)
    await steps.live_until(MON_30 + timedelta(hours=2))
    assert steps.each_once_on_time()
    p = meeting_reminders.prefix(meeting.id)
    assert steps.ran_keys() == channel_and_event_keys(meeting) | {f"{p}remind:{stamp(s)}:60" for s in STARTS}


async def test_a_reminder_that_ran_is_never_sent_again_after_a_restart(sessions: Sessions) -> None:
    meeting = await add(sessions)
    steps = Steps(sessions)
    clock, before_restart = steps.clock, steps.scheduler
    await plan(sessions, before_restart, meeting)
    clock.now = MON_23 - timedelta(minutes=59)  # the hour-before announcement is due
    assert await before_restart.run_due() == 1
    hour_before = f"{meeting_reminders.prefix(meeting.id)}announce:{stamp(MON_23)}:60"
    assert [key for key, _ in steps.ran] == [hour_before]

    # The bot restarts and plans again: the daily run, from start-up, and after an edit.
    steps_after = Steps(sessions, clock)
    after_restart = steps_after.scheduler
    await plan(sessions, after_restart, meeting, now=NOW)  # a run that was due before the restart
    await plan(sessions, after_restart, meeting, now=clock.now)
    async with sessions.begin() as session:
        await meeting_reminders.replan(session, after_restart, meeting, clock.now)
    assert await after_restart.run_due() == 0
    [ran] = await after_restart.jobs(hour_before)
    assert (ran.state, ran.attempts) == (JobState.DONE, 1)

    await steps_after.live_until(MON_23 + timedelta(hours=2))
    p = meeting_reminders.prefix(meeting.id)
    assert [key for key, _ in steps_after.ran] == [f"{p}announce:{stamp(MON_23)}:10", f"{p}event-start:{stamp(MON_23)}",
                                                   f"{p}event-end:{stamp(MON_23)}"]


async def test_after_downtime_the_chain_skips_stale_reminders_and_still_ends_the_event(sessions: Sessions) -> None:
    meeting = await add(sessions)
    steps = Steps(sessions)
    clock, scheduler = steps.clock, steps.scheduler
    await plan(sessions, scheduler, meeting)

    clock.now = MON_23 + timedelta(minutes=45)  # the bot was down through the reminders and the start
    await scheduler.run_due()
    assert steps.ran == []
    p = meeting_reminders.prefix(meeting.id)
    [dropped] = await scheduler.jobs(f"{p}announce:{stamp(MON_23)}:60")
    assert dropped.state == JobState.DROPPED
    # Straight to what still matters: the stale ten-minute reminder and start were never queued.
    assert await keys(scheduler, p) == {f"{p}event-end:{stamp(MON_23)}"}
    assert {j.key for j in await scheduler.jobs(p)} == await keys(scheduler, p) | {dropped.key}
    await steps.live_until(MON_23 + timedelta(hours=2))
    assert steps.ran_keys() == {f"{p}event-end:{stamp(MON_23)}"}


async def test_a_reminder_chosen_after_planning_is_sent(sessions: Sessions) -> None:
    meeting = await add(sessions)
    steps = Steps(sessions)
    clock, scheduler = steps.clock, steps.scheduler
    await plan(sessions, scheduler, meeting)
    await steps.live_until(MON_23 - timedelta(minutes=50))  # tonight's hour-before announcement went out
    async with sessions.begin() as session:
        await meetings.opt_in(session, meeting.id, ALEX, 30)  # later tonight, on the chain already running
        await meetings.opt_in(session, meeting.id, SAM, 1440)  # before Thursday's first planned step
        await meeting_reminders.plan(session, scheduler, [meeting], clock.now)
    await steps.live_until(THU_26 + timedelta(hours=2))
    p = meeting_reminders.prefix(meeting.id)
    assert {f"{p}remind:{stamp(MON_23)}:30", f"{p}remind:{stamp(THU_26)}:30",
            f"{p}remind:{stamp(THU_26)}:1440"} <= steps.ran_keys()
    assert steps.each_once_on_time()


# -- keeping jobs in step with the meeting ------------------------------------------------------------------------


async def test_a_new_time_moves_every_job(sessions: Sessions) -> None:
    meeting = await add(sessions)
    async with sessions.begin() as session:
        await meetings.opt_in(session, meeting.id, ALEX, 30)
    steps = Steps(sessions)
    scheduler = steps.scheduler
    await plan(sessions, scheduler, meeting)
    async with sessions.begin() as session:
        moved = await meetings.replace_details(session, GUILD, meeting.id, MODERATOR, dataclasses.replace(
            meetings.draft_of(meeting), recurrence=recurrence.weekly(("MO", "TH"), time(18), NY, NOW.date())))
        await meeting_reminders.replan(session, scheduler, moved, NOW)

    new_starts = tuple(s - timedelta(hours=1) for s in STARTS)  # 18:00 New York is 23:00 UTC
    p = meeting_reminders.prefix(meeting.id)
    await steps.live_until(MON_30 + timedelta(hours=2))
    reminders = {f"{p}remind:{stamp(s)}:30" for s in new_starts}
    assert steps.ran_keys() == channel_and_event_keys(moved, new_starts) | reminders
    assert steps.each_once_on_time()
    assert not meeting_reminders.still_happening(moved, MON_23)
    assert meeting_reminders.still_happening(moved, MON_23 - timedelta(hours=1))


async def test_a_step_booked_before_a_change_ends_its_chain(sessions: Sessions) -> None:
    """A step already claimed when the meeting moved: its occurrence is gone, so nothing follows it."""
    meeting = await add(sessions)
    now = MON_23 - timedelta(minutes=60)
    p = meeting_reminders.prefix(meeting.id)
    hour_before = meeting_reminders.jobs_for(meeting.times, NOW, (60, 10), ())[0]
    job = DueJob(1, hour_before.key, hour_before.kind, GUILD, hour_before.payload, hour_before.due_at, 1)
    async with sessions.begin() as session:
        following = await meeting_reminders.following(session, job, now)
    assert following is not None and following.key == f"{p}announce:{stamp(MON_23)}:10"

    async with sessions.begin() as session:
        await meetings.replace_details(session, GUILD, meeting.id, MODERATOR, dataclasses.replace(
            meetings.draft_of(meeting), recurrence=recurrence.weekly(("TU",), time(18), NY, NOW.date())))
        assert await meeting_reminders.following(session, job, now) is None


async def test_a_cancelled_date_loses_its_jobs_and_the_others_stay(sessions: Sessions) -> None:
    meeting = await add(sessions)
    steps = Steps(sessions)
    scheduler = steps.scheduler
    await plan(sessions, scheduler, meeting)
    async with sessions.begin() as session:
        skipped = await meetings.skip_occurrence(session, GUILD, meeting.id, MODERATOR, date(2026, 11, 26))
        await meeting_reminders.replan(session, scheduler, skipped, NOW)
    await steps.live_until(MON_30 + timedelta(hours=2))
    assert steps.ran_keys() == channel_and_event_keys(meeting, (MON_23, MON_30))
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
    steps = Steps(sessions)
    clock, scheduler = steps.clock, steps.scheduler
    await plan(sessions, scheduler, first, tenth)

    clock.now = MON_23 - timedelta(minutes=59)
    assert await scheduler.run_due() == 2  # each meeting's hour-before announcement
    async with sessions.begin() as session:
        await meetings.delete_meeting(session, GUILD, first.id, MODERATOR)
        assert await meeting_reminders.unplan(session, scheduler, first.id) == 1  # its next step
    assert await keys(scheduler, meeting_reminders.prefix(first.id)) == set()
    await steps.live_until(MON_30 + timedelta(hours=2))
    assert steps.ran_keys() == channel_and_event_keys(tenth) | {f"meeting:{first.id}:announce:{stamp(MON_23)}:60"}
    # What already ran stays in the history.
    assert [j.state for j in await scheduler.jobs(meeting_reminders.prefix(first.id))] == [JobState.DONE]


async def test_new_server_reminder_times_replan_its_meetings(sessions: Sessions) -> None:
    meeting = await add(sessions)
    theirs = await add(sessions, draft("Their Meeting"), guild=OTHER_GUILD)
    async with sessions.begin() as session:
        await meetings.opt_in(session, meeting.id, ALEX, 180)
    steps = Steps(sessions)
    clock, scheduler = steps.clock, steps.scheduler
    await plan(sessions, scheduler, meeting, theirs)
    p = meeting_reminders.prefix(meeting.id)
    reminders = {f"{p}remind:{stamp(s)}:180" for s in STARTS}

    async with sessions.begin() as session:
        offsets = await meetings.set_reminder_offsets(session, GUILD, MODERATOR, meetings.parse_offsets("30"))
        await meeting_reminders.replan_many(session, scheduler, await meetings.all_in(session, GUILD), NOW)
    assert offsets == (30,)
    await steps.live_until(MON_23 + timedelta(hours=2))
    assert {k for k in steps.ran_keys() if k.startswith(p)} == channel_and_event_keys(meeting, STARTS[:1], (30,)) | \
        reminders & {f"{p}remind:{stamp(MON_23)}:180"}

    async with sessions.begin() as session:
        await meetings.set_reminder_offsets(session, GUILD, MODERATOR, meetings.parse_offsets("none"))
        await meeting_reminders.replan_many(session, scheduler, await meetings.all_in(session, GUILD), clock.now)
    await steps.live_until(MON_30 + timedelta(hours=2))
    assert {k for k in steps.ran_keys() if k.startswith(p)} == channel_and_event_keys(meeting, STARTS[:1], (30,)) | \
        channel_and_event_keys(meeting, STARTS[1:], ()) | reminders
    assert {k for k in steps.ran_keys() if k.startswith(meeting_reminders.prefix(theirs.id))} == \
        channel_and_event_keys(theirs)
    assert steps.each_once_on_time()


async def test_plan_everything_plans_every_server_and_books_tomorrows_run(sessions: Sessions) -> None:
    ours = await add(sessions)
    theirs = await add(sessions, draft("Their Meeting"), guild=OTHER_GUILD)
    async with sessions.begin() as session:
        await meetings.set_reminder_offsets(session, OTHER_GUILD, MODERATOR, (15,))
    steps = Steps(sessions)
    scheduler = steps.scheduler
    for _ in range(2):
        async with sessions.begin() as session:
            assert await meeting_reminders.plan_everything(session, scheduler, NOW) == 1 + 1

    [daily] = await scheduler.jobs("meetings-plan:")
    assert (daily.key, daily.kind, daily.due_at) == (
        "meetings-plan:2026-11-24", PLAN, datetime(2026, 11, 24, 0, 5, tzinfo=UTC))
    async with sessions.begin() as session:
        await meeting_reminders.plan_everything(session, scheduler, datetime(2026, 11, 24, 0, 5, tzinfo=UTC))
    assert [j.key for j in await scheduler.jobs("meetings-plan:")] == [
        "meetings-plan:2026-11-24", "meetings-plan:2026-11-25"]
    await steps.live_until(MON_30 + timedelta(hours=2))
    assert steps.ran_keys() == channel_and_event_keys(ours) | channel_and_event_keys(theirs, offsets=(15,))
    assert steps.each_once_on_time()
