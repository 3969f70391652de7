"""Start-up time of the real `python -m bot` process against the Discord double.

Prints, for a fresh database and for a restart: time from spawn until the process logs that it
is ready, and until its commands are registered (fresh) or confirmed unchanged (restart).

    .venv/bin/python -m bench.startup [runs]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests.community import build_community
from tests.discord_double import DiscordDouble
from tests.e2e.process import BotProcess


async def one_run(workdir: Path) -> tuple[float, float]:
    async with DiscordDouble() as double:
        build_community(double)
        times = []
        for _ in ("fresh", "restart"):
            began = time.perf_counter()
            process = await BotProcess(double, workdir).start()
            await process.wait_ready()
            times.append(time.perf_counter() - began)
            await process.stop()
        return times[0], times[1]


async def main(runs: int) -> None:
    fresh, restart = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            first, second = await one_run(Path(folder))
            fresh.append(first)
            restart.append(second)
    print(f"start-up to ready over {runs} runs (spawn -> 'ready' logged; includes discord.py's 2 s wait for "
          "guild data)")
    for name, values in (("fresh database", fresh), ("restart", restart)):
        print(f"  {name:15s} median {statistics.median(values):.2f} s  min {min(values):.2f} s  "
              f"max {max(values):.2f} s")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
