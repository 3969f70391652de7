"""What a meeting is, as plain data: kinds, Meeting Guide type codes, places, limits and checks.

Shared by the meetings service, the calendar (.ics) feed and the Meeting Guide JSON feed, so
each of them reads and validates a meeting the same way.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cache, lru_cache
from importlib import resources
from urllib.parse import urlsplit

from bot.services import recurrence, text
from bot.services.errors import InvalidInput
from bot.services.recurrence import Recurrence

NAME_MAX = 100  # Discord's limit for a scheduled event's name
DESCRIPTION_MAX = 1000  # Discord's limit for a scheduled event's description
FELLOWSHIP_MAX = 40
URL_MAX = 500
SLUG_MAX = 64  # the Meeting Guide schema's limit
TYPES_MAX = 12
DURATION_MIN = 5
DURATION_MAX = 8 * 60
DEFAULT_DURATION = 60


class MeetingKind(StrEnum):
    TWELVE_STEP = "12-step"
    SMART = "smart"
    FAMILY = "family"
    SECULAR = "secular"
    OTHER = "other"


KIND_LABELS = {
    MeetingKind.TWELVE_STEP: "12-step (AA, NA, CA, …)",
    MeetingKind.SMART: "SMART Recovery",
    MeetingKind.FAMILY: "Family and friends",
    MeetingKind.SECULAR: "Secular",
    MeetingKind.OTHER: "Other",
}


class Place(StrEnum):
    """Where a meeting happens: a Discord channel of some type, or a link elsewhere."""

    VOICE = "voice"
    STAGE = "stage"
    TEXT = "text"
    LINK = "link"


@cache
def type_names() -> dict[str, str]:
    """Meeting Guide type codes (code4recovery) -> English names, e.g. 'O' -> 'Open'."""
    raw = json.loads(resources.files("bot.data").joinpath("meeting_types.json").read_text("utf-8"))
    names: dict[str, str] = raw["types"]
    return names


def parse_types(text: str) -> tuple[str, ...]:
    """'O, D, women' -> ('D', 'O', 'W'): codes or English names, any case, sorted codes."""
    words = [w.strip() for w in re.split(r"[,;]+", text) if w.strip()]
    return validate_types(words)


@cache
def _codes_by_word() -> dict[str, str]:
    """'o' -> 'O', 'open' -> 'O': each type's code and English name, any case."""
    names = type_names()
    return {**{name.lower(): code for code, name in names.items()}, **{code.lower(): code for code in names}}


