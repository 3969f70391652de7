"""Odd and hostile input to /meeting: each finding of the hostile-input sweep, through the real bot.

Every refusal is private, kind, names what to type instead, quotes no Python, and stores nothing;
the bot keeps answering everyone afterwards.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.client import RecoveryBot
from bot.db.models import MeetingRow
from bot.services import meetings
from bot.services.text import has_visible
from tests.cogs.test_meetings import create, reply_text, stored, tomorrow_at
from tests.community import Community
from tests.databases import postgres_database
from tests.discord_double import DiscordDouble, InteractionResult
from tests.harness import bot_in_process

PYTHON_WORDS = ("Traceback", "Error", "unpack", "invalid literal", "NoneType", "object has no", "Something went wrong")


def assert_kind_refusal(result: InteractionResult, expected: str) -> None:
    text = reply_text(result)
    assert result.ephemeral, text
    assert expected in text, text
    assert not any(word in text for word in PYTHON_WORDS), text


async def count_meetings(bot: RecoveryBot) -> int:
    async with bot.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(MeetingRow)) or 0)


async def make_meeting(bot: RecoveryBot, community: Community, name: str = "Step Study") -> int:
    result = await create(community, tomorrow_at(19), name=name)
    await result.wait_for_followup()
    [meeting] = [m for m in await stored(bot, community) if m.name == name]
    return meeting.id


async def test_an_interval_of_zero_is_refused_at_once_and_the_bot_keeps_answering(
    bot: RecoveryBot, community: Community
) -> None:
    # This rule once spun inside dateutil forever: the event loop froze for every server.
    result = await create(community, tomorrow_at(19), days=None, rule="FREQ=DAILY;INTERVAL=0")
    assert_kind_refusal(result, "INTERVAL is how many days apart the meetings are")
    others = await community.run("resources", user=community.alice)
    assert others.ephemeral and others.embeds
    assert await count_meetings(bot) == 0


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"days": None, "rule": "FREQ=DAILY;INTERVAL=-1"}, "a whole number from 1 to 365"),
        ({"days": None, "rule": "FREQ=WEEKLY;BYDAY=99MO"}, "weekly rules take plain weekdays"),
        ({"days": None, "rule": "FREQ=MONTHLY;BYDAY=99MO"}, "asks for a Monday that no month has"),
        ({"days": None, "rule": "FREQ=WEEKLY;COUNT=99999999999999999999"}, "a whole number from 1 to 1000"),
        ({"ends": "9999-12-31"}, "is too far off"),
        ({"starts": "0001-01-01"}, "is too far off"),
        ({"days": None, "rule": "garbage"}, "each part is NAME=VALUE"),
        ({"days": None, "rule": "FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30"}, "never produces a meeting"),
        ({"days": None, "rule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29"}, "more than a year without a meeting"),
        ({"days": None, "rule": "FREQ=WEEKLY;UNTIL=99999999"}, "UNTIL is the series' last date"),
    ],
)
async def test_impossible_rules_and_dates_are_refused_kindly_and_nothing_is_stored(
    bot: RecoveryBot, community: Community, options: dict[str, str | None], expected: str
) -> None:
    result = await create(community, tomorrow_at(19), **options)
    assert_kind_refusal(result, expected)
    assert await count_meetings(bot) == 0
    assert community.double.scheduled_events(community.guild) == []


async def test_a_stored_series_ending_in_9999_no_longer_breaks_the_servers_calendar(
    bot: RecoveryBot, community: Community
) -> None:
    # Stored before today's checks existed: the calendar must still work for everyone.
    far_end = await make_meeting(bot, community)
    counted = await make_meeting(bot, community, name="Counted")
    async with bot.sessions.begin() as session:
        await session.execute(update(MeetingRow).where(MeetingRow.id == far_end).values(until=date(9999, 12, 31)))
        await session.execute(update(MeetingRow).where(MeetingRow.id == counted)
                              .values(rule="FREQ=WEEKLY;COUNT=99999999999999999999"))
    calendar = await community.run("meeting calendar", user=community.alice)
    assert calendar.ephemeral
    [attachment] = calendar.attachments
    assert b"SUMMARY:Step Study" in attachment.content
    # A calendar can't hold that COUNT: that one meeting is left out, and the member is told.
    assert b"SUMMARY:Counted" not in attachment.content
    assert "I left out **Counted**" in (calendar.content or "")
    listing = await community.run("meeting list", user=community.alice)
    assert "Step Study" in json.dumps(listing.embeds) and "Counted" in json.dumps(listing.embeds)


async def test_a_long_link_is_kept_whole_and_the_event_still_made(bot: RecoveryBot, community: Community) -> None:
    link = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_" + "N" * 240 + "%40thread.v2/0?context=abc"
    assert len(link) > 300
    result = await create(community, tomorrow_at(19), channel=None, link=link)
    await result.wait_for_followup()
    assert "Added **Tuesday Night Big Book**" in reply_text(result)
    [meeting] = await stored(bot, community)
    assert meeting.location.url == link and meeting.event_problem is None
    [event] = community.double.scheduled_events(community.guild)
    assert event.entity_metadata["location"] == "Online at teams.microsoft.com (link in the description)"
    assert link in event.description


async def test_when_discord_refuses_the_event_the_meeting_is_whole_and_the_moderator_is_told(
    bot: RecoveryBot, community: Community
) -> None:
    community.double.fail_next("POST", "/guilds/{guild_id}/scheduled-events", status=400)
    result = await create(community, tomorrow_at(19))
    await result.wait_for_followup()
    text = reply_text(result)
    assert "Added **Tuesday Night Big Book**" in text
    assert "Discord didn't accept it on the Events tab just now (HTTP 400)" in text
    assert "Something went wrong" not in text
    [meeting] = await stored(bot, community)
    assert meeting.event_id is None
    # The daily run tries again, and then the meeting is on the Events tab.
    await bot.get_cog("Meetings").retry_missing_events(tomorrow_at(9))
    [meeting] = await stored(bot, community)
    [event] = community.double.scheduled_events(community.guild)
    assert meeting.event_id == event.id and meeting.event_problem is None


async def test_when_discord_refuses_to_move_an_event_the_stale_one_goes_and_comes_back_right(
    bot: RecoveryBot, community: Community
) -> None:
    meeting_id = await make_meeting(bot, community)
    [before] = community.double.scheduled_events(community.guild)
    community.double.fail_next("PATCH", "/guilds/{guild_id}/scheduled-events/{event_id}", status=400)
    edited = await community.run("meeting edit", meeting=str(meeting_id), time="20:00")
    await edited.wait_for_followup()
    text = reply_text(edited)
    assert "Saved **Step Study**" in text and "Discord didn't accept it on the Events tab" in text
    # The event at the old time would send people to the wrong hour: it is gone, not left behind.
    assert [e.id for e in community.double.scheduled_events(community.guild)] == []
    assert before.id not in [e.id for e in community.double.scheduled_events(community.guild)]
    await bot.get_cog("Meetings").retry_missing_events(tomorrow_at(9))
    [after] = community.double.scheduled_events(community.guild)
    assert datetime.fromisoformat(after.scheduled_start_time) == tomorrow_at(20)


@pytest.mark.parametrize("reference", ["99999999999999999999", "²", "٣", "-1", "x" * 5000])
async def test_odd_meeting_references_are_not_found_kindly(
    bot: RecoveryBot, community: Community, reference: str
) -> None:
    await make_meeting(bot, community)
    for command, extra in (("meeting info", {}), ("meeting edit", {"name": "New"}), ("meeting delete", {}),
                           ("meeting calendar", {})):
        result = await community.run(command, meeting=reference, **extra)
        assert_kind_refusal(result, "I can't find a meeting called")
    choices = await community.double.autocomplete("meeting cancel", user=community.manager, focused="date",
                                                  options={"meeting": reference, "date": ""})
    assert choices in ([], [c for c in choices if c["value"] == "series" or c["value"][:4].isdigit()])
    [meeting] = await stored(bot, community)
    assert meeting.name == "Step Study"


@pytest.mark.parametrize(("day", "expected"), [("9999-12-31", "is too far off"), ("0001-01-01", "is too far off"),
                                               ("2000-01-03", "has already passed"), ("tomorrow", "year-month-day")])
async def test_cancelling_a_date_out_of_reach_is_refused(
    bot: RecoveryBot, community: Community, day: str, expected: str
) -> None:
    meeting_id = await make_meeting(bot, community)
    result = await community.run("meeting cancel", meeting=str(meeting_id), date=day)
    assert_kind_refusal(result, expected)
    [meeting] = await stored(bot, community)
    assert meeting.skipped == frozenset() and meeting.recurrence.until is None


@pytest.mark.parametrize("typed", [",", " , ; ", "Nonsense"])
async def test_listing_by_a_type_that_is_no_type_is_refused(
    bot: RecoveryBot, community: Community, typed: str
) -> None:
    result = await community.run("meeting list", user=community.alice, type=typed)
    assert_kind_refusal(result, "meeting type")


async def test_remind_me_on_a_meeting_deleted_since_gets_an_answer(bot: RecoveryBot, community: Community) -> None:
    meeting_id = await make_meeting(bot, community)
    info = await community.run("meeting info", user=community.alice, meeting=str(meeting_id))
    async with bot.sessions.begin() as session:
        await meetings.delete_meeting(session, community.guild.id, meeting_id, community.manager.id)
    pressed = await community.double.click(info.message, f"meeting:remind:{meeting_id}", user=community.alice)
    assert_kind_refusal(pressed, "That meeting no longer exists")


async def test_a_name_nobody_can_see_is_refused(bot: RecoveryBot, community: Community) -> None:
    result = await create(community, tomorrow_at(19), name="\u200b\u200c\ufeff\u202e")
    assert_kind_refusal(result, "The name has no letters or symbols anyone could see")
    assert await count_meetings(bot) == 0


@pytest.mark.parametrize(("name", "escaped"), [
    ("```Big Book", "\\`\\`\\`Big Book"),
    ("[Free chips](https://evil.example)", "\\[Free chips\\](https://evil.example)"),
    ("@everyone meeting", "@\u200beveryone meeting"),
    ("<@1234567890123> group", "\\<@1234567890123> group"),
])
async def test_a_name_is_shown_as_the_characters_typed_not_as_markdown(
    bot: RecoveryBot, community: Community, name: str, escaped: str
) -> None:
    result = await create(community, tomorrow_at(19), name=name)
    await result.wait_for_followup()
    [followup] = result.followups
    assert f"Added **{escaped}**" in (followup.content or "")
    assert followup.embeds[0]["title"] == escaped
    [meeting] = await stored(bot, community)
    assert meeting.name == name  # stored as typed; feeds and calendars carry it unchanged
    listing = await community.run("meeting list", user=community.alice)
    assert listing.embeds[0]["fields"][0]["name"] == escaped


async def test_control_characters_are_cleaned_from_what_is_stored(bot: RecoveryBot, community: Community) -> None:
    result = await create(community, tomorrow_at(19), name="Step\x00 Study\u202e", description="Line one\x07\nLine two")
    await result.wait_for_followup()
    [meeting] = await stored(bot, community)
    assert meeting.name == "Step Study" and meeting.description == "Line one\nLine two"


ODD_TEXT = ["", " ", "\u200b", "\x00", "²", "99999999999999999999", "-1", "```", "[x](https://e.x)", "@everyone",
            "<@&1>", "'; DROP TABLE meetings; --", "\u202eevil", "🙂" * 40, "x" * 6000, "9999-12-31", "0001-01-01",
            "FREQ=DAILY;INTERVAL=0", "http://[::1", "javascript:alert(1)", "\n\n", "1e309"]


def string_options(commands: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(command path, option schema) for every free-text option the bot registered."""
    found: list[tuple[str, dict[str, Any]]] = []

    def walk(node: dict[str, Any], path: list[str]) -> None:
        options = node.get("options") or []
        subcommands = [o for o in options if o["type"] in (1, 2)]
        for sub in subcommands:
            walk(sub, [*path, sub["name"]])
        if not subcommands:
            found.extend((" ".join(path), o) for o in options if o["type"] == 3 and not o.get("choices"))

    for command in commands:
        walk(command, [command["name"]])
    return found


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def any_database_bot(request: pytest.FixtureRequest, double: DiscordDouble, community: Community,
                           tmp_path: Path) -> AsyncIterator[RecoveryBot]:
    """The bot on SQLite, and on PostgreSQL where TEST_DATABASE_URL names one (it refuses what SQLite takes)."""
    if request.param == "sqlite":
        async with bot_in_process(double, tmp_path / "data") as started:
            yield started
        return
    async with postgres_database() as url, bot_in_process(double, tmp_path / "data", database_url=url) as started:
        yield started


