"""`python -m bot`, logging once it is ready which top-level modules the process holds: how a test sees
that something needed only now and then (Alembic, the calendar library) is not resident.

    python -m tests.e2e.module_probe
"""

from __future__ import annotations

import logging
import runpy
import sys


class _AtReady(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("ready as "):
            loaded = sorted({name.partition(".")[0] for name in list(sys.modules)})
            print(f"modules loaded: {','.join(loaded)}", file=sys.stderr, flush=True)


def main() -> None:
    # On the logger that says "ready as", not the root: the bot configures the root's handlers itself.
    logging.getLogger("bot.client").addHandler(_AtReady())
    runpy.run_module("bot", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
