"""Two shard processes on one database: each answers its own servers; commands registered once."""

from __future__ import annotations

from tests.discord_double import DiscordDouble
from tests.e2e.conftest import StartBot


async def test_two_shard_processes_share_the_work(start_bot: StartBot, double: DiscordDouble) -> None:
    double.shard_count = 2
    guilds = [double.add_guild(f"Group on shard {shard}", shard_id=shard) for shard in (0, 1)]
    members = [double.add_member(g, double.add_user(f"member-{i}")) for i, g in enumerate(guilds)]
    for guild in guilds:
        double.add_channel(guild, "general")

    first = await start_bot(SHARD_COUNT="2", SHARD_IDS="0")
    second = await start_bot(wait=False, SHARD_COUNT="2", SHARD_IDS="1")
    await second.wait_ready()

    assert sorted(shard for shard, _count, _intents in double.identifies) == [0, 1]
    assert double.command_registrations == 1
    assert "left to the process that runs shard 0" in second.log

    for member in members:
        result = await double.invoke("resources", user=member)
        assert result.ephemeral and result.embeds
    assert await first.stop() == 0
    assert await second.stop() == 0
