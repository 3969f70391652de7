"""Reading a Meeting Guide feed the way real intergroup feeds are written.

Most online groups' meetings are already listed in a feed kept by their intergroup's website, usually
by the 12 Step Meeting List WordPress plugin. Such feeds hold what that plugin accepts, not only what
the spec's examples show: 12-hour times ("7:30 pm"), days as names or one-element arrays, slugs longer
than 64 characters, end times equal to the start, phone-only online meetings, hybrid meetings with a
street address, thousands of rows of which most are in person.

So each row is read leniently where the meaning is clear, and refused with a reason where it is not:
- In-person rows (no conference_url or conference_phone) are counted, not reported row by row: a
  server lists online meetings, and a moderator shouldn't have to read hundreds of lines to find the
  few that need them.
- A bad end_time falls back to the spec's default of one hour, with a warning.
- A slug too long for our short names is shortened the same way every time, and the feed's own slug
  is kept, so the next import updates the meeting instead of adding a copy.
- A row without a time zone takes the server's, and the report says so, naming the zone.
Only a file that isn't a feed at all (not JSON, not a list, too big) is refused whole.

Pure: no database, no Discord. The whole feed is parsed at once (milliseconds per hundred rows), so
callers on the event loop run it in a thread.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from bot.services import recurrence, text, timezones
from bot.services.errors import InvalidInput
from bot.services.meetings.data import (
    ADDRESS_MAX,
    DEFAULT_DURATION,
    DESCRIPTION_MAX,
    DURATION_MAX,
    DURATION_MIN,
    NAME_MAX,
    NOTES_MAX,
    SLUG_MAX,
    TYPES_MAX,
    VENUE_MAX,
    FeedOrigin,
    Location,
    MeetingDraft,
    MeetingKind,
    Place,
    describe_types,
    slugify,
    validate_phone,
    validate_types,
    validate_url,
)
from bot.services.meetings.guide import FEED_DAYS, ONLINE_CODE

log = logging.getLogger(__name__)

# Just under what Discord lets people attach in a server without boosts (10 MiB); a real intergroup's
# feed of 2,000 meetings is about 2 MB, so this fits the largest with room to spare.
FEED_MAX_BYTES = 10_000_000
FEED_MAX_ROWS = 5000
ORIGIN_SLUG_MAX = 255  # WordPress's own limit for a post's slug
TEMPORARILY_CLOSED = "TC"  # "Location Temporarily Closed": says nothing of an online meeting
_MINUTES_PER_DAY = 24 * 60
_DIGITS_MAX = 18  # longer numbers in a feed are never a day, an id or a time
_FEED_EXAMPLE = (
    '[{"name": "Sunday Serenity", "slug": "sunday-serenity", "day": 0, "time": "18:00", '
    '"conference_url": "https://zoom.us/j/123456789"}]'
)
_DAY_WORDS = {
    "sunday": "SU", "sun": "SU", "monday": "MO", "mon": "MO", "tuesday": "TU", "tue": "TU", "tues": "TU",
    "wednesday": "WE", "wed": "WE", "thursday": "TH", "thu": "TH", "thur": "TH", "thurs": "TH",
    "friday": "FR", "fri": "FR", "saturday": "SA", "sat": "SA",
}
# Older type names the plugin still accepts on import (its $type_aliases).
_TYPE_ALIASES = {"sign language": "ASL", "outdoor meeting": "OUT", "step meeting": "ST"}


class RowKind:
    """Short names for why a row was skipped or changed, to count like rows together in the summary."""

    NOT_A_MEETING = "not a meeting"
    NO_NAME = "no name"
    APPOINTMENT = "no day or time (by appointment)"
    BAD_DAY = "a day I can't read"
    BAD_TIME = "a time I can't read"
    BAD_ZONE = "a time zone I don't know"
    BAD_SLUG = "a slug I can't use"
    DUPLICATE = "a slug used twice"
    BAD_LINK = "a link or phone number I can't use"
    LIMIT = "over the server's limit"
    OTHER = "something else"
    END_TIME = "end time replaced by one hour"
    SHORTENED = "text shortened"
    DROPPED = "part left out"
    SKIPPED_HOUR = "a time the clocks skip once a year"
    TYPES = "type codes I don't know"


@dataclass(frozen=True, slots=True)
class RowNote:
    """A row that was skipped, or imported with a change, and why. `index` counts from 1 in the file,
    `label` is what the person importing recognises (its slug, else its name, else "row N")."""

    index: int
    label: str
    reason: str
    kind: str = RowKind.OTHER


@dataclass(slots=True)
class FeedImport:
    """What a feed holds for this server: meetings ready to store (each with its origin), rows
    skipped and rows changed on the way in, and the rows left out as a group."""

    drafts: list[MeetingDraft] = field(default_factory=list)
    skipped: list[RowNote] = field(default_factory=list)
    warnings: list[RowNote] = field(default_factory=list)
    rows: int = 0
    in_person: int = 0  # in-person meetings: no link or phone to join online
    inactive: int = 0  # rows the feed itself marks inactive
    default_zone: str = "UTC"
    zone_defaulted: int = 0  # rows without a time zone, given the server's
    unknown_types: Counter[str] = field(default_factory=Counter)


def parse_feed(raw: bytes, *, default_zone: str, today: date, feed_id: int | None = None) -> FeedImport:
    """Read a Meeting Guide feed into meeting drafts, row by row.

    `default_zone` is used for rows without a `timezone` (the field is optional in the spec), and `today`
    starts each schedule; `feed_id` marks drafts as coming from a synced feed. Raises InvalidInput only when
    the file as a whole isn't a feed.
    """
    result = FeedImport(default_zone=timezones.validate(default_zone))
    rows = load_rows(raw)
    result.rows = len(rows)
    given = [_given_slug(row) if isinstance(row, dict) else None for row in rows]
    # Slugs the file spells out are reserved first, so a slug made from a name never takes one of them.
    reserved = {slug for slug in given if slug is not None}
    seen: dict[str, int] = {}  # a slug of the feed -> the row that used it first
    taken: set[str] = set()  # our short names, so two long slugs never shorten to the same one
    for index, row in enumerate(rows, start=1):
        label = _label(row, index)
        if not isinstance(row, dict):
            result.skipped.append(RowNote(index, label, "This entry isn't a meeting: each entry in the list should "
                                          "be an object with a name, day, time and conference_url.",
                                          RowKind.NOT_A_MEETING))
            continue
        reader = _RowReader(row, index, label, result, today, feed_id)
        try:
            if not reader.online():
                continue
            draft = reader.draft(given[index - 1], seen, reserved, taken)
        except InvalidInput as refusal:
            result.skipped.append(RowNote(index, label, refusal.message, reader.kind))
            continue
        except (ValueError, TypeError, OverflowError, RecursionError) as exc:
            # A row shaped like nothing we expected: skip it, keep the rest, and say so plainly.
            result.skipped.append(RowNote(index, label, "I couldn't read this row's values.", RowKind.OTHER))
            log.warning("feed row %d could not be read: %s", index, type(exc).__name__)
            continue
        assert draft.origin is not None and draft.slug is not None
        if draft.slug in taken:  # "Big-Book" and "big-book" are one short name here
            result.skipped.append(RowNote(index, label, f"Another row's slug is the same as “"
                                          f"{text.excerpt(draft.origin.slug, 60)}” but for capitals or length, so "
                                          "I kept the first one.", RowKind.DUPLICATE))
            continue
        seen[draft.origin.slug] = index
        taken.add(draft.slug)
        result.drafts.append(draft)
        result.warnings.extend(reader.notes)
    return result


def load_rows(raw: bytes) -> list[Any]:
    """The feed's rows: a JSON list (or {"meetings": [...]}), within the size and row limits."""
    if len(raw) > FEED_MAX_BYTES:
        raise InvalidInput(
            f"That file is {len(raw) / 1_000_000:.1f} MB; I can import a feed of at most "
            f"{FEED_MAX_BYTES / 1_000_000:.0f} MB. Check that it is the meeting feed and not a larger file."
        )
    if not raw.strip():
        raise InvalidInput(f"That file is empty. A Meeting Guide feed is a JSON list of meetings, like {_FEED_EXAMPLE}")
    try:
        decoded = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(
            "That file isn't UTF-8 text, so it can't be a Meeting Guide JSON feed. "
            "Download the feed's .json link again, or save the file as UTF-8."
        ) from None
    try:
        data = json.loads(decoded, parse_int=_bounded_int, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"That file isn't valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}). "
            f"A Meeting Guide feed is a JSON list of meetings, like {_FEED_EXAMPLE}"
        ) from None
    except RecursionError:
        raise InvalidInput(
            f"That file is nested too deeply to be a meeting feed. A Meeting Guide feed is a JSON list of meetings, "
            f"like {_FEED_EXAMPLE}"
        ) from None
    if isinstance(data, dict) and isinstance(data.get("meetings"), list):
        data = data["meetings"]  # some meeting finders (and the plugin's sheets service) wrap the list
    if not isinstance(data, list):
        raise InvalidInput(
            "That JSON isn't a list of meetings. A Meeting Guide feed starts with [ and has one {…} per meeting, "
            f"like {_FEED_EXAMPLE}"
        )
    if len(data) > FEED_MAX_ROWS:
        raise InvalidInput(
            f"That feed has {len(data):,} meetings; I can read at most {FEED_MAX_ROWS:,} at a time. "
            "Split it into smaller files and import each one."
        )
    return data


