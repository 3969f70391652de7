"""/meeting through the Discord double: moderators schedule, members find and get reminded.

Jobs are run by the bot's own scheduler with the bot's one clock moved (bot.clock.travel), so reminders and
event rollovers happen through the same code as in production.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.client import RecoveryBot
from bot.services import meetings
from bot.services.meetings.data import Meeting
from tests.community import Community
from tests.discord_double import InteractionResult, P, eventually
from tests.time_travel import clock_at

NEW_YORK = ZoneInfo("America/New_York")


def tomorrow_at(hour: int, minute: int = 0, zone: ZoneInfo = NEW_YORK) -> datetime:
    local = datetime.now(zone) + timedelta(days=1)
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0)



async def stored(bot: RecoveryBot, community: Community) -> list[Meeting]:
    async with bot.sessions() as session:
        return await meetings.all_in(session, community.guild.id)


async def create(community: Community, start: datetime, **options: Any) -> InteractionResult:
    defaults: dict[str, Any] = {
        "name": "Tuesday Night Big Book", "time": f"{start:%H:%M}", "kind": "12-step",
        "days": f"{start:%a}", "zone": "America/New_York", "channel": community.meeting_room,
        "types": "O, D", "description": "Newcomers welcome.",
    }
    chosen = {k: v for k, v in {**defaults, **options}.items() if v is not None}
    result = await community.run("meeting create", **chosen)
    if result.acknowledged and result.deferred_ephemeral:
        await result.wait_for_followup()
    return result


def reply_text(result: InteractionResult) -> str:
    messages = [result.message, *result.followups]
    return "\n".join(f"{m.content} {json.dumps(m.embeds)}" for m in messages if m is not None)


async def test_a_moderator_creates_a_weekly_meeting_that_shows_on_the_events_tab(
    bot: RecoveryBot, community: Community
) -> None:
    start = tomorrow_at(19)
    result = await create(community, start)
    await result.wait_for_followup()
    assert result.ephemeral
    assert "Added **Tuesday Night Big Book**" in reply_text(result)
    assert f"<t:{int(start.timestamp())}:F>" in reply_text(result)

    [meeting] = await stored(bot, community)
    assert meeting.recurrence.local_time.hour == 19 and meeting.recurrence.zone == "America/New_York"
    [event] = community.double.scheduled_events(community.guild)
    assert event.entity_type == 2 and event.channel_id == community.meeting_room.id
    assert datetime.fromisoformat(event.scheduled_start_time) == start
    assert meeting.event_id == event.id and meeting.event_problem is None


async def test_members_cannot_change_the_schedule(bot: RecoveryBot, community: Community) -> None:
    result = await create(community, tomorrow_at(19), name="Sneaky")
    await result.wait_for_followup()
    assert "Added" in reply_text(result)  # the manager can
    refused = await community.double.invoke("meeting create", user=community.alice, channel=community.general,
                                            options={"name": "Mine", "time": "19:00", "kind": "other",
                                                     "days": "Mon", "channel": community.meeting_room})
    assert refused.ephemeral
    assert refused.content is not None and "Only moderators can do that" in refused.content
    assert [m.name for m in await stored(bot, community)] == ["Sneaky"]


async def test_the_moderator_role_from_setup_is_enough(bot: RecoveryBot, community: Community) -> None:
    await community.configure()
    moderator = community.double.add_member(community.guild, community.double.add_user("mo"),
                                            roles=[community.moderator_role])
    result = await community.double.invoke("meeting create", user=moderator, channel=community.general, options={
        "name": "Step Study", "time": "18:00", "kind": "12-step", "days": "Wed", "channel": community.meeting_room})
    await result.wait_for_followup()
    assert "Added **Step Study**" in reply_text(result)


def next_spring_forward() -> date:
    """The next Sunday New York's clocks skip 02:00-03:00 (the second Sunday of March)."""
    today = date.today()
    for year in (today.year, today.year + 1):
        march = date(year, 3, 8)
        sunday = march + timedelta(days=(6 - march.weekday()) % 7)
        if sunday > today:
            return sunday
    raise AssertionError("unreachable")


