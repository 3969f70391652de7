"""Recurring meetings: right in every zone, across daylight-saving changes, with clear refusals."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.services import recurrence
from bot.services.errors import InvalidInput

NY = "America/New_York"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_seven_pm_in_new_york_stays_seven_pm_across_the_spring_change() -> None:
    tuesdays = recurrence.weekly(["TU"], time(19), NY, date(2026, 3, 1))
    starts = recurrence.occurrences(tuesdays, utc(2026, 3, 1), utc(2026, 3, 18))
    assert [s.astimezone(ZoneInfo(NY)).strftime("%a %d %H:%M") for s in starts] == [
        "Tue 03 19:00", "Tue 10 19:00", "Tue 17 19:00"]
    # The UTC instant moves by an hour when New York moves to daylight time on 8 March.
    assert [s.hour for s in starts] == [0, 23, 23]


def test_every_other_tuesday_and_first_saturday() -> None:
    fortnightly = recurrence.from_rule("RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", time(18, 30), "Europe/London",
                                       date(2026, 1, 6))
    starts = recurrence.occurrences(fortnightly, utc(2026, 1, 1), utc(2026, 2, 1))
    assert [s.day for s in starts] == [6, 20]
    first_saturday = recurrence.from_rule("freq=monthly;byday=1sa", time(10), "Australia/Sydney", date(2026, 1, 1))
    local_days = [s.astimezone(first_saturday.tz).date() for s in
                  recurrence.occurrences(first_saturday, utc(2026, 1, 1), utc(2026, 4, 1))]
    assert local_days == [date(2026, 1, 3), date(2026, 2, 7), date(2026, 3, 7)]


def test_skipped_dates_and_the_end_of_a_series() -> None:
    weekly = recurrence.weekly(["MO"], time(12), "UTC", date(2026, 6, 1), until=date(2026, 6, 22))
    starts = recurrence.occurrences(weekly, utc(2026, 6, 1), utc(2026, 7, 31), skipped=[date(2026, 6, 8)])
    assert [s.day for s in starts] == [1, 15, 22]
    assert recurrence.next_occurrence(weekly, utc(2026, 6, 23)) is None
    assert recurrence.next_occurrence(weekly, utc(2026, 6, 2)) == utc(2026, 6, 8, 12)


def test_a_repeated_hour_means_the_first_of_the_two() -> None:
    sundays = recurrence.weekly(["SU"], time(1, 30), NY, date(2026, 10, 25))
    [first] = recurrence.occurrences(sundays, utc(2026, 11, 1), utc(2026, 11, 2))
    assert first == utc(2026, 11, 1, 5, 30)  # 01:30 EDT, not 01:30 EST an hour later


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: recurrence.weekly(["SU"], time(2, 30), NY, date(2026, 1, 1)), "doesn't exist in America/New_York"),
        (lambda: recurrence.weekly(["MO"], time(19), "Mars/Olympus", date(2026, 1, 1)), "time zone"),
        (lambda: recurrence.weekly(["MO"], time(19), NY, date(2026, 5, 1), until=date(2026, 4, 1)), "before it starts"),
        (lambda: recurrence.from_rule("FREQ=WEEKLY;BYDAY=XX", time(19), NY, date(2026, 1, 1)), "two-letter weekdays"),
        (lambda: recurrence.from_rule("FREQ=HOURLY", time(19), NY, date(2026, 1, 1)), "daily at most"),
        (lambda: recurrence.from_rule("FREQ=WEEKLY;BYHOUR=7", time(19), NY, date(2026, 1, 1)), "separate options"),
        (lambda: recurrence.from_rule("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", time(19), NY, date(2026, 1, 1)),
         "never produces"),
        (lambda: recurrence.weekly([], time(19), NY, date(2026, 1, 1)), "at least one weekday"),
    ],
)
def test_bad_schedules_are_refused_with_an_example(make: Callable[[], object], message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        make()
    assert message in caught.value.message


def test_the_refusal_of_a_skipped_hour_names_the_day() -> None:
    with pytest.raises(InvalidInput) as caught:
        recurrence.weekly(["SU"], time(2, 30), NY, date(2026, 1, 1))
    assert "Sunday 08 March 2026" in caught.value.message


@pytest.mark.parametrize(("text", "expected"), [("19:00", time(19)), ("7pm", time(19)), ("7:30 PM", time(19, 30)),
                                                 ("0730", time(7, 30)), ("12am", time(0)), ("12 pm", time(12))])
def test_times_people_type(text: str, expected: time) -> None:
    assert recurrence.parse_time(text) == expected


@pytest.mark.parametrize("text", ["25:00", "13pm", "noonish", "7:75"])
def test_unreadable_times(text: str) -> None:
    with pytest.raises(InvalidInput, match="19:00"):
        recurrence.parse_time(text)


def test_weekdays_people_type() -> None:
    assert recurrence.parse_weekdays("Fri, mon and Wednesday") == ("MO", "WE", "FR")
    with pytest.raises(InvalidInput, match="weekday"):
        recurrence.parse_weekdays("Funday")


# -- properties ---------------------------------------------------------------------------

ZONES = sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
weekday_sets = st.sets(st.sampled_from(recurrence.WEEKDAY_CODES), min_size=1).map(
    lambda days: [d for d in recurrence.WEEKDAY_CODES if d in days])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(zone=st.sampled_from(ZONES), days=weekday_sets, hour=st.integers(0, 23), minute=st.sampled_from([0, 15, 30, 45]),
       year=st.integers(2025, 2030))
def test_every_occurrence_is_at_the_stated_wall_time_none_lost_or_doubled(
    zone: str, days: list[str], hour: int, minute: int, year: int
) -> None:
    start = date(year, 1, 1)
    refusal: str | None = None
    try:
        schedule = recurrence.weekly(days, time(hour, minute), zone, start)
    except InvalidInput as exc:
        refusal = exc.message
    if refusal is not None:
        assert "doesn't exist" in refusal  # the only reason a valid zone and days are refused
        return
    tz = ZoneInfo(zone)
    window_start, window_end = datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)
    starts = recurrence.occurrences(schedule, window_start, window_end)
    local = [s.astimezone(tz) for s in starts]

    assert all(s.tzinfo is UTC for s in starts)
    assert all((t.hour, t.minute) == (hour, minute) for t in local), "every meeting at the stated wall time"
    assert starts == sorted(set(starts)), "none doubled, in order"
    expected_days = [start + timedelta(days=i) for i in range((date(year + 1, 1, 1) - start).days)]
    wanted = [d for d in expected_days if recurrence.WEEKDAY_CODES[d.weekday()] in days]
    assert [t.date() for t in local] == wanted, "none lost"


RULES = (
    "FREQ=DAILY", "FREQ=DAILY;INTERVAL=3", "FREQ=WEEKLY", "FREQ=WEEKLY;BYDAY=MO,TH", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
    "FREQ=WEEKLY;INTERVAL=3;BYDAY=SA,SU;WKST=SU", "FREQ=MONTHLY;BYDAY=1SA", "FREQ=MONTHLY;BYDAY=-1FR",
    "FREQ=MONTHLY;BYMONTHDAY=31", "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=15", "FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=-1",
    "FREQ=WEEKLY;BYDAY=WE;COUNT=12", "FREQ=YEARLY;BYMONTH=1,7;BYDAY=1SU", "FREQ=WEEKLY;BYDAY=FR;UNTIL=20270305T190000",
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule=st.sampled_from(RULES), zone=st.sampled_from(["America/New_York", "Europe/London", "Australia/Sydney",
                                                          "Asia/Kathmandu", "UTC"]),
       at=st.sampled_from([time(0, 30), time(7), time(19), time(23, 45)]),
       starts_on=st.dates(date(2024, 1, 1), date(2027, 6, 1)),
       ends_after=st.none() | st.integers(0, 400), window_from=st.dates(date(2023, 6, 1), date(2028, 1, 1)),
       window_days=st.integers(1, 60))
def test_occurrences_are_exactly_what_dateutil_gives_from_the_first_meeting(
    rule: str, zone: str, at: time, starts_on: date, ends_after: int | None, window_from: date, window_days: int
) -> None:
    """Planning starts dateutil's walk near the window and shares walks between meetings; this must
    give the same meetings as walking the whole series from its first day."""
    from dateutil.rrule import rrulestr

    until = None if ends_after is None else starts_on + timedelta(days=ends_after)
    try:
        schedule = recurrence.from_rule(rule, at, zone, starts_on, until)
    except InvalidInput:
        return  # a time clocks skip in that zone, or a rule with no meeting in the series
    tz = ZoneInfo(zone)
    after = datetime.combine(window_from, time(), tz)
    before = after + timedelta(days=window_days)

    series = rrulestr(rule, dtstart=datetime.combine(starts_on, at))
    walked = series.between(after.replace(tzinfo=None) - timedelta(days=2),
                            before.replace(tzinfo=None) + timedelta(days=2), inc=True)
    expected = [instant for local in walked if until is None or local.date() <= until
                if after <= (instant := local.replace(tzinfo=tz).astimezone(UTC)) < before]
    assert recurrence.occurrences(schedule, after, before) == expected


def test_ending_a_series_stops_it_even_when_its_rule_counts_its_meetings() -> None:
    counted = recurrence.from_rule("FREQ=WEEKLY;BYDAY=WE;COUNT=10", time(19), NY, date(2026, 1, 7),
                                   until=date(2026, 1, 21))
    starts = recurrence.occurrences(counted, utc(2026, 1, 1), utc(2026, 6, 1))
    assert [s.astimezone(ZoneInfo(NY)).date() for s in starts] == [date(2026, 1, 7), date(2026, 1, 14),
                                                                   date(2026, 1, 21)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(zone=st.sampled_from(["America/New_York", "Europe/London", "Australia/Lord_Howe", "America/Santiago",
                             "Asia/Tehran", "Africa/Cairo", "America/Havana", "Pacific/Chatham", "UTC"]),
       rule=st.sampled_from(RULES), at=st.sampled_from([time(0), time(0, 30), time(1, 30), time(2), time(2, 30),
                                                        time(3), time(23, 30)]),
       starts_on=st.dates(date(2024, 1, 1), date(2028, 12, 31)))
def test_the_day_a_meetings_time_is_skipped_is_found_from_the_clock_change_days_alone(
    zone: str, rule: str, at: time, starts_on: date
) -> None:
    """The check looks only at the days clocks change; it must find what walking every meeting finds."""
    from dateutil.rrule import rrulestr

    schedule = recurrence.Recurrence(rule, at, zone, starts_on)
    tz = ZoneInfo(zone)
    start = datetime.combine(starts_on, at)
    walked = rrulestr(rule, dtstart=start).between(start, start + recurrence.GAP_CHECK_HORIZON, inc=True)
    expected = next((local.date() for local in walked
                     if local.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local), None)
    assert recurrence.first_skipped_hour(schedule) == expected
