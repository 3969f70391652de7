"""A meeting chaired across a restart: the real bot process stopped mid-meeting and started again. The queue is
as it was and the panel's buttons, pressed on the same message, keep working."""

from __future__ import annotations

import json

from tests.cogs.test_meetings import create, tomorrow_at
from tests.community import Community
from tests.discord_double import DiscordDouble, Message
from tests.e2e.conftest import StartBot
from tests.e2e.process import BotProcess


def panel(double: DiscordDouble, community: Community) -> Message:
    [found] = [m for m in double.messages(community.meeting_room) if m.embeds]
    return found


def custom_id(message: Message, action: str) -> str:
    return str(next(c["custom_id"] for row in message.components for c in row["components"]
                    if c["custom_id"].startswith(f"run:{action}:")))


async def test_a_restart_mid_meeting_keeps_the_queue_and_the_panels_buttons(
    configured: Community, running_bot: BotProcess, start_bot: StartBot, double: DiscordDouble
) -> None:
    community = configured
    made = await create(community, tomorrow_at(19), name="Tuesday Night Group")
    assert made.message is not None or made.followups
    started = await community.run("meeting start", user=community.facilitator, meeting="Tuesday Night Group")
    await started.wait_for_followup()
    live = panel(double, community)
    for who in (community.alice, community.bob):
        await double.click(live, custom_id(live, "hand"), user=who)
    await double.wait_for(lambda: "Queue (2)" in json.dumps(panel(double, community).embeds), what="two hands")
    assert await running_bot.stop() == 0

    second = await start_bot()
    called = await double.click(live, custom_id(live, "next"), user=community.facilitator)  # the same message
    assert f"Called <@{community.alice.id}>" in (called.content or "")
    joined = await double.click(live, custom_id(live, "hand"), user=community.volunteer)
    assert "#2" in (joined.content or "")  # bob is still waiting, first
    await double.wait_for(lambda: f"1. <@{community.bob.id}>\\n2. <@{community.volunteer.id}>"
                          in json.dumps(panel(double, community).embeds), what="the queue as it was, plus one")
    assert "Traceback" not in second.log
    assert await second.stop() == 0
