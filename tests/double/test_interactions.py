"""Slash commands, responses, components, modals and autocomplete through the double."""

from __future__ import annotations

from typing import Any

import pytest

from tests.discord_double import (
    CommandNotRegistered,
    CommandNotVisible,
    DiscordDouble,
    InteractionNotAcknowledged,
    InvalidOption,
)
from tests.double.conftest import TinyBot


async def test_string_int_bool_options(double: DiscordDouble, world: dict[str, Any], bot: TinyBot) -> None:
    result = await double.invoke("echo", user=world["alex_m"], options={"text": "hi", "times": 3, "loud": True})
    assert result.type == 4
    assert result.content == "HI HI HI"
    assert not result.ephemeral
    assert double.messages(world["general"]) == [result.message]
    assert result.message is not None
    assert result.message.interaction_metadata is not None


async def test_user_channel_role_number_options(double: DiscordDouble, world: dict[str, Any], bot: TinyBot) -> None:
    result = await double.invoke(
        "describe",
        user=world["alex_m"],
        options={"user": world["sam_m"], "channel": world["mods"], "role": world["mod_role"], "ratio": 0.25},
    )
    sam, mods, role = world["sam"], world["mods"], world["mod_role"]
    assert result.content is not None
    assert f"user={sam.id}:Member:Sammy" in result.content
    assert f"channel={mods.id}:mods" in result.content
    assert f"role={role.id}:Moderator" in result.content
    assert "ratio=0.25" in result.content
    # interaction.permissions = alex's permissions in #general
    perms = int(result.content.rsplit("perms=", 1)[1])
    assert perms == double.permissions_of(world["alex_m"], world["general"])


async def test_subcommand_and_group(double: DiscordDouble, world: dict[str, Any], bot: TinyBot) -> None:
    result = await double.invoke("config timezone", user=world["alex_m"], options={"zone": "Europe/London"})
    assert result.content == "zone=Europe/London"
    assert result.ephemeral
    assert result.message is not None
    assert result.message not in double.messages(world["general"])
    result = await double.invoke("config alerts set", user=world["alex_m"], options={"enabled": False})
    assert result.content == "alerts=False"


async def test_schema_errors_are_loud(double: DiscordDouble, world: dict[str, Any], bot: TinyBot) -> None:
    with pytest.raises(InvalidOption, match="unknown option"):
        await double.invoke("config timezone", user=world["alex_m"], options={"tz": "x"})
    with pytest.raises(InvalidOption, match="missing required"):
        await double.invoke("echo", user=world["alex_m"], options={})
    with pytest.raises(InvalidOption, match="expects an int"):
        await double.invoke("echo", user=world["alex_m"], options={"text": "a", "times": "2"})
    with pytest.raises(CommandNotRegistered):
        await double.invoke("nope", user=world["alex_m"])
    with pytest.raises(CommandNotRegistered, match="is a group"):
        await double.invoke("config", user=world["alex_m"])


async def test_default_member_permissions(double: DiscordDouble, world: dict[str, Any], bot: TinyBot) -> None:
    with pytest.raises(CommandNotVisible):
        await double.invoke("modonly", user=world["alex_m"])
    assert (await double.invoke("modonly", user=world["sam_m"])).content == "ok, mod"
    forced = await double.invoke("modonly", user=world["alex_m"], bypass_default_permissions=True)
    assert forced.content == "ok, mod"


async def test_dm_interaction(double: DiscordDouble, world: dict[str, Any], bot: TinyBot) -> None:
    result = await double.invoke("echo", user=world["alex"], guild=None, options={"text": "dm"})
    assert result.content == "dm"
    assert result.payload["context"] == 1
    assert "user" in result.payload
    assert "member" not in result.payload
    assert double.dms(world["alex"]) == [result.message]


