"""/milestone through the Discord double: setting a date (asked how to announce it), viewing it, the server's
announcement batch at the right local hour with mentions only for those who chose so, a reset that leaves no
public trace, erasing, DMs, facilitators' upcoming list and /config milestones."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import clock
from bot.client import RecoveryBot
from bot.services import timezones
from tests.community import Community
from tests.discord_double import InteractionResult, Message
from tests.time_travel import clock_at

NEW_YORK = "America/New_York"


@pytest.fixture
async def ready(bot: RecoveryBot, community: Community) -> Community:
    await community.configure()
    result = await community.run("config timezone", zone=NEW_YORK)
    assert NEW_YORK in (result.content or "")
    return community


def said(result: InteractionResult) -> str:
    return "\n".join(f"{m.content} {json.dumps(m.embeds)}" for m in [result.message, *result.followups] if m)


def ids_of(message: Message) -> list[str]:
    return [c["custom_id"] for row in message.components for c in row["components"]]


def tomorrow() -> date:
    return timezones.today_in(NEW_YORK, clock.now()) + timedelta(days=1)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, 5, tzinfo=ZoneInfo(NEW_YORK))


async def sweep_at(bot: RecoveryBot, moment: datetime) -> None:
    with clock_at(moment):
        await bot.scheduler.run_due()  # the sweep
        await bot.scheduler.run_due()  # the announcements it booked


def public_posts(community: Community) -> list[Message]:
    return [m for channel in (community.general, community.announcements, community.checkins)
            for m in community.double.messages(channel) if m.interaction_metadata is None]


async def test_setting_a_date_is_private_and_asks_how_to_announce_it(bot: RecoveryBot, ready: Community) -> None:
    result = await ready.run("milestone set", user=ready.alice, date="2025-03-14")
    assert result.message is not None and result.message.flags & 64
    assert "clean since **2025-03-14**" in said(result) and "Nothing is announced unless you choose" in said(result)
    assert ids_of(result.message) == ["milestones:choose:public", "milestones:choose:anonymous",
                                      "milestones:choose:off"]
    chosen = await ready.double.click(result.message, "milestones:choose:anonymous", user=ready.alice)
    assert "announced anonymously" in (chosen.content or "")
    again = await ready.run("milestone set", user=ready.alice, date="2025-03-15")
    assert "Updated" in said(again) and again.message is not None and again.message.components == []
    assert public_posts(ready) == []


async def test_view_shows_days_the_next_milestone_and_how_close_it_is(bot: RecoveryBot, ready: Community) -> None:
    start = timezones.today_in(NEW_YORK, clock.now()) - timedelta(days=45)
    await ready.run("milestone set", user=ready.alice, date=start.isoformat(), label="alcohol")
    result = await ready.run("milestone view", user=ready.alice)
    embed = result.message.embeds[0] if result.message else {}
    [field] = embed["fields"]
    assert field["name"] == f"Clean since {start.isoformat()} · alcohol"
    assert "**45 days** clean (1 month" in field["value"] and "Reached: **30 days**" in field["value"]
    assert "Next: **60 days**" in field["value"] and "in 15 days" in field["value"] and "▰" in field["value"]
    assert "not announced" in embed["footer"]["text"]


async def test_a_servers_milestones_go_out_together_at_its_hour_naming_only_who_chose_so(
    bot: RecoveryBot, ready: Community
) -> None:
    double = ready.double
    saved = await ready.run("config milestones", schedule="keytags", hour=10)
    assert "NA-style keytags" in (saved.content or "") and "**10:00**" in (saved.content or "")
    day = tomorrow()
    alice_set = await ready.run("milestone set", user=ready.alice, date=(day - timedelta(days=90)).isoformat(),
                                zone=NEW_YORK)
    await double.click(alice_set.message, "milestones:choose:public", user=ready.alice)
    bob_set = await ready.run("milestone set", user=ready.bob, date=(day - timedelta(days=60)).isoformat())
    await double.click(bob_set.message, "milestones:choose:anonymous", user=ready.bob)
    await ready.run("milestone set", user=ready.volunteer, date=(day - timedelta(days=30)).isoformat())  # not asked
    await sweep_at(bot, at(day, 9, 50))
    assert double.messages(ready.announcements) == []
    await sweep_at(bot, at(day, 10, 0))
    [post] = double.messages(ready.announcements)
    assert f"🎉 <@{ready.alice.id}> celebrates **90 days (red keytag)** today!" in post.content
    assert "🎉 A member celebrates **60 days (green keytag)** today!" in post.content
    assert post.pinged_user_ids == {ready.alice.id} and not post.pinged_everyone
    for hidden in (str(ready.bob.id), ready.bob.user.username, str(ready.volunteer.id)):
        assert hidden not in post.content
    await sweep_at(bot, at(day, 10, 15) + timedelta(days=1))  # later sweeps, a day on: never again
    assert len(double.messages(ready.announcements)) == 1


async def test_a_reset_is_kind_private_and_leaves_no_public_trace(bot: RecoveryBot, ready: Community) -> None:
    day = tomorrow()
    result = await ready.run("milestone set", user=ready.alice, date=(day - timedelta(days=30)).isoformat())
    await ready.double.click(result.message, "milestones:choose:public", user=ready.alice)
    reset = await ready.run("milestone reset", user=ready.alice)
    assert reset.message is not None and reset.message.flags & 64
    assert "Coming back takes courage" in said(reset) and "Nothing about this was posted" in said(reset)
    await sweep_at(bot, at(day, 8, 45))
    assert public_posts(ready) == []
    # At the hour, the old date's 30 days is gone; the new date's 24 hours (today was day one) is celebrated.
    await sweep_at(bot, at(day, 9, 0))
    [post] = public_posts(ready)
    assert f"<@{ready.alice.id}> celebrates **24 hours** today!" in post.content and "30 days" not in post.content


async def test_erasing_a_date_asks_once_and_a_bad_date_changes_nothing(bot: RecoveryBot, ready: Community) -> None:
    future = await ready.run("milestone set", user=ready.alice, date="2999-01-01")
    assert "hasn't come yet" in (future.content or "") and future.message is not None and future.message.flags & 64
    nonsense = await ready.run("milestone set", user=ready.alice, date="last spring")
    assert "e.g. 2025-03-14" in (nonsense.content or "")
    none_yet = await ready.run("milestone view", user=ready.alice)
    assert "haven't set a clean date yet" in (none_yet.content or "")
    await ready.run("milestone set", user=ready.alice, date="2024-05-01", label="nicotine")
    asked = await ready.run("milestone delete", user=ready.alice, label="nicotine")
    assert "can't be undone" in (asked.content or "")
    erased = await ready.double.click(asked.message, "milestones:erase", user=ready.alice)
    assert "Erased “nicotine”" in (erased.content or "")
    gone = await ready.run("milestone view", user=ready.alice)
    assert "haven't set a clean date yet" in (gone.content or "")


async def test_in_dms_a_date_is_set_and_a_server_chosen_for_announcements(bot: RecoveryBot,
                                                                        ready: Community) -> None:
    double = ready.double
    set_in_dm = await double.invoke("milestone set", user=ready.alice.user, guild=None,
                                    options={"date": "2025-06-01", "zone": "Europe/Lisbon"})
    assert "Europe/Lisbon" in said(set_in_dm) and "only in servers where you choose" in said(set_in_dm)
    chosen = await double.invoke("milestone privacy", user=ready.alice.user, guild=None,
                                 options={"choice": "public"})
    assert "in Recovery Circle, your milestones are announced with your name" in said(chosen)
    shown = await ready.run("milestone view", user=ready.alice)
    assert "announced with your name" in shown.message.embeds[0]["footer"]["text"]


async def test_facilitators_see_who_celebrates_soon_and_members_are_told_who_can(bot: RecoveryBot,
                                                                               ready: Community) -> None:
    day = tomorrow()
    first = await ready.run("milestone set", user=ready.alice, date=(day - timedelta(days=60)).isoformat())
    await ready.double.click(first.message, "milestones:choose:public", user=ready.alice)
    second = await ready.run("milestone set", user=ready.bob, date=(day - timedelta(days=7)).isoformat())
    await ready.double.click(second.message, "milestones:choose:anonymous", user=ready.bob)
    listed = await ready.run("milestone upcoming", user=ready.facilitator)
    assert f"<@{ready.alice.id}>: **60 days**" in said(listed) and "1 member who celebrate anonymously" in said(listed)
    assert str(ready.bob.id) not in said(listed)
    refused = await ready.run("milestone upcoming", user=ready.alice)
    assert "Only facilitators can do that" in (refused.content or "")


async def test_config_milestones_takes_a_custom_list_or_refuses_it_kindly(bot: RecoveryBot, ready: Community) -> None:
    bad = await ready.run("config milestones", custom="30d, soonish")
    assert "can't read “soonish”" in (bad.content or "") and bad.message is not None and bad.message.flags & 64
    shown = await ready.run("config milestones")
    assert "24 hours, 7, 30, 60 and 90 days" in (shown.content or "")  # unchanged
    good = await ready.run("config milestones", custom="24h, 1w, 100d, 1y, yearly")
    assert "24 hours, 7 days, 100 days, 1 year, then every year" in (good.content or "")
