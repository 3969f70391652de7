"""/privacy through the Discord double: a member reads what is kept, takes a copy (by DM, or right there when
their DMs are closed) and erases it all, after saying so twice."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from bot.client import RecoveryBot
from tests.cogs.test_meetings import create, tomorrow_at
from tests.community import Community
from tests.discord_double import InteractionResult
from tests.discord_double.state import Member, Message
from tests.raw_database import assert_id_not_stored, assert_id_stored
from tests.time_travel import clock_at

FIELD_LIMIT, EMBED_LIMIT = 1024, 6000


async def remind_me(community: Community, member: Member, minutes: str = "30") -> None:
    """`member` asks for a DM reminder of the community's one meeting, through its buttons."""
    info = await community.run("meeting info", user=member, meeting="tuesday-night-big-book")
    [button] = [c for row in info.components for c in row["components"]]
    panel = await community.double.click(info.message, button["custom_id"], user=member)
    chosen = await community.double.select(panel.message, "meeting-reminder:offset", [minutes], user=member)
    await chosen.wait_until(lambda r: "Done" in (r.content or ""))


def exported(result: InteractionResult | None = None, *, dm: Message | None = None) -> Any:
    """The JSON copy attached to a DM, or to the command's first follow-up."""
    message = dm if dm is not None else result.followups[0] if result is not None else None
    assert message is not None
    [attachment] = message.attachments
    assert attachment.filename == "my-recovery-bot-data.json"
    return json.loads(attachment.content)


async def test_info_says_per_area_what_is_kept_encrypted_seen_and_for_how_long(
    bot: RecoveryBot, community: Community
) -> None:
    in_server = await community.run("privacy info", user=community.alice)
    in_dms = await community.double.invoke("privacy info", user=community.alice.user, guild=None)
    for result in (in_server, in_dms):
        assert result.ephemeral
        [embed] = result.embeds
        fields = {field["name"]: field["value"] for field in embed["fields"]}
        assert {"Meetings", "Server setup log"} <= set(fields)
        for words in fields.values():
            assert all(label in words for label in ("**Kept:**", "**Encrypted:**", "**Who can see it:**",
                                                     "**How long:**"))
            assert len(words) <= FIELD_LIMIT
        assert "reminded of by DM" in fields["Meetings"]
        assert len(json.dumps(embed)) < EMBED_LIMIT


async def test_export_sends_the_member_everything_by_dm_and_nothing_about_anyone_else(
    bot: RecoveryBot, community: Community
) -> None:
    await create(community, tomorrow_at(19))
    await remind_me(community, community.alice)
    await remind_me(community, community.bob, "60")

    result = await community.run("privacy export", user=community.alice)
    await result.wait_for_followup()
    assert result.ephemeral and "Sent to your DMs" in (result.followups[0].content or "")
    copy = exported(dm=community.double.dms(community.alice)[-1])
    assert "/privacy delete" in str(copy["readme"])
    meetings_part = copy["areas"]["Meetings"]
    [reminder] = meetings_part["reminders_you_asked_for"]
    assert (reminder["name"], reminder["minutes_before"]) == ("Tuesday Night Big Book", 30)
    assert meetings_part["meetings_you_added"] == []  # the manager added it
    as_text = json.dumps(copy)
    for someone_else in (community.bob.id, community.manager.id):
        assert str(someone_else) not in as_text

    await (await community.run("privacy export", user=community.manager)).wait_for_followup()
    by_manager = exported(dm=community.double.dms(community.manager)[-1])
    assert [m["name"] for m in by_manager["areas"]["Meetings"]["meetings_you_added"]] == [
        "Tuesday Night Big Book"]


async def test_export_with_closed_dms_comes_as_a_private_attachment(bot: RecoveryBot, community: Community) -> None:
    community.double.set_dms_open(community.bob, False)
    result = await community.run("privacy export", user=community.bob)
    await result.wait_for_followup()
    assert result.ephemeral
    assert "DMs are closed" in (result.followups[0].content or "")
    assert exported(result)["member"] == str(community.bob.id)
    assert community.double.dms(community.bob) == []
    again = await community.run("privacy export", user=community.bob)
    assert "Please wait" in (again.content or "")  # one copy a minute is plenty


async def test_delete_asks_first_and_keeping_changes_nothing(bot: RecoveryBot, community: Community) -> None:
    await create(community, tomorrow_at(19))
    await remind_me(community, community.alice)
    asked = await community.run("privacy delete", user=community.alice)
    assert asked.ephemeral and "can't be undone" in asked.embeds[0]["description"]
    someone_else = await community.double.click(asked.message, "privacy:erase", user=community.bob)
    assert someone_else.ephemeral and "belongs to someone else" in (someone_else.content or "")
    kept = await community.double.click(asked.message, "privacy:keep", user=community.alice)
    await kept.wait_until(lambda r: r.content == "Nothing was erased.")
    await assert_id_stored(bot.sessions.kw["bind"], community.alice.id)


async def test_delete_erases_every_trace_and_the_reminders_stop(bot: RecoveryBot, community: Community) -> None:
    start = tomorrow_at(19)
    await create(community, start)
    await remind_me(community, community.alice)
    dms_before = len(community.double.dms(community.alice))

    asked = await community.run("privacy delete", user=community.alice)
    erased = await community.double.click(asked.message, "privacy:erase", user=community.alice)
    await erased.wait_until(lambda r: "Done" in (r.content or ""))
    assert "Meetings: 1 erased" in (erased.content or "")
    await assert_id_not_stored(bot.sessions.kw["bind"], community.alice.id)

    with clock_at(start - timedelta(minutes=29)):
        await bot.scheduler.run_due()
    assert len(community.double.dms(community.alice)) == dms_before  # no reminder any more

    again = await community.run("privacy delete", user=community.alice)
    nothing = await community.double.click(again.message, "privacy:erase", user=community.alice)
    await nothing.wait_until(lambda r: "held nothing about you" in (r.content or ""))


async def test_a_moderators_records_stay_the_servers_without_their_id(bot: RecoveryBot, community: Community) -> None:
    await create(community, tomorrow_at(19))
    asked = await community.run("privacy delete", user=community.manager)
    erased = await community.double.click(asked.message, "privacy:erase", user=community.manager)
    await erased.wait_until(lambda r: "Server setup log" in (r.content or ""))
    await assert_id_not_stored(bot.sessions.kw["bind"], community.manager.id)
    info = await community.run("meeting info", user=community.alice, meeting="tuesday-night-big-book")
    assert "Tuesday Night Big Book" in json.dumps(info.embeds)  # the meeting is still the server's
