"""Crisis lines and coping tools, from the data file shipped with the bot.

This is the one place crisis-resource content comes from; `bot.render.crisis_embed` is the one
place it is turned into a message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources

from bot.services.errors import InvalidInput
from bot.services.text import excerpt

FALLBACK_REGION = "INTL"
DANGER_LINE = "If you are in immediate danger, call your local emergency number now."


@dataclass(frozen=True, slots=True)
class CrisisLine:
    name: str
    contact: str
    hours: str
    source: str
    last_verified: date


@dataclass(frozen=True, slots=True)
class RegionResources:
    code: str
    name: str
    emergency: str | None
    lines: tuple[CrisisLine, ...]
    fallback: tuple[CrisisLine, ...]  # the international lines, shown under every region
    coping: tuple[str, ...]


@cache
def _data() -> dict[str, object]:
    text = resources.files("bot.data").joinpath("crisis_resources.json").read_text("utf-8")
    loaded: dict[str, object] = json.loads(text)
    return loaded


def _regions() -> dict[str, dict[str, object]]:
    regions = _data()["regions"]
    assert isinstance(regions, dict)
    return regions


def region_choices() -> list[tuple[str, str]]:
    """(code, name) for every region, the international fallback last."""
    regions = _regions()
    codes = sorted((c for c in regions if c != FALLBACK_REGION), key=lambda c: str(regions[c]["name"]))
    return [(c, str(regions[c]["name"])) for c in [*codes, FALLBACK_REGION]]


def validate_region(code: str) -> str:
    normalised = code.strip().upper()
    normalised = {"UK": "GB"}.get(normalised, normalised)
    if normalised not in _regions():
        known = ", ".join(f"{c} ({n})" for c, n in region_choices())
        raise InvalidInput(f"I don't have crisis lines for “{excerpt(code, 16)}”. Choose one of: {known}.")
    return normalised


def for_region(code: str | None) -> RegionResources:
    """The lines for `code` (the international list when unset or unknown) plus coping tools."""
    regions = _regions()
    key = code if code in regions else FALLBACK_REGION
    region = regions[key]
    fallback = () if key == FALLBACK_REGION else _lines(regions[FALLBACK_REGION])
    coping = _data()["coping"]
    assert isinstance(coping, list)
    emergency = region.get("emergency")
    return RegionResources(
        code=key,
        name=str(region["name"]),
        emergency=str(emergency) if emergency else None,
        lines=_lines(region),
        fallback=fallback,
        coping=tuple(str(c) for c in coping),
    )


def _lines(region: dict[str, object]) -> tuple[CrisisLine, ...]:
    raw = region["lines"]
    assert isinstance(raw, list)
    return tuple(
        CrisisLine(
            name=line["name"],
            contact=line["contact"],
            hours=line["hours"],
            source=line["source"],
            last_verified=date.fromisoformat(line["last_verified"]),
        )
        for line in raw
    )