async def test_bad_schedules_are_refused_kindly_and_nothing_is_stored(bot: RecoveryBot, community: Community) -> None:
    starts = date.today() + timedelta(days=150)
    gap_day = next_spring_forward()
    cases: dict[str, tuple[dict[str, Any], str]] = {
        "zone": ({"zone": "Mars/Olympus"}, "I don't know the time zone “Mars/Olympus”"),
        "time": ({"time": "25:00"}, "I can't read “25:00” as a time"),
        "rule": ({"days": None, "rule": "FREQ=SOMETIMES"}, "A rule needs FREQ=DAILY, WEEKLY, MONTHLY or YEARLY"),
        "ends": ({"starts": starts.isoformat(), "ends": (starts - timedelta(days=30)).isoformat()},
                 "before it starts"),
        "gap": ({"days": "Sun", "time": "02:30", "zone": "America/New_York", "starts": gap_day.isoformat(),
                 "ends": (gap_day + timedelta(days=6)).isoformat()},
                f"02:30 doesn't exist in America/New_York on {gap_day:%A %d %B %Y}"),
        "both": ({"link": "https://zoom.us/j/1"}, "Give a channel, or a link and/or a phone number, not both"),
        "link": ({"channel": None, "link": "zoom meeting"}, "isn't a web link I can use"),
    }
    for label, (changes, expected) in cases.items():
        base = {"name": "Bad", "time": "19:00", "kind": "other", "days": "Mon", "channel": community.meeting_room}
        options = {k: v for k, v in {**base, **changes}.items() if v is not None}
        result = await community.run("meeting create", **options)
        assert result.ephemeral, label
        assert result.content is not None and expected in result.content, (label, result.content)
    assert await stored(bot, community) == []
    assert community.double.scheduled_events(community.guild) == []


async def test_the_list_shows_each_viewer_discord_timestamps_and_pages(bot: RecoveryBot, community: Community) -> None:
    start = tomorrow_at(19)
    for n in range(10):
        await create(community, start + timedelta(minutes=n), name=f"Meeting {n:02}",
                     types="W" if n == 3 else "O")
    listing = await community.run("meeting list", user=community.alice)
    assert listing.ephemeral
    [embed] = listing.embeds
    assert embed["fields"][0]["name"] == "Meeting 00"
    assert f"<t:{int(start.timestamp())}:F>" in embed["fields"][0]["value"]
    assert "Page 1 of 2" in embed["footer"]["text"]
    await community.double.click(listing.message, "meeting-list:next", user=community.alice)
    await listing.wait_until(lambda r: "Page 2 of 2" in json.dumps(r.embeds))
    assert "Meeting 09" in json.dumps(listing.embeds)

    women = await community.run("meeting list", user=community.alice, type="W")
    assert [f["name"] for f in women.embeds[0]["fields"]] == ["Meeting 03"]


async def test_remind_me_sends_a_dm_before_the_meeting_and_never_twice(
    bot: RecoveryBot, community: Community
) -> None:
    start = tomorrow_at(19)
    await create(community, start)
    info = await community.run("meeting info", user=community.alice, meeting="tuesday-night-big-book")
    [button] = [c for row in info.components for c in row["components"]]
    panel = await community.double.click(info.message, button["custom_id"], user=community.alice)
    assert panel.ephemeral and "no reminder" in (panel.content or "")
    chosen = await community.double.select(panel.message, "meeting-reminder:offset", ["30"], user=community.alice)
    await chosen.wait_until(lambda r: "Done" in (r.content or ""))
    assert "30 minutes before" in (panel.message.content if panel.message else "")
    [confirmation] = community.double.dms(community.alice)
    assert "30 minutes before" in confirmation.content

    with clock_at(start - timedelta(minutes=29)):
        await bot.scheduler.run_due()
        await eventually(lambda: len(community.double.dms(community.alice)) == 2, "the reminder DM")
    reminder = community.double.dms(community.alice)[-1]
    assert "Reminder: Tuesday Night Big Book" in reminder.embeds[0]["title"]
    assert f"<t:{int(start.timestamp())}:F>" in reminder.embeds[0]["description"]
    with clock_at(start - timedelta(minutes=20)):
        await bot.scheduler.run_due()  # as after a restart: the key already ran
    assert len(community.double.dms(community.alice)) == 2


