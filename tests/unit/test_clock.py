"""One clock: every "now" in the bot comes from bot.clock, which tests and scenarios move."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import clock

ROOT = Path(__file__).resolve().parents[2]


def test_travel_moves_the_clock_ticking_or_stopped_and_puts_it_back() -> None:
    real = clock.now()
    later = datetime(2031, 1, 1, 9, tzinfo=UTC)
    with clock.travel(later):
        assert later <= clock.now() < later + timedelta(seconds=5)
        with clock.travel(later + timedelta(days=1), tick=False):
            assert clock.now() == clock.now() == later + timedelta(days=1)
        assert clock.now() < later + timedelta(days=1)
    assert abs(clock.now() - real) < timedelta(seconds=5)
    assert clock.now().tzinfo is UTC


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"), clock.travel(datetime(2031, 1, 1)):
        pass


def test_no_code_reads_the_system_clock_around_the_one_clock() -> None:
    direct = re.compile(r"datetime\.(now|utcnow|today)\(|utils\.utcnow\(|date\.today\(")
    offenders = [f"{path.relative_to(ROOT)}:{number}" for folder in ("bot", "cogs")
                 for path in (ROOT / folder).rglob("*.py") if path.name != "clock.py"
                 for number, line in enumerate(path.read_text().splitlines(), 1) if direct.search(line)]
    assert offenders == [], "ask bot.clock.now() instead"
