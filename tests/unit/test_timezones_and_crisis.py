"""Time-zone validation and crisis resources: what a moderator and a member would see."""

from __future__ import annotations

import pytest

from bot.services import crisis, timezones
from bot.services.errors import InvalidInput


def test_a_zone_is_accepted_in_any_case_and_with_spaces() -> None:
    assert timezones.validate("America/New_York") == "America/New_York"
    assert timezones.validate("america/new york") == "America/New_York"


def test_an_unknown_zone_suggests_real_ones() -> None:
    with pytest.raises(InvalidInput) as caught:
        timezones.validate("New York")
    assert "America/New_York" in caught.value.message
    assert "Europe/London" in caught.value.message  # the general examples


def test_search_puts_city_matches_first_and_hides_misleading_aliases() -> None:
    assert timezones.search("lond")[0] == "Europe/London"
    assert "US/Eastern" not in timezones.search("east")
    assert len(timezones.search("")) == 25


@pytest.mark.parametrize("code", ["US", "GB", "IE", "CA", "AU", "NZ", "IN"])
def test_each_region_has_lines_with_sources_and_the_international_fallback(code: str) -> None:
    region = crisis.for_region(code)
    assert region.lines and region.emergency
    assert all(line.source.startswith("https://") for line in region.lines)
    assert [line.name for line in region.fallback] == ["Find A Helpline"]


def test_the_issue_named_numbers_are_present() -> None:
    us = " ".join(line.contact for line in crisis.for_region("US").lines)
    assert "988" in us and "1-800-662-4357" in us
    assert any("116 123" in line.contact for line in crisis.for_region("GB").lines)
    assert any("116 123" in line.contact for line in crisis.for_region("IE").lines)


def test_unset_region_falls_back_to_international() -> None:
    region = crisis.for_region(None)
    assert region.code == "INTL" and region.emergency is None and region.fallback == ()


def test_region_validation() -> None:
    assert crisis.validate_region("uk") == "GB"
    with pytest.raises(InvalidInput, match="Choose one of"):
        crisis.validate_region("Atlantis")
