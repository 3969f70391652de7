"""REST routes, gateway dispatch of mutations, permissions, faults and sharding."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import discord
import pytest

from tests.discord_double import DiscordDouble, P, eventually
from tests.double.conftest import TinyBot, run_bot


async def test_channel_message_and_dm(double: DiscordDouble, world: dict[str, Any], bot: TinyBot) -> None:
    channel = bot.get_channel(world["general"].id)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("hello circle", embed=discord.Embed(title="Welcome"))
    [msg] = double.messages(world["general"])
    assert msg.id == sent.id
    assert msg.content == "hello circle"
    assert msg.embeds[0]["title"] == "Welcome"

    user = await bot.fetch_user(world["alex"].id)
    await user.send("private hello", file=discord.File(fp=__import__("io").BytesIO(b"abc"), filename="a.txt"))
    [dm] = double.dms(world["alex"])
    assert dm.content == "private hello"
    assert dm.attachments[0].filename == "a.txt"
    assert dm.attachments[0].content == b"abc"
    assert (await double.wait_for_message(world["alex"], lambda m: "private" in m.content)) is dm


async def test_dms_closed_is_forbidden_50007(double: DiscordDouble, world: dict[str, Any], bot: TinyBot) -> None:
    double.set_dms_open(world["alex"], False)
    user = await bot.fetch_user(world["alex"].id)
    with pytest.raises(discord.Forbidden) as info:
        await user.send("hi")
    assert info.value.code == 50007
    assert double.dms(world["alex"]) == []


async def test_send_without_permission_is_403(double: DiscordDouble, world: dict[str, Any], bot: TinyBot) -> None:
    guild = world["guild"]
    bot_role = guild.roles[guild.bot_role_id]
    locked = double.add_channel(guild, "read-only", overwrites={bot_role: (0, P.SEND_MESSAGES)})
    channel = await eventually(lambda: bot.get_channel(locked.id))
    with pytest.raises(discord.Forbidden) as info:
        await channel.send("nope")
    assert info.value.code == 50013


async def test_invalid_form_body(double: DiscordDouble, world: dict[str, Any], bot: TinyBot) -> None:
    channel = bot.get_channel(world["general"].id)
    with pytest.raises(discord.HTTPException) as info:
        await channel.send("x" * 2001)
    assert info.value.status == 400
    assert info.value.code == 50035
    assert "content" in info.value.text


async def test_fail_next_500_retries(double: DiscordDouble, world: dict[str, Any], bot: TinyBot) -> None:
    double.fail_next("POST", "/channels/{channel_id}/messages", status=500, times=1)
    await bot.get_channel(world["general"].id).send("after a hiccup")
    statuses = [r.status for r in double.requests_to("POST", "/channels/{channel_id}/messages")]
    assert statuses == [500, 200]
    assert [m.content for m in double.messages(world["general"])] == ["after a hiccup"]


async def test_429_waits_retry_after(double: DiscordDouble, world: dict[str, Any], bot: TinyBot) -> None:
    double.fail_next("POST", "/channels/{id}/messages", status=429, retry_after=0.2)
    await bot.get_channel(world["general"].id).send("patient")
    first, second = double.requests_to("POST", "/channels/{channel_id}/messages")
    assert (first.status, second.status) == (429, 200)
    assert second.time_monotonic - first.time_monotonic >= 0.2


async def test_create_channel_role_event_update_cache(
    double: DiscordDouble, world: dict[str, Any], bot: TinyBot
) -> None:
    guild = bot.get_guild(world["guild"].id)
    assert guild is not None
    category = await guild.create_category("Meetings")
    room = await guild.create_voice_channel("Room 1", category=category)
    text = await guild.create_text_channel(
        "private",
        overwrites={
            guild.default_role: discord.PermissionOverwrite(view_channel=False),
            # As on Discord: without this the bot locks itself out (403 Missing Access).
            guild.me: discord.PermissionOverwrite(view_channel=True),
        },
    )
    role = await guild.create_role(name="Facilitator", mentionable=True)
    await eventually(lambda: guild.get_channel(room.id) and guild.get_role(role.id) and guild.get_channel(text.id))
    assert guild.get_channel(room.id).category_id == category.id
    assert world["guild"].channels[text.id].overwrites[0].deny == P.VIEW_CHANNEL
    assert not double.permissions_of(world["alex_m"], world["guild"].channels[text.id])

    member = await guild.fetch_member(world["alex"].id)
    await member.add_roles(role)
    assert role.id in world["alex_m"].role_ids

    await role.edit(name="Facilitators")
    await eventually(lambda: guild.get_role(role.id).name == "Facilitators")

    start = discord.utils.utcnow() + dt.timedelta(days=1)
    event = await guild.create_scheduled_event(
        name="Morning meeting",
        start_time=start,
        channel=room,
        privacy_level=discord.PrivacyLevel.guild_only,
        entity_type=discord.EntityType.voice,
    )
    [stored] = double.scheduled_events(world["guild"])
    assert stored.name == "Morning meeting"
    assert stored.channel_id == room.id
    await eventually(lambda: guild.get_scheduled_event(event.id))
    await event.edit(name="Evening meeting")
    await eventually(lambda: guild.get_scheduled_event(event.id).name == "Evening meeting")
    await double.subscribe_to_event(stored, world["alex"])
    users = [u async for u in event.users()]
    assert [u.id for u in users] == [world["alex"].id]
    await event.delete()
    await eventually(lambda: guild.get_scheduled_event(event.id) is None)

    await text.delete()
    await eventually(lambda: guild.get_channel(text.id) is None)


async def test_role_above_bot_and_missing_manage_roles(
    double: DiscordDouble, world: dict[str, Any], bot: TinyBot
) -> None:
    high = double.add_role(world["guild"], "Admins", position=99)
    guild = bot.get_guild(world["guild"].id)
    role = await eventually(lambda: guild.get_role(high.id))
    with pytest.raises(discord.Forbidden):
        await role.edit(name="x")
    member = await guild.fetch_member(world["alex"].id)
    with pytest.raises(discord.Forbidden):
        await member.add_roles(role)


async def test_event_permissions_and_limit(double: DiscordDouble, bot: TinyBot) -> None:
    no_events = double.add_guild("No Events", bot_permissions=int(P.VIEW_CHANNEL | P.SEND_MESSAGES))
    guild = await eventually(lambda: bot.get_guild(no_events.id))
    start = discord.utils.utcnow() + dt.timedelta(days=1)
    kwargs: dict[str, Any] = dict(
        name="x",
        start_time=start,
        end_time=start + dt.timedelta(hours=1),
        location="Online",
        entity_type=discord.EntityType.external,
        privacy_level=discord.PrivacyLevel.guild_only,
    )
    with pytest.raises(discord.Forbidden):
        await guild.create_scheduled_event(**kwargs)

    full = double.add_guild("Busy")
    for i in range(100):
        double.add_scheduled_event(
            full, f"e{i}", start=start.isoformat(), end=(start + dt.timedelta(hours=1)).isoformat()
        )
    busy = await eventually(lambda: bot.get_guild(full.id))
    with pytest.raises(discord.HTTPException) as info:
        await busy.create_scheduled_event(**kwargs)
    assert info.value.code == 30038


async def test_event_location_over_100_characters_is_refused(double: DiscordDouble, world: dict[str, Any],
                                                              bot: TinyBot) -> None:
    guild = bot.get_guild(world["guild"].id)
    start = discord.utils.utcnow() + dt.timedelta(days=1)
    kwargs: dict[str, Any] = dict(name="x", start_time=start, end_time=start + dt.timedelta(hours=1),
                                  entity_type=discord.EntityType.external,
                                  privacy_level=discord.PrivacyLevel.guild_only)
    with pytest.raises(discord.HTTPException) as info:
        await guild.create_scheduled_event(location="https://teams.example/" + "x" * 100, **kwargs)
    assert info.value.status == 400 and "location" in str(info.value)
    event = await guild.create_scheduled_event(location="y" * 100, **kwargs)
    with pytest.raises(discord.HTTPException):
        await event.edit(location="z" * 101)
    assert double.scheduled_events(world["guild"])[0].entity_metadata == {"location": "y" * 100}


async def test_allowed_mentions_and_pings(double: DiscordDouble, world: dict[str, Any], bot: TinyBot) -> None:
    channel = bot.get_channel(world["general"].id)
    alex, sam, role = world["alex"], world["sam"], world["mod_role"]
    role.mentionable = True
    content = f"<@{alex.id}> <@{sam.id}> <@&{role.id}> @everyone"
    await channel.send(content)
    await channel.send(
        content, allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=[discord.Object(sam.id)])
    )
    await channel.send(content, allowed_mentions=discord.AllowedMentions.none())
    everything, only_sam, nothing = double.messages(world["general"])
    assert everything.allowed_mentions is None
    assert everything.pinged_user_ids == {alex.id, sam.id}
    assert everything.pinged_role_ids == {role.id}
    assert everything.pinged_everyone
    assert only_sam.pinged_user_ids == {sam.id}
    assert not only_sam.pinged_role_ids
    assert not only_sam.pinged_everyone
    assert only_sam.allowed_mentions == {"parse": [], "users": [sam.id], "replied_user": True}  # as sent
    assert not (nothing.pinged_user_ids)
    assert not (nothing.pinged_role_ids)
    assert not (nothing.pinged_everyone)


async def test_unknown_route_recorded(double: DiscordDouble, world: dict[str, Any], bot: TinyBot) -> None:
    guild = bot.get_guild(world["guild"].id)
    with pytest.raises(discord.NotFound):
        await guild.fetch_emojis()
    assert double.unknown_routes == [("GET", f"/api/v10/guilds/{guild.id}/emojis")]
    double.unknown_routes.clear()  # the fixture asserts none are left


async def test_unknown_entities_have_discord_codes(double: DiscordDouble, world: dict[str, Any], bot: TinyBot) -> None:
    with pytest.raises(discord.NotFound) as info:
        await bot.fetch_channel(12345)
    assert info.value.code == 10003
    with pytest.raises(discord.NotFound) as info:
        await bot.get_channel(world["general"].id).fetch_message(12345)
    assert info.value.code == 10008


async def test_threads(double: DiscordDouble, world: dict[str, Any], bot: TinyBot) -> None:
    channel = bot.get_channel(world["general"].id)
    assert isinstance(channel, discord.TextChannel)
    msg = await channel.send("start here")
    thread = await msg.create_thread(name="Discussion")
    assert thread.id == msg.id
    await eventually(lambda: channel.guild.get_thread(thread.id))
    await thread.add_user(discord.Object(world["alex"].id))
    assert world["alex"].id in world["guild"].channels[thread.id].thread_member_ids
    await thread.send("in thread")
    assert [m.content for m in double.messages(world["guild"].channels[thread.id])] == ["in thread"]
    private = await channel.create_thread(name="Private", type=discord.ChannelType.private_thread)
    assert world["guild"].channels[private.id].type == 12


async def test_voice_and_member_events(double: DiscordDouble, world: dict[str, Any], bot: TinyBot) -> None:
    await double.join_voice(world["alex_m"], world["voice"])
    guild = bot.get_guild(world["guild"].id)
    await eventually(lambda: ("voice", (world["alex"].id, world["voice"].id)) in bot.seen)
    assert guild.get_channel(world["voice"].id).voice_states.keys() == {world["alex"].id}
    await double.leave_voice(world["alex_m"])
    await eventually(lambda: ("voice", (world["alex"].id, None)) in bot.seen)
    # Without the GUILD_MEMBERS intent the tiny bot is not told about joins.
    newcomer = double.add_user("newcomer")
    await double.member_join(world["guild"], newcomer)
    sessions = double.sessions()
    assert all(event != "GUILD_MEMBER_ADD" for event, _ in sessions[0].dispatched)


async def test_members_intent_chunks_and_member_events(double: DiscordDouble, world: dict[str, Any]) -> None:
    intents = discord.Intents.none()
    intents.guilds = True
    intents.members = True
    tiny = TinyBot(intents=intents)
    async with run_bot(double, tiny):
        guild = tiny.get_guild(world["guild"].id)
        assert guild.chunked
        assert guild.get_member(world["sam"].id).nick == "Sammy"
        newcomer = double.add_user("newcomer")
        await double.member_join(world["guild"], newcomer)
        await eventually(lambda: guild.get_member(newcomer.id))
        await double.member_leave(world["guild"], newcomer)
        await eventually(lambda: guild.get_member(newcomer.id) is None)


async def test_two_shards_each_get_their_guilds(double: DiscordDouble) -> None:
    double.shard_count = 2
    g0 = double.add_guild("Shard zero", shard_id=0)
    g1 = double.add_guild("Shard one", shard_id=1)
    double.add_channel(g0, "general")
    double.add_channel(g1, "general")
    tiny = TinyBot()
    async with run_bot(double, tiny):
        sessions = double.sessions()
        assert sorted(sessions) == [0, 1]
        created = {shard: [d["name"] for e, d in s.dispatched if e == "GUILD_CREATE"] for shard, s in sessions.items()}
        assert created == {0: ["Shard zero"], 1: ["Shard one"]}
        assert tiny.get_guild(g0.id).shard_id == 0
        assert tiny.get_guild(g1.id).shard_id == 1
        # A mutation in g1 goes to shard 1 only
        double.add_channel(g1, "late")
        await double.flush()
        assert [d["name"] for e, d in sessions[1].dispatched if e == "CHANNEL_CREATE"] == ["late"]
        assert not [e for e, _ in sessions[0].dispatched if e == "CHANNEL_CREATE"]
        # interactions reach the right shard
        owner1 = double.world.users[g1.owner_id]
        result = await double.invoke("echo", user=g1.members[owner1.id], options={"text": "s1"})
        assert result.content == "s1"
        assert any(e == "INTERACTION_CREATE" for e, _ in sessions[1].dispatched)


async def test_resume_replays_missed_events(double: DiscordDouble, world: dict[str, Any], bot: TinyBot) -> None:
    await double.disconnect(0)
    double.add_channel(world["guild"], "while-away")
    await double.wait_for(lambda: double.resumes == 1, timeout=10)
    guild = bot.get_guild(world["guild"].id)
    await eventually(lambda: discord.utils.get(guild.channels, name="while-away"))
    started = time.monotonic()
    result = await double.invoke("echo", user=world["alex_m"], options={"text": "back"})
    assert result.content == "back"
    assert time.monotonic() - started < 2
