"""/setup and /config, driven through the Discord double as a manager would."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.client import RecoveryBot
from bot.services import audit, guild_config
from bot.services.guild_config import ChannelPurpose, GuildConfig, RolePurpose
from tests.community import Community
from tests.discord_double import CommandNotVisible, P, eventually


async def config_of(bot: RecoveryBot, community: Community) -> GuildConfig:
    session: AsyncSession
    async with bot.sessions() as session:
        return await guild_config.get(session, community.guild.id)


async def test_setup_is_hidden_from_members_and_refused_at_run_time(bot: RecoveryBot, community: Community) -> None:
    with pytest.raises(CommandNotVisible):
        await community.run("setup", user=community.alice)
    # A server owner can override visibility in Integrations settings: the run-time check still holds.
    result = await community.double.invoke("setup", user=community.alice, channel=community.general,
                                           bypass_default_permissions=True)
    assert result.ephemeral
    assert result.content == "You need the **Manage Server** permission to use this."
    assert (await config_of(bot, community)).channel(ChannelPurpose.REACHOUT) is None


async def test_create_missing_builds_a_private_reach_out_channel_and_is_harmless_twice(
    bot: RecoveryBot, community: Community
) -> None:
    double = community.double
    guild = double.add_guild("Fresh Group", owner=community.manager.user)
    owner = guild.members[community.manager.user.id]
    member = double.add_member(guild, double.add_user("newcomer"))
    lobby = double.add_channel(guild, "lobby")

    panel = await double.invoke("setup", user=owner, channel=lobby)
    assert panel.ephemeral and "Step 1 of 3" in panel.embeds[0]["description"]
    await double.click(panel.message, "setup:create-missing", user=owner)
    await panel.wait_until(lambda r: "Done just now" in str(r.embeds))

    names = sorted(str(c.name) for c in guild.channels.values())
    assert {"announcements", "check-ins", "reach-out", "meetings-log", "Recovery"} <= set(names)
    role_names = {r.name for r in guild.roles.values()}
    assert {"Volunteer", "Facilitator", "Moderator"} <= role_names

    async with bot.sessions() as session:
        config = await guild_config.get(session, guild.id)
    reachout = guild.channels[config.channel(ChannelPurpose.REACHOUT)]
    volunteer_role = guild.roles[config.role(RolePurpose.VOLUNTEER)]
    volunteer = double.add_member(guild, double.add_user("helper"), roles=[volunteer_role])
    assert not double.permissions_of(member, reachout) & P.VIEW_CHANNEL
    assert double.permissions_of(volunteer, reachout) & P.VIEW_CHANNEL
    announcements = guild.channels[config.channel(ChannelPurpose.ANNOUNCEMENTS)]
    assert not double.permissions_of(member, announcements) & P.SEND_MESSAGES

    again = await double.invoke("setup", user=owner, channel=lobby)
    await double.click(again.message, "setup:create-missing", user=owner)
    await again.wait_until(lambda r: "Nothing was missing" in str(r.embeds))
    assert sorted(str(c.name) for c in guild.channels.values()) == names


async def test_setup_adopts_existing_channels_and_roles_by_name(bot: RecoveryBot, community: Community) -> None:
    panel = await community.run("setup")
    await community.double.click(panel.message, "setup:create-missing", user=community.manager)
    await panel.wait_until(lambda r: "Done just now" in str(r.embeds))
    config = await config_of(bot, community)
    assert config.channel(ChannelPurpose.REACHOUT) == community.reachout.id
    assert config.role(RolePurpose.VOLUNTEER) == community.volunteer_role.id
    assert "using existing" in str(panel.embeds)
    assert not community.double.requests_to("POST", "/guilds/{guild_id}/channels")


async def test_the_wizard_saves_each_choice_and_walks_the_steps(bot: RecoveryBot, community: Community) -> None:
    double = community.double
    panel = await community.run("setup")
    await double.select(panel.message, "setup:channel:checkins", [community.checkins], user=community.manager)
    assert (await config_of(bot, community)).channel(ChannelPurpose.CHECKINS) == community.checkins.id

    await double.click(panel.message, "setup:step:roles", user=community.manager)
    await panel.wait_until(lambda r: "Step 2 of 3" in str(r.embeds))
    await double.select(panel.message, "setup:role:volunteer", [community.volunteer_role], user=community.manager)
    assert (await config_of(bot, community)).role(RolePurpose.VOLUNTEER) == community.volunteer_role.id

    await double.click(panel.message, "setup:step:region", user=community.manager)
    await panel.wait_until(lambda r: "Step 3 of 3" in str(r.embeds))
    await double.select(panel.message, "setup:region", ["NZ"], user=community.manager)
    form = await double.click(panel.message, "setup:timezone", user=community.manager)
    refused = await double.submit_modal(form, {"setup:timezone:zone": "Middle Earth/Shire"})
    assert refused.ephemeral and "I don't know the time zone" in (refused.content or "")
    await double.submit_modal(form, {"setup:timezone:zone": "pacific/auckland"})
    config = await config_of(bot, community)
    assert (config.crisis_region, config.timezone) == ("NZ", "Pacific/Auckland")

    await double.click(panel.message, "setup:finish", user=community.manager)
    await panel.wait_until(lambda r: "Setup saved" in str(r.embeds) and not r.components)


async def test_config_changes_are_audited_with_old_and_new_values(bot: RecoveryBot, community: Community) -> None:
    await community.configure()
    await community.run("config timezone", zone="America/Chicago")
    await community.run("config timezone", zone="America/New_York")
    async with bot.sessions() as session:
        entries = await audit.recent(session, community.guild.id)
    latest = entries[0]
    assert (latest.action, latest.old_value, latest.new_value) == (
        "config.timezone", "America/Chicago", "America/New_York")
    assert latest.actor_id == community.manager.user.id
    assert len(entries) == 4 + 3 + 2  # four channels, three roles, two zone changes


async def test_a_bad_zone_is_refused_kindly_and_changes_nothing(bot: RecoveryBot, community: Community) -> None:
    result = await community.run("config timezone", zone="Eastern Standard")
    assert result.ephemeral
    assert "I don't know the time zone" in (result.content or "")
    assert "America/New_York" in (result.content or "")
    assert (await config_of(bot, community)).timezone is None


async def test_zone_autocomplete_suggests_cities(bot: RecoveryBot, community: Community) -> None:
    choices = await community.double.autocomplete("config timezone", user=community.manager,
                                                  channel=community.general, options={"zone": "chica"},
                                                  focused="zone")
    assert [c["value"] for c in choices] == ["America/Chicago"]


async def test_config_show_points_out_a_public_reach_out_channel(bot: RecoveryBot, community: Community) -> None:
    await community.run("config channels", reachout=community.general)
    result = await community.run("config show")
    assert result.ephemeral
    text = str(result.embeds)
    assert "Everyone can see" in text and str(community.general.id) in text


async def test_config_channels_needs_at_least_one_choice(bot: RecoveryBot, community: Community) -> None:
    result = await community.run("config channels")
    assert result.ephemeral and "Pick at least one channel" in (result.content or "")


async def test_joining_a_server_posts_nothing_and_dms_nobody(
    bot: RecoveryBot, community: Community, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.client")
    double = community.double
    guild = double.add_guild("Another Group", channels=("general",))
    # The join handler ran (the double announces a join as Discord does, so discord.py raises guild_join),
    # and whatever it might have set off has had time to reach Discord.
    await eventually(lambda: "joined a server" in caplog.text, "the bot's join handler")
    await asyncio.sleep(0.3)
    assert bot.get_guild(guild.id) is not None
    sent = [r for r in double.requests if r.method == "POST" and ("/messages" in r.route or "/channels" in r.route)]
    assert sent == []
