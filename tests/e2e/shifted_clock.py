"""`python -m bot` with its clock (bot.clock, the one every part of the bot asks) moved to a given instant,
still ticking.

Meetings happen tomorrow and next week; a scenario cannot wait for them. Restarting the real bot
process at a later instant is also exactly what happens after downtime, so these scenarios test
the catch-up rules (stale reminders dropped, events rolled over) through the production path.

    python -m tests.e2e.shifted_clock 2026-11-24T23:05:00+00:00
"""

from __future__ import annotations

import runpy
import sys
from datetime import datetime

from bot import clock


def main() -> None:
    moment = datetime.fromisoformat(sys.argv[1])
    sys.argv = [sys.argv[0]]
    with clock.travel(moment):
        runpy.run_module("bot", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
