"""Login, READY and GUILD_CREATE, command sync."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from tests.discord_double import DiscordDouble, eventually
from tests.double.conftest import TinyBot, point_discord_py_at


async def test_login_ready_and_guild_cache(double: DiscordDouble, world: dict[str, Any], bot: TinyBot) -> None:
    guild = bot.get_guild(world["guild"].id)
    assert guild is not None
    assert guild.name == "Recovery Circle"
    assert guild.owner_id == world["owner"].id
    assert {c.name for c in guild.channels} == {"general", "mods", "Meeting Room"}
    assert guild.me is not None
    assert guild.me.id == double.bot_user.id
    assert {r.name for r in guild.roles} >= {"@everyone", "Moderator", double.bot_user.username}
    assert guild.member_count == 4  # owner, bot, alex, sam
    assert bot.user is not None
    assert bot.user.id == double.bot_user.id
    assert bot.application_id == double.application_id
    assert [r.route for r in double.requests[:2]] == ["/users/@me", "/oauth2/applications/@me"]


async def test_command_sync_recorded(double: DiscordDouble, bot: TinyBot) -> None:
    names = {c["name"] for c in double.commands()}
    assert {"echo", "describe", "config", "slow", "panel", "modonly"} <= names
    assert double.command_registrations == 1
    [put] = double.requests_to("PUT", "/applications/{application_id}/commands")
    assert put.status == 200
    config = next(c for c in double.commands() if c["name"] == "config")
    assert {o["name"] for o in config["options"]} == {"timezone", "alerts"}
    assert all(c["id"] and c["version"] for c in double.commands())
    # discord.py parsed our response
    fetched = await bot.tree.fetch_commands()
    assert {c.name for c in fetched} == names


async def test_wrong_token_is_login_failure(double: DiscordDouble) -> None:
    tiny = TinyBot()
    point_discord_py_at(double)
    try:
        with pytest.raises(discord.LoginFailure):
            await tiny.start("not-the-token")
    finally:
        await tiny.close()
    assert double.requests[0].status == 401


async def test_a_guild_added_while_running_is_a_join_and_one_from_ready_is_available(
    double: DiscordDouble, world: dict[str, Any], bot: TinyBot
) -> None:
    joined: list[int] = []
    available: list[int] = []

    async def on_guild_join(guild: discord.Guild) -> None:
        joined.append(guild.id)

    async def on_guild_available(guild: discord.Guild) -> None:
        available.append(guild.id)

    bot.add_listener(on_guild_join)
    bot.add_listener(on_guild_available)
    new = double.add_guild("Another Group")
    await eventually(lambda: joined == [new.id], "discord.py to raise guild_join")
    assert available == []
    # The guilds READY listed are backfilled as available, which discord.py tells from a join by this field.
    session = double._session_for(new)
    assert session is not None
    assert double.guild_create_payload(world["guild"], session)["unavailable"] is False
    assert "unavailable" not in double.guild_create_payload(new, session, joined=True)
