"""/reachout through the Discord double: a member asks, volunteers on call are pinged, one takes it, they
talk (in a private thread, or through the bot when anonymous), and it closes; the ladder when nobody answers.

Anonymous means anonymous: one test searches everything the bot sent to anyone but the requester, every
log line, every job key and the raw database for the requester's id and names.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta

import pytest

from bot import clock
from bot.client import RecoveryBot
from tests.community import Community
from tests.discord_double import InteractionResult, Member, Message, eventually
from tests.leaks import assert_never_named, capture_logs_as_the_bot_runs
from tests.time_travel import clock_at

WORDS = "Three weeks sober and I want to drink tonight"



@pytest.fixture
async def ready(bot: RecoveryBot, community: Community) -> Community:
    """The server set up, and its volunteer on call."""
    await community.configure()
    for command in ("volunteer join", "volunteer available"):
        result = await community.run(command, user=community.volunteer)
        assert result.ephemeral, result.content
    return community


def volunteer(community: Community, name: str) -> Member:
    member = community.double.add_member(community.guild, community.double.add_user(name),
                                         roles=[community.volunteer_role])
    return member


async def ask(community: Community, who: Member, **options: object) -> InteractionResult:
    result = await community.run("reachout", user=who, **options)
    await result.wait_for_followup()
    return result


def answer(result: InteractionResult) -> str:
    return "\n".join(f"{m.content} {json.dumps(m.embeds)}" for m in [result.message, *result.followups] if m)


async def card_of(community: Community) -> Message:
    """The one request card in the reach-out channel (posted just after the member's answer)."""
    await community.double.wait_for_message(community.reachout, lambda m: bool(m.embeds))
    [card] = [m for m in community.double.messages(community.reachout) if m.embeds][:1]
    return card


async def test_a_named_request_pings_who_is_on_call_and_becomes_a_private_thread(
    bot: RecoveryBot, ready: Community
) -> None:
    double = ready.double
    result = await ask(ready, ready.alice, message=WORDS)
    assert result.ephemeral
    said = answer(result)
    assert "request #" in said and "1 volunteer" not in said and "a volunteer who is on call" in said
    assert "Support and crisis lines" in said  # always shown with the answer

    card = await card_of(ready)
    assert card.content == f"<@{ready.volunteer.id}>"
    [posted] = [r for r in double.requests_to("POST", "/channels/{channel_id}/messages")
                if r.params.get("channel_id") == str(ready.reachout.id)]
    assert posted.json["allowed_mentions"] == {"parse": [], "users": [ready.volunteer.id]}  # exactly them
    assert WORDS in json.dumps(card.embeds) and f"<@{ready.alice.id}>" in json.dumps(card.embeds)
    dm = await double.wait_for_message(ready.volunteer, lambda m: "request #" in m.content)
    assert "I'll take it" in json.dumps(dm.components) and "three weeks sober" in dm.content.lower()

    taken = await double.click(card, f"reachout:take:{_number(card)}", user=ready.volunteer)
    await taken.wait_for_followup()
    assert "It's yours" in answer(taken)
    [thread] = [c for c in ready.guild.channels.values() if c.is_thread]
    assert thread.parent_id == ready.general.id and thread.type == 12  # private, where alice asked
    assert thread.thread_member_ids >= {ready.alice.id, ready.volunteer.id}
    await eventually(lambda: "Taken by" in json.dumps(card.embeds), "the card to say who took it")

    [intro] = double.messages(thread)
    closing = await double.click(intro, f"reachout:close:{_number(card)}", user=ready.alice)
    assert "Did it help?" in (closing.content or "")
    helped = await double.click(closing.message, f"reachout:helped:{_number(card)}", user=ready.alice)
    assert "Thank you" in (helped.content or "")
    await eventually(lambda: thread.archived and thread.locked, "the thread to be archived")
    await eventually(lambda: "Closed" in json.dumps(card.embeds), "the card to say it is closed")


async def test_two_volunteers_pressing_at_once_one_gets_it(bot: RecoveryBot, ready: Community) -> None:
    vic = volunteer(ready, "vic-volunteer")
    for command in ("volunteer join", "volunteer available"):
        await ready.run(command, user=vic)
    await ask(ready, ready.alice, message=WORDS)
    card = await card_of(ready)
    assert {f"<@{ready.volunteer.id}>", f"<@{vic.id}>"} == set(card.content.split())
    first, second = await asyncio.gather(
        ready.double.click(card, f"reachout:take:{_number(card)}", user=ready.volunteer),
        ready.double.click(card, f"reachout:take:{_number(card)}", user=vic))
    for result in (first, second):
        await result.wait_for_followup()
    said = [answer(first), answer(second)]
    assert sum("It's yours" in s for s in said) == 1
    assert sum("already taken by" in s for s in said) == 1


async def test_an_anonymous_request_is_relayed_both_ways_and_never_reveals_who_asked(
    bot: RecoveryBot, ready: Community, caplog: pytest.LogCaptureFixture
) -> None:
    # As the bot runs with LOG_LEVEL=DEBUG: its own logs at their most detailed, discord.py's at INFO (its
    # DEBUG lines are raw payloads). The second call also lowers the capturing handler to DEBUG.
    capture_logs_as_the_bot_runs(caplog)
    double, alice = ready.double, ready.alice
    asked = await ask(ready, alice, message=WORDS, kind="urgent", anonymous=True)
    said = answer(asked)
    assert "won't see who you are" in said
    assert asked.followups[0].content.startswith("🆘 **If you are in immediate danger")  # urgent: that comes first
    [opened] = double.dms(alice)
    assert "is open" in opened.content
    card = await card_of(ready)
    assert "Anonymous" in json.dumps(card.embeds) and "Urgent" not in card.content

    ping = await double.wait_for_message(ready.volunteer, lambda m: "request #" in m.content)
    taken = await double.click(ping, f"reachout:take:{_number(card)}", user=ready.volunteer)  # from DMs
    await taken.wait_for_followup()
    [thread] = [c for c in ready.guild.channels.values() if c.is_thread]
    assert thread.parent_id == ready.reachout.id and thread.thread_member_ids == {ready.volunteer.id, bot.user.id}
    told = double.dms(alice)[-1]
    assert "val-volunteer" in told.content and "Reply" in json.dumps(told.components)

    [intro] = double.messages(thread)
    form = await double.click(intro, f"reachout:reply:{_number(card)}", user=ready.volunteer)
    sent = await double.submit_modal(form, {"reachout:text": "I'm here. Do you want to tell me about tonight?"})
    assert "You" in (sent.content or "")
    relayed = await double.wait_for_message(alice, lambda m: "I'm here" in m.content)
    assert "val-volunteer" in relayed.content

    form = await double.click(relayed, f"reachout:reply:{_number(card)}", user=alice)
    await double.submit_modal(form, {"reachout:text": "Thank you, it's the first Friday without a drink"})
    back = await double.wait_for_message(thread, lambda m: "first Friday" in m.content)
    assert "The person who asked" in back.content and f"<@{ready.volunteer.id}>" in back.content

    outsider = await double.click(relayed, f"reachout:reply:{_number(card)}", user=ready.bob)
    assert outsider.ephemeral and "between the person who asked" in (outsider.content or "")

    await assert_never_named(bot, ready, alice, caplog, secret=WORDS)


async def test_the_requester_may_choose_to_say_who_they_are(bot: RecoveryBot, ready: Community) -> None:
    double = ready.double
    await ask(ready, ready.alice, message=WORDS, anonymous=True)
    card = await card_of(ready)
    await (await double.click(card, f"reachout:take:{_number(card)}", user=ready.volunteer)).wait_for_followup()
    told = double.dms(ready.alice)[-1]
    shared = await double.click(told, f"reachout:reveal:{_number(card)}", user=ready.alice)
    assert "can see who you are" in (shared.content or "")
    [thread] = [c for c in ready.guild.channels.values() if c.is_thread]
    assert any(f"<@{ready.alice.id}>" in m.content for m in double.messages(thread))


async def test_nobody_on_call_alerts_the_moderators_then_tells_the_requester_honestly(
    bot: RecoveryBot, ready: Community
) -> None:
    double = ready.double
    await ready.run("volunteer away", user=ready.volunteer)
    asked = await ask(ready, ready.alice, message=WORDS)
    assert "No volunteer is on call right now" in answer(asked)
    card = await card_of(ready)
    assert card.content.startswith(f"<@&{ready.moderator_role.id}>")
    start = clock.now()
    with clock_at(start + timedelta(minutes=16)):
        await bot.scheduler.run_due()
        told = await double.wait_for_message(ready.alice, lambda m: "nobody has been free" in m.content)
    assert "Support and crisis lines" in json.dumps(told.embeds)
    jobs = await bot.scheduler.jobs("reachout:")
    assert [(j.key.rsplit(":", 1)[1], j.state) for j in jobs] == [("3", "done")]


async def test_the_ladder_pings_more_volunteers_then_moderators_then_the_requester(
    bot: RecoveryBot, ready: Community
) -> None:
    double = ready.double
    await ready.run("config reachout", volunteers_pinged=1)
    vic = volunteer(ready, "vic-volunteer")
    for command in ("volunteer join", "volunteer available"):
        await ready.run(command, user=vic)
    await ask(ready, ready.alice, message=WORDS)
    first = (await card_of(ready)).content
    start = clock.now()
    with clock_at(start + timedelta(minutes=5, seconds=5)):
        await bot.scheduler.run_due()
        second = await double.wait_for_message(ready.reachout, lambda m: "waited 5 minutes" in m.content)
    assert {first, second.content.split()[0]} == {f"<@{ready.volunteer.id}>", f"<@{vic.id}>"}
    with clock_at(start + timedelta(minutes=10, seconds=5)):
        await bot.scheduler.run_due()
        await double.wait_for_message(ready.reachout, lambda m: m.content.startswith(f"<@&{ready.moderator_role.id}>"))
    with clock_at(start + timedelta(minutes=15, seconds=5)):
        await bot.scheduler.run_due()
        await double.wait_for_message(ready.alice, lambda m: "nobody has been free" in m.content)
    assert {j.state for j in await bot.scheduler.jobs("reachout:")} == {"done"}


async def test_a_volunteer_who_lets_pings_pass_is_set_away_gently(bot: RecoveryBot, ready: Community) -> None:
    await ready.run("config reachout", missed_before_away=1, cooldown=0)
    await ask(ready, ready.alice, message=WORDS)
    with clock_at(clock.now() + timedelta(minutes=6)):
        await bot.scheduler.run_due()
        note = await ready.double.wait_for_message(ready.volunteer, lambda m: "set you to away" in m.content)
    assert "completely OK" in note.content
    status = await ready.run("volunteer status", user=ready.volunteer)
    assert "you're away" in json.dumps(status.embeds)


async def test_asking_twice_is_gently_stopped_and_the_lines_are_still_shown(bot: RecoveryBot,
                                                                          ready: Community) -> None:
    await ask(ready, ready.alice, message=WORDS)
    again = await ask(ready, ready.alice, message=WORDS)
    assert "still waiting for a volunteer" in answer(again) and "Support and crisis lines" in answer(again)
    blocked_card = await card_of(ready)
    block = await ready.run("admin anon-block", number=_number(blocked_card))
    assert "can no longer post anonymously here" in (block.content or "")
    later = clock.now() + timedelta(hours=2)
    with clock_at(later):
        refused = await ask(ready, ready.alice, message=WORDS)
    assert "can't send requests in this server" in answer(refused) and "Support and crisis lines" in answer(refused)


async def test_from_dms_the_member_picks_the_server_and_strangers_get_the_lines(bot: RecoveryBot,
                                                                               ready: Community) -> None:
    double = ready.double
    result = await double.invoke("reachout", user=ready.alice.user, guild=None, options={"message": WORDS})
    await result.wait_for_followup()
    assert "is sent" in answer(result)  # her one server with reach-out
    assert (await card_of(ready)).embeds
    stranger = double.add_user("stranger")
    alone = await double.invoke("reachout", user=stranger, guild=None, options={})
    await alone.wait_for_followup()
    assert "not in any server" in answer(alone) and "Support and crisis lines" in answer(alone)


async def test_volunteers_need_the_role_and_their_hours_are_read_kindly(bot: RecoveryBot, ready: Community) -> None:
    refused = await ready.run("volunteer join", user=ready.bob)
    assert refused.ephemeral and "**Volunteer** role" in (refused.content or "") and "**Moderator**" in \
        (refused.content or "")
    bad = await ready.run("volunteer hours", user=ready.volunteer, when="whenever")
    assert "I can't read" in (bad.content or "") and "Mon-Fri 18:00-22:00" in (bad.content or "")
    good = await ready.run("volunteer hours", user=ready.volunteer, when="Mon-Fri 18:00-22:00", zone="Europe/London")
    assert "Mon-Fri 18:00-22:00" in (good.content or "") and "Europe/London" in (good.content or "")
    status = await ready.run("volunteer status", user=ready.manager)
    assert "by week" in json.dumps(status.embeds)


def _number(card: Message) -> int:
    title = card.embeds[0]["title"]
    return int(title.split("#")[1].split(":")[0])


async def test_hours_route_on_the_volunteers_own_clock_across_a_daylight_saving_change(
    bot: RecoveryBot, ready: Community
) -> None:
    await ready.run("volunteer hours", user=ready.volunteer, when="Sun 18:00-22:00", zone="America/New_York")
    # New York falls back on Sunday 1 November 2026: 18:30 there is 23:30 UTC that evening, 22:30 UTC a week before.
    with clock_at(datetime.fromisoformat("2026-11-01T22:30:00+00:00")):  # 17:30 in New York: not yet
        early = await ask(ready, ready.alice, message=WORDS)
    assert "No volunteer is on call" in answer(early)
    await ready.run("config reachout", cooldown=0)
    with clock_at(datetime.fromisoformat("2026-11-01T23:30:00+00:00")):  # 18:30 in New York
        await ask(ready, ready.bob, message=WORDS)
        ping = await ready.double.wait_for_message(ready.volunteer, lambda m: "request #" in m.content)
    assert "three weeks sober" in ping.content.lower()


async def test_closed_dms_never_silence_a_request(bot: RecoveryBot, ready: Community) -> None:
    double = ready.double
    double.set_dms_open(ready.volunteer, False)
    double.set_dms_open(ready.alice, False)
    asked = await ask(ready, ready.alice, message=WORDS, anonymous=True)
    assert "Your DMs are closed to me" in answer(asked)  # told how to let replies reach them
    card = await card_of(ready)
    assert card.content == f"<@{ready.volunteer.id}>"  # the channel ping reaches a volunteer with DMs closed
    assert double.dms(ready.volunteer) == []
    taken = await double.click(card, f"reachout:take:{_number(card)}", user=ready.volunteer)
    await taken.wait_for_followup()
    [thread] = [c for c in ready.guild.channels.values() if c.is_thread]
    await double.wait_for_message(thread, lambda m: "DMs are closed" in m.content)
    intro = double.messages(thread)[0]
    form = await double.click(intro, f"reachout:reply:{_number(card)}", user=ready.volunteer)
    undelivered = await double.submit_modal(form, {"reachout:text": "I'm here"})
    assert undelivered.ephemeral and "couldn't pass that on" in (undelivered.content or "")


async def test_a_volunteer_at_their_limit_is_told_kindly(bot: RecoveryBot, ready: Community) -> None:
    await ready.run("config reachout", cooldown=0)
    await ask(ready, ready.alice, message=WORDS)
    first = await card_of(ready)
    await (await ready.double.click(first, f"reachout:take:{_number(first)}", user=ready.volunteer)).wait_for_followup()
    await ask(ready, ready.bob, message="I could use someone to talk to")
    second = await ready.double.wait_for_message(ready.reachout, lambda m: bool(m.embeds) and m.id != first.id)
    assert second.content.startswith(f"<@&{ready.moderator_role.id}>")  # the one volunteer is busy: not pinged
    refused = await ready.double.click(second, f"reachout:take:{_number(second)}", user=ready.volunteer)
    await refused.wait_for_followup()
    assert "You already hold 1 open request" in answer(refused)


async def test_a_step_that_fails_for_good_does_not_stop_the_next(bot: RecoveryBot, ready: Community) -> None:
    await ask(ready, ready.alice, message=WORDS)
    await card_of(ready)
    ready.guild.channels.pop(ready.reachout.id)  # the reach-out channel is deleted
    start = clock.now()
    for minutes in (5, 10):
        with clock_at(start + timedelta(minutes=minutes, seconds=5)):
            await bot.scheduler.run_due()
    with clock_at(start + timedelta(minutes=15, seconds=5)):
        await bot.scheduler.run_due()
        await ready.double.wait_for_message(ready.alice, lambda m: "nobody has been free" in m.content)
    states = {j.key.rsplit(":", 1)[1]: j.state for j in await bot.scheduler.jobs("reachout:")}
    assert states["3"] == "done"


async def test_from_dms_with_two_servers_the_member_chooses_which(bot: RecoveryBot, ready: Community) -> None:
    from bot.services import guild_config
    from bot.services.guild_config import ChannelPurpose

    double = ready.double
    other = double.add_guild("Family Group")
    other_reachout = double.add_channel(other, "reach-out")
    double.add_member(other, ready.alice.user)
    async with bot.sessions.begin() as session:
        await guild_config.set_channels(session, other.id, ready.manager.id,
                                        {ChannelPurpose.REACHOUT: other_reachout.id})
    asked = await double.invoke("reachout", user=ready.alice.user, guild=None, options={"message": WORDS})
    await asked.wait_for_followup()
    menu = asked.followups[0]
    assert "Which server" in (menu.content or "")
    options = {o["label"]: o["value"] for o in menu.components[0]["components"][0]["options"]}
    assert set(options) == {"Recovery Circle", "Family Group"}
    chosen = await double.select(menu, "servers:choose", [options["Family Group"]], user=ready.alice.user)
    await chosen.wait_for_followup()
    assert "is sent" in answer(chosen)
    await double.wait_for_message(other_reachout, lambda m: bool(m.embeds))
    assert not [m for m in double.messages(ready.reachout) if m.embeds]  # not the other server
