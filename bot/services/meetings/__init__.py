"""The meetings area: recurring meetings, their reminders, the Events tab's data, calendars and feeds.

`from bot.services import meetings` gives the area's everyday operations (create, find, list, import,
reminder choices) in one place; the modules behind it each hold one part:

- `data`: what a meeting is as plain data, and its checks
- `schedules`: schedules as people type them, and a meeting's dates
- `store`: storing, changing and finding meetings
- `listing`: a server's coming meetings (kept in memory per server)
- `importing`: storing a feed's drafts in one pass
- `reminder_choices`: channel reminder times and members' own reminders
- `rows`: rows <-> plain `Meeting`s
- `reminders`: each meeting's chain of jobs in the durable queue
- `calendar`: .ics files
- `guide`, `guide_import`: the Meeting Guide format, out and in
- `feeds`: feeds a server follows and their daily sync
- `feed_fetch`: downloading a feed safely
- `member_data`: what the area keeps about a member, for /privacy
"""

from __future__ import annotations

from bot.services.meetings import member_data  # noqa: F401  (registers the area's member data with bot.privacy)
from bot.services.meetings.data import Meeting, MeetingDraft, MeetingKind, MeetingTimes
from bot.services.meetings.importing import ENDING_ALWAYS_ALLOWED, ENDING_HELD_BACK_ABOVE, ImportResult, import_drafts
from bot.services.meetings.listing import LIST_DAYS, Upcoming, occurrences_between, upcoming, waiting_for_events
from bot.services.meetings.reminder_choices import (
    DEFAULT_REMINDER_OFFSETS,
    MAX_REMINDER_OFFSETS,
    MEMBER_REMINDER_OFFSETS,
    member_offsets,
    opt_in,
    opt_out,
    parse_offsets,
    reminder_of,
    reminder_offsets,
    reminder_offsets_by_guild,
    reminder_recipients,
    set_reminder_offsets,
)
from bot.services.meetings.rows import to_meeting
from bot.services.meetings.schedules import (
    STARTS_WITHIN,
    ScheduleText,
    build_recurrence,
    cancellable_date,
    occurrence_on,
    parse_date,
    upcoming_dates,
)
from bot.services.meetings.store import (
    FALLBACK_ZONE,
    MAX_MEETINGS_PER_SERVER,
    all_in,
    check_details,
    create,
    delete_meeting,
    draft_of,
    end_series,
    every_schedule,
    find,
    get,
    meeting_id,
    note_event_problem,
    record_event,
    replace_details,
    resolve,
    search,
    server_zone,
    servers_waiting_for_events,
    skip_occurrence,
    without_event,
)

__all__ = [
    "DEFAULT_REMINDER_OFFSETS", "ENDING_ALWAYS_ALLOWED", "ENDING_HELD_BACK_ABOVE", "FALLBACK_ZONE", "LIST_DAYS",
    "MAX_MEETINGS_PER_SERVER", "MAX_REMINDER_OFFSETS", "MEMBER_REMINDER_OFFSETS", "STARTS_WITHIN", "ImportResult",
    "Meeting", "MeetingDraft", "MeetingKind", "MeetingTimes", "ScheduleText", "Upcoming", "all_in",
    "build_recurrence", "cancellable_date", "check_details", "create", "delete_meeting", "draft_of", "end_series",
    "every_schedule", "find", "get", "import_drafts", "meeting_id", "member_offsets",
    "note_event_problem", "occurrence_on", "occurrences_between", "opt_in", "opt_out", "parse_date", "parse_offsets",
    "record_event", "reminder_of", "reminder_offsets", "reminder_offsets_by_guild", "reminder_recipients",
    "replace_details", "resolve", "search", "server_zone", "servers_waiting_for_events", "set_reminder_offsets",
    "skip_occurrence", "to_meeting", "upcoming", "upcoming_dates", "waiting_for_events", "without_event",
]