async def test_the_meeting_channel_is_reminded_60_and_10_minutes_before(
    bot: RecoveryBot, community: Community
) -> None:
    start = tomorrow_at(19)
    await create(community, start, ping=community.volunteer_role)
    room = community.meeting_room
    with clock_at(start - timedelta(minutes=59)):
        await bot.scheduler.run_due()
        first = await community.double.wait_for_message(room, lambda m: "starts" in m.content)
    assert f"<t:{int(start.timestamp())}:R>" in first.content
    assert f"<@&{community.volunteer_role.id}>" not in first.content  # the role is pinged once, last
    assert "meeting:remind:" in json.dumps(first.components)
    with clock_at(start - timedelta(minutes=9)):
        await bot.scheduler.run_due()
        await eventually(lambda: len(community.double.messages(room)) == 2, "the 10-minute reminder")
    last = community.double.messages(room)[-1]
    assert f"<@&{community.volunteer_role.id}>" in last.content


async def test_a_reminder_for_a_meeting_that_already_started_is_dropped(
    bot: RecoveryBot, community: Community
) -> None:
    start = tomorrow_at(19)
    await create(community, start)
    with clock_at(start + timedelta(minutes=2)):  # the bot was down through both reminders
        await bot.scheduler.run_due()
    assert community.double.messages(community.meeting_room) == []
    jobs = await bot.scheduler.jobs("meeting:")
    assert {j.state for j in jobs if ":announce:" in j.key and j.due_at < start} == {"dropped"}


async def test_a_late_reminder_is_sent_up_to_5_minutes_late_and_dropped_after_even_before_the_start(
    bot: RecoveryBot, community: Community
) -> None:
    start = tomorrow_at(19)
    await create(community, start)
    room = community.meeting_room
    with clock_at(start - timedelta(minutes=52)):  # down until now: the 60-minute reminder is 8 minutes late
        await bot.scheduler.run_due()
    assert community.double.messages(room) == []  # "starts in an hour" would be wrong, and another is coming
    with clock_at(start - timedelta(minutes=7)):  # the 10-minute reminder is 3 minutes late: still of use
        await bot.scheduler.run_due()
        late = await community.double.wait_for_message(room, lambda m: "starts" in m.content)
    assert f"<t:{int(start.timestamp())}:R>" in late.content
    states = {j.due_at: j.state for j in await bot.scheduler.jobs("meeting:") if ":announce:" in j.key}
    assert states[start - timedelta(minutes=60)] == "dropped"
    assert states[start - timedelta(minutes=10)] == "done"


async def test_the_event_rolls_over_to_next_week_when_the_meeting_ends(
    bot: RecoveryBot, community: Community
) -> None:
    start = tomorrow_at(19)
    await create(community, start, duration=90)
    [first] = community.double.scheduled_events(community.guild)
    with clock_at(start + timedelta(minutes=1)):
        await bot.scheduler.run_due()
        await eventually(lambda: first.status == 2, "the event to go live")
    with clock_at(start + timedelta(minutes=91)):
        await bot.scheduler.run_due()
        await eventually(lambda: any(e.id != first.id for e in community.double.scheduled_events(community.guild)),
                         "next week's event")
    assert first.status == 3  # completed
    [following] = [e for e in community.double.scheduled_events(community.guild) if e.is_uncompleted]
    assert datetime.fromisoformat(following.scheduled_start_time) == start + timedelta(days=7)
    [meeting] = await stored(bot, community)
    assert meeting.event_id == following.id


async def test_cancelling_one_date_tells_those_reminded_and_moves_the_event(
    bot: RecoveryBot, community: Community
) -> None:
    start = tomorrow_at(19)
    await create(community, start)
    [meeting] = await stored(bot, community)
    async with bot.sessions.begin() as session:
        await meetings.opt_in(session, meeting.id, community.alice.user.id, 60)
    choices = await community.double.autocomplete("meeting cancel", user=community.manager,
                                                  channel=community.general,
                                                  options={"meeting": str(meeting.id), "date": ""}, focused="date")
    assert choices[0]["value"] == "series"
    local_day = start.date().isoformat()
    assert any(c["value"] == local_day for c in choices)

    result = await community.run("meeting cancel", meeting=str(meeting.id), date=local_day)
    await result.wait_for_followup()
    assert "I told 1 member who asked for reminders" in reply_text(result)
    [notice] = community.double.dms(community.alice)
    assert "is cancelled" in notice.content
    assert f"<t:{int((start + timedelta(days=7)).timestamp())}:F>" in notice.content
    [event] = [e for e in community.double.scheduled_events(community.guild) if e.is_uncompleted]
    assert datetime.fromisoformat(event.scheduled_start_time) == start + timedelta(days=7)
    with clock_at(start - timedelta(minutes=59)):
        await bot.scheduler.run_due()
    assert community.double.messages(community.meeting_room) == []