async def test_deferred_then_followup_and_edit(double: DiscordDouble, world: dict[str, Any], bot: TinyBot) -> None:
    result = await double.invoke("slow", user=world["alex_m"])
    assert result.type == 5
    follow = await result.wait_for_followup()
    assert follow.content == "first follow-up"
    message = await result.wait_for_edit()
    assert message.content == "finished"
    assert not message.loading
    assert result.content == "finished"
    assert double.messages(world["general"]) == [result.message, follow]


async def test_deferred_ephemeral(double: DiscordDouble, world: dict[str, Any], bot: TinyBot) -> None:
    result = await double.invoke("slow", user=world["alex_m"], options={"ephemeral": True})
    await result.wait_for_edit()
    assert result.ephemeral
    assert double.messages(world["general"]) == [result.followups[0]]


async def test_button_modal_select(double: DiscordDouble, world: dict[str, Any], bot: TinyBot) -> None:
    panel = await double.invoke("panel", user=world["alex_m"])
    assert panel.message is not None
    assert set(panel.message.custom_ids()) == {"checkin", "done", "mood"}

    opened = await double.click(panel.message, "checkin", user=world["sam_m"])
    assert opened.type == 9
    assert opened.modal is not None
    with pytest.raises(AssertionError, match="required field"):
        await double.submit_modal(opened, {"note": "x"})
    submitted = await double.submit_modal(opened, {"feeling": "calm", "note": "thanks"})
    assert submitted.content == "feeling=calm note=thanks"
    assert submitted.ephemeral

    mood = await double.select(panel.message, "mood", ["ok"], user=world["alex_m"])
    assert mood.content == "mood=ok"

    done = await double.click(panel.message, "done", user=world["alex_m"])
    assert done.type == 7
    assert panel.message.content == f"done by {world['alex'].id}"
    assert panel.message.components == []


async def test_autocomplete(double: DiscordDouble, world: dict[str, Any], bot: TinyBot) -> None:
    choices = await double.autocomplete(
        "config timezone", user=world["alex_m"], focused="zone", options={"zone": "europe"}
    )
    assert [c["value"] for c in choices] == ["Europe/London", "Europe/Paris"]


async def test_attachment_option_and_file_reply(double: DiscordDouble, world: dict[str, Any], bot: TinyBot) -> None:
    att = double.attachment("data.json", b'{"a": 1}')
    result = await double.invoke("upload", user=world["alex_m"], options={"file": att})
    assert result.content == "data.json:8"
    [sent] = result.attachments
    assert sent.filename == "rev.bin"
    assert sent.content == b'{"a": 1}'[::-1]


async def test_no_callback_times_out_clearly(double: DiscordDouble, world: dict[str, Any], bot: TinyBot) -> None:
    double.callback_deadline = 0.2
    with pytest.raises(InteractionNotAcknowledged, match="/silent"):
        await double.invoke("silent", user=world["alex_m"], timeout=0.3)


async def test_second_callback_is_rejected(double: DiscordDouble, world: dict[str, Any], bot: TinyBot) -> None:
    import discord

    @bot.tree.command(name="twice", description="responds twice")
    async def twice(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("one")
        try:
            await interaction.followup.send("ok")
            interaction.response._response_type = None  # force discord.py to try again
            await interaction.response.send_message("two")
        except discord.HTTPException as exc:
            await interaction.followup.send(f"error {exc.code}")

    await bot.tree.sync()
    result = await double.invoke("twice", user=world["alex_m"])
    last = await result.wait_for_followup(count=2)
    assert last.content == "error 40060"


async def test_late_callback_is_unknown_interaction(double: DiscordDouble, world: dict[str, Any], bot: TinyBot) -> None:
    import asyncio

    import discord

    errors: list[int] = []

    @bot.tree.command(name="late", description="answers too late")
    async def late(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.3)  # the bot's own slowness, not a test wait
        try:
            await interaction.response.send_message("too late")
        except discord.NotFound as exc:
            errors.append(exc.code)

    await bot.tree.sync()
    double.callback_deadline = 0.1
    with pytest.raises(InteractionNotAcknowledged, match="rejected"):
        await double.invoke("late", user=world["alex_m"], timeout=2)
    assert errors == [10062]
