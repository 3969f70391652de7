"""Throughput of the durable job queue: schedule N jobs, then claim and run them all.

    .venv/bin/python -m bench.job_queue [jobs]            # SQLite
    TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test .venv/bin/python -m bench.job_queue

Prints jobs per second for scheduling and for claim+run (no-op handler), so the figure is the
queue's own overhead, not a handler's.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from bot import clock
from bot.db.engine import create_session_factory
from bot.scheduler import DueJob, Scheduler
from tests.databases import Database, migrated_engine, postgres_url, sqlite_database


async def measure(database: Database, label: str, jobs: int) -> None:
    async with migrated_engine(database) as engine:
        scheduler = Scheduler(create_session_factory(engine), concurrency=8)

        async def noop(job: DueJob) -> None:
            return None

        scheduler.register("bench", noop)
        now = clock.now()
        began = time.perf_counter()
        for i in range(jobs):
            await scheduler.schedule("bench", f"bench:{i}", now, {"i": i})
        scheduled = time.perf_counter() - began
        began = time.perf_counter()
        ran = await scheduler.run_due()
        elapsed = time.perf_counter() - began
        assert ran == jobs, (ran, jobs)
        print(f"{label:10s} schedule {jobs / scheduled:8.0f} jobs/s   claim+run {jobs / elapsed:8.0f} jobs/s "
              f"({jobs} jobs)")


async def main(jobs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        await measure(sqlite_database(Path(folder)), "SQLite", jobs)
    if postgres_url():
        from tests.databases import postgres_schema

        async with postgres_schema() as database:
            await measure(database, "PostgreSQL", jobs)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000))
