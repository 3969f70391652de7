"""The durable job queue, against real databases made by the migrations."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import clock
from bot.db.engine import create_session_factory
from bot.db.models import JobState
from bot.scheduler import DueJob, NewJob, PermanentJobError, Scheduler
from tests.databases import Database

FAST = {"retry_base": timedelta(milliseconds=10), "max_idle": 0.2}


@asynccontextmanager
async def scheduler_on(database: Database, **options: object) -> AsyncIterator[Scheduler]:
    """A scheduler with its own engine, as a separate process would have."""
    engine = database.engine()
    scheduler = Scheduler(create_session_factory(engine), **{**FAST, **options})
    try:
        yield scheduler
    finally:
        await scheduler.stop(grace=1)
        await engine.dispose()


async def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def test_a_job_survives_a_restart(engine: AsyncEngine, database: Database) -> None:
    due = clock.now() - timedelta(seconds=1)
    async with scheduler_on(database) as before_restart:
        await before_restart.schedule("greet", "greet:1", due, {"name": "Sam"})
    ran: list[dict[str, object]] = []

    async def greet(job: DueJob) -> None:
        ran.append(job.payload)

    async with scheduler_on(database) as after_restart:
        after_restart.register("greet", greet)
        assert await after_restart.run_due() == 1
        assert await after_restart.run_due() == 0
    assert ran == [{"name": "Sam"}]


async def test_two_schedulers_run_each_job_exactly_once(engine: AsyncEngine, database: Database) -> None:
    runs: Counter[str] = Counter()

    async def count(job: DueJob) -> None:
        await asyncio.sleep(0)  # let the other scheduler try to grab the same job
        runs[job.key] += 1

    async with scheduler_on(database, worker_id="a") as a, scheduler_on(database, worker_id="b") as b:
        keys = [f"count:{i}" for i in range(60)]
        now = clock.now()
        for key in keys:
            await a.schedule("count", key, now)
        for s in (a, b):
            s.register("count", count)
            s.start()
        async with asyncio.timeout(10):  # until every job is recorded as finished
            while {j.state for j in await a.jobs("count:")} != {JobState.DONE}:
                await asyncio.sleep(0.02)
        # Not a matter of watching for a while: every claim counts an attempt, so one attempt each means
        # no job was ever claimed twice, and a finished job can never be claimed again.
        assert {(j.state, j.attempts) for j in await a.jobs("count:")} == {(JobState.DONE, 1)}
        assert await a.run_due() == 0 and await b.run_due() == 0
        assert runs == Counter({key: 1 for key in keys})


async def test_a_failing_job_is_retried_with_backoff_then_dead(engine: AsyncEngine, database: Database) -> None:
    attempts: list[int] = []

    async def flaky(job: DueJob) -> None:
        attempts.append(job.attempt)
        raise RuntimeError("Discord said 500")

    async with scheduler_on(database) as s:
        s.register("flaky", flaky, max_attempts=3)
        await s.schedule("flaky", "flaky:1", clock.now())
        s.start()
        await wait_for(lambda: len(attempts) == 3)
        await wait_for_state(s, "flaky:1", JobState.DEAD)
        [job] = await s.jobs("flaky:1")
    assert attempts == [1, 2, 3]
    assert job.attempts == 3
    assert job.last_error == "RuntimeError: Discord said 500"
    assert s.backoff(1) == timedelta(milliseconds=10)
    assert s.backoff(3) == timedelta(milliseconds=40)


async def wait_for_state(s: Scheduler, key: str, state: JobState) -> None:
    async with asyncio.timeout(10):
        while [j.state for j in await s.jobs(key)] != [state]:
            await asyncio.sleep(0.02)


async def test_a_job_that_fails_once_then_succeeds_is_done(sessions: async_sessionmaker[AsyncSession]) -> None:
    calls = 0

    async def once_bad(job: DueJob) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("blip")

    s = Scheduler(sessions, **FAST)
    s.register("once-bad", once_bad)
    await s.schedule("once-bad", "once-bad:1", clock.now())
    s.start()
    try:
        await wait_for_state(s, "once-bad:1", JobState.DONE)
    finally:
        await s.stop()
    assert calls == 2


async def test_a_permanent_error_is_not_retried(sessions: async_sessionmaker[AsyncSession]) -> None:
    async def gone(job: DueJob) -> None:
        raise PermanentJobError("the channel was deleted")

    s = Scheduler(sessions, **FAST)
    s.register("gone", gone)
    await s.schedule("gone", "gone:1", clock.now())
    assert await s.run_due() == 1
    [job] = await s.jobs("gone:1")
    assert (job.state, job.attempts, job.last_error) == (JobState.DEAD, 1, "the channel was deleted")


async def test_catch_up_drops_a_stale_job_and_runs_a_recent_one(sessions: async_sessionmaker[AsyncSession]) -> None:
    ran: list[str] = []

    async def remind(job: DueJob) -> None:
        ran.append(job.key)

    s = Scheduler(sessions, **FAST)
    s.register("reminder", remind, max_lateness=timedelta(minutes=5))
    s.register("milestone", remind)  # no limit: a missed milestone is still celebrated
    now = clock.now()
    await s.schedule("reminder", "reminder:stale", now - timedelta(hours=1))
    await s.schedule("reminder", "reminder:recent", now - timedelta(minutes=1))
    await s.schedule("milestone", "milestone:yesterday", now - timedelta(days=1))
    await s.run_due()
    assert sorted(ran) == ["milestone:yesterday", "reminder:recent"]
    states = {j.key: j.state for j in await s.jobs()}
    assert states["reminder:stale"] == JobState.DROPPED


async def test_a_chain_books_each_next_step_even_past_a_stale_or_failing_one(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Steps 1-3 of a chain: 1 is stale (dropped), 2 fails once, 3 runs; the chain never breaks."""
    ran: list[str] = []
    start = clock.now() - timedelta(hours=1)

    async def step(job: DueJob) -> None:
        if job.key == "chain:2" and job.attempt == 1:
            raise ConnectionError("blip")
        ran.append(job.key)

    async def then(job: DueJob) -> NewJob | None:
        number = int(job.key.rpartition(":")[2])
        if number == 3:
            return None
        return NewJob("chain", f"chain:{number + 1}", start + timedelta(minutes=58 + number), {"n": number + 1})

    s = Scheduler(sessions, **FAST)
    s.register("chain", step, max_lateness=timedelta(minutes=5), then=then)
    await s.schedule("chain", "chain:1", start)  # an hour late
    async with asyncio.timeout(10):
        while len(ran) < 2:
            await s.run_due()
            await asyncio.sleep(0.02)
    assert sorted(ran) == ["chain:2", "chain:3"]
    states = {j.key: (j.state, j.attempts) for j in await s.jobs("chain:")}
    assert states == {"chain:1": (JobState.DROPPED, 1), "chain:2": (JobState.DONE, 2), "chain:3": (JobState.DONE, 1)}


