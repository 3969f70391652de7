"""Check-ins on real databases: kept under a keyed code with the note encrypted, shared with a delay and a
daily limit, a member's own history and streak on their clock, reminders right across daylight saving,
and erasing that leaves nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import privacy
from bot.db.models import CheckinRow
from bot.scheduler import DueJob, ScheduledJob, Scheduler
from bot.services import guild_config
from bot.services.checkins import entries, posts, reminders
from bot.services.errors import DomainError, InvalidInput
from bot.services.guild_config import ChannelPurpose
from tests.raw_database import assert_id_not_stored, assert_not_stored

Sessions = async_sessionmaker[AsyncSession]

GUILD, MODERATOR = 8001, 8100
SAM = 412_345_678_901_234_511
NOTE = "Day 12 and the evenings are the hardest part"
NOW = datetime(2026, 12, 1, 21, 30, tzinfo=UTC)
LONDON, NEW_YORK = "Europe/London", "America/New_York"


@pytest.fixture
async def scheduler(sessions: Sessions, bot_key: bytes) -> Scheduler:
    async with sessions.begin() as session:
        await guild_config.set_channels(session, GUILD, MODERATOR, {ChannelPurpose.CHECKINS: 555})
    return Scheduler(sessions)


async def check_in(sessions: Sessions, *, mood: int = 2, craving: int = 6, note: str | None = NOTE,
                   at: datetime = NOW, zone: str = LONDON, who: int = SAM) -> entries.Entry:
    async with sessions.begin() as session:
        return await entries.record(session, who, mood, craving, note, zone, at)


async def test_a_check_in_holds_no_id_and_no_readable_note(sessions: Sessions, scheduler: Scheduler,
                                                          engine: AsyncEngine) -> None:
    entry = await check_in(sessions)
    async with sessions.begin() as session:
        await entries.share(session, scheduler, entry.id, SAM, GUILD, NOW)
    await assert_not_stored(engine, NOTE)
    await assert_id_not_stored(engine, SAM)  # not even on the shared one: its id is encrypted


async def test_what_cannot_be_kept_is_refused(sessions: Sessions, scheduler: Scheduler) -> None:
    for mood, craving, note, says in [(0, 1, None, "from 1"), (6, 1, None, "from 1"), (3, 11, None, "from 0"),
                                      (3, -1, None, "from 0"), (3, 1, "x" * 1001, "keep it to 1,000")]:
        with pytest.raises(InvalidInput, match=says):
            await check_in(sessions, mood=mood, craving=craving, note=note)


@pytest.mark.parametrize(("mood", "craving", "note", "lines"), [
    (1, 0, None, True), (3, 8, None, True), (3, 2, "honestly I relapsed on Friday", True),
    (3, 2, "je n'en peux plus", True), (4, 2, "a good day, went to a meeting", False), (2, 7, None, False)])
def test_a_hard_check_in_calls_for_the_lines(mood: int, craving: int, note: str | None, lines: bool) -> None:
    assert entries.calls_for_the_lines(mood, craving, note) is lines


def test_a_server_can_add_its_own_crisis_words() -> None:
    assert not entries.calls_for_the_lines(4, 1, "thinking about the bridge")
    assert entries.calls_for_the_lines(4, 1, "thinking about the bridge", ("the bridge",))


async def test_sharing_waits_a_few_minutes_and_is_limited_a_day(sessions: Sessions, scheduler: Scheduler) -> None:
    shared = []
    for n in range(3):
        entry = await check_in(sessions, at=NOW + timedelta(minutes=n))
        async with sessions.begin() as session:
            shared.append(await entries.share(session, scheduler, entry.id, SAM, GUILD, NOW + timedelta(minutes=n)))
    assert all(timedelta(minutes=1) <= s.posts_at - s.entry.created_at <= timedelta(minutes=5) for s in shared)
    jobs = await scheduler.jobs("checkin:post:")
    assert sorted(j.key for j in jobs) == sorted(f"checkin:post:{s.entry.id}" for s in shared)  # no one's id
    fourth = await check_in(sessions, at=NOW + timedelta(hours=1))
    async with sessions.begin() as session:
        with pytest.raises(DomainError, match="shared 3 check-ins here today"):
            await entries.share(session, scheduler, fourth.id, SAM, GUILD, NOW + timedelta(hours=1))
    async with sessions.begin() as session:
        with pytest.raises(DomainError, match="Only the person who checked in"):
            await entries.share(session, scheduler, fourth.id, SAM + 1, GUILD, NOW + timedelta(hours=1))


async def test_support_reaches_the_author_and_reports_and_blocks_name_nobody(sessions: Sessions,
                                                                            scheduler: Scheduler) -> None:
    entry = await check_in(sessions)
    async with sessions.begin() as session:
        await entries.share(session, scheduler, entry.id, SAM, GUILD, NOW)
    async with sessions() as session:
        post, author = await posts.author_of(session, entry.id)
    assert author == SAM and post.id == entry.id
    async with sessions.begin() as session:
        await posts.report(session, entry.id, MODERATOR + 5)
    async with sessions.begin() as session:
        with pytest.raises(DomainError, match="reported this check-in already"):
            await posts.report(session, entry.id, MODERATOR + 5)
    async with sessions.begin() as session:
        assert await posts.block_author(session, GUILD, entry.id, MODERATOR)
    later = await check_in(sessions, at=NOW + timedelta(hours=2))
    async with sessions.begin() as session:
        with pytest.raises(DomainError, match="can't share check-ins anonymously"):
            await entries.share(session, scheduler, later.id, SAM, GUILD, NOW + timedelta(hours=2))


async def test_taking_a_post_down_before_its_time_means_it_never_appears(sessions: Sessions,
                                                                        scheduler: Scheduler) -> None:
    entry = await check_in(sessions)
    async with sessions.begin() as session:
        await entries.share(session, scheduler, entry.id, SAM, GUILD, NOW)
    async with sessions.begin() as session:
        assert await posts.take_down(session, entry.id, SAM) == (None, None)
    async with sessions() as session:
        assert await posts.to_post(session, entry.id) is None


async def test_history_counts_days_on_the_members_clock_and_a_streak(sessions: Sessions, scheduler: Scheduler) -> None:
    # 23:30 in New York is already tomorrow in UTC: the day is New York's.
    for days_ago in (0, 1, 2, 5):
        await check_in(sessions, at=datetime(2026, 12, 1, 23, 30, tzinfo=UTC) - timedelta(days=days_ago),
                       zone=NEW_YORK, mood=3 + (days_ago % 2), craving=2)
    async with sessions() as session:
        past = await entries.history(session, SAM, NEW_YORK, datetime(2026, 12, 2, 4, 0, tzinfo=UTC))
    assert [e.local_date for e in past.entries] == [date(2026, 11, 26), date(2026, 11, 29), date(2026, 11, 30),
                                                     date(2026, 12, 1)]
    assert (past.streak, past.days_checked_in, past.checked_in_today) == (3, 4, True)
    assert past.mood_average == pytest.approx(3.5)
    async with sessions() as session:
        tomorrow = await entries.history(session, SAM, NEW_YORK, datetime(2026, 12, 2, 20, 0, tzinfo=UTC))
        stranger = await entries.history(session, SAM + 1, NEW_YORK, NOW)
    assert (tomorrow.streak, tomorrow.checked_in_today) == (3, False)  # not yet today: the streak still stands
    assert stranger.entries == [] and not stranger.ever


async def test_a_reminder_is_at_the_members_wall_time_across_a_daylight_saving_change(sessions: Sessions,
                                                                                    scheduler: Scheduler) -> None:
    async with sessions.begin() as session:
        set_to = await reminders.set_daily(session, scheduler, SAM, "8pm", NEW_YORK,
                                           datetime(2026, 10, 31, 12, 0, tzinfo=UTC))
    assert set_to.local_time == time(20, 0)
    [job] = await scheduler.jobs("checkin:reminder:")
    assert job.due_at == datetime(2026, 11, 1, 0, 0, tzinfo=UTC)  # 20:00 EDT on 31 October
    assert job.key == f"checkin:reminder:{set_to.id}:2026-10-31"
    async with sessions() as session:
        following = await reminders.following(session, _due(job))
    assert following is not None and following.due_at == datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 20:00 EST
    async with sessions.begin() as session:
        await reminders.pause(session, set_to)
    async with sessions() as session:
        assert await reminders.paused_and_untold(session) == {SAM}
        assert await reminders.following(session, _due(job)) is None  # paused: the chain stops
    async with sessions.begin() as session:
        assert await reminders.turn_off(session, scheduler, SAM)
    assert await scheduler.jobs("checkin:reminder:") == []


def _due(job: ScheduledJob) -> DueJob:
    """The job as its handler would receive it."""
    return DueJob(0, job.key, job.kind, None, {"reminder_id": int(job.key.split(":")[2])}, job.due_at, 1)


async def test_erasing_a_member_leaves_no_check_in_and_lists_their_posts(sessions: Sessions,
                                                                        scheduler: Scheduler,
                                                                        engine: AsyncEngine) -> None:
    entry = await check_in(sessions)
    async with sessions.begin() as session:
        await entries.share(session, scheduler, entry.id, SAM, GUILD, NOW)
        await posts.record_post(session, entry.id, 555, 999)
        await reminders.set_daily(session, scheduler, SAM, "20:00", LONDON, NOW)
    async with sessions() as session:
        exported = await privacy.export_member(session, SAM)
    [kept] = exported["areas"]["Check-ins"]["check_ins"]
    assert kept["note"] == NOTE and exported["areas"]["Check-ins"]["daily_reminder"]["at"] == "20:00"
    async with sessions.begin() as session:
        forgotten = await privacy.forget_member(session, SAM)
    assert forgotten.posts == [(555, 999)]
    async with sessions() as session:
        assert list(await session.scalars(select(CheckinRow))) == []
    await assert_id_not_stored(engine, SAM)


async def test_check_ins_that_arrive_together_are_kept_together_each_with_its_own_answer(
    sessions: Sessions, scheduler: Scheduler
) -> None:
    from bot import clock
    from bot.services.checkins.entries import NewCheckin
    from bot.services.checkins.recorder import Recorder

    recorder = Recorder(sessions, clock.now)
    same = NewCheckin(SAM, 3, 2, "same words", LONDON)
    sent = [same, same, NewCheckin(SAM + 1, 3, 2, "same words", LONDON), NewCheckin(SAM, 9, 2, None, LONDON),
            *(NewCheckin(SAM + 10 + n, 1 + n % 5, n % 11, f"note {n}", NEW_YORK) for n in range(20))]
    answers = await asyncio.gather(*(recorder.record(new) for new in sent), return_exceptions=True)
    assert isinstance(answers[3], InvalidInput)  # a mood of 9: refused, the others kept
    kept = [a for a in answers if isinstance(a, entries.Entry)]
    assert len(kept) == 23 and len({e.id for e in kept}) == 23
    async with sessions() as session:
        for new, entry in zip(sent, answers, strict=True):
            if isinstance(entry, entries.Entry):
                row = await entries.mine(session, entry.id, new.user_id)  # each id is its own author's
                assert (row.mood, row.craving, row.note) == (new.mood, new.craving, new.note)
