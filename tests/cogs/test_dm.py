"""DMs, the one way: to many members at once, and privately to whoever pressed, with the one fallback."""

from __future__ import annotations

import io

import discord

from bot.client import RecoveryBot
from bot.dm import send_to_many
from tests.community import Community


async def test_sending_to_many_says_who_got_it_who_has_dms_closed_and_who_is_gone(
    bot: RecoveryBot, community: Community
) -> None:
    double = community.double
    double.set_dms_open(community.bob, False)
    gone = 4_194_304_000_000_001  # no such user on Discord
    people = [community.alice.id, community.bob.id, community.volunteer.id, gone, community.alice.id]
    delivery = await send_to_many(bot, people, content="Your meeting starts in 10 minutes.")
    assert sorted(delivery.delivered) == sorted([community.alice.id, community.volunteer.id])
    assert delivery.closed == [community.bob.id]
    assert delivery.unreachable == [gone]
    assert len(double.dms(community.alice)) == 1  # named twice, sent once
    assert double.dms(community.bob) == []


async def test_a_file_to_many_reaches_each_whole(bot: RecoveryBot, community: Community) -> None:
    report = discord.File(io.BytesIO(b"the same bytes for everyone"), filename="report.txt")
    delivery = await send_to_many(bot, [community.alice.id, community.volunteer.id], file=report)
    assert len(delivery.delivered) == 2
    for member in (community.alice, community.volunteer):
        [dm] = community.double.dms(member)
        assert dm.attachments[0].content == b"the same bytes for everyone"