class _Unreadable(str):
    """A number in the feed too long to be anything a meeting has (Python refuses to convert
    integers of more than 4,300 digits at all); kept as its text, so the row is skipped with a reason."""


def _bounded_int(digits: str) -> int | str:
    return _Unreadable(digits[:12] + "…") if len(digits.lstrip("-")) > _DIGITS_MAX else int(digits)


def _no_constant(name: str) -> str:
    return _Unreadable(name)  # NaN and Infinity are not JSON, but Python's reader takes them


class _RowReader:
    """One row of a feed, read part by part; `kind` names what it was reading when it refused."""

    def __init__(self, row: dict[str, Any], index: int, label: str, result: FeedImport, today: date,
                 feed_id: int | None) -> None:
        self.row, self.index, self.label, self.result = row, index, label, result
        self.today, self.feed_id = today, feed_id
        self.kind = RowKind.OTHER
        self.notes: list[RowNote] = []

    def note(self, reason: str, kind: str) -> None:
        self.notes.append(RowNote(self.index, self.label, reason, kind))

    def online(self) -> bool:
        """Whether the row is an online meeting; in-person and inactive rows are only counted."""
        attendance = str(self.row.get("attendance_option") or "").strip().lower()
        if attendance == "inactive":
            self.result.inactive += 1
            return False
        if _plain(self.row.get("conference_url")) or _plain(self.row.get("conference_phone")):
            return True
        self.result.in_person += 1
        return False

    def draft(self, given_slug: str | None, seen: dict[str, int], reserved: set[str],
              taken: set[str]) -> MeetingDraft:
        self.kind = RowKind.NO_NAME
        name = self.name()
        self.kind = RowKind.BAD_SLUG
        origin_slug = self.origin_slug(given_slug, name, seen, reserved)
        slug = short_slug(origin_slug)
        self.kind = RowKind.APPOINTMENT
        days, start = self.days(), self.start()
        duration = self.duration(start)
        self.kind = RowKind.BAD_ZONE
        zone = self.zone()
        self.kind = RowKind.OTHER
        schedule = recurrence.weekly(days, start, zone, self.today, refuse_skipped_hour=False)
        skipped_hour = recurrence.first_skipped_hour(schedule)
        if skipped_hour is not None:
            self.note(f"{start:%H:%M} doesn't exist in {zone} on {skipped_hour:%d %B %Y} (the clocks skip that "
                      "hour); that day the meeting is an hour later.", RowKind.SKIPPED_HOUR)
        self.kind = RowKind.BAD_LINK
        location = self.location()
        self.kind = RowKind.OTHER
        return MeetingDraft(
            name=name,
            recurrence=schedule,
            kind=MeetingKind.OTHER,  # the spec has no fellowship field, and its type codes don't name one
            duration_minutes=duration,
            location=location,
            types=self.types(hybrid=bool(location.venue or location.address)),
            description=self.text("notes", "notes", DESCRIPTION_MAX, one_line=False),
            slug=slug,
            origin=FeedOrigin(origin_slug, self.feed_id, _updated(self.row.get("updated"))),
        )

    # -- the parts of a row ----------------------------------------------------------------------

    def text(self, key: str, label: str, limit: int, *, one_line: bool = True) -> str | None:
        """A text field cleaned (HTML entities and line breaks as the plugin writes them), shortened
        with a warning when it is longer than we keep."""
        value = self.row.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.note(f"Its {label} wasn't text, so I left it out.", RowKind.DROPPED)
            return None
        cleaned = text.clean(_unhtml(str(value)), one_line=one_line)
        if not cleaned or not text.has_visible(cleaned):
            return None
        if len(cleaned) > limit:
            self.note(f"Its {label} had {len(cleaned):,} characters; I kept the first {limit:,}.", RowKind.SHORTENED)
            cleaned = _shorten(cleaned, limit)
        return cleaned

    def name(self) -> str:
        value = self.row.get("name")
        if isinstance(value, str) and value.strip() and not text.has_visible(text.clean(value, one_line=True)):
            raise InvalidInput("Its name has no letters or symbols anyone could see.")
        name = self.text("name", "name", NAME_MAX)
        if name is None:
            raise InvalidInput("It has no name.")
        return name

    def origin_slug(self, given: str | None, name: str, seen: dict[str, int], reserved: set[str]) -> str:
        """The feed's own slug for the row (or one made from its name, the way the spec numbers them)."""
        value = self.row.get("slug")
        if given is None and value is not None and value != "":
            raise InvalidInput(f"Its slug should be text or a number, not {_shown(value)}.")
        if given is not None:
            if len(given) > ORIGIN_SLUG_MAX:
                raise InvalidInput(f"Its slug has {len(given):,} characters; a feed's slug has at most "
                                   f"{ORIGIN_SLUG_MAX}.")
            if given in seen:
                self.kind = RowKind.DUPLICATE
                raise InvalidInput(f"Row {seen[given]} already uses the slug “{text.excerpt(given, 60)}”. Each "
                                   "meeting in a feed needs its own slug, so I kept the first one.")
            return given
        base = slugify(name)
        slug, number = base, 2
        while slug in seen or slug in reserved:
            suffix = f"-{number}"
            slug, number = base[: SLUG_MAX - len(suffix)].rstrip("-") + suffix, number + 1
        return slug

    def days(self) -> tuple[str, ...]:
        value = self.row.get("day")
        items = value if isinstance(value, list) else [] if value is None or value == "" else [value]
        if not items:
            raise InvalidInput("It has no day. Only weekly meetings with a day and a time can be imported; "
                               "meetings by appointment can't.")
        self.kind = RowKind.BAD_DAY
        codes: set[str] = set()
        for item in items:
            code = _day_code(item)
            if code is None:
                raise InvalidInput(f"I can't read the day {_shown(item)}: the feed should give 0 (Sunday) to "
                                   "6 (Saturday), or a day's name.")
            codes.add(code)
        self.kind = RowKind.APPOINTMENT
        return tuple(code for code in recurrence.WEEKDAY_CODES if code in codes)

    def start(self) -> time:
        found = self.clock("time", "start time")
        if found is None:
            raise InvalidInput("It has no start time. Only weekly meetings with a day and a time can be imported; "
                               "meetings by appointment can't.")
        return found

    def clock(self, key: str, label: str) -> time | None:
        value = self.row.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        self.kind = RowKind.BAD_TIME
        if not isinstance(value, str):
            raise InvalidInput(f"I can't read the {label} {_shown(value)}. Write it like 19:30 or 7:30 pm.")
        try:
            found = recurrence.parse_time(value)
        except InvalidInput:
            raise InvalidInput(f"I can't read the {label} “{text.excerpt(value, 20)}”. Write it like 19:30 or "
                               "7:30 pm.") from None
        self.kind = RowKind.APPOINTMENT
        return found

    def duration(self, start: time) -> int:
        """The spec: end_time "will default to one hour after the start time if omitted". A missing,
        unreadable or impossible end gets that default, with a warning when one was given."""
        try:
            end = self.clock("end_time", "end time")
        except InvalidInput:
            shown = _shown(self.row.get("end_time"))
            self.note(f"I couldn't read its end time {shown}, so it lasts one hour.", RowKind.END_TIME)
            return DEFAULT_DURATION
        if end is None:
            return DEFAULT_DURATION
        minutes = (_minutes(end) - _minutes(start)) % _MINUTES_PER_DAY
        if DURATION_MIN <= minutes <= DURATION_MAX:
            return minutes
        length = "no time at all" if minutes == 0 else f"{minutes // 60} h {minutes % 60:02d} min"
        self.note(f"Its end time {end:%H:%M} (from {start:%H:%M}) gives {length}, so it lasts one hour.",
                  RowKind.END_TIME)
        return DEFAULT_DURATION

    def zone(self) -> str:
        value = self.row.get("timezone")
        if value is None or (isinstance(value, str) and not value.strip()):
            self.result.zone_defaulted += 1
            return self.result.default_zone
        if not isinstance(value, str):
            raise InvalidInput(f"Its timezone should be a name such as America/New_York, not {_shown(value)}.")
        return timezones.validate(value)

    def location(self) -> Location:
        url = _plain(self.row.get("conference_url"))
        phone = _plain(self.row.get("conference_phone"))
        checked_url = checked_phone = None
        problems: list[str] = []
        if url:
            try:
                checked_url = validate_url(url)
            except InvalidInput as refusal:
                problems.append(f"its conference_url: {refusal.message}")
        if phone:
            try:
                checked_phone = validate_phone(phone)
            except InvalidInput as refusal:
                problems.append(f"its conference_phone: {refusal.message}")
        if checked_url is None and checked_phone is None:
            raise InvalidInput("I can't use " + " and ".join(problems))
        for problem in problems:
            self.note(f"I left out {problem}", RowKind.DROPPED)
        venue = address = None
        if self.hybrid():
            venue = self.text("location", "location", VENUE_MAX)
            address = _address(self.row, self)
        return Location(
            place=Place.LINK, url=checked_url, phone=checked_phone,
            url_notes=self.text("conference_url_notes", "conference_url_notes", NOTES_MAX, one_line=False)
            if checked_url else None,
            phone_notes=self.text("conference_phone_notes", "conference_phone_notes", NOTES_MAX, one_line=False)
            if checked_phone else None,
            venue=venue, address=address,
        )

    def hybrid(self) -> bool:
        """Whether the row also meets in person. The plugin says so ("hybrid"); other feeds give a
        street address that isn't marked approximate (online meetings may carry a town as theirs)."""
        attendance = str(self.row.get("attendance_option") or "").strip().lower()
        if attendance:
            return attendance == "hybrid"
        approximate = str(self.row.get("approximate") or "").strip().lower()
        return approximate != "yes" and bool(_plain(self.row.get("formatted_address"))
                                             or _plain(self.row.get("address")))

    def types(self, *, hybrid: bool) -> tuple[str, ...]:
        """Known codes (or English names) become types; unknown ones are dropped with a note. Other areas often
        add their own codes, which the spec allows ("they will be ignored by the importer")."""
        value = self.row.get("types")
        if value is None or value == "":
            return ()
        if isinstance(value, str):
            items: list[Any] = re.split(r"[,;]", value)  # a spreadsheet-style "O, D" string
        elif isinstance(value, list):
            items = value
        elif isinstance(value, dict):
            items = list(value.values())  # PHP's array_unique() leaves a list with gaps, written as an object
        else:
            self.note("Its types weren't a list, so I left them out.", RowKind.DROPPED)
            return ()
        known: list[str] = []
        unknown: list[str] = []
        for item in items:
            if not isinstance(item, str) or not item.strip():
                continue
            word = item.strip()
            if word.upper() == ONLINE_CODE or (word.upper() == TEMPORARILY_CLOSED and not hybrid):
                continue  # "online" is implied here; a closed building says nothing of an online meeting
            word = _TYPE_ALIASES.get(word.lower(), word)
            try:
                codes = validate_types([word])
            except InvalidInput:
                unknown.append(text.clean(word, one_line=True)[:20])
                continue
            known.extend(code for code in codes if code not in known)
        if unknown:
            self.result.unknown_types.update(unknown)
            self.note(f"Left out type codes I don't know: {', '.join(unknown[:10])}.", RowKind.TYPES)
        if len(known) > TYPES_MAX:
            self.note(f"A meeting here has at most {TYPES_MAX} types, so I left out "
                      f"{describe_types(tuple(known[TYPES_MAX:]))}.", RowKind.SHORTENED)
            known = known[:TYPES_MAX]
        return tuple(sorted(known))


