"""/resources: private, region-aware, and available in DMs."""

from __future__ import annotations

from bot.client import RecoveryBot
from tests.community import Community


async def test_resources_is_private_and_shows_the_international_list_by_default(
    bot: RecoveryBot, community: Community
) -> None:
    result = await community.run("resources", user=community.alice)
    assert result.ephemeral
    [embed] = result.embeds
    assert "International" in embed["title"]
    assert "findahelpline.com" in str(embed)
    assert "emergency number" in embed["description"]


async def test_resources_follows_the_servers_crisis_region(bot: RecoveryBot, community: Community) -> None:
    await community.run("config crisis-region", region="GB")
    result = await community.run("resources", user=community.bob)
    [embed] = result.embeds
    assert "United Kingdom" in embed["title"]
    assert "116 123" in str(embed) and "999" in embed["description"]
    assert result.ephemeral


async def test_resources_works_in_dms_and_for_another_region(bot: RecoveryBot, community: Community) -> None:
    result = await community.double.invoke("resources", user=community.alice.user, guild=None,
                                           options={"region": "US"})
    [embed] = result.embeds
    assert "988" in str(embed) and "1-800-662-4357" in str(embed)
    assert result.ephemeral
