"""Cog tests: the real bot in-process, a real Discord double, a real SQLite database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.client import RecoveryBot
from tests.community import Community
from tests.discord_double import DiscordDouble
from tests.harness import bot_in_process


@pytest.fixture
async def bot(double: DiscordDouble, community: Community, tmp_path: Path) -> AsyncIterator[RecoveryBot]:
    async with bot_in_process(double, tmp_path / "data") as bot:
        yield bot