def validate_types(values: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    by_word = _codes_by_word()
    codes: set[str] = set()
    for value in values:
        code = by_word.get(value.strip().lower())
        if code is None:
            raise InvalidInput(
                f"I don't know the meeting type “{text.excerpt(value, 20)}”. Use Meeting Guide codes or names, "
                "for example “O, D” or “Open, Discussion, Women”."
            )
        codes.add(code)
    if len(codes) > TYPES_MAX:
        raise InvalidInput(f"Pick at most {TYPES_MAX} types; the ones that matter most to a newcomer.")
    return tuple(sorted(codes))


@lru_cache(maxsize=1024)  # a server's few combinations, shown in every list
def describe_types(codes: tuple[str, ...]) -> str:
    names = type_names()
    return ", ".join(names.get(code, code) for code in codes)


def clean_text(value: str | None, label: str, limit: int, *, required: bool = False,
               one_line: bool = True) -> str | None:
    """Text cleaned of what nobody can see, within its limit; None for empty optional text."""
    return text.checked(value, label, limit, required=required, one_line=one_line)


def validate_url(value: str) -> str:
    cleaned = value.strip()
    try:
        parts = urlsplit(cleaned)
        usable = parts.scheme in ("https", "http") and bool(parts.hostname)
    except ValueError:  # an unbalanced [ in the host, for one
        usable = False
    if not usable or len(cleaned) > URL_MAX or re.search(r"[\s<>\"\\\x00-\x1f\x7f]", cleaned):
        raise InvalidInput(
            f"“{text.excerpt(cleaned, 60)}” isn't a web link I can use. Give the full link, such as "
            "https://zoom.us/j/123456789."
        )
    return cleaned


PHONE_MAX = 64
NOTES_MAX = 500
VENUE_MAX = 255
ADDRESS_MAX = 500


def validate_phone(value: str) -> str:
    """A dial-in number as feeds write it, without the spaces and dashes people type: '+1 646-558-8656,,8123#'
    -> '+16465588656,,8123#'. Commas (pauses), * and # stay: they make one-tap links that enter the meeting id."""
    cleaned = re.sub(r"[\s().\-]", "", value)
    if not re.fullmatch(r"\+?[0-9]{3,15}[0-9,*#]*", cleaned) or len(cleaned) > PHONE_MAX:
        raise InvalidInput(f"“{text.excerpt(value, 40)}” isn't a phone number I can use. Write it with the country "
                           "code, such as +1 646 558 8656 (a meeting id may follow, as in +16465588656,,81234567890#).")
    return cleaned


def check_location(location: Location) -> Location:
    """The location with its texts cleaned and each checked against its limit."""
    if location.place is Place.LINK and not (location.url or location.phone):
        raise InvalidInput("Give the meeting's link, such as https://zoom.us/j/123456789, or a phone number to dial.")
    if location.phone and location.place is not Place.LINK:
        raise InvalidInput("A dial-in number goes with an online meeting elsewhere (a link), not a Discord channel.")
    return Location(
        place=location.place, channel_id=location.channel_id,
        url=validate_url(location.url) if location.url else None,
        phone=validate_phone(location.phone) if location.phone else None,
        url_notes=clean_text(location.url_notes, "link's notes", NOTES_MAX, one_line=False),
        phone_notes=clean_text(location.phone_notes, "phone's notes", NOTES_MAX, one_line=False),
        venue=clean_text(location.venue, "venue", VENUE_MAX),
        address=clean_text(location.address, "address", ADDRESS_MAX),
    )


def validate_duration(minutes: int) -> int:
    if not DURATION_MIN <= minutes <= DURATION_MAX:
        raise InvalidInput(
            f"A meeting lasts between {DURATION_MIN} and {DURATION_MAX} minutes; "
            f"{minutes} won't work. Most meetings are 60 or 90."
        )
    return minutes


def slugify(text: str) -> str:
    """'Monday Night Big Book' -> 'monday-night-big-book' (ASCII, for feeds and links)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:SLUG_MAX].strip("-") or "meeting"


def validate_slug(value: str) -> str:
    cleaned = value.strip().lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", cleaned) or len(cleaned) > SLUG_MAX:
        raise InvalidInput(
            f"“{text.excerpt(value, 40)}” can't be a meeting's short name: use letters, digits and dashes, "
            "such as monday-big-book."
        )
    return cleaned


@dataclass(frozen=True, slots=True)
class Location:
    """Where people join: a Discord channel (with its type), or online elsewhere (a link, a phone
    number, or both, each with its own notes such as a passcode); or nowhere yet. A hybrid meeting
    also meets in person at a venue."""

    place: Place | None = None
    channel_id: int | None = None
    url: str | None = None
    phone: str | None = None
    url_notes: str | None = None
    phone_notes: str | None = None
    venue: str | None = None  # the building's name, for a hybrid meeting
    address: str | None = None

    def __post_init__(self) -> None:
        if self.place is Place.LINK and not (self.url or self.phone):
            raise ValueError("an online location needs a url or a phone number")
        if self.place in (Place.VOICE, Place.STAGE, Place.TEXT) and self.channel_id is None:
            raise ValueError("a channel location needs a channel id")

    def link(self, guild_id: int) -> str | None:
        """Where to click to join: the external link, or the Discord channel's link."""
        if self.url:
            return self.url
        if self.channel_id is not None:
            return f"https://discord.com/channels/{guild_id}/{self.channel_id}"
        return None

    @property
    def in_person(self) -> str | None:
        """'Alano Club, 123 Main St, Anytown': where a hybrid meeting also meets, if it does."""
        return ", ".join(part for part in (self.venue, self.address) if part) or None


@dataclass(frozen=True, slots=True)
class FeedOrigin:
    """Where an imported meeting came from: the feed's own slug for it (what the next import of
    that feed matches on, however long), the feed it is synced from, and when the feed says the
    listing last changed."""

    slug: str
    feed_id: int | None = None
    updated: datetime | None = None


@dataclass(frozen=True, slots=True)
class MeetingDraft:
    """Everything needed to create a meeting, or to replace one's details."""

    name: str
    recurrence: Recurrence
    kind: MeetingKind = MeetingKind.OTHER
    duration_minutes: int = DEFAULT_DURATION
    location: Location = field(default_factory=Location)
    types: tuple[str, ...] = ()
    description: str | None = None
    fellowship: str | None = None
    facilitator_role_id: int | None = None
    ping_role_id: int | None = None
    slug: str | None = None  # made from the name when not given
    origin: FeedOrigin | None = None  # set by imports


@dataclass(frozen=True, slots=True)
class MeetingTimes:
    """When a meeting happens and nothing else: what planning its jobs needs, for thousands at once."""

    id: int
    guild_id: int
    recurrence: Recurrence
    duration_minutes: int
    skipped: frozenset[date] = frozenset()

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)

    def occurrences(self, after: datetime, before: datetime) -> list[datetime]:
        return recurrence.occurrences(self.recurrence, after, before, self.skipped)


