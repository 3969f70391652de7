"""Milestones end to end: the real bot process, down over the hour a milestone was due and started again at
later instants. The milestone is celebrated once, late but on the right day, and never again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.community import Community
from tests.discord_double import DiscordDouble
from tests.e2e.conftest import StartBot
from tests.e2e.process import BotProcess

NEW_YORK = ZoneInfo("America/New_York")


async def test_a_milestone_due_while_the_bot_was_down_is_celebrated_once_after_the_restart(
    configured: Community, running_bot: BotProcess, start_bot: StartBot, double: DiscordDouble
) -> None:
    community = configured
    await community.run("config timezone", zone="America/New_York")
    tomorrow = datetime.now(NEW_YORK).date() + timedelta(days=1)
    started = await community.run("milestone set", user=community.alice,
                                  date=(tomorrow - timedelta(days=30)).isoformat())
    assert started.message is not None
    await double.click(started.message, "milestones:choose:public", user=community.alice)
    assert await running_bot.stop() == 0  # down over tomorrow's 09:00 in New York

    def celebrations() -> list[str]:
        return [m.content for m in double.messages(community.announcements) if "30 days" in m.content]

    nine = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 9, tzinfo=NEW_YORK).astimezone(UTC)
    second = await start_bot(clock_at=nine + timedelta(hours=2))
    await double.wait_for(lambda: len(celebrations()) == 1, what="the missed milestone to be celebrated")
    assert f"<@{community.alice.id}> celebrates **30 days** today!" in celebrations()[0]
    assert await second.stop() == 0

    third = await start_bot(clock_at=nine + timedelta(days=1))  # and again: nothing is due twice
    await asyncio.sleep(1)  # a second announcement would have been sent by now: the queue runs due work at start
    assert len(celebrations()) == 1
    assert "Traceback" not in third.log
    assert await third.stop() == 0
