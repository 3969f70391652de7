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


async def test_the_lines_can_be_kept_in_dms(bot: RecoveryBot, community: Community) -> None:
    double = community.double
    result = await community.run("resources", user=community.alice)
    await double.click(result.message, "resources:dm", user=community.alice)
    [dm] = double.dms(community.alice)
    assert "Support and crisis lines" in dm.embeds[0]["title"]
    await result.wait_until(lambda r: "Sent to your DMs" in str(r.components))


async def test_closed_dms_get_a_private_explanation(bot: RecoveryBot, community: Community) -> None:
    double = community.double
    double.set_dms_open(community.bob, False)
    result = await community.run("resources", user=community.bob)
    answer = await double.click(result.message, "resources:dm", user=community.bob)
    assert answer.ephemeral
    assert "DMs are closed" in (answer.content or "")
    assert double.dms(community.bob) == []