async def test_ending_the_series_removes_the_event_and_all_reminders(bot: RecoveryBot, community: Community) -> None:
    start = tomorrow_at(19)
    await create(community, start)
    [meeting] = await stored(bot, community)
    result = await community.run("meeting cancel", meeting=str(meeting.id), date="series")
    await result.wait_for_followup()
    assert "The series has ended" in reply_text(result)
    assert [e for e in community.double.scheduled_events(community.guild) if e.is_uncompleted] == []
    assert [j for j in await bot.scheduler.jobs(f"meeting:{meeting.id}:") if j.state == "pending"] == []
    listing = await community.run("meeting list", user=community.alice)
    assert "No meetings in the next 7 days" in listing.embeds[0]["description"]


async def test_editing_the_time_moves_the_event_and_the_reminders(bot: RecoveryBot, community: Community) -> None:
    start = tomorrow_at(19)
    await create(community, start)
    result = await community.run("meeting edit", meeting="tuesday-night-big-book", time="20:30")
    await result.wait_for_followup()
    assert "Saved **Tuesday Night Big Book**" in reply_text(result)
    moved = start.replace(hour=20, minute=30)
    [event] = community.double.scheduled_events(community.guild)
    assert datetime.fromisoformat(event.scheduled_start_time) == moved
    pending = [j for j in await bot.scheduler.jobs("meeting:") if j.state == "pending" and ":announce:" in j.key]
    assert min(j.due_at for j in pending) == moved - timedelta(minutes=60)


async def test_without_manage_events_the_moderator_is_told_and_the_meeting_still_works(
    bot: RecoveryBot, community: Community
) -> None:
    bot_role = community.guild.roles[community.guild.bot_role_id]
    bot_role.permissions &= ~int(P.MANAGE_EVENTS | P.CREATE_EVENTS)
    start = tomorrow_at(19)
    result = await create(community, start)
    await result.wait_for_followup()
    text = reply_text(result)
    assert "Added **Tuesday Night Big Book**" in text
    assert "I need the **Manage Events** permission" in text
    assert community.double.scheduled_events(community.guild) == []
    with clock_at(start - timedelta(minutes=59)):
        await bot.scheduler.run_due()
        await community.double.wait_for_message(community.meeting_room, lambda m: "starts" in m.content)


async def test_the_servers_event_limit_is_respected(bot: RecoveryBot, community: Community) -> None:
    community.double.max_scheduled_events = 1
    await create(community, tomorrow_at(19), name="First")
    result = await create(community, tomorrow_at(20), name="Second")
    await result.wait_for_followup()
    assert "already has 100 upcoming events" in reply_text(result)
    assert len(community.double.scheduled_events(community.guild)) == 1


async def test_calendar_file_has_the_rule_zone_and_skipped_dates(bot: RecoveryBot, community: Community) -> None:
    start = tomorrow_at(19)
    await create(community, start)
    await community.run("meeting cancel", meeting="tuesday-night-big-book", date=(start + timedelta(days=7)).date()
                        .isoformat())
    result = await community.run("meeting calendar", user=community.alice)
    assert result.ephemeral
    [file] = result.attachments
    text = file.content.decode()
    assert file.filename == "meetings.ics"
    [rule] = [line for line in text.splitlines() if line.startswith("RRULE:")]
    assert rule == f"RRULE:FREQ=WEEKLY;BYDAY={start:%a}"[:-1].upper()  # e.g. BYDAY=TU: the weekday checked
    assert "DTSTART;TZID=America/New_York:" in text and "BEGIN:VTIMEZONE" in text
    assert f"EXDATE;TZID=America/New_York:{start + timedelta(days=7):%Y%m%d}T190000" in text


