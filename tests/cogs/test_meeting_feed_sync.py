"""/meeting import url:… and the daily sync, against a feed served on a local HTTP server.

The feed changes between syncs, fails, grows too large or stays the same, as real intergroup sites do;
the bot's own scheduler runs the daily sync with the bot's clock moved (bot.clock.travel).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.client import RecoveryBot
from bot.services.meetings import feeds as meeting_feeds
from bot.services.meetings.data import Meeting
from cogs.meetings.events import MISSING_PERMISSION, TOO_MANY_EVENTS
from tests.cogs.test_meetings import reply_text, stored
from tests.community import Community
from tests.discord_double import DiscordDouble, Message, P, eventually
from tests.feed_site import FeedSite, in_person, online
from tests.harness import bot_in_process
from tests.time_travel import clock_at


@pytest.fixture
async def feed_bot(double: DiscordDouble, community: Community, tmp_path: Path) -> AsyncIterator[RecoveryBot]:
    """The bot as tests run it: allowed to read a feed served on this machine."""
    async with bot_in_process(double, tmp_path / "data", feed_allow_private_hosts=True) as bot:
        await community.configure()
        yield bot


async def import_url(community: Community, url: str, **options: Any) -> str:
    result = await community.run("meeting import", url=url, **options)
    await result.wait_for_followup()
    assert result.ephemeral
    return reply_text(result)


async def run_sync(bot: RecoveryBot) -> None:
    """Let the clock reach the next daily sync and the queue run it, as tomorrow morning would."""
    [job] = [j for j in await bot.scheduler.jobs("meeting-feed:") if j.state == "pending"]
    with clock_at(job.due_at + timedelta(minutes=1)):
        await bot.scheduler.run_due()


def schedule_of(meeting: Meeting) -> tuple[object, ...]:
    """What the feed decides of a meeting (its Events-tab entry is the bot's own business)."""
    return meeting.slug, meeting.name, meeting.recurrence, meeting.location, meeting.types, meeting.description


def log_posts(community: Community) -> list[Message]:
    return community.double.messages(community.meetings_log)


async def test_a_feed_url_imports_now_then_syncs_daily_and_posts_what_changed(
    feed_bot: RecoveryBot, community: Community, site: FeedSite
) -> None:
    site.serve([online("big-book"), online("step-study"), online("newcomers"), in_person("downtown"),
                in_person("uptown")])
    reply = await import_url(community, site.url)
    assert f"**Imported the feed at <{site.url}>**: 3 new, 0 changed, 0 unchanged, 0 skipped." in reply
    assert "Left out 2 in-person meetings" in reply
    assert "I'll check the feed every day" in reply
    assert sorted(m.slug for m in await stored(feed_bot, community)) == ["big-book", "newcomers", "step-study"]
    async with feed_bot.sessions() as session:
        [feed] = await meeting_feeds.of_server(session, community.guild.id)
    assert (feed.url, feed.sync_daily, feed.meetings) == (site.url, True, 3)

    # The intergroup edits its list: one meeting moves, one is added, one is gone.
    site.serve([online("big-book", time="7:30 pm"), online("step-study"), online("speaker-meeting")])
    await run_sync(feed_bot)
    await eventually(lambda: log_posts(community), "the sync's summary in the meetings log")
    [post] = log_posts(community)
    assert post.content.startswith("🔄 Daily sync. **Imported the feed at")
    assert "1 new, 1 changed, 1 unchanged, 1 ended, 0 skipped" in post.content
    meetings = {m.slug: m for m in await stored(feed_bot, community)}
    assert meetings["big-book"].recurrence.local_time.strftime("%H:%M") == "19:30"
    assert meetings["newcomers"].next_occurrence(datetime.now(meetings["newcomers"].recurrence.tz)) is None
    assert "speaker-meeting" in meetings
    # The chain goes on: tomorrow's sync is booked.
    pending = [j for j in await feed_bot.scheduler.jobs("meeting-feed:") if j.state == "pending"]
    assert len(pending) == 1


async def test_a_feed_that_fails_changes_nothing_and_the_log_says_why(
    feed_bot: RecoveryBot, community: Community, site: FeedSite
) -> None:
    site.serve([online("big-book"), online("step-study")])
    await import_url(community, site.url)
    before = [schedule_of(m) for m in await stored(feed_bot, community)]
    site.status, site.body = 500, b"<html>Internal Server Error</html>"
    await run_sync(feed_bot)
    await eventually(lambda: log_posts(community), "the failure in the meetings log")
    [post] = log_posts(community)
    assert "I couldn't sync the meeting feed" in post.content and "HTTP 500" in post.content
    assert "The schedule is unchanged; I'll try again tomorrow." in post.content
    assert [schedule_of(m) for m in await stored(feed_bot, community)] == before
    async with feed_bot.sessions() as session:
        [feed] = await meeting_feeds.of_server(session, community.guild.id)
    assert feed.problem is not None and "HTTP 500" in feed.problem
    # Next day the site is back, and so is the sync.
    site.serve([online("big-book"), online("step-study")])
    await run_sync(feed_bot)
    async with feed_bot.sessions() as session:
        [feed] = await meeting_feeds.of_server(session, community.guild.id)
    assert feed.problem is None and feed.synced_at is not None


async def test_a_feed_that_comes_back_broken_never_wipes_the_schedule(
    feed_bot: RecoveryBot, community: Community, site: FeedSite
) -> None:
    site.serve([online(f"meeting-{n}") for n in range(8)])
    await import_url(community, site.url)
    too_large = b"[" + b" " * 10_000_001 + b"]"
    for broken in (b"<html>Maintenance</html>", b"[]", json.dumps([in_person("x")]).encode(), too_large):
        site.body = broken
        await run_sync(feed_bot)
    posts = log_posts(community)
    assert len(posts) == 4
    assert all("The schedule is unchanged" in post.content for post in posts)
    assert "isn't valid JSON" in posts[0].content and "lists no online meetings" in posts[1].content
    assert "bigger than the 10 MB limit" in posts[3].content
    now = datetime.now()
    assert all(m.next_occurrence(now.astimezone(m.recurrence.tz)) for m in await stored(feed_bot, community))


async def test_a_feed_too_large_is_refused_whole(feed_bot: RecoveryBot, community: Community, site: FeedSite) -> None:
    site.body = b"[" + b" " * 10_000_001 + b"]"
    reply = await import_url(community, site.url)
    assert "bigger than the 10 MB limit" in reply
    assert await stored(feed_bot, community) == []
    async with feed_bot.sessions() as session:
        assert await meeting_feeds.of_server(session, community.guild.id) == []  # nothing remembered


async def test_an_unchanged_feed_is_not_downloaded_again(
    feed_bot: RecoveryBot, community: Community, site: FeedSite
) -> None:
    site.serve([online("big-book")], etag='"v1"')
    await import_url(community, site.url)
    await run_sync(feed_bot)
    assert site.requests[-1].get("If-None-Match") == '"v1"'
    assert log_posts(community) == []  # nothing changed, nothing said
    assert len(await stored(feed_bot, community)) == 1


async def test_sync_false_imports_once_and_stops_a_daily_sync(
    feed_bot: RecoveryBot, community: Community, site: FeedSite
) -> None:
    site.serve([online("big-book")])
    await import_url(community, site.url)
    assert [j for j in await feed_bot.scheduler.jobs("meeting-feed:") if j.state == "pending"]
    reply = await import_url(community, site.url, sync=False)
    assert "0 new, 0 changed, 1 unchanged" in reply and "I won't sync this feed daily." in reply
    assert [j for j in await feed_bot.scheduler.jobs("meeting-feed:") if j.state == "pending"] == []
    shown = await community.run("config show")
    feeds = next(f["value"] for f in shown.embeds[0]["fields"] if f["name"] == "Meeting feeds")
    assert site.url in feeds and "imported once, not synced" in feeds and "1 meeting" in feeds


async def test_a_feed_on_a_private_address_is_refused_without_the_setting(
    bot: RecoveryBot, community: Community, site: FeedSite
) -> None:
    site.serve([online("big-book")])
    result = await community.run("meeting import", url=site.url)
    await result.wait_for_followup()
    assert "private or local network" in reply_text(result)
    assert site.requests == []  # refused before any connection
    assert await stored(bot, community) == []


@pytest.mark.parametrize(("options", "expected"), [
    ({}, "Give either a `file`"),
    ({"url": "https://a.example/feed.json", "file": "attachment"}, "Give either a `file`"),
    ({"file": "attachment", "sync": True}, "Only a feed URL can be kept in sync"),
    ({"url": "ftp://intergroup.example/feed.json"}, "starting with https://"),
    ({"url": "http://169.254.169.254/latest/meta-data"}, "private or local network"),
])
async def test_unusable_import_options_are_refused_kindly(
    bot: RecoveryBot, community: Community, options: dict[str, Any], expected: str
) -> None:
    if options.get("file") == "attachment":
        options["file"] = community.double.attachment("feed.json", b"[]")
    result = await community.run("meeting import", **options)
    if result.deferred_ephemeral:
        await result.wait_for_followup()
    text = reply_text(result)
    assert expected in text and "Something went wrong" not in text
    assert await stored(bot, community) == []


async def import_file(community: Community, rows: list[dict[str, Any]]) -> str:
    upload = community.double.attachment("feed.json", json.dumps(rows).encode())
    result = await community.run("meeting import", file=upload)
    await result.wait_for_followup()
    return reply_text(result)


def soonest_first(count: int) -> list[dict[str, Any]]:
    """`count` daily online meetings at different hours tomorrow, in a shuffled order."""
    rows = [online(f"meeting-{n:02d}", day=[0, 1, 2, 3, 4, 5, 6], time=f"{n % 24:02d}:10",
                   end_time=f"{n % 24:02d}:50") for n in range(count)]
    return rows[::2] + rows[1::2]


async def test_an_import_fills_the_events_tab_soonest_first_and_stops_at_the_limit(
    bot: RecoveryBot, community: Community
) -> None:
    community.double.max_scheduled_events = 5
    await import_file(community, soonest_first(20))

    def events() -> list[Any]:
        return [e for e in community.double.scheduled_events(community.guild) if e.is_uncompleted]

    await eventually(lambda: len(events()) == 5, "five events on the Events tab")
    for _ in range(50):  # the bot records each event once Discord has answered
        meetings = await stored(bot, community)
        if sum(m.event_id is not None for m in meetings) == 5 and all(m.event_id or m.event_problem for m in meetings):
            break
        await asyncio.sleep(0.05)
    shown = {m.id for m in meetings if m.event_id is not None}
    nexts = sorted((m.next_occurrence(datetime.now(m.recurrence.tz)), m.id) for m in meetings)
    assert shown == {meeting_id for _, meeting_id in nexts[:5]}  # the five soonest
    waiting = [m for m in await stored(bot, community) if m.event_id is None]
    assert {m.event_problem for m in waiting} == {TOO_MANY_EVENTS}
    # One refused attempt told the bot the server is full: not one call per meeting.
    assert len(community.double.requests_to("POST", "/guilds/{guild_id}/scheduled-events")) == 6


async def test_without_manage_events_an_import_asks_discord_once(bot: RecoveryBot, community: Community) -> None:
    bot_role = community.guild.roles[community.guild.bot_role_id]
    bot_role.permissions &= ~int(P.MANAGE_EVENTS | P.CREATE_EVENTS)
    await import_file(community, soonest_first(12))
    await eventually(lambda: community.double.requests_to("POST", "/guilds/{guild_id}/scheduled-events"),
                     "an attempt to add an event")

    async def all_told() -> bool:
        return all(m.event_problem == MISSING_PERMISSION for m in await stored(bot, community))

    for _ in range(50):
        if await all_told():
            break
        await asyncio.sleep(0.05)
    assert await all_told()
    assert len(community.double.requests_to("POST", "/guilds/{guild_id}/scheduled-events")) == 1


async def test_a_whole_intergroup_list_pages_by_the_day(bot: RecoveryBot, community: Community) -> None:
    await import_file(community, soonest_first(20))  # 20 a day: 140 in the week, 18 pages
    listing = await community.run("meeting list", user=community.alice)

    def shown() -> list[int]:
        return [int(stamp) for stamp in re.findall(r"<t:(\d+):F>", json.dumps(listing.embeds))]

    first_page = shown()
    assert "Page 1 of 18" in listing.embeds[0]["footer"]["text"]
    await community.double.click(listing.message, "meeting-list:later-day", user=community.alice)
    await listing.wait_until(lambda r: "Page 1 of" not in json.dumps(r.embeds))
    a_day_later, target = shown(), first_page[0] + 24 * 3600
    assert a_day_later[0] <= target <= a_day_later[-1]  # the page with the first meeting a day on
    page = int(re.search(r"Page (\d+) of", json.dumps(listing.embeds)).group(1))
    assert page in (3, 4)
    await community.double.click(listing.message, "meeting-list:earlier-day", user=community.alice)
    await listing.wait_until(lambda r: "Page 1 of 18" in json.dumps(r.embeds))


async def test_a_feed_gone_for_good_can_still_be_stopped(
    feed_bot: RecoveryBot, community: Community, site: FeedSite
) -> None:
    site.serve([online("big-book")])
    await import_url(community, site.url)
    site.status, site.body = 404, b"Not Found"
    reply = await import_url(community, site.url, sync=False)
    assert "not found at that address (HTTP 404)" in reply
    assert "I've stopped syncing this feed; its meetings stay as they are." in reply
    assert [j for j in await feed_bot.scheduler.jobs("meeting-feed:") if j.state == "pending"] == []
    assert [m.slug for m in await stored(feed_bot, community)] == ["big-book"]
