"""Meeting Guide JSON feeds (code4recovery's spec, also read by 12 Step Meeting List and TSML UI): the format,
and exporting a server's meetings in it. Reading feeds is in meeting_guide_import.

Intergroups and meeting finders share meeting lists as a JSON array with one object per meeting. Exporting
puts a server's meetings into that shared directory, with everything an import took from a feed (the dial-in
number, the link's and the phone's notes, a hybrid meeting's venue and address, when the listing changed), so
exporting and importing again changes nothing.

The feed can only say "every week on these days at this wall time in this zone". The spec says it "is to be
used for weekly meetings only", so any other rule is left out of an export with a reason. Nothing is
guessed to make a meeting fit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from bot import clock
from bot.services import recurrence
from bot.services.meetings.data import Meeting

FEED_SLUG_MAX = 64  # meeting.schema.json: slug maxLength 64
# Not in the spec's type list or schema: TSML adds it for meetings with a conference link. Every meeting here is
# online, so on import it says nothing, and on export the spec's own signal (conference_url) says it.
ONLINE_CODE = "ONL"
# The feed numbers days 0 (Sunday) to 6 (Saturday); recurrence.WEEKDAY_CODES starts on Monday.
FEED_DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")
_NOT_WEEKLY = "Meeting Guide feeds can only describe weekly meetings"
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
    now = _as_utc(updated) if updated is not None else clock.now()
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
            elif link is None and meeting.location.phone is None:
                reason = "it has no channel, link or phone number yet, so nobody could join it from the feed"
            else:
                slug = _feed_slug(meeting, used_slugs)
                used_slugs.add(slug)
                rows.append(_row(meeting, slug, days, link))
                continue
        left_out.append((meeting, reason))
    return FeedExport(rows=rows, left_out=left_out)


def _row(meeting: Meeting, slug: str, days: tuple[str, ...], link: str | None) -> dict[str, Any]:
    rule, where = meeting.recurrence, meeting.location
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
    optional = {
        "conference_url": link, "conference_url_notes": where.url_notes if link else None,
        "conference_phone": where.phone, "conference_phone_notes": where.phone_notes if where.phone else None,
        # A hybrid meeting's in-person place; the plugin reads a street address as "hybrid".
        "location": where.venue, "formatted_address": where.address,
    }
    row.update({key: value for key, value in optional.items() if value})
    # The listing's own date when it came from a feed: an import changes nothing in the listing itself.
    stamp = (meeting.origin.updated if meeting.origin else None) or meeting.updated_at or meeting.created_at
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