async def test_the_hostile_sweep_gets_a_kind_answer_everywhere_and_no_traceback(
    any_database_bot: RecoveryBot, community: Community, caplog: pytest.LogCaptureFixture
) -> None:
    """Every free-text option of every command, and every autocomplete, with odd values."""
    bot = any_database_bot
    caplog.set_level(logging.INFO)
    reference = str(await make_meeting(bot, community))
    required: dict[str, dict[str, Any]] = {
        "meeting create": {"name": "N", "time": "19:00", "kind": "other", "days": "Mon",
                           "channel": community.meeting_room},
        "meeting edit": {"meeting": reference}, "meeting cancel": {"meeting": reference, "date": "series"},
        "meeting delete": {"meeting": reference}, "meeting info": {"meeting": reference},
        "config timezone": {"zone": "UTC"}, "config meeting-reminders": {"offsets": "60, 10"},
        "volunteer hours": {"when": "Mon-Fri 18:00-22:00"}, "checkin new": {"mood": 3, "craving": 2},
        "milestone set": {"date": "2025-03-14"}, "meeting verify": {"member": community.alice},
    }
    swept = string_options(community.double.commands())
    assert len(swept) >= 25, swept  # the sweep reaches every command, not a handful
    for command, option in swept:
        for value in ODD_TEXT:
            if not option.get("min_length", 0) <= len(value) <= option.get("max_length", 6000):
                continue  # Discord refuses it before the bot could see it
            options = {**required.get(command, {}), option["name"]: value}
            if option["name"] == "link":
                options.pop("channel", None)
            if option["name"] == "rule":
                options.pop("days", None)
            if option.get("autocomplete"):
                choices = await community.double.autocomplete(command, user=community.manager,
                                                              focused=option["name"], options=options)
                assert all(len(c["name"]) <= 100 and len(str(c["value"])) <= 100 for c in choices)
            result = await community.run(command, **options)
            if result.deferred_ephemeral and not result.followups:
                await result.wait_for_followup()
            text = reply_text(result)
            assert result.ephemeral or result.modal is not None, (command, option["name"], value, text)
            assert "Something went wrong" not in text, (command, option["name"], value, text)
    unexpected = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert unexpected == [], [r.getMessage() for r in unexpected]
    async with bot.sessions() as session:
        names = list(await session.scalars(select(MeetingRow.name)))
    assert all(has_visible(n) and "\x00" not in n and "\u200b" not in n for n in names), names