def short_slug(origin: str) -> str:
    """Our short name for a feed's slug: the slug itself when it fits, else the same shortening every
    time (its start and a hash of the whole), so each import of a feed finds the meetings of the last."""
    cleaned = origin.strip().lower()
    if re.fullmatch(r"[a-z0-9][a-z0-9_-]*", cleaned) and len(cleaned) <= SLUG_MAX:
        return cleaned
    digest = hashlib.sha1(origin.encode()).hexdigest()[:8]
    base = slugify(origin)[: SLUG_MAX - len(digest) - 1].rstrip("-")
    return f"{base}-{digest}"


def _label(row: Any, index: int) -> str:
    if isinstance(row, dict):
        slug = row.get("slug")
        if isinstance(slug, str) and slug.strip():
            return text.clean(slug, one_line=True)[:80] or f"row {index}"
        if isinstance(slug, int) and not isinstance(slug, bool):
            return str(slug)
        name = row.get("name")
        if isinstance(name, str) and text.has_visible(name):
            return text.clean(name, one_line=True)[:NAME_MAX]
    return f"row {index}"


def _given_slug(row: dict[str, Any]) -> str | None:
    """The row's own slug as text, when it has one; the spec allows integer ids too."""
    value = row.get("slug")
    if isinstance(value, bool | _Unreadable):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        cleaned = text.clean(value, one_line=True)
        return cleaned or None
    return None


