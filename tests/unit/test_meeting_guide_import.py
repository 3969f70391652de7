"""Reading Meeting Guide feeds as real intergroup feeds are written (fixtures in tests/data/meeting_guide/feeds)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from bot.services.errors import InvalidInput
from bot.services.meetings.data import SLUG_MAX, Location, MeetingDraft, MeetingKind, Place
from bot.services.meetings.guide_import import (
    FEED_MAX_BYTES,
    FEED_MAX_ROWS,
    FeedImport,
    RowKind,
    parse_feed,
    short_slug,
)
from tests.feed_fixtures import big_feed, feed_bytes, load, raw

TODAY = date(2026, 11, 30)
NY = "America/New_York"
ZOOM = "https://zoom.us/j/123456789"


def parse(rows: list[Any], zone: str = NY) -> FeedImport:
    return parse_feed(json.dumps(rows).encode(), default_zone=zone, today=TODAY)


def fixture(name: str, zone: str = NY) -> FeedImport:
    return parse_feed(raw(name), default_zone=zone, today=TODAY)


def by_slug(result: FeedImport) -> dict[str, MeetingDraft]:
    return {draft.origin.slug: draft for draft in result.drafts if draft.origin}


def weekdays_of(draft: MeetingDraft) -> tuple[str, ...]:
    rule = dict(part.split("=") for part in draft.recurrence.rule.split(";"))
    return tuple(rule["BYDAY"].split(","))


def good_row(slug: str, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"name": slug.replace("-", " ").title(), "slug": slug, "day": 2, "time": "19:00",
                           "end_time": "20:00", "timezone": NY, "conference_url": ZOOM}
    row.update(changes)
    return {key: value for key, value in row.items() if value is not None}


# -- the plugin's own output --------------------------------------------------------------------------------------


def test_the_wordpress_plugins_feed_imports_its_online_meetings_and_counts_the_rest() -> None:
    result = fixture("tsml_plugin")
    rows = load("tsml_plugin")
    online = [r for r in rows if r.get("conference_url") or r.get("conference_phone")]
    assert result.rows == 40
    assert len(result.drafts) == len(online) == 20
    assert (result.in_person, result.inactive) == (19, 1)
    assert result.skipped == []  # in-person rows are counted, never reported one by one


def test_long_wordpress_slugs_are_shortened_the_same_way_every_time_and_kept_whole_as_the_origin() -> None:
    result = fixture("tsml_plugin")
    long_ones = [d for d in result.drafts if d.origin and len(d.origin.slug) > SLUG_MAX]
    assert long_ones, "the fixture has slugs longer than 64 characters"
    for draft in long_ones:
        assert draft.slug is not None and len(draft.slug) <= SLUG_MAX
        assert draft.slug == short_slug(draft.origin.slug)  # the next import finds the same short name
    again = fixture("tsml_plugin")
    assert [d.slug for d in again.drafts] == [d.slug for d in result.drafts]
    assert len({d.slug for d in result.drafts}) == len(result.drafts)


def test_a_bad_end_time_gives_the_specs_one_hour_with_a_warning() -> None:
    result = fixture("tsml_plugin")
    drafts = by_slug(result)
    warned = {note.label: note.reason for note in result.warnings if note.kind == RowKind.END_TIME}
    # 19:00-19:00; 12:15-01:15 (a typo for 13:15); a 24-hour 00:00-23:59 marathon.
    assert set(warned) == {"sunday-speaker-meeting", "lunch-bunch-online", "saturday-marathon-meeting-24-hours"}
    for slug in warned:
        assert drafts[slug].duration_minutes == 60
    assert "gives no time at all" in warned["sunday-speaker-meeting"]
    assert "01:15 (from 12:15) gives 13 h 00 min" in warned["lunch-bunch-online"]


def test_phone_numbers_and_notes_are_kept_apart_from_the_meetings_own_notes() -> None:
    rows = {row["slug"]: row for row in load("tsml_plugin") if isinstance(row, dict)}
    drafts = by_slug(fixture("tsml_plugin"))
    with_both = [slug for slug, row in rows.items() if row.get("conference_phone") and row.get("conference_url")]
    assert with_both
    for slug in with_both:
        where = drafts[slug].location
        assert where.url == rows[slug]["conference_url"]
        assert where.phone is not None and where.phone.replace(",", "").startswith("+1")
        assert where.phone_notes == rows[slug].get("conference_phone_notes")
        assert where.url_notes == rows[slug].get("conference_url_notes")
        assert drafts[slug].description == rows[slug].get("notes")


def test_phone_only_meetings_are_online_meetings_with_the_number_shown() -> None:
    result = fixture("phone_only")
    assert len(result.drafts) == 8 and result.skipped == [] and result.in_person == 0
    phone_only = [d for d in result.drafts if d.location.url is None]
    assert len(phone_only) == 6
    for draft in phone_only:
        assert draft.location.place is Place.LINK and draft.location.phone
        assert draft.location.phone.lstrip("+").replace(",", "").replace("#", "").replace("*", "").isdigit()


def test_hybrid_meetings_keep_where_they_meet_in_person() -> None:
    result = fixture("hybrid")
    assert len(result.drafts) == 10 and result.skipped == []
    drafts = by_slug(result)
    newark = drafts["newark-nooners"].location
    assert (newark.venue, newark.address) == ("Newark Alano Club", "415 Capitol Trail, Newark, DE 19711, USA")
    # A feed that gives the address in parts (the spec's own example) is joined the way the plugin joins it.
    serenity = drafts["sunday-serenity-14"].location
    assert serenity.venue == "Alano Club"
    assert serenity.address is not None and serenity.address.startswith("123 Main Street, Anytown")
    # An online meeting with an approximate town (the plugin's "online") keeps no address.
    online = [d for d in fixture("tsml_plugin").drafts if d.location.venue is None and d.location.address is None]
    assert online


def test_the_listing_date_of_each_row_is_kept_not_replaced_by_the_import_time() -> None:
    drafts = by_slug(fixture("tsml_plugin"))
    rows = {row["slug"]: row for row in load("tsml_plugin") if isinstance(row, dict)}
    for slug, draft in drafts.items():
        assert draft.origin is not None
        expected = datetime.strptime(rows[slug]["updated"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        assert draft.origin.updated == expected


def test_html_entities_the_plugin_stores_are_read_as_the_characters_they_are() -> None:
    # WordPress stores "&" in a title as "&amp;" (the fixture's "12 &amp; 12 Study" is in person).
    row = good_row("twelve-and-twelve", name="12 &amp; 12 Study", notes="Step 1<br />Step 2<b>!</b>")
    [draft] = parse([row]).drafts
    assert draft.name == "12 & 12 Study"
    assert draft.description == "Step 1\nStep 2!"


# -- older and hand-made feeds ----------------------------------------------------------------------------------


def test_twelve_hour_times_day_names_and_one_element_arrays_are_read() -> None:
    result = fixture("mixed_formats")
    drafts = by_slug(result)
    assert len(result.drafts) == 22 and result.in_person == 3
    expected = {
        "lunch-bunch": (time(12), ("MO",)),  # "12:00 pm"
        "keep-it-simple-sheet": (time(19), ("MO",)),  # "7 pm", "monday"
        "thursday-night-step-study": (time(19), ("TH",)),  # "7pm", "Thursday"
        "sunday-morning-discussion": (time(11), ("SU",)),  # "11:00 AM", "Sunday"
        "1130": (time(19, 30), ("TH",)),  # "19:30:00"
        "1112": (time(9, 45), ("SA",)),  # "9:45am"
        "ballard-mens-stag": (time(7), ("TU",)),  # [2]
        "ga-4410": (time(20), ("MO", "WE")),  # ["1", "3"]
        "0d6a1b1bb1d0e2f7f0d15c8a6e7a9c44": (time(19, 30), ("SU",)),  # "7:30PM"
    }
    for slug, (at, days) in expected.items():
        assert (drafts[slug].recurrence.local_time, weekdays_of(drafts[slug])) == (at, days), slug
    # Integer slugs are slugs too; type names and the plugin's old aliases become codes.
    assert drafts["2211"].types == ("B", "O")
    assert drafts["women-s-step-study"].types == ("C", "ST", "W")  # "Closed,Step Meeting,Women"


def test_rows_without_a_time_zone_take_the_servers_and_the_count_is_kept_to_say_so() -> None:
    result = fixture("mixed_formats", zone="America/Chicago")
    assert result.zone_defaulted == 22 and result.default_zone == "America/Chicago"
    assert {d.recurrence.zone for d in result.drafts} == {"America/Chicago"}


def test_unknown_area_codes_are_dropped_and_counted_across_the_feed() -> None:
    result = fixture("mixed_formats")
    assert result.unknown_types["BB"] == 3
    assert "ONL" not in result.unknown_types


def test_a_misspelt_zone_is_refused_for_that_row_rather_than_guessed() -> None:
    result = fixture("mixed_formats")
    [skipped] = result.skipped
    assert skipped.kind == RowKind.BAD_ZONE and "American/Los Angeles" in skipped.reason


# -- hostile rows ------------------------------------------------------------------------------------------------


def test_hostile_rows_are_each_skipped_with_a_reason_or_imported_clean_and_none_breaks_the_import() -> None:
    result = fixture("hostile")
    assert result.rows == 40
    kinds = {note.label: note.kind for note in result.skipped}
    assert kinds["huge-day"] == RowKind.BAD_DAY  # 5,000 digits: Python's reader refuses it, the row is skipped
    assert kinds["bad-time"] == RowKind.BAD_TIME
    assert kinds["zero-width-name"] == RowKind.NO_NAME
    assert kinds["javascript-url"] == RowKind.BAD_LINK
    assert kinds["traversal-timezone"] == RowKind.BAD_ZONE
    assert [n.kind for n in result.skipped if n.label.startswith("row ")] == [RowKind.NOT_A_MEETING] * 5
    for draft in result.drafts:
        assert "\x00" not in draft.name and "\u200b" not in draft.name and "\u202e" not in draft.name
        assert len(draft.name) <= 100
        assert draft.description is None or len(draft.description) <= 1000
        assert draft.location.url is None or draft.location.url.startswith(("https://", "http://"))
        assert len(draft.types) <= 12
    assert not any("Error" in note.reason or "Traceback" in note.reason for note in result.skipped)


def test_a_day_with_five_thousand_digits_is_one_skipped_row_not_a_failed_import() -> None:
    rows = feed_bytes([good_row("fine")])[:-1] + b',{"name":"Huge","slug":"huge","day":' + b"9" * 5000 + \
        b',"time":"19:00","conference_url":"https://zoom.us/j/1"}]'
    result = parse_feed(rows, default_zone=NY, today=TODAY)
    assert [d.slug for d in result.drafts] == ["fine"]
    [skipped] = result.skipped
    assert skipped.kind == RowKind.BAD_DAY and "999999999999…" in skipped.reason


def test_markup_in_a_name_is_kept_as_typed_for_storage() -> None:
    result = fixture("hostile")
    names = {d.origin.slug: d.name for d in result.drafts if d.origin}
    assert any("```" in name for name in names.values())
    assert any("[" in name and "](" in name for name in names.values())


# -- sizes -------------------------------------------------------------------------------------------------------


def test_a_five_thousand_row_feed_is_read_whole() -> None:
    rows = big_feed(5000)
    data = feed_bytes(rows)
    assert len(data) > 4_000_000  # real feeds: about 0.9 kB a row
    result = parse_feed(data, default_zone=NY, today=TODAY)
    online = [r for r in rows if r.get("conference_url") or r.get("conference_phone")]
    assert result.rows == 5000
    assert len(result.drafts) + len(result.skipped) == len(online)
    assert result.in_person + result.inactive == 5000 - len(online)
    assert len({d.slug for d in result.drafts}) == len(result.drafts)


@pytest.mark.parametrize(("data", "expected"), [
    (b"<html>Not found</html>", "isn't valid JSON"),
    (b"\xff\xfe\x00{", "isn't UTF-8"),
    (b"", "empty"),
    (json.dumps({"name": "One meeting", "slug": "one"}).encode(), "isn't a list of meetings"),
    (json.dumps([good_row(f"m-{n}") for n in range(FEED_MAX_ROWS + 1)]).encode(), "at most 5,000"),
    (b"[" + b" " * FEED_MAX_BYTES + b"]", "at most 10 MB"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
])
def test_a_file_that_is_not_a_feed_is_refused_as_a_whole_with_a_hint(data: bytes, expected: str) -> None:
    with pytest.raises(InvalidInput) as refusal:
        parse_feed(data, default_zone=NY, today=TODAY)
    assert expected in refusal.value.message


# -- single rows ---------------------------------------------------------------------------------------------------


def test_an_imported_row_becomes_an_online_meeting_with_the_feeds_details() -> None:
    result = parse([{
        "name": "Sunday Serenity", "slug": "Sunday-Serenity-14", "day": 0, "time": "18:00", "end_time": "19:30",
        "timezone": "America/Chicago", "types": ["O", "D", "ONL"], "notes": "Cameras optional.",
        "conference_url": ZOOM, "conference_url_notes": "Passcode: 1234",
        "updated": "2024-05-31 14:32:23",
    }])
    (draft,) = result.drafts
    assert draft.name == "Sunday Serenity"
    assert draft.slug == "sunday-serenity-14"
    assert draft.origin is not None and draft.origin.slug == "Sunday-Serenity-14"
    assert weekdays_of(draft) == ("SU",)
    assert (draft.recurrence.local_time, draft.recurrence.zone) == (time(18), "America/Chicago")
    assert draft.recurrence.starts_on == TODAY
    assert draft.duration_minutes == 90
    assert draft.types == ("D", "O")  # ONL is implied here: every meeting is online
    assert draft.location == Location(Place.LINK, url=ZOOM, url_notes="Passcode: 1234")
    assert draft.description == "Cameras optional."
    assert draft.kind is MeetingKind.OTHER
    assert draft.origin.updated == datetime(2024, 5, 31, 14, 32, 23, tzinfo=UTC)
    assert result.warnings == []


def test_missing_optional_fields_take_the_specs_defaults() -> None:
    result = parse([
        {"name": "Noon Meeting", "day": "3", "time": "12:00", "conference_url": ZOOM},
        {"name": "Noon Meeting", "day": 4, "time": "noon", "conference_url": ZOOM},
        {"name": "Numbered", "slug": 1234, "day": [5], "time": "7:30", "conference_url": ZOOM},
        {"name": "Crosses midnight", "slug": "late", "day": 6, "time": "23:30", "end_time": "00:15",
         "conference_url": "https://discord.com/channels/1/2"},
    ], zone="Europe/London")
    assert result.skipped == []
    noon, noon_again, numbered, late = result.drafts
    assert noon.duration_minutes == 60  # "default to one hour after the start time if omitted"
    assert noon.recurrence.zone == "Europe/London"  # no timezone in the row: the server's zone
    assert result.zone_defaulted == 4
    assert (noon.slug, noon_again.slug) == ("noon-meeting", "noon-meeting-2")
    assert noon_again.recurrence.local_time == time(12)
    assert numbered.slug == "1234"
    assert late.duration_minutes == 45


def test_a_time_the_clocks_skip_once_a_year_is_imported_with_a_warning() -> None:
    result = parse([good_row("night-owls", day=0, time="02:30", end_time="03:30")])
    [draft] = result.drafts
    assert draft.recurrence.local_time == time(2, 30)
    [warning] = result.warnings
    assert warning.kind == RowKind.SKIPPED_HOUR and "an hour later" in warning.reason


def test_a_bad_phone_beside_a_good_link_is_left_out_with_a_warning() -> None:
    result = parse([good_row("odd-phone", conference_phone="call Bob")])
    [draft] = result.drafts
    assert draft.location.phone is None and draft.location.url == ZOOM
    [warning] = result.warnings
    assert warning.kind == RowKind.DROPPED and "conference_phone" in warning.reason


def test_duplicate_slugs_keep_the_first_row() -> None:
    result = parse([good_row("same"), good_row("same", name="Second"), good_row("Same", name="Third")])
    assert [d.name for d in result.drafts] == ["Same"]
    assert [n.kind for n in result.skipped] == [RowKind.DUPLICATE, RowKind.DUPLICATE]
