"""Storing imported feeds, on real databases: what a moderator notices after importing and after each sync."""

from __future__ import annotations

import dataclasses
import json
import zlib
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import AuditEntry, MeetingRow
from bot.scheduler import Scheduler
from bot.services import meetings
from bot.services.errors import InvalidInput
from bot.services.meetings import ImportResult
from bot.services.meetings import feeds as meeting_feeds
from bot.services.meetings.data import Meeting, MeetingKind
from bot.services.meetings.guide import export_feed
from bot.services.meetings.guide_import import FeedImport, parse_feed
from tests.feed_fixtures import big_feed, feed_bytes, raw

Sessions = async_sessionmaker[AsyncSession]
GUILD = 1001
MODERATOR = 2002
NY = "America/New_York"
NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
TODAY = date(2026, 11, 30)
ZOOM = "https://zoom.us/j/"


def parsed(data: bytes, zone: str = NY) -> FeedImport:
    return parse_feed(data, default_zone=zone, today=TODAY)


def row(slug: str, **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"name": slug.replace("-", " ").title(), "slug": slug, "day": 2, "time": "19:00",
                            "end_time": "20:00", "timezone": NY, "conference_url": f"{ZOOM}{zlib.crc32(slug.encode())}"}
    base.update(changes)
    return base


async def store(sessions: Sessions, data: bytes, *, feed_id: int | None = None,
                now: datetime = NOW) -> tuple[FeedImport, ImportResult]:
    feed = parsed(data)
    async with sessions.begin() as session:
        result = await meeting_feeds.store(session, Scheduler(sessions), GUILD, MODERATOR, feed, now,
                                           feed_id=feed_id, source="a test feed")
    return feed, result


async def follow(sessions: Sessions, url: str = "https://intergroup.example/feed.json") -> int:
    async with sessions.begin() as session:
        return (await meeting_feeds.follow(session, GUILD, url, MODERATOR, sync_daily=True)).id


async def stored(sessions: Sessions) -> dict[str, Meeting]:
    async with sessions() as session:
        return {m.slug: m for m in await meetings.all_in(session, GUILD)}


async def test_the_plugins_feed_imports_once_and_importing_it_again_changes_nothing(sessions: Sessions) -> None:
    _, first = await store(sessions, raw("tsml_plugin"))
    assert (len(first.created), len(first.updated), first.refused) == (20, 0, [])
    _, again = await store(sessions, raw("tsml_plugin"))
    assert (len(again.created), len(again.updated), again.unchanged) == (0, 0, 20)
    assert len(await stored(sessions)) == 20  # long slugs were matched by the feed's own slug, not duplicated
    async with sessions() as session:
        entries = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "meeting.import"))).all()
    assert [e.new_value for e in entries] == ["20 new, 0 changed, 0 ended from a test feed",
                                              "0 new, 0 changed, 0 ended from a test feed"]


async def test_exporting_and_importing_again_changes_nothing(sessions: Sessions) -> None:
    for name in ("tsml_plugin", "phone_only", "hybrid", "mixed_formats"):
        await store(sessions, raw(name))
    before = await stored(sessions)
    exported = export_feed(before.values(), updated=NOW)
    assert exported.left_out == []
    _, again = await store(sessions, json.dumps(exported.rows).encode())
    assert (again.created, again.updated, again.refused) == ([], [], [])
    assert again.unchanged == len(before)
    after = await stored(sessions)
    for slug, meeting in before.items():
        assert dataclasses.replace(after[slug], updated_at=None) == dataclasses.replace(meeting, updated_at=None)


async def test_a_synced_feed_creates_changes_ends_and_revives_meetings(sessions: Sessions) -> None:
    feed_id = await follow(sessions)
    rows = [row("big-book"), row("step-study"), row("women"), row("newcomers")]
    _, first = await store(sessions, feed_bytes(rows), feed_id=feed_id)
    assert len(first.created) == 4
    # The intergroup moves one meeting, adds one, and drops one.
    rows = [row("big-book", time="19:30"), row("step-study"), row("women"), row("speaker")]
    _, second = await store(sessions, feed_bytes(rows), feed_id=feed_id)
    assert [m.slug for m in second.created] == ["speaker"]
    assert [m.slug for m in second.updated] == ["big-book"]
    assert [m.slug for m in second.ended] == ["newcomers"]
    now = await stored(sessions)
    assert now["big-book"].recurrence.local_time == time(19, 30)
    assert now["newcomers"].next_occurrence(NOW) is None  # ended, not deleted
    assert now["step-study"].recurrence.starts_on == TODAY  # an unchanged schedule keeps its start
    # It comes back to the feed: the same meeting runs again, with its reminders and history.
    rows.append(row("newcomers"))
    _, third = await store(sessions, feed_bytes(rows), feed_id=feed_id)
    assert [m.slug for m in third.updated] == ["newcomers"]
    assert (await stored(sessions))["newcomers"].next_occurrence(NOW) is not None
    assert len(await stored(sessions)) == 5


