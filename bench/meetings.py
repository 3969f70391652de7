"""Meetings at scale: plan a week of reminders for 10,000 meetings, and list one busy server.

    .venv/bin/python -m bench.meetings [rounds]            # SQLite
    TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test .venv/bin/python -m bench.meetings
    .venv/bin/python -m bench.meetings 1 --profile         # cProfile of one planning run (SQLite)

Seeds 10,000 meetings across 1,000 servers (one server with 200 of them) by bulk insert: weekly
on 1-3 weekdays, every other week, monthly and daily rules, in 21 zones on both hemispheres, at
varied times, with some ended series, skipped dates, custom channel offsets and 5,000 members'
reminder opt-ins. Then measures, median over `rounds` (default 3):

  plan    `meeting_reminders.plan_everything` end to end in one transaction, committed: load every
          meeting's schedule, compute the next 8 days of occurrences and their steps (channel
          reminders, members' DMs, event start and end), and write each meeting's next step to
          the queue (each step books the one after it when it runs). "insert"
          starts from an empty jobs table; "upsert" plans again over the jobs the last run left,
          as the daily run and every restart do. Split into load / compute / write / commit.
  list    `meetings.upcoming` (the `/meeting list` service call) for the 200-meeting server, each
          call in a fresh session: cold (the week worked out; 10 calls) and warm (kept in memory until
          the server's meetings change or the day turns; 40 calls).

Targets (the issue): plan under 1 s, list under 20 ms.
"""

from __future__ import annotations

import asyncio
import cProfile
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bench.listing import list_calls
from bot.db.engine import create_session_factory
from bot.db.models import GuildSettings, Job, MeetingReminderOptIn, MeetingRow
from bot.scheduler import Scheduler
from bot.services import meetings
from bot.services.meetings import reminders as meeting_reminders
from tests.databases import Database, migrated_engine, postgres_url, sqlite_database

SERVERS = 1000
MEETINGS = 10_000
BUSY_SERVER_MEETINGS = 200
OPT_INS = 5000
LIST_CALLS = 50
# A Thursday before Europe's and after North America's spring change, while the south is still on
# summer time: the planned week crosses a daylight-saving change for part of the world.
NOW = datetime(2026, 3, 26, 15, 7, tzinfo=UTC)
GUILD_BASE = 900_000_000_000_000_000
BUSY_GUILD = GUILD_BASE

ZONES = (
    "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Phoenix",
    "America/Anchorage", "Pacific/Honolulu", "America/Sao_Paulo", "America/Argentina/Buenos_Aires",
    "America/Santiago", "Europe/London", "Europe/Dublin", "Europe/Berlin", "Africa/Johannesburg",
    "Asia/Kolkata", "Asia/Kathmandu", "Asia/Tokyo", "Australia/Sydney", "Australia/Adelaide",
    "Pacific/Auckland", "UTC",
)
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MONTHLY = ("FREQ=MONTHLY;BYDAY=1SA", "FREQ=MONTHLY;BYDAY=-1FR", "FREQ=MONTHLY;BYDAY=2TU",
           "FREQ=MONTHLY;BYDAY=3SU")
CUSTOM_OFFSETS: tuple[list[int], ...] = ([30], [], [120, 60, 15], [1440, 60])


