"""/checkin through the Discord double: private check-ins, anonymous shares that name nobody, support passed
on, reports and blocks, the crisis path to a volunteer, history, and the daily reminder answered in one tap.

Anonymous means anonymous: one test runs every anonymous flow and searches everything the bot sent anyone
but the author, every log line, every job key and the raw database for the author's id and names.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import clock
from bot.client import RecoveryBot
from bot.services.checkins import reminders
from tests.community import Community
from tests.discord_double import InteractionResult, Member, Message
from tests.leaks import assert_never_named, capture_logs_as_the_bot_runs
from tests.time_travel import clock_at

NOTE = "Day 12. The evenings are the hardest part"



@pytest.fixture
async def ready(bot: RecoveryBot, community: Community) -> Community:
    await community.configure()
    return community


def said(result: InteractionResult) -> str:
    return "\n".join(f"{m.content} {json.dumps(m.embeds)} {json.dumps(m.components)}"
                     for m in [result.message, *result.followups] if m)


async def check_in(community: Community, who: Member, **options: object) -> InteractionResult:
    result = await community.run("checkin new", user=who, **options)
    await result.wait_for_followup()
    return result


async def shared_post(bot: RecoveryBot, community: Community, who: Member, **options: object) -> Message:
    """`who` shares a check-in anonymously; the bot posts it once its few minutes have passed."""
    result = await check_in(community, who, share="anonymous", **options)
    assert "will appear anonymously" in said(result)
    with clock_at(clock.now() + timedelta(minutes=6)):
        await bot.scheduler.run_due()
    return await community.double.wait_for_message(community.checkins, lambda m: bool(m.embeds))


def number(post: Message) -> int:
    return int(post.embeds[0]["title"].rsplit("#", 1)[1])


async def test_a_private_check_in_shows_nothing_in_public(bot: RecoveryBot, ready: Community) -> None:
    result = await check_in(ready, ready.alice, mood=4, craving=2, note="Went to a meeting, felt good")
    assert result.ephemeral and "Checked in: 🙂 good (4/5), craving 2/10. Only you can see it." in said(result)
    assert "Share anonymously" in said(result) and "crisis lines" not in said(result).lower()
    posted = [r for r in ready.double.requests_to("POST", "/channels/{channel_id}/messages")]
    assert posted == []  # nothing public shows that she checked in


async def test_an_anonymous_share_appears_later_naming_nobody_and_support_reaches_the_author(
    bot: RecoveryBot, ready: Community
) -> None:
    double = ready.double
    result = await check_in(ready, ready.alice, mood=2, craving=6, note=f"{NOTE} @everyone <@&1> **bold**",
                            share="anonymous")
    assert f"<#{ready.checkins.id}>" in said(result) and double.messages(ready.checkins) == []  # not yet
    with clock_at(clock.now() + timedelta(minutes=6)):
        await bot.scheduler.run_due()
    post = await double.wait_for_message(ready.checkins, lambda m: bool(m.embeds))
    embed = post.embeds[0]
    assert embed["title"].startswith("Anonymous check-in #")
    assert [f["value"] for f in embed["fields"]] == ["😔 low (2/5)", "6/10"]
    assert "\\*\\*bold\\*\\*" in embed["description"] and "@\u200beveryone" in embed["description"]
    [sent] = [r for r in double.requests_to("POST", "/channels/{channel_id}/messages")
              if r.params.get("channel_id") == str(ready.checkins.id)]
    assert sent.json["allowed_mentions"] == {"parse": []}
    assert "timestamp" not in embed and "author" not in embed
    # No time of any kind beside the note: the post's own time is all there is, minutes after she wrote it.
    assert not re.search(r"\d", embed["footer"]["text"])
    assert set(re.findall(r"\d+", json.dumps(embed["fields"], ensure_ascii=False))) == {"2", "5", "6", "10"}

    form = await double.click(post, f"checkin:support:{number(post)}", user=ready.bob)
    signature = next(c for row in form.modal["components"] for c in row["components"]
                     if c["custom_id"] == "checkin:signature")
    assert signature["value"] == "bob"
    sent_support = await double.submit_modal(form, {"checkin:support-text": "You've got this. One evening at a time.",
                                                    "checkin:signature": "bob"})
    assert "Sent" in (sent_support.content or "")
    support = await double.wait_for_message(ready.alice, lambda m: "One evening at a time" in m.content)
    assert "— bob" in support.content
    form = await double.click(post, f"checkin:support:{number(post)}", user=ready.volunteer)
    await double.submit_modal(form, {"checkin:support-text": "Thinking of you", "checkin:signature": ""})
    quiet = await double.wait_for_message(ready.alice, lambda m: "Thinking of you" in m.content)
    assert "stay anonymous too" in quiet.content and "val" not in quiet.content


async def test_a_report_reaches_the_moderators_who_can_block_without_learning_who(
    bot: RecoveryBot, ready: Community
) -> None:
    double = ready.double
    post = await shared_post(bot, ready, ready.alice, mood=3, craving=1, note="something hurtful")
    reported = await double.click(post, f"checkin:report:{number(post)}", user=ready.bob)
    assert reported.ephemeral and "the moderators have it" in (reported.content or "")
    notice = await double.wait_for_message(ready.reachout, lambda m: "was reported" in m.content)
    assert notice.content.startswith(f"<@&{ready.moderator_role.id}>") and str(number(post)) in notice.content
    again = await double.click(post, f"checkin:report:{number(post)}", user=ready.bob)
    assert "reported this check-in already" in (again.content or "")
    blocked = await ready.run("admin anon-block", number=number(post), what="check-in")
    assert "can no longer post anonymously" in (blocked.content or "")
    with clock_at(clock.now() + timedelta(hours=1)):
        refused = await check_in(ready, ready.alice, mood=3, craving=1, share="anonymous")
    assert "can't share check-ins anonymously in this server" in said(refused) and "Checked in" in said(refused)


async def test_a_hard_check_in_shows_the_lines_and_reaches_a_volunteer_in_one_tap(
    bot: RecoveryBot, ready: Community
) -> None:
    double = ready.double
    for command in ("volunteer join", "volunteer available"):
        await ready.run(command, user=ready.volunteer)
    result = await check_in(ready, ready.alice, mood=1, craving=9, note="I can't go on like this tonight")
    words = said(result)
    assert "Support and crisis lines" in words and "you don't have to face it alone" in words
    answer = result.followups[0]
    form = await double.click(answer, f"checkin:reach:{_checkin_id(answer)}:0", user=ready.alice)
    prefilled = next(c for row in form.modal["components"] for c in row["components"])
    assert prefilled["value"] == "I can't go on like this tonight"  # her note, hers to change or clear
    sent = await double.submit_modal(form, {"checkin:reach-message": "I can't go on like this tonight"})
    await sent.wait_for_followup()
    assert "is sent" in said(sent)
    card = await double.wait_for_message(ready.reachout, lambda m: bool(m.embeds))
    assert "needs help urgently" in card.embeds[0]["title"] and card.content == f"<@{ready.volunteer.id}>"


def _checkin_id(message: Message) -> int:
    ids = [c["custom_id"] for row in message.components for c in row["components"]]
    return int(next(i for i in ids if i.startswith("checkin:reach:")).split(":")[2])


async def test_the_daily_reminder_comes_at_the_members_time_and_is_answered_in_one_tap(
    bot: RecoveryBot, ready: Community
) -> None:
    double = ready.double
    result = await ready.run("checkin reminder", user=ready.alice, time="20:00", zone="Europe/London")
    assert "Every day at **20:00** (Europe/London)" in (result.content or "")
    london = ZoneInfo("Europe/London")
    evening = (clock.now().astimezone(london) + timedelta(days=1)).replace(hour=20, minute=0, second=5)
    with clock_at(evening - timedelta(minutes=2)):
        await bot.scheduler.run_due()
    assert not [m for m in double.dms(ready.alice) if "How are you today" in m.content]  # not yet
    with clock_at(evening):
        await bot.scheduler.run_due()
        nudge = await double.wait_for_message(ready.alice, lambda m: "How are you today" in m.content)
        assert len([c for row in nudge.components for c in row["components"]]) == 5
        form = await double.click(nudge, "checkin:mood:4", user=ready.alice)
        done = await double.submit_modal(form, {"checkin:craving": "1", "checkin:note": ""})
        await done.wait_for_followup()
    assert "Checked in: 🙂 good (4/5), craving 1/10" in said(done)
    later = await double.invoke("checkin history", user=ready.alice.user, guild=None)
    await later.wait_for_followup()
    assert "1 of the last 30 days" in said(later)
    [chart] = later.followups[0].attachments
    assert chart.filename == "checkins.png" and chart.content.startswith(b"\x89PNG")


async def test_closed_dms_pause_the_reminder_and_the_member_hears_why_next_time(bot: RecoveryBot,
                                                                               ready: Community) -> None:
    double = ready.double
    await ready.run("checkin reminder", user=ready.alice, time="07:30", zone="UTC")
    double.set_dms_open(ready.alice, False)
    morning = (clock.now() + timedelta(days=1)).replace(hour=7, minute=30, second=5)
    with clock_at(morning):
        await bot.scheduler.run_due()
    async with bot.sessions() as session:
        reminder = await reminders.of(session, ready.alice.id)
    assert reminder is not None and reminder.paused
    result = await ready.run("resources", user=ready.alice)
    notice = await result.wait_for_followup()
    assert "reminder is paused" in notice.content and notice.flags & 64
    again = await ready.run("resources", user=ready.alice)
    assert again.followups == []  # told once


async def test_the_author_can_take_their_post_down_and_erasing_their_data_does_too(
    bot: RecoveryBot, ready: Community
) -> None:
    double = ready.double
    first = await shared_post(bot, ready, ready.alice, mood=3, craving=2, note="first")
    with clock_at(clock.now() + timedelta(minutes=10)):
        result = await check_in(ready, ready.alice, mood=3, craving=2, note="second", share="anonymous")
        take_down = next(c["custom_id"] for m in result.followups for row in m.components
                         for c in row["components"] if c["custom_id"].startswith("checkin:takedown:"))
        gone = await double.click(result.followups[-1], take_down, user=ready.alice)
        assert "won't appear" in (gone.content or "")
    with clock_at(clock.now() + timedelta(minutes=20)):
        await bot.scheduler.run_due()
    assert [m.id for m in double.messages(ready.checkins)] == [first.id]  # the second never appeared
    asked = await ready.run("privacy delete", user=ready.alice)
    erased = await double.click(asked.message, "privacy:erase", user=ready.alice)
    await erased.wait_until(lambda r: "Done" in (r.content or ""))
    assert "1 of your anonymous posts taken down" in (erased.content or "")
    assert double.messages(ready.checkins) == []


async def test_every_anonymous_check_in_flow_names_nobody(bot: RecoveryBot, ready: Community,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    capture_logs_as_the_bot_runs(caplog)
    double = ready.double
    post = await shared_post(bot, ready, ready.alice, mood=2, craving=5, note=NOTE)
    form = await double.click(post, f"checkin:support:{number(post)}", user=ready.bob)
    await double.submit_modal(form, {"checkin:support-text": "Rooting for you", "checkin:signature": "bob"})
    await double.wait_for_message(ready.alice, lambda m: "Rooting for you" in m.content)
    await double.click(post, f"checkin:report:{number(post)}", user=ready.volunteer)
    await double.wait_for_message(ready.reachout, lambda m: "was reported" in m.content)
    await ready.run("admin anon-block", number=number(post), what="check-in")
    await assert_never_named(bot, ready, ready.alice, caplog, secret=NOTE)
