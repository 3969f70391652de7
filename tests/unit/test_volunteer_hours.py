"""Volunteers' weekly hours as they type them: read kindly, refused clearly, and right on their own clock
across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.services.errors import InvalidInput
from bot.services.reachout.hours import EXAMPLE, Hours, parse

LONDON, NEW_YORK = "Europe/London", "America/New_York"


@pytest.mark.parametrize(("typed", "read"), [
    ("Mon-Fri 18:00-22:00, Sun 10:00-14:00", "Mon-Fri 18:00-22:00, Sun 10:00-14:00"),
    ("mon, wed 9-12", "Mon,Wed 09:00-12:00"),
    ("Mon - Fri 18:00 - 22:00", "Mon-Fri 18:00-22:00"),
    ("weekends 10-14; Tue 19:30 to 21:00", "Tue 19:30-21:00, Sat-Sun 10:00-14:00"),
    ("daily 20:00-24:00", "Daily 20:00-24:00"),
    ("Fri 22:00-02:00", "Fri 22:00-02:00"),
    ("Saturday and Sunday 8-9", "Sat-Sun 08:00-09:00"),
])
def test_hours_are_read_as_people_write_them(typed: str, read: str) -> None:
    assert parse(typed, LONDON).text == read


@pytest.mark.parametrize(("typed", "says"), [
    ("", "Give your hours"),
    ("whenever", "I can't read “whenever”"),
    ("Mon 18:00", "I can't read “Mon 18:00”"),
    ("Funday 10-12", "“funday” in “Funday 10-12” is not a day"),
    ("Mon 25:00-26:00", "is not a time on a 24-hour clock"),
    ("Mon 10:00-10:00", "starts and ends at the same time"),
    ("10:00-12:00", "needs its days"),
    ("Mon 9-10, " * 40, "keep your hours to 300"),
])
def test_hours_that_cannot_be_read_get_a_clear_message_with_an_example(typed: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says) as refused:
        parse(typed, LONDON)
    assert EXAMPLE in refused.value.message


def test_on_call_is_on_the_volunteers_own_clock_across_a_daylight_saving_change() -> None:
    hours = parse("Sun 18:00-22:00", NEW_YORK)
    # New York falls back on Sunday 2 November 2025: 18:00 there is 22:00 UTC the week before, 23:00 that day.
    assert hours.on_call(datetime(2025, 10, 26, 22, 30, tzinfo=UTC))  # 18:30 EDT
    assert not hours.on_call(datetime(2025, 11, 2, 22, 30, tzinfo=UTC))  # 17:30 EST: not yet
    assert hours.on_call(datetime(2025, 11, 2, 23, 30, tzinfo=UTC))  # 18:30 EST
    assert hours.next_start(datetime(2025, 11, 2, 12, 0, tzinfo=UTC)) == datetime(2025, 11, 2, 23, 0, tzinfo=UTC)


def test_a_window_past_midnight_runs_into_the_next_day() -> None:
    hours = parse("Fri 22:00-02:00", LONDON)
    assert hours.on_call(datetime(2026, 12, 4, 23, 0, tzinfo=UTC))  # Friday 23:00
    assert hours.on_call(datetime(2026, 12, 5, 1, 30, tzinfo=UTC))  # Saturday 01:30
    assert not hours.on_call(datetime(2026, 12, 5, 2, 0, tzinfo=UTC))
    assert not hours.on_call(datetime(2026, 12, 3, 23, 0, tzinfo=UTC))  # Thursday


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)),
       st.sampled_from([LONDON, NEW_YORK, "Australia/Sydney", "Asia/Kolkata"]))
def test_on_call_agrees_with_the_wall_clock(moment: datetime, zone: str) -> None:
    hours = parse("Mon-Fri 18:00-22:00, Sun 10:00-14:00", zone)
    local = moment.astimezone(ZoneInfo(zone))
    minutes = local.hour * 60 + local.minute
    expected = (local.weekday() < 5 and 18 * 60 <= minutes < 22 * 60) or \
        (local.weekday() == 6 and 10 * 60 <= minutes < 14 * 60)
    assert hours.on_call(moment) == expected
    following = hours.next_start(moment)
    assert following is not None and timedelta(0) < following - moment <= timedelta(days=7)
    assert hours.on_call(following)


def read(typed: str) -> tuple[Hours | None, str | None]:
    try:
        return parse(typed, LONDON), None
    except InvalidInput as refused:
        return None, refused.message


@given(st.text(max_size=400))
def test_any_text_is_read_or_refused_in_words(typed: str) -> None:
    hours, refusal = read(typed)
    if hours is None:
        assert refusal and "Traceback" not in refusal
    else:
        assert 1 <= len(hours.windows) <= 21 and parse(hours.text, LONDON) == hours  # its own words read back


DAYS = st.sampled_from(["Mon", "tue", "Wednesday", "Thu-Sat", "Sun-Tue", "weekdays", "weekends", "daily", "Fri"])
TIMES = st.builds(lambda h, m: f"{h}:{m:02d}", st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


@given(st.lists(st.tuples(DAYS, TIMES, TIMES).filter(lambda t: t[1] != t[2]), min_size=1, max_size=3))
def test_hours_as_people_write_them_read_back_the_same(items: list[tuple[str, str, str]]) -> None:
    typed = ", ".join(f"{days} {start}-{end}" for days, start, end in items)
    hours = parse(typed, LONDON)
    assert parse(hours.text, LONDON) == hours
