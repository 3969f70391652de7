"""Reach-out end to end: the real bot process, stopped in the middle of a request's ladder and started again
at later instants, as after downtime. Nothing is lost and nothing is sent twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tests.community import Community
from tests.discord_double import DiscordDouble
from tests.e2e.conftest import StartBot
from tests.e2e.process import BotProcess


async def test_a_restart_in_the_middle_of_the_ladder_loses_nothing_and_doubles_nothing(
    configured: Community, running_bot: BotProcess, start_bot: StartBot, double: DiscordDouble
) -> None:
    community = configured
    for command in ("volunteer join", "volunteer available"):
        await community.run(command, user=community.volunteer)
    asked_at = datetime.now(UTC)
    result = await community.run("reachout", user=community.alice, message="Rough night, could use a voice")
    await result.wait_for_followup()
    await double.wait_for_message(community.reachout, lambda m: bool(m.embeds))
    assert await running_bot.stop() == 0  # down before anyone took it

    def moderator_pings() -> int:
        return sum(m.content.startswith(f"<@&{community.moderator_role.id}>")
                   for m in double.messages(community.reachout))

    def told() -> int:
        return sum("nobody has been free" in m.content for m in double.dms(community.alice))

    second = await start_bot(clock_at=asked_at + timedelta(minutes=11))  # steps 1 and 2 were due meanwhile
    await double.wait_for(lambda: moderator_pings() == 1, what="the moderators to be pinged after the restart")
    assert told() == 0
    assert await second.stop() == 0

    third = await start_bot(clock_at=asked_at + timedelta(minutes=16))
    await double.wait_for(lambda: told() == 1, what="the requester to be told after another restart")
    assert await third.stop() == 0

    fourth = await start_bot(clock_at=asked_at + timedelta(minutes=30))  # and once more: nothing is due
    await asyncio.sleep(1)  # a doubled step would have been sent by now: the queue runs due work at start
    assert moderator_pings() == 1 and told() == 1
    assert "Traceback" not in fourth.log
    assert await fourth.stop() == 0
