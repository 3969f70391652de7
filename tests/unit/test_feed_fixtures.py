"""The Meeting Guide feed fixtures themselves: the files parse and hold the shapes they claim, and big_feed() is
deterministic, the size asked for and as mixed as asked."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import pytest

from tests import feed_fixtures
from tests.feed_fixtures import big_feed, feed_bytes, load, raw

HHMM = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")


@pytest.mark.parametrize("name", feed_fixtures.NAMES)
def test_every_fixture_is_a_json_array(name: str) -> None:
    rows = load(name)
    assert rows
    assert load(f"{name}.json") == rows
    assert raw(name).decode("utf-8")


def test_an_unknown_fixture_name_is_refused() -> None:
    with pytest.raises(ValueError, match="no feed fixture"):
        raw("missing")


def test_plugin_fixture_looks_like_tsml_get_meetings_output() -> None:
    text = raw("tsml_plugin").decode("ascii")  # json_encode() escapes everything outside ASCII
    assert "\n" not in text and "\\/" in text and "\\u00ed" in text
    rows: list[dict[str, Any]] = load("tsml_plugin")
    assert len(rows) == 40
    assert all(list(row)[:3] == ["id", "name", "slug"] for row in rows)
    assert Counter(row["attendance_option"] for row in rows) == {"in_person": 19, "online": 14, "hybrid": 6,
                                                                 "inactive": 1}
    assert all(row["approximate"] == "yes" for row in rows if row["attendance_option"] == "online")
    assert sum("timezone" not in row for row in rows) == 2
    assert any(len(row["slug"]) > 64 for row in rows)
    assert any(row.get("time") == row.get("end_time") for row in rows)
    assert {"time": "00:00", "end_time": "23:59"}.items() <= next(r for r in rows if "Marathon" in r["name"]).items()


def test_hostile_fixture_keeps_the_5000_digit_day() -> None:
    assert re.search(rb"\b\d{5000}\b", raw("hostile"))
    rows = load("hostile")
    assert rows[0]["day"] == "1234567890" * 500
    assert [row for row in rows if not isinstance(row, dict)] == ["a string where a meeting should be", 42, None,
                                                                  [], True]


def test_big_feed_is_deterministic() -> None:
    assert big_feed(300, seed=7) == big_feed(300, seed=7)
    assert big_feed(300, seed=7) != big_feed(300, seed=8)


@pytest.mark.parametrize("rows", [0, 1, 2000])
def test_big_feed_has_the_requested_size_and_unique_slugs(rows: int) -> None:
    feed = big_feed(rows)
    assert len(feed) == rows
    assert len({row["slug"] for row in feed}) == rows
    assert len({row["id"] for row in feed}) == rows


def test_big_feed_rows_are_plugin_shaped() -> None:
    feed = big_feed(2000)
    assert any(len(row["slug"]) > 64 for row in feed)
    assert {row["day"] for row in feed} == set(range(7))
    assert all(HHMM.fullmatch(row["time"]) for row in feed)
    assert all(row["timezone"] for row in feed)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row["updated"]) for row in feed)
    kinds = Counter(row["attendance_option"] for row in feed)
    assert kinds["in_person"] > kinds["online"] > kinds["hybrid"] > kinds["inactive"] > 0
    for row in feed:
        online = row["attendance_option"] in ("online", "hybrid")
        assert online == ("ONL" in row["types"])
        assert not online or "conference_url" in row or "conference_phone" in row
    durations = Counter((_minutes(row["end_time"]) - _minutes(row["time"])) % 1440 for row in feed if "end_time" in row)
    assert (durations[60] + durations[90]) / sum(durations.values()) > 0.85


@pytest.mark.parametrize("share", [0.0, 0.2, 0.35, 0.7, 1.0])
def test_big_feed_online_share(share: float) -> None:
    feed = big_feed(1000, online_share=share, seed=3)
    online = sum(row["attendance_option"] == "online" for row in feed)
    assert abs(online / len(feed) - share) <= 0.05


def test_big_feed_bytes_are_realistic() -> None:
    """About 0.8-0.9 kB a row, as real intergroup feeds run."""
    feed = big_feed(2000)
    data = feed_bytes(feed)
    assert 700 <= len(data) / len(feed) <= 1000
    assert json.loads(data) == feed
    assert json.loads(feed_bytes(feed, php_escapes=False).decode("utf-8")) == feed
    assert b"\\/" in data and b"\\/" not in feed_bytes(feed, php_escapes=False)


def test_big_feed_refuses_impossible_arguments() -> None:
    with pytest.raises(ValueError, match="online_share"):
        big_feed(10, online_share=1.5)
    with pytest.raises(ValueError, match="rows"):
        big_feed(-1)


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)
