"""Recurring meetings, against real databases made by the migrations: what moderators and members notice."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import MeetingRow
from bot.services import audit, guild_config, meetings, recurrence
from bot.services.errors import InvalidInput, NotFound
from bot.services.meetings import ScheduleText
from bot.services.meetings.data import SLUG_MAX, Location, Meeting, MeetingDraft, MeetingKind, Place
from bot.services.recurrence import Recurrence

Sessions = async_sessionmaker[AsyncSession]

GUILD, OTHER_GUILD = 1001, 1002
MODERATOR = 2002
ALEX, SAM, ROBIN = 3001, 3002, 3003
NY = "America/New_York"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday; 07:00 in New York
TODAY = NOW.date()


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def weekly(days: tuple[str, ...] = ("MO",), at: time = time(19), zone: str = NY, starts: date = TODAY,
           until: date | None = None) -> Recurrence:
    return recurrence.weekly(days, at, zone, starts, until)


def draft(name: str = "Monday Night Big Book", **changes: object) -> MeetingDraft:
    base = MeetingDraft(name=name, recurrence=weekly(), kind=MeetingKind.TWELVE_STEP,
                        location=Location(Place.VOICE, channel_id=555))
    return dataclasses.replace(base, **changes)


async def add(sessions: Sessions, new: MeetingDraft, guild: int = GUILD) -> Meeting:
    async with sessions.begin() as session:
        return await meetings.create(session, guild, MODERATOR, new)


def local(start: datetime, zone: str = NY) -> str:
    return start.astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M")


# -- creating and finding ---------------------------------------------------------------------------------------


async def test_a_meeting_is_found_by_id_short_name_and_name(sessions: Sessions) -> None:
    created = await add(sessions, draft(types=("O", "B"), description="  Reading chapter 5.  ",
                                        fellowship="AA", duration_minutes=90))
    await add(sessions, draft("Monday Night Big Book"), guild=OTHER_GUILD)  # same name, another server

    assert created.slug == "monday-night-big-book"
    assert (created.description, created.fellowship, created.duration_minutes) == ("Reading chapter 5.", "AA", 90)
    async with sessions() as session:
        stored = await meetings.get(session, GUILD, created.id)
        by_id = await meetings.resolve(session, GUILD, f" {created.id} ")
        by_slug = await meetings.resolve(session, GUILD, "Monday-Night-Big-Book")
        by_name = await meetings.resolve(session, GUILD, "  MONDAY night BIG book ")
        assert await meetings.find(session, created.id) == stored
        assert await meetings.find(session, created.id + 1000) is None
        with pytest.raises(NotFound, match="no longer exists"):
            await meetings.get(session, OTHER_GUILD, created.id)
        with pytest.raises(NotFound, match="can't find a meeting called “Tuesday Big Book”"):
            await meetings.resolve(session, GUILD, "Tuesday Big Book")
        # The other server's meeting is never found from here, even by its id.
        other = (await meetings.all_in(session, OTHER_GUILD))[0]
        with pytest.raises(NotFound):
            await meetings.get(session, GUILD, other.id)
        entries = await audit.recent(session, GUILD)
    assert stored.id == by_id.id == by_slug.id == by_name.id == created.id
    assert stored.recurrence == weekly()
    assert stored.location == Location(Place.VOICE, channel_id=555)
    assert stored.types == ("O", "B") and stored.kind is MeetingKind.TWELVE_STEP
    assert [(e.action, e.actor_id, e.new_value) for e in entries] == [
        ("meeting.create", MODERATOR, f"{created.id} Monday Night Big Book")]


async def test_a_meeting_id_of_another_server_is_not_resolved(sessions: Sessions) -> None:
    theirs = await add(sessions, draft("Their Meeting"), guild=OTHER_GUILD)
    async with sessions() as session:
        with pytest.raises(NotFound):
            await meetings.resolve(session, GUILD, str(theirs.id))


async def test_the_same_name_gets_a_numbered_short_name(sessions: Sessions) -> None:
    first = await add(sessions, draft())
    second = await add(sessions, draft())
    third = await add(sessions, draft("Monday night big book!"))
    assert [first.slug, second.slug, third.slug] == [
        "monday-night-big-book", "monday-night-big-book-2", "monday-night-big-book-3"]
    async with sessions() as session:
        assert (await meetings.resolve(session, GUILD, "monday-night-big-book-2")).id == second.id
        # Two meetings share the exact name: neither is guessed.
        with pytest.raises(NotFound):
            await meetings.resolve(session, GUILD, "Monday Night Big Book")
        assert sorted(m.id for m in await meetings.all_in(session, GUILD)) == [first.id, second.id, third.id]


async def test_a_long_name_used_twice_still_gets_a_short_name_within_the_limit(sessions: Sessions) -> None:
    name = "The Monday Night Big Book Step Study and Literature Group of Greater Springfield"  # slug > 64
    first = await add(sessions, draft(name))
    second = await add(sessions, draft(name))
    assert len(first.slug) <= SLUG_MAX
    assert len(second.slug) <= SLUG_MAX, second.slug
    assert second.slug != first.slug and second.slug.endswith("-2")
    async with sessions() as session:
        assert (await meetings.resolve(session, GUILD, second.slug)).id == second.id


async def test_a_short_name_already_taken_is_refused_kindly(sessions: Sessions) -> None:
    await add(sessions, draft("Big Book", slug="big-book"))
    with pytest.raises(InvalidInput, match=re.escape("Another meeting already has the short name “big-book”. Pick a")):
        await add(sessions, draft("Big Book Again", slug="Big-Book"))
    with pytest.raises(InvalidInput, match="can't be a meeting's short name"):
        await add(sessions, draft("Odd", slug="big book!"))
    async with sessions() as session:
        assert [m.name for m in await meetings.all_in(session, GUILD)] == ["Big Book"]
    # Another server may use the same short name.
    assert (await add(sessions, draft("Big Book", slug="big-book"), guild=OTHER_GUILD)).slug == "big-book"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "x" * 101}, "The name is 101 characters long; keep it to 100."),
        ({"name": "   "}, "The name can't be empty."),
        ({"description": "y" * 1001}, "The description is 1,001 characters long; keep it to 1,000."),
        ({"fellowship": "z" * 41}, "keep it to 40"),
        ({"duration_minutes": 4}, "between 5 and 480 minutes; 4 won't work"),
        ({"duration_minutes": 481}, "between 5 and 480 minutes; 481 won't work"),
    ],
)
async def test_limits_are_refused_and_nothing_is_stored(sessions: Sessions, changes: dict[str, object],
                                                        message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        await add(sessions, draft(**changes))
    async with sessions() as session:
        assert await meetings.all_in(session, GUILD) == []
        assert await audit.recent(session, GUILD) == []


async def test_texts_at_their_limits_are_kept(sessions: Sessions) -> None:
    meeting = await add(sessions, draft("n" * 100, description="d" * 1000, duration_minutes=480))
    short = await add(sessions, draft("  Short one  ", description="   ", duration_minutes=5))
    assert (len(meeting.name), len(meeting.description or ""), meeting.duration_minutes) == (100, 1000, 480)
    assert (short.name, short.description, short.duration_minutes) == ("Short one", None, 5)


async def test_a_server_keeps_at_most_2000_meetings(sessions: Sessions) -> None:
    rec = weekly()
    rows = [
        {"guild_id": GUILD, "slug": f"m-{i}", "name": f"Meeting {i}", "kind": "other", "types": [],
         "duration_minutes": 60, "rule": rec.rule, "local_time": rec.local_time, "zone": rec.zone,
         "starts_on": rec.starts_on, "skipped_dates": [], "created_by": MODERATOR}
        for i in range(meetings.MAX_MEETINGS_PER_SERVER - 1)
    ]
    async with sessions.begin() as session:
        await session.execute(insert(MeetingRow), rows)
    last = await add(sessions, draft("The 2000th"))
    with pytest.raises(InvalidInput, match=r"already has 2,000 meetings, the most I keep\..*/meeting delete"):
        await add(sessions, draft("One Too Many"))
    assert last.slug == "the-2000th"
    assert (await add(sessions, draft("One Too Many"), guild=OTHER_GUILD)).name == "One Too Many"
    async with sessions() as session:
        assert len(await meetings.all_in(session, GUILD)) == 2000


async def test_odd_references_are_simply_not_found(sessions: Sessions) -> None:
    await add(sessions, draft("Monday Night Big Book"))
    async with sessions() as session:
        for odd in ("\x00", "big\x00book", "99999999999999999999", "²", "x" * 6000, "'; DROP TABLE meetings; --"):
            with pytest.raises(NotFound):
                await meetings.resolve(session, GUILD, odd)
        assert (await meetings.resolve(session, GUILD, "Monday\x00 Night Big Book")).slug == "monday-night-big-book"


async def test_search_finds_by_part_of_the_name_or_short_name(sessions: Sessions) -> None:
    big_book = await add(sessions, draft("Monday Night Big Book"))
    women = await add(sessions, draft("Women's Step Study", slug="wss"))
    await add(sessions, draft("Big Book Elsewhere"), guild=OTHER_GUILD)
    async with sessions() as session:
        assert [m.id for m in await meetings.search(session, GUILD, "BIG book")] == [big_book.id]
        assert [m.id for m in await meetings.search(session, GUILD, "wss")] == [women.id]
        assert [m.id for m in await meetings.search(session, GUILD, "")] == [big_book.id, women.id]
        assert await meetings.search(session, GUILD, "smart") == []


async def test_a_name_with_accented_capitals_is_found_by_its_name(sessions: Sessions) -> None:
    """French- and Spanish-speaking groups: the exact name typed back must find the meeting."""
    etapes = await add(sessions, draft("Étapes du soir"))
    async with sessions() as session:
        assert (await meetings.resolve(session, GUILD, "Étapes du soir")).id == etapes.id
        assert (await meetings.resolve(session, GUILD, "étapes du soir")).id == etapes.id
        assert [m.id for m in await meetings.search(session, GUILD, "Étapes")] == [etapes.id]


async def test_record_event_remembers_the_discord_event(sessions: Sessions) -> None:
    meeting = await add(sessions, draft())
    start = utc(2026, 11, 24)
    async with sessions.begin() as session:
        await meetings.record_event(session, meeting.id, 999, start, None)
        await meetings.record_event(session, meeting.id + 1000, 1, start, None)  # deleted meanwhile: no error
    async with sessions() as session:
        stored = await meetings.get(session, GUILD, meeting.id)
    assert (stored.event_id, stored.event_start, stored.event_problem) == (999, start, None)
    async with sessions.begin() as session:
        await meetings.record_event(session, meeting.id, None, None, "I need the Manage Events permission.")
    async with sessions() as session:
        stored = await meetings.get(session, GUILD, meeting.id)
    assert (stored.event_id, stored.event_problem) == (None, "I need the Manage Events permission.")


async def test_replace_details_changes_the_meeting_and_keeps_its_short_name_and_skips(sessions: Sessions) -> None:
    meeting = await add(sessions, draft())
    await add(sessions, draft("Taken", slug="taken"))
    async with sessions.begin() as session:
        await meetings.skip_occurrence(session, GUILD, meeting.id, MODERATOR, date(2026, 11, 30))
        changed = await meetings.replace_details(session, GUILD, meeting.id, MODERATOR, dataclasses.replace(
            meetings.draft_of(meeting), name="Monday Big Book", recurrence=weekly(at=time(18, 30)), slug=None))
    assert (changed.name, changed.slug, changed.recurrence.local_time) == (
        "Monday Big Book", "monday-night-big-book", time(18, 30))
    assert changed.skipped == {date(2026, 11, 30)}
    with pytest.raises(InvalidInput, match="already has the short name “taken”"):
        async with sessions.begin() as session:
            await meetings.replace_details(session, GUILD, meeting.id, MODERATOR,
                                           dataclasses.replace(meetings.draft_of(changed), slug="taken"))
    async with sessions() as session:
        assert (await meetings.get(session, GUILD, meeting.id)).slug == "monday-night-big-book"
        [edit, *_] = await audit.recent(session, GUILD)
    assert edit.action == "meeting.edit"
    assert edit.old_value == f"{meeting.id} Monday Night Big Book: FREQ=WEEKLY;BYDAY=MO 19:00 {NY} 60min"
    assert edit.new_value == f"{meeting.id} Monday Big Book: FREQ=WEEKLY;BYDAY=MO 18:30 {NY} 60min"


# -- schedules typed by people ------------------------------------------------------------------------------------


def build(schedule: ScheduleText, *, default_zone: str = "UTC", current: Recurrence | None = None) -> Recurrence:
    return meetings.build_recurrence(schedule, default_zone=default_zone, today=TODAY, current=current)


def test_weekdays_time_and_zone_make_a_weekly_schedule() -> None:
    rec = build(ScheduleText(days="Thu and mon", time="7pm", zone="america/new_york"))
    assert rec == Recurrence("FREQ=WEEKLY;BYDAY=MO,TH", time(19), NY, TODAY, None)


def test_a_rule_makes_a_schedule_in_the_default_zone() -> None:
    rec = build(ScheduleText(rule="freq=monthly;byday=1sa", time="10:00", ends="2027-06-30"),
                default_zone="Europe/London")
    assert rec == Recurrence("FREQ=MONTHLY;BYDAY=1SA", time(10), "Europe/London", TODAY, date(2027, 6, 30))


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        (ScheduleText(days="Mon", rule="FREQ=DAILY", time="19:00"), "Give either weekdays or a rule, not both"),
        (ScheduleText(time="19:00"), "weekdays such as “Mon, Thu”, or a rule such as FREQ="),
        (ScheduleText(days="Mon"), "Give the meeting's start time, such as 19:00"),
        (ScheduleText(days="Mon", time="19:00", zone="Mars/Olympus"), "I don't know the time zone “Mars/Olympus”"),
        (ScheduleText(days="Mon", time="19:00", ends="2026-11-22"),
         "The end date 2026-11-22 has already passed"),
        (ScheduleText(days="Mon", time="19:00", ends="next june"), "as the end date. Write it as year-month-day"),
        (ScheduleText(days="Sun", time="02:30", zone=NY),
         "02:30 doesn't exist in America/New_York on Sunday 14 March 2027"),
    ],
)
def test_unclear_schedules_are_refused_with_an_example(schedule: ScheduleText, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        build(schedule)


def test_an_edit_keeps_what_it_does_not_change() -> None:
    current = weekly(("MO", "TH"), time(19), NY, date(2026, 1, 5), until=date(2026, 11, 1))
    moved = build(ScheduleText(time="18:30"), current=current)
    assert moved == Recurrence("FREQ=WEEKLY;BYDAY=MO,TH", time(18, 30), NY, date(2026, 1, 5), date(2026, 11, 1))
    # An end date already past may stay as it is, but not be chosen anew.
    with pytest.raises(InvalidInput, match="has already passed"):
        build(ScheduleText(ends="2026-11-02"), current=current)
    moved_days = build(ScheduleText(days="Wed"), current=current)
    assert (moved_days.rule, moved_days.local_time) == ("FREQ=WEEKLY;BYDAY=WE", time(19))


async def test_new_meetings_default_to_the_server_zone(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        assert await meetings.server_zone(session, GUILD, None) == "UTC"
        assert await meetings.server_zone(session, GUILD, "Europe/London") == "Europe/London"
        await guild_config.set_timezone(session, GUILD, MODERATOR, "america/chicago")
    async with sessions() as session:
        zone = await meetings.server_zone(session, GUILD, "Europe/London")
        assert await meetings.server_zone(session, OTHER_GUILD, "Europe/London") == "Europe/London"
    assert zone == "America/Chicago"
    assert build(ScheduleText(days="Tue", time="19:00"), default_zone=zone).zone == "America/Chicago"


# -- what's coming up ---------------------------------------------------------------------------------------------


async def test_upcoming_lists_the_next_week_soonest_first(sessions: Sessions) -> None:
    daily = recurrence.from_rule("FREQ=DAILY", time(11, 30), "UTC", TODAY)
    noon = await add(sessions, draft("Noon Serenity", recurrence=daily, types=("O", "D")))  # 11:30-12:30: on now
    await add(sessions, draft("Morning Meditation", recurrence=recurrence.from_rule(
        "FREQ=DAILY", time(11), "UTC", TODAY, date(2026, 11, 23))))  # ended exactly now
    smart = await add(sessions, draft("Evening SMART", kind=MeetingKind.SMART, types=("O",),
                                      recurrence=weekly(("MO", "WE", "FR"), time(19), NY)))
    family = await add(sessions, draft("Family Circle", kind=MeetingKind.FAMILY, types=("C",),
                                       recurrence=weekly(("TH",), time(18), "Europe/London")))
    await add(sessions, draft("Elsewhere"), guild=OTHER_GUILD)
    async with sessions.begin() as session:
        await meetings.skip_occurrence(session, GUILD, smart.id, MODERATOR, date(2026, 11, 25))
    async with sessions() as session:
        week = await meetings.upcoming(session, GUILD, NOW)
        smart_only = await meetings.upcoming(session, GUILD, NOW, kind=MeetingKind.SMART)
        closed_only = await meetings.upcoming(session, GUILD, NOW, types=["C"])
        open_only = await meetings.upcoming(session, GUILD, NOW, types=["O"])

    assert [u.start for u in week] == sorted(u.start for u in week)
    assert week[0].meeting.id == noon.id and week[0].start == utc(2026, 11, 23, 11, 30)  # in progress
    assert week[0].end == utc(2026, 11, 23, 12, 30)
    assert [u.start for u in week if u.meeting.id == noon.id] == [utc(2026, 11, d, 11, 30) for d in range(23, 31)]
    assert [local(u.start) for u in smart_only] == ["Mon 23 Nov 19:00", "Fri 27 Nov 19:00"]  # Wed 25 skipped
    assert [(u.meeting.id, local(u.start, "Europe/London")) for u in closed_only] == [
        (family.id, "Thu 26 Nov 18:00")]
    assert {u.meeting.name for u in open_only} == {"Noon Serenity", "Evening SMART"}
    assert "Morning Meditation" not in {u.meeting.name for u in week}
    assert all(u.end > NOW and u.start < NOW + timedelta(days=7) for u in week)
    assert len(week) == 8 + 2 + 1


async def test_seven_pm_in_new_york_stays_seven_pm_when_the_clocks_go_back(sessions: Sessions) -> None:
    await add(sessions, draft("Evening SMART", recurrence=weekly(("MO", "TH"), time(19), NY, date(2026, 10, 1))))
    before_change = utc(2026, 10, 28, 12)  # New York leaves daylight time on Sunday 1 November
    async with sessions() as session:
        week = await meetings.upcoming(session, GUILD, before_change)
    assert [local(u.start) for u in week] == ["Thu 29 Oct 19:00", "Mon 02 Nov 19:00"]
    assert [u.start.hour for u in week] == [23, 0]


async def test_upcoming_dates_offer_the_next_occurrences_to_cancel(sessions: Sessions) -> None:
    meeting = await add(sessions, draft(recurrence=weekly(("MO",), until=date(2026, 12, 14))))
    assert [local(s) for s in meetings.upcoming_dates(meeting, NOW, count=10)] == [
        "Mon 23 Nov 19:00", "Mon 30 Nov 19:00", "Mon 07 Dec 19:00", "Mon 14 Dec 19:00"]
    assert [local(s) for s in meetings.upcoming_dates(meeting, NOW, count=2)] == [
        "Mon 23 Nov 19:00", "Mon 30 Nov 19:00"]


# -- skipping, ending and deleting --------------------------------------------------------------------------------


async def test_one_occurrence_can_be_cancelled_once(sessions: Sessions) -> None:
    meeting = await add(sessions, draft())  # Mondays 19:00 New York = Tuesdays 00:00 UTC
    with pytest.raises(InvalidInput, match="doesn't meet on Tuesday 01 December 2026"):
        async with sessions.begin() as session:
            await meetings.skip_occurrence(session, GUILD, meeting.id, MODERATOR, date(2026, 12, 1))
    async with sessions.begin() as session:
        skipped = await meetings.skip_occurrence(session, GUILD, meeting.id, MODERATOR, date(2026, 11, 30))
    with pytest.raises(InvalidInput, match="The Monday 30 November meeting is already cancelled"):
        async with sessions.begin() as session:
            await meetings.skip_occurrence(session, GUILD, meeting.id, MODERATOR, date(2026, 11, 30))
    with pytest.raises(NotFound):
        async with sessions.begin() as session:
            await meetings.skip_occurrence(session, OTHER_GUILD, meeting.id, MODERATOR, date(2026, 12, 7))
    assert skipped.skipped == {date(2026, 11, 30)}
    async with sessions() as session:
        fortnight = await meetings.upcoming(session, GUILD, NOW, days=15)
        entries = await audit.recent(session, GUILD)
    assert [local(u.start) for u in fortnight] == ["Mon 23 Nov 19:00", "Mon 07 Dec 19:00"]
    assert [local(s) for s in meetings.upcoming_dates(skipped, NOW, count=2)] == [
        "Mon 23 Nov 19:00", "Mon 07 Dec 19:00"]
    assert (entries[0].action, entries[0].new_value) == ("meeting.skip", f"{meeting.id} 2026-11-30")


async def test_ending_a_series_stops_every_later_occurrence(sessions: Sessions) -> None:
    meeting = await add(sessions, draft(recurrence=weekly(("MO", "TH"), starts=date(2026, 11, 1))))
    async with sessions.begin() as session:
        ended = await meetings.end_series(session, GUILD, meeting.id, MODERATOR, NOW)
    # Tonight's meeting had not started yet: it is cancelled too.
    assert ended.recurrence.until == date(2026, 11, 22)
    assert ended.next_occurrence(NOW) is None
    with pytest.raises(InvalidInput, match="has no meetings left to cancel; /meeting delete removes it"):
        async with sessions.begin() as session:
            await meetings.end_series(session, GUILD, meeting.id, MODERATOR, NOW)
    async with sessions() as session:
        assert await meetings.upcoming(session, GUILD, NOW, days=60) == []
        assert (await meetings.get(session, GUILD, meeting.id)).name == meeting.name  # kept until deleted
        assert (await audit.recent(session, GUILD))[0].new_value == f"{meeting.id} until 2026-11-22"


async def test_ending_a_series_during_a_meeting_keeps_that_meeting(sessions: Sessions) -> None:
    meeting = await add(sessions, draft(recurrence=weekly(("MO", "TH"), starts=date(2026, 11, 1))))
    during = utc(2026, 11, 24, 0, 30)  # Monday 19:30 in New York, half way through
    async with sessions.begin() as session:
        ended = await meetings.end_series(session, GUILD, meeting.id, MODERATOR, during)
    assert ended.recurrence.until == date(2026, 11, 25)
    async with sessions() as session:
        now_on = await meetings.upcoming(session, GUILD, during, days=30)
    assert [local(u.start) for u in now_on] == ["Mon 23 Nov 19:00"]


async def test_ending_a_series_that_never_met(sessions: Sessions) -> None:
    meeting = await add(sessions, draft(recurrence=weekly(("TH",), starts=date(2026, 12, 3))))
    async with sessions.begin() as session:
        ended = await meetings.end_series(session, GUILD, meeting.id, MODERATOR, NOW)
    assert ended.next_occurrence(NOW) is None
    async with sessions() as session:
        assert await meetings.upcoming(session, GUILD, NOW, days=60) == []


async def test_deleting_a_meeting_removes_its_reminder_opt_ins(sessions: Sessions) -> None:
    doomed = await add(sessions, draft("Doomed"))
    kept = await add(sessions, draft("Kept"))
    async with sessions.begin() as session:
        await meetings.opt_in(session, doomed.id, ALEX, 30)
        await meetings.opt_in(session, doomed.id, SAM, 60)
        await meetings.opt_in(session, kept.id, ALEX, 10)
    async with sessions.begin() as session:
        gone = await meetings.delete_meeting(session, GUILD, doomed.id, MODERATOR)
    assert gone.id == doomed.id
    async with sessions() as session:
        with pytest.raises(NotFound):
            await meetings.get(session, GUILD, doomed.id)
        assert await meetings.reminder_recipients(session, doomed.id) == []
        assert await meetings.member_offsets(session) == {kept.id: {10}}
        assert (await audit.recent(session, GUILD))[0].old_value == f"{doomed.id} Doomed"
    with pytest.raises(NotFound):
        async with sessions.begin() as session:
            await meetings.delete_meeting(session, GUILD, doomed.id, MODERATOR)
    with pytest.raises(NotFound):
        async with sessions.begin() as session:
            await meetings.delete_meeting(session, OTHER_GUILD, kept.id, MODERATOR)


# -- channel reminder times ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "offsets"),
    [("60, 10", (60, 10)), ("10 60", (60, 10)), ("30m; 5min", (30, 5)), ("1440", (1440,)), ("15,15", (15,)),
     ("none", ()), (" Off ", ()), ("0", ()), ("", ())],
)
def test_reminder_times_are_read_from_text(text: str, offsets: tuple[int, ...]) -> None:
    assert meetings.parse_offsets(text) == offsets


@pytest.mark.parametrize(
    ("text", "message"),
    [("abc", "such as “60, 10”, or “none”"), ("2000", "between 1 and 1440 minutes"),
     ("60, 30, 10, 5", "Give up to 3 reminders"), ("10, 0", "between 1 and 1440"), ("-5", "between 1 and 1440")],
)
def test_unreadable_reminder_times_are_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        meetings.parse_offsets(text)


async def test_reminder_times_are_saved_and_audited_when_changed(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        await guild_config.set_timezone(session, GUILD, MODERATOR, NY)  # a set-up server, offsets untouched
        assert await meetings.reminder_offsets(session, GUILD) == (60, 10)
    async with sessions() as session:
        assert await meetings.reminder_offsets_by_guild(session) == {}
    async with sessions.begin() as session:
        assert await meetings.set_reminder_offsets(session, GUILD, MODERATOR, [30]) == (30,)
        await meetings.set_reminder_offsets(session, GUILD, MODERATOR, (30,))  # unchanged: no trace
        await meetings.set_reminder_offsets(session, OTHER_GUILD, MODERATOR, (15, 5))
    async with sessions() as session:
        assert await meetings.reminder_offsets(session, GUILD) == (30,)
        assert await meetings.reminder_offsets_by_guild(session) == {GUILD: (30,), OTHER_GUILD: (15, 5)}
    async with sessions.begin() as session:
        assert await meetings.set_reminder_offsets(session, GUILD, MODERATOR, ()) == ()
    async with sessions() as session:
        assert await meetings.reminder_offsets(session, GUILD) == ()
        assert (await meetings.reminder_offsets_by_guild(session))[GUILD] == ()
        entries = [e for e in await audit.recent(session, GUILD) if e.action == "config.meeting_reminder_offsets"]
    assert [(e.old_value, e.new_value) for e in entries] == [("(30,)", "off"), ("(60, 10)", "(30,)")]


async def test_choosing_the_default_reminder_times_changes_nothing(sessions: Sessions) -> None:
    """A new server whose moderator types the times it already has: nothing changed, so nothing is audited."""
    async with sessions.begin() as session:
        assert await meetings.set_reminder_offsets(session, GUILD, MODERATOR, (60, 10)) == (60, 10)
    async with sessions() as session:
        assert await meetings.reminder_offsets(session, GUILD) == (60, 10)
        assert await audit.recent(session, GUILD) == []


# -- members' reminders ------------------------------------------------------------------------------------------------


async def test_members_choose_their_own_reminder(sessions: Sessions) -> None:
    big_book = await add(sessions, draft("Big Book"))
    smart = await add(sessions, draft("SMART"))
    async with sessions.begin() as session:
        await meetings.opt_in(session, big_book.id, ALEX, 30)
        await meetings.opt_in(session, big_book.id, SAM, 60)
        await meetings.opt_in(session, smart.id, ALEX, 10)
        await meetings.opt_in(session, smart.id, ROBIN, 1440)
        await meetings.opt_in(session, big_book.id, ALEX, 60)  # changed their mind: one reminder, not two
        with pytest.raises(InvalidInput, match="Pick one of the reminder times offered"):
            await meetings.opt_in(session, big_book.id, ROBIN, 45)
    async with sessions() as session:
        assert await meetings.reminder_of(session, big_book.id, ALEX) == 60
        assert await meetings.reminder_of(session, big_book.id, ROBIN) is None
        assert await meetings.reminder_recipients(session, big_book.id) == [ALEX, SAM]
        assert await meetings.reminder_recipients(session, big_book.id, 60) == [ALEX, SAM]
        assert await meetings.reminder_recipients(session, big_book.id, 30) == []
        assert await meetings.member_offsets(session) == {big_book.id: {60}, smart.id: {10, 1440}}
        assert await meetings.member_offsets(session, [smart.id]) == {smart.id: {10, 1440}}
    async with sessions.begin() as session:
        assert await meetings.opt_out(session, big_book.id, SAM) is True
        assert await meetings.opt_out(session, big_book.id, SAM) is False
    async with sessions() as session:
        assert await meetings.reminder_recipients(session, big_book.id) == [ALEX]


# -- importing ------------------------------------------------------------------------------------------------------


async def test_import_creates_updates_and_reports_refusals(sessions: Sessions) -> None:
    existing = await add(sessions, draft("Sunday Serenity", slug="sunday-serenity", fellowship="AA",
                                         facilitator_role_id=77, ping_role_id=88,
                                         recurrence=weekly(("SU",), time(18))))
    async with sessions.begin() as session:
        await meetings.skip_occurrence(session, GUILD, existing.id, MODERATOR, date(2026, 11, 29))
    zoom = Location(Place.LINK, url="https://zoom.us/j/123456789")
    feed = [
        MeetingDraft("Sunday Serenity (online)", weekly(("SU",), time(18, 30)), location=zoom, types=("O",),
                     slug="sunday-serenity"),
        MeetingDraft("Tuesday Women's Step Study", weekly(("TU",), time(20)), location=zoom, types=("W", "ST")),
        MeetingDraft("x" * 101, weekly(("WE",)), location=zoom, slug="too-long"),
        MeetingDraft("Quick Check-in", weekly(("FR",)), location=zoom, duration_minutes=2),
    ]
    async with sessions.begin() as session:
        result = await meetings.import_drafts(session, GUILD, MODERATOR, feed, NOW)

    assert [m.slug for m in result.created] == ["tuesday-women-s-step-study"]
    assert [m.id for m in result.updated] == [existing.id]
    assert [(refused.name[:10], reason) for refused, reason in result.refused] == [
        ("x" * 10, "The name is 101 characters long; keep it to 100."),
        ("Quick Chec", "A meeting lasts between 5 and 480 minutes; 2 won't work. Most meetings are 60 or 90."),
    ]
    async with sessions() as session:
        updated = await meetings.get(session, GUILD, existing.id)
        stored = await meetings.all_in(session, GUILD)
    # What the feed says replaces what was there; what only Discord knows is kept.
    assert (updated.name, updated.recurrence.local_time, updated.location, updated.types) == (
        "Sunday Serenity (online)", time(18, 30), zoom, ("O",))
    assert (updated.kind, updated.facilitator_role_id, updated.ping_role_id, updated.fellowship) == (
        MeetingKind.TWELVE_STEP, 77, 88, "AA")
    assert updated.skipped == {date(2026, 11, 29)}
    assert [m.name for m in stored] == ["Sunday Serenity (online)", "Tuesday Women's Step Study"]


async def test_an_import_whose_transaction_fails_leaves_nothing_behind(sessions: Sessions) -> None:
    """/meeting import plans the jobs in the same transaction: if that fails, the import must not half-happen."""
    feed = [MeetingDraft("Saturday Sunrise", weekly(("SA",), time(7))),
            MeetingDraft("x" * 101, weekly(("SU",), time(7)))]  # refused, so its savepoint rolls back
    async with sessions() as session:
        result = await meetings.import_drafts(session, GUILD, MODERATOR, feed, NOW)
        assert [m.name for m in result.created] == ["Saturday Sunrise"]
        await session.rollback()  # as `async with sessions.begin()` does when planning raises
    async with sessions() as session:
        assert await meetings.all_in(session, GUILD) == []
        assert await audit.recent(session, GUILD) == []


async def test_a_refused_update_leaves_the_meeting_as_it_was(sessions: Sessions) -> None:
    existing = await add(sessions, draft("Sunday Serenity", recurrence=weekly(("SU",), time(18))))
    bad = MeetingDraft("Sunday Serenity", weekly(("SU",), time(7)), description="d" * 1001)
    good = MeetingDraft("Saturday Sunrise", weekly(("SA",), time(7)))
    async with sessions.begin() as session:
        result = await meetings.import_drafts(session, GUILD, MODERATOR, [bad, good], NOW)
    assert (result.updated, [m.name for m in result.created]) == ([], ["Saturday Sunrise"])
    assert [(refused.name, reason) for refused, reason in result.refused] == [
        ("Sunday Serenity", "The description is 1,001 characters long; keep it to 1,000.")]
    async with sessions() as session:
        assert await meetings.get(session, GUILD, existing.id) == existing
        assert [m.name for m in await meetings.all_in(session, GUILD)] == ["Saturday Sunrise", "Sunday Serenity"]
