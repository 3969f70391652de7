"""Crisis lines and coping tools, from the data file shipped with the bot.

This is the one place crisis-resource content comes from; `bot.render.crisis_embed` is the one
place it is turned into a message.
"""

from __future__ import annotations

import json
import re
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


# -- words that call for the lines at once ------------------------------------------------------------

WORDS_MAX = 50  # a server's own words, each up to WORD_MAX characters
WORD_MAX = 60


@cache
def _crisis_words() -> tuple[str, ...]:
    text = resources.files("bot.data").joinpath("crisis_words.json").read_text("utf-8")
    languages = json.loads(text)["languages"]
    return tuple(dict.fromkeys(_normal(w) for words in languages.values() for w in words))


def _normal(text: str) -> str:
    return " ".join(text.casefold().replace("’", "'").replace("‘", "'").split())


@cache
def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    # Whole words or phrases only: "relapse" in "relapsed" is its own entry, "od" never matches "good".
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def crisis_words_in(text: str | None, extra: tuple[str, ...] = ()) -> list[str]:
    """The crisis words or phrases in `text` (the bot's list, in every language it has, and a server's own)."""
    if not text:
        return []
    words = _crisis_words() + tuple(_normal(w) for w in extra if w.strip())
    return list(dict.fromkeys(_pattern(words).findall(_normal(text))))


def check_words(typed: str) -> tuple[str, ...]:
    """A server's own crisis words, typed comma-separated ("none" for none); `InvalidInput` if unusable."""
    if typed.strip().lower() in ("", "none"):
        return ()
    words = tuple(dict.fromkeys(_normal(w) for w in typed.split(",") if w.strip()))
    if len(words) > WORDS_MAX:
        raise InvalidInput(f"That is {len(words)} words; keep the server's own list to {WORDS_MAX}.")
    long = [w for w in words if len(w) > WORD_MAX]
    if long:
        raise InvalidInput(f"“{excerpt(long[0], 30)}” is too long; keep each word or phrase to {WORD_MAX} "
                           "characters.")
    return words


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
