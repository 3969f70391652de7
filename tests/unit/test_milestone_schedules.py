"""Milestone arithmetic: months and years counted from the clean date itself, month ends and leap days decided on
purpose, days beginning at the member's midnight, and schedules as moderators type them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.services import timezones
from bot.services.errors import InvalidInput
from bot.services.milestones.dates import Mode, Timing, next_due, read_date
from bot.services.milestones.schedules import (
    MAX_YEARS,
    PRESETS,
    Milestone,
    Preset,
    Schedule,
    first_on_or_after,
    progress,
    read_custom,
)
from bot.services.milestones.sweep import LATE_LIMIT, line_for, messages_for, next_sweep_at, outcome

starts = st.dates(min_value=date(1930, 1, 1), max_value=date(2026, 12, 31))
schedules = st.sampled_from([PRESETS[p] for p in (Preset.DEFAULT, Preset.KEYTAGS, Preset.CHIPS, Preset.MONTHLY)])
ZONES = ["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kathmandu", "America/St_Johns", "Europe/London",
         "America/New_York", "Australia/Lord_Howe"]


def test_month_ends_and_leap_days_are_decided_on_purpose() -> None:
    one_month, two_months, one_year = Milestone(1, "m"), Milestone(2, "m"), Milestone(1, "y")
    assert one_month.day(date(2025, 1, 31)) == date(2025, 2, 28)  # the month's last day, never 3 March
    assert one_month.day(date(2024, 1, 31)) == date(2024, 2, 29)
    assert two_months.day(date(2025, 1, 31)) == date(2025, 3, 31)  # from the clean date, not chained from February
    assert one_year.day(date(2024, 2, 29)) == date(2025, 2, 28)
    assert Milestone(4, "y").day(date(2024, 2, 29)) == date(2028, 2, 29)
    assert Milestone(1, "d").name == "24 hours" and Milestone(18, "m").name == "18 months"


@given(start=starts, months=st.integers(1, 1200))
def test_a_month_milestone_is_in_its_own_month_on_the_clean_dates_day_or_that_months_last(start: date,
                                                                                        months: int) -> None:
    day = Milestone(months, "m").day(start)
    assert (day.year * 12 + day.month) - (start.year * 12 + start.month) == months
    assert day.day == start.day or (day.day < start.day and (day + timedelta(days=1)).day == 1)


@given(start=starts, schedule=schedules)
def test_a_schedule_walks_in_order_bounded_and_never_twice_on_one_day(start: date, schedule: Schedule) -> None:
    walked = list(schedule.walk(start))
    days = [day for day, _ in walked]
    assert days == sorted(days) and len(set(days)) == len(days)
    assert all(day > start for day in days)
    assert len(walked) <= len(schedule.listed) + MAX_YEARS


@given(start=starts, today=st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)), schedule=schedules)
def test_progress_has_the_last_milestone_reached_and_the_next_one(start: date, today: date,
                                                                   schedule: Schedule) -> None:
    if today < start:
        return
    p = progress(start, today, schedule)
    assert p.days == (today - start).days
    assert p.current is None or p.current[0] <= today
    assert p.next is None or p.next[0] > today
    assert 0.0 <= p.share_to_next <= 1.0
    # years, months and days add back up to the date
    from dateutil.relativedelta import relativedelta
    assert start + relativedelta(years=p.years, months=p.months, days=p.rest_days) == today


@given(start=starts, zone=st.sampled_from(ZONES), hour=st.integers(0, 23),
       now=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)))
def test_the_next_due_instant_is_a_milestone_day_at_the_hour_on_the_members_clock(start: date, zone: str, hour: int,
                                                                                 now: datetime) -> None:
    when = Timing(PRESETS[Preset.DEFAULT], hour, zone)
    due = next_due(start, zone, when, now)
    today = timezones.today_in(zone, now)
    if start > today:
        return
    assert due is not None
    local = due.astimezone(ZoneInfo(zone))
    found = first_on_or_after(start, today, when.schedule)
    assert found is not None and local.date() == found[0]
    assert local.hour in (hour, (hour + 1) % 24)  # the hour, or just after it on a spring-forward night


def test_a_day_begins_at_midnight_on_the_members_clock() -> None:
    start = date(2025, 12, 1)  # 1 year on 2026-12-01
    when = Timing(PRESETS[Preset.DEFAULT], 9, "Pacific/Kiritimati")  # UTC+14
    just_before = datetime(2026, 11, 30, 9, 59, tzinfo=UTC)  # 23:59 on the 30th in Kiritimati
    at_midnight = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # 00:00 on 1 December there
    assert timezones.today_in("Pacific/Kiritimati", just_before) == date(2026, 11, 30)
    assert timezones.today_in("Pacific/Kiritimati", at_midnight) == date(2026, 12, 1)
    # At 09:00 on 1 December in Kiritimati (19:00 UTC on the 30th) the year is celebrated, not a minute before.
    nine = datetime.combine(date(2026, 12, 1), time(9), ZoneInfo("Pacific/Kiritimati")).astimezone(UTC)
    assert outcome(start, "Pacific/Kiritimati", when, nine - timedelta(minutes=1)).celebrate is None
    celebrated = outcome(start, "Pacific/Kiritimati", when, nine).celebrate
    assert celebrated is not None and celebrated[1] == Milestone(1, "y") and celebrated[2] == 0


def test_after_downtime_a_milestone_is_celebrated_up_to_a_week_late_then_passed_over() -> None:
    start = date(2025, 11, 1)  # 1 year on 2026-11-01
    when = Timing(PRESETS[Preset.DEFAULT], 9, "UTC")
    for late, expected in [(0, 0), (1, 1), (LATE_LIMIT, LATE_LIMIT)]:
        result = outcome(start, "UTC", when, datetime(2026, 11, 1 + late, 9, 30, tzinfo=UTC))
        assert result.celebrate is not None and result.celebrate[2] == expected
        assert result.next_at == datetime(2027, 5, 1, 9, tzinfo=UTC)  # 18 months comes next
    assert outcome(start, "UTC", when, datetime(2026, 11, 1 + LATE_LIMIT + 1, 9, 30, tzinfo=UTC)).celebrate is None
    # 24 hours and 7 days both fell in a gap: only the latest is celebrated
    both = outcome(date(2026, 11, 20), "UTC", when, datetime(2026, 11, 27, 10, tzinfo=UTC))
    assert both.celebrate is not None and both.celebrate[1] == Milestone(7, "d")


def test_custom_schedules_are_read_as_typed_or_refused_kindly() -> None:
    custom = read_custom("24h, 1w, 30 days, 3m, 6 months, 1y, yearly")
    assert [m.name for m in custom.listed] == ["24 hours", "7 days", "30 days", "3 months", "6 months", "1 year"]
    assert custom.yearly and not read_custom("30d, 90d").yearly
    assert read_custom("30d, 30 days, 720h").listed == (Milestone(30, "d"),)  # the same day once
    assert read_custom(", ".join(m.name for m in custom.listed)) == Schedule(custom.listed, yearly=False)
    longest = read_custom(", ".join(f"{9999 - n} days" for n in range(30)) + ", yearly")
    assert len(longest.as_text()) <= 300 and read_custom(longest.as_text()) == longest  # it fits the stored column
    for typed, says in [("", "at least one"), ("soon", "can't read"), ("0d", "out of range"), ("36h", "whole days"),
                        ("101y", "out of range"), (", ".join(["1d"] * 31), "keep the list to 30")]:
        with pytest.raises(InvalidInput, match=says):
            read_custom(typed)


def test_a_clean_date_in_the_future_or_nonsense_is_refused_with_an_example() -> None:
    today = date(2026, 11, 30)
    assert read_date(" 2025-03-14 ", today) == date(2025, 3, 14)
    for typed, says in [("2026-12-01", "hasn't come yet"), ("14/03/2025", "e.g. 2025-03-14"),
                        ("2025-02-30", "year-month-day"), ("1900-01-01", "more than 100 years"),
                        ("yesterday", "can't read")]:
        with pytest.raises(InvalidInput, match=says):
            read_date(typed, today)


def test_one_sweeps_lines_go_in_one_message_split_only_at_discords_limits() -> None:
    few = [line_for(Mode.PUBLIC, 1000 + n, Milestone(1, "y"), 0) for n in range(3)]
    assert len(messages_for(few)) == 1 and messages_for(few)[0][1] == [1000, 1001, 1002]
    many = [line_for(Mode.PUBLIC if n % 2 else Mode.ANONYMOUS, 10**17 + n, Milestone(30, "d", "orange keytag"), 1)
            for n in range(400)]
    messages = messages_for(many)
    assert len(messages) > 1
    assert all(len(text) <= 2000 and len(mentions) <= 100 for text, mentions in messages)
    assert sum(text.count("🎉") for text, _ in messages) == 400
    assert [m for _, mentions in messages for m in mentions] == [10**17 + n for n in range(400) if n % 2]
    assert "A member reached **30 days (orange keytag)** yesterday!" in messages[0][0]


def test_sweeps_fall_on_every_quarter_hour() -> None:
    assert next_sweep_at(datetime(2026, 11, 30, 9, 0, tzinfo=UTC)) == datetime(2026, 11, 30, 9, 15, tzinfo=UTC)
    assert next_sweep_at(datetime(2026, 11, 30, 9, 44, 59, tzinfo=UTC)) == datetime(2026, 11, 30, 9, 45, tzinfo=UTC)
