"""Check-ins under load, through the service layer: 1,000 check-ins, none lost, p99 per check-in.

    .venv/bin/python -m bench.checkins [count] [in-flight ...]          # defaults 1000, and 50 and 1000 in flight
    TEST_DATABASE_URL=postgresql+asyncpg://… .venv/bin/python -m bench.checkins

Each check-in goes through `Recorder.record` (what /checkin and the daily reminder's form call): its note
encrypted, its author's keyed code computed, kept in a transaction with whatever arrived alongside it. Each
one's latency is from its submission to its commit. The figures are for `in-flight` check-ins submitted at a
time (a busy evening: 50), and for all 1,000 at the very same moment (the worst case: the last in line waits
for the encryption and hashing of all before it, in one event loop). Then the database is counted: every
check-in is there, once.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import func, select

from bot import clock
from bot.db import encryption
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade
from bot.db.models import CheckinRow
from bot.services.checkins.entries import NewCheckin
from bot.services.checkins.recorder import Recorder
from tests.databases import postgres_database, postgres_url

TARGET_P99 = 0.020
NOTE = "Evenings are hard. Went for a walk instead, called my sponsor, made tea. Proud of today."


async def run(url: str, count: int, in_flight: list[int]) -> None:
    encryption.configure([Fernet.generate_key()])
    engine = create_engine(url)
    await upgrade(engine)
    sessions = create_session_factory(engine)
    recorder = Recorder(sessions, clock.now)
    await recorder.record(NewCheckin(1, 3, 3, NOTE, "UTC"))  # warm: connections, statement caches
    kept = 1
    try:
        for width in in_flight:
            waits = await _measure(recorder, count, width)
            kept += count
            p50, p99 = statistics.median(waits), statistics.quantiles(waits, n=100, method="inclusive")[98]
            print(f"  {count:,} check-ins, {width:,} in flight: p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
                  f"slowest {max(waits) * 1000:.1f} ms   {'OK' if p99 < TARGET_P99 else 'MISSED'} (p99 target 20 ms)")
        async with sessions() as session:
            stored = await session.scalar(select(func.count()).select_from(CheckinRow))
        print(f"  kept: {stored:,} of {kept:,}   {'OK, none lost' if stored == kept else 'MISSED'}")
    finally:
        await engine.dispose()


async def _measure(recorder: Recorder, count: int, width: int) -> list[float]:
    waits: list[float] = []
    queue = iter(range(count))

    async def worker() -> None:
        for number in queue:
            began = time.perf_counter()
            await recorder.record(NewCheckin(1000 + number, 1 + number % 5, number % 11, NOTE, "Europe/London"))
            waits.append(time.perf_counter() - began)

    await asyncio.gather(*(worker() for _ in range(min(width, count))))
    return waits


def main() -> None:
    args = [int(a) for a in sys.argv[1:]]
    count = args[0] if args else 1000
    in_flight = args[1:] or [50, count]

    async def go() -> None:
        if postgres_url():
            async with postgres_database() as url:
                print("PostgreSQL:")
                await run(url, count, in_flight)
        else:
            with tempfile.TemporaryDirectory() as folder:
                print("SQLite:")
                await run(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}", count, in_flight)

    asyncio.run(go())


if __name__ == "__main__":
    main()
