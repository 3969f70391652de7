"""Any rule a moderator can type is refused kindly or accepted, quickly, and every walk over it ends.

A rule once froze the whole bot: `FREQ=DAILY;INTERVAL=0` made dateutil walk forever on the event
loop. Here random rules, dates, times and zones are thrown at validation and at the walks that
follow it (listing a week, finding the next meeting), each run in a worker thread with a time limit,
so a walk that never ends fails the test instead of hanging it.
"""

from __future__ import annotations

import concurrent.futures
import time as clock
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.services import recurrence
from bot.services.errors import InvalidInput

T = TypeVar("T")
# Far above what any call takes (milliseconds), far below a freeze: a slow CI machine can't fail it.
TIME_LIMIT = 2.0
_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="rule-walk")
FORBIDDEN_WORDS = ("Traceback", "unpack", "invalid literal", "NoneType", "ValueError", "int()", "object")


def within_limit(call: Callable[[], T]) -> tuple[T, float]:
    started = clock.perf_counter()
    future = _POOL.submit(call)
    try:
        result = future.result(timeout=TIME_LIMIT)
    except concurrent.futures.TimeoutError:
        pytest.fail(f"a rule walk took longer than {TIME_LIMIT} s: it would block the event loop")
    return result, clock.perf_counter() - started


WEEKDAYS = st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"])
ODD_WEEKDAYS = st.sampled_from(["XX", "mo", "", "M0", "MON"])
HUGE = st.integers(-(10**25), 10**25)
ODD_NUMBERS = st.sampled_from(["", "x", "1.5", "²", "٣", " 1", "+2", "0x10", "1e3", "-0"])


def numbers(low: int, high: int) -> st.SearchStrategy[str]:
    """Mostly numbers near the valid range, sometimes huge or not numbers at all."""
    near = st.integers(low, high).map(str)
    return st.one_of(near, near, near, near, HUGE.map(str), ODD_NUMBERS)


def listed(item: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    some = st.lists(item, min_size=1, max_size=6).map(",".join)
    return st.one_of(some, some, some, some, st.just(""))


@st.composite
def plausible_rules(draw: st.DrawFn) -> str:
    """Rules near what moderators type: mostly valid parts, with values pushed past their ranges."""
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY", "DAILY", "WEEKLY", "MONTHLY", "HOURLY",
                                 "SOMETIMES"]))
    ordinal = st.one_of(st.none(), st.integers(-6, 6), st.integers(-60, 60))
    weekday = st.one_of(WEEKDAYS, WEEKDAYS, WEEKDAYS, ODD_WEEKDAYS)
    byday = st.tuples(ordinal, weekday).map(lambda p: f"{'' if p[0] is None else p[0]}{p[1]}")
    optional: dict[str, tuple[int, st.SearchStrategy[str]]] = {  # part: (chance in 10, values)
        "INTERVAL": (5, numbers(-2, 60)),
        "BYDAY": (5, listed(byday)),
        "BYMONTHDAY": (3, listed(numbers(-33, 33))),
        "BYMONTH": (3, listed(numbers(-1, 14))),
        "BYSETPOS": (2, listed(numbers(-8, 8))),
        "COUNT": (2, numbers(-1, 2000)),
        "UNTIL": (2, st.one_of(st.dates(date(1990, 1, 1), date(2250, 1, 1)).map(lambda d: d.strftime("%Y%m%d")),
                               st.sampled_from(["99999999", "20271301", "20270101T250000", "20270101T100000Z"]))),
        "WKST": (1, WEEKDAYS | ODD_WEEKDAYS),
        "BYHOUR": (1, st.integers(0, 30).map(str)),
        "BYYEARDAY": (1, st.integers(-400, 400).map(str)),
    }
    parts = [f"FREQ={freq}"]
    for key, (chance, values) in optional.items():
        if draw(st.integers(0, 9)) < chance:
            parts.append(f"{key}={draw(values)}")
    return ";".join(draw(st.permutations(parts)))


RULES = st.one_of(plausible_rules(), plausible_rules(), plausible_rules(), st.text(max_size=60))
DATES = st.one_of(st.dates(date(2020, 1, 1), date(2032, 1, 1)), st.dates(date(2020, 1, 1), date(2032, 1, 1)),
                  st.dates())


ZONES = st.sampled_from(["America/New_York", "Europe/London", "Australia/Lord_Howe", "Pacific/Chatham", "UTC",
                         "Asia/Kathmandu", "America/Santiago", "Africa/Casablanca"])


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule=RULES, at=st.times(), zone=ZONES, starts_on=DATES, until=st.none() | DATES,
       window=st.dates(date(2000, 1, 1), date(2200, 1, 1)))
@example(rule="FREQ=DAILY;INTERVAL=0", at=time(19), zone="UTC", starts_on=date(2026, 12, 1), until=None,
         window=date(2026, 12, 1))
@example(rule="FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30", at=time(19), zone="UTC", starts_on=date(2026, 12, 1),
         until=None, window=date(2026, 12, 1))
@example(rule="FREQ=DAILY;BYDAY=MO;INTERVAL=7", at=time(19), zone="UTC", starts_on=date(2026, 12, 1), until=None,
         window=date(2030, 1, 1))
def test_any_rule_is_refused_kindly_or_accepted_and_walked_within_limits(
    rule: str, at: time, zone: str, starts_on: date, until: date | None, window: date
) -> None:
    def validate() -> recurrence.Recurrence | str:
        try:
            return recurrence.from_rule(rule, at, zone, starts_on, until)
        except InvalidInput as refusal:
            return refusal.message

    checked, _took = within_limit(validate)
    if isinstance(checked, str):
        assert checked and not any(word in checked for word in FORBIDDEN_WORDS), checked
        return
    after = datetime.combine(window, time(), UTC)
    week, _took = within_limit(lambda: recurrence.occurrences(checked, after, after + timedelta(days=7)))
    assert len(week) <= 7 and week == sorted(week)
    upcoming, _took = within_limit(lambda: recurrence.next_occurrence(checked, after))
    if upcoming is not None:
        assert upcoming >= after
        # At least one meeting a year: the next one is never further than that from the series' start
        # or from the moment asked about, whichever is later.
        start = datetime.combine(checked.starts_on, time(), UTC)
        assert upcoming - max(after, start) <= timedelta(days=2 * 366 + 2)
    first = recurrence.first_occurrence(checked)
    assert first is not None and first.date() >= checked.starts_on


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=300))
def test_any_text_as_a_rule_is_read_or_refused_in_plain_words(text: str) -> None:
    try:
        read = recurrence.read_rule(text)
    except InvalidInput as refusal:
        message = refusal.message
    else:
        assert read.startswith("FREQ=")
        return
    assert not any(word in message for word in FORBIDDEN_WORDS), message