@dataclass(frozen=True, slots=True)
class Meeting:
    """A stored meeting, as services hand it out."""

    id: int
    guild_id: int
    slug: str
    name: str
    kind: MeetingKind
    recurrence: Recurrence
    duration_minutes: int
    location: Location
    types: tuple[str, ...] = ()
    description: str | None = None
    fellowship: str | None = None
    facilitator_role_id: int | None = None
    ping_role_id: int | None = None
    skipped: frozenset[date] = frozenset()
    event_id: int | None = None
    event_start: datetime | None = None  # the occurrence the Discord event shows
    event_problem: str | None = None  # why there is no Discord event, when there should be
    origin: FeedOrigin | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def times(self) -> MeetingTimes:
        return MeetingTimes(self.id, self.guild_id, self.recurrence, self.duration_minutes, self.skipped)

    @property
    def duration(self) -> timedelta:
        return self.times.duration

    def occurrences(self, after: datetime, before: datetime) -> list[datetime]:
        return self.times.occurrences(after, before)

    def next_occurrence(self, after: datetime) -> datetime | None:
        return recurrence.next_occurrence(self.recurrence, after, self.skipped)

    def current_or_next(self, now: datetime) -> datetime | None:
        """The occurrence in progress at `now`, or else the next one."""
        return self.next_occurrence(now - self.duration + timedelta(microseconds=1))

    def link(self) -> str | None:
        return self.location.link(self.guild_id)

    def weekdays(self) -> tuple[str, ...] | None:
        """('MO', 'TH') when the rule is plain weekly on those days; None for anything else."""
        parts = dict(part.partition("=")[::2] for part in self.recurrence.rule.split(";"))
        if parts.get("FREQ") != "WEEKLY" or parts.get("INTERVAL", "1") != "1" or \
                set(parts) - {"FREQ", "BYDAY", "WKST", "INTERVAL", "UNTIL", "COUNT"}:
            return None
        days = parts.get("BYDAY")
        if days is None:
            return (recurrence.WEEKDAY_CODES[self.recurrence.starts_on.weekday()],)
        chosen = tuple(d for d in recurrence.WEEKDAY_CODES if d in days.split(","))
        return chosen or None
