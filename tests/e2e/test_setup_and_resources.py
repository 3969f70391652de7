"""A manager sets the server up and members find help, all through the real bot process."""

from __future__ import annotations

import pytest

from tests.community import Community
from tests.discord_double import CommandNotVisible, DiscordDouble, P
from tests.e2e.process import BotProcess


async def test_a_manager_sets_up_a_fresh_server(running_bot: BotProcess, double: DiscordDouble,
                                                community: Community) -> None:
    guild = double.add_guild("New Meeting Group", owner=community.manager.user)
    owner = guild.members[community.manager.user.id]
    newcomer = double.add_member(guild, double.add_user("newcomer"))
    lobby = double.add_channel(guild, "lobby")

    panel = await double.invoke("setup", user=owner, channel=lobby)
    assert panel.ephemeral
    await double.click(panel.message, "setup:create-missing", user=owner)
    await panel.wait_until(lambda r: "Done just now" in str(r.embeds))
    await double.click(panel.message, "setup:step:roles", user=owner)
    await double.click(panel.message, "setup:step:region", user=owner)
    await double.select(panel.message, "setup:region", ["CA"], user=owner)
    form = await double.click(panel.message, "setup:timezone", user=owner)
    await double.submit_modal(form, {"setup:timezone:zone": "America/Toronto"})
    await double.click(panel.message, "setup:finish", user=owner)
    await panel.wait_until(lambda r: "Setup saved" in str(r.embeds))
    assert "America/Toronto" in str(panel.embeds) and "Canada" in str(panel.embeds)

    reachout = next(c for c in guild.channels.values() if c.name == "reach-out")
    assert not double.permissions_of(newcomer, reachout) & P.VIEW_CHANNEL

    help_now = await double.invoke("resources", user=newcomer, channel=lobby)
    assert help_now.ephemeral and "Canada" in help_now.embeds[0]["title"]
    assert "988" in str(help_now.embeds)
    double.assert_no_unknown_routes()


async def test_config_commands_change_one_thing_each(configured: Community) -> None:
    community = configured
    shown = await community.run("config show")
    text = str(shown.embeds)
    for channel in (community.announcements, community.checkins, community.reachout, community.meetings_log):
        assert str(channel.id) in text
    assert "Needs attention" not in text

    refused = await community.run("config timezone", zone="Narnia/Cair_Paravel")
    assert refused.ephemeral and "I don't know the time zone" in refused.content
    saved = await community.run("config timezone", zone="Australia/Sydney")
    assert "Australia/Sydney" in saved.content


async def test_a_member_cannot_run_setup(running_bot: BotProcess, community: Community) -> None:
    with pytest.raises(CommandNotVisible):
        await community.run("setup", user=community.alice)
    refused = await community.double.invoke("setup", user=community.alice, channel=community.general,
                                            bypass_default_permissions=True)
    assert refused.ephemeral
    assert "Manage Server" in refused.content
    assert not refused.components, "no setup panel for a member"


async def test_a_discord_500_is_retried_and_the_member_sees_a_normal_answer(
    running_bot: BotProcess, double: DiscordDouble, community: Community
) -> None:
    double.fail_next("POST", "/interactions/{interaction_id}/{interaction_token}/callback", status=500)
    result = await community.run("resources", user=community.alice)
    assert result.ephemeral and "Support and crisis lines" in result.embeds[0]["title"]
    callbacks = double.requests_to("POST", "/interactions/{interaction_id}/{interaction_token}/callback")
    assert [r.status for r in callbacks[-2:]] == [500, 200]


async def test_closed_dms_are_explained_privately(running_bot: BotProcess, double: DiscordDouble,
                                                  community: Community) -> None:
    double.set_dms_open(community.bob, False)
    result = await community.run("resources", user=community.bob)
    answer = await double.click(result.message, "resources:dm", user=community.bob)
    assert answer.ephemeral and "DMs are closed" in answer.content
    assert double.dms(community.bob) == []
    assert "Traceback" not in running_bot.log


async def test_a_member_keeps_the_crisis_lines(configured: Community) -> None:
    """The README's example scenario, kept honest by running it."""
    double = configured.double
    result = await configured.run("resources", user=configured.alice)
    assert result.ephemeral and "Support and crisis lines" in result.embeds[0]["title"]
    await double.click(result.message, "resources:dm", user=configured.alice)
    assert double.dms(configured.alice)[0].embeds
