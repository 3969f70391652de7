"""The central error handler: people see one kind sentence, the log keeps the traceback."""

from __future__ import annotations

import logging
import re

import discord
import pytest
from discord import app_commands

from bot.client import RecoveryBot
from bot.services.errors import DomainError
from tests.community import Community


async def add_command(bot: RecoveryBot, community: Community, command: app_commands.Command) -> None:  # type: ignore[type-arg]
    bot.tree.add_command(command)
    await bot.tree.sync()
    await community.double.wait_for(lambda: any(c["name"] == command.name for c in community.double.commands()),
                                    what=f"/{command.name} to be registered")


async def test_an_unexpected_error_shows_a_reference_that_is_in_the_log(
    bot: RecoveryBot, community: Community, caplog: pytest.LogCaptureFixture
) -> None:
    @app_commands.command(name="explode", description="Fails on purpose")
    async def explode(interaction: discord.Interaction) -> None:
        raise RuntimeError("database on fire")

    await add_command(bot, community, explode)
    with caplog.at_level(logging.ERROR, logger="bot.errors"):
        result = await community.run("explode", user=community.alice)
    assert result.ephemeral
    match = re.fullmatch(r"Something went wrong on my side\. It has been logged \(ref ([A-Z2-9]{6})\); "
                         r"please try again in a moment\.", result.content or "")
    assert match, result.content
    [record] = [r for r in caplog.records if match.group(1) in r.getMessage()]
    assert record.exc_info is not None and "database on fire" in str(record.exc_info[1])
    assert "database on fire" not in (result.content or ""), "no internals shown to the user"


async def test_a_domain_error_is_shown_as_it_is(bot: RecoveryBot, community: Community) -> None:
    @app_commands.command(name="kindly", description="Refuses kindly")
    async def kindly(interaction: discord.Interaction) -> None:
        raise DomainError("That meeting has already ended, but the next one is on Tuesday.")

    await add_command(bot, community, kindly)
    result = await community.run("kindly", user=community.alice)
    assert result.ephemeral
    assert result.content == "That meeting has already ended, but the next one is on Tuesday."


async def test_an_error_after_deferring_still_reaches_the_user(bot: RecoveryBot, community: Community) -> None:
    @app_commands.command(name="slowfail", description="Defers, then fails")
    async def slowfail(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        raise DomainError("Nothing to show yet.")

    await add_command(bot, community, slowfail)
    result = await community.run("slowfail", user=community.alice)
    followup = await result.wait_for_followup()
    assert followup.content == "Nothing to show yet." and followup.ephemeral


async def test_an_option_the_bot_cannot_resolve_gets_a_useful_answer(bot: RecoveryBot, community: Community) -> None:
    """A channel deleted (or not yet seen by the bot) between choosing it and sending the command."""
    guild = bot.get_guild(community.guild.id)
    channel = guild.get_channel(community.checkins.id)
    guild._remove_channel(channel)  # the bot's cache lags behind Discord
    result = await community.run("config channels", checkins=community.checkins)
    assert result.ephemeral
    assert result.content == (
        "I couldn't use one of the options you chose; it may have just been deleted. Please pick it again."
    )
