"""`python -m bot` with a cProfile switched by signals, for `bench.hot_path --profile`.

SIGUSR1 starts profiling the event loop's thread; SIGUSR2 stops it and writes `profile-<n>.pstats`
(n = 1, 2, …) to the working folder. Work the bot hands to threads (`asyncio.to_thread`) is not seen.
"""

from __future__ import annotations

import cProfile
import runpy
import signal
import sys
from types import FrameType

_profiler: cProfile.Profile | None = None
_written = 0


def _start(signum: int, frame: FrameType | None) -> None:
    global _profiler
    _profiler = cProfile.Profile()
    _profiler.enable()


def _stop(signum: int, frame: FrameType | None) -> None:
    global _profiler, _written
    if _profiler is None:
        return
    _profiler.disable()
    _written += 1
    _profiler.dump_stats(f"profile-{_written}.pstats")
    _profiler = None


if __name__ == "__main__":
    signal.signal(signal.SIGUSR1, _start)
    signal.signal(signal.SIGUSR2, _stop)
    sys.argv = ["bot"]
    runpy.run_module("bot", run_name="__main__", alter_sys=True)
