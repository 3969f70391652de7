"""Meeting Guide feeds: what we publish passes the published schema, and what we import keeps every good row."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from bot.services import recurrence
from bot.services.errors import InvalidInput
from bot.services.meeting_data import Location, Meeting, MeetingDraft, MeetingKind, Place
from bot.services.meeting_guide import FEED_MAX_ROWS, FeedImport, export_feed, parse_feed

SCHEMAS = Path(__file__).parents[1] / "data" / "meeting_guide"
GUILD = 700000000000000001
TODAY = date(2026, 11, 21)
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
NY = "America/New_York"
ZOOM = "https://zoom.us/j/123456789"


@cache
def feed_validator() -> jsonschema.Draft7Validator:
    """The vendored feed schema, with its $refs resolved from the vendored files only (no network)."""
    resources = []
    for name in ("feed.schema.json", "meeting.schema.json", "meeting-type.schema.json"):
        contents = json.loads((SCHEMAS / name).read_text("utf-8"))
        resources.append((contents["$id"], Resource.from_contents(contents, default_specification=DRAFT7)))
    registry: Registry[Any] = Registry().with_resources(resources)
    feed = json.loads((SCHEMAS / "feed.schema.json").read_text("utf-8"))
    return jsonschema.Draft7Validator(feed, registry=registry, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def schema_errors(rows: list[dict[str, Any]]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in feed_validator().iter_errors(rows)]


def make_meeting(slug: str = "sunday-serenity", name: str = "Sunday Serenity", *, days: tuple[str, ...] = ("SU",),
                 at: time = time(18), zone: str = NY, rule: str | None = None, until: date | None = None,
                 duration: int = 90, location: Location | None = None, types: tuple[str, ...] = (),
                 description: str | None = None, meeting_id: int = 1, updated_at: datetime | None = None) -> Meeting:
    starts_on = date(2026, 1, 4)
    schedule = (recurrence.from_rule(rule, at, zone, starts_on, until) if rule
                else recurrence.weekly(days, at, zone, starts_on, until))
    return Meeting(id=meeting_id, guild_id=GUILD, slug=slug, name=name, kind=MeetingKind.TWELVE_STEP,
                   recurrence=schedule, duration_minutes=duration,
                   location=location or Location(Place.LINK, url=ZOOM), types=types, description=description,
                   updated_at=updated_at)


def feed_bytes(rows: list[Any]) -> bytes:
    return json.dumps(rows).encode()


def parse(rows: list[Any], zone: str = NY) -> FeedImport:
    return parse_feed(feed_bytes(rows), default_zone=zone, today=TODAY)


def weekdays_of(draft: MeetingDraft) -> tuple[str, ...]:
    rule = dict(part.split("=") for part in draft.recurrence.rule.split(";"))
    assert rule["FREQ"] == "WEEKLY"
    assert set(rule) <= {"FREQ", "BYDAY"}
    return tuple(rule["BYDAY"].split(","))


def reasons(result: FeedImport) -> dict[int, str]:
    return {row.index: row.reason for row in result.skipped}


# --- export -----------------------------------------------------------------------------------------------------


def test_an_exported_feed_passes_the_published_schema_and_reads_as_the_spec_describes() -> None:
    meetings = [
        make_meeting(types=("D", "O", "ONL"), description="Big Book study.\nCameras optional.",
                     updated_at=datetime(2026, 11, 1, 9, 30, 5, tzinfo=UTC)),
        make_meeting("weekday-mornings", "Weekday Mornings", days=("MO", "WE", "FR"), at=time(7, 5), duration=60,
                     zone="Europe/London", location=Location(Place.VOICE, channel_id=42), meeting_id=2),
        make_meeting("late-night", "Late Night", days=("SA",), at=time(23, 30), zone="Australia/Sydney",
                     meeting_id=3),
    ]
    feed = export_feed(meetings, updated=NOW)

    assert schema_errors(feed.rows) == []
    assert feed.left_out == []
    serenity, mornings, late = feed.rows
    assert serenity == {
        "name": "Sunday Serenity", "slug": "sunday-serenity", "day": 0, "time": "18:00", "end_time": "19:30",
        "timezone": NY, "types": ["D", "O"], "notes": "Big Book study.\nCameras optional.",
        "conference_url": ZOOM, "updated": "2026-11-01 09:30:05",
    }
    assert mornings["day"] == [1, 3, 5]
    assert mornings["time"] == "07:05"
    assert mornings["end_time"] == "08:05"
    assert mornings["conference_url"] == f"https://discord.com/channels/{GUILD}/42"
    assert "updated" not in mornings  # no known change time: we don't claim one
    assert late["day"] == 6
    assert late["end_time"] == "01:00"  # wraps past midnight


def test_the_schema_check_really_resolves_the_type_list() -> None:
    # Guards the test above: the $ref to the type list is followed, so a bad code or a missing slug is caught.
    assert schema_errors([{"name": "A", "slug": "a", "types": ["O", "NOT-A-CODE"]}])
    assert schema_errors([{"name": "A"}])
    # The spec has no ONL code; online meetings are the ones with a conference_url.
    assert schema_errors([{"name": "A", "slug": "a", "types": ["ONL"]}])


def test_sunday_is_day_zero_and_several_days_are_listed_in_week_order() -> None:
    everyday = make_meeting(days=("MO", "TU", "WE", "TH", "FR", "SA", "SU"))
    weekend = make_meeting(days=("SA", "SU"), meeting_id=2, slug="weekend")
    rows = export_feed([everyday, weekend], updated=NOW).rows
    assert rows[0]["day"] == [0, 1, 2, 3, 4, 5, 6]
    assert rows[1]["day"] == [0, 6]


def test_meetings_the_feed_cannot_describe_are_left_out_with_a_reason() -> None:
    fortnightly = make_meeting("fortnightly", rule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", meeting_id=2)
    monthly = make_meeting("first-saturday", rule="FREQ=MONTHLY;BYDAY=1SA", meeting_id=3)
    ended = make_meeting("summer-series", until=date(2026, 9, 1), meeting_id=4)
    nowhere = make_meeting("no-room-yet", location=Location(), meeting_id=5)
    weekly = make_meeting(meeting_id=1)

    feed = export_feed([fortnightly, weekly, monthly, ended, nowhere], updated=NOW)

    assert [row["slug"] for row in feed.rows] == ["sunday-serenity"]
    why = {m.slug: reason for m, reason in feed.left_out}
    assert why["fortnightly"] == "it repeats every other week; Meeting Guide feeds can only describe weekly meetings"
    assert why["first-saturday"] == ("it repeats on the first Saturday of every month; "
                                     "Meeting Guide feeds can only describe weekly meetings")
    assert why["summer-series"].startswith("its series ended on 1 September 2026")
    assert "no channel or link" in why["no-room-yet"]


def test_a_series_that_ends_later_is_still_listed_and_a_plain_weekly_rule_is_weekly() -> None:
    ending_soon = make_meeting(until=date(2027, 1, 31))
    spelled_out = make_meeting("explicit", rule="FREQ=WEEKLY;INTERVAL=1;BYDAY=TU,TH", meeting_id=2)
    daily = make_meeting("daily", rule="FREQ=DAILY", meeting_id=3)
    feed = export_feed([ending_soon, spelled_out, daily], updated=NOW)
    assert feed.left_out == []
    assert [row["day"] for row in feed.rows] == [0, [2, 4], [0, 1, 2, 3, 4, 5, 6]]


def test_a_slug_too_long_for_the_schema_is_shortened_the_same_way_every_time() -> None:
    long_slug = "the-very-long-named-monday-night-big-book-step-study-and-discussion-group"
    assert len(long_slug) > 64
    meeting = make_meeting(long_slug, meeting_id=31)
    first = export_feed([meeting], updated=NOW).rows[0]["slug"]
    again = export_feed([meeting], updated=NOW).rows[0]["slug"]
    assert first == again
    assert len(first) <= 64
    assert first.endswith("-31")
    assert schema_errors(export_feed([meeting], updated=NOW).rows) == []


# --- round trip ---------------------------------------------------------------------------------------------------


def assert_same_meeting(draft: MeetingDraft, meeting: Meeting) -> None:
    assert draft.name == meeting.name
    assert draft.slug == meeting.slug
    assert weekdays_of(draft) == meeting.weekdays()
    assert draft.recurrence.local_time == meeting.recurrence.local_time
    assert draft.recurrence.zone == meeting.recurrence.zone
    assert draft.duration_minutes == meeting.duration_minutes
    assert draft.types == tuple(code for code in meeting.types if code != "ONL")
    assert draft.description == meeting.description
    assert draft.location.url == meeting.link()


def test_exporting_then_importing_gives_back_the_same_meetings() -> None:
    meetings = [
        make_meeting(types=("B", "O", "ST"), description="Bring your Big Book."),
        make_meeting("early-birds", "Early Birds ☀️", days=("MO", "TU", "WE", "TH", "FR"), at=time(6, 45),
                     zone="Asia/Kolkata", duration=45, meeting_id=2),
        make_meeting("midnight-oil", "Midnight Oil", days=("FR", "SA"), at=time(23, 15), zone="America/St_Johns",
                     duration=120, location=Location(Place.STAGE, channel_id=99), meeting_id=3),
    ]
    rows = export_feed(meetings, updated=NOW).rows
    result = parse(rows, zone="UTC")
    assert result.skipped == []
    assert result.warnings == []
    for draft, meeting in zip(result.drafts, meetings, strict=True):
        assert_same_meeting(draft, meeting)


ZONES = ["America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kathmandu", "America/St_Johns",
         "Pacific/Chatham", "America/Sao_Paulo", "UTC"]


@settings(max_examples=60, deadline=None)
@given(
    days=st.sets(st.sampled_from(recurrence.WEEKDAY_CODES), min_size=1),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    zone=st.sampled_from(ZONES),
    duration=st.integers(5, 480),
    types=st.sets(st.sampled_from(["O", "C", "D", "B", "W", "M", "LGBTQ", "12x12", "11"]), max_size=5),
    description=st.none() | st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1,
                                    max_size=80).map(str.strip).filter(bool),
)
def test_round_trip_holds_for_any_weekly_meeting(days: set[str], hour: int, minute: int, zone: str, duration: int,
                                                types: set[str], description: str | None) -> None:
    ordered = tuple(code for code in recurrence.WEEKDAY_CODES if code in days)
    try:
        meeting = make_meeting(days=ordered, at=time(hour, minute), zone=zone, duration=duration,
                               types=tuple(sorted(types)), description=description)
    except InvalidInput:
        assume(False)  # a time the clocks skip in that zone: such a meeting can't exist
        raise
    rows = export_feed([meeting], updated=NOW).rows
    assert schema_errors(rows) == []
    result = parse_feed(json.dumps(rows).encode(), default_zone="UTC", today=TODAY)
    assert result.skipped == []
    assert_same_meeting(result.drafts[0], meeting)


# --- import -------------------------------------------------------------------------------------------------------


def good_row(slug: str, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"name": slug.replace("-", " ").title(), "slug": slug, "day": 2, "time": "19:00",
                           "end_time": "20:00", "timezone": NY, "conference_url": ZOOM}
    row.update(changes)
    return {key: value for key, value in row.items() if value is not None}


def test_each_bad_row_is_skipped_with_its_reason_and_the_good_rows_beside_it_still_import() -> None:
    rows = [
        good_row("first-good"),
        good_row("bad-time", time="25:00"),
        good_row("unknown-zone", timezone="Mars/Olympus_Mons"),
        good_row("no-name", name=None),
        good_row("bad-link", conference_url="zoom meeting 123"),
        good_row("too-long", time="09:00", end_time="19:00"),
        good_row("first-good", name="Same slug again"),
        good_row("spring-forward", day=0, time="02:30", end_time="03:30"),
        good_row("last-good", day=[1, 3]),
    ]
    result = parse(rows)

    assert [d.slug for d in result.drafts] == ["first-good", "last-good"]
    why = reasons(result)
    assert sorted(why) == [2, 3, 4, 5, 6, 7, 8]
    assert "25:00" in why[2]
    assert "Mars/Olympus\\_Mons" in why[3]  # escaped: shown in Discord as typed
    assert why[4] == "The name can't be empty."
    assert "zoom meeting 123" in why[5]
    assert "600" in why[6]
    assert "Row 1 already uses the slug “first-good”" in why[7]
    assert "02:30 doesn't exist in America/New_York" in why[8]
    # Skipped rows are named so the person importing can find them in their own listing.
    assert [s.label for s in result.skipped] == ["bad-time", "unknown-zone", "no-name", "bad-link", "too-long",
                                                 "first-good", "spring-forward"]
    assert weekdays_of(result.drafts[1]) == ("MO", "WE")


def test_an_imported_row_becomes_a_linked_online_meeting_with_the_feeds_details() -> None:
    result = parse([{
        "name": "Sunday Serenity", "slug": "Sunday-Serenity-14", "day": 0, "time": "18:00", "end_time": "19:30",
        "timezone": "America/Chicago", "types": ["O", "D", "ONL"], "notes": "Cameras optional.",
        "conference_url": ZOOM, "conference_url_notes": "Passcode: 1234",
    }])
    (draft,) = result.drafts
    assert draft.name == "Sunday Serenity"
    assert draft.slug == "sunday-serenity-14"
    assert weekdays_of(draft) == ("SU",)
    assert draft.recurrence.local_time == time(18)
    assert draft.recurrence.zone == "America/Chicago"
    assert draft.recurrence.starts_on == TODAY
    assert draft.duration_minutes == 90
    assert draft.types == ("D", "O")  # ONL is implied here: every meeting is online
    assert draft.location == Location(Place.LINK, url=ZOOM)
    assert draft.description == "Cameras optional.\n\nPasscode: 1234"  # the passcode people need to get in
    assert draft.kind is MeetingKind.OTHER
    assert result.warnings == []


def test_missing_optional_fields_take_the_specs_defaults() -> None:
    result = parse([
        {"name": "Noon Meeting", "day": "3", "time": "12:00", "conference_url": ZOOM},
        {"name": "Noon Meeting", "day": 4, "time": "12:00", "conference_url": ZOOM},
        {"name": "Numbered", "slug": 1234, "day": [5], "time": "7:30", "conference_url": ZOOM},
        {"name": "Crosses midnight", "slug": "late", "day": 6, "time": "23:30", "end_time": "00:15",
         "conference_url": "https://discord.com/channels/1/2"},
    ], zone="Europe/London")
    assert result.skipped == []
    noon, noon_again, numbered, late = result.drafts
    assert noon.duration_minutes == 60  # "default to one hour after the start time if omitted"
    assert noon.recurrence.zone == "Europe/London"  # no timezone in the row: the server's zone
    assert (noon.slug, noon_again.slug) == ("noon-meeting", "noon-meeting-2")
    assert numbered.slug == "1234"
    assert numbered.recurrence.local_time == time(7, 30)
    assert late.duration_minutes == 45
    assert late.location == Location(Place.LINK, url="https://discord.com/channels/1/2")


def test_unknown_type_codes_are_dropped_with_a_warning_and_the_meeting_still_imports() -> None:
    result = parse([good_row("local-codes", types=["O", "XYZ", "Women", "ONL", "LOCAL1"])])
    (draft,) = result.drafts
    assert draft.types == ("O", "W")
    (warning,) = result.warnings
    assert warning.label == "local-codes"
    assert "XYZ" in warning.reason
    assert "LOCAL1" in warning.reason
    assert "ONL" not in warning.reason


def test_an_in_person_meeting_like_the_specs_example_is_skipped_not_imported_as_an_online_one() -> None:
    spec_example = {
        "name": "Sunday Serenity", "slug": "sunday-serenity-14", "day": 0, "time": "18:00", "end_time": "19:30",
        "location": "Alano Club", "group": "The Serenity Group", "notes": "Ring buzzer. Meeting is on the 2nd floor.",
        "updated": "2014-05-31 14:32:23", "url": "https://district123.org/meetings/sunday-serenity",
        "types": ["O", "T", "LGBTQ"], "address": "123 Main Street", "city": "Anytown", "state": "CA",
        "postal_code": "98765", "country": "US",
    }
    phone_only = good_row("phone-only", conference_url=None, conference_phone="+15551234567")
    result = parse([spec_example, phone_only, {"name": "By appointment", "conference_url": ZOOM}, "not a meeting"])
    assert result.drafts == []
    why = reasons(result)
    assert "no conference_url" in why[1]
    assert "only a phone number" in why[2]
    assert "no day" in why[3]
    assert "isn't a meeting" in why[4]
    assert result.skipped[3].label == "row 4"


def test_a_wrapped_list_is_accepted() -> None:
    result = parse_feed(json.dumps({"meetings": [good_row("wrapped")]}).encode(), default_zone=NY, today=TODAY)
    assert [d.slug for d in result.drafts] == ["wrapped"]


@pytest.mark.parametrize(("raw", "expected"), [
    (b"<html>Not found</html>", "isn't valid JSON"),
    (b"\xff\xfe\x00{", "isn't UTF-8"),
    (b"", "empty"),
    (json.dumps({"name": "One meeting", "slug": "one"}).encode(), "isn't a list of meetings"),
    (json.dumps([good_row(f"m-{n}") for n in range(FEED_MAX_ROWS + 1)]).encode(), "at most 500"),
    (b"[" + b" " * 1_000_001 + b"]", "at most 1 MB"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
])
def test_a_file_that_is_not_a_feed_is_refused_as_a_whole_with_a_hint(raw: bytes, expected: str) -> None:
    with pytest.raises(InvalidInput) as refusal:
        parse_feed(raw, default_zone=NY, today=TODAY)
    assert expected in refusal.value.message
