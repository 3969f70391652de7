"""Meeting Guide feeds out: what we publish passes the published schema, and importing it gives the same meetings."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, time
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from bot.services import recurrence
from bot.services.errors import InvalidInput
from bot.services.meetings.data import FeedOrigin, Location, Meeting, MeetingDraft, MeetingKind, Place
from bot.services.meetings.guide import export_feed
from bot.services.meetings.guide_import import FeedImport, parse_feed
from bot.services.text import clean, has_visible

SCHEMAS = Path(__file__).parents[1] / "data" / "meeting_guide"
GUILD = 700000000000000001
TODAY = date(2026, 11, 21)
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
NY = "America/New_York"
ZOOM = "https://zoom.us/j/123456789"


@cache
def feed_validator() -> jsonschema.Draft7Validator:
    """The vendored feed schema, with its $refs resolved from the vendored files only (no network).

    Two rules of the draft schema are brought in line with the spec it drafts (see SOURCE.md): the type
    codes are the spec's current list (types.json), and a phone number may carry the ",,", "*" and "#"
    the README allows for one-tap links.
    """
    resources = []
    for name in ("feed.schema.json", "meeting.schema.json", "meeting-type.schema.json"):
        contents = json.loads((SCHEMAS / name).read_text("utf-8"))
        if name == "meeting-type.schema.json":
            current = sorted(json.loads((SCHEMAS / "types.json").read_text("utf-8")))
            contents["items"]["anyOf"][0]["enum"] = current
        if name == "meeting.schema.json":
            contents["properties"]["conference_phone"]["pattern"] = r"^[+]?\d{1,15}[\d,*#]*$"
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


def test_export_keeps_what_an_import_took_phone_notes_venue_listing_date_and_new_type_codes() -> None:
    hybrid = Location(Place.LINK, url=ZOOM, phone="+16465588656,,81234567890#", url_notes="Passcode: serenity",
                      phone_notes="Meeting ID 812 3456 7890", venue="Alano Club",
                      address="123 Main St, Springfield, IL 62701, USA")
    phone_only = Location(Place.LINK, phone="+15555550123")
    listed = datetime(2024, 5, 31, 14, 32, 23, tzinfo=UTC)
    meetings = [
        make_meeting(location=hybrid, types=("AF", "MT", "NE", "O"), updated_at=NOW),
        make_meeting("dial-in", "Dial-in Serenity", location=phone_only, meeting_id=2),
    ]
    meetings[0] = dataclasses.replace(meetings[0], origin=FeedOrigin("sunday-serenity", updated=listed))
    rows = export_feed(meetings, updated=NOW).rows
    assert schema_errors(rows) == []
    serenity, dial_in = rows
    assert serenity["conference_phone"] == "+16465588656,,81234567890#"
    assert serenity["conference_url_notes"] == "Passcode: serenity"
    assert serenity["conference_phone_notes"] == "Meeting ID 812 3456 7890"
    assert (serenity["location"], serenity["formatted_address"]) == ("Alano Club",
                                                                    "123 Main St, Springfield, IL 62701, USA")
    assert serenity["types"] == ["AF", "MT", "NE", "O"]
    assert serenity["updated"] == "2024-05-31 14:32:23"  # the listing's own date, not when we stored it
    assert "conference_url" not in dial_in and dial_in["conference_phone"] == "+15555550123"


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
    assert "no channel, link or phone number" in why["no-room-yet"]


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
    # Descriptions as they are stored: cleaned of what nobody sees (see bot.services.text).
    description=st.none() | st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1,
                                    max_size=80).filter(has_visible).map(lambda t: clean(t, one_line=False)),
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