async def test_export_then_import_round_trips_through_the_meeting_guide_format(
    bot: RecoveryBot, community: Community
) -> None:
    start = tomorrow_at(19)
    await create(community, start, link="https://zoom.us/j/123", channel=None)
    exported = await community.run("meeting export")
    [file] = exported.attachments
    feed = json.loads(file.content)
    assert feed[0]["slug"] == "tuesday-night-big-book" and feed[0]["time"] == "19:00"
    assert feed[0]["timezone"] == "America/New_York" and feed[0]["conference_url"] == "https://zoom.us/j/123"

    feed[0]["time"] = "19:30"
    feed.append({"slug": "sunday-serenity", "name": "Sunday Serenity", "day": 0, "time": "10:00",
                 "end_time": "11:30", "timezone": "Europe/London", "types": ["C", "ST"],
                 "conference_url": "https://meet.example.org/serenity"})
    feed.append({"slug": "broken", "name": "Broken", "day": 9, "time": "10:00",
                 "conference_url": "https://meet.example.org/b"})
    upload = community.double.attachment("meetings.json", json.dumps(feed).encode())
    result = await community.run("meeting import", file=upload)
    await result.wait_for_followup()
    text = reply_text(result)
    assert "1 new, 1 changed, 0 unchanged, 1 skipped" in text
    assert "Row 3 (broken) skipped: I can't read the day “9”" in text
    by_slug = {m.slug: m for m in await stored(bot, community)}
    assert by_slug["tuesday-night-big-book"].recurrence.local_time.strftime("%H:%M") == "19:30"
    assert by_slug["sunday-serenity"].duration_minutes == 90
    assert by_slug["sunday-serenity"].recurrence.zone == "Europe/London"


async def test_deleting_asks_first_then_removes_everything(bot: RecoveryBot, community: Community) -> None:
    await create(community, tomorrow_at(19))
    prompt = await community.run("meeting delete", meeting="tuesday-night-big-book")
    assert "Delete **Tuesday Night Big Book**?" in (prompt.content or "")
    await community.double.click(prompt.message, "meeting-delete:confirm", user=community.manager)
    await prompt.wait_until(lambda r: "Deleted" in (r.content or ""))
    assert await stored(bot, community) == []
    assert community.double.scheduled_events(community.guild) == []
    assert [j for j in await bot.scheduler.jobs("meeting:") if j.state == "pending"] == []


async def test_zone_suggestions_start_with_the_servers_zone(bot: RecoveryBot, community: Community) -> None:
    await community.run("config timezone", zone="Europe/Dublin")
    choices = await community.double.autocomplete("meeting create", user=community.manager, channel=community.general,
                                                  options={"zone": ""}, focused="zone")
    assert choices[0]["value"] == "Europe/Dublin"
    result = await community.run("meeting create", name="Dublin Lunch", time="13:00", kind="other", days="Fri",
                                 channel=community.meeting_room)
    await result.wait_for_followup()
    [meeting] = await stored(bot, community)
    assert meeting.recurrence.zone == "Europe/Dublin"


async def test_channel_reminder_offsets_are_configurable(bot: RecoveryBot, community: Community) -> None:
    start = tomorrow_at(19)
    await create(community, start)
    result = await community.run("config meeting-reminders", offsets="30")
    assert "30 min before" in (result.content or "")
    jobs = [j for j in await bot.scheduler.jobs("meeting:") if ":announce:" in j.key and j.state == "pending"]
    assert {start - j.due_at for j in jobs if j.due_at < start + timedelta(hours=1)} == {timedelta(minutes=30)}
    refused = await community.run("config meeting-reminders", offsets="forever")
    assert "such as “60, 10”" in (refused.content or "")


async def test_a_meeting_left_off_the_full_events_tab_gets_its_event_when_a_slot_frees(
    bot: RecoveryBot, community: Community
) -> None:
    community.double.max_scheduled_events = 1
    start = tomorrow_at(19)
    await create(community, start, name="First", duration=30)
    await create(community, start + timedelta(days=2), name="Second")
    assert [e.name for e in community.double.scheduled_events(community.guild)] == ["First"]
    with clock_at(start + timedelta(minutes=31)):  # First ends: its event closes, a slot frees
        await bot.scheduler.run_due()
        await eventually(lambda: "Second" in [e.name for e in community.double.scheduled_events(community.guild)
                                              if e.is_uncompleted], "Second's event")
    # The event shows on Discord a moment before the bot records it: wait for the record.
    async with asyncio.timeout(5):
        while (second := {m.name: m for m in await stored(bot, community)}["Second"]).event_id is None:
            await asyncio.sleep(0.02)
    assert second.event_problem is None