def _plain(value: Any) -> str | None:
    """A scalar field as stripped text (feeds write phone numbers as numbers too), else None."""
    if isinstance(value, bool) or value is None or isinstance(value, _Unreadable):
        return None
    if isinstance(value, str | int | float):
        cleaned = str(value).strip()
        return cleaned or None
    return None


def _day_code(item: Any) -> str | None:
    if isinstance(item, bool | _Unreadable):
        return None
    if isinstance(item, int):
        return FEED_DAYS[item] if 0 <= item <= 6 else None
    if isinstance(item, str):
        word = item.strip().lower()
        if re.fullmatch(r"[0-6]", word):
            return FEED_DAYS[int(word)]
        return _DAY_WORDS.get(word)
    return None


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _updated(value: Any) -> datetime | None:
    """The spec's "YYYY-MM-DD HH:MM:SS" in UTC (ISO 8601 with an offset is read too); None if unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if not recurrence.EARLIEST_DATE.year - 30 <= moment.year <= recurrence.LATEST_DATE.year:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _address(row: dict[str, Any], reader: _RowReader) -> str | None:
    """The meeting's street address: formatted_address, or the parts joined the way the plugin joins them."""
    formatted = reader.text("formatted_address", "address", ADDRESS_MAX)
    if formatted:
        return formatted
    parts = [_plain(row.get(key)) for key in ("address", "city", "state", "postal_code", "country")]
    joined = ", ".join(text.clean(part, one_line=True) for part in parts if part)
    return _shorten(joined, ADDRESS_MAX) if joined else None


_TAG = re.compile(r"<[^>]{0,200}>")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _unhtml(value: str) -> str:
    """Plain text from what WordPress stores: entities (&amp;) decoded, <br> as a line break, tags dropped."""
    return html.unescape(_TAG.sub("", _BREAK.sub("\n", value)))


def _shorten(value: str, limit: int) -> str:
    if len(value) <= limit:
        return value
    cut = value[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…"


def _shown(value: Any) -> str:
    """A value from the feed as it is written there, short, safe to quote in a message."""
    try:
        written = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        written = type(value).__name__
    return f"“{text.excerpt(written, 30)}”"
