"""Meetings end to end: the real bot process, restarted at later instants as after downtime."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.services.meetings import feeds as meeting_feeds
from tests.community import Community
from tests.discord_double import DiscordDouble, InteractionResult, ScheduledEvent, eventually
from tests.e2e.conftest import StartBot
from tests.e2e.process import BotProcess
from tests.feed_site import FeedSite, in_person, online

NEW_YORK = ZoneInfo("America/New_York")


def tomorrow_evening() -> datetime:
    local = datetime.now(NEW_YORK) + timedelta(days=1)
    return local.replace(hour=19, minute=0, second=0, microsecond=0)


async def create_meeting(community: Community, start: datetime) -> InteractionResult:
    result = await community.run(
        "meeting create", name="Tuesday Night Big Book", time="7pm", kind="12-step", days=f"{start:%A}",
        zone="America/New_York", channel=community.meeting_room, types="Open, Discussion", duration=60,
        description="Newcomers welcome. Cameras optional.")
    await result.wait_for_followup()
    return result


async def ask_for_reminder(community: Community, minutes: str) -> None:
    info = await community.run("meeting info", user=community.alice, meeting="Tuesday Night Big Book")
    panel = await community.double.click(info.message, info.components[0]["components"][0]["custom_id"],
                                         user=community.alice)
    chosen = await community.double.select(panel.message, "meeting-reminder:offset", [minutes], user=community.alice)
    await chosen.wait_until(lambda r: "Done" in (r.content or ""))


def live_events(double: DiscordDouble, community: Community) -> list[datetime]:
    return sorted(datetime.fromisoformat(e.scheduled_start_time)
                  for e in double.scheduled_events(community.guild) if e.is_uncompleted)


async def test_a_meeting_is_listed_reminded_and_rolled_over_across_restarts(
    configured: Community, running_bot: BotProcess, start_bot: StartBot, double: DiscordDouble
) -> None:
    community = configured
    start = tomorrow_evening()
    created = await create_meeting(community, start)
    assert "Added **Tuesday Night Big Book**" in created.followups[0].content
    assert live_events(double, community) == [start]

    listing = await community.run("meeting list", user=community.alice)
    assert listing.ephemeral and f"<t:{int(start.timestamp())}:F>" in json.dumps(listing.embeds)
    await ask_for_reminder(community, "60")
    assert "1 hour before" in double.dms(community.alice)[0].content
    await running_bot.stop()

    # Back up 59 minutes before the meeting: the 60-minute reminders are a little late, not stale.
    bot = await start_bot(clock_at=start - timedelta(minutes=59, seconds=30))
    room = community.meeting_room
    announced = await double.wait_for_message(room, lambda m: "Tuesday Night Big Book" in m.content, timeout=20)
    assert f"<t:{int(start.timestamp())}:R>" in announced.content
    await eventually(lambda: len(double.dms(community.alice)) == 2, "alice's reminder DM", timeout=20)
    assert "Reminder: Tuesday Night Big Book" in double.dms(community.alice)[1].embeds[0]["title"]
    await bot.stop()

    # Down until after the meeting ended: the 10-minute reminder is stale and dropped, the event
    # for next week is made, and nothing already sent is sent again.
    for _ in range(2):
        bot = await start_bot(clock_at=start + timedelta(minutes=61))
        await eventually(lambda: live_events(double, community) == [start + timedelta(days=7)],
                         "next week's event", timeout=20)
        await bot.stop()
    assert len(double.messages(room)) == 1
    assert len(double.dms(community.alice)) == 2
    double.assert_no_unknown_routes()


async def test_cancel_a_date_then_export_and_import_the_schedule(
    configured: Community, running_bot: BotProcess, double: DiscordDouble
) -> None:
    community = configured
    start = tomorrow_evening()
    await create_meeting(community, start)
    await ask_for_reminder(community, "30")

    cancelled = await community.run("meeting cancel", meeting="tuesday-night-big-book",
                                    date=start.date().isoformat())
    await cancelled.wait_for_followup()
    assert "I told 1 member" in cancelled.followups[0].content
    assert "is cancelled" in double.dms(community.alice)[-1].content
    assert live_events(double, community) == [start + timedelta(days=7)]

    exported = await community.run("meeting export")
    feed = json.loads(exported.attachments[0].content)
    assert feed[0]["day"] == int(start.strftime("%w")) and feed[0]["types"] == ["D", "O"]
    feed[0]["name"] = "Tuesday Night Big Book (Zoom too)"
    feed.append({"name": "Saturday Serenity", "slug": "saturday-serenity", "day": 6, "time": "09:00",
                 "timezone": "Europe/London", "conference_url": "https://meet.example.org/serenity"})
    upload = double.attachment("feed.json", json.dumps(feed).encode())
    imported = await community.run("meeting import", file=upload)
    await imported.wait_for_followup()
    assert "1 new, 1 changed, 0 unchanged, 0 skipped" in imported.followups[0].content
    listed = json.dumps((await community.run("meeting list", user=community.bob)).embeds)
    assert "Saturday Serenity" in listed
    renamed = await community.run("meeting info", user=community.bob, meeting="tuesday-night-big-book")
    assert renamed.embeds[0]["title"] == "Tuesday Night Big Book (Zoom too)"
    assert str(community.meeting_room.id) in json.dumps(renamed.embeds)  # still in its voice channel
    # The Events tab follows the import in the background.
    def renamed_events() -> list[ScheduledEvent]:
        return [e for e in double.scheduled_events(community.guild) if e.is_uncompleted and
                e.name.endswith("(Zoom too)")]

    await eventually(renamed_events, "the renamed event", timeout=20)
    [tuesday] = renamed_events()
    assert tuesday.channel_id == community.meeting_room.id
    double.assert_no_unknown_routes()


async def test_a_feed_url_is_synced_the_next_morning_after_a_restart(
    start_bot: StartBot, community: Community, double: DiscordDouble, site: FeedSite
) -> None:
    """The daily sync lives in the durable queue: a bot that was down until the sync time still syncs."""
    bot = await start_bot(FEED_ALLOW_PRIVATE_HOSTS="true")
    await community.configure()
    site.serve([online("big-book"), online("step-study"), in_person("downtown")])
    imported = await community.run("meeting import", url=site.url)
    await imported.wait_for_followup()
    assert "2 new, 0 changed, 0 unchanged, 0 skipped" in imported.followups[0].content
    await bot.stop()

    site.serve([online("big-book", time="8:00 pm", end_time="9:00 pm"), online("step-study"),
                online("speaker-meeting")])
    due = meeting_feeds.sync_time(1, datetime.now(UTC))  # the server's first feed
    bot = await start_bot(clock_at=due + timedelta(minutes=2), FEED_ALLOW_PRIVATE_HOSTS="true")
    post = await double.wait_for_message(community.meetings_log, lambda m: "Daily sync" in m.content, timeout=30)
    assert "1 new, 1 changed, 1 unchanged, 0 skipped" in post.content
    listed = json.dumps((await community.run("meeting list", user=community.bob)).embeds)
    assert "Speaker Meeting" in listed
    await bot.stop()
    assert "Traceback" not in bot.log
    double.assert_no_unknown_routes()