def _rule(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.72:
        days = sorted(rng.sample(range(7), rng.choice((1, 1, 2, 2, 3))))
        return "FREQ=WEEKLY;BYDAY=" + ",".join(WEEKDAYS[d] for d in days)
    if roll < 0.84:
        return f"FREQ=WEEKLY;INTERVAL=2;BYDAY={rng.choice(WEEKDAYS)}"
    if roll < 0.96:
        return rng.choice(MONTHLY)
    return "FREQ=DAILY"


def _meeting_row(rng: random.Random, guild_id: int, number: int) -> dict[str, Any]:
    # 06:00 to 22:45: never inside a daylight-saving gap in any of ZONES (validation refuses those).
    local_time = clock_time(rng.randrange(6, 23), rng.choice((0, 15, 30, 45)))
    starts_on = NOW.date() - timedelta(days=rng.randrange(-10, 700))
    roll = rng.random()
    until = None
    if roll < 0.05:
        until = NOW.date() - timedelta(days=rng.randrange(1, 60))  # an ended series
    elif roll < 0.10:
        until = NOW.date() + timedelta(days=rng.randrange(0, 10))  # ends during the week
    skipped = [(NOW.date() + timedelta(days=rng.randrange(0, 8))).isoformat()] if rng.random() < 0.08 else []
    return {
        "guild_id": guild_id, "slug": f"meeting-{number}", "name": f"Meeting {number}",
        "kind": rng.choice(("12-step", "smart", "family", "secular", "other")),
        "fellowship": rng.choice((None, "AA", "NA", "CA")), "types": rng.sample(["O", "D", "BB", "W", "M"], 2),
        "description": None, "place": "voice", "channel_id": guild_id + 1 + number % 7, "url": None,
        "duration_minutes": rng.choice((60, 60, 90, 45, 120)), "facilitator_role_id": None,
        "ping_role_id": None, "rule": _rule(rng), "local_time": local_time, "zone": rng.choice(ZONES),
        "starts_on": starts_on, "until": until, "skipped_dates": skipped, "event_id": None,
        "event_start": None, "event_problem": None, "created_by": 1, "created_at": NOW, "updated_at": NOW,
    }


async def seed(sessions: async_sessionmaker[AsyncSession]) -> None:
    rng = random.Random(20260326)
    guilds = [GUILD_BASE + i * 4_194_304 for i in range(SERVERS)]
    # The busy server has 200 meetings; the other 9,800 are spread unevenly over the rest.
    owners = [BUSY_GUILD] * BUSY_SERVER_MEETINGS + [rng.choice(guilds[1:]) for _ in
                                                    range(MEETINGS - BUSY_SERVER_MEETINGS)]
    rows = [_meeting_row(rng, guild_id, number) for number, guild_id in enumerate(owners)]
    settings = [{"guild_id": g, "timezone": rng.choice(ZONES), "created_at": NOW, "updated_at": NOW}
                for g in guilds]
    # A few servers chose their own channel offsets (some none at all); the rest keep the default,
    # left out rather than None, which the JSON column would store as a JSON null, not SQL NULL.
    custom = [dict(row, meeting_reminder_offsets=rng.choice(CUSTOM_OFFSETS)) for row in settings
              if rng.random() < 0.15]
    customised = {row["guild_id"] for row in custom}
    async with sessions.begin() as session:
        await session.execute(insert(GuildSettings), custom)
        await session.execute(insert(GuildSettings), [r for r in settings if r["guild_id"] not in customised])
        for start in range(0, len(rows), 1000):
            await session.execute(insert(MeetingRow), rows[start:start + 1000])
    async with sessions.begin() as session:
        ids = list(await session.scalars(select(MeetingRow.id).order_by(MeetingRow.id)))
        chosen = rng.sample([(m, u) for m in rng.sample(ids, 2500) for u in range(1, 4)], OPT_INS)
        opt_ins = [{"meeting_id": m, "user_id": 10**17 + u, "created_at": NOW,
                    "offset_minutes": rng.choice(meetings.MEMBER_REMINDER_OFFSETS)} for m, u in chosen]
        await session.execute(insert(MeetingReminderOptIn), opt_ins)


@dataclass
class Split:
    """Seconds spent in each phase of one planning run."""

    load: float = 0.0
    write: float = 0.0
    commit: float = 0.0
    total: float = 0.0
    jobs: int = 0
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def compute(self) -> float:
        return self.total - self.load - self.write - self.commit


def _timed(original: Callable[..., Awaitable[Any]], split: Split, phase: str) -> Callable[..., Awaitable[Any]]:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return await original(*args, **kwargs)
        finally:
            setattr(split, phase, getattr(split, phase) + time.perf_counter() - began)
    return wrapper


@asynccontextmanager
async def phases(split: Split, scheduler: Scheduler) -> AsyncIterator[None]:
    """Time the real plan_everything's reads and writes by wrapping what it calls."""
    patched = {name: getattr(meetings, name) for name in ("every_schedule", "reminder_offsets_by_guild",
                                                          "member_offsets")}
    for name, original in patched.items():
        setattr(meetings, name, _timed(original, split, "load"))
    scheduler.schedule_many = _timed(scheduler.schedule_many, split, "write")  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        for name, original in patched.items():
            setattr(meetings, name, original)
        del scheduler.schedule_many


async def plan_once(sessions: async_sessionmaker[AsyncSession], scheduler: Scheduler) -> Split:
    split = Split()
    async with phases(split, scheduler):
        began = time.perf_counter()
        async with sessions() as session:
            async with session.begin():
                split.jobs = await meeting_reminders.plan_everything(session, scheduler, NOW)
                committing = time.perf_counter()
            split.commit = time.perf_counter() - committing
        split.total = time.perf_counter() - began
    return split


async def job_count(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Job)) or 0)


