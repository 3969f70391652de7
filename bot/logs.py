"""How the bot logs: one format to stderr, and libraries whose DEBUG lines carry data kept at INFO.

discord.py's DEBUG lines are raw gateway payloads, and aiosqlite's are every statement with its parameters:
members' ids, keyed codes. Even with LOG_LEVEL=DEBUG they stay at INFO, so no log line can unmask an
anonymous author.
"""

from __future__ import annotations

import logging
import sys

CHATTY = ("discord", "aiosqlite", "asyncpg")


def configure(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)-8s %(name)s: %(message)s", stream=sys.stderr)
    for name in CHATTY:
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level)))
