"""The .ics export: a calendar app expanding it lands on exactly the bot's own occurrences.

The file is parsed back with icalendar and expanded with recurring_ical_events (which applies
RRULE, UNTIL, EXDATE and X-WR-TIMEZONE the way calendar apps do), then compared, instant by
instant in UTC, with `Meeting.occurrences` over windows that cross daylight-saving changes.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import recurring_ical_events  # type: ignore[import-untyped]
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from bot.services import recurrence
from bot.services.errors import InvalidInput
from bot.services.meetings.calendar import calendar_ics
from bot.services.meetings.data import Location, Meeting, MeetingKind, Place

NY = "America/New_York"
GENERATED = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
WINDOW_START = datetime(2026, 1, 1, tzinfo=UTC)
WINDOW_END = WINDOW_START + timedelta(days=400)  # two DST changes everywhere, both hemispheres


def meeting(rule: recurrence.Recurrence, *, id: int = 1, skipped: frozenset[date] = frozenset(),
            duration_minutes: int = 60, **fields: Any) -> Meeting:
    return Meeting(id=id, guild_id=42, slug=f"m{id}", name=f"Meeting {id}", kind=MeetingKind.TWELVE_STEP,
                   recurrence=rule, duration_minutes=duration_minutes,
                   location=Location(Place.LINK, url=f"https://example.org/j/{id}"), skipped=skipped, **fields)


def export(*meetings: Meeting) -> bytes:
    return calendar_ics(meetings, calendar_name="Recovery meetings", generated_at=GENERATED)


def parse(ics: bytes) -> Calendar:
    return Calendar.from_ical(ics)


def expanded(ics: bytes, after: datetime, before: datetime) -> dict[str, list[tuple[datetime, datetime]]]:
    """UID -> sorted (start, end) in UTC of each instance a calendar app would show starting in [after, before)."""
    found: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for event in recurring_ical_events.of(parse(ics)).between(after, before):
        start, end = event["DTSTART"].dt, event["DTEND"].dt
        assert isinstance(start, datetime)
        assert start.tzinfo is not None, "a floating DTSTART would mean a different instant in every zone"
        # between() also returns instances that merely overlap the window; occurrences() counts starts.
        if after <= start < before:
            found[str(event["UID"])].append((start.astimezone(UTC), end.astimezone(UTC)))
    return {key: sorted(value) for key, value in found.items()}


def assert_expands_to_occurrences(*meetings: Meeting, after: datetime = WINDOW_START,
                                  before: datetime = WINDOW_END) -> None:
    by_uid = expanded(export(*meetings), after, before)
    for m in meetings:
        instances = by_uid.get(f"meeting-{m.id}-{m.guild_id}@recovery-bot", [])
        assert [start for start, _ in instances] == m.occurrences(after, before)
        tz = m.recurrence.tz
        for start, end in instances:
            # recurring_ical_events adds the length in wall-clock time, so an instance spanning a
            # clock change comes out an hour off there whatever the file says; check the others.
            if start.astimezone(tz).utcoffset() == (start + m.duration).astimezone(tz).utcoffset():
                assert end - start == m.duration


def test_new_york_weekly_at_seven_pm_across_both_dst_changes() -> None:
    m = meeting(recurrence.weekly(("MO",), time(19, 0), NY, date(2026, 1, 5)))
    assert_expands_to_occurrences(m)
    assert len(m.occurrences(WINDOW_START, WINDOW_END)) >= 57


def test_london_tuesday_and_thursday() -> None:
    assert_expands_to_occurrences(meeting(recurrence.weekly(("TU", "TH"), time(18, 30), "Europe/London",
                                                            date(2026, 1, 6))))


def test_sydney_southern_hemisphere_dst() -> None:
    assert_expands_to_occurrences(meeting(recurrence.weekly(("WE",), time(18, 30), "Australia/Sydney",
                                                            date(2026, 1, 7))))


def test_monthly_first_saturday() -> None:
    assert_expands_to_occurrences(meeting(recurrence.from_rule("FREQ=MONTHLY;BYDAY=1SA", time(10, 0),
                                                               "America/Chicago", date(2026, 1, 1))))


def test_every_other_tuesday_keeps_its_fortnight_when_starts_on_is_not_a_tuesday() -> None:
    # Starting on a Sunday (last day of an ISO week) puts the first Tuesday 9 days later, not 2.
    fortnightly = recurrence.from_rule("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", time(18, 30), "Europe/London",
                                       date(2026, 1, 4))
    assert_expands_to_occurrences(meeting(fortnightly))
    event = parse(export(meeting(fortnightly))).events[0]
    assert event["DTSTART"].dt.date() == date(2026, 1, 13)


def test_dtstart_is_the_first_real_occurrence() -> None:
    # RFC 5545 counts DTSTART as an instance: a Monday start for a Tuesday meeting would add a Monday.
    tuesdays = recurrence.weekly(("TU",), time(19, 0), NY, date(2026, 1, 5))
    event = parse(export(meeting(tuesdays))).events[0]
    assert event["DTSTART"].dt == datetime(2026, 1, 6, 19, 0, tzinfo=tuesdays.tz)
    assert_expands_to_occurrences(meeting(tuesdays))


def test_series_with_until_ends_on_the_last_local_day_and_until_is_utc() -> None:
    fridays = recurrence.weekly(("FR",), time(20, 0), "Europe/Berlin", date(2026, 1, 2), until=date(2026, 10, 30))
    m = meeting(fridays)
    assert_expands_to_occurrences(m)
    assert m.occurrences(WINDOW_START, WINDOW_END)[-1].astimezone(fridays.tz).date() == date(2026, 10, 30)
    # End of 30 October in Berlin (CET since the 25th) is 22:59:59 UTC, in UTC form as RFC 5545 requires.
    assert b"UNTIL=20261030T225959Z" in export(m)
    rrule = parse(export(m)).events[0]["RRULE"]
    assert rrule["UNTIL"][0] == datetime(2026, 10, 30, 22, 59, 59, tzinfo=UTC)


def test_a_rules_own_until_and_count_are_kept_exact() -> None:
    own_until = recurrence.from_rule("FREQ=WEEKLY;BYDAY=MO;UNTIL=20260601T190000", time(19, 0), NY, date(2026, 1, 5),
                                     until=date(2026, 12, 31))
    counted = recurrence.from_rule("FREQ=WEEKLY;BYDAY=TU;COUNT=5", time(19, 0), NY, date(2026, 1, 5),
                                   until=date(2026, 12, 31))
    assert_expands_to_occurrences(meeting(own_until, id=1), meeting(counted, id=2))
    ics = export(meeting(own_until, id=1), meeting(counted, id=2))
    assert b"UNTIL=20260601T230000Z" in ics  # 19:00 EDT, kept inclusive
    assert b"COUNT=5" in ics
    assert ics.count(b"UNTIL=") == 1  # COUNT and UNTIL must not both appear


def test_skipped_dates_are_excluded() -> None:
    rule = recurrence.weekly(("MO", "TH"), time(19, 0), NY, date(2026, 1, 5))
    # The first instance and one on the night clocks go forward (a Sunday-to-Monday week) too.
    skipped = frozenset({date(2026, 1, 5), date(2026, 3, 9), date(2026, 11, 5)})
    m = meeting(rule, skipped=skipped)
    assert_expands_to_occurrences(m)
    shown = {start.astimezone(rule.tz).date() for start, _ in expanded(export(m), WINDOW_START, WINDOW_END)[
        "meeting-1-42@recovery-bot"]}
    assert not shown & skipped
    exdate = parse(export(m)).events[0]["EXDATE"]
    assert exdate.params["TZID"] == NY
    assert [d.dt for d in exdate.dts] == [datetime.combine(d, time(19, 0), tzinfo=rule.tz) for d in sorted(skipped)]


def test_several_zones_in_one_calendar() -> None:
    meetings = (
        meeting(recurrence.weekly(("MO",), time(19, 0), NY, date(2026, 1, 5)), id=1),
        meeting(recurrence.weekly(("TU", "TH"), time(18, 30), "Europe/London", date(2026, 1, 6)), id=2),
        meeting(recurrence.weekly(("SA",), time(9, 0), "Australia/Sydney", date(2026, 1, 3)), id=3),
        meeting(recurrence.weekly(("SU",), time(20, 0), "Asia/Kolkata", date(2026, 1, 4)), id=4),
        meeting(recurrence.weekly(("FR",), time(12, 0), "UTC", date(2026, 1, 2)), id=5),
    )
    assert_expands_to_occurrences(*meetings)
    cal = parse(export(*meetings))
    assert "X-WR-TIMEZONE" not in cal  # no single zone is honest for the whole calendar
    assert {tz.tz_name for tz in cal.timezones} == {NY, "Europe/London", "Australia/Sydney", "Asia/Kolkata"}


def test_every_zone_used_has_a_vtimezone_that_agrees_with_zoneinfo() -> None:
    # Outlook reads the VTIMEZONE, not the IANA name: its offsets must give the same instants.
    zones = [NY, "Europe/London", "Australia/Sydney", "Australia/Lord_Howe", "America/Santiago"]
    meetings = [meeting(recurrence.weekly(("WE",), time(19, 0), zone, date(2026, 1, 7)), id=i)
                for i, zone in enumerate(zones, 1)]
    cal = parse(export(*meetings))
    assert cal.get_missing_tzids() == set()
    by_name = {tz.tz_name: tz for tz in cal.timezones}
    assert set(by_name) == set(zones)
    for m in meetings:
        from_vtimezone = by_name[m.recurrence.zone].to_tz(lookup_tzid=False)
        for instant in m.occurrences(WINDOW_START, WINDOW_END):
            wall = instant.astimezone(m.recurrence.tz).replace(tzinfo=None)
            assert wall.replace(tzinfo=from_vtimezone).astimezone(UTC) == instant, (m.recurrence.zone, wall)


def test_dtstart_carries_a_tzid_and_is_not_floating() -> None:
    ics = export(meeting(recurrence.weekly(("MO",), time(19, 0), NY, date(2026, 1, 5))))
    assert b"DTSTART;TZID=America/New_York:20260105T190000\r\n" in ics
    assert b"DTEND;TZID=America/New_York:20260105T200000\r\n" in ics
    assert b"EXDATE" not in ics
    event = parse(ics).events[0]
    assert event["DTSTART"].params["TZID"] == NY
    assert event["DTSTART"].dt.tzinfo is not None


def test_uid_is_stable_across_exports_and_order() -> None:
    first = meeting(recurrence.weekly(("MO",), time(19, 0), NY, date(2026, 1, 5)), id=7)
    second = meeting(recurrence.weekly(("TU",), time(19, 0), NY, date(2026, 1, 6)), id=8)
    one = parse(calendar_ics([first, second], calendar_name="A", generated_at=GENERATED))
    other = parse(calendar_ics([second, first], calendar_name="B", generated_at=GENERATED + timedelta(days=30)))
    uids = sorted(str(e["UID"]) for e in one.events)
    assert uids == ["meeting-7-42@recovery-bot", "meeting-8-42@recovery-bot"]
    assert sorted(str(e["UID"]) for e in other.events) == uids


def test_calendar_and_event_fields() -> None:
    updated = datetime(2026, 1, 20, 9, 30, tzinfo=UTC)
    m = meeting(recurrence.weekly(("MO",), time(19, 0), NY, date(2026, 1, 5)), types=("D", "O"),
                description="Bring your Big Book — newcomers welcome 🙂. " * 4, updated_at=updated)
    ics = export(m)
    cal = parse(ics)
    assert str(cal["PRODID"]) == "-//Recovery Bot//Meetings//EN"
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["CALSCALE"]) == "GREGORIAN"
    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(cal["X-WR-CALNAME"]) == "Recovery meetings"
    assert str(cal["X-WR-TIMEZONE"]) == NY
    event = cal.events[0]
    assert str(event["SUMMARY"]) == "Meeting 1"
    assert str(event["URL"]) == str(event["LOCATION"]) == "https://example.org/j/1"
    assert event["DTSTAMP"].dt == GENERATED
    assert event["LAST-MODIFIED"].dt == updated
    assert event["CATEGORIES"].cats == ["12-step"]
    description = str(event["DESCRIPTION"])
    assert description.startswith("Bring your Big Book — newcomers welcome 🙂.")
    assert "\n\nTypes: Discussion, Open\n\nJoin: https://example.org/j/1" in description
    # Folded, CRLF-terminated lines of at most 75 octets, as RFC 5545 requires.
    assert b"\r\n" in ics
    assert ics.count(b"\n") == ics.count(b"\r\n")
    assert all(len(line) <= 75 for line in ics.split(b"\r\n"))
    assert any(line.startswith(b" ") for line in ics.split(b"\r\n"))


def test_a_meeting_without_a_place_or_types_has_no_url_location_or_description() -> None:
    bare = Meeting(id=3, guild_id=42, slug="bare", name="Bare", kind=MeetingKind.SMART,
                   recurrence=recurrence.weekly(("MO",), time(19, 0), NY, date(2026, 1, 5)),
                   duration_minutes=90, location=Location())
    event = parse(export(bare)).events[0]
    assert "URL" not in event
    assert "LOCATION" not in event
    assert "DESCRIPTION" not in event
    assert "LAST-MODIFIED" not in event
    assert event["CATEGORIES"].cats == ["smart"]
    assert event["DTEND"].dt - event["DTSTART"].dt == timedelta(minutes=90)


def test_a_first_meeting_ending_in_the_repeated_hour_uses_an_exact_duration() -> None:
    # 01:30 on the night New York's clocks go back, for an hour: it ends at the *second* 01:30,
    # which a local DTEND cannot say.
    late = meeting(recurrence.weekly(("SU",), time(1, 30), NY, date(2026, 11, 1)))
    ics = export(late)
    assert b"DURATION:PT1H\r\n" in ics
    assert b"DTEND" not in ics
    event = parse(ics).events[0]
    assert event["DTSTART"].dt.astimezone(UTC) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # the first 01:30
    assert_expands_to_occurrences(late)


def test_no_meetings_is_a_valid_empty_calendar() -> None:
    ics = calendar_ics([], calendar_name="Nothing yet", generated_at=GENERATED)
    cal = parse(ics)
    assert cal.events == []
    assert cal.timezones == []
    assert "X-WR-TIMEZONE" not in cal
    assert str(cal["PRODID"]) == "-//Recovery Bot//Meetings//EN"
    assert ics.startswith(b"BEGIN:VCALENDAR\r\n")
    assert ics.endswith(b"END:VCALENDAR\r\n")
    assert recurring_ical_events.of(cal).between(WINDOW_START, WINDOW_END) == []


ZONES = (
    "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Halifax",
    "America/St_Johns", "America/Santiago", "America/Havana", "Europe/London", "Europe/Berlin",
    "Europe/Helsinki", "Africa/Cairo", "Asia/Beirut", "Asia/Jerusalem", "Australia/Sydney",
    "Australia/Adelaide", "Australia/Lord_Howe", "Pacific/Auckland", "Pacific/Chatham",
    "UTC", "Asia/Kolkata",
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zone=st.sampled_from(ZONES),
    days=st.sets(st.sampled_from(recurrence.WEEKDAY_CODES), min_size=1),
    at=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    starts_on=st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)),
    until_after=st.none() | st.integers(min_value=0, max_value=500),
    data=st.data(),
)
def test_any_weekly_meeting_expands_to_its_occurrences(zone: str, days: set[str], at: time, starts_on: date,
                                                       until_after: int | None, data: st.DataObject) -> None:
    until = None if until_after is None else starts_on + timedelta(days=until_after)
    try:
        rule = recurrence.weekly(sorted(days, key=recurrence.WEEKDAY_CODES.index), at, zone, starts_on, until)
    except InvalidInput:
        assume(False)  # a time the clocks skip there: refused at creation, never exported
        raise
    after = datetime.combine(starts_on, time(0), tzinfo=UTC) - timedelta(days=2)
    before = after + timedelta(days=400)
    first_few = [recurrence.local_date(rule, s) for s in recurrence.occurrences(rule, after, before)[:6]]
    skipped = data.draw(st.frozensets(st.sampled_from(first_few)) if first_few else st.just(frozenset[date]()))
    assert_expands_to_occurrences(meeting(rule, skipped=skipped), after=after, before=before)