async def clear_jobs(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions.begin() as session:
        await session.execute(delete(Job))


def _median_split(splits: list[Split]) -> Split:
    med = statistics.median
    return Split(load=med(s.load for s in splits), write=med(s.write for s in splits),
                 commit=med(s.commit for s in splits), total=med(s.total for s in splits), jobs=splits[0].jobs)


async def occurrence_count(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    async with sessions() as session:
        every = await meetings.every_schedule(session)
    horizon = meeting_reminders.HORIZON
    return len(every), sum(len(m.occurrences(NOW - m.duration, NOW + horizon)) for m in every)


async def measure(engine: AsyncEngine, label: str, rounds: int) -> None:
    sessions = create_session_factory(engine)
    scheduler = Scheduler(sessions, clock=lambda: NOW)
    began = time.perf_counter()
    await seed(sessions)
    seeded = time.perf_counter() - began
    count, occurrences = await occurrence_count(sessions)

    inserts, upserts = [], []
    for _ in range(rounds):
        await clear_jobs(sessions)
        inserts.append(await plan_once(sessions, scheduler))
        upserts.append(await plan_once(sessions, scheduler))
    stored = await job_count(sessions)
    assert stored == inserts[0].jobs + 1, (stored, inserts[0].jobs)  # + the next daily planning run
    cold, warm, found = await list_calls(sessions, BUSY_GUILD, NOW, LIST_CALLS, cold_every=5)

    print(f"\n{label}: {count} meetings in {SERVERS} servers (seeded in {seeded:.1f} s), "
          f"{occurrences} occurrences in the next 8 days, {inserts[0].jobs} jobs (one per meeting with a step ahead); "
          f"median of {rounds}")
    print(f"  {'plan_everything':16s} {'total':>8s} {'load':>8s} {'compute':>8s} {'write':>8s} {'commit':>8s}")
    for name, splits in (("insert (fresh)", inserts), ("upsert (again)", upserts)):
        s = _median_split(splits)
        print(f"  {name:16s} {s.total:7.3f}s {s.load:7.3f}s {s.compute:7.3f}s {s.write:7.3f}s {s.commit:7.3f}s"
              f"   {'OK' if s.total < 1 else 'MISSED'} (target < 1 s)")
    p95 = statistics.quantiles(cold, n=20)[-1]
    print(f"  upcoming() for {BUSY_SERVER_MEETINGS} meetings ({found} occurrences): cold median "
          f"{statistics.median(cold) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms over {len(cold)} calls   "
          f"{'OK' if p95 < 0.020 else 'MISSED'} (target < 20 ms); warm median "
          f"{statistics.median(warm) * 1000:.3f} ms over {len(warm)} calls")


async def profile(database: Database) -> None:
    async with migrated_engine(database) as engine:
        sessions = create_session_factory(engine)
        scheduler = Scheduler(sessions, clock=lambda: NOW)
        await seed(sessions)
        profiler = cProfile.Profile()
        profiler.enable()
        await plan_once(sessions, scheduler)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


async def main(rounds: int, with_profile: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        if with_profile:
            await profile(sqlite_database(Path(folder)))
            return
        async with migrated_engine(sqlite_database(Path(folder))) as engine:
            await measure(engine, "SQLite", rounds)
    if postgres_url():
        from tests.databases import postgres_schema

        async with postgres_schema() as database, migrated_engine(database) as engine:
            await measure(engine, "PostgreSQL", rounds)


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if a != "--profile"]
    asyncio.run(main(int(arguments[0]) if arguments else 3, "--profile" in sys.argv[1:]))
