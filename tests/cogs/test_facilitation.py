"""Running a meeting through the Discord double: the live panel, its steps, raised hands called in order with
only the speaker pinged, the share timer's gentle notice, attendance from voice joins and leaves, slips issued
and checked (a forged or altered one refused), the format as a file, and misuse met kindly."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from bot import clock
from bot.client import RecoveryBot
from tests.cogs.test_meetings import create, tomorrow_at
from tests.community import Community
from tests.discord_double import InteractionResult, Member, Message
from tests.time_travel import clock_at


@pytest.fixture
async def ready(bot: RecoveryBot, community: Community) -> Community:
    await community.configure()
    made = await create(community, tomorrow_at(19), name="Tuesday Night Group")
    assert "Tuesday Night Group" in json.dumps([m.content for m in [made.message, *made.followups] if m])
    return community


def text_of(result: InteractionResult) -> str:
    return "\n".join(f"{m.content} {json.dumps(m.embeds)}" for m in [result.message, *result.followups] if m)


async def start(community: Community, who: Member | None = None) -> InteractionResult:
    result = await community.run("meeting start", user=who or community.facilitator, meeting="Tuesday Night Group")
    if result.deferred_ephemeral:
        await result.wait_for_followup()
    return result


def panel(community: Community) -> Message:
    found = [m for m in community.double.messages(community.meeting_room) if m.embeds and
             m.embeds[0]["title"].startswith(("🟢", "⚪"))]
    assert found, "no panel"
    return found[-1]


def field(message: Message, starts: str) -> str:
    return next((f["value"] for f in message.embeds[0].get("fields", []) if f["name"].startswith(starts)), "")


async def panel_shows(community: Community, predicate: Any) -> Message:
    def shows() -> bool:
        try:
            return bool(predicate(panel(community)))
        except AssertionError:  # no panel for a moment: one was deleted, its successor not posted yet
            return False

    await community.double.wait_for(shows, what="the panel to show the change")
    return panel(community)


def run_id(community: Community) -> int:
    return run_id_of(panel(community))


async def press(community: Community, action: str, who: Member) -> InteractionResult:
    live = panel(community)
    custom_id = next(c["custom_id"] for row in live.components for c in row["components"]
                     if c["custom_id"].startswith(f"run:{action}:"))
    return await community.double.click(live, custom_id, user=who)


async def test_start_posts_the_live_panel_and_a_second_start_points_at_it(bot: RecoveryBot,
                                                                        ready: Community) -> None:
    result = await start(ready)
    assert "The live panel is in" in text_of(result) and result.ephemeral
    live = panel(ready)
    assert live.embeds[0]["title"] == "🟢 Tuesday Night Group: live"
    assert field(live, "Step 1 of 10 · Welcome").startswith("Welcome, everyone.")
    again = await start(ready, ready.manager)
    assert "already running" in text_of(again) and f"<#{ready.meeting_room.id}>" in text_of(again)
    assert len([m for m in ready.double.messages(ready.meeting_room) if m.embeds]) == 1
    refused = await ready.run("meeting start", user=ready.alice, meeting="Tuesday Night Group")
    assert "Only the meeting's chairs can do that: the server's facilitator role" in (refused.content or "")
    button = await press(ready, "next", ready.alice)
    assert "Only the meeting's chairs can do that" in (button.content or "") and button.ephemeral
    step = await press(ready, "step", ready.facilitator)
    assert "Step 2: Anonymity and safety" in (step.content or "")
    await panel_shows(ready, lambda p: "Step 2 of 10" in json.dumps(p.embeds))


async def test_hands_are_called_in_order_and_only_the_speaker_is_pinged(bot: RecoveryBot,
                                                                       ready: Community) -> None:
    await start(ready)
    first = await press(ready, "hand", ready.alice)
    assert "You're **#1** in the queue" in (first.content or "")
    assert "#2" in ((await press(ready, "hand", ready.bob)).content or "")
    assert "#3" in ((await ready.run("queue join", user=ready.volunteer)).content or "")
    assert "#1" in ((await press(ready, "hand", ready.alice)).content or "")  # pressing again keeps the place
    assert "Hand lowered" in ((await press(ready, "lower", ready.bob)).content or "")
    await panel_shows(ready, lambda p: field(p, "Queue (2)") == f"1. <@{ready.alice.id}>\n2. <@{ready.volunteer.id}>")
    called = await press(ready, "next", ready.facilitator)
    assert f"Called <@{ready.alice.id}>" in (called.content or "")
    floor = await ready.double.wait_for_message(ready.meeting_room, lambda m: "you have the floor" in m.content)
    assert floor.pinged_user_ids == {ready.alice.id} and not floor.pinged_role_ids
    live = await panel_shows(ready, lambda p: "Sharing now" in json.dumps(p.embeds))
    assert field(live, "Sharing now").startswith(f"<@{ready.alice.id}> · time's up <t:")
    shown = await ready.run("queue show", user=ready.bob)
    assert f"1. <@{ready.volunteer.id}>" in (shown.content or "") and shown.ephemeral
    skipped = await ready.run("queue next", user=ready.alice)
    assert "Only the meeting's chairs" in (skipped.content or "")
    cleared = await ready.run("queue clear", user=ready.facilitator)
    assert "Queue cleared (1 hand)" in (cleared.content or "")
    empty = await press(ready, "next", ready.facilitator)
    assert "Nobody is in the queue" in (empty.content or "")


async def test_who_has_not_shared_goes_first_when_the_format_says_so(bot: RecoveryBot, ready: Community) -> None:
    exported = await ready.run("meeting format", meeting="Tuesday Night Group", export=True)
    [attachment] = exported.message.attachments if exported.message else []
    text = attachment.content.decode().replace("newcomers-first: no", "newcomers-first: yes")
    saved = await ready.run("meeting format", meeting="Tuesday Night Group",
                            file=ready.double.attachment("meeting-format.txt", text.encode()))
    assert "who has not shared goes first" in (saved.content or "")
    await start(ready)
    await press(ready, "hand", ready.alice)
    await press(ready, "next", ready.facilitator)  # alice shares
    await press(ready, "hand", ready.alice)
    await press(ready, "hand", ready.bob)
    called = await press(ready, "next", ready.facilitator)
    assert f"Called <@{ready.bob.id}>" in (called.content or "")  # bob hasn't shared yet


async def test_a_bad_format_file_is_refused_kindly_and_changes_nothing(bot: RecoveryBot, ready: Community) -> None:
    refused = await ready.run("meeting format", meeting="Tuesday Night Group",
                              file=ready.double.attachment("format.txt", b"share-minutes: 90\n## Welcome\nHi"))
    assert "from 1 to 15 minutes" in (refused.content or "") and refused.ephemeral
    await start(ready)
    assert "Step 1 of 10" in json.dumps(panel(ready).embeds)


async def test_the_share_timer_ends_with_a_gentle_notice(bot: RecoveryBot, ready: Community) -> None:
    await start(ready)
    await press(ready, "hand", ready.alice)
    await press(ready, "next", ready.facilitator)
    with clock_at(clock.now() + timedelta(minutes=2)):
        await bot.scheduler.run_due()
    assert not [m for m in ready.double.messages(ready.meeting_room) if "share time" in m.content]
    with clock_at(clock.now() + timedelta(minutes=3, seconds=5)):
        await bot.scheduler.run_due()
    notice = await ready.double.wait_for_message(ready.meeting_room, lambda m: "That's the share time" in m.content)
    assert not notice.pinged_user_ids
    one_off = await ready.run("meeting timer", user=ready.facilitator, minutes=5)
    assert "Timer set: 5 minutes" in (one_off.content or "")


async def test_attendance_counts_voice_and_slips_are_checked(bot: RecoveryBot, ready: Community) -> None:
    double = ready.double
    await double.join_voice(ready.alice, ready.meeting_room)  # there before the start: counted
    await start(ready)
    await double.join_voice(ready.bob, ready.meeting_room)
    await panel_shows(ready, lambda p: "present: 2" in p.embeds[0]["footer"]["text"])
    with clock_at(clock.now() + timedelta(minutes=40)):
        await double.leave_voice(ready.bob)
        here = await press(ready, "here", ready.volunteer)
        assert "counted as here" in (here.content or "")
        slip = await press(ready, "slip", ready.alice)
        assert "Sent to your DMs" in (slip.content or "")
        ended = await ready.run("meeting end", user=ready.facilitator)
    summary = ended.content or ""
    assert "3 people attended" in summary and "0 shares" in summary
    for name in (ready.alice.user.username, ready.bob.user.username, str(ready.alice.id)):
        assert name not in summary
    closed = await panel_shows(ready, lambda p: p.embeds[0]["title"].startswith("⚪"))
    assert [c["custom_id"] for row in closed.components for c in row["components"]] == [
        f"run:slip:{run_id(ready)}"]
    dm = await double.wait_for_message(ready.alice, lambda m: "Proof of attendance" in m.content)
    assert "Minutes present: 40" in dm.content
    code = dm.content.split("Verification code: `")[1].split("`")[0]
    genuine = await ready.run("meeting verify", user=ready.bob, code=code, member=ready.alice)
    assert "✅ Genuine" in (genuine.content or "") and "present for 40 minutes" in (genuine.content or "")
    run, minutes, mac = code.split("-")
    for forged, who in [(f"{run}-400-{mac}", ready.alice), (f"{run}-{minutes}-{'A' * 12}", ready.alice),
                        (code, ready.bob), ("not a code", ready.alice)]:
        refused = await ready.run("meeting verify", user=ready.manager, code=forged, member=who)
        assert "is not a genuine slip" in (refused.content or ""), forged


async def test_a_deleted_panel_comes_back_with_the_queue_intact(bot: RecoveryBot, ready: Community) -> None:
    await start(ready)
    await press(ready, "hand", ready.alice)
    old = panel(ready)
    ready.double._rest.delete_message(old)
    joined = await ready.run("queue join", user=ready.bob)  # the next change finds the panel gone
    assert "#2" in (joined.content or "")
    back = await panel_shows(ready, lambda p: p.id != old.id and "Queue (2)" in json.dumps(p.embeds))
    assert f"1. <@{ready.alice.id}>" in field(back, "Queue (2)")


def run_id_of(message: Message) -> int:
    ids = [c["custom_id"] for row in message.components for c in row["components"]]
    return int(next(i for i in ids if i.startswith("run:")).rsplit(":", 1)[1])


async def test_the_format_form_edits_steps_and_refuses_nonsense(bot: RecoveryBot, ready: Community) -> None:
    form = await ready.run("meeting format", meeting="Tuesday Night Group")
    assert form.modal is not None
    refused = await ready.double.submit_modal(form, {"format:share": "x", "format:first": "no",
                                                     "format:steps": "## Welcome\nHello"})
    assert "number of minutes" in (refused.content or "") and refused.ephemeral
    form = await ready.run("meeting format", meeting="Tuesday Night Group")
    saved = await ready.double.submit_modal(form, {
        "format:share": "4", "format:first": "no",
        "format:steps": "## Welcome\nHello, all.\n\n## Birthdays\nCelebrating: {milestones}\n\n## Sharing\n"
                        "About {share_minutes} minutes each."})
    assert "Welcome → Birthdays → Sharing" in (saved.content or "") and "about 4 min" in (saved.content or "")
    await start(ready)
    assert field(panel(ready), "Step 1 of 3 · Welcome") == "Hello, all."
    await press(ready, "step", ready.facilitator)
    live = await panel_shows(ready, lambda p: "Step 2 of 3" in json.dumps(p.embeds))
    assert "Celebrating: No one has asked to be named this week." in field(live, "Step 2 of 3")


async def test_start_and_end_run_the_occurrences_event_and_the_milestone_step_names_who_chose_so(
    bot: RecoveryBot, ready: Community
) -> None:
    meeting_start = tomorrow_at(19)
    soon = (meeting_start - timedelta(days=30)).date()  # alice's 30 days falls on the meeting's day
    chose = await ready.run("milestone set", user=ready.alice, date=soon.isoformat(), zone="America/New_York")
    await ready.double.click(chose.message, "milestones:choose:public", user=ready.alice)
    bob_chose = await ready.run("milestone set", user=ready.bob, date=soon.isoformat())
    await ready.double.click(bob_chose.message, "milestones:choose:anonymous", user=ready.bob)
    [event] = ready.double.scheduled_events(ready.guild)
    with clock_at(meeting_start - timedelta(minutes=20)):
        await start(ready)
        await ready.double.wait_for(lambda: event.status == 2, what="the event to go live")
        for _ in range(4):  # Welcome, Anonymity, Readings, Newcomers, then Milestones
            await press(ready, "step", ready.facilitator)
        live = await panel_shows(ready, lambda p: field(p, "Step 5 of 10 · Milestones"))
        text = field(live, "Step 5 of 10")
        assert f"<@{ready.alice.id}> (30 days" in text and "1 more celebrate soon, anonymously" in text
        assert str(ready.bob.id) not in text
    with clock_at(meeting_start + timedelta(minutes=50)):
        ended = await ready.run("meeting end", user=ready.facilitator)
        assert "has ended. 70 minutes" in (ended.content or "")
        await ready.double.wait_for(lambda: event.status == 3, what="the event to end")


async def test_a_meetings_own_facilitator_role_may_chair_it(bot: RecoveryBot, ready: Community) -> None:
    made = await create(ready, tomorrow_at(20), name="Speaker Meeting", facilitator=ready.volunteer_role)
    assert made.message is not None or made.followups
    result = await ready.run("meeting start", user=ready.volunteer, meeting="Speaker Meeting")
    await result.wait_for_followup()
    assert "Started “Speaker Meeting”" in text_of(result)
    await press(ready, "hand", ready.alice)
    refused = await press(ready, "next", ready.bob)
    assert "its own facilitator role, the server's facilitator role, or a moderator" in (refused.content or "")
    called = await press(ready, "next", ready.volunteer)
    assert f"Called <@{ready.alice.id}>" in (called.content or "")
    ended = await ready.run("meeting end", user=ready.volunteer)
    assert "has ended" in (ended.content or "")
