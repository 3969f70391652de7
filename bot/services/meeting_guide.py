"""Meeting Guide JSON feeds (code4recovery's spec, also read by 12 Step Meeting List and TSML UI): export and import.

Intergroups and meeting finders share meeting lists as a JSON array with one object per meeting. Exporting
puts a server's meetings into that shared directory. Importing lets a group that already keeps such a feed
move its meetings into the bot without typing each one again.

The feed can only say "every week on these days at this wall time in this zone". The spec says it "is to be
used for weekly meetings only", so any other rule is left out of an export with a reason. Nothing is
guessed to make a meeting fit.

Importing never trusts the file. Each row is checked with the same rules as a meeting typed in Discord, and a
bad row is skipped with a reason the person importing can act on. Only a file that isn't a feed at all
(not JSON, not a list, too big) is refused as a whole.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from bot.services import recurrence, timezones
from bot.services.errors import InvalidInput
from bot.services.meeting_data import (
    DEFAULT_DURATION,
    DESCRIPTION_MAX,
    NAME_MAX,
    SLUG_MAX,
    TYPES_MAX,
    Location,
    Meeting,
    MeetingDraft,
    MeetingKind,
    Place,
    clean_text,
    describe_types,
    slugify,
    validate_duration,
    validate_slug,
    validate_types,
    validate_url,
)

FEED_MAX_BYTES = 1_000_000  # an intergroup's whole feed is usually well under this; more means the wrong file
FEED_MAX_ROWS = 500
FEED_SLUG_MAX = 64  # meeting.schema.json: slug maxLength 64
# Not in the spec's type list or schema: TSML adds it for meetings with a conference link. Every meeting here is
# online, so on import it says nothing, and on export the spec's own signal (conference_url) says it.
ONLINE_CODE = "ONL"
# The feed numbers days 0 (Sunday) to 6 (Saturday); recurrence.WEEKDAY_CODES starts on Monday.
FEED_DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")
_MINUTES_PER_DAY = 24 * 60
_NOT_WEEKLY = "Meeting Guide feeds can only describe weekly meetings"
_FEED_EXAMPLE = (
    '[{"name": "Sunday Serenity", "slug": "sunday-serenity", "day": 0, "time": "18:00", '
    '"conference_url": "https://zoom.us/j/123456789"}]'
)
_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}
_DAY_NAMES = dict(zip(recurrence.WEEKDAY_CODES,
                      ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True))


# ---------------------------------------------------------------------------------------------------------------
# Export


@dataclass(frozen=True, slots=True)
class FeedExport:
    """The feed's JSON array, plus the meetings it could not describe and why, so an admin is never left
    wondering where a meeting went."""

    rows: list[dict[str, Any]]
    left_out: list[tuple[Meeting, str]]


def export_feed(meetings: Iterable[Meeting], *, updated: datetime | None = None) -> FeedExport:
    """One feed row per weekly meeting that still happens and has a link to join.

    `updated` is the moment of the export (default: now). It decides which series have ended. Naive values
    count as UTC. Each row's own `updated` is when that meeting last changed, because the spec defines it as
    "when the listing was last updated". Stamping the export time on every row would claim changes that
    never happened.
    """
    now = _as_utc(updated) if updated is not None else datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    left_out: list[tuple[Meeting, str]] = []
    used_slugs: set[str] = set()
    for meeting in meetings:
        reason = _ended(meeting, now)
        days = _weekly_days(meeting)
        link = meeting.link()
        if reason is None:
            if days is None:
                reason = f"{_describe_rule(meeting.recurrence.rule)}; {_NOT_WEEKLY}"
            elif link is None:
                reason = "it has no channel or link yet, so nobody could join it from the feed"
            else:
                slug = _feed_slug(meeting, used_slugs)
                used_slugs.add(slug)
                rows.append(_row(meeting, slug, days, link))
                continue
        left_out.append((meeting, reason))
    return FeedExport(rows=rows, left_out=left_out)


def _row(meeting: Meeting, slug: str, days: tuple[str, ...], link: str) -> dict[str, Any]:
    rule = meeting.recurrence
    numbers = sorted(FEED_DAYS.index(code) for code in days)
    end = (datetime.combine(date(2000, 1, 1), rule.local_time) + meeting.duration).time()
    row: dict[str, Any] = {
        "name": meeting.name,
        "slug": slug,
        # The spec allows "an integer or an array of integers"; one day stays a plain integer, the form of the
        # spec's own example ("day": 0), which every reader understands.
        "day": numbers[0] if len(numbers) == 1 else numbers,
        "time": f"{rule.local_time:%H:%M}",
        "end_time": f"{end:%H:%M}",  # wraps past midnight: 23:30 + 60 minutes ends at 00:30
        "timezone": rule.zone,
    }
    types = [code for code in meeting.types if code != ONLINE_CODE]
    if types:
        row["types"] = types
    if meeting.description:
        row["notes"] = meeting.description
    # "Online meetings must have either a conference_url and/or conference_phone field to be considered active."
    row["conference_url"] = link
    stamp = meeting.updated_at or meeting.created_at
    if stamp is not None:
        row["updated"] = _as_utc(stamp).strftime("%Y-%m-%d %H:%M:%S")
    return row


def _feed_slug(meeting: Meeting, used: set[str]) -> str:
    """The meeting's own slug when the schema allows it. Otherwise a shortened one that ends in the meeting's
    id, so it is the same in every export (bookmarks in the app depend on it) and never collides."""
    if len(meeting.slug) <= FEED_SLUG_MAX and meeting.slug not in used:
        return meeting.slug
    suffix = f"-{meeting.id}"
    return meeting.slug[: FEED_SLUG_MAX - len(suffix)].rstrip("-") + suffix


def _ended(meeting: Meeting, now: datetime) -> str | None:
    rule = meeting.recurrence
    today = now.astimezone(rule.tz).date()
    if rule.until is not None and rule.until < today:
        ended = f"{rule.until.day} {rule.until:%B %Y}"
        return f"its series ended on {ended}, and a feed lists only meetings that still happen"
    parts = _rule_parts(rule.rule)
    if ("UNTIL" in parts or "COUNT" in parts) and meeting.next_occurrence(now) is None:
        return "its series has ended, and a feed lists only meetings that still happen"
    return None


def _weekly_days(meeting: Meeting) -> tuple[str, ...] | None:
    """The weekdays of a rule that happens every week on the same days, else None.

    Besides what `Meeting.weekdays` accepts, this also takes an explicit INTERVAL=1, an UNTIL or COUNT (the
    feed can't say when a series stops, but until it stops every row is true) and FREQ=DAILY (every day of
    the week).
    """
    days = meeting.weekdays()
    if days:
        return days
    parts = _rule_parts(meeting.recurrence.rule)
    frequency = parts.pop("FREQ", None)
    for harmless in ("WKST", "UNTIL", "COUNT"):
        parts.pop(harmless, None)
    if parts.pop("INTERVAL", "1") != "1" or set(parts) - {"BYDAY"} or frequency not in ("WEEKLY", "DAILY"):
        return None
    byday = parts.get("BYDAY")
    if byday is None:
        if frequency == "DAILY":
            return recurrence.WEEKDAY_CODES
        return (recurrence.WEEKDAY_CODES[meeting.recurrence.starts_on.weekday()],)
    wanted = byday.split(",")
    if not wanted or any(code not in recurrence.WEEKDAY_CODES for code in wanted):
        return None
    return tuple(code for code in recurrence.WEEKDAY_CODES if code in wanted)


def _describe_rule(rule: str) -> str:
    """What a non-weekly rule does, in words an admin recognises from when they set it up."""
    parts = _rule_parts(rule)
    frequency = parts.get("FREQ", "")
    interval_text = parts.get("INTERVAL", "1")
    interval = int(interval_text) if interval_text.isdigit() else 1
    if frequency == "WEEKLY" and interval == 2:
        return "it repeats every other week"
    if frequency == "WEEKLY" and interval > 2:
        return f"it repeats every {interval} weeks"
    if frequency == "DAILY" and interval > 1:
        return f"it repeats every {interval} days"
    if frequency == "MONTHLY":
        ordinal = re.fullmatch(r"([+-]?\d)([A-Z]{2})", parts.get("BYDAY", ""))
        if ordinal and int(ordinal.group(1)) in _ORDINALS and ordinal.group(2) in _DAY_NAMES:
            every = "month" if interval == 1 else f"{interval} months"
            return (f"it repeats on the {_ORDINALS[int(ordinal.group(1))]} {_DAY_NAMES[ordinal.group(2)]} "
                    f"of every {every}")
        return "it repeats monthly"
    if frequency == "YEARLY":
        return "it repeats yearly"
    return "its schedule isn't the same every week"


def _rule_parts(rule: str) -> dict[str, str]:
    return {key: value for key, _, value in (part.partition("=") for part in rule.split(";") if part)}


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# ---------------------------------------------------------------------------------------------------------------
# Import


@dataclass(frozen=True, slots=True)
class SkippedRow:
    """A row of an imported feed that needs a word: `index` counts from 1 in the file's order, and `label` is
    what the person importing will recognise (its slug, else its name, else "row N")."""

    index: int
    label: str
    reason: str


@dataclass(frozen=True, slots=True)
class FeedImport:
    """Drafts ready to create, rows that could not be imported and why, and rows imported with something
    dropped (for example an area's own type codes), so nothing disappears without a word."""

    drafts: list[MeetingDraft]
    skipped: list[SkippedRow]
    warnings: list[SkippedRow]


def parse_feed(raw: bytes, *, default_zone: str, today: date) -> FeedImport:
    """Read a Meeting Guide feed into meeting drafts, row by row.

    `default_zone` is used for rows without a `timezone` (the field is optional in the spec), and `today`
    starts each schedule. Raises InvalidInput only when the file as a whole isn't a feed. Each bad row is
    skipped with a reason, and the good rows beside it still import.
    """
    zone = timezones.validate(default_zone)
    rows = _load_rows(raw)
    # Slugs the file spells out are reserved first, so a slug made from a name never takes one of them.
    reserved = {slug for row in rows if isinstance(row, dict) and (slug := _given_slug(row)) is not None}
    first_row_of: dict[str, int] = {}
    drafts: list[MeetingDraft] = []
    skipped: list[SkippedRow] = []
    warnings: list[SkippedRow] = []
    for index, row in enumerate(rows, start=1):
        label = _label(row, index)
        if not isinstance(row, dict):
            skipped.append(SkippedRow(index, label, "This entry isn't a meeting: each entry in the list should be "
                                                    "an object with a name, day, time and conference_url."))
            continue
        try:
            draft, notes = _draft(row, zone, today, first_row_of, reserved)
        except InvalidInput as exc:
            skipped.append(SkippedRow(index, label, exc.message))
            continue
        assert draft.slug is not None  # _draft always sets it
        first_row_of[draft.slug] = index
        drafts.append(draft)
        warnings.extend(SkippedRow(index, label, note) for note in notes)
    return FeedImport(drafts=drafts, skipped=skipped, warnings=warnings)


def _load_rows(raw: bytes) -> list[Any]:
    if len(raw) > FEED_MAX_BYTES:
        raise InvalidInput(
            f"That file is {len(raw) / 1_000_000:.1f} MB; I can import a feed of at most 1 MB. "
            "Split it into smaller files, or export only the meetings you want to bring over."
        )
    if not raw.strip():
        raise InvalidInput(f"That file is empty. A Meeting Guide feed is a JSON list of meetings, like {_FEED_EXAMPLE}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(
            "That file isn't UTF-8 text, so it can't be a Meeting Guide JSON feed. "
            "Download the feed's .json link again, or save the file as UTF-8."
        ) from None
    try:
        data = json.loads(text)
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
        data = data["meetings"]  # some meeting finders wrap the list: {"meetings": [...]}
    if not isinstance(data, list):
        raise InvalidInput(
            "That JSON isn't a list of meetings. A Meeting Guide feed starts with [ and has one {…} per meeting, "
            f"like {_FEED_EXAMPLE}"
        )
    if len(data) > FEED_MAX_ROWS:
        raise InvalidInput(
            f"That feed has {len(data)} meetings; I can import at most {FEED_MAX_ROWS} at a time. "
            "Split it into smaller files and import each one."
        )
    return data


def _draft(row: dict[str, Any], default_zone: str, today: date, first_row_of: dict[str, int],
           reserved: set[str]) -> tuple[MeetingDraft, list[str]]:
    """One row as a draft plus notes about what was dropped; InvalidInput (with the reason) to skip it."""
    name = clean_text(_text(row, "name"), "name", NAME_MAX, required=True)
    assert name is not None  # required=True
    slug = _slug(row, name, first_row_of, reserved)
    days = _days(row.get("day"))
    start = _clock(row, "time", "start time")
    if start is None:
        raise InvalidInput("It has no start time (time). Only weekly meetings with a day and a start time can "
                           "be imported; meetings by appointment can't.")
    end = _clock(row, "end_time", "end time")
    duration = DEFAULT_DURATION  # the spec: end_time "will default to one hour after the start time if omitted"
    if end is not None:
        duration = validate_duration((_minutes(end) - _minutes(start)) % _MINUTES_PER_DAY)
    zone_name = _text(row, "timezone")
    zone = timezones.validate(zone_name) if zone_name and zone_name.strip() else default_zone
    schedule = recurrence.weekly(days, start, zone, today)
    types, notes = _types(row.get("types"))
    description = clean_text(
        "\n\n".join(part.strip() for part in (_text(row, "notes"), _text(row, "conference_url_notes")) if part),
        "description", DESCRIPTION_MAX, one_line=False)
    draft = MeetingDraft(
        name=name,
        recurrence=schedule,
        kind=MeetingKind.OTHER,  # the spec has no fellowship field, and its type codes don't name one
        duration_minutes=duration,
        location=_location(row),
        types=types,
        description=description,
        slug=slug,
    )
    return draft, notes


def _label(row: Any, index: int) -> str:
    if isinstance(row, dict):
        slug = row.get("slug")
        if isinstance(slug, str) and slug.strip():
            return slug.strip()[:FEED_SLUG_MAX]
        if isinstance(slug, int) and not isinstance(slug, bool):
            return str(slug)
        name = row.get("name")
        if isinstance(name, str) and name.strip():
            return name.strip()[:NAME_MAX]
    return f"row {index}"


def _text(row: dict[str, Any], key: str) -> str | None:
    value = row.get(key)
    if value is None or isinstance(value, str):
        return value
    raise InvalidInput(f"Its {key} should be text, not {json.dumps(value)[:40]}.")


def _given_slug(row: dict[str, Any]) -> str | None:
    """The row's own slug, normalised, when it has a usable one. The spec allows integer ids too."""
    value = row.get("slug")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return validate_slug(value)
    except InvalidInput:
        return None


def _slug(row: dict[str, Any], name: str, first_row_of: dict[str, int], reserved: set[str]) -> str:
    value = row.get("slug")
    if value is not None and not (isinstance(value, str) and not value.strip()):
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise InvalidInput(f"Its slug should be text or a number, not {json.dumps(value)[:40]}.")
        slug = validate_slug(value)
        if slug in first_row_of:
            raise InvalidInput(
                f"Row {first_row_of[slug]} already uses the slug “{slug}”. Each meeting in a feed needs its own "
                "slug, so I kept the first one."
            )
        return slug
    # No slug: make one from the name, numbered like the spec's "sunday-serenity-7" when it is taken.
    base = slugify(name)
    slug, number = base, 2
    while slug in first_row_of or slug in reserved:
        suffix = f"-{number}"
        slug, number = base[: SLUG_MAX - len(suffix)].rstrip("-") + suffix, number + 1
    return slug


def _days(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [] if value is None or value == "" else [value]
    if not items:
        raise InvalidInput("It has no day. Only weekly meetings with a day and a start time can be imported; "
                           "meetings by appointment can't.")
    codes: set[str] = set()
    for item in items:
        text = str(item).strip() if isinstance(item, int | str) and not isinstance(item, bool) else ""
        if not re.fullmatch(r"[0-6]", text):
            raise InvalidInput(
                f"I can't read the day “{json.dumps(item)[:20]}”: the feed should give 0 (Sunday) to 6 (Saturday)."
            )
        codes.add(FEED_DAYS[int(text)])
    return tuple(code for code in recurrence.WEEKDAY_CODES if code in codes)


def _clock(row: dict[str, Any], key: str, label: str) -> time | None:
    """"HH:MM" in 24-hour time (the schema also allows "H:MM"; trailing ":SS" is tolerated); None when absent."""
    value = row.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::\d{2})?", value.strip()) if isinstance(value, str) else None
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        shown = value.strip() if isinstance(value, str) else json.dumps(value)
        raise InvalidInput(f"The {label} “{shown[:20]}” isn't a 24-hour time such as 19:30.")
    return time(int(match.group(1)), int(match.group(2)))


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _types(value: Any) -> tuple[tuple[str, ...], list[str]]:
    """Known codes (or English names) become types; unknown ones are dropped with a note. Other areas often
    add their own codes, which the spec allows ("they will be ignored by the importer")."""
    if value is None or value == "":
        return (), []
    if isinstance(value, str):
        items: list[Any] = re.split(r"[,;]", value)  # a spreadsheet-style "O, D" string
    elif isinstance(value, list):
        items = value
    else:
        raise InvalidInput('Its types should be a list of Meeting Guide codes, such as ["O", "D"].')
    known: list[str] = []
    unknown: list[str] = []
    for item in items:
        if isinstance(item, str) and (not item.strip() or item.strip().upper() == ONLINE_CODE):
            continue  # "online" is implied: every meeting here is
        try:
            codes = validate_types([item]) if isinstance(item, str) else ()
        except InvalidInput:
            codes = ()
        if not codes:
            unknown.append(str(item).strip()[:20])
        known.extend(code for code in codes if code not in known)
    notes = []
    if unknown:
        notes.append(f"Left out type codes I don't know: {', '.join(unknown[:10])}. The meeting was imported "
                     "without them.")
    if len(known) > TYPES_MAX:
        notes.append(f"A meeting here has at most {TYPES_MAX} types, so I kept the first {TYPES_MAX} and left out "
                     f"{describe_types(tuple(known[TYPES_MAX:]))}.")
        known = known[:TYPES_MAX]
    return tuple(sorted(known)), notes


def _location(row: dict[str, Any]) -> Location:
    url = _text(row, "conference_url")
    if url and url.strip():
        # A Discord channel link stays a link here; whoever imports may later map it to a channel.
        return Location(place=Place.LINK, url=validate_url(url))
    if row.get("conference_phone"):
        raise InvalidInput("It has only a phone number (conference_phone). A meeting here needs a link people can "
                           "click to join, so add its conference_url.")
    raise InvalidInput("It has no conference_url, so it isn't an online meeting. In-person meetings stay in their "
                       "area's own listing.")