async def test_a_chain_step_whose_next_step_cannot_be_worked_out_is_retried(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    ran: list[str] = []
    lookups = 0

    async def step(job: DueJob) -> None:
        ran.append(job.key)

    async def then(job: DueJob) -> NewJob | None:
        nonlocal lookups
        lookups += 1
        if lookups == 1:
            raise ConnectionError("the database blinked")
        return None

    s = Scheduler(sessions, **{**FAST, "retry_base": timedelta(milliseconds=300)})
    s.register("chain", step, then=then)
    await s.schedule("chain", "chain:only", clock.now())
    assert await s.run_due() == 1
    assert ran == []  # the step waits for its successor: doing it first could lose the rest of the chain
    [job] = await s.jobs("chain:only")
    assert (job.state, job.attempts) == (JobState.PENDING, 1)
    await asyncio.sleep(0.35)
    assert await s.run_due() == 1
    assert ran == ["chain:only"]


async def test_a_sooner_job_wakes_a_sleeping_scheduler(sessions: async_sessionmaker[AsyncSession]) -> None:
    ran = asyncio.Event()

    async def ping(job: DueJob) -> None:
        ran.set()

    # With a 60 s idle sleep, only the wake-up can make this job run within the timeout.
    s = Scheduler(sessions, max_idle=60)
    s.register("ping", ping)
    s.start()
    try:
        await asyncio.sleep(0.2)  # the loop is now asleep
        await s.schedule("ping", "ping:1", clock.now() + timedelta(milliseconds=300))
        await asyncio.wait_for(ran.wait(), timeout=5)
    finally:
        await s.stop()


async def test_schedule_moves_a_pending_job_and_ignores_one_that_ran(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    ran: list[object] = []

    async def note(job: DueJob) -> None:
        ran.append(job.payload["v"])

    s = Scheduler(sessions, **FAST)
    s.register("note", note)
    later = clock.now() + timedelta(hours=1)
    await s.schedule("note", "note:1", later, {"v": 1})
    await s.schedule("note", "note:1", clock.now(), {"v": 2})  # moved earlier, new payload
    assert await s.run_due() == 1
    await s.schedule("note", "note:1", clock.now(), {"v": 3})  # already ran: a restart must not resend
    assert await s.run_due() == 0
    assert ran == [2]


async def test_cancel_and_cancel_prefix(sessions: async_sessionmaker[AsyncSession]) -> None:
    s = Scheduler(sessions, **FAST)
    later = clock.now() + timedelta(hours=1)
    for key in ("meeting-reminder:4:a", "meeting-reminder:4:b", "meeting-reminder:42:a", "meeting_x%:1"):
        await s.schedule("meeting-reminder", key, later)
    assert await s.cancel("meeting-reminder:4:a") is True
    assert await s.cancel("meeting-reminder:4:a") is False
    assert await s.cancel_prefix("meeting-reminder:4:") == 1
    assert await s.cancel_prefix("meeting_") == 1  # wildcards in a prefix are literal
    assert [j.key for j in await s.jobs()] == ["meeting-reminder:42:a"]


async def test_schedule_in_a_transaction_follows_its_fate(sessions: async_sessionmaker[AsyncSession]) -> None:
    s = Scheduler(sessions, **FAST)
    async with sessions() as session:
        await s.schedule("x", "x:rolled-back", clock.now(), session=session)
        await session.rollback()
    async with sessions.begin() as session:
        await s.schedule("x", "x:committed", clock.now(), session=session)
    assert [j.key for j in await s.jobs("x:")] == ["x:committed"]


async def test_stop_releases_a_job_still_running(sessions: async_sessionmaker[AsyncSession]) -> None:
    started = asyncio.Event()

    async def slow(job: DueJob) -> None:
        started.set()
        await asyncio.sleep(60)

    s = Scheduler(sessions, **FAST)
    s.register("slow", slow)
    await s.schedule("slow", "slow:1", clock.now())
    s.start()
    await asyncio.wait_for(started.wait(), 5)
    await s.stop(grace=0.1)
    [job] = await s.jobs("slow:1")
    assert (job.state, job.attempts) == (JobState.PENDING, 0)


async def test_a_lapsed_lease_is_reclaimed(database: Database, engine: AsyncEngine) -> None:
    """A process that died mid-job leaves it running; another takes it once the lease lapses."""
    async with scheduler_on(database, worker_id="dead", lease=timedelta(milliseconds=200)) as dead:
        dead.register("work", _never_finishes)
        await dead.schedule("work", "work:1", clock.now())
        claimed = await dead._claim()  # claimed, then the process "dies" before running it
        assert len(claimed) == 1
    ran: list[int] = []

    async def work(job: DueJob) -> None:
        ran.append(job.attempt)

    async with scheduler_on(database, worker_id="alive") as alive:
        alive.register("work", work)
        assert await alive.run_due() == 0  # lease still held
        await asyncio.sleep(0.3)
        assert await alive.run_due() == 1
    assert ran == [2]


async def _never_finishes(job: DueJob) -> None:
    await asyncio.sleep(3600)


async def test_a_sharded_process_claims_only_its_guilds_jobs(sessions: async_sessionmaker[AsyncSession]) -> None:
    shard0_guild, shard1_guild = 0 << 22, 1 << 22  # (guild_id >> 22) % 2 picks the shard
    ran: list[str] = []

    async def note(job: DueJob) -> None:
        ran.append(job.key)

    s = Scheduler(sessions, shard_ids=[0], shard_count=2, **FAST)
    s.register("note", note)
    await s.schedule("note", "note:shard0", clock.now(), guild_id=shard0_guild + 7)
    await s.schedule("note", "note:shard1", clock.now(), guild_id=shard1_guild + 7)
    await s.schedule("note", "note:no-guild", clock.now())
    await s.run_due()
    assert sorted(ran) == ["note:no-guild", "note:shard0"]


async def test_naive_due_time_is_refused(sqlite_sessions: async_sessionmaker[AsyncSession]) -> None:
    s = Scheduler(sqlite_sessions)
    with pytest.raises(ValueError, match="timezone-aware"):
        await s.schedule("x", "x:1", datetime(2026, 1, 1, 19, 0))
    assert await s.jobs() == []