async def test_a_feed_that_loses_most_of_its_meetings_at_once_ends_none_of_them(sessions: Sessions) -> None:
    feed_id = await follow(sessions)
    rows = [row(f"meeting-{n}") for n in range(20)]
    await store(sessions, feed_bytes(rows), feed_id=feed_id)
    feed, broken = await store(sessions, feed_bytes(rows[:3]), feed_id=feed_id)
    assert (broken.ended, broken.held_back) == ([], 17)
    assert all(m.next_occurrence(NOW) is not None for m in (await stored(sessions)).values())
    assert "left them running" in meeting_feeds.report(feed, broken, source="the feed").summary
    # A few going at once is the feed's ordinary life.
    _, ordinary = await store(sessions, feed_bytes(rows[:18]), feed_id=feed_id)
    assert len(ordinary.ended) == 2 and ordinary.held_back == 0


async def test_a_file_never_ends_meetings_it_does_not_list(sessions: Sessions) -> None:
    await store(sessions, feed_bytes([row("one"), row("two")]))
    _, part = await store(sessions, feed_bytes([row("one")]))
    assert part.ended == [] and part.unchanged == 1
    assert (await stored(sessions))["two"].next_occurrence(NOW) is not None


async def test_what_the_server_set_survives_a_sync(sessions: Sessions) -> None:
    feed_id = await follow(sessions)
    await store(sessions, feed_bytes([row("big-book")]), feed_id=feed_id)
    meeting = (await stored(sessions))["big-book"]
    async with sessions.begin() as session:
        draft = dataclasses.replace(meetings.draft_of(meeting), kind=MeetingKind.TWELVE_STEP,
                                    facilitator_role_id=77, fellowship="AA")
        await meetings.replace_details(session, GUILD, meeting.id, MODERATOR, draft)
    await store(sessions, feed_bytes([row("big-book", name="Big Book Study")]), feed_id=feed_id)
    after = (await stored(sessions))["big-book"]
    assert after.name == "Big Book Study"
    assert (after.kind, after.facilitator_role_id, after.fellowship) == (MeetingKind.TWELVE_STEP, 77, "AA")


async def test_two_thousand_meetings_fit_and_the_rest_are_reported(sessions: Sessions) -> None:
    rows = [row(f"m-{n}") for n in range(2050)]
    feed, result = await store(sessions, feed_bytes(rows))
    assert len(result.created) == 2000
    assert len(result.refused) == 50
    assert all("2,000 meetings, the most I keep" in reason for _, reason in result.refused)
    report = meeting_feeds.report(feed, result, source="a big file")
    assert "50 × over the server's limit" in report.summary
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(MeetingRow)) == 2000


async def test_a_real_sized_feed_reports_in_a_few_lines_with_every_row_in_a_file(sessions: Sessions) -> None:
    rows = big_feed(5000)
    rows[10]["time"] = "7:75 pm"  # a few rows a moderator needs to look at
    rows[20]["day"] = "Someday"
    feed, result = await store(sessions, feed_bytes(rows))
    report = meeting_feeds.report(feed, result, source="the feed")
    lines = report.summary.splitlines()
    assert len(report.summary) <= 1900 and len(lines) <= 10
    in_person = next(i for i, line in enumerate(lines) if "in-person meetings" in line)
    skipped = next(i for i, line in enumerate(lines) if line.startswith("• Skipped"))
    assert in_person < skipped  # the hundreds left out come first, in one line
    assert report.details is not None
    listed = [line for line in report.details.splitlines() if line.startswith("- Row")]
    assert len(listed) == len(feed.skipped) + len(feed.warnings)
    assert "\\" not in report.details  # a text file, not Discord markdown


async def test_rows_without_a_zone_are_named_in_the_report(sessions: Sessions) -> None:
    rows = [row("no-zone", timezone=None), row("zoned")]
    rows[0].pop("timezone")
    feed, result = await store(sessions, feed_bytes(rows))
    summary = meeting_feeds.report(feed, result, source="the feed").summary
    assert "1 meeting had no time zone, so it uses this server's zone, **America/New_York**" in summary


async def test_each_feed_syncs_at_its_own_minute_each_day() -> None:
    first = meeting_feeds.sync_time(1, NOW)
    assert first > NOW and first.tzinfo is UTC
    assert meeting_feeds.sync_time(1, first) - first == timedelta(days=1)
    times = {meeting_feeds.sync_time(feed, NOW).time() for feed in range(1, 50)}
    assert len(times) > 20  # spread over three hours, not all at 04:00
    assert all(time(4) <= moment < time(7) for moment in times)


async def test_a_server_follows_at_most_five_feeds(sessions: Sessions) -> None:
    for n in range(5):
        await follow(sessions, f"https://intergroup{n}.example/feed.json")
    with pytest.raises(InvalidInput, match="already follows 5 feeds"):
        await follow(sessions, "https://sixth.example/feed.json")
    await follow(sessions, "https://intergroup0.example/feed.json")  # following one again is not a sixth
